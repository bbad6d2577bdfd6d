// Avro subjects through the registry (Confluent's default type), and the read API that
// ingest validation and route pinning use (workers/registry/repository.ts).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { getSchemaById, getSubjectVersion } from "../workers/registry/repository";
import { newTenant } from "./helpers";
import { registryOf } from "./registry-helpers";

const record = (fields: unknown[]) => JSON.stringify({ type: "record", name: "Customer", namespace: "io.changecast", fields });
const base = [{ name: "id", type: "string" }, { name: "name", type: "string" }];
const v1 = record(base);
const withDefault = record([...base, { name: "tier", type: "string", default: "standard" }]);
const withoutDefault = record([...base, { name: "tier", type: "string", default: "standard" }, { name: "region", type: "string" }]);

describe("registry: Avro", () => {
  let tenant: string;
  let r: ReturnType<typeof registryOf>;
  const ids: number[] = [];
  beforeAll(async () => {
    tenant = (await newTenant()).tenant;
    r = registryOf(tenant);
  });

  it("registers without schemaType (AVRO is the default) and answers without schemaType", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: v1 });
    expect(res.status).toBe(200);
    ids.push(res.json.id);
    expect((await r("GET", "/subjects/customer/versions/1")).json).toEqual({ subject: "customer", version: 1, id: ids[0], schema: v1 });
    expect((await r("GET", `/schemas/ids/${ids[0]}`)).json).toEqual({ schema: v1 });
    expect((await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "AVRO" })).json).toEqual({ id: ids[0] });
  });

  it("a reader field added with a default is BACKWARD compatible", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: withDefault, schemaType: "AVRO" });
    expect(res.status).toBe(200);
    ids.push(res.json.id);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 2]);
  });

  it("a reader field added without a default is 409, and verbose names the field", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: withoutDefault });
    expect([res.status, res.json.error_code]).toEqual([409, 409]);
    expect(res.json.message).toMatch(/region/);
    const check = await r("POST", "/compatibility/subjects/customer/versions/latest?verbose=true", { schema: withoutDefault });
    expect(check.json.is_compatible).toBe(false);
    expect(check.json.messages.join("\n")).toMatch(/^backward: the new schema cannot read data written with version 2: .*region/m);
  });

  it.each([
    ["not JSON", "{record"],
    ["a record without fields", JSON.stringify({ type: "record", name: "Customer" })],
    ["an unknown type name", JSON.stringify({ type: "record", name: "Customer", fields: [{ name: "id", type: "strnig" }] })],
  ])("422 42201 for %s", async (_what, schema) => {
    const res = await r("POST", "/subjects/customer/versions", { schema });
    expect([res.status, res.json.error_code]).toEqual([422, 42201]);
  });

  it("getSubjectVersion and getSchemaById read what the REST API registered", async () => {
    expect(await getSubjectVersion(env.DB, tenant, "customer", "latest")).toEqual({ subject: "customer", version: 2, id: ids[1], schemaType: "AVRO", schema: withDefault });
    expect(await getSubjectVersion(env.DB, tenant, "customer", 1)).toEqual({ subject: "customer", version: 1, id: ids[0], schemaType: "AVRO", schema: v1 });
    expect(await getSubjectVersion(env.DB, tenant, "customer", 3)).toBeNull();
    expect(await getSubjectVersion(env.DB, tenant, "nobody", "latest")).toBeNull();
    expect(await getSchemaById(env.DB, tenant, ids[1]!)).toEqual({ id: ids[1], schemaType: "AVRO", schema: withDefault });
    expect(await getSchemaById(env.DB, "other-tenant", ids[1]!)).toBeNull();
  });

  it("a soft-deleted version is gone from getSubjectVersion unless includeDeleted; its id still reads", async () => {
    await r("DELETE", "/subjects/customer/versions/2");
    expect((await getSubjectVersion(env.DB, tenant, "customer", "latest"))?.version).toBe(1);
    expect(await getSubjectVersion(env.DB, tenant, "customer", 2)).toBeNull();
    expect((await getSubjectVersion(env.DB, tenant, "customer", 2, { includeDeleted: true }))?.id).toBe(ids[1]);
    expect((await getSchemaById(env.DB, tenant, ids[1]!))?.schema).toBe(withDefault);
  });
});
