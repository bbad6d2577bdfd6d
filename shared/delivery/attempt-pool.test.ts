/**
 * shared/delivery/attempt-pool.ts: at most `concurrency` attempts at once, first come first
 * served, a failing task frees its slot, and nothing starts after the start deadline. The clock
 * is injected; tasks are promises the test settles by hand.
 */
import { describe, expect, it } from "vitest";
import { AttemptPool, DEFAULT_POOL_LIMITS, MAX_CONCURRENT_ATTEMPTS } from "./attempt-pool";

/** A task the test finishes when it wants, recording when it started. */
function gate(log: string[], name: string) {
  let finish!: (v: string) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => ((finish = resolve), (fail = reject)));
  return { task: () => (log.push(`start ${name}`), done), finish: () => finish(name), fail: () => fail(new Error(name)) };
}
const tick = () => new Promise((r) => setTimeout(r, 0));

describe("AttemptPool", () => {
  it("defaults to Workers' six simultaneous connections per invocation", () => {
    expect(MAX_CONCURRENT_ATTEMPTS).toBe(6);
    expect(DEFAULT_POOL_LIMITS.concurrency).toBe(6);
  });

  it.each([1, 2, 3])("runs at most %i at once, in the order asked", async (concurrency) => {
    const log: string[] = [];
    const pool = new AttemptPool({ concurrency, startBudgetMs: 60_000 }, () => 0);
    const gates = ["a", "b", "c", "d"].map((n) => gate(log, n));
    const runs = gates.map((g) => pool.run(g.task));
    await tick();
    expect(log).toEqual(["a", "b", "c", "d"].slice(0, concurrency).map((n) => `start ${n}`));
    for (const g of gates) {
      g.finish();
      await tick();
    }
    expect(await Promise.all(runs)).toEqual(["a", "b", "c", "d"].map((value) => ({ started: true, value })));
    expect(log).toEqual(["start a", "start b", "start c", "start d"]);
  });

  it("a task that throws frees its slot; the error reaches its caller only", async () => {
    const log: string[] = [];
    const pool = new AttemptPool({ concurrency: 1, startBudgetMs: 60_000 }, () => 0);
    const [a, b] = [gate(log, "a"), gate(log, "b")];
    const ra = pool.run(a.task);
    const rb = pool.run(b.task);
    a.fail();
    await expect(ra).rejects.toThrow("a");
    await tick();
    expect(log).toEqual(["start a", "start b"]);
    b.finish();
    expect(await rb).toEqual({ started: true, value: "b" });
  });

  it("does not start what gets its slot after the start deadline, and says so", async () => {
    let now = 1_000;
    const log: string[] = [];
    const pool = new AttemptPool({ concurrency: 1, startBudgetMs: 500 }, () => now);
    expect(pool.startWithinMs()).toBe(500);
    const [a, b, c] = [gate(log, "a"), gate(log, "b"), gate(log, "c")];
    const runs = [pool.run(a.task), pool.run(b.task), pool.run(c.task)];
    now = 1_501; // a ran past the deadline: b and c never start
    a.finish();
    expect(await Promise.all(runs)).toEqual([{ started: true, value: "a" }, { started: false }, { started: false }]);
    expect(log).toEqual(["start a"]);
    expect(pool.startWithinMs()).toBe(0);
  });

  it.each([
    { limits: { concurrency: 0, startBudgetMs: 1 } },
    { limits: { concurrency: 1.5, startBudgetMs: 1 } },
    { limits: { concurrency: 1, startBudgetMs: -1 } },
  ])("refuses limits $limits", ({ limits }) => {
    expect(() => new AttemptPool(limits, () => 0)).toThrow(RangeError);
  });
});
