/**
 * POST /v1/changes: authenticate, validate each item, check its data against the registered
 * schema, group by record, one object call per record (concurrently), answer per item in request
 * order. "accepted" means committed in the record's object (SQLite), so it survives a crash right
 * after the answer.
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { GateResult } from "../../shared/audit/entry";
import { ingestBodySchema, parseChangeItem, type Change } from "../../shared/change/schema";
import type { ItemResult } from "../../durable-objects/master-record";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";
import { readJson } from "../http/json-body";
import { HttpProblem, fromZodError } from "../http/problem";
import type { SchemaStamp } from "../../shared/gates/schema-gate";
import { requireLocationKey, type LocationVars } from "./location-auth";
import { registryBaseUrl, schemaStamps } from "./schema-gate";

export const MAX_BODY_BYTES = 1024 * 1024;

type RecordGroup = { recordType: string; recordId: string; indexes: number[]; changes: Change[]; schemas: SchemaStamp[] };

type EdgeRejection = { id: string | null; status: "rejected"; error: { field: string; reason: string } };

export type IngestResult = ItemResult | EdgeRejection;

/** The body limit every ingest endpoint shares: a 413 problem past MAX_BODY_BYTES. */
export const ingestBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new HttpProblem(413, "body-too-large", "Body too large", { field: "body", detail: `the body exceeds ${MAX_BODY_BYTES} bytes; send fewer changes per request` });
  },
});

export const changes = new Hono<{ Bindings: Env; Variables: LocationVars }>();

changes.post("/", requireLocationKey, ingestBodyLimit, async (c) => {
  const body = ingestBodySchema.safeParse(await readJson(c));
  if (!body.success) throw fromZodError(body.error);
  return c.json({ results: await ingestChanges(c, body.data.changes) });
});

type IngestContext = Context<{ Bindings: Env; Variables: LocationVars }>;

/**
 * The pipeline behind every ingest format: validate each item, run the schema gate, group by
 * record, one object call per record (concurrently), answer per item in request order. Item
 * errors name fields as `changes[i].…`, or under `prefix(i)` when a format names them otherwise.
 */
export async function ingestChanges(c: IngestContext, items: readonly unknown[], prefix: (index: number) => string = (i) => `changes[${i}]`): Promise<IngestResult[]> {
  const rename = (index: number, field: string) => prefix(index) + field.slice(`changes[${index}]`.length);
  const results: IngestResult[] = new Array(items.length);
  const valid: { index: number; change: Change }[] = [];
  items.forEach((raw, index) => {
    const item = parseChangeItem(raw, index);
    if (!item.ok) return void (results[index] = { id: item.id, status: "rejected", error: { ...item.error, field: rename(index, item.error.field) } });
    valid.push({ index, change: item.change });
  });

  const caller = c.var.caller;
  // The schema gate's refusals travel to the record's object with their changes: it answers
  // them only after its dedupe check, so a resent change that was accepted stays "duplicate".
  const gate = await schemaStamps(c.env.DB, caller, () => registryBaseUrl(c.env, c.req.url), valid.map((v) => v.change));
  if (!gate.ok) {
    throw new HttpProblem(503, "unavailable", "Temporarily unavailable", { detail: "the schema registry could not be read; retry the whole request" }, { "retry-after": "1" });
  }
  const stamps = gate.stamps;

  const groups = new Map<string, RecordGroup>();
  valid.forEach(({ index, change }, i) => {
    const key = JSON.stringify([change.recordType, change.recordId]);
    const group = groups.get(key) ?? { recordType: change.recordType, recordId: change.recordId, indexes: [], changes: [], schemas: [] };
    group.indexes.push(index);
    group.changes.push(change);
    group.schemas.push(stamps[i]!);
    groups.set(key, group);
  });

  const gates: GateResult[] = [
    { gate: "location-key", result: "pass" },
    { gate: "validation", result: "pass" },
  ];
  try {
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const identity = { tenant: caller.tenant, region: caller.region, typePrefix: caller.typePrefix, recordType: g.recordType, recordId: g.recordId };
        const answers = await masterRecordStub(c.env.MASTER_RECORD, identity, residencyMode(c.env.EU_JURISDICTION)).apply({
          identity,
          location: caller.location,
          changes: g.changes,
          gates,
          routingVersion: caller.routingVersion,
          schemas: g.schemas,
        });
        answers.forEach((answer, i) => {
          const index = g.indexes[i]!;
          // The object names fields of the change; the answer names them within the request.
          results[index] = answer.status === "rejected" ? { ...answer, error: { ...answer.error, field: `${prefix(index)}.${answer.error.field}` } } : answer;
        });
      }),
    );
  } catch (err) {
    // Some records may have committed: resending the whole request is safe (dedupe).
    console.error("master record call failed", err);
    throw new HttpProblem(503, "unavailable", "Temporarily unavailable", { detail: "retry the whole request; changes already accepted are answered as duplicates" }, { "retry-after": "1" });
  }
  return results;
}
