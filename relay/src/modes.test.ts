/**
 * The reading modes against a real PostgreSQL and a stand-in edge on 127.0.0.1, in-process
 * (the CLI as a child process, with the real Worker, is covered by relay/test/).
 */
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseCli } from "./config.ts";
import type { LogEvent } from "./log.ts";
import { runCommand } from "./run.ts";
import { startFakeEdge, startPostgres, type FakeEdge, type TestPostgres } from "./test-support.ts";

let postgres: TestPostgres;
let edge: FakeEdge;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(() => postgres?.stop());
// Each database's outbox ids start at 1, so each test gets an edge of its own (as a location would).
beforeEach(async () => {
  edge = await startFakeEdge();
});
afterEach(() => edge.close());

type Run = { events: LogEvent[]; done: Promise<void>; stop: () => void };

function start(url: string, args: string[]): Run {
  const [command, ...flags] = args;
  const parsed = parseCli([command!, "--database-url", url, "--ingest-url", edge.url, "--location-key", "loc_test", "--status-interval-ms", "0", ...flags], {});
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  const events: LogEvent[] = [];
  const controller = new AbortController();
  return { events, done: runCommand(parsed.config, { log: (e) => events.push(e) }, controller.signal), stop: () => controller.abort() };
}

async function once(url: string, ...args: string[]): Promise<LogEvent[]> {
  const run = start(url, [...args, "--once"]);
  await run.done;
  return run.events;
}

async function waitUntil<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sent = (events: LogEvent[]) => events.reduce((n, e) => n + (e.event === "batch" ? e.sent : 0), 0);

async function insertOutbox(db: pg.Client, recordId: string, op = "insert", payload: object = { data: { name: recordId } }) {
  await db.query("insert into changecast_outbox (aggregatetype, aggregateid, type, payload) values ('customer', $1, $2, $3)", [recordId, op, payload]);
}

async function install(url: string, ...flags: string[]) {
  const parsed = parseCli(["install", "--database-url", url, ...flags], {});
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  await runCommand(parsed.config, { log: () => {} }, new AbortController().signal);
}

describe("poll", () => {
  it("sends the outbox in batches, checkpoints, and sends nothing twice", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    // 12 rows in one transaction: ids cross from one digit to two, so rows sorted as text
    // ("10" < "9") would go out of order and the cursor would skip or repeat them.
    await db.query("begin");
    for (let i = 1; i <= 12; i++) await insertOutbox(db, `p1-${i}`);
    await db.query("commit");
    const events = await once(url, "poll", "--batch-size", "5");
    expect(events.filter((e) => e.event === "batch").map((e) => (e.event === "batch" ? e.sent : 0))).toEqual([5, 5, 2]);
    expect(events.at(-1)).toEqual({ event: "caught_up" });
    const mine = edge.received.filter((c) => c.recordId.startsWith("p1-"));
    expect(mine.map((c) => c.recordId)).toEqual(Array.from({ length: 12 }, (_, i) => `p1-${i + 1}`));
    expect(mine[0]).toMatchObject({ id: expect.stringMatching(/^outbox:\d+$/), op: "insert", data: { name: "p1-1" }, source: { kind: "outbox", txId: expect.any(String), position: expect.any(String) } });
    const { rows } = await db.query("select name, mode, position from changecast_relay_checkpoint");
    expect(rows).toEqual([{ name: "poll", mode: "poll", position: { txid: mine[11]!.source.txId, id: mine[11]!.source.position } }]);
    expect(sent(await once(url, "poll"))).toBe(0);
  });

  it("never skips a transaction that commits after a later one (txid < xmin)", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    const early = new pg.Client({ connectionString: url });
    await early.connect();
    await early.query("begin");
    await insertOutbox(early, "late-commit"); // takes its txid and id first…
    await insertOutbox(db, "early-commit"); // …this one commits first
    expect(sent(await once(url, "poll"))).toBe(0); // held back while the older transaction runs
    await early.query("commit");
    await early.end();
    await once(url, "poll");
    const order = edge.received.filter((c) => c.recordId.endsWith("-commit")).map((c) => c.recordId);
    expect(order).toEqual(["late-commit", "early-commit"]);
  });

  it("stores a rejected change, warns, and moves on", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    await insertOutbox(db, "rj-1");
    await insertOutbox(db, "rj-2");
    const { rows: [bad] } = await db.query("select id from changecast_outbox where aggregateid = 'rj-1'");
    edge.rejectIds.add(`outbox:${bad.id}`);
    const events = await once(url, "poll");
    expect(events).toContainEqual(expect.objectContaining({ event: "warn", code: "rejected", id: `outbox:${bad.id}` }));
    expect(events).toContainEqual(expect.objectContaining({ event: "batch", sent: 2, accepted: 1, rejected: 1 }));
    const { rows } = await db.query("select change_id, change->>'recordId' as record, error from changecast_relay_rejected");
    expect(rows).toEqual([{ change_id: `outbox:${bad.id}`, record: "rj-1", error: { field: "changes[0].op", reason: "test rejection" } }]);
  });

  it("retries a 503 and then sends", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    await insertOutbox(db, "retry-1");
    edge.failNext.push(503);
    const events = await once(url, "poll");
    expect(events).toContainEqual(expect.objectContaining({ event: "retry", status: 503, attempt: 1 }));
    expect(edge.received.map((c) => c.recordId)).toContain("retry-1");
  });

  it("notify wakes on a commit long before the poll interval", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    const run = start(url, ["notify", "--poll-interval-ms", "60000"]);
    await waitUntil("the listener", () => run.events.some((e) => e.event === "start"));
    await new Promise((r) => setTimeout(r, 300));
    const at = Date.now();
    await insertOutbox(db, "woken-1");
    await waitUntil("the woken send", () => edge.received.some((c) => c.recordId === "woken-1"), 5000);
    expect(Date.now() - at).toBeLessThan(3000);
    run.stop();
    await run.done;
  });
});

describe("timestamp", () => {
  it("sends rows after the watermark as update or soft_delete, and a later update again", async () => {
    const { url, db } = await postgres.newDatabase();
    await db.query("create table items (sku text primary key, qty int, updated_at timestamptz not null default now(), removed_at timestamptz)");
    await db.query("insert into items values ('ts-a', 1, now() - interval '1 minute', null), ('ts-b', 2, now() - interval '1 minute', now())");
    await db.query("insert into items values ('ts-c', 3, now() + interval '1 hour', null)"); // inside the lag window: not yet
    const events = await once(url, "timestamp", "--table", "items:item", "--soft-delete-column", "removed_at", "--lag-ms", "1000");
    expect(sent(events)).toBe(2);
    const got = edge.received.filter((c) => c.recordId.startsWith("ts-"));
    expect(got.map((c) => [c.recordId, c.op, c.recordType, c.source.kind])).toEqual([["ts-a", "update", "item", "timestamp"], ["ts-b", "soft_delete", "item", "timestamp"]]);
    expect(got[0]!.id).toMatch(/^ts:items:ts-a:\d{16}$/);
    expect(sent(await once(url, "timestamp", "--table", "items:item", "--soft-delete-column", "removed_at"))).toBe(0);
    await db.query("update items set qty = 5, updated_at = now() - interval '10 seconds' where sku = 'ts-a'");
    expect(sent(await once(url, "timestamp", "--table", "items:item", "--soft-delete-column", "removed_at"))).toBe(1);
    const again = edge.received.filter((c) => c.recordId === "ts-a");
    expect(again).toHaveLength(2);
    expect(again[1]!.id).not.toBe(again[0]!.id);
  });
});

describe("snapshot", () => {
  it("resumes a stopped run with the same ids, records completion, and --restart starts over", async () => {
    const { url, db } = await postgres.newDatabase();
    await db.query("create table stores (region text, no int, name text, primary key (region, no))");
    await db.query("insert into stores select 'eu', g, 'store ' || g from generate_series(1, 7) g");
    edge.delayMs = 200; // slow enough to stop it after the first batch
    const first = start(url, ["snapshot", "--table", "stores:store", "--batch-size", "2", "--json"]);
    await waitUntil("a first batch", () => first.events.some((e) => e.event === "batch"));
    first.stop();
    await first.done;
    const firstIds = edge.received.filter((c) => c.recordType === "store").map((c) => c.id);
    expect(firstIds.length).toBeGreaterThan(0);
    expect(firstIds.length).toBeLessThan(7);
    const runId = firstIds[0]!.split(":")[1]!;
    expect(firstIds[0]).toBe(`snapshot:${runId}:stores:eu:1`);

    edge.delayMs = 0;
    const second = await once(url, "snapshot", "--table", "stores:store", "--batch-size", "2", "--json");
    const all = edge.received.filter((c) => c.recordType === "store");
    expect(new Set(all.map((c) => c.recordId))).toEqual(new Set(Array.from({ length: 7 }, (_, i) => `eu:${i + 1}`)));
    expect(all.every((c) => c.id.startsWith(`snapshot:${runId}:`) && c.op === "snapshot" && c.source.kind === "snapshot")).toBe(true);
    expect(second.filter((e) => e.event === "progress").at(-1)).toMatchObject({ table: "stores", done: 7, total: 7, etaSeconds: 0 });

    const third = await once(url, "snapshot", "--table", "stores:store");
    expect(sent(third)).toBe(0);
    expect(third).toContainEqual(expect.objectContaining({ event: "info", complete: true, runId }));

    await once(url, "snapshot", "--table", "stores:store", "--restart");
    const restarted = edge.received.filter((c) => c.recordType === "store" && !c.id.startsWith(`snapshot:${runId}:`));
    expect(restarted).toHaveLength(7);
  });
});

describe("logical", () => {
  it("streams outbox inserts, splits a big transaction, confirms the slot, and resumes after it", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url, "--logical", "--slot", "unit_slot");
    await db.query("begin");
    for (let i = 1; i <= 5; i++) await insertOutbox(db, `lg-${i}`);
    await db.query("commit");
    await insertOutbox(db, "lg-6");
    const events = await once(url, "logical", "--slot", "unit_slot", "--batch-size", "2");
    expect(events.at(-1)).toEqual({ event: "caught_up" });
    const got = edge.received.filter((c) => c.recordId.startsWith("lg-"));
    expect(got.map((c) => c.recordId)).toEqual(["lg-1", "lg-2", "lg-3", "lg-4", "lg-5", "lg-6"]);
    expect(got[0]).toMatchObject({ id: expect.stringMatching(/^outbox:\d+$/), source: { kind: "outbox", position: expect.stringMatching(/^[0-9A-F]+\/[0-9A-F]+$/) } });
    expect(events.filter((e) => e.event === "batch").every((e) => e.event === "batch" && e.sent <= 2)).toBe(true);
    const { rows: [slot] } = await db.query("select confirmed_flush_lsn > '0/0' as moved from pg_replication_slots where slot_name = 'unit_slot'");
    expect(slot.moved).toBe(true);

    await insertOutbox(db, "lg-7");
    const next = await once(url, "logical", "--slot", "unit_slot");
    expect(sent(next)).toBe(1);
    expect(edge.received.filter((c) => c.recordId.startsWith("lg-")).map((c) => c.recordId).at(-1)).toBe("lg-7");
    await db.query("select pg_drop_replication_slot('unit_slot')");
  });

  it("warns about retained WAL, and confirms keepalives when idle so unrelated WAL is released", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url, "--logical", "--slot", "wal_slot");
    await db.query("create table noise as select g, repeat('x', 500) as pad from generate_series(1, 6000) g"); // ~4 MB of WAL, none of it outbox
    const { rows: [before] } = await db.query("select pg_current_wal_lsn()::text as lsn");
    const events = await once(url, "logical", "--slot", "wal_slot", "--max-retained-wal-mb", "1");
    expect(events).toContainEqual(expect.objectContaining({ event: "warn", code: "wal_retained", slot: "wal_slot" }));
    expect(sent(events)).toBe(0);
    const { rows: [slot] } = await db.query("select confirmed_flush_lsn >= $1::pg_lsn as released from pg_replication_slots where slot_name = 'wal_slot'", [before.lsn]);
    expect(slot.released).toBe(true);
    await db.query("select pg_drop_replication_slot('wal_slot')");
  });
});
