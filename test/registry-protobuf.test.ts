// Protobuf subjects through the registry: schemaType PROTOBUF, wire-compatible evolution.
import { beforeAll, describe, expect, it } from "vitest";
import { newTenant } from "./helpers";
import { registryOf } from "./registry-helpers";

const proto = (fields: string) => `syntax = "proto3";\npackage io.changecast;\n\nmessage Customer {\n${fields}\n}\n`;
const v1 = proto(`  string id = 1;\n  string name = 2;`);
const added = proto(`  string id = 1;\n  string name = 2;\n  string email = 3;`);
const retyped = proto(`  string id = 1;\n  double name = 2;\n  string email = 3;`);

describe("registry: Protobuf", () => {
  let r: ReturnType<typeof registryOf>;
  beforeAll(async () => {
    r = registryOf((await newTenant()).tenant);
  });

  it("registers, dedupes (line endings aside) and answers schemaType PROTOBUF", async () => {
    const first = await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "PROTOBUF" });
    expect(first.status).toBe(200);
    expect((await r("POST", "/subjects/customer/versions", { schema: v1.replace(/\n/g, "\r\n"), schemaType: "PROTOBUF" })).json).toEqual(first.json);
    expect((await r("GET", "/subjects/customer/versions/latest")).json).toEqual({ subject: "customer", version: 1, id: first.json.id, schemaType: "PROTOBUF", schema: v1 });
    expect((await r("GET", `/schemas/ids/${first.json.id}`)).json).toEqual({ schema: v1, schemaType: "PROTOBUF" });
  });

  it("an added field is compatible; a field changing its wire type is 409", async () => {
    expect((await r("POST", "/subjects/customer/versions", { schema: added, schemaType: "PROTOBUF" })).status).toBe(200);
    const res = await r("POST", "/subjects/customer/versions", { schema: retyped, schemaType: "PROTOBUF" });
    expect([res.status, res.json.error_code]).toEqual([409, 409]);
    expect(res.json.message).toMatch(/version 2/);
    expect(res.json.message).toMatch(/rule: FIELD_\w+_CHANGED/);
  });

  it("422 42201 for a .proto that does not parse", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: "message { int32 = 1; }", schemaType: "PROTOBUF" });
    expect([res.status, res.json.error_code]).toEqual([422, 42201]);
  });
});
