import { describe, expect, it } from "vitest";
import type { Change } from "../change/schema";
import { compileCheck, decideSchemaGate, type ResolvedSchema } from "./schema-gate";
import { draftOf, pathOf } from "./json-schema-check";
import type { SchemaType } from "../registry/compatibility";

const base: Change = { id: "c1", recordType: "customer", recordId: "r1", op: "update", occurredAt: "2026-01-01T00:00:00Z", data: {} };
const resolved = (type: SchemaType, schema: unknown): ResolvedSchema => ({
  subject: "customer",
  version: 2,
  id: 7,
  check: compileCheck(type, typeof schema === "string" ? schema : JSON.stringify(schema)),
});
const uri = (id: number) => `https://cc.example/registry/t/t1/schemas/ids/${id}`;
const decide = (type: SchemaType, schema: unknown, change: Partial<Change>) => decideSchemaGate({ ...base, ...change }, resolved(type, schema), uri);

const customer = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  required: ["id", "email"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    email: { type: "string" },
    address: { type: "object", required: ["zip"], properties: { zip: { type: "string", pattern: "^[0-9]{5}$" } } },
    tags: { type: "array", items: { type: "string" } },
    "a/b": { type: "integer" },
    contact: { anyOf: [{ type: "string" }, { type: "object", required: ["phone"] }] },
    tier: { enum: ["gold", "silver"] },
  },
  if: { properties: { tier: { const: "gold" } }, required: ["tier"] },
  then: { required: ["address"] },
};

describe("decideSchemaGate: JSON Schema", () => {
  it.each([
    { name: "valid", data: { id: "1", email: "a@b.c" }, field: null, reason: null },
    { name: "missing required: the missing property is the field", data: { id: "1" }, field: "data.email", reason: /^required: Instance does not have required property "email"/ },
    { name: "wrong type", data: { id: 1, email: "x" }, field: "data.id", reason: /^type: Instance type "number" is invalid\. Expected "string"/ },
    { name: "closed object", data: { id: "1", email: "x", extra: 1 }, field: "data.extra", reason: /^additionalProperties: Property "extra" does not match additional properties schema/ },
    { name: "nested", data: { id: "1", email: "x", address: { zip: "abc" } }, field: "data.address.zip", reason: /^pattern: / },
    { name: "nested required", data: { id: "1", email: "x", address: {} }, field: "data.address.zip", reason: /^required: / },
    { name: "array index", data: { id: "1", email: "x", tags: ["a", 3] }, field: "data.tags[1]", reason: /^type: / },
    { name: "pointer escapes", data: { id: "1", email: "x", "a/b": "s" }, field: "data.a/b", reason: /^type: / },
    { name: "anyOf reported as itself", data: { id: "1", email: "x", contact: 5 }, field: "data.contact", reason: /^anyOf: Instance does not match any subschemas \[/ },
    { name: "enum", data: { id: "1", email: "x", tier: "bronze" }, field: "data.tier", reason: /^enum: / },
    { name: "if/then: the then-branch's leaf", data: { id: "1", email: "x", tier: "gold" }, field: "data.address", reason: /^required: / },
  ])("$name", ({ data, field, reason }) => {
    const stamp = decide("JSON", customer, { data });
    if (field === null) return expect(stamp).toEqual({ ok: true, gate: { gate: "schema", result: "pass", detail: "customer v2 (id 7)" }, dataschema: uri(7) });
    expect(stamp.ok).toBe(false);
    if (stamp.ok) return;
    expect(stamp.error.field).toBe(field);
    expect(stamp.error.reason).toMatch(reason!);
    expect(stamp.error.reason).toMatch(/ \[schema customer v2 \(id 7\)\]$/);
  });

  it("names at most three violations, then how many more", () => {
    const stamp = decide("JSON", customer, { data: { id: 1, email: 2, tags: [1, 2], extra: true } });
    expect(stamp.ok).toBe(false);
    if (stamp.ok) return;
    expect(stamp.error.field).toBe("data.id");
    expect(stamp.error.reason).toBe(
      'type: Instance type "number" is invalid. Expected "string"; type at data.email: Instance type "number" is invalid. Expected "string"; ' +
        'type at data.tags[0]: Instance type "number" is invalid. Expected "string"; and 2 more [schema customer v2 (id 7)]',
    );
  });

  it.each([
    { schema: { $schema: "http://json-schema.org/draft-07/schema#" }, draft: "7" },
    { schema: { $schema: "http://json-schema.org/draft-06/schema#" }, draft: "7" },
    { schema: { $schema: "http://json-schema.org/draft-04/schema#" }, draft: "4" },
    { schema: { $schema: "https://json-schema.org/draft/2019-09/schema" }, draft: "2019-09" },
    { schema: { $schema: "https://json-schema.org/draft/2020-12/schema" }, draft: "2020-12" },
    { schema: {}, draft: "2020-12" },
    { schema: true, draft: "2020-12" },
  ])("$schema → draft $draft", ({ schema, draft }) => expect(draftOf(schema)).toBe(draft));

  it("2020-12 keywords apply under the default draft (prefixItems)", () => {
    const stamp = decide("JSON", { type: "object", properties: { pair: { prefixItems: [{ type: "string" }, { type: "integer" }] } } }, { data: { pair: ["a", "b"] } });
    expect(stamp).toMatchObject({ ok: false, error: { field: "data.pair[1]", reason: expect.stringMatching(/^type: /) } });
  });

  it("a key that looks like an index stays a key on an object", () => {
    expect(pathOf({ a: { "0": 1 }, b: [[0, 1]] }, "#/a/0")).toEqual(["a", "0"]);
    expect(pathOf({ a: { "0": 1 }, b: [[0, 1]] }, "#/b/0/1")).toEqual(["b", 0, 1]);
    expect(pathOf({}, "#")).toEqual([]);
  });
});

describe("decideSchemaGate: ops, versions, types", () => {
  it.each([
    { op: "delete", data: undefined, detail: "op delete carries no data image; customer v2 (id 7)" },
    { op: "rekey", data: { bad: 1 }, detail: "op rekey carries no data image; customer v2 (id 7)" },
    { op: "soft_delete", data: undefined, detail: "op soft_delete without data; customer v2 (id 7)" },
  ] as const)("op $op is not validated (skip, dataschema still set)", ({ op, data, detail }) => {
    expect(decide("JSON", customer, { op, data, ...(op === "rekey" ? { newRecordId: "r2" } : {}) })).toEqual({ ok: true, gate: { gate: "schema", result: "skip", detail }, dataschema: uri(7) });
  });

  it("soft_delete with data is validated", () => {
    expect(decide("JSON", customer, { op: "soft_delete", data: { id: "1" } }).ok).toBe(false);
  });

  it("no schema: skip without dataschema; a named version that does not exist is refused", () => {
    expect(decideSchemaGate(base, null, uri)).toEqual({ ok: true, gate: { gate: "schema", result: "skip", detail: "no schema registered for customer" }, dataschema: null });
    expect(decideSchemaGate({ ...base, schemaVersion: 3 }, null, uri)).toEqual({ ok: false, error: { field: "schemaVersion", reason: 'subject "customer" has no version 3 in the schema registry' } });
  });

  it("PROTOBUF: skip with the reason", () => {
    const stamp = decide("PROTOBUF", 'syntax = "proto3";\nmessage C { string id = 1; }\n', { data: { id: 5 } });
    expect(stamp).toEqual({ ok: true, gate: { gate: "schema", result: "skip", detail: "PROTOBUF: JSON data is not checked against .proto schemas at ingest; customer v2 (id 7)" }, dataschema: uri(7) });
  });
});

describe("decideSchemaGate: Avro (plain JSON data)", () => {
  const avro = {
    type: "record",
    name: "Customer",
    namespace: "acme",
    fields: [
      { name: "id", type: "long" },
      { name: "name", type: "string", default: "" },
      { name: "email", type: ["null", "string"] },
      { name: "rank", type: "float" },
      { name: "tier", type: { type: "enum", name: "Tier", symbols: ["GOLD", "SILVER"] } },
      { name: "tags", type: { type: "array", items: "string" }, default: [] },
      { name: "attrs", type: { type: "map", values: "int" }, default: {} },
      { name: "code", type: { type: "fixed", name: "Code", size: 2 }, default: "AA" },
      { name: "address", type: ["null", { type: "record", name: "Address", fields: [{ name: "zip", type: "string" }] }], default: null },
    ],
  };
  const ok = { id: 1, rank: 1.5, tier: "GOLD" };
  it.each([
    { name: "minimal valid", data: ok, field: null },
    { name: "all fields", data: { ...ok, name: "A", email: "a@b", tags: ["x"], attrs: { a: 1 }, code: "ZZ", address: { zip: "1" } }, field: null },
    { name: "union in Avro JSON encoding", data: { ...ok, email: { string: "a@b" }, address: { "acme.Address": { zip: "1" } } }, field: null },
    { name: "long must be an integer", data: { ...ok, id: 1.5 }, field: "data.id", keyword: "type" },
    { name: "required field", data: { rank: 1, tier: "GOLD" }, field: "data.id", keyword: "required" },
    { name: "enum symbol", data: { ...ok, tier: "BRONZE" }, field: "data.tier", keyword: "enum" },
    { name: "array item", data: { ...ok, tags: ["a", 1] }, field: "data.tags[1]", keyword: "type" },
    { name: "map value", data: { ...ok, attrs: { a: "x" } }, field: "data.attrs.a", keyword: "type" },
    { name: "fixed size", data: { ...ok, code: "ABC" }, field: "data.code", keyword: "size" },
    { name: "union: none of the branches", data: { ...ok, email: 5 }, field: "data.email", keyword: "union" },
    { name: "nested record through a union wrapper", data: { ...ok, address: { "acme.Address": { zip: 1 } } }, field: "data.address.acme.Address.zip", keyword: "type" },
    { name: "unknown field", data: { ...ok, fax: "1" }, field: "data.fax", keyword: "unknown-field" },
  ])("$name", ({ data, field, keyword }) => {
    const stamp = decide("AVRO", avro, { data });
    if (field === null) return expect(stamp).toMatchObject({ ok: true, gate: { result: "pass" } });
    expect(stamp).toMatchObject({ ok: false, error: { field, reason: expect.stringMatching(new RegExp(`^${keyword}: `)) } });
  });
});
