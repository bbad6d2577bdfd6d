/**
 * parseProto: protobufjs's parser running in workerd (no code generation), plus the name
 * resolution and protoc's checks that this module adds (Protocol Buffers Language Specification).
 */
import { describe, expect, it } from "vitest";
import { parseProto, type ProtoSchema } from "./index";

function parsed(text: string): ProtoSchema {
  const r = parseProto(text);
  if (!r.ok) throw new Error(r.error);
  return r.schema;
}

describe("parseProto: valid files", () => {
  it("messages, nested types, enums, oneofs, maps, reserved, package and imports", () => {
    const s = parsed(`
      // a comment first
      syntax = "proto3";
      package shop.v1;
      import "google/protobuf/timestamp.proto";
      message Order {
        int64 id = 1;
        optional string note = 2;
        repeated Line lines = 3;
        map<string, Line> by_sku = 4;
        oneof payment { string card = 5; bytes token = 6; }
        Status status = 7;
        google.protobuf.Timestamp at = 8;
        reserved 9, 12 to 14;
        reserved "old";
        enum Status { STATUS_UNSPECIFIED = 0; PAID = 1; reserved 5; }
      }
      message Line { string sku = 1; Order.Status status = 2; .shop.v1.Order parent = 3; }
    `);
    expect(s.syntax).toBe("proto3");
    expect(s.package).toBe("shop.v1");
    expect(s.imports).toEqual(["google/protobuf/timestamp.proto"]);
    const order = s.messages[0]!;
    expect(order.fullName).toBe("shop.v1.Order");
    expect(order.oneofs).toEqual(["payment"]); // proto3 `optional` makes no oneof of its own here
    expect(order.reserved).toEqual({ ranges: [[9, 9], [12, 14]], names: ["old"] });
    expect(order.enums[0]).toMatchObject({ fullName: "shop.v1.Order.Status", reserved: { ranges: [[5, 5]], names: [] } });
    expect(order.fields.map((f) => [f.number, f.label, f.type, f.oneof ?? null])).toEqual([
      [1, null, { kind: "scalar", name: "int64" }, null],
      [2, "optional", { kind: "scalar", name: "string" }, null],
      [3, "repeated", { kind: "message", name: "shop.v1.Line" }, null],
      [4, null, { kind: "map", key: "string", value: { kind: "message", name: "shop.v1.Line" } }, null],
      [5, null, { kind: "scalar", name: "string" }, "payment"],
      [6, null, { kind: "scalar", name: "bytes" }, "payment"],
      [7, null, { kind: "enum", name: "shop.v1.Order.Status" }, null],
      [8, null, { kind: "external", name: "google.protobuf.Timestamp" }, null],
    ]);
    expect(s.messages[1]!.fields.map((f) => f.type)).toEqual([
      { kind: "scalar", name: "string" },
      { kind: "enum", name: "shop.v1.Order.Status" },
      { kind: "message", name: "shop.v1.Order" },
    ]);
  });

  it("scoping: the innermost definition of a name wins", () => {
    const s = parsed(`syntax = "proto3"; message X { message X { int32 a = 1; } X x = 1; } message Y { X x = 1; }`);
    expect(s.messages[0]!.fields[0]!.type).toEqual({ kind: "message", name: "X.X" });
    expect(s.messages[1]!.fields[0]!.type).toEqual({ kind: "message", name: "X" });
  });

  it("proto2 labels: required, optional, repeated", () => {
    const s = parsed(`syntax = "proto2"; message P { required int32 a = 1; optional int32 b = 2; repeated int32 c = 3; }`);
    expect(s.messages[0]!.fields.map((f) => f.label)).toEqual(["required", "optional", "repeated"]);
  });

  it("no syntax statement means proto2", () => {
    expect(parsed(`message P { optional int32 a = 1; }`).syntax).toBe("proto2");
  });

  it("services and extensions parse and are not part of the data schema", () => {
    const s = parsed(`syntax = "proto2"; message X { optional int32 a = 1; extensions 100 to 200; } extend X { optional int32 e = 100; } service S { rpc F (X) returns (X); }`);
    expect(s.messages.map((m) => m.name)).toEqual(["X"]);
  });
});

describe("parseProto: invalid files", () => {
  it.each<[string, string, RegExp]>([
    ["a syntax error", `syntax = "proto3"; message X { int32 a = 1 }`, /^invalid \.proto: illegal token '}'/],
    ["an unknown syntax", `syntax = "proto4"; message X {}`, /unknown syntax "proto4"/],
    ["a duplicate field number", `syntax = "proto3"; message X { int32 a = 1; string b = 1; }`, /duplicate id 1/],
    ["a duplicate message", `syntax = "proto3"; message X {} message X {}`, /duplicate name 'X'/],
    ["a reserved number used", `syntax = "proto3"; message X { reserved 1; int32 a = 1; }`, /id 1 is reserved/],
    ["a reserved name used", `syntax = "proto3"; message X { reserved "a"; int32 a = 1; }`, /name 'a' is reserved/],
    ["field number 0", `syntax = "proto3"; message X { int32 a = 0; }`, /X\.a: field number 0 is outside/],
    ["a field number past 2^29-1", `syntax = "proto3"; message X { int32 a = 536870912; }`, /outside 1 … 536870911/],
    ["the implementation's range", `syntax = "proto3"; message X { int32 a = 19000; }`, /19000-19999/],
    ["proto3 enum starting at 1", `syntax = "proto3"; enum E { A = 1; }`, /first enum value must be zero/],
    ["an unknown type with no imports", `syntax = "proto3"; message X { Foo a = 1; }`, /X\.a: unknown type "Foo"/],
    ["required in proto3", `syntax = "proto3"; message X { required int32 a = 1; }`, /illegal token 'required'/],
    ["a float map key", `syntax = "proto3"; message X { map<float, string> m = 1; }`, /illegal type 'float'/],
  ])("%s", (_name, text, error) => {
    const r = parseProto(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});
