/**
 * Issue 6, requirement 1 for the modes that read the outbox (poll, notify, logical) and for
 * trigger capture (install --trigger-table): inserts, updates and deletes made in transactions
 * in a real PostgreSQL reach a real webhook receiver through the relay CLI and the Worker, as
 * the right events, signed, in per-record sequence order.
 */
import { afterEach, describe, expect, it } from "vitest";
import { deliveredAtLeast, newEdge, ofSubject, waitFor } from "./edge";
import { inTransaction, newDatabase, writeOutbox } from "./postgres";
import { batchTotal, connectionFlags, runRelay, startRelay, type Relay } from "./relay-process";
import { expectOutboxStory, OUTBOX_STORY_EVENTS, writeOutboxStory } from "./scenario";

const running: Relay[] = [];
afterEach(() => {
  for (const relay of running.splice(0)) relay.kill("SIGKILL");
});

async function install(url: string, ...flags: string[]): Promise<void> {
  const done = await runRelay(["install", "--database-url", url, ...flags]);
  expect(done.code, done.transcript).toBe(0);
}

describe("outbox modes deliver transactions end to end", () => {
  it("poll --once sends the outbox and exits 0 once caught up", async () => {
    const { url, db } = await newDatabase("poll_mode");
    const edge = await newEdge("poll");
    await install(url);
    await writeOutboxStory(db, "p");

    const run = await runRelay(["poll", ...connectionFlags(edge, url), "--once", "--batch-size", "2"]);
    expect(run.code, run.transcript).toBe(0);
    expect(batchTotal(run.lines, "accepted")).toBe(OUTBOX_STORY_EVENTS);
    expect(run.lines.some((l) => l.event === "caught_up")).toBe(true);
    expectOutboxStory(await deliveredAtLeast(edge, OUTBOX_STORY_EVENTS), "p");

    // Caught up means the checkpoint moved: a second run has nothing to send.
    const again = await runRelay(["poll", ...connectionFlags(edge, url), "--once"]);
    expect(again.code, again.transcript).toBe(0);
    expect(batchTotal(again.lines, "sent")).toBe(0);
    await db.end();
  });

  it("a change the edge rejects is stored in changecast_relay_rejected and the rest of the batch still goes through", async () => {
    const { url, db } = await newDatabase("poll_rejected");
    const edge = await newEdge("rejected");
    await install(url);
    await inTransaction(db, (tx) => writeOutbox(tx, [
      ["customer", "rj-1", "insert", { name: "fine" }],
      ["customer", "rj-2", "upsert", { name: "no such op" }],
      ["customer", "rj-3", "insert", { name: "also fine" }],
    ]));

    const run = await runRelay(["poll", ...connectionFlags(edge, url), "--once"]);
    expect(run.code, run.transcript).toBe(0);
    expect(batchTotal(run.lines, "accepted")).toBe(2);
    expect(batchTotal(run.lines, "rejected")).toBe(1);
    expect(run.lines.some((l) => l.event === "warn" && l.code === "rejected")).toBe(true);
    const { rows } = await db.query("SELECT change_id, error FROM changecast_relay_rejected");
    expect(rows).toHaveLength(1);
    expect(rows[0].change_id).toMatch(/^outbox:\d+$/);
    expect(JSON.stringify(rows[0].error)).toContain("op");

    const events = await deliveredAtLeast(edge, 2);
    expect(events.map((e) => e.subject).sort()).toEqual(["customer/rj-1", "customer/rj-3"]);
    // Not retried: the checkpoint moved past it.
    const again = await runRelay(["poll", ...connectionFlags(edge, url), "--once"]);
    expect(batchTotal(again.lines, "sent")).toBe(0);
    await db.end();
  });

  it("notify wakes on commit (polling every 10 min) and stops cleanly on SIGTERM", async () => {
    const { url, db } = await newDatabase("notify_mode");
    const edge = await newEdge("notify");
    await install(url);
    const relay = startRelay(["notify", ...connectionFlags(edge, url), "--poll-interval-ms", "600000"]);
    running.push(relay);
    // Rows written once its LISTEN is in place can only be read this soon because of a NOTIFY.
    await waitFor("the relay's LISTEN", async () => (await db.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen %'")).rowCount);

    await writeOutboxStory(db, "n");
    // Without the NOTIFY wake-up nothing would be read for 10 minutes.
    expectOutboxStory(await deliveredAtLeast(edge, OUTBOX_STORY_EVENTS), "n");

    relay.kill("SIGTERM");
    expect((await relay.exited).code, relay.transcript()).toBe(0);
    expect(relay.lines.some((l) => l.event === "stopped" && l.signal === "SIGTERM")).toBe(true);
    expect(batchTotal(relay.lines, "accepted")).toBe(OUTBOX_STORY_EVENTS);
    await db.end();
  });

  it("logical streams outbox inserts from a replication slot", async () => {
    const { url, db } = await newDatabase("logical_mode");
    const edge = await newEdge("logical");
    await install(url, "--logical", "--slot", "story_slot");
    await writeOutboxStory(db, "l");

    const run = await runRelay(["logical", ...connectionFlags(edge, url), "--slot", "story_slot", "--once"]);
    expect(run.code, run.transcript).toBe(0);
    expect(batchTotal(run.lines, "accepted")).toBe(OUTBOX_STORY_EVENTS);
    expectOutboxStory(await deliveredAtLeast(edge, OUTBOX_STORY_EVENTS), "l");
    // The relay must not keep the slot active after it exits, or a restart could not attach.
    const { rows: [slot] } = await db.query("SELECT active FROM pg_replication_slots WHERE slot_name = 'story_slot'");
    expect(slot.active).toBe(false);
    await db.query("SELECT pg_drop_replication_slot('story_slot')");
    await db.end();
  });

  it("install --trigger-table captures insert, update, soft delete, restore and delete in the same transaction", async () => {
    const { url, db } = await newDatabase("trigger_mode");
    const edge = await newEdge("trigger");
    await db.query("CREATE TABLE customers (id text PRIMARY KEY, name text NOT NULL, email text, deleted_at timestamptz)");
    await install(url, "--trigger-table", "customers:customer", "--soft-delete-column", "deleted_at");

    await inTransaction(db, async (tx) => {
      await tx.query("INSERT INTO customers (id, name, email) VALUES ('t-1', 'Ada', 'ada@example.com'), ('t-2', 'Grace', 'grace@example.com')");
      await tx.query("UPDATE customers SET email = 'ada@lovelace.example' WHERE id = 't-1'");
    });
    await db.query("UPDATE customers SET deleted_at = now() WHERE id = 't-1'");
    await db.query("UPDATE customers SET deleted_at = NULL WHERE id = 't-1'");
    await db.query("DELETE FROM customers WHERE id = 't-2'");
    // A rolled-back transaction's capture rolls back with it: nothing of it may arrive.
    await db.query("BEGIN");
    await db.query("INSERT INTO customers (id, name) VALUES ('t-3', 'Ghost')");
    await db.query("ROLLBACK");

    const run = await runRelay(["poll", ...connectionFlags(edge, url), "--once"]);
    expect(run.code, run.transcript).toBe(0);
    const events = await deliveredAtLeast(edge, 6);
    expect(events).toHaveLength(6);

    const first = ofSubject(events, "customer/t-1");
    expect(first.map((e) => e.type)).toEqual([
      "io.changecast.customer.created", "io.changecast.customer.updated",
      "io.changecast.customer.soft_deleted", "io.changecast.customer.restored",
    ]);
    expect(first.map((e) => Number(e.sequence))).toEqual([1, 2, 3, 4]);
    expect(first[0]!.data.after).toMatchObject({ id: "t-1", name: "Ada", email: "ada@example.com", deleted_at: null });
    expect(first[1]!.data.after).toMatchObject({ email: "ada@lovelace.example" });
    expect(first[1]!.data.changed).toContain("email");
    expect(first[2]!.data.after.deleted_at).not.toBeNull();
    expect(first[3]!.data.after).toMatchObject({ deleted_at: null });

    const second = ofSubject(events, "customer/t-2");
    expect(second.map((e) => [Number(e.sequence), e.type])).toEqual([[1, "io.changecast.customer.created"], [2, "io.changecast.customer.deleted"]]);
    expect(events.some((e) => e.subject === "customer/t-3")).toBe(false);
    await db.end();
  });
});
