/**
 * Schema registry rules, pure: parse and validate a schema of each type, its canonical form and
 * fingerprint (the dedupe key), Confluent's version ids and levels, and what a registration decides.
 */
import canonicalize from "canonicalize";
import { Validator, dereference, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { sha256Hex } from "../audit/entry";
import { canReadAvro, parseAvroSchema } from "./avro";
import { COMPATIBILITY_MODES, SCHEMA_TYPES, checkCompatibility, type CanRead, type CompatibilityMode, type CompatibilityResult, type SchemaType } from "./compatibility";
import { canReadJsonSchema } from "./jsonschema";
import { canReadProtobuf, parseProto } from "./protobuf";

/** Far below D1's 2 MB row limit; a record type's schema past this is almost surely a mistake. */
export const MAX_SCHEMA_CHARS = 256 * 1024;
/** Confluent's version ids: 1 … 2^31-1, or "latest" (also spelled -1). */
export const MAX_VERSION = 2 ** 31 - 1;
/** A subject is a record type, so the subject name follows the ingest contract's recordType rule. */
export const SUBJECT_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const SUBJECT_RULE = "a subject is a record type: letters, digits and _, starting with a letter, at most 64";

type Parsed = { ok: true; schema: unknown; canonical: string } | { ok: false; error: string };
type SchemaKind = { parse(text: string): Parsed; canRead: CanRead };

const JSON_KIND: SchemaKind = { parse: parseJsonSchema, canRead: canReadJsonSchema };
const AVRO_KIND: SchemaKind = {
  parse(text) {
    const r = parseAvroSchema(text);
    // Canonical = RFC 8785 JSON of the text: key order and whitespace never make a new version.
    // (Not Avro's Parsing Canonical Form: that drops defaults and docs, which do matter here.)
    return r.ok ? { ok: true, schema: r.schema, canonical: canonicalJson(text) ?? text.trim() } : { ok: false, error: r.error };
  },
  canRead: canReadAvro,
};
const PROTOBUF_KIND: SchemaKind = {
  parse(text) {
    const r = parseProto(text);
    return r.ok ? { ok: true, schema: r.schema, canonical: text.replace(/\r\n?/g, "\n").trim() } : { ok: false, error: r.error };
  },
  canRead: canReadProtobuf,
};

/** null = the type is named by Confluent but this registry cannot check it (yet): refused with 42201. */
const KINDS: Record<SchemaType, SchemaKind | null> = { JSON: JSON_KIND, AVRO: AVRO_KIND, PROTOBUF: PROTOBUF_KIND };
export const SUPPORTED_TYPES: SchemaType[] = SCHEMA_TYPES.filter((t) => KINDS[t] !== null);

export type ParsedSchema = { type: SchemaType; text: string; schema: unknown; canonical: string; fingerprint: string };
export type ParseResult = { ok: true; parsed: ParsedSchema } | { ok: false; error: string };

export function isSchemaType(value: unknown): value is SchemaType {
  return typeof value === "string" && (SCHEMA_TYPES as readonly string[]).includes(value);
}

export function parseSchema(type: SchemaType, text: string): ParseResult {
  const kind = KINDS[type];
  if (!kind) return { ok: false, error: `schemaType ${type} is not supported by this registry; supported: ${SUPPORTED_TYPES.join(", ")}` };
  if (text.trim() === "") return { ok: false, error: "the schema is empty" };
  if (text.length > MAX_SCHEMA_CHARS) return { ok: false, error: `the schema has ${text.length} characters; at most ${MAX_SCHEMA_CHARS}` };
  let r: Parsed;
  try {
    r = kind.parse(text);
  } catch (err) {
    // A checker that throws on odd input still means "this schema is not valid", never a 500.
    r = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  if (!r.ok) return r;
  return { ok: true, parsed: { type, text, schema: r.schema, canonical: r.canonical, fingerprint: sha256Hex(`${type}\n${r.canonical}`) } };
}

export function canReadOf(type: SchemaType): CanRead {
  const kind = KINDS[type];
  if (!kind) throw new Error(`schemaType ${type} is not supported`);
  return kind.canRead;
}

function canonicalJson(text: string): string | null {
  try {
    return canonicalize(JSON.parse(text)) ?? null;
  } catch {
    return null;
  }
}

/**
 * A JSON Schema must be JSON, an object or a boolean, valid against the draft-07 meta-schema
 * (widened for drafts 4 and 2019-09/2020-12, below), with patterns that compile as Unicode
 * regexes (how @cfworker/json-schema runs them, so ingest validation cannot trip on one later)
 * and every $ref resolvable inside the document: remote references would need Confluent's
 * `references`, which we refuse.
 */
export function parseJsonSchema(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (typeof value !== "boolean" && (typeof value !== "object" || value === null || Array.isArray(value))) {
    return { ok: false, error: "a JSON Schema is an object or a boolean" };
  }
  const meta = META_VALIDATOR.validate(value);
  if (!meta.valid) return { ok: false, error: `not a valid JSON Schema at ${describeMetaErrors(meta.errors)}` };
  if (typeof value === "object") {
    let lookup: Record<string, Schema | boolean>;
    const copy = structuredClone(value) as Schema;
    try {
      lookup = dereference(copy);
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    const unresolved = refsOf(copy).find((ref) => lookup[ref.absolute] === undefined);
    if (unresolved) return { ok: false, error: `$ref "${unresolved.ref}" does not resolve inside the schema (schema references are not supported)` };
  }
  return { ok: true, schema: value, canonical: canonicalize(value) ?? text };
}

const META_VALIDATOR = new Validator(jsonSchemaMeta(), "7", false);
const COMBINATORS = new Set(["anyOf", "allOf", "oneOf", "$ref", "properties", "additionalProperties", "items", "patternProperties"]);

/** The deepest failing place, with its leaf reasons: alternatives (anyOf) joined by "or". */
function describeMetaErrors(errors: OutputUnit[]): string {
  const depth = (e: OutputUnit) => e.instanceLocation.split("/").length;
  const deepest = Math.max(...errors.map(depth));
  const here = errors.filter((e) => depth(e) === deepest);
  const leaves = here.filter((e) => !COMBINATORS.has(e.keyword));
  const reasons = (leaves.length > 0 ? leaves : here).map((e) => e.error.replace(/\.$/, ""));
  return `${here[0]!.instanceLocation}: ${here.some((e) => e.keyword === "anyOf") ? reasons.join(", or ") : reasons[0]}`;
}

/**
 * The draft-07 meta-schema (json-schema.org/draft-07/schema), widened so that draft-04's boolean
 * exclusiveMaximum/Minimum and 2019-09/2020-12's $defs, $anchor, prefixItems, dependentRequired,
 * dependentSchemas, unevaluated*, min/maxContains are checked too. Unknown keywords pass, as
 * every draft allows.
 */
function jsonSchemaMeta(): Schema {
  const ref: Schema = { $ref: "#" };
  const schemaArray: Schema = { type: "array", minItems: 1, items: ref };
  const nonNegative: Schema = { type: "integer", minimum: 0 };
  const stringArray: Schema = { type: "array", items: { type: "string" }, uniqueItems: true };
  const simpleTypes: Schema = { enum: ["array", "boolean", "integer", "null", "number", "object", "string"] };
  const schemaMap: Schema = { type: "object", additionalProperties: ref };
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "http://json-schema.org/draft-07/schema#",
    type: ["object", "boolean"],
    properties: {
      $id: { type: "string", format: "uri-reference" },
      $schema: { type: "string", format: "uri" },
      $ref: { type: "string", format: "uri-reference" },
      $anchor: { type: "string", pattern: "^[A-Za-z_][-A-Za-z0-9._]*$" },
      $comment: { type: "string" },
      title: { type: "string" },
      description: { type: "string" },
      readOnly: { type: "boolean" },
      writeOnly: { type: "boolean" },
      examples: { type: "array" },
      multipleOf: { type: "number", exclusiveMinimum: 0 },
      maximum: { type: "number" },
      exclusiveMaximum: { type: ["number", "boolean"] },
      minimum: { type: "number" },
      exclusiveMinimum: { type: ["number", "boolean"] },
      maxLength: nonNegative,
      minLength: nonNegative,
      pattern: { type: "string", format: "regex" },
      additionalItems: ref,
      unevaluatedItems: ref,
      items: { anyOf: [ref, schemaArray] },
      prefixItems: schemaArray,
      maxItems: nonNegative,
      minItems: nonNegative,
      uniqueItems: { type: "boolean" },
      contains: ref,
      maxContains: nonNegative,
      minContains: nonNegative,
      maxProperties: nonNegative,
      minProperties: nonNegative,
      required: stringArray,
      additionalProperties: ref,
      unevaluatedProperties: ref,
      definitions: schemaMap,
      $defs: schemaMap,
      properties: schemaMap,
      patternProperties: { ...schemaMap, propertyNames: { format: "regex" } },
      dependencies: { type: "object", additionalProperties: { anyOf: [ref, stringArray] } },
      dependentRequired: { type: "object", additionalProperties: stringArray },
      dependentSchemas: schemaMap,
      propertyNames: ref,
      enum: { type: "array" },
      type: { anyOf: [simpleTypes, { type: "array", items: simpleTypes, minItems: 1, uniqueItems: true }] },
      format: { type: "string" },
      contentMediaType: { type: "string" },
      contentEncoding: { type: "string" },
      if: ref,
      then: ref,
      else: ref,
      allOf: schemaArray,
      anyOf: schemaArray,
      oneOf: schemaArray,
      not: ref,
    },
  };
}

/** Every $ref in the document with the absolute URI that dereference() gave it. */
function refsOf(node: unknown, out: { ref: string; absolute: string }[] = []): { ref: string; absolute: string }[] {
  if (Array.isArray(node)) for (const item of node) refsOf(item, out);
  else if (node && typeof node === "object") {
    const schema = node as Schema;
    if (typeof schema.$ref === "string") out.push({ ref: schema.$ref, absolute: schema.__absolute_ref__ ?? schema.$ref });
    for (const [key, child] of Object.entries(schema)) if (key !== "enum" && key !== "const" && key !== "default" && key !== "examples") refsOf(child, out);
  }
  return out;
}

/** "latest" and -1 mean the latest version; otherwise 1 … 2^31-1. null = not a version id (42202). */
export function parseVersionId(text: string): number | "latest" | null {
  if (text === "latest" || text === "-1") return "latest";
  if (!/^[1-9]\d{0,9}$/.test(text)) return null;
  const n = Number(text);
  return n <= MAX_VERSION ? n : null;
}

/** Confluent accepts the level names in any case. null = not a level (42203). */
export function parseCompatibilityLevel(value: unknown): CompatibilityMode | null {
  if (typeof value !== "string") return null;
  const upper = value.toUpperCase();
  return (COMPATIBILITY_MODES as readonly string[]).includes(upper) ? (upper as CompatibilityMode) : null;
}

/** A version of the subject as the rules see it: enough to dedupe, type-check and re-parse. */
export type StoredVersion = { version: number; id: number; type: SchemaType; fingerprint: string; text: string };

export type CheckOutcome = { compatible: boolean; messages: string[] };

/**
 * Can `candidate` join a subject whose live versions (oldest first) are `previous` under `mode`?
 * A subject holds one schema type: any other type is incompatible whatever the mode.
 */
export function checkAgainst(candidate: ParsedSchema, previous: readonly StoredVersion[], mode: CompatibilityMode): CheckOutcome {
  const foreign = previous.find((p) => p.type !== candidate.type);
  if (foreign) {
    return { compatible: false, messages: [`version ${foreign.version}: schemaType ${candidate.type} differs from the subject's ${foreign.type} (rule: schema-type-mismatch)`] };
  }
  const parsedPrevious = previous.map((p) => {
    const r = parseSchema(p.type, p.text);
    // A stored schema passed this very parse when it was registered: failing now is a bug.
    if (!r.ok) throw new Error(`stored schema ${p.id} (version ${p.version}) no longer parses: ${r.error}`);
    return { version: p.version, schema: r.parsed.schema };
  });
  const result = checkCompatibility(canReadOf(candidate.type), candidate.schema, parsedPrevious, mode);
  return { compatible: result.compatible, messages: result.messages.map(describeIncompatibility) };
}

/** One line naming the version, the direction (who reads whom), the path and the rule. */
export function describeIncompatibility(m: CompatibilityResult["messages"][number]): string {
  const who = m.version === undefined ? "" : ` version ${m.version}`;
  const direction =
    m.direction === "backward" ? `backward: the new schema cannot read data written with${who || " an earlier version"}` : `forward:${who || " an earlier version"} cannot read data written with the new schema`;
  return `${direction}: ${m.path || "(root)"}: ${m.message} (rule: ${m.rule})`;
}

export type RegisterDecision = { kind: "existing"; id: number; version: number } | { kind: "incompatible"; messages: string[] } | { kind: "new" };

/**
 * Registering is idempotent: a schema equal (canonically) to a live version answers that
 * version's id and adds nothing, whatever the mode. Otherwise it must pass the check.
 */
export function decideRegistration(candidate: ParsedSchema, live: readonly StoredVersion[], mode: CompatibilityMode): RegisterDecision {
  const same = live.find((v) => v.fingerprint === candidate.fingerprint);
  if (same) return { kind: "existing", id: same.id, version: same.version };
  const check = checkAgainst(candidate, live, mode);
  return check.compatible ? { kind: "new" } : { kind: "incompatible", messages: check.messages };
}
