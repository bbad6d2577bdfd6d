/**
 * Issue 6, requirement 4: logical mode confirms an LSN to PostgreSQL only after the edge
 * accepted the transaction, and a restarted relay resumes from there: rows inserted while it
 * was down arrive, nothing is lost, and what was acknowledged is not streamed again.
 */
import { afterEach, describe, expect, it } from "vitest";
import type pg from "pg";
import { adminCall, deliveredAtLeast, newEdge, waitFor } from "./edge";
import { inTransaction, newDatabase, writeOutbox } from "./postgres";
import { batchTotal, connectionFlags, runRelay, startRelay, type Relay } from "./relay-process";

const SLOT = "resume_slot";
const running: Relay[] = [];
afterEach(() => {
  for (const relay of running.splice(0)) relay.kill("SIGKILL");
});

/** pg_lsn arithmetic in the database: is the slot's confirmed_flush_lsn at or past `lsn`? */
async function confirmedPast(db: pg.Client, lsn: string): Promise<string | null> {
  const { rows: [row] } = await db.query("SELECT confirmed_flush_lsn::text AS lsn, confirmed_flush_lsn >= $2::pg_lsn AS past FROM pg_replication_slots WHERE slot_name = $1", [SLOT, lsn]);
  return row?.past ? row.lsn : null;
}

async function writeRows(db: pg.Client, from: number, to: number): Promise<string> {
  for (let i = from; i < to; i += 2) {
    await inTransaction(db, (tx) => writeOutbox(tx, [i, i + 1].filter((n) => n < to).map((n) => ["customer", `wal-${n}`, "insert", { n }] as [string, string, string, Record<string, unknown>])));
  }
  const { rows: [row] } = await db.query("SELECT pg_current_wal_lsn()::text AS lsn");
  return row.lsn;
}

describe("logical mode across restarts", () => {
  it("advances confirmed_flush_lsn after delivery and resumes from it after SIGTERM and after SIGKILL", async () => {
    const { url, db } = await newDatabase("logical_resume");
    const edge = await newEdge("logical-resume");
    const install = await runRelay(["install", "--database-url", url, "--logical", "--slot", SLOT]);
    expect(install.code, install.transcript).toBe(0);
    const { rows: [created] } = await db.query("SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1", [SLOT]);
    const flags = ["logical", ...connectionFlags(edge, url), "--slot", SLOT, "--status-interval-ms", "500"];

    // 1. Rows written while the relay runs arrive, and the slot confirms past them.
    const first = startRelay(flags);
    running.push(first);
    const lsn1 = await writeRows(db, 0, 6);
    await deliveredAtLeast(edge, 6);
    const confirmed1 = await waitFor("confirmed_flush_lsn past the first rows", () => confirmedPast(db, lsn1));
    expect(confirmed1).not.toBe(created.lsn);
    first.kill("SIGTERM");
    expect((await first.exited).code, first.transcript()).toBe(0);
    expect(batchTotal(first.lines, "accepted")).toBe(6);

    // 2. Rows written while it is down arrive after a restart; nothing acknowledged is resent.
    const lsn2 = await writeRows(db, 6, 10);
    const second = startRelay(flags);
    running.push(second);
    await deliveredAtLeast(edge, 10);
    await waitFor("confirmed_flush_lsn past the rows written while down", () => confirmedPast(db, lsn2));
    await second.waitForLine("the rows written while down accepted", () => batchTotal(second.lines, "accepted") === 4);
    expect(batchTotal(second.lines, "sent")).toBe(4);

    // 3. Killed outright (no chance to say goodbye): the next run still loses nothing.
    second.kill("SIGKILL");
    await second.exited;
    const lsn3 = await writeRows(db, 10, 14);
    const third = await runRelay([...flags, "--once"]);
    expect(third.code, third.transcript).toBe(0);
    expect(batchTotal(third.lines, "accepted")).toBe(4);
    expect(batchTotal(third.lines, "sent") - batchTotal(third.lines, "duplicate")).toBe(4);
    expect(await confirmedPast(db, lsn3)).not.toBeNull();

    const events = await deliveredAtLeast(edge, 14);
    expect(events).toHaveLength(14);
    expect(new Set(events.map((e) => e.subject)).size).toBe(14);
    for (const i of [0, 7, 13]) {
      const trail = await adminCall<{ items: unknown[] }>("GET", `/tenants/${edge.tenant}/records/customer/wal-${i}/audit`);
      expect(trail.items).toHaveLength(1);
    }
    await db.query("SELECT pg_drop_replication_slot($1)", [SLOT]);
    await db.end();
  });
});
