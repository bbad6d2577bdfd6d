/** install against a real PostgreSQL: idempotent, and capture triggers write the outbox in the same transaction. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCli, type InstallConfig } from "./config.ts";
import type { LogEvent } from "./log.ts";
import { runCommand } from "./run.ts";
import { startPostgres, type TestPostgres } from "./test-support.ts";

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(() => postgres?.stop());

async function install(url: string, ...flags: string[]): Promise<LogEvent[]> {
  const parsed = parseCli(["install", "--database-url", url, ...flags], {});
  if (parsed.kind !== "run") throw new Error(JSON.stringify(parsed));
  const events: LogEvent[] = [];
  await runCommand(parsed.config as InstallConfig, { log: (e) => events.push(e) }, new AbortController().signal);
  return events;
}

/** Everything install creates, as text, to compare before and after a second run. */
async function catalog(db: import("pg").Client): Promise<string> {
  const { rows } = await db.query(`
    select string_agg(x, E'\\n' order by x) as all from (
      select 'table ' || table_schema || '.' || table_name || '(' || string_agg(column_name || ' ' || data_type || ' ' || coalesce(column_default, ''), ', ' order by ordinal_position) || ')' as x
        from information_schema.columns where table_schema not in ('pg_catalog', 'information_schema') group by table_schema, table_name
      union all select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname not in ('pg_catalog')
      union all select 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
      union all select 'function ' || proname || ' ' || md5(prosrc) from pg_proc where pronamespace::regnamespace::text not in ('pg_catalog', 'information_schema')
      union all select 'publication ' || pubname from pg_publication
      union all select 'slot ' || slot_name || ' ' || plugin from pg_replication_slots) s`);
  return rows[0].all;
}

describe("install", () => {
  it("is idempotent: a second run (with triggers, logical and a schema-qualified outbox) changes nothing", async () => {
    const { url, db } = await postgres.newDatabase();
    await db.query("create table customers (id bigint primary key, name text, deleted_at timestamptz)");
    const flags = ["--outbox-table", "app.changecast_outbox", "--trigger-table", "customers:customer", "--soft-delete-column", "deleted_at", "--logical", "--slot", "idem_slot"];
    await install(url, ...flags);
    const first = await catalog(db);
    expect(first).toContain("table app.changecast_outbox(id bigint , aggregatetype text , aggregateid text , type text , payload jsonb '{}'::jsonb, occurred_at timestamp with time zone now(), txid xid8 pg_current_xact_id())");
    expect(first).toContain("table app.changecast_relay_checkpoint");
    expect(first).toContain("table app.changecast_relay_rejected");
    expect(first).toMatch(/index changecast_outbox_txid_id .*\(txid, id\)/);
    expect(first).toContain("trigger changecast_notify CREATE TRIGGER changecast_notify AFTER INSERT ON app.changecast_outbox FOR EACH STATEMENT");
    expect(first).toContain("publication changecast_outbox");
    expect(first).toContain("slot idem_slot pgoutput");
    await install(url, ...flags);
    expect(await catalog(db)).toBe(first);
    await db.query("select pg_drop_replication_slot('idem_slot')");
  });

  it("the NOTIFY trigger wakes listeners of the outbox's channel", async () => {
    const { url, db } = await postgres.newDatabase();
    await install(url);
    await db.query("listen changecast_outbox");
    const heard = new Promise<string>((resolve) => db.once("notification", (n) => resolve(n.channel)));
    await db.query("insert into changecast_outbox (aggregatetype, aggregateid, type, payload) values ('customer', 'c-1', 'insert', '{\"data\":{}}')");
    expect(await heard).toBe("changecast_outbox");
  });

  it("capture triggers write insert, update, soft_delete, restore, rekey and delete rows in the writing transaction", async () => {
    const { url, db } = await postgres.newDatabase();
    await db.query("create table orders (shop text, no int, total int, deleted_at timestamptz, primary key (shop, no))");
    await install(url, "--trigger-table", "orders:order", "--soft-delete-column", "deleted_at");
    await db.query("begin");
    await db.query("insert into orders values ('s1', 1, 10, null)");
    const { rows: inTx } = await db.query("select txid = pg_current_xact_id() as same from changecast_outbox");
    expect(inTx).toEqual([{ same: true }]); // same transaction as the write
    await db.query("rollback");
    expect((await db.query("select count(*)::int as n from changecast_outbox")).rows[0].n).toBe(0); // rolled back together

    await db.query("insert into orders values ('s1', 1, 10, null)");
    await db.query("update orders set total = 11");
    await db.query("update orders set total = 11"); // no change: no row
    await db.query("update orders set deleted_at = now()");
    await db.query("update orders set deleted_at = null");
    await db.query("update orders set no = 2");
    await db.query("delete from orders");
    const { rows } = await db.query("select aggregatetype, aggregateid, type, payload from changecast_outbox order by id");
    expect(rows.map((r) => [r.aggregatetype, r.aggregateid, r.type])).toEqual([
      ["order", "s1:1", "insert"],
      ["order", "s1:1", "update"],
      ["order", "s1:1", "soft_delete"],
      ["order", "s1:1", "restore"],
      ["order", "s1:1", "rekey"],
      ["order", "s1:2", "delete"],
    ]);
    expect(rows[0].payload).toEqual({ data: { shop: "s1", no: 1, total: 10, deleted_at: null }, _capture: "trigger" });
    expect(rows[1].payload.before).toMatchObject({ total: 10 });
    expect(rows[1].payload.data).toMatchObject({ total: 11 });
    expect(rows[4].payload).toMatchObject({ newRecordId: "s1:2", data: { no: 2 }, before: { no: 1 } });
    expect(rows[5].payload).toMatchObject({ data: {}, before: { shop: "s1", no: 2 }, _capture: "trigger" });
  });

  it("names a table without a primary key", async () => {
    const { url, db } = await postgres.newDatabase();
    await db.query("create table nokey (a int)");
    await expect(install(url, "--trigger-table", "nokey")).rejects.toThrow(/"nokey" has no primary key/);
  });
});
