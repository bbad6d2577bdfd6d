/**
 * An event's body in structured content mode (the default: the whole CloudEvent), written in the
 * schema language of the record type's registered schema, with that schema (its latest version)
 * as the type of `data.before` and `data.after`. One builder per registry schema type; each
 * answers the AsyncAPI 2.6 `schemaFormat` and the `payload` in that format.
 */
import { OPS } from "../../change/ops";
import type { SchemaType } from "../compatibility";
import { parseProto } from "../protobuf";

export type RegisteredLatest = { subject: string; version: number; id: number; type: SchemaType; text: string };
export type PayloadContext = { tenant: string; eventTypes: string[]; dataschema: string };
export type Payload = { schemaFormat: string; payload: unknown; schemas?: Record<string, unknown> };

/** AsyncAPI 2.6 §Message Object "schemaFormat" (JSON Schema, Avro); Protobuf as @asyncapi/protobuf-schema-parser registers it. */
export const SCHEMA_FORMATS: Record<SchemaType, string> = {
  JSON: "application/schema+json;version=draft-07",
  AVRO: "application/vnd.apache.avro+json;version=1.9.0",
  PROTOBUF: "application/vnd.google.protobuf;version=3",
};

/** The CloudEvents attributes of every changecast event (DESIGN.md "The event"), in order, and which are optional. */
export const ATTRIBUTES: { name: string; description: string; optional?: true }[] = [
  { name: "specversion", description: "CloudEvents version: 1.0" },
  { name: "id", description: "UUIDv7 of the event; also webhook-id, the same on every retry" },
  { name: "source", description: "/tenants/{tenant}/locations/{location}" },
  { name: "type", description: "{typePrefix}.{recordType}.{created|updated|deleted|soft_deleted|restored|reparented|rekeyed|snapshotted}" },
  { name: "subject", description: "{recordType}/{recordId}" },
  { name: "time", description: "when the change happened at the location (RFC 3339)" },
  { name: "datacontenttype", description: "application/json" },
  { name: "dataschema", description: "the registry URL of the schema the change was validated against (…/schemas/ids/{id})", optional: true },
  { name: "sequence", description: "per record: 1, 2, 3… as a 20-digit zero-padded string (sorts as text)" },
  { name: "partitionkey", description: "{recordType}/{recordId}" },
  { name: "hlc", description: "hybrid logical clock, <15-digit ms>-<6-digit logical> (sorts as text)" },
  { name: "lamport", description: "Lamport clock (integer)" },
  { name: "tenant", description: "the tenant id" },
  { name: "location", description: "the location that made the change" },
  { name: "traceparent", description: "W3C trace context of the change, when the location gave one", optional: true },
];

export function payloadFor(s: RegisteredLatest, ctx: PayloadContext): Payload {
  if (s.type === "JSON") return jsonPayload(s, ctx);
  if (s.type === "AVRO") return avroPayload(s);
  return protobufPayload(s);
}

// ---- JSON Schema ----

/** Where the registered schema sits in the document: its local `$ref`s are re-rooted there. */
export const jsonSchemaKey = (s: RegisteredLatest) => `${s.subject}.v${s.version}`;

function jsonPayload(s: RegisteredLatest, ctx: PayloadContext): Payload {
  const key = jsonSchemaKey(s);
  const registered = reroot(JSON.parse(s.text), `#/components/schemas/${key}`);
  if (registered && typeof registered === "object") {
    // The document is the resolution scope now: a root $id would re-base every $ref, and the
    // format is named by schemaFormat.
    delete (registered as Record<string, unknown>).$id;
    delete (registered as Record<string, unknown>).$schema;
  }
  const image = { anyOf: [{ type: "null" }, { $ref: `#/components/schemas/${key}` }] };
  const str = (description: string, extra: Record<string, unknown> = {}) => ({ type: "string", description, ...extra });
  const pair = { type: ["object", "null"], properties: { type: { type: "string" }, id: { type: "string" } } };
  const attribute = Object.fromEntries(ATTRIBUTES.map((a) => [a.name, str(a.description)])) as Record<string, Record<string, unknown>>;
  const payload = {
    type: "object",
    required: ATTRIBUTES.filter((a) => !a.optional).map((a) => a.name).concat("data"),
    properties: {
      ...attribute,
      specversion: { const: "1.0" },
      id: str(attribute.id!.description as string, { format: "uuid" }),
      type: { type: "string", enum: ctx.eventTypes, description: attribute.type!.description },
      subject: str(attribute.subject!.description as string, { pattern: `^${s.subject}/` }),
      time: str(attribute.time!.description as string, { format: "date-time" }),
      datacontenttype: { const: "application/json" },
      dataschema: str(attribute.dataschema!.description as string, { format: "uri", examples: [ctx.dataschema] }),
      sequence: str(attribute.sequence!.description as string, { pattern: "^[0-9]{20}$" }),
      partitionkey: str(attribute.partitionkey!.description as string, { pattern: `^${s.subject}/` }),
      hlc: str(attribute.hlc!.description as string, { pattern: "^[0-9]{15}-[0-9]{6}$" }),
      lamport: { type: "integer", minimum: 0, description: attribute.lamport!.description },
      tenant: { const: ctx.tenant },
      data: {
        type: "object",
        required: ["op", "before", "after", "changed", "vector"],
        properties: {
          op: { type: "string", enum: [...OPS] },
          before: { ...image, description: `the record before the change (${s.subject} v${s.version}), null for a create` },
          after: { ...image, description: `the record after the change (${s.subject} v${s.version}), null for a delete` },
          changed: { type: "array", items: { type: "string" }, description: "top-level fields whose value changed" },
          vector: { type: "object", additionalProperties: { type: "integer", minimum: 0 }, description: "version vector: accepted changes per location" },
          conflict: { const: true, description: "present when the change was concurrent with the record's state" },
          superseded: { const: true, description: "with conflict: this older concurrent change lost last-writer-wins" },
          proposed: { type: "object", description: "with superseded: what the change asked for" },
          parent: pair,
          previousParent: pair,
          newRecordId: { type: "string" },
          previousRecordId: { type: "string" },
        },
      },
    },
  };
  return { schemaFormat: SCHEMA_FORMATS.JSON, payload, schemas: { [key]: registered } };
}

/** Local references ("#…") now resolve against the AsyncAPI document: prefix them with where the schema sits. */
function reroot(node: unknown, base: string): unknown {
  if (Array.isArray(node)) return node.map((n) => reroot(n, base));
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#")) out[k] = base + v.slice(1);
    // Values, not schemas: left exactly as written.
    else if (k === "enum" || k === "const" || k === "default" || k === "examples") out[k] = v;
    else out[k] = reroot(v, base);
  }
  return out;
}

// ---- Avro ----

const NAMED = new Set(["record", "error", "enum", "fixed"]);

/** The full name of a named Avro schema (Avro 1.11 §Names), or null for anything else. */
function avroFullName(schema: unknown): string | null {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) return null;
  const s = schema as { type?: unknown; name?: unknown; namespace?: unknown };
  if (typeof s.type !== "string" || !NAMED.has(s.type) || typeof s.name !== "string") return null;
  if (s.name.includes(".") || typeof s.namespace !== "string" || s.namespace === "") return s.name;
  return `${s.namespace}.${s.name}`;
}

/**
 * The event as an Avro record in the null namespace (so the registered schema keeps its own full
 * names). A named type may be defined once only: `after` refers to the one `before` defines.
 */
function avroPayload(s: RegisteredLatest): Payload {
  const registered = JSON.parse(s.text) as unknown;
  const members = Array.isArray(registered) ? registered.filter((m) => m !== "null") : [registered];
  const before = ["null", ...members];
  const after = ["null", ...members.map((m) => avroFullName(m) ?? m)];
  const optional = (name: string, doc: string) => ({ name, type: ["null", "string"], default: null, doc });
  const fields = ATTRIBUTES.map((a) =>
    a.optional ? optional(a.name, a.description) : { name: a.name, type: a.name === "lamport" ? "long" : "string", doc: a.description },
  );
  const ref = { type: "record", name: `changecast_${s.subject}_ref`, fields: [{ name: "type", type: "string" }, { name: "id", type: "string" }] };
  const data = {
    type: "record",
    name: `changecast_${s.subject}_data`,
    fields: [
      { name: "op", type: { type: "enum", name: `changecast_${s.subject}_op`, symbols: [...OPS] } },
      { name: "before", type: before, default: null, doc: `the record before the change (${s.subject} v${s.version})` },
      { name: "after", type: after, default: null, doc: `the record after the change (${s.subject} v${s.version})` },
      { name: "changed", type: { type: "array", items: "string" } },
      { name: "vector", type: { type: "map", values: "long" } },
      { name: "conflict", type: ["null", "boolean"], default: null },
      { name: "superseded", type: ["null", "boolean"], default: null },
      { name: "parent", type: ["null", ref], default: null },
      { name: "previousParent", type: ["null", `changecast_${s.subject}_ref`], default: null },
      { name: "newRecordId", type: ["null", "string"], default: null },
      { name: "previousRecordId", type: ["null", "string"], default: null },
    ],
  };
  const payload = { type: "record", name: `changecast_${s.subject}_event`, doc: `A ${s.subject} change event (CloudEvents 1.0, structured mode)`, fields: [...fields, { name: "data", type: data }] };
  return { schemaFormat: SCHEMA_FORMATS.AVRO, payload };
}

// ---- Protobuf ----

/**
 * The registered .proto with the event's messages appended (same file, same package). The record
 * type is the file's first message (Confluent's convention); `@RootNode` tells the AsyncAPI
 * Protobuf parser which message is the payload when the file has other unreferenced ones.
 */
function protobufPayload(s: RegisteredLatest): Payload {
  const parsed = parseProto(s.text);
  const root = parsed.ok ? parsed.schema.messages[0] : undefined;
  if (!parsed.ok || !root) return { schemaFormat: SCHEMA_FORMATS.PROTOBUF, payload: s.text };
  // proto2 needs a label on every field; proto3 marks presence with `optional`; editions have
  // explicit presence by default and refuse labels.
  const editions = parsed.schema.syntax !== "proto2" && parsed.schema.syntax !== "proto3";
  const [must, may] = parsed.schema.syntax === "proto2" ? ["required ", "optional "] : editions ? ["", ""] : ["", "optional "];
  const name = (suffix: string) => `Changecast_${s.subject}_${suffix}`;
  let n = 0;
  const field = (type: string, fieldName: string, optional = false) => {
    const label = type.startsWith("repeated ") || type.startsWith("map<") ? "" : optional ? may : must;
    return `  ${label}${type} ${fieldName} = ${++n};`;
  };
  const attributes = ATTRIBUTES.map((a) => field(a.name === "lamport" ? "int64" : "string", a.name, a.optional));
  const event = [`/**\n * A ${s.subject} change event (CloudEvents 1.0, structured mode).\n * @RootNode\n */`, `message ${name("event")} {`, ...attributes, field(name("data"), "data"), "}"];
  n = 0;
  const data = [
    `message ${name("data")} {`,
    field("string", "op"),
    field(`.${root.fullName}`, "before", true),
    field(`.${root.fullName}`, "after", true),
    field("repeated string", "changed"),
    field("map<string, int64>", "vector"),
    field("bool", "conflict", true),
    field("bool", "superseded", true),
    field(name("ref"), "parent", true),
    field(name("ref"), "previous_parent", true),
    field("string", "new_record_id", true),
    field("string", "previous_record_id", true),
    "}",
  ];
  n = 0;
  const ref = [`message ${name("ref")} {`, field("string", "type"), field("string", "id"), "}"];
  return { schemaFormat: SCHEMA_FORMATS.PROTOBUF, payload: [s.text.trimEnd(), "", ...event, "", ...data, "", ...ref, ""].join("\n") };
}
