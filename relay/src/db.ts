/**
 * PostgreSQL access shared by the modes: connections with fixed session settings, the
 * catalog look-ups and the relay's own tables (checkpoint, rejected).
 */
import pg from "pg";
import { qualifiedSql, type QualifiedName } from "./identifiers.ts";
import { CHECKPOINT_TABLE, REJECTED_TABLE, relayTable, relayTablesSql } from "./install-sql.ts";
import type { Rejection } from "./sender.ts";

export type Db = pg.Client;

/**
 * UTC and ISO dates so timestamps read as text (timestamp watermarks) are exact and the
 * same on every run, whatever the server's defaults.
 */
export async function connect(databaseUrl: string, extra: Partial<pg.ClientConfig> = {}): Promise<Db> {
  const db = new pg.Client({ connectionString: databaseUrl, application_name: "changecast-relay", ...extra });
  await db.connect();
  await db.query("set timezone = 'UTC'; set datestyle = 'ISO, YMD'");
  return db;
}

export class UserFacingError extends Error {
  override name = "UserFacingError";
}

/** Primary key columns in key order, or an error naming the table. */
export async function primaryKeyColumns(db: Db, table: QualifiedName): Promise<string[]> {
  const { rows } = await db.query<{ oid: string | null }>("select to_regclass($1)::oid::text as oid", [qualifiedSql(table)]);
  if (!rows[0]?.oid) throw new UserFacingError(`table ${qualifiedSql(table)} does not exist`);
  const keys = await db.query<{ attname: string }>(
    `select a.attname from pg_index i
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
      where i.indrelid = $1::oid and i.indisprimary
      order by array_position(i.indkey::int2[], a.attnum)`,
    [rows[0].oid],
  );
  if (keys.rows.length === 0) throw new UserFacingError(`table ${qualifiedSql(table)} has no primary key (the record id is made of it)`);
  return keys.rows.map((r) => r.attname);
}

export async function columnExists(db: Db, table: QualifiedName, column: string): Promise<boolean> {
  const { rows } = await db.query(
    "select 1 from pg_attribute where attrelid = to_regclass($1) and attname = $2 and attnum > 0 and not attisdropped",
    [qualifiedSql(table), column],
  );
  return rows.length > 0;
}

export async function ensureRelayTables(db: Db, outbox: QualifiedName): Promise<void> {
  for (const sql of relayTablesSql(outbox)) await db.query(sql);
}

export type Checkpoint<P> = { mode: string; position: P };

export async function readCheckpoint<P>(db: Db, outbox: QualifiedName, name: string): Promise<Checkpoint<P> | null> {
  const { rows } = await db.query<{ mode: string; position: P }>(`select mode, position from ${qualifiedSql(relayTable(outbox, CHECKPOINT_TABLE))} where name = $1`, [name]);
  return rows[0] ?? null;
}

/** A single statement of its own: the checkpoint moves only after the edge accepted a batch. */
export async function writeCheckpoint(db: Db, outbox: QualifiedName, name: string, mode: string, position: unknown): Promise<void> {
  await db.query(
    `insert into ${qualifiedSql(relayTable(outbox, CHECKPOINT_TABLE))} (name, mode, position, updated_at) values ($1, $2, $3, now())
     on conflict (name) do update set mode = excluded.mode, position = excluded.position, updated_at = now()`,
    [name, mode, JSON.stringify(position)],
  );
}

/** Rejected items are kept for an operator to fix and resend; a later rejection overwrites. */
export async function storeRejected(db: Db, outbox: QualifiedName, rejected: readonly Rejection[]): Promise<void> {
  if (rejected.length === 0) return;
  await db.query(
    `insert into ${qualifiedSql(relayTable(outbox, REJECTED_TABLE))} (change_id, change, error, rejected_at)
     select r.change->>'id', r.change, r.error, now() from jsonb_to_recordset($1::jsonb) as r(change jsonb, error jsonb)
     on conflict (change_id) do update set change = excluded.change, error = excluded.error, rejected_at = now()`,
    [JSON.stringify(rejected.map((r) => ({ change: r.change, error: r.error ?? null })))],
  );
}
