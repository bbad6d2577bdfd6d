/**
 * Debezium change events (one per request, as Debezium Server's HTTP sink sends them) → one
 * Change. Accepts the JSON converter's `{schema, payload}` wrapper, the bare payload
 * (`schemas.enable=false`) and the CloudEvents converter's structured mode (payload in `data`,
 * source fields as `iodebezium*` extension attributes).
 * Format: https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-events
 */
import canonicalize from "canonicalize";
import { sha256Hex } from "../audit/entry";
import { invalid, isObject, recordIdFrom, type CdcRecordConfig, type CdcRefusal } from "./cdc-keys";

export type DebeziumInput = {
  body: unknown;
  /** The request was `application/cloudevents+json` (also detected from `specversion`). */
  cloudEvents?: boolean;
  /** The outbox event router's `id` header, when the event came through it: the outbox row's id. */
  outboxId?: string;
};

/** A Change-shaped item; the ingest pipeline validates it like any POST /v1/changes item. */
export type MappedChange = Record<string, unknown> & { id: string; recordType: string; recordId: string; op: string };

export type DebeziumResult = { ok: true; change: MappedChange } | CdcRefusal;

const OPS: Record<string, "insert" | "update" | "delete" | "snapshot"> = { c: "insert", u: "update", d: "delete", r: "snapshot" };

type Payload = { before: unknown; after: unknown; op: unknown; ts_ms: unknown; source: Record<string, unknown> };

export function mapDebeziumEvent(input: DebeziumInput, config: CdcRecordConfig): DebeziumResult {
  const payload = unwrap(input);
  if (!payload.ok) return payload;
  const { before, after, op, source } = payload.payload;

  if (op === "t") {
    return { ok: false, kind: "unsupported", field: "op", reason: 'truncate events (op "t") are not per-record changes: they name no row, so no record can carry them; delete or re-snapshot the rows instead' };
  }
  if (typeof op !== "string" || !(op in OPS)) {
    return { ok: false, kind: "unsupported", field: "op", reason: `op ${JSON.stringify(op)} is not a row change; expected one of c (create), u (update), d (delete), r (read/snapshot)` };
  }
  const mapped = OPS[op]!;
  if (before !== null && before !== undefined && !isObject(before)) return invalid("before", "the before image must be an object or null");
  if (after !== null && after !== undefined && !isObject(after)) return invalid("after", "the after image must be an object or null");
  const image = mapped === "delete" ? before : after;
  const imageField = mapped === "delete" ? "before" : "after";
  if (!isObject(image)) return invalid(imageField, `required for op "${op}"`);

  const table = source.table;
  const recordType = config.recordType ?? table;
  if (typeof recordType !== "string" || recordType === "") return invalid("source.table", "the event names no table; set ?recordType=");
  const recordId = recordIdFrom(image, config.key, imageField);
  if (!recordId.ok) return recordId;

  const occurredMs = toNumber(source.ts_ms) ?? toNumber(payload.payload.ts_ms);
  if (occurredMs === undefined) return invalid("source.ts_ms", "the event carries no timestamp (source.ts_ms or ts_ms, in ms)");
  const position = positionOf(source);

  const change: MappedChange = {
    id: input.outboxId ?? position.dedupeId ?? fallbackId(source, occurredMs, payload.payload),
    recordType,
    recordId: recordId.recordId,
    op: mapped,
    occurredAt: new Date(occurredMs).toISOString(),
    data: mapped === "delete" ? {} : image,
    source: { kind: "log", ...(position.txId !== undefined ? { txId: position.txId } : {}), ...(position.position !== undefined ? { position: position.position } : {}) },
  };
  if (isObject(before)) change.before = before;
  else if (mapped === "update") change.before = null;
  return { ok: true, change };
}

/**
 * The dedupe id comes from the change's place in the database log, so the same row change
 * resent (Debezium is at-least-once: after a restart it replays from its last committed offset)
 * gets the same id. Never the sink's `webhook-id`: Debezium Server's HTTP sink draws it as a
 * random UUID per record per run, so the replay after a restart carries a new one and every
 * replayed change would be ingested twice. Nor the CloudEvent `id`: it is the converter's own
 * string, its format differs by connector and version, so the same row change sent through
 * the JSON and the CloudEvents converters would not dedupe; the position gives one id to both.
 * Ids only need to be unique per record (dedupe is per record and location), so snapshot rows
 * sharing one position are still kept apart.
 */
function positionOf(source: Record<string, unknown>): { dedupeId?: string; txId?: string | number; position?: string | number } {
  const txId = scalar(source.txId);
  if (source.connector === "postgresql" || (source.lsn !== undefined && source.lsn !== null)) {
    const lsn = scalar(source.lsn);
    if (lsn !== undefined) return { dedupeId: txId !== undefined ? `pg:${txId}:${lsn}` : `pg::${lsn}`, txId, position: lsn };
  }
  const file = scalar(source.file);
  const pos = scalar(source.pos);
  if (file !== undefined && pos !== undefined) {
    const row = scalar(source.row) ?? 0;
    const gtid = scalar(source.gtid);
    return { dedupeId: `mysql:${file}:${pos}:${row}`, txId: gtid ?? txId, position: `${file}:${pos}` };
  }
  return { txId };
}

/** Other connectors: connector, time and the payload's digest (documented: a replay that re-reads the row unchanged dedupes). */
function fallbackId(source: Record<string, unknown>, occurredMs: number, payload: Payload): string {
  const connector = typeof source.connector === "string" && source.connector !== "" ? source.connector : "debezium";
  return `${connector}:${occurredMs}:${sha256Hex(canonicalize({ before: payload.before, after: payload.after, op: payload.op, source: payload.source }) ?? "")}`;
}

function unwrap(input: DebeziumInput): { ok: true; payload: Payload } | CdcRefusal {
  const body = input.body;
  if (!isObject(body)) return invalid("body", "one Debezium change event (a JSON object) per request");
  if (input.cloudEvents || typeof body.specversion === "string") return fromCloudEvent(body);
  const payload = isObject(body.payload) && "schema" in body ? body.payload : body;
  if (!isObject(payload.source)) return invalid(payload === body ? "source" : "payload.source", "required: the event's source block");
  return { ok: true, payload: { before: payload.before, after: payload.after, op: payload.op, ts_ms: payload.ts_ms, source: payload.source } };
}

/**
 * CloudEvents converter (structured mode): `data` holds before/after (itself wrapped in
 * {schema, payload} when the data serializer writes schemas), the source block is spread over
 * `iodebezium*` extension attributes (CloudEvents names are lower-case: `iodebeziumtxid`).
 */
function fromCloudEvent(body: Record<string, unknown>): { ok: true; payload: Payload } | CdcRefusal {
  const data = isObject(body.data) && isObject(body.data.payload) && "schema" in body.data ? body.data.payload : body.data;
  if (!isObject(data)) return invalid("data", "the CloudEvent carries no Debezium data (before/after)");
  const ext: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    const lower = name.toLowerCase();
    if (lower.startsWith("iodebezium")) ext[lower.slice("iodebezium".length)] = value;
  }
  const { op, tsms, txid, ...rest } = ext;
  const source: Record<string, unknown> = { ...rest, ts_ms: tsms, txId: txid };
  return { ok: true, payload: { before: data.before, after: data.after, op: op ?? data.op, ts_ms: data.ts_ms, source } };
}

function scalar(value: unknown): string | number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value !== "") return value;
  return undefined;
}

function toNumber(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) ? n : undefined;
}
