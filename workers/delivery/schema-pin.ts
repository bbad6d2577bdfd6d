/**
 * The delivery consumer's schema-pin check (shared/registry/pin.ts decides): may this route,
 * pinned to a registry version, receive this event? At most one D1 read per (tenant, schema id)
 * per isolate: schemas are immutable once registered, and the route carries its pinned schema id.
 */
import type { DeliverMessage } from "../../shared/delivery/message";
import type { SchemaType } from "../../shared/registry/compatibility";
import { pinPrecheck, pinVerdict, type PinVerdict, type SchemaPin } from "../../shared/registry/pin";
import { canReadOf } from "../../shared/registry/registry-rules";

export type PinCheck = { kind: "deliver" } | { kind: "hold"; reason: string } | { kind: "defer"; reason: string };

/** A schema and the subject versions using it (soft-deleted ones too: an old event may name one). */
type StoredSchema = { type: SchemaType; text: string; uses: { subject: string; version: number }[] };

/** Enough for a tenant's live schemas many times over; a miss costs one D1 read. */
const MAX_CACHED = 512;
const schemas = new Map<string, Promise<StoredSchema | null>>();
/** (tenant, pinned id, written id) → verdict: the check itself can cost milliseconds for large schemas. */
const verdicts = new Map<string, PinVerdict>();

function remember<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}

async function readSchema(db: D1Database, tenant: string, id: number): Promise<StoredSchema | null> {
  const { results } = await db
    .prepare(
      `SELECT s.schema_type, s.schema, v.subject, v.version FROM schemas s
       LEFT JOIN subject_versions v ON v.tenant_id = s.tenant_id AND v.schema_id = s.id
       WHERE s.tenant_id = ? AND s.id = ? ORDER BY v.subject, v.version`,
    )
    .bind(tenant, id)
    .all<{ schema_type: SchemaType; schema: string; subject: string | null; version: number | null }>();
  const first = results[0];
  if (!first) return null;
  const uses = results.flatMap((r) => (r.subject === null || r.version === null ? [] : [{ subject: r.subject, version: r.version }]));
  return { type: first.schema_type, text: first.schema, uses };
}

/**
 * The schema by id, cached. With `subject`, it must be among the cached uses for the entry to do:
 * the text never changes, but the same schema can join another subject later (or be registered
 * again after a soft delete), so a miss on the subject re-reads once.
 */
async function schemaFor(db: D1Database, tenant: string, id: number, subject: string | null): Promise<StoredSchema | null> {
  const key = `${tenant}\u0000${id}`;
  const cached = schemas.get(key);
  if (cached) {
    const hit = await cached.catch(() => null);
    if (hit && (subject === null || hit.uses.some((u) => u.subject === subject))) return hit;
  }
  const read = readSchema(db, tenant, id);
  remember(schemas, key, read);
  // A failed read is not cached: the next delivery tries again.
  read.catch(() => schemas.get(key) === read && schemas.delete(key));
  return read;
}

/**
 * Deliver, hold (a P1 dead letter: the route's pinned version cannot read the event) or defer
 * (the registry could not be read: only this route's delivery waits and is tried again).
 */
export async function checkSchemaPin(db: D1Database, msg: DeliverMessage, pin: SchemaPin | null): Promise<PinCheck> {
  const pre = pinPrecheck(pin, { tenant: msg.tenant, recordType: msg.recordType, dataschema: msg.event.dataschema });
  if (pre.kind === "deliver") return { kind: "deliver" };
  const p = pin!;
  const key = `${msg.tenant}\u0000${p.id}\u0000${pre.schemaId}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    let pinned: StoredSchema | null;
    let written: StoredSchema | null;
    try {
      [pinned, written] = await Promise.all([schemaFor(db, msg.tenant, p.id, null), schemaFor(db, msg.tenant, pre.schemaId, p.subject)]);
    } catch (err) {
      return { kind: "defer", reason: `schema registry unavailable: ${err instanceof Error ? err.message : String(err)}` };
    }
    // Schema rows are never deleted (a hard delete removes the version, not the schema), so a
    // missing one is a foreign or forged id: nothing to judge the event by, delivered as usual.
    if (!pinned || !written) return { kind: "deliver" };
    const version = Math.max(0, ...written.uses.filter((u) => u.subject === p.subject).map((u) => u.version));
    verdict = pinVerdict(p, pinned, { type: written.type, text: written.text, version: version === 0 ? null : version }, canReadOf);
    // "Not a version of the subject" may change (the schema may join it later): not cached.
    if (version !== 0) remember(verdicts, key, verdict);
  }
  return verdict.kind === "hold" ? { kind: "hold", reason: verdict.reason } : { kind: "deliver" };
}
