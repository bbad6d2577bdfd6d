/**
 * Audit entries and their per-record SHA-256 hash chain. Each entry names the previous
 * entry's hash, so removing, reordering or editing one breaks every link after it.
 * Hashing is synchronous (node:crypto) because it runs inside the object's transactionSync.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { ChangeEvent, JsonObject } from "../envelope/cloudevent";
import type { VersionVector } from "../clock/vector";
import type { PlannedDestination } from "../routing/plan";

/** v1: the hash input is the RFC 8785 (JCS) canonical JSON of the entry without `hash`. */
export const AUDIT_ENTRY_VERSION = 1;

export type GateResult = { gate: string; result: "pass" | "fail" | "skip"; detail?: string };

export type AuditEntry = {
  v: typeof AUDIT_ENTRY_VERSION;
  tenant: string;
  recordType: string;
  recordId: string;
  sequence: number;
  location: string;
  changeId: string;
  recordedAt: string;
  event: ChangeEvent;
  snapshot: JsonObject | null;
  source: JsonObject | null;
  ordering: { hlc: string; lamport: number; sequence: number; vector: VersionVector };
  gates: GateResult[];
  /** Routes (and their regions) the event was planned for at write time, in the same transaction. */
  destinations: PlannedDestination[];
  /** Version of the tenant's routing table that planned them. */
  routingVersion: number;
  prevHash: string;
  hash: string;
};

export type UnsealedEntry = Omit<AuditEntry, "hash">;

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function hashEntry(entry: UnsealedEntry): string {
  return sha256Hex(canonicalize(entry) ?? "");
}

export function sealEntry(entry: UnsealedEntry): AuditEntry {
  return { ...entry, hash: hashEntry(entry) };
}

export type ChainVerdict = { valid: boolean; entries: number; firstBadSequence?: number };

export type ChainExpectation = {
  /** prevHash of the first entry: genesis, or the old key's head after a rekey. */
  anchor: string;
  firstSequence: number;
  /** The head hash the object recorded with its newest entry: catches an edited tail. */
  head: string;
  /** The newest sequence the object recorded: catches a truncated tail at the first missing entry. */
  headSequence?: number;
};

/**
 * Walk entries in sequence order from the anchor: each must hash to its own `hash`, link to
 * its predecessor and carry the next sequence number; the last must be the recorded head.
 */
export function verifyChain(entries: readonly AuditEntry[], expect: ChainExpectation): ChainVerdict {
  let prev = expect.anchor;
  let expectedSequence = expect.firstSequence;
  for (const entry of entries) {
    const { hash, ...unsealed } = entry;
    const intact = hash === hashEntry(unsealed) && entry.prevHash === prev && entry.sequence === expectedSequence;
    if (!intact) return { valid: false, entries: entries.length, firstBadSequence: expectedSequence };
    prev = hash;
    expectedSequence += 1;
  }
  if (expect.headSequence !== undefined && expectedSequence <= expect.headSequence) return { valid: false, entries: entries.length, firstBadSequence: expectedSequence };
  if (prev !== expect.head) return { valid: false, entries: entries.length, firstBadSequence: Math.max(expect.firstSequence, expectedSequence - 1) };
  return { valid: true, entries: entries.length };
}
