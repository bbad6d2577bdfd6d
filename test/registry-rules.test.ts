// Pure registry rules (shared/registry/registry-rules.ts): schema validation and canonical
// form, Confluent's version ids and levels, registration decisions and message wording.
import { describe, expect, it } from "vitest";
import {
  checkAgainst,
  decideRegistration,
  describeIncompatibility,
  parseCompatibilityLevel,
  parseJsonSchema,
  parseSchema,
  parseVersionId,
  type ParsedSchema,
  type StoredVersion,
} from "../shared/registry/registry-rules";

function parsed(type: "JSON" | "AVRO", text: string): ParsedSchema {
  const r = parseSchema(type, text);
  if (!r.ok) throw new Error(r.error);
  return r.parsed;
}
const stored = (version: number, id: number, p: ParsedSchema): StoredVersion => ({ version, id, type: p.type, fingerprint: p.fingerprint, text: p.text });

describe("JSON Schema validation", () => {
  it.each([
    ["true (the boolean schema)", "true"],
    ["draft-04 boolean exclusiveMaximum", JSON.stringify({ $schema: "http://json-schema.org/draft-04/schema#", type: "number", maximum: 5, exclusiveMaximum: true })],
    ["2020-12 $defs and $ref", JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", $defs: { a: { type: "string" } }, properties: { x: { $ref: "#/$defs/a" } } })],
    ["an $anchor reference", JSON.stringify({ $defs: { a: { $anchor: "addr", type: "string" } }, properties: { x: { $ref: "#addr" } } })],
    ["a recursive $ref to the root", JSON.stringify({ type: "object", properties: { child: { $ref: "#" } } })],
    ["$id-relative refs", JSON.stringify({ $id: "https://example.com/customer.json", definitions: { a: { type: "string" } }, properties: { x: { $ref: "customer.json#/definitions/a" } } })],
    ["unknown keywords (annotations)", JSON.stringify({ type: "string", "x-pii": true, examples: ["a"] })],
  ])("accepts %s", (_what, text) => {
    expect(parseJsonSchema(text)).toMatchObject({ ok: true });
  });

  it.each([
    ["type misspelled", { type: "strnig" }, /\/type/],
    ["minLength negative", { type: "string", minLength: -1 }, /minLength/],
    ["properties not an object", { properties: ["a"] }, /properties/],
    ["a property schema that is a number", { properties: { a: 3 } }, /properties\/a/],
    ["a non-Unicode-safe pattern", { pattern: "\\p{Nope}" }, /pattern/],
    ["a patternProperties key that is no regex", { patternProperties: { "([": { type: "string" } } }, /patternProperties/],
    ["an unresolvable pointer", { items: { $ref: "#/definitions/missing" } }, /does not resolve/],
  ])("refuses %s", (_what, schema, where) => {
    const r = parseJsonSchema(JSON.stringify(schema));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(where);
  });

  it("canonical form ignores key order and whitespace, so the fingerprint does too", () => {
    const a = parsed("JSON", '{"type":"object","properties":{"a":{"type":"string"}}}');
    const b = parsed("JSON", '{ "properties": { "a": { "type": "string" } },\n  "type": "object" }');
    expect(b.canonical).toBe(a.canonical);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect(b.text).not.toBe(a.text);
  });

  it("names the place and the reasons of a meta-schema failure", () => {
    expect(parseJsonSchema(JSON.stringify({ properties: { a: { type: "record" } } }))).toEqual({
      ok: false,
      error: expect.stringMatching(/^not a valid JSON Schema at #\/properties\/a\/type: Instance does not match any of .*, or Instance type "string" is invalid\. Expected "array"$/),
    });
  });

  it("the same text under another type is another schema", () => {
    const text = JSON.stringify({ type: "string" }); // valid as both
    expect(parsed("AVRO", text).fingerprint).not.toBe(parsed("JSON", text).fingerprint);
    expect(parseSchema("JSON", JSON.stringify({ type: "record", name: "R", fields: [] })).ok).toBe(false);
  });

  it("refuses empty and oversized schemas before parsing", () => {
    expect(parseSchema("JSON", "  ")).toEqual({ ok: false, error: "the schema is empty" });
    expect(parseSchema("JSON", JSON.stringify({ description: "x".repeat(300_000) }))).toMatchObject({ ok: false, error: expect.stringMatching(/at most/) });
  });
});

describe("Confluent ids and levels", () => {
  it.each<[string, number | "latest" | null]>([
    ["latest", "latest"],
    ["-1", "latest"],
    ["1", 1],
    ["2147483647", 2147483647],
    ["2147483648", null],
    ["0", null],
    ["01", null],
    ["-2", null],
    ["1e3", null],
    ["Latest", null],
  ])("version id %j → %j", (text, expected) => {
    expect(parseVersionId(text)).toBe(expected);
  });

  it.each<[unknown, string | null]>([
    ["BACKWARD", "BACKWARD"],
    ["full_transitive", "FULL_TRANSITIVE"],
    ["None", "NONE"],
    ["SIDEWAYS", null],
    [3, null],
    [undefined, null],
  ])("level %j → %j", (value, expected) => {
    expect(parseCompatibilityLevel(value)).toBe(expected);
  });
});

describe("registration decisions", () => {
  const record = (fields: unknown[]) => JSON.stringify({ type: "record", name: "Customer", fields });
  const v1 = parsed("AVRO", record([{ name: "id", type: "string" }]));
  const v2 = parsed("AVRO", record([{ name: "id", type: "string" }, { name: "tier", type: "string", default: "std" }]));
  const noDefault = parsed("AVRO", record([{ name: "id", type: "string" }, { name: "region", type: "string" }]));
  const live = [stored(1, 10, v1), stored(2, 11, v2)];

  it("a schema equal to any live version answers that version, whatever the level", () => {
    expect(decideRegistration(parsed("AVRO", ` ${v1.text} `), live, "FULL_TRANSITIVE")).toEqual({ kind: "existing", id: 10, version: 1 });
  });

  it("a compatible schema is new; an incompatible one names why", () => {
    expect(decideRegistration(v2, [stored(1, 10, v1)], "BACKWARD")).toEqual({ kind: "new" });
    const refused = decideRegistration(noDefault, live, "BACKWARD");
    expect(refused.kind).toBe("incompatible");
    if (refused.kind === "incompatible") expect(refused.messages.join("\n")).toMatch(/^backward: the new schema cannot read data written with version 2: .*region.*\(rule: \S+\)$/m);
    expect(decideRegistration(noDefault, live, "NONE")).toEqual({ kind: "new" });
  });

  it("another schema type is incompatible under every level, NONE included", () => {
    const json = parsed("JSON", '{"type":"object"}');
    for (const mode of ["NONE", "BACKWARD"] as const) {
      expect(checkAgainst(json, live, mode)).toEqual({ compatible: false, messages: ["version 1: schemaType JSON differs from the subject's AVRO (rule: schema-type-mismatch)"] });
    }
  });

  it("messages name direction, version, path and rule", () => {
    const m = { path: "#/properties/a", rule: "type-narrowed", message: "string became integer" };
    expect(describeIncompatibility({ ...m, version: 3, direction: "backward" })).toBe(
      "backward: the new schema cannot read data written with version 3: #/properties/a: string became integer (rule: type-narrowed)",
    );
    expect(describeIncompatibility({ ...m, version: 3, direction: "forward" })).toBe(
      "forward: version 3 cannot read data written with the new schema: #/properties/a: string became integer (rule: type-narrowed)",
    );
  });
});
