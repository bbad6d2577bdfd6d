/**
 * The ingest schema gate, pure: a registered schema compiled into a check of a change's `data`,
 * and the gate's decision for one change against the version it names (or the latest).
 *   JSON     → validated (JSON Schema, the draft `$schema` names).
 *   AVRO     → validated structurally (./avro-json.ts: closed records, required fields, types).
 *   PROTOBUF → passed through, gate "skip": JSON data is not checked against a .proto here.
 */
import type { Change, ItemError } from "../change/schema";
import type { GateResult } from "../audit/entry";
import type { Op } from "../change/ops";
import type { SchemaType } from "../registry/compatibility";
import { parseAvroSchema } from "../registry/avro";
import { checkAvroJson } from "./avro-json";
import { compileJsonSchema } from "./json-schema-check";
import { violationError, type Violation } from "./violation";

export type SchemaCheck = { mode: "validate"; check: (data: unknown) => Violation[] } | { mode: "skip"; reason: string };

/** One version of a subject, as ingest validates against it. */
export type ResolvedSchema = { subject: string; version: number; id: number; check: SchemaCheck };

/**
 * What the gate decided for one change, carried to the record's object (aligned with the
 * batch's changes): accepted with its audit gate result and `dataschema`, or refused. The object
 * applies a refusal only after its dedupe check, so a resent change that was accepted answers
 * "duplicate" even if the schema moved since.
 */
export type SchemaStamp = { ok: true; gate: GateResult; dataschema: string | null } | { ok: false; error: ItemError };

/** Ops whose `data` is no image of the record: nothing to validate. */
const NO_IMAGE: ReadonlySet<Op> = new Set<Op>(["delete", "rekey"]);

/** A stored schema passed the registry's own parse; failing here is a bug, so it throws. */
export function compileCheck(type: SchemaType, text: string): SchemaCheck {
  switch (type) {
    case "JSON":
      return { mode: "validate", check: compileJsonSchema(JSON.parse(text)) };
    case "AVRO": {
      const parsed = parseAvroSchema(text);
      if (!parsed.ok) throw new Error(`stored Avro schema no longer parses: ${parsed.error}`);
      return { mode: "validate", check: (data) => checkAvroJson(parsed.schema, data) };
    }
    case "PROTOBUF":
      return { mode: "skip", reason: "PROTOBUF: JSON data is not checked against .proto schemas at ingest" };
  }
}

export const schemaLabel = (s: ResolvedSchema) => `${s.subject} v${s.version} (id ${s.id})`;

/**
 * `resolved`: the version the change names (`schemaVersion`) or the subject's latest; null when
 * there is none. `dataschemaOf` turns a schema id into the registry URI events carry.
 */
export function decideSchemaGate(change: Change, resolved: ResolvedSchema | null, dataschemaOf: (id: number) => string): SchemaStamp {
  if (!resolved) {
    if (change.schemaVersion !== undefined) {
      return { ok: false, error: { field: "schemaVersion", reason: `subject "${change.recordType}" has no version ${change.schemaVersion} in the schema registry` } };
    }
    return { ok: true, gate: { gate: "schema", result: "skip", detail: `no schema registered for ${change.recordType}` }, dataschema: null };
  }
  const label = schemaLabel(resolved);
  const dataschema = dataschemaOf(resolved.id);
  const skip = (why: string): SchemaStamp => ({ ok: true, gate: { gate: "schema", result: "skip", detail: `${why}; ${label}` }, dataschema });
  if (NO_IMAGE.has(change.op)) return skip(`op ${change.op} carries no data image`);
  if (change.data === undefined) return skip(`op ${change.op} without data`);
  if (resolved.check.mode === "skip") return skip(resolved.check.reason);
  const violations = resolved.check.check(change.data);
  if (violations.length > 0) return { ok: false, error: violationError(violations, label) };
  return { ok: true, gate: { gate: "schema", result: "pass", detail: label }, dataschema };
}
