/**
 * Maxwell's daemon JSON rows → Changes. One row per object; `old` holds only the changed
 * columns' previous values, so the full before image is `data` overlaid with `old`.
 * Format: https://maxwells-daemon.io/dataformat/
 */
import { invalid, isObject, recordIdFrom, type CdcRecordConfig, type CdcRefusal } from "./cdc-keys";
import type { MappedChange } from "./debezium";

export const MAXWELL_MAX_ROWS = 500;

/** `change: null`: a row Maxwell emits that is no change (bootstrap-start, bootstrap-complete). */
export type MaxwellResult = { ok: true; change: MappedChange | null } | CdcRefusal;

const OPS: Record<string, "insert" | "update" | "delete" | "snapshot"> = { insert: "insert", update: "update", delete: "delete", "bootstrap-insert": "snapshot" };
const MARKERS = new Set(["bootstrap-start", "bootstrap-complete"]);

export function mapMaxwellRow(row: unknown, config: CdcRecordConfig): MaxwellResult {
  if (!isObject(row)) return invalid("", "a Maxwell row (a JSON object)");
  const { type, table, data, old, ts, xid, xoffset, position } = row;
  if (typeof type === "string" && MARKERS.has(type)) return { ok: true, change: null };
  if (typeof type !== "string" || !(type in OPS)) {
    return { ok: false, kind: "unsupported", field: "type", reason: `type ${JSON.stringify(type)} is not a row change; expected insert, update, delete or bootstrap-insert` };
  }
  const op = OPS[type]!;
  if (!isObject(data)) return invalid("data", `required for type "${type}": the row's columns`);
  if (old !== undefined && old !== null && !isObject(old)) return invalid("old", "the changed columns' previous values, an object");

  const recordType = config.recordType ?? table;
  if (typeof recordType !== "string" || recordType === "") return invalid("table", "the row names no table; set ?recordType=");
  const recordId = recordIdFrom(data, config.key, "data");
  if (!recordId.ok) return recordId;

  if (typeof ts !== "number" || !Number.isFinite(ts)) return invalid("ts", "required: the binlog time in seconds");
  const txId = typeof xid === "number" || (typeof xid === "string" && xid !== "") ? xid : undefined;
  const place = typeof xoffset === "number" ? xoffset : typeof position === "string" && position !== "" ? position : undefined;
  // The dedupe id is the row's place in the binlog, so a replayed row (Maxwell resumes from its
  // last stored position) dedupes. Bootstrap rows are read from the table, not the binlog, and
  // carry neither: their bootstrap's time keeps a later re-bootstrap from deduping against it.
  let id: string;
  if (txId !== undefined && place !== undefined) id = `maxwell:${txId}:${place}`;
  else if (op === "snapshot") id = `maxwell:bootstrap:${ts}`;
  else return invalid(txId === undefined ? "xid" : "xoffset", "xid and xoffset (or position) are required to deduplicate the row");

  const change: MappedChange = {
    id,
    recordType,
    recordId: recordId.recordId,
    op,
    occurredAt: new Date(ts * 1000).toISOString(),
    data: op === "delete" ? {} : data,
    source: { kind: "log", ...(txId !== undefined ? { txId } : {}), ...(typeof position === "string" && position !== "" ? { position } : {}) },
  };
  if (op === "update") change.before = { ...data, ...(isObject(old) ? old : {}) };
  if (op === "delete") change.before = data;
  return { ok: true, change };
}
