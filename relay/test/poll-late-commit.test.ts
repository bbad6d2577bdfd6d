/**
 * Issue 6, requirement 2: two concurrent transactions that commit out of id order are both
 * delivered in poll mode. T1 inserts first (so it holds the lower outbox id) and commits last;
 * the relay runs while T1 is still open. A relay that keeps "the highest id sent" as its cursor
 * moves past T1's id when it sends T2's row and never sees T1's row: the classic outbox bug.
 */
import { describe, expect, it } from "vitest";
import { deliveredAtLeast, newEdge } from "./edge";
import { connect, inTransaction, newDatabase, writeOutbox } from "./postgres";
import { batchTotal, connectionFlags, runRelay } from "./relay-process";

describe("poll mode and transactions that commit out of id order", () => {
  it("delivers both the early-id late-commit row and the later-id early-commit row", async () => {
    const { url, db } = await newDatabase("late_commit");
    const edge = await newEdge("late-commit");
    const install = await runRelay(["install", "--database-url", url]);
    expect(install.code, install.transcript).toBe(0);
    const t1 = await connect(url);
    const t2 = await connect(url);
    const poll = () => runRelay(["poll", ...connectionFlags(edge, url), "--once"]);

    await t1.query("BEGIN");
    const [early] = await writeOutbox(t1, [["customer", "late-1", "insert", { name: "committed last" }]]);
    await t2.query("BEGIN");
    const [later] = await writeOutbox(t2, [["customer", "late-2", "insert", { name: "committed first" }]]);
    await t2.query("COMMIT");
    expect(BigInt(early!)).toBeLessThan(BigInt(later!));

    // T2 is committed and T1 is not: the relay runs in between. It may send T2's row now or
    // hold it back until T1 ends; either way it must not move past T1's row.
    const between = await poll();
    expect(between.code, between.transcript).toBe(0);
    const sentBetween = batchTotal(between.lines, "accepted");
    expect(sentBetween).toBeLessThanOrEqual(1);

    await t1.query("COMMIT");
    const after = await poll();
    expect(after.code, after.transcript).toBe(0);
    expect(sentBetween + batchTotal(after.lines, "accepted")).toBe(2);

    const events = await deliveredAtLeast(edge, 2);
    expect(events.map((e) => e.subject).sort()).toEqual(["customer/late-1", "customer/late-2"]);
    expect(events.find((e) => e.subject === "customer/late-1")!.data.after).toEqual({ name: "committed last" });

    // And nothing is left behind or sent twice afterwards.
    const idle = await poll();
    expect(batchTotal(idle.lines, "sent")).toBe(0);
    await Promise.all([t1.end(), t2.end(), db.end()]);
  });

  it("keeps its cursor in numeric (txid, id) order across id lengths: 25 rows in batches of 5, each sent once", async () => {
    // Ids 1…25 sorted as text go 1, 10, 11, 12, 13: a cursor taken from that order jumps to 13
    // after the first batch and never sends 2…9.
    const { url, db } = await newDatabase("poll_order");
    const edge = await newEdge("poll-order");
    const install = await runRelay(["install", "--database-url", url]);
    expect(install.code, install.transcript).toBe(0);
    await inTransaction(db, (tx) => writeOutbox(tx, Array.from({ length: 25 }, (_, i) => ["customer", `ord-${i + 1}`, "insert", { n: i + 1 }] as [string, string, string, Record<string, unknown>])));

    const run = await runRelay(["poll", ...connectionFlags(edge, url), "--batch-size", "5", "--once"]);
    expect(run.code, run.transcript).toBe(0);
    expect(batchTotal(run.lines, "sent"), run.transcript).toBe(25);
    expect(batchTotal(run.lines, "accepted")).toBe(25);
    const events = await deliveredAtLeast(edge, 25);
    expect(new Set(events.map((e) => e.subject)).size).toBe(25);
    await db.end();
  });
});
