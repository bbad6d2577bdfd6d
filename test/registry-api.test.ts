// The schema registry's Confluent REST subset, driven as a Confluent client drives it: register,
// re-register, evolve, refuse, look up, read by id; auth and error codes.
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, newTenant } from "./helpers";
import { VND, customerSchema, registryOf } from "./registry-helpers";

const v1 = customerSchema({ id: { type: "string" }, name: { type: "string" } });
const v2 = customerSchema({ id: { type: "string" }, name: { type: "string" }, email: { type: "string" } });
const v3 = customerSchema({ id: { type: "string" }, name: { type: "string" }, email: { type: "string" }, tier: { type: "string" } }, ["id", "tier"]);

describe("registry: register, evolve, read (JSON Schema)", () => {
  let r: ReturnType<typeof registryOf>;
  const ids: number[] = [];
  beforeAll(async () => {
    r = registryOf((await newTenant()).tenant);
  });

  it("registers v1 and answers its id in the vnd content type", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON", references: [] });
    expect(res.status).toBe(200);
    expect(res.type).toBe(VND);
    expect(res.json).toEqual({ id: expect.any(Number) });
    ids.push(res.json.id);
  });

  it("re-registering the same schema (other key order and spacing) answers the same id and adds no version", async () => {
    const parsed = JSON.parse(v1);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(parsed).reverse()), null, 2);
    const again = await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" });
    const same = await r("POST", "/subjects/customer/versions", { schema: reordered, schemaType: "JSON" });
    expect([again.json, same.json]).toEqual([{ id: ids[0] }, { id: ids[0] }]);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1]);
  });

  it("registers v2 (an added optional property) under the default BACKWARD level", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    expect(res.status).toBe(200);
    expect(res.json.id).not.toBe(ids[0]);
    ids.push(res.json.id);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 2]);
  });

  it("refuses v3 (a new required property) with 409 naming the incompatibility", async () => {
    const res = await r("POST", "/subjects/customer/versions", { schema: v3, schemaType: "JSON" });
    expect(res.status).toBe(409);
    expect(res.type).toBe(VND);
    expect(res.json.error_code).toBe(409);
    expect(res.json.message).toMatch(/incompatible/i);
    expect(res.json.message).toMatch(/BACKWARD/);
    expect(res.json.message).toMatch(/version 2/);
    expect(res.json.message).toMatch(/tier/);
    expect((await r("GET", "/subjects/customer/versions")).json).toEqual([1, 2]);
  });

  it("reads versions by number and as latest, with schemaType for JSON", async () => {
    expect((await r("GET", "/subjects/customer/versions/latest")).json).toEqual({ subject: "customer", version: 2, id: ids[1], schemaType: "JSON", schema: v2 });
    expect((await r("GET", "/subjects/customer/versions/-1")).json.version).toBe(2);
    expect((await r("GET", "/subjects/customer/versions/1")).json).toEqual({ subject: "customer", version: 1, id: ids[0], schemaType: "JSON", schema: v1 });
    const raw = await r("GET", "/subjects/customer/versions/1/schema");
    expect(raw.json).toEqual(JSON.parse(v1));
  });

  it("lists subjects and resolves schemas by id", async () => {
    expect((await r("GET", "/subjects")).json).toEqual(["customer"]);
    expect((await r("GET", `/schemas/ids/${ids[1]}`)).json).toEqual({ schema: v2, schemaType: "JSON" });
    expect((await r("GET", `/schemas/ids/${ids[1]}/versions`)).json).toEqual([{ subject: "customer", version: 2 }]);
    expect((await r("GET", "/schemas/types")).json).toEqual(expect.arrayContaining(["JSON", "AVRO"]));
  });

  it("looks a schema up in a subject (POST /subjects/{s}), 40403 when it is not there", async () => {
    expect((await r("POST", "/subjects/customer", { schema: v1, schemaType: "JSON" })).json).toEqual({ subject: "customer", version: 1, id: ids[0], schemaType: "JSON", schema: v1 });
    const missing = await r("POST", "/subjects/customer", { schema: v3, schemaType: "JSON" });
    expect([missing.status, missing.json.error_code]).toEqual([404, 40403]);
  });

  it("checks compatibility without registering; verbose names path, rule, version and direction", async () => {
    const quiet = await r("POST", "/compatibility/subjects/customer/versions/latest", { schema: v3, schemaType: "JSON" });
    expect(quiet.json).toEqual({ is_compatible: false });
    const verbose = await r("POST", "/compatibility/subjects/customer/versions/latest?verbose=true", { schema: v3, schemaType: "JSON" });
    expect(verbose.json.is_compatible).toBe(false);
    expect(verbose.json.messages.length).toBeGreaterThan(0);
    for (const m of verbose.json.messages) expect(m).toMatch(/^backward: the new schema cannot read data written with version 2: #\S*: .+ \(rule: \S+\)$/);
    expect(verbose.json.messages.join("\n")).toMatch(/tier/);
    const ok = await r("POST", "/compatibility/subjects/customer/versions/1?verbose=true", { schema: v2, schemaType: "JSON" });
    expect(ok.json).toEqual({ is_compatible: true, messages: [] });
    const all = await r("POST", "/compatibility/subjects/customer/versions", { schema: v3, schemaType: "JSON" });
    expect(all.json).toEqual({ is_compatible: false });
  });

  it("the same schema in another subject keeps its id; ids are per tenant", async () => {
    const other = await r("POST", "/subjects/supplier/versions", { schema: v1, schemaType: "JSON" });
    expect(other.json).toEqual({ id: ids[0] });
    expect((await r("GET", "/subjects")).json).toEqual(["customer", "supplier"]);
    const r2 = registryOf((await newTenant()).tenant);
    expect((await r2("GET", `/schemas/ids/${ids[1]}`)).json.error_code).toBe(40403);
    expect((await r2("POST", "/subjects/customer/versions", { schema: v3, schemaType: "JSON" })).json).toEqual({ id: 1 });
  });

  it("refuses a schema of another type in the subject with 409", async () => {
    const avro = JSON.stringify({ type: "record", name: "Customer", fields: [{ name: "id", type: "string" }] });
    const res = await r("POST", "/subjects/customer/versions", { schema: avro });
    expect([res.status, res.json.error_code]).toEqual([409, 409]);
    expect(res.json.message).toMatch(/schemaType AVRO differs from the subject's JSON/);
  });
});

describe("registry: error codes", () => {
  let r: ReturnType<typeof registryOf>;
  beforeAll(async () => {
    r = registryOf((await newTenant()).tenant);
    await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" });
  });

  it.each([
    ["unparsable JSON", "{not json", /not JSON/],
    ["a wrong type name", JSON.stringify({ type: "strnig" }), /not a valid JSON Schema/],
    ["required not an array", JSON.stringify({ type: "object", required: "id" }), /not a valid JSON Schema/],
    ["a pattern that is no regex", JSON.stringify({ type: "string", pattern: "([a-z]" }), /not a valid JSON Schema/],
    ["an unresolvable $ref", JSON.stringify({ type: "object", properties: { a: { $ref: "#/definitions/nope" } } }), /\$ref "#\/definitions\/nope" does not resolve/],
    ["a remote $ref", JSON.stringify({ $ref: "https://example.com/other.json" }), /does not resolve/],
    ["an array", "[]", /object or a boolean/],
  ])("422 42201 for %s", async (_what, schema, message) => {
    const res = await r("POST", "/subjects/customer/versions", { schema, schemaType: "JSON" });
    expect([res.status, res.json.error_code]).toEqual([422, 42201]);
    expect(res.json.message).toMatch(message);
  });

  it("422 42201 for an unknown schemaType, a missing schema and non-empty references", async () => {
    for (const body of [{ schema: v1, schemaType: "XML" }, { schemaType: "JSON" }, { schema: v1, schemaType: "JSON", references: [{ name: "a", subject: "b", version: 1 }] }]) {
      const res = await r("POST", "/subjects/customer/versions", body);
      expect([res.status, res.json.error_code]).toEqual([422, 42201]);
    }
  });

  it("42202 for version ids that are not versions", async () => {
    for (const v of ["0", "abc", "2147483648", "1.5"]) {
      const res = await r("GET", `/subjects/customer/versions/${v}`);
      expect([res.status, res.json.error_code]).toEqual([422, 42202]);
    }
  });

  it("40401 unknown subject, 40402 unknown version, 40403 unknown schema id", async () => {
    expect((await r("GET", "/subjects/nobody/versions")).json.error_code).toBe(40401);
    expect((await r("GET", "/subjects/nobody/versions/1")).json.error_code).toBe(40401);
    expect((await r("POST", "/subjects/nobody", { schema: v1, schemaType: "JSON" })).json.error_code).toBe(40401);
    const v99 = await r("GET", "/subjects/customer/versions/99");
    expect([v99.status, v99.json.error_code]).toEqual([404, 40402]);
    expect((await r("POST", "/compatibility/subjects/customer/versions/99", { schema: v1, schemaType: "JSON" })).json.error_code).toBe(40402);
    for (const id of ["9999", "abc"]) {
      const res = await r("GET", `/schemas/ids/${id}`);
      expect([res.status, res.type, res.json.error_code]).toEqual([404, VND, 40403]);
    }
  });

  it("42208 for a subject that is not a record type; 415 for other body types; 404 with error_code on unknown paths", async () => {
    expect((await r("POST", "/subjects/customer-value/versions", { schema: v1, schemaType: "JSON" })).json.error_code).toBe(42208);
    const text = await r("POST", "/subjects/customer/versions", { schema: v1 }, { "content-type": "text/plain" });
    expect([text.status, text.json.error_code]).toEqual([415, 415]);
    for (const type of ["application/json", "application/vnd.schemaregistry+json", "application/vnd.schemaregistry.v1+json; charset=utf-8"]) {
      expect((await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" }, { "content-type": type })).status).toBe(200);
    }
    const unknown = await r("GET", "/nothing/here");
    expect([unknown.status, unknown.type, unknown.json.error_code]).toEqual([404, VND, 404]);
  });
});

describe("registry: auth and tenant", () => {
  it("401 with error_code without the admin token or with a wrong one; Basic with the token as password works", async () => {
    const { tenant } = await newTenant();
    const none = await call("GET", `/registry/t/${tenant}/subjects`);
    expect([none.status, none.headers.get("content-type")]).toEqual([401, VND]);
    expect(((await none.json()) as any).error_code).toBe(40101);
    expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect((await call("GET", `/registry/t/${tenant}/subjects`, { token: "nope" })).status).toBe(401);
    const basic = (pw: string) => call("GET", `/registry/t/${tenant}/subjects`, { headers: { authorization: `Basic ${btoa(`admin:${pw}`)}` } });
    expect((await basic("nope")).status).toBe(401);
    const ok = await basic(ADMIN_TOKEN);
    expect([ok.status, await ok.json()]).toEqual([200, []]);
  });

  it("404 40401 for a tenant that does not exist (after auth)", async () => {
    const res = await call("GET", "/registry/t/no-such-tenant/subjects", { token: ADMIN_TOKEN });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error_code).toBe(40401);
    expect((await call("GET", "/registry/t/no-such-tenant/subjects")).status).toBe(401);
  });
});
