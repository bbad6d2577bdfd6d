/**
 * Issue 6, requirement 7: bad configuration exits 2 with a message naming the flag (before
 * touching the database or the edge), and `install` run twice is a no-op the second time.
 */
import { describe, expect, it } from "vitest";
import type pg from "pg";
import { newDatabase } from "./postgres";
import { runRelay } from "./relay-process";

const DB = "postgres://nobody:nothing@127.0.0.1:1/none";
const SINK = ["--database-url", DB, "--ingest-url", "http://127.0.0.1:1", "--location-key", "loc_abc"];

describe("bad configuration", () => {
  it.each([
    ["a missing location key", "--location-key", ["poll", "--database-url", DB, "--ingest-url", "http://127.0.0.1:1"]],
    ["a missing database URL", "--database-url", ["poll", "--ingest-url", "http://127.0.0.1:1", "--location-key", "loc_abc"]],
    ["a batch size over 500", "--batch-size", ["poll", ...SINK, "--batch-size", "501"]],
    ["a batch size of zero", "--batch-size", ["notify", ...SINK, "--batch-size", "0"]],
    ["a poll interval that is not a number", "--poll-interval-ms", ["poll", ...SINK, "--poll-interval-ms", "soon"]],
    ["an ingest URL that is not http(s)", "--ingest-url", ["poll", "--database-url", DB, "--ingest-url", "ftp://edge", "--location-key", "loc_abc"]],
    ["a database URL that is not postgres://", "--database-url", ["poll", "--database-url", "mysql://x", "--ingest-url", "http://127.0.0.1:1", "--location-key", "loc_abc"]],
    ["timestamp without --table", "--table", ["timestamp", ...SINK]],
    ["a record type with a dash", "--table", ["snapshot", ...SINK, "--table", "items:bad-type"]],
    ["a slot name with capitals", "--slot", ["logical", ...SINK, "--slot", "Bad"]],
    ["an unknown flag", "--bogus", ["poll", ...SINK, "--bogus", "1"]],
  ])("%s exits 2 naming %s", async (_, flag, args) => {
    const run = await runRelay(args, { CHANGECAST_DATABASE_URL: "", DATABASE_URL: "", CHANGECAST_INGEST_URL: "", CHANGECAST_LOCATION_KEY: "" });
    expect(run.code, run.transcript).toBe(2);
    expect(run.transcript).toContain(flag);
    // Refused before running: nothing was sent, no batch or retry was attempted.
    expect(run.lines.filter((l) => ["batch", "retry"].includes(l.event))).toEqual([]);
  });

  it("an unknown command exits 2", async () => {
    const run = await runRelay(["replicate", ...SINK]);
    expect(run.code, run.transcript).toBe(2);
    expect(run.transcript).toContain("replicate");
  });

  it("takes the connection from the environment when the flags are absent", async () => {
    // A valid configuration against a closed port: past validation (not 2), a runtime failure (1).
    const run = await runRelay(["poll", "--once"], { CHANGECAST_DATABASE_URL: DB, CHANGECAST_INGEST_URL: "http://127.0.0.1:1", CHANGECAST_LOCATION_KEY: "loc_abc" });
    expect(run.code, run.transcript).toBe(1);
  });
});

/** Everything install can create, as text: tables and columns, triggers, functions, publications, slots. */
async function catalog(db: pg.Client): Promise<string> {
  // One after another: a pg client runs one query at a time.
  const queries = [
    "SELECT table_name, column_name, data_type, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
    "SELECT tgrelid::regclass::text AS rel, tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2",
    "SELECT p.proname, md5(pg_get_functiondef(p.oid)) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' ORDER BY 1",
    "SELECT indexrelid::regclass::text AS idx FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
    "SELECT pubname, puballtables, pubinsert, pubupdate, pubdelete FROM pg_publication ORDER BY 1",
    "SELECT slot_name, plugin, restart_lsn::text FROM pg_replication_slots WHERE database = current_database() ORDER BY 1",
    "SELECT count(*)::int AS rows FROM changecast_outbox",
  ];
  const parts = [];
  for (const sql of queries) parts.push(await db.query(sql));
  return JSON.stringify(parts.map((p) => p.rows), null, 1);
}

describe("install", () => {
  it("creates the outbox and its companions, and a second run changes nothing", async () => {
    const { url, db } = await newDatabase("install_twice");
    await db.query("CREATE TABLE customers (id text PRIMARY KEY, name text, deleted_at timestamptz)");
    const args = ["install", "--database-url", url, "--trigger-table", "customers:customer", "--soft-delete-column", "deleted_at", "--logical", "--slot", "install_slot"];

    const first = await runRelay(args);
    expect(first.code, first.transcript).toBe(0);
    const { rows: tables } = await db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["changecast_outbox", "changecast_relay_checkpoint", "customers"]));
    const { rows: columns } = await db.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'changecast_outbox' ORDER BY ordinal_position");
    expect(Object.fromEntries(columns.map((c) => [c.column_name, c.data_type]))).toMatchObject({
      id: "bigint", aggregatetype: "text", aggregateid: "text", type: "text", payload: "jsonb", occurred_at: "timestamp with time zone", txid: "xid8",
    });
    await db.query("INSERT INTO customers VALUES ('i-1', 'Ada', NULL)");
    const before = await catalog(db);

    const second = await runRelay(args);
    expect(second.code, second.transcript).toBe(0);
    expect(await catalog(db)).toBe(before);
    // Exactly one capture per write: a doubled trigger would write two outbox rows.
    await db.query("UPDATE customers SET name = 'Ada L' WHERE id = 'i-1'");
    const { rows: [count] } = await db.query("SELECT count(*)::int AS n FROM changecast_outbox");
    expect(count.n).toBe(2);
    await db.query("SELECT pg_drop_replication_slot('install_slot')");
    await db.end();
  });
});
