/**
 * The per-record audit hash chain (shared/audit/entry.ts): each tampering a verifier must
 * catch is reported at the first sequence that can no longer be vouched for.
 */
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../envelope/cloudevent";
import { GENESIS_HASH } from "../record/state";
import { hashEntry, sealEntry, sha256Hex, verifyChain, type AuditEntry, type ChainExpectation, type UnsealedEntry } from "./entry";

function event(sequence: number): ChangeEvent {
  return {
    specversion: "1.0",
    id: `01936b2e-1f4a-7c3d-9e5f-${String(sequence).padStart(12, "0")}`,
    source: "/tenants/acme/locations/store-1",
    type: "io.changecast.customer.updated",
    subject: "customer/c1",
    time: "2026-03-01T08:00:00.000Z",
    datacontenttype: "application/json",
    data: { op: "update", before: null, after: { n: sequence }, changed: ["n"], vector: { "store-1": sequence } },
    sequence: String(sequence).padStart(20, "0"),
    partitionkey: "customer/c1",
    hlc: `001772352000000-${String(sequence).padStart(6, "0")}`,
    lamport: sequence,
    tenant: "acme",
    location: "store-1",
  };
}

/** A sealed chain of `count` entries starting at `firstSequence`, linked from `anchor`. */
function chain(count: number, anchor = GENESIS_HASH, firstSequence = 1): AuditEntry[] {
  const out: AuditEntry[] = [];
  let prevHash = anchor;
  for (let sequence = firstSequence; sequence < firstSequence + count; sequence++) {
    // Cast: these tests exercise the chain, not the entry's field list (which grows over versions).
    const unsealed = {
      v: 1,
      tenant: "acme",
      recordType: "customer",
      recordId: "c1",
      sequence,
      location: "store-1",
      changeId: `chg-${sequence}`,
      recordedAt: "2026-03-01T08:00:00.000Z",
      event: event(sequence),
      snapshot: { n: sequence },
      source: { kind: "outbox", position: sequence },
      ordering: { hlc: event(sequence).hlc, lamport: sequence, sequence, vector: { "store-1": sequence } },
      gates: [{ gate: "dedupe", result: "pass" }],
      destinations: [],
      routingVersion: 1,
      prevHash,
    } as UnsealedEntry;
    const entry = sealEntry(unsealed);
    out.push(entry);
    prevHash = entry.hash;
  }
  return out;
}

const expectFor = (entries: AuditEntry[], anchor = GENESIS_HASH, firstSequence = 1): ChainExpectation => ({ anchor, firstSequence, head: entries[entries.length - 1]?.hash ?? anchor });

/** Re-seal an entry after editing it, the way an attacker who knows the format would. */
function reseal(entry: AuditEntry, patch: Partial<AuditEntry>): AuditEntry {
  const { hash: _old, ...rest } = { ...entry, ...patch };
  return sealEntry(rest);
}

describe("sealEntry", () => {
  it("hash is SHA-256 (hex) of the entry without `hash`, and independent of key order", () => {
    const [entry] = chain(1);
    const { hash, ...unsealed } = entry!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEntry(unsealed)).toBe(hash);
    const reordered = Object.fromEntries(Object.entries(unsealed).reverse()) as typeof unsealed;
    expect(sealEntry(reordered).hash).toBe(hash); // RFC 8785 canonical JSON
  });

  it("sha256Hex matches the FIPS 180-2 'abc' vector", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("verifyChain: intact chains", () => {
  it.each([1, 2, 5, 50])("an intact chain of %i entries from genesis is valid", (count) => {
    const entries = chain(count);
    expect(verifyChain(entries, expectFor(entries))).toEqual({ valid: true, entries: count });
  });

  it("an empty chain whose head is the anchor is valid", () => {
    expect(verifyChain([], { anchor: GENESIS_HASH, firstSequence: 1, head: GENESIS_HASH })).toEqual({ valid: true, entries: 0 });
  });

  it("an empty chain whose head is not the anchor has lost its entries", () => {
    expect(verifyChain([], { anchor: GENESIS_HASH, firstSequence: 1, head: "f".repeat(64) })).toEqual({ valid: false, entries: 0, firstBadSequence: 1 });
  });
});

type Tamper = { name: string; tamper: (entries: AuditEntry[]) => AuditEntry[]; firstBadSequence: number };

const tampers: Tamper[] = [
  { name: "entry 3 edited, hash left as it was", tamper: (e) => e.map((x) => (x.sequence === 3 ? { ...x, snapshot: { n: 999 } } : x)), firstBadSequence: 3 },
  { name: "entry 3's event edited, hash left as it was", tamper: (e) => e.map((x) => (x.sequence === 3 ? { ...x, event: { ...x.event, data: { ...x.event.data, after: { n: 0 } } } } : x)), firstBadSequence: 3 },
  { name: "entry 3 edited and re-sealed: its successor's link breaks", tamper: (e) => e.map((x) => (x.sequence === 3 ? reseal(x, { location: "evil" }) : x)), firstBadSequence: 4 },
  { name: "entry 3 removed", tamper: (e) => e.filter((x) => x.sequence !== 3), firstBadSequence: 3 },
  { name: "entry 1 removed", tamper: (e) => e.slice(1), firstBadSequence: 1 },
  { name: "entries 2 and 3 swapped", tamper: (e) => [e[0]!, e[2]!, e[1]!, e[3]!, e[4]!], firstBadSequence: 2 },
  { name: "entries 4 and 5 swapped", tamper: (e) => [e[0]!, e[1]!, e[2]!, e[4]!, e[3]!], firstBadSequence: 4 },
  { name: "entry 4 re-sealed with a wrong prevHash", tamper: (e) => e.map((x) => (x.sequence === 4 ? reseal(x, { prevHash: "0".repeat(63) + "1" }) : x)), firstBadSequence: 4 },
  { name: "entry 1 re-sealed with a prevHash other than the anchor", tamper: (e) => [reseal(e[0]!, { prevHash: "a".repeat(64) }), ...e.slice(1)], firstBadSequence: 1 },
  { name: "entry 3 re-sealed with a wrong sequence", tamper: (e) => e.map((x) => (x.sequence === 3 ? reseal(x, { sequence: 7 }) : x)), firstBadSequence: 3 },
  { name: "entry 2 duplicated", tamper: (e) => [e[0]!, e[1]!, e[1]!, ...e.slice(2)], firstBadSequence: 3 },
  { name: "tail (entry 5) edited, hash left as it was", tamper: (e) => [...e.slice(0, 4), { ...e[4]!, changeId: "forged" }], firstBadSequence: 5 },
  { name: "tail (entry 5) edited and re-sealed: only the recorded head catches it", tamper: (e) => [...e.slice(0, 4), reseal(e[4]!, { changeId: "forged" })], firstBadSequence: 5 },
  { name: "a forged entry 6 appended after the head", tamper: (e) => [...e, reseal({ ...e[4]!, sequence: 6, prevHash: e[4]!.hash }, {})], firstBadSequence: 6 },
];

describe("verifyChain: tampering is reported at the first bad sequence", () => {
  it.each(tampers)("$name → firstBadSequence $firstBadSequence", ({ tamper, firstBadSequence }) => {
    const original = chain(5);
    const expectation = expectFor(original); // what the object recorded before tampering
    const tampered = tamper(original);
    expect(verifyChain(tampered, expectation)).toEqual({ valid: false, entries: tampered.length, firstBadSequence });
  });
});

describe("verifyChain: a chain anchored after a rekey", () => {
  const oldHead = chain(7)[6]!.hash; // the old key's head after 7 entries
  const entries = chain(3, oldHead, 8);

  it("is valid from the carried anchor and first sequence", () => {
    expect(oldHead).not.toBe(GENESIS_HASH);
    expect(entries.map((e) => e.sequence)).toEqual([8, 9, 10]);
    expect(verifyChain(entries, expectFor(entries, oldHead, 8))).toEqual({ valid: true, entries: 3 });
  });

  it.each([
    { name: "verified from genesis instead of the carried anchor", anchor: GENESIS_HASH, firstSequence: 8, firstBadSequence: 8 },
    { name: "verified with the wrong first sequence", anchor: oldHead, firstSequence: 1, firstBadSequence: 1 },
    { name: "verified with the sequence after the real first", anchor: oldHead, firstSequence: 9, firstBadSequence: 9 },
  ])("is refused when $name", ({ anchor, firstSequence, firstBadSequence }) => {
    expect(verifyChain(entries, { anchor, firstSequence, head: entries[2]!.hash })).toEqual({ valid: false, entries: 3, firstBadSequence });
  });

  it("reports tampering inside the anchored chain at its own sequence numbers", () => {
    const tampered = entries.map((x) => (x.sequence === 9 ? { ...x, snapshot: null } : x));
    expect(verifyChain(tampered, expectFor(entries, oldHead, 8))).toEqual({ valid: false, entries: 3, firstBadSequence: 9 });
  });
});
