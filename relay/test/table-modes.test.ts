/**
 * Issue 6, requirement 1 for the modes that read tables rather than an outbox: `timestamp`
 * (rows after an updated_at watermark: every row an "update", deletes only as soft deletes)
 * and `snapshot` (every row once, op "snapshot"), through the CLI, the Worker and a receiver.
 */
import { describe, expect, it } from "vitest";
import { deliveredAtLeast, newEdge, ofSubject } from "./edge";
import { inTransaction, newDatabase } from "./postgres";
import { batchTotal, connectionFlags, runRelay } from "./relay-process";

const CUSTOMERS = "CREATE TABLE customers (id text PRIMARY KEY, name text NOT NULL, tier text, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), deleted_at timestamptz)";

describe("table modes deliver end to end", () => {
  it("timestamp sends inserted and updated rows as updates and soft-deleted rows as soft deletes, per record in order", async () => {
    const { url, db } = await newDatabase("timestamp_mode");
    const edge = await newEdge("timestamp");
    await db.query(CUSTOMERS);
    const relay = () => runRelay(["timestamp", ...connectionFlags(edge, url), "--table", "customers:customer", "--soft-delete-column", "deleted_at", "--lag-ms", "0", "--once"]);

    await inTransaction(db, (tx) => tx.query("INSERT INTO customers (id, name, tier) VALUES ('s-1', 'Ada', 'gold'), ('s-2', 'Grace', 'silver')"));
    const first = await relay();
    expect(first.code, first.transcript).toBe(0);
    expect(batchTotal(first.lines, "accepted")).toBe(2);
    await deliveredAtLeast(edge, 2);

    await inTransaction(db, (tx) => tx.query("UPDATE customers SET tier = 'platinum', updated_at = clock_timestamp() WHERE id = 's-1'"));
    await inTransaction(db, (tx) => tx.query("UPDATE customers SET deleted_at = clock_timestamp(), updated_at = clock_timestamp() WHERE id = 's-2'"));
    const second = await relay();
    expect(second.code, second.transcript).toBe(0);
    // The watermark moved: rows already sent are not sent again.
    expect(batchTotal(second.lines, "sent")).toBe(2);
    expect(batchTotal(second.lines, "accepted")).toBe(2);

    const events = await deliveredAtLeast(edge, 4);
    expect(events).toHaveLength(4);
    const ada = ofSubject(events, "customer/s-1");
    expect(ada.map((e) => [Number(e.sequence), e.type])).toEqual([[1, "io.changecast.customer.updated"], [2, "io.changecast.customer.updated"]]);
    expect(ada[0]!.data.after).toMatchObject({ id: "s-1", name: "Ada", tier: "gold" });
    expect(ada[1]!.data.after).toMatchObject({ tier: "platinum" });
    expect(ada[1]!.data.changed).toContain("tier");
    const grace = ofSubject(events, "customer/s-2");
    expect(grace.map((e) => [Number(e.sequence), e.type])).toEqual([[1, "io.changecast.customer.updated"], [2, "io.changecast.customer.soft_deleted"]]);
    expect(grace[1]!.data.after.deleted_at).not.toBeNull();

    await db.end();
  });

  it("timestamp pages through rows sharing one updated_at, and rows a microsecond apart, without skipping or resending", async () => {
    // A watermark of updated_at alone (or of a millisecond Date) would skip or resend these.
    const { url, db } = await newDatabase("timestamp_ties");
    const edge = await newEdge("timestamp-ties");
    await db.query(CUSTOMERS);
    await inTransaction(db, async (tx) => {
      await tx.query("INSERT INTO customers (id, name, updated_at) SELECT 'tie-' || n, 'n' || n, now() FROM generate_series(1, 7) AS n");
      await tx.query("INSERT INTO customers (id, name, updated_at) VALUES ('us-1', 'a', '2026-01-01 00:00:00.000001+00'), ('us-2', 'b', '2026-01-01 00:00:00.000002+00')");
    });
    const relay = () => runRelay(["timestamp", ...connectionFlags(edge, url), "--table", "customers:customer", "--lag-ms", "0", "--batch-size", "3", "--once"]);
    const first = await relay();
    expect(first.code, first.transcript).toBe(0);
    expect(batchTotal(first.lines, "sent"), first.transcript).toBe(9);
    expect(batchTotal(first.lines, "accepted")).toBe(9);
    const again = await relay();
    expect(batchTotal(again.lines, "sent"), again.transcript).toBe(0);
    const events = await deliveredAtLeast(edge, 9);
    expect(new Set(events.map((e) => e.subject)).size).toBe(9);
    await db.end();
  });

  it("snapshot sends every row once as snapshotted events, across tables and composite keys", async () => {
    const { url, db } = await newDatabase("snapshot_mode");
    const edge = await newEdge("snapshot");
    await db.query(CUSTOMERS);
    await db.query("CREATE TABLE stock (store text, sku text, qty int NOT NULL, PRIMARY KEY (store, sku))");
    await db.query("INSERT INTO customers (id, name, tier) VALUES ('k-1', 'Ada', 'gold'), ('k-2', 'Grace', NULL), ('k-3', 'Edsger', 'bronze')");
    await db.query("INSERT INTO stock VALUES ('s1', 'apple', 3), ('s1', 'pear', 0)");

    const run = await runRelay(["snapshot", ...connectionFlags(edge, url), "--table", "customers:customer", "--table", "stock:inventory", "--batch-size", "2", "--once"]);
    expect(run.code, run.transcript).toBe(0);
    expect(batchTotal(run.lines, "accepted")).toBe(5);
    const progress = run.lines.filter((l) => l.event === "progress");
    expect(progress.some((l) => l.table.includes("customers") && l.done === 3 && l.total === 3)).toBe(true);

    const events = await deliveredAtLeast(edge, 5);
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(e.type).toMatch(/^io\.changecast\.(customer|inventory)\.snapshotted$/);
      expect(e.data.op).toBe("snapshot");
      expect(e.sequence).toBe("00000000000000000001");
    }
    expect(ofSubject(events, "customer/k-1")[0]!.data.after).toMatchObject({ id: "k-1", name: "Ada", tier: "gold" });
    expect(ofSubject(events, "customer/k-2")[0]!.data.after).toMatchObject({ tier: null });
    expect(ofSubject(events, "inventory/s1:pear")[0]!.data.after).toMatchObject({ store: "s1", sku: "pear", qty: 0 });

    // A completed run is not sent again; --restart begins a new run with new change ids.
    const again = await runRelay(["snapshot", ...connectionFlags(edge, url), "--table", "customers:customer", "--table", "stock:inventory", "--once"]);
    expect(again.code, again.transcript).toBe(0);
    expect(batchTotal(again.lines, "sent")).toBe(0);
    const restarted = await runRelay(["snapshot", ...connectionFlags(edge, url), "--table", "customers:customer", "--restart", "--once"]);
    expect(restarted.code, restarted.transcript).toBe(0);
    expect(batchTotal(restarted.lines, "accepted")).toBe(3);
    const later = ofSubject(await deliveredAtLeast(edge, 8), "customer/k-1");
    expect(later.map((e) => Number(e.sequence))).toEqual([1, 2]);
    await db.end();
  });
});
