/**
 * How audit entries travel from a master-record object to R2: packed into versioned queue
 * messages (several entries each, under the Queues message limit), identified by a chunk id
 * that is a function of the record and the sequence range, so redeliveries are recognisable.
 */
import type { AuditEntry } from "./entry";
import { sha256Hex } from "./entry";

export const AUDIT_MESSAGE_VERSION = 1;

/** Queues cap a message at 128 KB; keep headroom for the JSON around the entries. */
export const AUDIT_MESSAGE_MAX_BYTES = 120_000;
/** One entry must fit a message on its own; the object refuses changes whose entry would not. */
export const AUDIT_ENTRY_MAX_BYTES = 110_000;
/** sendBatch takes at most 100 messages and 256 KB in one call. */
export const SEND_BATCH_MAX_MESSAGES = 100;
export const SEND_BATCH_MAX_BYTES = 250_000;

export type AuditMessage = {
  v: typeof AUDIT_MESSAGE_VERSION;
  kind: "audit";
  tenant: string;
  chunkId: string;
  entries: AuditEntry[];
};

export function chunkIdFor(tenant: string, recordType: string, recordId: string, firstSequence: number, lastSequence: number): string {
  return sha256Hex(JSON.stringify([tenant, recordType, recordId, firstSequence, lastSequence])).slice(0, 16);
}

export type SizedEntry = { entry: AuditEntry; bytes: number };

/** Greedy packing in sequence order: a message never exceeds maxBytes of entries. */
export function packEntries(entries: readonly SizedEntry[], maxBytes = AUDIT_MESSAGE_MAX_BYTES): AuditEntry[][] {
  const out: AuditEntry[][] = [];
  let current: AuditEntry[] = [];
  let size = 0;
  for (const { entry, bytes } of entries) {
    if (current.length > 0 && size + bytes > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(entry);
    size += bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function toAuditMessages(tenant: string, groups: readonly AuditEntry[][]): AuditMessage[] {
  return groups.map((entries) => {
    const first = entries[0]!;
    const last = entries[entries.length - 1]!;
    return { v: AUDIT_MESSAGE_VERSION, kind: "audit", tenant, chunkId: chunkIdFor(tenant, first.recordType, first.recordId, first.sequence, last.sequence), entries };
  });
}

/** Split a list of (already sized) items into sendBatch calls within both batch limits. */
export function splitForSendBatch<T>(items: readonly { item: T; bytes: number }[]): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const { item, bytes } of items) {
    if (current.length > 0 && (current.length >= SEND_BATCH_MAX_MESSAGES || size + bytes > SEND_BATCH_MAX_BYTES)) {
      calls.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}
