/**
 * canReadProtobuf, one table per rule (Language Guide "Updating A Message Type", as Confluent's
 * ProtobufSchema diff applies it: writer = older schema, reader = newer), then the seven
 * Confluent modes through checkCompatibility, transitive ones across three versions.
 */
import { describe, expect, it } from "vitest";
import { checkCompatibility, type CompatibilityMode } from "../compatibility";
import { canReadProtobuf, parseProto } from "./index";

const p3 = (body: string, pkg = "shop") => `syntax = "proto3";\npackage ${pkg};\n${body}\n`;
const p2 = (body: string) => `syntax = "proto2";\npackage shop;\n${body}\n`;
const rules = (reader: string, writer: string) => canReadProtobuf(reader, writer).map((i) => `${i.rule} ${i.path}`);

describe("fields are matched by number; adding, removing and renaming are free", () => {
  const writer = p3(`message M { int32 a = 1; string b = 2; }`);
  it.each<[string, string, string[]]>([
    ["the same schema", writer, []],
    ["a field renamed", p3(`message M { int32 count = 1; string b = 2; }`), []],
    ["a field added", p3(`message M { int32 a = 1; string b = 2; double c = 3; }`), []],
    ["a field removed", p3(`message M { int32 a = 1; }`), []],
    ["a field removed and its number reserved", p3(`message M { int32 a = 1; reserved 2; reserved "b"; }`), []],
    ["a message and an enum added", p3(`message M { int32 a = 1; string b = 2; } message N {} enum E { Z = 0; }`), []],
    ["messages reordered", p3(`message Z {} message M { int32 a = 1; string b = 2; }`), []],
  ])("%s", (_name, reader, expected) => expect(rules(reader, writer)).toEqual(expected));
});

describe("FIELD_SCALAR_KIND_CHANGED: scalars change only within a wire-compatible group", () => {
  const groups = [["int32", "uint32", "int64", "uint64", "bool"], ["sint32", "sint64"], ["fixed32", "sfixed32"], ["fixed64", "sfixed64"], ["string", "bytes"], ["float"], ["double"]];
  const pairs = groups.flatMap((g) => g.flatMap((a) => g.map((b): [string, string, boolean] => [a, b, true])));
  const crossings: [string, string, boolean][] = [["int32", "sint32", false], ["int64", "fixed64", false], ["fixed32", "float", false], ["float", "double", false], ["string", "int32", false], ["sint64", "sfixed64", false], ["bytes", "fixed32", false]];
  it.each<[string, string, boolean]>([...pairs, ...crossings])("writer %s, reader %s → compatible %s", (w, r, ok) => {
    expect(rules(p3(`message M { ${r} f = 1; }`), p3(`message M { ${w} f = 1; }`))).toEqual(ok ? [] : ["FIELD_SCALAR_KIND_CHANGED #/M/1"]);
  });
  it("an enum is an int32 on the wire: enum ↔ varint types is compatible, enum ↔ sint32 is not", () => {
    const withEnum = p3(`message M { E f = 1; } enum E { Z = 0; }`);
    expect(rules(withEnum, p3(`message M { int64 f = 1; } enum E { Z = 0; }`))).toEqual([]);
    expect(rules(p3(`message M { uint32 f = 1; } enum E { Z = 0; }`), withEnum)).toEqual([]);
    expect(rules(withEnum, p3(`message M { sint32 f = 1; } enum E { Z = 0; }`))).toEqual(["FIELD_SCALAR_KIND_CHANGED #/M/1"]);
  });
});

describe("FIELD_KIND_CHANGED and FIELD_NAMED_TYPE_CHANGED: a number reused with another type", () => {
  const writer = p3(`message M { N f = 1; } message N { int32 x = 1; } message O { int32 x = 1; }`);
  it.each<[string, string, string[]]>([
    ["message to scalar", p3(`message M { int32 f = 1; } message N { int32 x = 1; } message O { int32 x = 1; }`), ["FIELD_KIND_CHANGED #/M/1"]],
    ["message to map", p3(`message M { map<string, int32> f = 1; } message N { int32 x = 1; } message O { int32 x = 1; }`), ["FIELD_KIND_CHANGED #/M/1"]],
    ["message to another message", p3(`message M { O f = 1; } message N { int32 x = 1; } message O { int32 x = 1; }`), ["FIELD_NAMED_TYPE_CHANGED #/M/1"]],
    ["the message referred to by a relative or an absolute name", p3(`message M { .shop.N f = 1; } message N { int32 x = 1; } message O { int32 x = 1; }`), []],
    [
      "the referred message changed incompatibly",
      p3(`message M { N f = 1; } message N { string x = 1; } message O { int32 x = 1; }`),
      ["FIELD_NAMED_TYPE_CHANGED #/M/1", "FIELD_SCALAR_KIND_CHANGED #/N/1"],
    ],
  ])("%s", (_name, reader, expected) => expect(rules(reader, writer).sort()).toEqual(expected.sort()));

  it("map keys and values are compared as fields", () => {
    const w = p3(`message M { map<string, int32> f = 1; }`);
    expect(rules(p3(`message M { map<string, int64> f = 1; }`), w)).toEqual([]);
    expect(rules(p3(`message M { map<int32, int32> f = 1; }`), w)).toEqual(["FIELD_SCALAR_KIND_CHANGED #/M/1"]);
    expect(rules(p3(`message M { map<string, sint32> f = 1; }`), w)).toEqual(["FIELD_SCALAR_KIND_CHANGED #/M/1"]);
  });

  it("an imported type is compared by its name only (its file is a reference this registry does not hold)", () => {
    const w = p3(`import "google/protobuf/timestamp.proto"; message M { google.protobuf.Timestamp at = 1; }`);
    expect(rules(w, w)).toEqual([]);
    expect(rules(p3(`import "x.proto"; message M { other.Time at = 1; }`), w)).toEqual(["FIELD_NAMED_TYPE_CHANGED #/M/1"]);
  });

  it("recursive messages compare without looping", () => {
    const tree = p3(`message Node { int32 v = 1; repeated Node children = 2; }`);
    expect(rules(tree, tree)).toEqual([]);
    expect(rules(p3(`message Node { string v = 1; repeated Node children = 2; }`), tree)).toEqual(["FIELD_SCALAR_KIND_CHANGED #/Node/1"]);
  });
});

describe("FIELD_NUMERIC_LABEL_CHANGED: repeated ↔ singular is safe for strings, bytes and messages only", () => {
  it.each<[string, string, string, string[]]>([
    ["string", "string f = 1;", "repeated string f = 1;", []],
    ["bytes", "bytes f = 1;", "repeated bytes f = 1;", []],
    ["message", "N f = 1;", "repeated N f = 1;", []],
    ["int32, proto3 implicit to repeated (packed: another wire type)", "int32 f = 1;", "repeated int32 f = 1;", ["FIELD_NUMERIC_LABEL_CHANGED #/M/1"]],
    ["int32, proto3 optional to repeated", "optional int32 f = 1;", "repeated int32 f = 1;", ["FIELD_NUMERIC_LABEL_CHANGED #/M/1"]],
    ["double, repeated to singular", "repeated double f = 1;", "double f = 1;", ["FIELD_NUMERIC_LABEL_CHANGED #/M/1"]],
    ["int32, implicit to optional", "int32 f = 1;", "optional int32 f = 1;", []],
  ])("%s", (_name, w, r, expected) => {
    expect(rules(p3(`message M { ${r} } message N {}`), p3(`message M { ${w} } message N {}`))).toEqual(expected);
  });
});

describe("proto2 required: REQUIRED_FIELD_ADDED, REQUIRED_FIELD_REMOVED", () => {
  const writer = p2(`message M { required int32 a = 1; optional string b = 2; }`);
  it.each<[string, string, string[]]>([
    ["a required field added", p2(`message M { required int32 a = 1; optional string b = 2; required int32 c = 3; }`), ["REQUIRED_FIELD_ADDED #/M/3"]],
    ["an optional field made required", p2(`message M { required int32 a = 1; required string b = 2; }`), ["REQUIRED_FIELD_ADDED #/M/2"]],
    ["a required field removed", p2(`message M { optional string b = 2; }`), ["REQUIRED_FIELD_REMOVED #/M/1"]],
    ["a required field made optional", p2(`message M { optional int32 a = 1; optional string b = 2; }`), []],
  ])("%s", (_name, reader, expected) => expect(rules(reader, writer)).toEqual(expected));
});

describe("oneofs: ONEOF_FIELD_REMOVED, MULTIPLE_FIELDS_MOVED_TO_ONEOF, FIELD_MOVED_TO_EXISTING_ONEOF", () => {
  it.each<[string, string, string, string[]]>([
    ["a oneof member added", "oneof o { int32 a = 1; }", "oneof o { int32 a = 1; string b = 2; }", []],
    ["a oneof member removed", "oneof o { int32 a = 1; string b = 2; }", "oneof o { int32 a = 1; }", ["ONEOF_FIELD_REMOVED #/M/o/2"]],
    ["a whole oneof removed", "oneof o { int32 a = 1; string b = 2; }", "", []],
    ["a oneof renamed", "oneof o { int32 a = 1; string b = 2; }", "oneof p { int32 a = 1; string b = 2; }", []],
    ["one field moved into a new oneof", "int32 a = 1; string b = 2;", "string b = 2; oneof o { int32 a = 1; }", []],
    ["two fields moved into one oneof", "int32 a = 1; string b = 2;", "oneof o { int32 a = 1; string b = 2; }", ["MULTIPLE_FIELDS_MOVED_TO_ONEOF #/M/o"]],
    ["a field moved into an existing oneof", "int32 a = 1; oneof o { string b = 2; }", "oneof o { int32 a = 1; string b = 2; }", ["FIELD_MOVED_TO_EXISTING_ONEOF #/M/o"]],
    ["a member moved out to the top level", "oneof o { int32 a = 1; string b = 2; }", "int32 a = 1; oneof o { string b = 2; }", []],
    ["a member's type changed as it moved", "oneof o { int32 a = 1; string b = 2; }", "sint32 a = 1; oneof o { string b = 2; }", ["FIELD_SCALAR_KIND_CHANGED #/M/1"]],
  ])("%s", (_name, w, r, expected) => {
    expect(rules(p3(`message M { ${r} }`), p3(`message M { ${w} }`))).toEqual(expected);
  });
});

describe("messages, enums and the package", () => {
  it.each<[string, string, string, string[]]>([
    ["a message removed (Confluent: data may name any message of the file)", `message M {} message N {}`, `message M {}`, ["MESSAGE_REMOVED #/N"]],
    ["a nested message removed", `message M { message In { int32 x = 1; } }`, `message M {}`, ["MESSAGE_REMOVED #/M/In"]],
    ["a message renamed (Confluent: removed, plus a new one)", `message M {}`, `message Renamed {}`, ["MESSAGE_REMOVED #/M"]],
    ["an enum value added, removed or renamed", `enum E { Z = 0; A = 1; B = 2; }`, `enum E { ZERO = 0; A = 1; C = 3; }`, []],
    ["an enum removed", `message M {} enum E { Z = 0; }`, `message M {}`, []],
  ])("%s", (_name, w, r, expected) => expect(rules(p3(r), p3(w))).toEqual(expected));

  it("PACKAGE_CHANGED", () => {
    expect(rules(p3(`message M {}`, "shop.v2"), p3(`message M {}`, "shop.v1"))).toEqual(["PACKAGE_CHANGED #/"]);
  });
});

describe("reserved numbers: RESERVED_FIELD_NUMBER_REUSED, RESERVED_ENUM_NUMBER_REUSED", () => {
  it.each<[string, string, string, string[]]>([
    ["a reserved field number used again", `message M { int32 a = 1; reserved 2 to 4; }`, `message M { int32 a = 1; string c = 3; }`, ["RESERVED_FIELD_NUMBER_REUSED #/M/3"]],
    ["an unreserved number used", `message M { int32 a = 1; reserved 2 to 4; }`, `message M { int32 a = 1; string c = 5; reserved 2 to 4; }`, []],
    ["a reserved enum number used again", `enum E { Z = 0; reserved 1; }`, `enum E { Z = 0; BACK = 1; }`, ["RESERVED_ENUM_NUMBER_REUSED #/E/1"]],
  ])("%s", (_name, w, r, expected) => expect(rules(p3(r), p3(w))).toEqual(expected));
});

describe("inputs", () => {
  it("takes text or a normalized schema alike", () => {
    const text = p3(`message M { int32 a = 1; }`);
    const parsed = parseProto(text);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(canReadProtobuf(parsed.schema, text)).toEqual([]);
  });
  it("an invalid schema is an INVALID_SCHEMA incompatibility, never a throw", () => {
    expect(canReadProtobuf("message {", p3(""))).toEqual([expect.objectContaining({ rule: "INVALID_SCHEMA", path: "#/" })]);
    expect(canReadProtobuf(p3(""), 42)).toEqual([expect.objectContaining({ rule: "INVALID_SCHEMA", message: expect.stringMatching(/writer's/) })]);
  });
});

describe("Confluent modes over Protobuf (checkCompatibility)", () => {
  // v1 {a int32 = 1, b string = 2}; v2 drops b (reserves nothing): every step so far is FULL in proto3.
  const v1 = p3(`message M { int32 a = 1; string b = 2; }`);
  const v2 = p3(`message M { int32 a = 1; }`);
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  const reuse2 = p3(`message M { int32 a = 1; double b2 = 2; }`); // number 2 again, another wire type
  it.each<[CompatibilityMode, string, boolean, number[]]>([
    ["NONE", p3(`message Other { bool x = 1; }`), true, []],
    ["BACKWARD", reuse2, true, []], // v2 never wrote 2
    ["BACKWARD_TRANSITIVE", reuse2, false, [1]],
    ["FORWARD", reuse2, true, []],
    ["FORWARD_TRANSITIVE", reuse2, false, [1]],
    ["FULL", reuse2, true, []],
    ["FULL_TRANSITIVE", reuse2, false, [1]],
    ["FULL_TRANSITIVE", p3(`message M { int64 a = 1; string b = 2; bytes c = 3; }`), true, []],
    ["BACKWARD", p3(`message M { sint32 a = 1; }`), false, [2]],
    ["FORWARD", p3(`message N { int32 a = 1; }`), false, [2]], // v2's reader lacks N: the candidate may write it
  ])("%s with candidate %j → compatible %s (failing versions %j)", (mode, candidate, compatible, versions) => {
    const result = checkCompatibility(canReadProtobuf, candidate, history, mode);
    expect(result.compatible).toBe(compatible);
    expect([...new Set(result.messages.map((m) => m.version))].sort()).toEqual(versions);
  });

  it("names the direction of each incompatibility", () => {
    const result = checkCompatibility(canReadProtobuf, p3(`message N { int32 a = 1; }`), history, "FULL");
    expect(result.messages.map((m) => [m.direction, m.rule, m.path])).toEqual([
      ["backward", "MESSAGE_REMOVED", "#/M"],
      ["forward", "MESSAGE_REMOVED", "#/N"],
    ]);
  });
});
