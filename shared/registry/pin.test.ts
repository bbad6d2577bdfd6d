import { describe, expect, it } from "vitest";
import type { CanRead } from "./compatibility";
import { holdReason, pinPrecheck, pinVerdict, schemaIdOf, type SchemaPin, type SchemaText } from "./pin";
import { canReadOf } from "./registry-rules";

const URL_OF = (tenant: string, id: number) => `https://changecast.example/registry/t/${tenant}/schemas/ids/${id}`;
const PIN: SchemaPin = { subject: "customer", version: 1, id: 7 };

describe("schemaIdOf", () => {
  it.each([
    { name: "this tenant's registry URL", value: URL_OF("acme", 12), expected: 12 },
    { name: "a relative one", value: "/registry/t/acme/schemas/ids/3", expected: 3 },
    { name: "another tenant's", value: URL_OF("other", 12), expected: null },
    { name: "a foreign schema URL", value: "https://schemas.example/acme/customer/3", expected: null },
    { name: "id 0", value: URL_OF("acme", 0), expected: null },
    { name: "a trailing path", value: URL_OF("acme", 3) + "/schema", expected: null },
    { name: "absent", value: undefined, expected: null },
    { name: "not a string", value: 12, expected: null },
  ])("$name → $expected", ({ value, expected }) => {
    expect(schemaIdOf(value, "acme")).toBe(expected);
  });
});

describe("pinPrecheck: what needs no registry read", () => {
  const event = (extra: { recordType?: string; dataschema?: string }) => ({ tenant: "acme", recordType: "customer", ...extra });
  it.each([
    { name: "no pin", pin: null, ev: event({ dataschema: URL_OF("acme", 9) }), expected: { kind: "deliver", why: "unpinned" } },
    { name: "no dataschema", pin: PIN, ev: event({}), expected: { kind: "deliver", why: "no-dataschema" } },
    { name: "another tenant's dataschema", pin: PIN, ev: event({ dataschema: URL_OF("other", 9) }), expected: { kind: "deliver", why: "no-dataschema" } },
    { name: "another record type", pin: PIN, ev: event({ recordType: "supplier", dataschema: URL_OF("acme", 9) }), expected: { kind: "deliver", why: "other-subject" } },
    { name: "the pinned schema id", pin: PIN, ev: event({ dataschema: URL_OF("acme", 7) }), expected: { kind: "deliver", why: "same-schema" } },
    { name: "another schema of the subject", pin: PIN, ev: event({ dataschema: URL_OF("acme", 9) }), expected: { kind: "check", schemaId: 9 } },
  ])("$name → $expected.kind", ({ pin, ev, expected }) => {
    expect(pinPrecheck(pin, ev)).toEqual(expected);
  });
});

const json = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}): SchemaText => ({
  type: "JSON",
  text: JSON.stringify({ type: "object", properties, required: ["id"], ...extra }),
});
const V1 = json({ id: { type: "string" }, age: { type: "integer" } });
const V2_OPTIONAL_ADDED = json({ id: { type: "string" }, age: { type: "integer" }, email: { type: "string" } });
const V3_TYPE_CHANGED = json({ id: { type: "string" }, age: { type: "string" }, email: { type: "string" } });

const avro = (fields: unknown[]): SchemaText => ({ type: "AVRO", text: JSON.stringify({ type: "record", name: "Customer", fields }) });
const A1 = avro([{ name: "id", type: "string" }]);
const A2_FIELD_ADDED = avro([{ name: "id", type: "string" }, { name: "email", type: ["null", "string"], default: null }]);
const A3_NO_DEFAULT_READER = avro([{ name: "id", type: "string" }, { name: "tier", type: "int" }]);

describe("pinVerdict: the pinned version reads the event's version (pinned = reader)", () => {
  it.each([
    { name: "JSON: an optional property added (open model)", pinned: V1, written: { ...V2_OPTIONAL_ADDED, version: 2 }, kind: "deliver" },
    { name: "JSON: a property's type changed", pinned: V1, written: { ...V3_TYPE_CHANGED, version: 3 }, kind: "hold" },
    { name: "JSON: v2 pinned, v1 written (v1's open model writes any email)", pinned: V2_OPTIONAL_ADDED, written: { ...V1, version: 1 }, pin: { ...PIN, version: 2 }, kind: "hold" },
    { name: "Avro: a field with a default added (the pinned reader ignores it)", pinned: A1, written: { ...A2_FIELD_ADDED, version: 2 }, kind: "deliver" },
    { name: "Avro: the pinned reader has a field the writer lacks, without default", pinned: A3_NO_DEFAULT_READER, written: { ...A1, version: 1 }, pin: { ...PIN, version: 3 }, kind: "hold" },
    { name: "the same version (never checked)", pinned: V1, written: { ...V3_TYPE_CHANGED, version: 1 }, kind: "deliver" },
    { name: "not a version of the subject", pinned: V1, written: { ...V3_TYPE_CHANGED, version: null }, kind: "deliver" },
    { name: "another schema type", pinned: V1, written: { ...A1, version: 2 }, kind: "hold" },
  ])("$name → $kind", ({ pinned, written, pin, kind }) => {
    expect(pinVerdict(pin ?? PIN, pinned, written, canReadOf).kind).toBe(kind);
  });

  it("the reason names the subject, both versions and the first rule with its path", () => {
    const verdict = pinVerdict(PIN, V1, { ...V3_TYPE_CHANGED, version: 3 }, canReadOf);
    expect(verdict.kind).toBe("hold");
    if (verdict.kind !== "hold") return;
    expect(verdict.reason).toMatch(/^schema incompatibility: pinned customer v1 cannot read v3: TYPE_NARROWED at #\/properties\/age/);
    expect(verdict.incompatibilities[0]).toMatchObject({ rule: "TYPE_NARROWED" });
  });

  it("a type change is named as such, without running a checker", () => {
    const never: CanRead = () => {
      throw new Error("must not be called");
    };
    const verdict = pinVerdict(PIN, V1, { ...A1, version: 2 }, () => never);
    expect(verdict).toMatchObject({ kind: "hold", reason: "schema incompatibility: pinned customer v1 cannot read v2: SCHEMA_TYPE_CHANGED" });
  });

  it("a checker that throws holds the event (readability unproven)", () => {
    const broken: CanRead = () => {
      throw new Error("boom");
    };
    expect(pinVerdict(PIN, V1, { ...V2_OPTIONAL_ADDED, version: 2 }, () => broken)).toMatchObject({ kind: "hold", incompatibilities: [{ rule: "CHECK_FAILED", message: "boom" }] });
  });

  it("the reason names at most three findings and counts the rest", () => {
    const found = [1, 2, 3, 4, 5].map((i) => ({ path: `#/properties/p${i}`, rule: `R${i}`, message: "" }));
    expect(holdReason(PIN, 4, found)).toBe("schema incompatibility: pinned customer v1 cannot read v4: R1 at #/properties/p1; R2 at #/properties/p2; R3 at #/properties/p3 (+2 more)");
  });
});
