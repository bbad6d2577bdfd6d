/**
 * Audit shipping (shared/audit/shipping.ts): packing entries under the Queues message limit,
 * splitting sendBatch calls under its 100-message / byte limits, and stable chunk ids.
 */
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "./entry";
import {
  AUDIT_ENTRY_MAX_BYTES,
  AUDIT_MESSAGE_MAX_BYTES,
  chunkIdFor,
  packEntries,
  SEND_BATCH_MAX_BYTES,
  SEND_BATCH_MAX_MESSAGES,
  splitForSendBatch,
  toAuditMessages,
} from "./shipping";

/** Only the fields shipping reads; the rest of an entry does not matter here. */
const entry = (sequence: number, recordId = "c1"): AuditEntry => ({ recordType: "customer", recordId, sequence, hash: `h${sequence}` }) as AuditEntry;

const sized = (bytes: number[]) => bytes.map((b, i) => ({ entry: entry(i + 1), bytes: b }));
const sequencesOf = (groups: AuditEntry[][]) => groups.map((g) => g.map((e) => e.sequence));

describe("packEntries: greedy, in order, never above the byte bound", () => {
  it.each([
    { name: "nothing to pack", bytes: [], max: 100, groups: [] },
    { name: "all fit one message", bytes: [10, 20, 30], max: 100, groups: [[1, 2, 3]] },
    { name: "exactly at the bound stays together", bytes: [50, 50], max: 100, groups: [[1, 2]] },
    { name: "one byte over splits", bytes: [50, 51], max: 100, groups: [[1], [2]] },
    { name: "an entry of exactly the bound travels alone", bytes: [1, 100, 1], max: 100, groups: [[1], [2], [3]] },
    { name: "greedy fill", bytes: [40, 40, 40, 40, 40], max: 100, groups: [[1, 2], [3, 4], [5]] },
    { name: "small entries top up a large one", bytes: [90, 5, 5, 5, 90], max: 100, groups: [[1, 2, 3], [4, 5]] },
  ])("$name", ({ bytes, max, groups }) => {
    const packed = packEntries(sized(bytes), max);
    expect(sequencesOf(packed)).toEqual(groups);
  });

  it.each([1, 2, 3, 4])("property over 1,000 entries of varied size (seed %i): bound, order, no empty message", (seed) => {
    let s = seed;
    const bytes = Array.from({ length: 1_000 }, () => {
      s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
      return 1 + (s % AUDIT_ENTRY_MAX_BYTES);
    });
    const input = sized(bytes);
    const packed = packEntries(input);
    const sizeOf = new Map(input.map((x) => [x.entry, x.bytes]));
    for (const group of packed) {
      expect(group.length).toBeGreaterThan(0);
      expect(group.reduce((sum, e) => sum + sizeOf.get(e)!, 0)).toBeLessThanOrEqual(AUDIT_MESSAGE_MAX_BYTES);
    }
    expect(packed.flat()).toEqual(input.map((x) => x.entry));
    // Greedy: no message could have taken the next message's first entry.
    for (let i = 0; i + 1 < packed.length; i++) {
      const total = packed[i]!.reduce((sum, e) => sum + sizeOf.get(e)!, 0);
      expect(total + sizeOf.get(packed[i + 1]![0]!)!).toBeGreaterThan(AUDIT_MESSAGE_MAX_BYTES);
    }
  });

  it("any entry the object accepts (≤ AUDIT_ENTRY_MAX_BYTES) fits a message on its own", () => {
    expect(AUDIT_ENTRY_MAX_BYTES).toBeLessThanOrEqual(AUDIT_MESSAGE_MAX_BYTES);
    expect(AUDIT_MESSAGE_MAX_BYTES).toBeLessThan(128_000); // Queues: 128 KB per message
  });
});

describe("splitForSendBatch: at most 100 messages and SEND_BATCH_MAX_BYTES per call", () => {
  const items = (bytes: number[]) => bytes.map((b, i) => ({ item: i, bytes: b }));
  const shape = (calls: number[][]) => calls.map((c) => c.length);

  it.each([
    { name: "empty", bytes: [], shape: [] },
    { name: "one small item", bytes: [10], shape: [1] },
    { name: "exactly 100 small items", bytes: Array(100).fill(10), shape: [100] },
    { name: "101 small items", bytes: Array(101).fill(10), shape: [100, 1] },
    { name: "250 small items", bytes: Array(250).fill(10), shape: [100, 100, 50] },
    { name: "byte bound before count bound", bytes: Array(5).fill(100_000), shape: [2, 2, 1] },
    { name: "exactly at the byte bound", bytes: [SEND_BATCH_MAX_BYTES / 2, SEND_BATCH_MAX_BYTES / 2, 1], shape: [2, 1] },
    { name: "one byte over the byte bound", bytes: [SEND_BATCH_MAX_BYTES / 2, SEND_BATCH_MAX_BYTES / 2 + 1], shape: [1, 1] },
    { name: "full-size audit messages", bytes: Array(7).fill(AUDIT_MESSAGE_MAX_BYTES), shape: [2, 2, 2, 1] },
  ])("$name → calls of $shape", ({ bytes, shape: expected }) => {
    const input = items(bytes);
    const calls = splitForSendBatch(input);
    expect(shape(calls)).toEqual(expected);
    expect(calls.flat()).toEqual(input.map((x) => x.item));
    for (const call of calls) {
      expect(call.length).toBeLessThanOrEqual(SEND_BATCH_MAX_MESSAGES);
      expect(call.reduce((sum, i) => sum + input[i]!.bytes, 0)).toBeLessThanOrEqual(SEND_BATCH_MAX_BYTES);
    }
  });

  it("the limits stay inside the platform's sendBatch limits (100 messages, 256 KB)", () => {
    expect(SEND_BATCH_MAX_MESSAGES).toBe(100);
    expect(SEND_BATCH_MAX_BYTES).toBeLessThanOrEqual(256_000);
  });
});

describe("chunkIdFor: a function of (tenant, record, sequence range)", () => {
  type Args = Parameters<typeof chunkIdFor>;
  const base: Args = ["acme", "customer", "c1", 1, 5];

  it("is deterministic and 16 hex characters", () => {
    expect(chunkIdFor(...base)).toBe(chunkIdFor(...base));
    expect(chunkIdFor(...base)).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each<{ name: string; args: Args; other?: Args }>([
    { name: "tenant", args: ["acme2", "customer", "c1", 1, 5] },
    { name: "recordType", args: ["acme", "supplier", "c1", 1, 5] },
    { name: "recordId", args: ["acme", "customer", "c2", 1, 5] },
    { name: "first sequence", args: ["acme", "customer", "c1", 2, 5] },
    { name: "last sequence", args: ["acme", "customer", "c1", 1, 6] },
    // Plain concatenation would make these two collide; the JSON array keeps fields apart.
    { name: "a field boundary", args: ["acme", "customer", "c11", 1, 5], other: ["acme", "customer", "c1", 11, 5] },
  ])("changes with the $name", ({ args, other = base }) => {
    expect(chunkIdFor(...args)).not.toBe(chunkIdFor(...other));
  });
});

describe("toAuditMessages", () => {
  it("one versioned message per group, chunk id from its first and last sequence", () => {
    const groups = [[entry(1), entry(2)], [entry(3)], [entry(4), entry(5), entry(6)]];
    const messages = toAuditMessages("acme", groups);
    expect(messages.map((m) => [m.v, m.kind, m.tenant])).toEqual(Array(3).fill([1, "audit", "acme"]));
    expect(messages.map((m) => m.chunkId)).toEqual([chunkIdFor("acme", "customer", "c1", 1, 2), chunkIdFor("acme", "customer", "c1", 3, 3), chunkIdFor("acme", "customer", "c1", 4, 6)]);
    expect(messages.map((m) => m.entries)).toEqual(groups);
  });

  it("re-packing the same entries after a crash yields the same chunk ids (redelivery is recognisable)", () => {
    const entries = sized([60_000, 60_000, 60_000, 10_000]);
    const first = toAuditMessages("acme", packEntries(entries)).map((m) => m.chunkId);
    const again = toAuditMessages("acme", packEntries(entries)).map((m) => m.chunkId);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });
});
