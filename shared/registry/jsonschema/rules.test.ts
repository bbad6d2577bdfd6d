/**
 * canReadJsonSchema rule by rule: for each rule in JSON_SCHEMA_RULES a reader/writer pair it
 * reports and a neighbouring pair that is compatible; then paths, recursion, and Confluent's modes
 * over several versions through checkCompatibility.
 */
import { describe, expect, it } from "vitest";
import { checkCompatibility, type CompatibilityMode } from "../compatibility";
import { canReadJsonSchema, JSON_SCHEMA_RULES, type JsonSchemaRule } from "./index";

const D4 = "http://json-schema.org/draft-04/schema#";
const D2020 = "https://json-schema.org/draft/2020-12/schema";
const str = { type: "string" };
const num = { type: "number" };
const int = { type: "integer" };
const obj = (properties: object, more: object = {}) => ({ type: "object", properties, ...more });
const nested = (depth: number, leaf: object): object => (depth === 0 ? leaf : obj({ a: nested(depth - 1, leaf) }));

// [rule, compatible?, reader, writer]: an incompatible row must report the rule; a compatible one nothing.
type Row = [JsonSchemaRule, boolean, unknown, unknown];
const ROWS: Row[] = [
  ["TYPE_NARROWED", true, num, int],
  ["TYPE_NARROWED", true, { type: ["string", "number"] }, str],
  ["TYPE_NARROWED", false, int, num],
  ["TYPE_NARROWED", false, { type: ["string", "null"] }, { type: ["string", "number"] }],
  ["ENUM_ADDED", true, str, { type: "string", enum: ["a"] }],
  ["ENUM_ADDED", false, { type: "string", enum: ["a", "b"] }, str],
  ["ENUM_VALUES_REMOVED", true, { enum: ["a", "b", "c"] }, { enum: ["b", "a"] }],
  ["ENUM_VALUES_REMOVED", true, { enum: [true, false, null] }, { type: "boolean" }],
  ["ENUM_VALUES_REMOVED", false, { enum: ["a"] }, { enum: ["a", "b"] }],
  ["CONST_ADDED", true, int, { const: 3 }],
  ["CONST_ADDED", false, { const: 3 }, int],
  ["CONST_CHANGED", true, { const: 3 }, { enum: [3] }],
  ["CONST_CHANGED", false, { const: 3 }, { const: 4 }],
  ["FALSE_SCHEMA", true, false, false],
  ["FALSE_SCHEMA", true, false, { allOf: [str, num] }],
  ["FALSE_SCHEMA", false, false, str],
  ["MINIMUM_INCREASED", true, { minimum: 5 }, { minimum: 10 }],
  ["MINIMUM_INCREASED", true, { type: "integer", minimum: 11 }, { type: "integer", exclusiveMinimum: 10 }],
  ["MINIMUM_INCREASED", true, { $schema: D4, minimum: 10 }, { $schema: D4, minimum: 10, exclusiveMinimum: true }],
  ["MINIMUM_INCREASED", false, { minimum: 10 }, { minimum: 5 }],
  ["MINIMUM_INCREASED", false, { exclusiveMinimum: 10 }, { minimum: 10 }],
  ["MAXIMUM_DECREASED", true, { maximum: 10 }, { exclusiveMaximum: 10 }],
  ["MAXIMUM_DECREASED", false, { maximum: 5 }, { maximum: 10 }],
  ["MAXIMUM_DECREASED", false, { $schema: D4, maximum: 10, exclusiveMaximum: true }, { maximum: 10 }],
  ["MULTIPLE_OF_CHANGED", true, { multipleOf: 0.1 }, { multipleOf: 0.3 }],
  ["MULTIPLE_OF_CHANGED", true, { multipleOf: 0.5 }, int],
  ["MULTIPLE_OF_CHANGED", false, { multipleOf: 10 }, { multipleOf: 5 }],
  ["MIN_LENGTH_INCREASED", true, { minLength: 2 }, { minLength: 3 }],
  ["MIN_LENGTH_INCREASED", false, { minLength: 3 }, str],
  ["MAX_LENGTH_DECREASED", true, { maxLength: 9 }, { not: { minLength: 10 } }],
  ["MAX_LENGTH_DECREASED", false, { maxLength: 9 }, { maxLength: 10 }],
  ["PATTERN_CHANGED", true, { pattern: "^[a-z]+$" }, { type: "string", pattern: "^[a-z]+$", maxLength: 3 }],
  ["PATTERN_CHANGED", true, { pattern: "^[a-z]+$" }, { enum: ["abc", "x"] }],
  ["PATTERN_CHANGED", false, { pattern: "^[a-z]+$" }, { pattern: "^[a-c]+$" }],
  ["FORMAT_CHANGED", true, str, { type: "string", format: "email" }],
  ["FORMAT_CHANGED", false, { type: "string", format: "email" }, str],
  ["CONTENT_ENCODING_CHANGED", true, { contentEncoding: "base64" }, { contentEncoding: "base64" }],
  ["CONTENT_ENCODING_CHANGED", false, { contentEncoding: "base64" }, { contentEncoding: "base32" }],
  ["CONTENT_MEDIA_TYPE_CHANGED", true, str, { type: "string", contentMediaType: "image/png" }],
  ["CONTENT_MEDIA_TYPE_CHANGED", false, { contentMediaType: "image/png" }, str],
  ["REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT", true, obj({ a: { type: "string", default: "" } }, { required: ["a"] }), obj({ a: str })],
  ["REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT", false, obj({ a: str }, { required: ["a"] }), obj({ a: str })],
  ["REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT", false, { $schema: D2020, dependentSchemas: { a: { required: ["b"] } } }, {}],
  ["PROPERTY_ADDED_TO_OPEN_MODEL", true, obj({ a: str }), obj({}, { additionalProperties: false })],
  ["PROPERTY_ADDED_TO_OPEN_MODEL", false, obj({ a: str }), { type: "object" }],
  ["PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", true, obj({ a: num }), obj({}, { additionalProperties: int })],
  ["PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", false, obj({ a: str }), obj({}, { additionalProperties: num })],
  ["PROPERTY_REMOVED_FROM_CLOSED_MODEL", true, obj({ a: {}, b: {} }, { additionalProperties: false }), obj({ a: {} }, { additionalProperties: false })],
  ["PROPERTY_REMOVED_FROM_CLOSED_MODEL", false, obj({}, { additionalProperties: false }), obj({ a: str }, { additionalProperties: false })],
  ["PROPERTY_REMOVED_FROM_CLOSED_MODEL", false, obj({ a: false }), obj({ a: str })],
  ["PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", true, obj({}, { additionalProperties: num }), obj({ a: int }, { additionalProperties: false })],
  ["PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", false, obj({}, { additionalProperties: str }), obj({ a: num }, { additionalProperties: false })],
  ["ADDITIONAL_PROPERTIES_NARROWED", true, obj({}, { additionalProperties: num }), obj({}, { additionalProperties: int })],
  ["ADDITIONAL_PROPERTIES_NARROWED", false, obj({}, { additionalProperties: false }), { type: "object" }],
  ["PATTERN_PROPERTIES_NARROWED", true, { patternProperties: { "^n_": num } }, { additionalProperties: int }],
  ["PATTERN_PROPERTIES_NARROWED", false, { patternProperties: { "^n_": num } }, {}],
  ["UNEVALUATED_PROPERTIES_NARROWED", true, { $schema: D2020, allOf: [{ properties: { a: str } }], unevaluatedProperties: false }, obj({ a: str }, { additionalProperties: false })],
  ["UNEVALUATED_PROPERTIES_NARROWED", false, { $schema: D2020, properties: { a: str }, unevaluatedProperties: false }, obj({ a: str, b: str })],
  ["PROPERTY_NAMES_NARROWED", true, { propertyNames: { maxLength: 3 } }, obj({ ab: {} }, { additionalProperties: false })],
  ["PROPERTY_NAMES_NARROWED", false, { propertyNames: { maxLength: 3 } }, {}],
  ["MIN_PROPERTIES_INCREASED", true, { minProperties: 1 }, { required: ["a"] }],
  ["MIN_PROPERTIES_INCREASED", false, { minProperties: 2 }, { minProperties: 1 }],
  ["MAX_PROPERTIES_DECREASED", true, { maxProperties: 2 }, obj({ a: {}, b: {} }, { additionalProperties: false })],
  ["MAX_PROPERTIES_DECREASED", false, { maxProperties: 2 }, {}],
  ["DEPENDENT_REQUIRED_ADDED", true, { dependentRequired: { a: ["b"] } }, { required: ["b"] }],
  ["DEPENDENT_REQUIRED_ADDED", true, { dependencies: { a: ["b"] } }, obj({ a: false })],
  ["DEPENDENT_REQUIRED_ADDED", false, { dependentRequired: { a: ["b"] } }, {}],
  ["ITEM_ADDED_TO_OPEN_MODEL", true, { items: [str] }, { items: [str, num] }],
  ["ITEM_ADDED_TO_OPEN_MODEL", false, { items: [str] }, { type: "array" }],
  ["ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", true, { items: [str, num] }, { items: [str], additionalItems: int }],
  ["ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", false, { items: [str, str] }, { items: [str], additionalItems: num }],
  ["ITEM_REMOVED_FROM_CLOSED_MODEL", true, { items: [str, num], additionalItems: false }, { items: [str], additionalItems: false }],
  ["ITEM_REMOVED_FROM_CLOSED_MODEL", false, { items: [str], additionalItems: false }, { items: [str, num], additionalItems: false }],
  ["ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", true, { items: [str], additionalItems: num }, { items: [str, int], additionalItems: false }],
  ["ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_MODEL", false, { items: [str], additionalItems: str }, { items: [str, num], additionalItems: false }],
  ["ADDITIONAL_ITEMS_NARROWED", true, { items: [str], additionalItems: num }, { items: [str], additionalItems: int }],
  ["ADDITIONAL_ITEMS_NARROWED", true, { $schema: D2020, prefixItems: [str], items: num }, { $schema: D2020, prefixItems: [str, int], items: false }],
  ["ADDITIONAL_ITEMS_NARROWED", false, { items: [str], additionalItems: false }, { items: [str] }],
  ["ADDITIONAL_ITEMS_NARROWED", false, { $schema: D2020, prefixItems: [str], items: false }, { $schema: D2020, prefixItems: [str] }],
  ["UNEVALUATED_ITEMS_NARROWED", true, { $schema: D2020, prefixItems: [str], unevaluatedItems: false }, { $schema: D2020, prefixItems: [str], items: false }],
  ["UNEVALUATED_ITEMS_NARROWED", false, { $schema: D2020, prefixItems: [str], unevaluatedItems: false }, { $schema: D2020, prefixItems: [str] }],
  ["MIN_ITEMS_INCREASED", true, { minItems: 1 }, { minItems: 2 }],
  ["MIN_ITEMS_INCREASED", false, { minItems: 2 }, { minItems: 1 }],
  ["MAX_ITEMS_DECREASED", true, { maxItems: 2 }, { items: [str, str], additionalItems: false }],
  ["MAX_ITEMS_DECREASED", false, { maxItems: 2 }, { type: "array" }],
  ["UNIQUE_ITEMS_ADDED", true, { uniqueItems: true }, { type: "array", maxItems: 1 }],
  ["UNIQUE_ITEMS_ADDED", false, { uniqueItems: true }, { type: "array" }],
  ["CONTAINS_NARROWED", true, { contains: str }, { type: "array", items: str, minItems: 1 }],
  ["CONTAINS_NARROWED", true, { contains: num }, { contains: int }],
  ["CONTAINS_NARROWED", false, { contains: str }, { type: "array" }],
  ["MAX_CONTAINS_DECREASED", true, { $schema: D2020, contains: str, maxContains: 2 }, { contains: str, maxItems: 2 }],
  ["MAX_CONTAINS_DECREASED", false, { $schema: D2020, contains: str, maxContains: 1 }, { contains: str }],
  ["ANY_OF_NARROWED", true, { anyOf: [str, num, { type: "null" }] }, { anyOf: [str, int] }],
  ["ANY_OF_NARROWED", true, { anyOf: [str, num] }, { type: ["string", "integer"] }],
  ["ANY_OF_NARROWED", false, { anyOf: [str, num] }, { anyOf: [str, { type: "boolean" }] }],
  ["ONE_OF_NARROWED", true, { oneOf: [obj({ kind: { const: "a" } }, { required: ["kind"] }), obj({ kind: { const: "b" } }, { required: ["kind"] })] }, obj({ kind: { const: "a" } }, { required: ["kind"] })],
  ["ONE_OF_NARROWED", true, { oneOf: [str, num] }, { oneOf: [num, str] }],
  ["ONE_OF_NARROWED", false, { oneOf: [num, int] }, int],
  ["NOT_ADDED", true, { not: str }, int],
  ["NOT_ADDED", false, { not: str }, {}],
  ["NOT_WIDENED", true, { not: { type: "string", maxLength: 2 } }, { not: { type: "string", maxLength: 5 } }],
  ["NOT_WIDENED", false, { not: { type: "string", maxLength: 5 } }, { not: { type: "string", maxLength: 2 } }],
  ["REF_UNRESOLVED", true, { $ref: "#/definitions/n", definitions: { n: num } }, int],
  ["REF_UNRESOLVED", true, { $id: "https://example.com/root.json", definitions: { n: { $id: "n.json", ...num } }, properties: { x: { $ref: "https://example.com/n.json" } } }, obj({ x: int })],
  ["REF_UNRESOLVED", false, { $ref: "https://example.com/elsewhere.json" }, {}],
  ["RECURSION_LIMIT", true, nested(20, { maxLength: 10 }), nested(20, { maxLength: 5 })],
  ["RECURSION_LIMIT", false, nested(250, { maxLength: 10 }), nested(250, { maxLength: 5 })],
  ["INVALID_SCHEMA", true, '{"type":"number"}', '{"type":"integer"}'],
  ["INVALID_SCHEMA", false, "{not json", {}],
  ["INVALID_SCHEMA", false, {}, 42],
];

describe("canReadJsonSchema, rule by rule", () => {
  it.each(ROWS)("%s (compatible: %s) reader %j writer %j", (rule, compatible, reader, writer) => {
    const found = canReadJsonSchema(reader, writer);
    if (compatible) expect(found).toEqual([]);
    else expect(found.map((i) => i.rule)).toContain(rule);
    for (const i of found) expect(JSON_SCHEMA_RULES).toContain(i.rule);
  });

  it("every rule has a compatible and an incompatible row", () => {
    const missing = JSON_SCHEMA_RULES.filter((rule) => !ROWS.some((r) => r[0] === rule && r[1]) || !ROWS.some((r) => r[0] === rule && !r[1]));
    expect(missing).toEqual([]);
  });
});

describe("paths and structure", () => {
  it("points into the reader, through $ref as if inlined and into allOf members", () => {
    const writer = obj({ email: str, address: { $ref: "#/definitions/a" } }, { definitions: { a: obj({ zip: num }) } });
    const reader = obj({ email: { allOf: [str, { format: "email" }] }, address: obj({ zip: int }) });
    expect(canReadJsonSchema(reader, writer).map((i) => [i.rule, i.path])).toEqual([
      ["FORMAT_CHANGED", "#/properties/email/allOf/1/format"],
      ["TYPE_NARROWED", "#/properties/address/properties/zip/type"],
    ]);
  });

  it("escapes property names per RFC 6901", () => {
    expect(canReadJsonSchema(obj({ "a/b~c": int }), obj({ "a/b~c": num }))[0]!.path).toBe("#/properties/a~1b~0c/type");
  });

  it("recursive schemas terminate: a cycle met again is assumed to hold", () => {
    const list = (v: object) => ({ $defs: { n: obj({ v, next: { $ref: "#/$defs/n" } }) }, $ref: "#/$defs/n" });
    expect(canReadJsonSchema(list(num), list(int))).toEqual([]);
    expect(canReadJsonSchema(list(int), list(num)).map((i) => i.path)).toEqual(["#/properties/v/type"]);
  });

  it("if/then/else: the writer's data that passes the reader's if must pass then", () => {
    const cond = (then: object) => ({ type: "object", if: obj({ k: { const: "a" } }, { required: ["k"] }), then });
    expect(canReadJsonSchema(cond({ required: ["x"] }), cond({ required: ["x", "y"] }))).toEqual([]);
    expect(canReadJsonSchema(cond({ required: ["x", "y"] }), cond({ required: ["x"] }))[0]!.path).toBe("#/then/required");
    expect(canReadJsonSchema(cond({ required: ["x"] }), obj({ k: { const: "b" } }, { required: ["k"] }))).toEqual([]);
  });

  it("draft-07 $ref siblings: applied on the reader, ignored on the writer, so either validator reading is covered", () => {
    const withSibling = { definitions: { s: str }, $ref: "#/definitions/s", maxLength: 3 };
    expect(canReadJsonSchema(withSibling, str).map((i) => i.rule)).toEqual(["MAX_LENGTH_DECREASED"]);
    expect(canReadJsonSchema({ type: "string", maxLength: 3 }, withSibling).map((i) => i.rule)).toEqual(["MAX_LENGTH_DECREASED"]);
    expect(canReadJsonSchema({ ...withSibling, $schema: D2020, $defs: { s: str }, $ref: "#/$defs/s" }, { $schema: D2020, type: "string", maxLength: 2 })).toEqual([]);
  });

  it("a writer with too many union branches to split is read through its type hull", () => {
    const tagged = Array.from({ length: 9 }, (_, i) => obj({ [`k${i}`]: int }, { required: [`k${i}`] }));
    expect(canReadJsonSchema({ type: "object" }, { allOf: [{ oneOf: tagged }, { oneOf: tagged }] })).toEqual([]);
  });

  it("a writer oneOf branch excludes its siblings: {oneOf: [string, maxLength 5]} writes only strings longer than 5 or non-strings", () => {
    expect(canReadJsonSchema({ anyOf: [{ type: "string", minLength: 6 }, { not: str }] }, { oneOf: [str, { maxLength: 5 }] })).toEqual([]);
  });
});

describe("Confluent's modes through checkCompatibility", () => {
  // Closed models throughout. v1 → v2 adds a required field with a default (compatible under
  // Confluent's rule); v2 → v3 drops the default (v2's data always has the field); v1 → v3 is a
  // required field added without one. Plain inclusion is transitive; the default rule breaks it.
  const closed = (properties: object, required: string[] = []) => obj(properties, { required, additionalProperties: false });
  const v1 = closed({ id: str });
  const v2 = closed({ id: str, region: { type: "string", default: "eu" } }, ["region"]);
  const v3 = closed({ id: str, region: str }, ["region"]);
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  const REQUIRED = [1, "backward", "REQUIRED_PROPERTY_ADDED_WITHOUT_DEFAULT"];
  const CLOSED = [1, "forward", "PROPERTY_REMOVED_FROM_CLOSED_MODEL"];

  it.each<[CompatibilityMode, unknown[][]]>([
    ["BACKWARD", []],
    ["BACKWARD_TRANSITIVE", [REQUIRED]],
    ["FORWARD", []],
    ["FORWARD_TRANSITIVE", [CLOSED]],
    ["FULL", []],
    ["FULL_TRANSITIVE", [REQUIRED, CLOSED]],
    ["NONE", []],
  ])("v3 after v1, v2 under %s → findings %j", (mode, expected) => {
    expect([canReadJsonSchema(v2, v1), canReadJsonSchema(v3, v2)]).toEqual([[], []]);
    const result = checkCompatibility(canReadJsonSchema, v3, history, mode);
    expect(result.compatible).toBe(expected.length === 0);
    expect(result.messages.map((m) => [m.version, m.direction, m.rule])).toEqual(expected);
  });

  it("FORWARD: the old schema must read the candidate's data; a closed old model rejects a new property", () => {
    const old = closed({ id: str });
    const result = checkCompatibility(canReadJsonSchema, obj({ id: str, extra: num }, { additionalProperties: false }), [{ version: 1, schema: old }], "FORWARD");
    expect(result.messages.map((m) => [m.rule, m.path, m.direction])).toEqual([["PROPERTY_REMOVED_FROM_CLOSED_MODEL", "#/properties/extra", "forward"]]);
  });
});
