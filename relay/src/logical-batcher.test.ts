import { describe, expect, it } from "vitest";
import { lsnToBigInt, TxnBatcher } from "./logical-batcher.ts";
import type { OutgoingChange } from "./mapping.ts";

const row = (n: number) => ({ id: `outbox:${n}` }) as OutgoingChange;
const ids = (batch: OutgoingChange[]) => batch.map((c) => c.id);

function txn(b: TxnBatcher, first: number, count: number, lsn: string | null) {
  b.begin();
  for (let i = 0; i < count; i++) b.add(row(first + i));
  if (lsn) b.commit(lsn);
}

describe("TxnBatcher", () => {
  it("confirms a commit only after all its rows are accepted", () => {
    const b = new TxnBatcher();
    txn(b, 1, 2, "0/10");
    txn(b, 3, 1, "0/20");
    const batch = b.take(500, false);
    expect(ids(batch)).toEqual(["outbox:1", "outbox:2", "outbox:3"]);
    expect(b.idle).toBe(false);
    expect(b.accepted(batch.length)).toBe("0/20");
    expect(b.idle).toBe(true);
  });

  it("sends a transaction bigger than a batch in parts and confirms after the last", () => {
    const b = new TxnBatcher();
    txn(b, 1, 5, null); // still open
    expect(b.sendable(false)).toBe(0);
    expect(ids(b.take(2, true))).toEqual(["outbox:1", "outbox:2"]);
    expect(b.accepted(2)).toBeNull();
    expect(ids(b.take(2, true))).toEqual(["outbox:3", "outbox:4"]);
    expect(b.accepted(2)).toBeNull();
    b.commit("0/50");
    expect(ids(b.take(2, false))).toEqual(["outbox:5"]);
    expect(b.accepted(1)).toBe("0/50");
  });

  it("a batch that ends inside a transaction confirms only the earlier ones", () => {
    const b = new TxnBatcher();
    txn(b, 1, 1, "0/10");
    txn(b, 2, 3, "0/20");
    expect(ids(b.take(2, false))).toEqual(["outbox:1", "outbox:2"]);
    expect(b.accepted(2)).toBe("0/10");
    expect(b.unacceptedRows).toBe(2);
    expect(b.take(10, false)).toHaveLength(2);
    expect(b.accepted(2)).toBe("0/20");
  });

  it("an empty transaction is confirmable at once, but never jumps over unaccepted rows", () => {
    const b = new TxnBatcher();
    txn(b, 1, 1, "0/10");
    txn(b, 2, 0, "0/20");
    expect(b.accepted(0)).toBeNull();
    b.take(10, false);
    expect(b.accepted(1)).toBe("0/20");
  });

  it("rows of an open transaction are not sendable without includeOpen", () => {
    const b = new TxnBatcher();
    txn(b, 1, 1, "0/10");
    txn(b, 2, 2, null);
    expect(b.sendable(false)).toBe(1);
    expect(b.sendable(true)).toBe(3);
  });

  it.each([
    ["0/0", 0n],
    ["0/10", 16n],
    ["1/0", 4_294_967_296n],
    ["16/B374D848", 0x16b374d848n],
  ])("lsn %s", (lsn, value) => {
    expect(lsnToBigInt(lsn)).toBe(value);
  });
});
