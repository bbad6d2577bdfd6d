/**
 * parseAvroSchema against the Avro 1.11 specification's "Schema Declaration", "Complex Types"
 * and "Names": what it normalizes, and which documents it refuses (the registry's 422).
 */
import { describe, expect, it } from "vitest";
import { parseAvroSchema, type AvroSchema } from "./index";

function parsed(input: unknown): AvroSchema {
  const r = parseAvroSchema(input);
  if (!r.ok) throw new Error(r.error);
  return r.schema;
}

describe("parseAvroSchema: valid schemas", () => {
  it.each(["null", "boolean", "int", "long", "float", "double", "bytes", "string"])("primitive %s as a name and as an object", (t) => {
    expect(parsed(JSON.stringify(t)).root).toEqual({ kind: "primitive", type: t });
    expect(parsed({ type: t }).root).toEqual({ kind: "primitive", type: t });
  });

  it("§ Names: full names from name, namespace and the enclosing namespace; later uses are references", () => {
    const s = parsed({
      type: "record",
      name: "Example",
      namespace: "a.b",
      aliases: ["Old", "x.Older"],
      fields: [
        { name: "inherit", type: { type: "enum", name: "Simple", symbols: ["A"] } },
        { name: "explicit", type: { type: "fixed", name: "Simple", namespace: "explicit", size: 12 } },
        { name: "full", type: { type: "record", name: "c.d.Name", namespace: "ignored", fields: [{ name: "u", type: { type: "enum", name: "Under", symbols: ["D"] } }] } },
        { name: "again", type: "Simple" },
        { name: "fullRef", type: "explicit.Simple" },
        { name: "nullNamespaceRef", type: "c.d.Under" },
      ],
    });
    expect(Object.keys(s.named).sort()).toEqual(["a.b.Example", "a.b.Simple", "c.d.Name", "c.d.Under", "explicit.Simple"]);
    expect(s.named["a.b.Example"]!.aliases).toEqual(["a.b.Old", "x.Older"]);
    const fields = (s.root as { fields: { type: unknown }[] }).fields;
    expect(fields[3]!.type).toEqual({ kind: "ref", name: "a.b.Simple" });
    expect(fields[4]!.type).toEqual({ kind: "ref", name: "explicit.Simple" });
  });

  it("a record may refer to itself; a default uses the first union branch", () => {
    const s = parsed({ type: "record", name: "LinkedList", fields: [{ name: "value", type: "long" }, { name: "next", type: ["null", "LinkedList"], default: null }] });
    expect(s.named.LinkedList!.kind).toBe("record");
  });

  it("logical types and unknown attributes are carried through", () => {
    const s = parsed({ type: "bytes", logicalType: "decimal", precision: 4, scale: 2, "x-owner": "team" });
    expect(s.root).toEqual({ kind: "primitive", type: "bytes", logicalType: "decimal", props: { precision: 4, scale: 2, "x-owner": "team" } });
    expect(parsed({ type: "string", logicalType: "not-a-known-one" }).root).toMatchObject({ logicalType: "not-a-known-one" });
  });

  it("Java's fallback: a simple name not found in the namespace is looked up in the null namespace", () => {
    expect(() => parsed(["null", { type: "fixed", name: "F", size: 1 }, { type: "record", name: "R", namespace: "n", fields: [{ name: "f", type: "F" }] }])).not.toThrow();
  });

  it.each<[unknown, unknown]>([
    ["int", 1],
    ["long", 2 ** 40],
    ["float", 1.5],
    ["double", "NaN"],
    ["bytes", "\u00ff"],
    ["boolean", false],
    [{ type: "array", items: "int" }, [1, 2]],
    [{ type: "map", values: "string" }, { a: "x" }],
    [{ type: "enum", name: "E", symbols: ["A", "B"] }, "B"],
    [{ type: "record", name: "P", fields: [{ name: "x", type: "int" }, { name: "y", type: "int", default: 0 }] }, { x: 1 }],
  ])("a default of %j: %j", (type, value) => {
    expect(parseAvroSchema({ type: "record", name: "R", fields: [{ name: "f", type, default: value }] }).ok).toBe(true);
  });
});

describe("parseAvroSchema: invalid schemas, each with a location", () => {
  it.each<[string, unknown, RegExp]>([
    ["not JSON", "{", /^not JSON/],
    ["a number", 42, /^\/: a schema is/],
    ["an undefined name", { type: "record", name: "R", fields: [{ name: "f", type: "Nope" }] }, /^\/fields\/0\/type: undefined name "Nope"/],
    ["a name used before its definition", ["R", { type: "record", name: "R", fields: [] }], /^\/0: undefined name/],
    ["a missing type", { name: "x" }, /missing "type"/],
    ["an unknown type keyword", { type: "tuple" }, /^\/type: undefined name "tuple"/],
    ["a record without fields", { type: "record", name: "R" }, /^\/fields: a record needs/],
    ["a bad name", { type: "record", name: "1R", fields: [] }, /^\/name: "1R" is not a valid name/],
    ["a bad namespace", { type: "record", name: "R", namespace: "a..b", fields: [] }, /not a valid namespace/],
    ["a primitive name defined", { type: "fixed", name: "int", size: 1 }, /primitive type name/],
    ["a name defined twice", ["null", { type: "fixed", name: "F", size: 1 }, { type: "enum", name: "F", symbols: ["A"] }], /^\/2\/name: "F" is defined twice/],
    ["duplicate field names", { type: "record", name: "R", fields: [{ name: "a", type: "int" }, { name: "a", type: "int" }] }, /^\/fields\/1\/name: duplicate field name/],
    ["a field without a type", { type: "record", name: "R", fields: [{ name: "a" }] }, /has no "type"/],
    ["a bad order", { type: "record", name: "R", fields: [{ name: "a", type: "int", order: "up" }] }, /^\/fields\/0\/order/],
    ["duplicate enum symbols", { type: "enum", name: "E", symbols: ["A", "A"] }, /^\/symbols\/1: duplicate symbol/],
    ["a bad enum symbol", { type: "enum", name: "E", symbols: ["A-B"] }, /^\/symbols\/0/],
    ["an enum default not among its symbols", { type: "enum", name: "E", symbols: ["A"], default: "B" }, /^\/default/],
    ["a fixed without a size", { type: "fixed", name: "F" }, /^\/size/],
    ["a negative fixed size", { type: "fixed", name: "F", size: -1 }, /^\/size/],
    ["an array without items", { type: "array" }, /needs "items"/],
    ["a map without values", { type: "map" }, /needs "values"/],
    ["a union inside a union", ["null", ["int"]], /^\/1: a union may not immediately contain another union/],
    ["two strings in a union", ["string", "null", "string"], /^\/2: the union already has a branch of type string/],
    ["two arrays in a union", [{ type: "array", items: "int" }, { type: "array", items: "long" }], /already has a branch of type array/],
    ["aliases not an array", { type: "record", name: "R", aliases: "x", fields: [] }, /^\/aliases/],
    ["a wrong default", { type: "record", name: "R", fields: [{ name: "a", type: "int", default: "1" }] }, /^\/fields\/0\/default: invalid default value/],
    ["an int default out of range", { type: "record", name: "R", fields: [{ name: "a", type: "int", default: 2 ** 31 }] }, /invalid default/],
    ["a union default not of the first branch", { type: "record", name: "R", fields: [{ name: "a", type: ["null", "string"], default: "x" }] }, /first branch/],
    ["a record default missing a field", { type: "record", name: "R", fields: [{ name: "p", type: { type: "record", name: "P", fields: [{ name: "x", type: "int" }] }, default: {} }] }, /field "x" is missing/],
    ["a default that never ends", { type: "record", name: "R", fields: [{ name: "r", type: ["R", "null"], default: {} }] }, /nested deeper/],
  ])("%s", (_name, input, error) => {
    const r = parseAvroSchema(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  it("refuses absurd nesting instead of overflowing the stack", () => {
    let deep: unknown = "int";
    for (let i = 0; i < 500; i++) deep = { type: "array", items: deep };
    const r = parseAvroSchema(deep);
    expect(r.ok).toBe(false);
  });
});
