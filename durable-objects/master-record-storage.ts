/**
 * The master-record object's SQLite schema and every statement it runs (docs/storage.md).
 * Per accepted change: one dedupe row and one audit_log row, which also carries the record's
 * state after that change; per shipped batch: one meta row (state, outbox cursors, FIFO).
 * The state riding on the audit row is what lets `apply` commit without writing meta: the
 * meta row is written once per batch, after shipping, instead of before and after.
 */
import type { AuditEntry } from "../shared/audit/entry";
import type { Disposition } from "../shared/record/fifo";
import { initialRecordState, type RecordState } from "../shared/record/state";
import type { Region } from "./record-address";

export type RecordIdentity = { tenant: string; region: Region; typePrefix: string; recordType: string; recordId: string };

/** An accepted change as the batch's transaction stores it: the entry, its stored text, the state after it. */
export type AcceptedChange = { changeId: string; entry: AuditEntry; text: string; state: RecordState };

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
const rowsOf = (rows: number, columns: number) => Array.from({ length: rows }, () => `(${placeholders(columns)})`).join(", ");

export function sameIdentity(a: RecordIdentity | null, b: RecordIdentity): boolean {
  return a !== null && a.tenant === b.tenant && a.region === b.region && a.typePrefix === b.typePrefix && a.recordType === b.recordType && a.recordId === b.recordId;
}

export type Meta = {
  identity: RecordIdentity | null;
  state: RecordState;
  /** Outbox cursors: entries up to these sequences are in the audit / delivery queues. */
  auditShipped: number;
  deliveriesShipped: number;
  /** After a rekey: whether the new key's object has adopted the carried state. */
  handoffDone: boolean;
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  k INTEGER PRIMARY KEY CHECK (k = 1),
  identity TEXT,
  state TEXT NOT NULL,
  audit_shipped INTEGER NOT NULL DEFAULT 0,
  deliveries_shipped INTEGER NOT NULL DEFAULT 0,
  handoff_done INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS dedupe (
  location TEXT NOT NULL,
  change_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (location, change_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_log (
  sequence INTEGER PRIMARY KEY,
  entry TEXT NOT NULL,
  hash TEXT NOT NULL,
  state TEXT
);
CREATE TABLE IF NOT EXISTS delivery_log (
  id INTEGER PRIMARY KEY,
  sequence INTEGER NOT NULL,
  reported_at INTEGER NOT NULL,
  outcomes TEXT NOT NULL
);`;

/** One row per outcome report: all routes of one delivery message together (a row per ~fan-out). */
export type DeliveryOutcome = { route: string; attempt: number; outcome: string; disposition: Disposition; httpStatus?: number; at: number; latencyMs: number; final: boolean };

export class MasterRecordStorage {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#sql.exec(SCHEMA);
    // Objects created before the state column existed get it once (older rows keep NULL).
    const columns = this.#sql.exec<{ name: string }>("PRAGMA table_info(audit_log)").toArray();
    if (!columns.some((c) => c.name === "state")) this.#sql.exec("ALTER TABLE audit_log ADD COLUMN state TEXT");
  }

  /**
   * The meta row, brought forward to the newest audit row when that one is newer: a batch whose
   * shipping failed (or whose object died before shipping) committed its state only there.
   * FIFO cursors, outbox cursors and the hand-off flag belong to meta alone.
   */
  loadMeta(): Meta {
    const meta = this.#loadMetaRow();
    // Only a row newer than meta comes back (usually none): every object start pays this read.
    const newest = this.#sql
      .exec<{ state: string; entry: string }>("SELECT state, entry FROM audit_log WHERE sequence > ? AND state IS NOT NULL ORDER BY sequence DESC LIMIT 1", meta.state.sequence)
      .toArray()[0];
    if (!newest) return meta;
    const committed = JSON.parse(newest.state) as Omit<RecordState, "snapshot" | "fifo">;
    const { snapshot } = JSON.parse(newest.entry) as AuditEntry;
    const state: RecordState = { ...committed, snapshot, ...(meta.state.fifo ? { fifo: meta.state.fifo } : {}) };
    return { ...meta, state };
  }

  #loadMetaRow(): Meta {
    const row = this.#sql
      .exec<{ identity: string | null; state: string; audit_shipped: number; deliveries_shipped: number; handoff_done: number }>("SELECT identity, state, audit_shipped, deliveries_shipped, handoff_done FROM meta WHERE k = 1")
      .toArray()[0];
    if (!row) return { identity: null, state: initialRecordState(), auditShipped: 0, deliveriesShipped: 0, handoffDone: false };
    return {
      identity: row.identity ? (JSON.parse(row.identity) as RecordIdentity) : null,
      state: JSON.parse(row.state) as RecordState,
      auditShipped: row.audit_shipped,
      deliveriesShipped: row.deliveries_shipped,
      handoffDone: row.handoff_done === 1,
    };
  }

  saveMeta(meta: Meta): void {
    this.#sql.exec(
      "INSERT INTO meta (k, identity, state, audit_shipped, deliveries_shipped, handoff_done) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (k) DO UPDATE SET identity = excluded.identity, state = excluded.state, audit_shipped = excluded.audit_shipped, deliveries_shipped = excluded.deliveries_shipped, handoff_done = excluded.handoff_done",
      meta.identity ? JSON.stringify(meta.identity) : null,
      JSON.stringify(meta.state),
      meta.auditShipped,
      meta.deliveriesShipped,
      meta.handoffDone ? 1 : 0,
    );
  }

  /** Which of `changeIds` this location already sent: one query per 99 ids (100 bound parameters at most). */
  findDuplicates(location: string, changeIds: readonly string[]): Map<string, { eventId: string; sequence: number }> {
    const found = new Map<string, { eventId: string; sequence: number }>();
    const ids = [...new Set(changeIds)];
    for (let i = 0; i < ids.length; i += 99) {
      const chunk = ids.slice(i, i + 99);
      const rows = this.#sql.exec<{ change_id: string; event_id: string; sequence: number }>(`SELECT change_id, event_id, sequence FROM dedupe WHERE location = ? AND change_id IN (${placeholders(chunk.length)})`, location, ...chunk);
      for (const row of rows) found.set(row.change_id, { eventId: row.event_id, sequence: row.sequence });
    }
    return found;
  }

  /**
   * A batch's accepted changes: their dedupe rows and their audit rows (each with the record's
   * state after it, without the snapshot, which the entry holds, and the FIFO cursors, which meta
   * holds), several rows per statement. The rows written are the same; the statements are fewer.
   */
  appendAccepted(location: string, expiresAt: number, accepted: readonly AcceptedChange[]): void {
    for (let i = 0; i < accepted.length; i += 20) {
      const chunk = accepted.slice(i, i + 20); // 5 parameters a row
      this.#sql.exec(`INSERT INTO dedupe (location, change_id, event_id, sequence, expires_at) VALUES ${rowsOf(chunk.length, 5)}`, ...chunk.flatMap((a) => [location, a.changeId, a.entry.event.id, a.entry.sequence, expiresAt]));
    }
    for (let i = 0; i < accepted.length; i += 25) {
      const chunk = accepted.slice(i, i + 25); // 4 parameters a row
      this.#sql.exec(`INSERT INTO audit_log (sequence, entry, hash, state) VALUES ${rowsOf(chunk.length, 4)}`, ...chunk.flatMap((a) => {
        const { snapshot: _inEntry, fifo: _inMeta, ...committed } = a.state;
        return [a.entry.sequence, a.text, a.entry.hash, JSON.stringify(committed)];
      }));
    }
  }

  /** Deletes expired dedupe rows; answers the earliest remaining expiry (for the next alarm). */
  pruneDedupe(now: number): number | null {
    this.#sql.exec("DELETE FROM dedupe WHERE expires_at <= ?", now);
    const row = this.#sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM dedupe").toArray()[0];
    return row?.next ?? null;
  }

  /** Entries after `afterSequence`, oldest first, with their stored text length for packing. */
  auditAfter(afterSequence: number, limit: number): { entry: AuditEntry; bytes: number }[] {
    return this.#sql
      .exec<{ entry: string }>("SELECT entry FROM audit_log WHERE sequence > ? ORDER BY sequence LIMIT ?", afterSequence, limit)
      .toArray()
      .map((r) => ({ entry: JSON.parse(r.entry) as AuditEntry, bytes: r.entry.length }));
  }

  appendOutcomes(sequence: number, reportedAt: number, outcomes: DeliveryOutcome[]): void {
    this.#sql.exec("INSERT INTO delivery_log (sequence, reported_at, outcomes) VALUES (?, ?, ?)", sequence, reportedAt, JSON.stringify(outcomes));
  }

  /** Newest first: the record's per-subscriber delivery trail. */
  outcomes(beforeId: number, limit: number): { id: number; sequence: number; reportedAt: number; outcomes: DeliveryOutcome[] }[] {
    return this.#sql
      .exec<{ id: number; sequence: number; reported_at: number; outcomes: string }>("SELECT id, sequence, reported_at, outcomes FROM delivery_log WHERE id < ? ORDER BY id DESC LIMIT ?", beforeId, limit)
      .toArray()
      .map((r) => ({ id: r.id, sequence: r.sequence, reportedAt: r.reported_at, outcomes: JSON.parse(r.outcomes) as DeliveryOutcome[] }));
  }

  /** The first entry after `afterSequence` (up to `untilSequence`) planned for `route` as FIFO. */
  nextFifoEntry(route: string, afterSequence: number, untilSequence: number): AuditEntry | null {
    for (let from = afterSequence; from < untilSequence; ) {
      const page = this.auditAfter(from, 200);
      for (const { entry } of page) {
        if (entry.sequence > untilSequence) return null;
        if (entry.destinations.some((d) => d.route === route && d.fifo)) return entry;
      }
      if (page.length < 200) return null;
      from = page[page.length - 1]!.entry.sequence;
    }
    return null;
  }
}
