import { describe, expect, it } from "vitest";
import type { AuditEntry } from "./entry";
import type { SizedEntry } from "./shipping";
import { UnshippedEntries } from "./unshipped";

const sized = (sequence: number): SizedEntry => ({ entry: { sequence } as AuditEntry, bytes: 100 });
const seqs = (list: SizedEntry[] | null) => (list === null ? null : list.map((p) => p.entry.sequence));

describe("UnshippedEntries.pendingAfter", () => {
  const cases: { name: string; added: number[]; shipped: number; newest: number; limit?: number; expected: number[] | null }[] = [
    { name: "the batch just committed", added: [4, 5, 6], shipped: 3, newest: 6, expected: [4, 5, 6] },
    { name: "nothing pending and nothing held: no read needed", added: [], shipped: 6, newest: 6, expected: [] },
    { name: "already shipped entries are dropped", added: [1, 2, 3], shipped: 2, newest: 3, expected: [3] },
    { name: "a restarted object holds nothing: read the rows", added: [], shipped: 3, newest: 6, expected: null },
    { name: "memory starts after the cursor (an earlier failed send): read the rows", added: [5, 6], shipped: 3, newest: 6, expected: null },
    { name: "memory ends before the newest sequence: read the rows", added: [4, 5], shipped: 3, newest: 6, expected: null },
    { name: "a gap: read the rows", added: [4, 6], shipped: 3, newest: 6, expected: null },
    { name: "more than a page: read the rows (and forget them)", added: [4, 5, 6], shipped: 3, newest: 6, limit: 2, expected: null },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const memory = new UnshippedEntries(c.limit ?? 500);
      memory.add(c.added.map(sized));
      expect(seqs(memory.pendingAfter(c.shipped, c.newest))).toEqual(c.expected);
    });
  }

  it("forgets a backlog longer than a page, then serves the next batch once the rows caught up", () => {
    const memory = new UnshippedEntries(2);
    memory.add([1, 2, 3].map(sized));
    expect(memory.pendingAfter(0, 3)).toBeNull();
    memory.add([4].map(sized));
    expect(seqs(memory.pendingAfter(3, 4))).toEqual([4]);
  });
});
