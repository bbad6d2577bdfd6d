/**
 * A database of its own for each test file on the embedded cluster (relay/test/services.global-setup.ts),
 * so files never see each other's outbox, checkpoints, slots or publications.
 */
import pg from "pg";
import { inject } from "vitest";

let counter = 0;

/** Creates a fresh database and answers its URL and a connected client (close it with `end()`). */
export async function newDatabase(name: string): Promise<{ url: string; db: pg.Client }> {
  const database = `${name.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: inject("databaseUrl") });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  const url = new URL(inject("databaseUrl"));
  url.pathname = `/${database}`;
  const db = new pg.Client({ connectionString: url.href });
  await db.connect();
  return { url: url.href, db };
}

/** Runs `work` in one transaction on `db` (BEGIN … COMMIT, ROLLBACK on a throw). */
export async function inTransaction<T>(db: pg.Client, work: (db: pg.Client) => Promise<T>): Promise<T> {
  await db.query("BEGIN");
  try {
    const result = await work(db);
    await db.query("COMMIT");
    return result;
  } catch (err) {
    await db.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** A second connection to the same database (for concurrent transactions). */
export async function connect(url: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return db;
}

/**
 * Writes outbox rows directly, as an application would (the table `install` created):
 * `[recordType, recordId, op, after, before?]` each. Answers the new ids.
 */
export async function writeOutbox(db: pg.Client, rows: Array<[string, string, string, Record<string, unknown> | null, Record<string, unknown>?]>, table = "changecast_outbox"): Promise<string[]> {
  const ids: string[] = [];
  for (const [recordType, recordId, op, after, before] of rows) {
    const payload = { data: after ?? {}, ...(before ? { before } : {}) };
    const { rows: [row] } = await db.query(`INSERT INTO ${table} (aggregatetype, aggregateid, type, payload) VALUES ($1, $2, $3, $4) RETURNING id`, [recordType, recordId, op, payload]);
    ids.push(String(row.id));
  }
  return ids;
}
