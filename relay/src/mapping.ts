/**
 * Rows → Changes (DESIGN.md, "Ingestion API"). Pure and deterministic: the same row always
 * maps to the same change id, which is what lets the edge dedupe resends and mode switches.
 * Nothing here validates against the edge's schema: the edge does, per item, and a rejected
 * item is stored in changecast_relay_rejected instead of blocking the batch.
 */
import { createHash } from "node:crypto";

/** What the relay POSTs; the edge's changeSchema (shared/change/schema.ts) is the authority. */
export type OutgoingChange = {
  id: string;
  recordType: string;
  recordId: string;
  op: string;
  occurredAt: string;
  data?: unknown;
  before?: unknown;
  parent?: unknown;
  newRecordId?: unknown;
  schemaVersion?: unknown;
  traceparent?: unknown;
  basedOn?: unknown;
  hlc?: unknown;
  source: { kind: "outbox" | "trigger" | "timestamp" | "snapshot"; txId?: string; position?: string };
};

/** One outbox row as both pg (poll) and pgoutput (logical) decode it: int8 and xid8 as text. */
export type OutboxRow = {
  id: string | number;
  aggregatetype: string;
  aggregateid: string;
  type: string;
  payload: unknown;
  occurred_at: Date | string;
  txid: string | number;
};

/** The edge's limit on `id` (changeSchema: max 200). */
export const MAX_CHANGE_ID = 200;
/** Payload key the capture trigger sets so the change says source.kind "trigger"; never sent. */
export const TRIGGER_MARKER = "_capture";
const OPTIONAL_PAYLOAD_FIELDS = ["before", "parent", "newRecordId", "schemaVersion", "traceparent", "basedOn", "hlc"] as const;

/**
 * Keeps an id within the edge's limit without losing uniqueness: a long id keeps its readable
 * head and ends in a digest of the whole id.
 */
export function boundedId(id: string): string {
  if (id.length <= MAX_CHANGE_ID) return id;
  const digest = createHash("sha256").update(id).digest("base64url"); // 43 characters
  return `${id.slice(0, MAX_CHANGE_ID - digest.length - 1)}~${digest}`;
}

export function toRfc3339(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`not a timestamp: ${String(value)}`);
  return date.toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** position: the row id (poll, notify) or the insert's LSN (logical). */
export function outboxRowToChange(row: OutboxRow, position: string): OutgoingChange {
  const payload = isObject(row.payload) ? row.payload : {};
  const change: OutgoingChange = {
    id: `outbox:${row.id}`,
    recordType: row.aggregatetype,
    recordId: row.aggregateid,
    op: row.type,
    occurredAt: toRfc3339(row.occurred_at),
    source: { kind: payload[TRIGGER_MARKER] === "trigger" ? "trigger" : "outbox", txId: String(row.txid), position },
  };
  if (payload.data !== undefined) change.data = payload.data;
  for (const field of OPTIONAL_PAYLOAD_FIELDS) {
    if (payload[field] !== undefined && payload[field] !== null) change[field] = payload[field];
  }
  return change;
}

/** Record id of a row: its primary key values in key order, joined with ":". */
export function recordIdOf(keyValues: readonly string[]): string {
  return keyValues.join(":");
}

export type TimestampRow = {
  table: string;
  recordType: string;
  keyValues: string[];
  /** updated_at as microseconds since the epoch (exact, as text). */
  updatedAtMicros: string;
  updatedAt: Date | string;
  row: Record<string, unknown>;
  softDeleted: boolean;
};

export function timestampRowToChange(r: TimestampRow): OutgoingChange {
  const recordId = recordIdOf(r.keyValues);
  return {
    id: boundedId(`ts:${r.table}:${recordId}:${r.updatedAtMicros}`),
    recordType: r.recordType,
    recordId,
    // An insert and an update look the same from updated_at alone; the edge's snapshot merge
    // makes "update" correct for both.
    op: r.softDeleted ? "soft_delete" : "update",
    occurredAt: toRfc3339(r.updatedAt),
    data: r.row,
    source: { kind: "timestamp", position: r.updatedAtMicros },
  };
}

export type SnapshotRow = {
  runId: string;
  table: string;
  recordType: string;
  keyValues: string[];
  row: Record<string, unknown>;
  takenAt: Date;
};

export function snapshotRowToChange(r: SnapshotRow): OutgoingChange {
  const recordId = recordIdOf(r.keyValues);
  return {
    id: boundedId(`snapshot:${r.runId}:${r.table}:${recordId}`),
    recordType: r.recordType,
    recordId,
    op: "snapshot",
    occurredAt: toRfc3339(r.takenAt),
    data: r.row,
    source: { kind: "snapshot", position: recordId },
  };
}
