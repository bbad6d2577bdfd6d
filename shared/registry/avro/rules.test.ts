/**
 * canReadAvro, one table per rule of the Avro 1.11 specification's "Schema Resolution", then the
 * seven Confluent modes through checkCompatibility, transitive ones across three versions.
 */
import { describe, expect, it } from "vitest";
import { checkCompatibility, type CompatibilityMode } from "../compatibility";
import { canReadAvro, parseAvroSchema } from "./index";

const rec = (name: string, fields: unknown[], extra: Record<string, unknown> = {}) => ({ type: "record", name, fields, ...extra });
const f = (name: string, type: unknown, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });
const en = (name: string, symbols: string[], extra: Record<string, unknown> = {}) => ({ type: "enum", name, symbols, ...extra });
const fixed = (name: string, size: number, extra: Record<string, unknown> = {}) => ({ type: "fixed", name, size, ...extra });
// Schemas go in as text, as the registry stores them ("int" alone would be text that is not JSON).
const rules = (reader: unknown, writer: unknown) => canReadAvro(JSON.stringify(reader), JSON.stringify(writer)).map((i) => `${i.rule} ${i.path}`);

describe("§ Schema Resolution: same primitive type and promotions", () => {
  const promotable: [string, string][] = [
    ["int", "long"], ["int", "float"], ["int", "double"], ["long", "float"], ["long", "double"],
    ["float", "double"], ["string", "bytes"], ["bytes", "string"],
  ];
  it.each(promotable)("writer %s is promoted to reader %s", (writer, reader) => {
    expect(rules(reader, writer)).toEqual([]);
  });
  it.each(["null", "boolean", "int", "long", "float", "double", "bytes", "string"])("%s reads itself", (t) => {
    expect(rules(t, t)).toEqual([]);
  });
  it.each<[string, string]>([
    ["long", "int"], ["float", "long"], ["double", "int"], ["double", "float"], ["boolean", "int"], ["null", "string"], ["int", "string"],
  ])("writer %s cannot be read as %s: TYPE_MISMATCH", (writer, reader) => {
    expect(rules(reader, writer)).toEqual(["TYPE_MISMATCH /"]);
  });
  it("kinds never cross: an array is not a map, a record is not a string", () => {
    expect(rules({ type: "array", items: "int" }, { type: "map", values: "int" })).toEqual(["TYPE_MISMATCH /"]);
    expect(rules("string", rec("R", []))).toEqual(["TYPE_MISMATCH /"]);
  });
  it("logical types are annotations: a timestamp-millis long reads a plain long", () => {
    expect(rules({ type: "long", logicalType: "timestamp-millis" }, "long")).toEqual([]);
  });
});

describe("§ Logical Types › Decimal: decimals match only with equal precision and scale", () => {
  const dec = (precision: number, scale?: number) => ({ type: "bytes", logicalType: "decimal", precision, ...(scale === undefined ? {} : { scale }) });
  it.each<[unknown, unknown, string[]]>([
    [dec(4, 2), dec(4, 2), []],
    [dec(4), dec(4, 0), []],
    [dec(5, 2), dec(4, 2), ["DECIMAL_MISMATCH /"]],
    [dec(4, 1), dec(4, 2), ["DECIMAL_MISMATCH /"]],
    [dec(4, 2), "bytes", []],
    [dec(2, 4), dec(4, 2), []], // scale > precision: an invalid decimal is plain bytes
  ])("reader %j, writer %j → %j", (reader, writer, expected) => expect(rules(reader, writer)).toEqual(expected));
  it("a fixed decimal too wide for its size is ignored", () => {
    expect(rules(fixed("D", 2, { logicalType: "decimal", precision: 9 }), fixed("D", 2, { logicalType: "decimal", precision: 4 }))).toEqual([]);
    expect(rules(fixed("D", 2, { logicalType: "decimal", precision: 3 }), fixed("D", 2, { logicalType: "decimal", precision: 4 }))).toEqual(["DECIMAL_MISMATCH /"]);
  });
});

describe("§ if both are records: READER_FIELD_MISSING_DEFAULT_VALUE", () => {
  const writer = rec("R", [f("a", "int"), f("b", "string")]);
  it.each<[string, unknown, string[]]>([
    ["writer fields the reader lacks are ignored", rec("R", [f("a", "int")]), []],
    ["field order does not matter", rec("R", [f("b", "string"), f("a", "int")]), []],
    ["a new reader field with a default", rec("R", [f("a", "int"), f("c", "int", { default: 0 })]), []],
    ["a new reader field with a null default", rec("R", [f("a", "int"), f("c", ["null", "int"], { default: null })]), []],
    ["a new reader field without a default", rec("R", [f("a", "int"), f("c", "int")]), ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]],
    ["a renamed field with the old name as alias", rec("R", [f("a", "int"), f("bee", "string", { aliases: ["b"] })]), []],
    ["a renamed field without an alias", rec("R", [f("a", "int"), f("bee", "string")]), ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]],
    ["field types resolve recursively", rec("R", [f("a", "long"), f("b", "int")]), ["TYPE_MISMATCH /fields/1/type"]],
  ])("%s", (_name, reader, expected) => expect(rules(reader, writer)).toEqual(expected));

  it("nested records report the full path", () => {
    const w = rec("Outer", [f("inner", rec("Inner", [f("x", "int")]))]);
    const r = rec("Outer", [f("inner", rec("Inner", [f("x", "int"), f("y", "int")]))]);
    expect(rules(r, w)).toEqual(["READER_FIELD_MISSING_DEFAULT_VALUE /fields/0/type/fields/1"]);
  });

  it("recursive records resolve without looping", () => {
    const list = (extra: unknown[]) => rec("LinkedList", [f("value", "int"), f("next", ["null", "LinkedList"], { default: null }), ...extra]);
    expect(rules(list([]), list([]))).toEqual([]);
    expect(rules(list([f("tag", "string")]), list([]))).toEqual(["READER_FIELD_MISSING_DEFAULT_VALUE /fields/2"]);
  });
});

describe("§ names: NAME_MISMATCH (unqualified names, or a reader alias)", () => {
  it.each<[string, unknown, unknown, string[]]>([
    ["same name", rec("a.R", []), rec("a.R", []), []],
    ["unqualified names match across namespaces", rec("R", [], { namespace: "x" }), rec("R", [], { namespace: "y" }), []],
    ["a different name", rec("S", []), rec("R", []), ["NAME_MISMATCH /name"]],
    ["a reader alias names the writer's type", rec("S", [], { aliases: ["R"] }), rec("R", []), []],
    ["a full-name alias", rec("n.S", [], { aliases: ["m.R"] }), rec("m.R", []), []],
    ["enum names", en("E", ["A"]), en("F", ["A"]), ["NAME_MISMATCH /name"]],
    ["fixed names", fixed("F", 4), fixed("G", 4), ["NAME_MISMATCH /name"]],
  ])("%s", (_name, reader, writer, expected) => expect(rules(reader, writer)).toEqual(expected));
});

describe("§ fixed: FIXED_SIZE_MISMATCH", () => {
  it.each<[number, number, string[]]>([
    [16, 16, []],
    [8, 16, ["FIXED_SIZE_MISMATCH /size"]],
    [16, 8, ["FIXED_SIZE_MISMATCH /size"]],
  ])("reader size %i, writer size %i", (r, w, expected) => expect(rules(fixed("md5", r), fixed("md5", w))).toEqual(expected));
});

describe("§ if both are enums: MISSING_ENUM_SYMBOLS", () => {
  it.each<[string, unknown, unknown, string[]]>([
    ["the reader has every writer symbol", en("E", ["A", "B", "C"]), en("E", ["A", "B"]), []],
    ["symbol order does not matter", en("E", ["B", "A"]), en("E", ["A", "B"]), []],
    ["a writer symbol is missing", en("E", ["A"]), en("E", ["A", "B"]), ["MISSING_ENUM_SYMBOLS /symbols"]],
    ["a missing symbol falls back to the reader's default", en("E", ["A", "UNKNOWN"], { default: "UNKNOWN" }), en("E", ["A", "B"]), []],
  ])("%s", (_name, reader, writer, expected) => expect(rules(reader, writer)).toEqual(expected));
});

describe("§ arrays and maps resolve their items and values", () => {
  it.each<[unknown, unknown, string[]]>([
    [{ type: "array", items: "long" }, { type: "array", items: "int" }, []],
    [{ type: "array", items: "int" }, { type: "array", items: "long" }, ["TYPE_MISMATCH /items"]],
    [{ type: "map", values: "double" }, { type: "map", values: "float" }, []],
    [{ type: "map", values: en("E", ["A"]) }, { type: "map", values: en("E", ["A", "B"]) }, ["MISSING_ENUM_SYMBOLS /values/symbols"]],
  ])("reader %j, writer %j", (reader, writer, expected) => expect(rules(reader, writer)).toEqual(expected));
});

describe("§ unions: MISSING_UNION_BRANCH", () => {
  it.each<[string, unknown, unknown, string[]]>([
    ["reader union, writer branch present", ["null", "string"], "string", []],
    ["reader union, writer promoted into a branch", ["null", "long"], "int", []],
    ["reader union lacks the writer's type", ["null", "string"], "int", ["MISSING_UNION_BRANCH /"]],
    ["writer union, every branch readable", ["null", "string", "int"], ["string", "null"], []],
    ["writer union, one branch unreadable", ["null", "string"], ["null", "string", "int"], ["MISSING_UNION_BRANCH /"]],
    ["writer union, reader not a union", "string", ["null", "string"], ["TYPE_MISMATCH /"]],
    ["writer union of one branch, reader that type", "long", ["int"], []],
    ["the first matching reader branch is resolved recursively", ["null", rec("R", [f("a", "int"), f("b", "int")])], rec("R", [f("a", "int")]), ["READER_FIELD_MISSING_DEFAULT_VALUE /1/fields/1"]],
    ["a named branch is chosen by name", ["null", rec("A", []), rec("B", [f("x", "int", { default: 1 })])], rec("B", []), []],
  ])("%s", (_name, reader, writer, expected) => expect(rules(reader, writer)).toEqual(expected));

  it("a branch with the writer's full name wins over an earlier one with the same unqualified name", () => {
    const reader = [rec("R", [f("x", "int")], { namespace: "a" }), rec("R", [], { namespace: "b" })];
    expect(rules(reader, rec("R", [], { namespace: "b" }))).toEqual([]);
    expect(rules(reader, rec("R", [], { namespace: "c" }))).toEqual(["READER_FIELD_MISSING_DEFAULT_VALUE /0/fields/0"]);
  });
});

describe("inputs", () => {
  it("takes text, parsed JSON or a normalized schema alike", () => {
    const text = JSON.stringify(rec("R", [f("a", "int")]));
    const parsed = parseAvroSchema(text);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(canReadAvro(parsed.schema, text)).toEqual([]);
    expect(canReadAvro(JSON.parse(text), parsed.schema)).toEqual([]);
  });
  it("an invalid schema is one INVALID_SCHEMA incompatibility, never a throw", () => {
    expect(canReadAvro("{", '"int"')).toEqual([expect.objectContaining({ rule: "INVALID_SCHEMA", path: "/" })]);
    expect(canReadAvro('"int"', { type: "nope" })).toEqual([expect.objectContaining({ rule: "INVALID_SCHEMA", message: expect.stringMatching(/^the writer's schema is not valid Avro: \/type: undefined name "nope"/) })]);
  });
  it("messages say what differs", () => {
    expect(canReadAvro(en("E", ["A"]), en("E", ["A", "B", "C"]))[0]?.message).toMatch(/lacks the writer's symbols B, C/);
  });
});

describe("Confluent modes over Avro (checkCompatibility)", () => {
  // v1 {a}; v2 {a, b = default}; v3 {a, b = default, c = default}: every step is FULL.
  const v1 = rec("R", [f("a", "int")]);
  const v2 = rec("R", [f("a", "int"), f("b", "string", { default: "" })]);
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  it.each<[CompatibilityMode, unknown, boolean, number[]]>([
    ["NONE", "string", true, []],
    ["BACKWARD", rec("R", [f("a", "int"), f("b", "string", { default: "" }), f("c", "int", { default: 0 })]), true, []],
    // Reads v2 (b is written) but not v1 (b is missing, no default).
    ["BACKWARD", rec("R", [f("a", "int"), f("b", "string")]), true, []],
    ["BACKWARD_TRANSITIVE", rec("R", [f("a", "int"), f("b", "string")]), false, [1]],
    ["BACKWARD", rec("R", [f("a", "long"), f("c", "int")]), false, [2]],
    // Drops a (no default anywhere): v2 and v1 readers need it; FORWARD asks them to read the candidate.
    ["FORWARD", rec("R", [f("b", "string", { default: "" })]), false, [2]],
    // v2 can read a candidate without b (b has a default); v1 too.
    ["FORWARD", rec("R", [f("a", "int")]), true, []],
    // Candidate writes a as string: v2 reads it? no (string → int).
    ["FORWARD_TRANSITIVE", rec("R", [f("a", "string"), f("b", "string", { default: "" })]), false, [1, 2]],
    // Candidate narrows b's default away: it reads v2, and v2/v1 read it, but it cannot read v1.
    ["FULL", rec("R", [f("a", "int"), f("b", "string")]), true, []],
    ["FULL_TRANSITIVE", rec("R", [f("a", "int"), f("b", "string")]), false, [1]],
    ["FULL_TRANSITIVE", rec("R", [f("a", "int"), f("b", "string", { default: "" }), f("c", "int", { default: 0 })]), true, []],
  ])("%s with candidate %j → compatible %s (failing versions %j)", (mode, candidate, compatible, versions) => {
    const result = checkCompatibility(canReadAvro, candidate, history, mode);
    expect(result.compatible).toBe(compatible);
    expect([...new Set(result.messages.map((m) => m.version))].sort()).toEqual(versions);
  });

  it("names the direction of each incompatibility", () => {
    const result = checkCompatibility(canReadAvro, rec("R", [f("a", "int"), f("z", "int")]), history, "FULL");
    expect(result.messages.map((m) => [m.direction, m.rule, m.path])).toEqual([["backward", "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1"]]);
  });
});
