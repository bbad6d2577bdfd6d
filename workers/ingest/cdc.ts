/**
 * POST /v1/changes/debezium and /v1/changes/maxwell: the CDC tools' own JSON, mapped onto
 * Changes (shared/change/debezium.ts, maxwell.ts) and ingested by the same pipeline as
 * POST /v1/changes: location-key auth, body limit, validation, schema gate, one call per record.
 * Query: `?key=col[,col…]` (default `id`) and `?recordType=` (default: the table). Both take one
 * event per request or a JSON array (Debezium Server's batch mode; Maxwell's array form).
 */
import { Hono, type Context } from "hono";
import { parseKeyColumns, type CdcRecordConfig, type CdcRefusal } from "../../shared/change/cdc-keys";
import { mapDebeziumEvent } from "../../shared/change/debezium";
import { MAXWELL_MAX_ROWS, mapMaxwellRow } from "../../shared/change/maxwell";
import { MAX_CHANGES_PER_REQUEST } from "../../shared/change/schema";
import { readJson } from "../http/json-body";
import { HttpProblem, invalidField } from "../http/problem";
import { ingestBodyLimit, ingestChanges, type IngestResult } from "./changes";
import { requireLocationKey, type LocationVars } from "./location-auth";

type Ctx = Context<{ Bindings: Env; Variables: LocationVars }>;

/** A batch of Debezium events is held to the same ceiling as POST /v1/changes. */
const DEBEZIUM_MAX_EVENTS = MAX_CHANGES_PER_REQUEST;

export const cdc = new Hono<{ Bindings: Env; Variables: LocationVars }>();

cdc.post("/debezium", requireLocationKey, ingestBodyLimit, async (c) => {
  const config = recordConfig(c);
  const body = await readJson(c);
  const cloudEvents = (c.req.header("content-type") ?? "").toLowerCase().startsWith("application/cloudevents+json");
  // Batch mode (`debezium.sink.http.batch.enabled=true`) posts a JSON array of events with the
  // FIRST record's headers only, so no header may name the events of an array: each one dedupes
  // by its own log position (or the outbox id inside it). Items are answered one by one.
  if (Array.isArray(body)) {
    if (body.length === 0 || body.length > DEBEZIUM_MAX_EVENTS) throw invalidField("body", `1 to ${DEBEZIUM_MAX_EVENTS} Debezium events per request`);
    return c.json(await ingestEach(c, body, (event) => mapDebeziumEvent({ body: event, cloudEvents }, config), (i) => `[${i}]`));
  }
  const mapped = mapDebeziumEvent(
    {
      body,
      cloudEvents,
      // The outbox event router puts the outbox row's id in the record's `id` header. Never
      // `webhook-id`: Debezium Server makes it per delivery, so a replay would not dedupe.
      outboxId: c.req.header("x-outbox-id") ?? c.req.header("id") ?? debeziumHeader(c.req.header("x-debezium-id")),
    },
    config,
  );
  if (!mapped.ok) throw refusal(mapped);
  return c.json({ results: await ingestChanges(c, [mapped.change], () => "change") });
});

cdc.post("/maxwell", requireLocationKey, ingestBodyLimit, async (c) => {
  const config = recordConfig(c);
  const body = await readJson(c);
  // Maxwell's HTTP producers send one row per request or a JSON array of rows: accept both.
  const rows = Array.isArray(body) ? body : [body];
  if (rows.length === 0 || rows.length > MAXWELL_MAX_ROWS) throw invalidField("body", `1 to ${MAXWELL_MAX_ROWS} Maxwell rows per request`);
  const prefix = (i: number) => (Array.isArray(body) ? `[${i}]` : "row");

  return c.json(await ingestEach(c, rows, (row) => mapMaxwellRow(row, config), prefix));
});

/**
 * Maps each item and ingests those that are changes, answering in item order. A refused item is
 * rejected alone, like a bad item of POST /v1/changes: one bad row never blocks the others.
 * Items that map to no change (Maxwell's bootstrap-start/-complete markers) are only counted.
 */
async function ingestEach(
  c: Ctx,
  items: unknown[],
  map: (item: unknown) => { ok: true; change: unknown } | CdcRefusal,
  prefix: (i: number) => string,
): Promise<{ results: IngestResult[]; ignored?: number }> {
  const slots: ({ index: number; change: unknown } | { index: number; refused: CdcRefusal })[] = [];
  let ignored = 0;
  items.forEach((item, index) => {
    const mapped = map(item);
    if (!mapped.ok) slots.push({ index, refused: mapped });
    else if (mapped.change === null) ignored++;
    else slots.push({ index, change: mapped.change });
  });
  const changes = slots.filter((s) => "change" in s);
  const applied = changes.length > 0 ? await ingestChanges(c, changes.map((s) => s.change), (i) => prefix(changes[i]!.index)) : [];
  let next = 0;
  const results: IngestResult[] = slots.map((s) =>
    "change" in s ? applied[next++]! : { id: null, status: "rejected", error: { field: joinField(prefix(s.index), s.refused.field), reason: s.refused.reason } },
  );
  return { results, ...(ignored > 0 ? { ignored } : {}) };
}

/**
 * Debezium Server's HTTP sink sends each record header as `X-DEBEZIUM-<NAME>`, its value
 * base64-encoded unless `debezium.sink.http.headers.encode.base64=false`, and a JSON header
 * converter may quote it. Only stability matters for a dedupe key: the same header always
 * yields the same id, whichever of these readings applies.
 */
function debeziumHeader(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  let text = value;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(value) && value.length % 4 === 0) {
    try {
      const decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0)));
      if (/^[\x20-\x7e\u00a0-\uffff]+$/.test(decoded)) text = decoded;
    } catch {
      // not base64 of UTF-8 text: the raw value is the id
    }
  }
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === "string" && json !== "") return json;
    if (typeof json === "object" && json !== null && typeof (json as { payload?: unknown }).payload === "string") return (json as { payload: string }).payload;
  } catch {
    // not JSON: the text itself
  }
  return text;
}

function joinField(prefix: string, field: string): string {
  return field === "" ? prefix : `${prefix}.${field}`;
}

function recordConfig(c: Ctx): CdcRecordConfig {
  const key = parseKeyColumns(c.req.query("key"));
  if (!key.ok) throw invalidField(key.field, key.reason);
  const recordType = c.req.query("recordType");
  return { key: key.key, ...(recordType !== undefined && recordType !== "" ? { recordType } : {}) };
}

/** A mapper's refusal as problem+json: 400 for a malformed event, 422 for a valid one changecast does not ingest. */
function refusal(r: CdcRefusal): HttpProblem {
  if (r.kind === "invalid") return invalidField(r.field, r.reason);
  return new HttpProblem(422, "unsupported-change", "Unsupported change", { field: r.field, detail: `${r.field}: ${r.reason}` });
}
