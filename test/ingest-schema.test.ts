// Ingest's schema gate through HTTP: a schema registered for a record type (its subject) checks
// each change's data; accepted events name the schema in `dataschema` (DESIGN.md "The event").
import { env } from "cloudflare:test";
import { CloudEvent, HTTP } from "cloudevents";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";
import { customerSchema, registryOf } from "./registry-helpers";

const v1Props = { id: { type: "string" }, name: { type: "string" }, email: { type: "string", format: "email" }, age: { type: "integer", minimum: 0 } };
const v1 = customerSchema(v1Props, ["id", "email"]);
// v2 adds an optional array of tags: BACKWARD compatible with the closed v1.
const v2 = customerSchema({ ...v1Props, tags: { type: "array", items: { type: "string" } } }, ["id", "email"]);

async function trail(tenant: string, recordType: string, recordId: string): Promise<any[]> {
  const res = await admin("GET", `/tenants/${tenant}/records/${recordType}/${recordId}/audit`);
  expect(res.status).toBe(200);
  return res.json.items;
}

describe("ingest schema gate: JSON Schema", () => {
  let tenant: string;
  let key: string;
  let r: ReturnType<typeof registryOf>;
  let v1Id: number;
  beforeAll(async () => {
    ({ tenant, keys: { "store-1": key } } = (await newTenant()) as any);
    r = registryOf(tenant);
    const registered = await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" });
    expect(registered.status).toBe(200);
    v1Id = registered.json.id;
  });

  it("accepts a valid change; its event carries dataschema = the registry URI of the schema id, a valid CloudEvent", async () => {
    const c = change("cust-ok", "insert", { id: "cust-ok", name: "Ada", email: "ada@example.com", age: 36 });
    const { status, results } = await push(key, [c]);
    expect(status).toBe(200);
    expect(results[0]).toMatchObject({ id: c.id, status: "accepted", sequence: 1 });

    const [entry] = await trail(tenant, "customer", "cust-ok");
    expect(entry.event.dataschema).toMatch(new RegExp(`^https?://[^/]+/registry/t/${tenant}/schemas/ids/${v1Id}$`));
    expect(entry.gates).toContainEqual({ gate: "schema", result: "pass", detail: `customer v1 (id ${v1Id})` });
    expect(entry.gates.map((g: { gate: string }) => g.gate)).toEqual(["location-key", "validation", "schema", "dedupe"]);

    const ce = new CloudEvent(entry.event); // strict: throws on a bad attribute
    expect(ce.validate()).toBe(true);
    const back = HTTP.toEvent(HTTP.structured(ce)) as CloudEvent<unknown>;
    expect(back.dataschema).toBe(entry.event.dataschema);
    // The URI resolves to the schema (the registry answers it with the admin token).
    const path = new URL(entry.event.dataschema).pathname.replace(`/registry/t/${tenant}`, "");
    expect(JSON.parse((await r("GET", path)).json.schema)).toEqual(JSON.parse(v1));
  });

  it.each([
    { why: "a missing required property", data: { id: "x", name: "Bo" }, field: "data.email", keyword: "required" },
    { why: "a wrong type", data: { id: "x", email: "bo@example.com", age: "old" }, field: "data.age", keyword: "type" },
    { why: "a property the closed schema does not have", data: { id: "x", email: "bo@example.com", nickname: "B" }, field: "data.nickname", keyword: "additionalProperties" },
    { why: "a format violation", data: { id: "x", email: "not-an-email" }, field: "data.email", keyword: "format" },
  ])("rejects $why, naming the path of the violation and the keyword", async ({ data, field, keyword }) => {
    const ok = change("cust-mixed", "update", { id: "cust-mixed", email: "ok@example.com" });
    const bad = change("cust-bad", "update", data);
    const { status, results } = await push(key, [ok, bad]);
    expect(status).toBe(200);
    expect(results[0]!.status).toBe("accepted"); // the other items still go through
    expect(results[1]).toMatchObject({ id: bad.id, status: "rejected", error: { field: `changes[1].${field}` } });
    expect(results[1]!.error!.reason).toMatch(new RegExp(`^${keyword}: `));
    expect(results[1]!.error!.reason).toContain(`customer v1 (id ${v1Id})`);
  });

  it("names up to three violations in the reason", async () => {
    const bad = change("cust-worse", "insert", { name: 7, age: -1, extra: true });
    const { results } = await push(key, [bad]);
    expect(results[0]!.status).toBe("rejected");
    expect(results[0]!.error!.field).toBe("changes[0].data.id");
    const reason = results[0]!.error!.reason;
    expect(reason).toMatch(/^required: /);
    expect(reason.split("; ")).toHaveLength(4); // three named, then "and N more"
    expect(reason).toMatch(/; and \d+ more/);
  });

  it("an array index in the path reads [n]", async () => {
    await r("PUT", "/config/customer", { compatibility: "NONE" });
    const arr = await r("POST", "/subjects/customer/versions", { schema: customerSchema({ ...v1Props, tags: { type: "array", items: { type: "string" } } }, ["id"], { title: "tags" }), schemaType: "JSON" });
    expect(arr.status).toBe(200);
    const bad = change("cust-tags", "insert", { id: "t", tags: ["a", 2] });
    const { results } = await push(key, [bad]);
    expect(results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].data.tags[1]", reason: expect.stringMatching(/^type: /) } });
    // Back to v1 as the latest for the tests that follow: soft-delete the array version.
    expect((await r("DELETE", `/subjects/customer/versions/${(await r("GET", "/subjects/customer/versions/latest")).json.version}`)).status).toBe(200);
    await r("DELETE", "/config/customer");
  });

  it("ops without a data image (delete) are not validated, but name the schema", async () => {
    const c = change("cust-gone", "delete", undefined as any);
    delete (c as any).data;
    const { results } = await push(key, [c]);
    expect(results[0]!.status).toBe("accepted");
    const [entry] = await trail(tenant, "customer", "cust-gone");
    expect(entry.gates).toContainEqual({ gate: "schema", result: "skip", detail: `op delete carries no data image; customer v1 (id ${v1Id})` });
    expect(entry.event.dataschema).toMatch(new RegExp(`/schemas/ids/${v1Id}$`));
  });

  it("a record type without a schema is accepted without dataschema (gate: skip)", async () => {
    const c = { ...change("sup-1", "insert", { anything: ["goes"] }), recordType: "supplier" };
    const { results } = await push(key, [c]);
    expect(results[0]!.status).toBe("accepted");
    const [entry] = await trail(tenant, "supplier", "sup-1");
    expect(entry.event).not.toHaveProperty("dataschema");
    expect(entry.gates).toContainEqual({ gate: "schema", result: "skip", detail: "no schema registered for supplier" });
  });
});

describe("ingest schema gate: versions", () => {
  it("schemaVersion pins the version; an unknown one is rejected; a new registration takes effect on the next request", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const r = registryOf(tenant);
    const id1 = (await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" })).json.id;

    // Warm this isolate's cache with v1 as the latest: tags are not in the closed v1.
    const tagged = { id: "c", email: "c@example.com", tags: ["vip"] };
    const before = await push(key, [change("cust-v", "update", tagged)]);
    expect(before.results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].data.tags", reason: expect.stringMatching(/^additionalProperties: /) } });

    const id2 = (await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" })).json.id;
    expect(id2).not.toBe(id1);

    // The registration bumped the tenant's registry version: the very next request sees v2.
    const after = await push(key, [change("cust-v", "update", tagged)]);
    expect(after.results[0]!.status).toBe("accepted");
    // schemaVersion 1 still validates against v1, even with v2 the latest.
    const pinned = await push(key, [change("cust-v", "update", tagged, { schemaVersion: 1 }), change("cust-v", "update", { id: "c", email: "c@example.com" }, { schemaVersion: 1 })]);
    expect(pinned.results.map((x) => x.status)).toEqual(["rejected", "accepted"]);
    expect(pinned.results[0]!.error).toMatchObject({ field: "changes[0].data.tags" });
    expect(pinned.results[0]!.error!.reason).toContain(`customer v1 (id ${id1})`);

    const unknown = await push(key, [change("cust-v", "update", { id: "c", email: "c@example.com" }, { schemaVersion: 9 })]);
    expect(unknown.results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].schemaVersion", reason: expect.stringContaining("no version 9") } });

    const entries = await trail(tenant, "customer", "cust-v");
    expect(entries.map((e) => e.event.dataschema.replace(/^.*\/ids\//, ""))).toEqual([String(id2), String(id1)]);
  });

  it("a soft-deleted latest falls back to the previous version; a change naming it by number still validates against it", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const r = registryOf(tenant);
    const id1 = (await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" })).json.id;
    const id2 = (await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" })).json.id;
    const tagged = { id: "d", email: "d@example.com", tags: ["x"] };
    expect((await push(key, [change("cust-d", "update", tagged)])).results[0]!.status).toBe("accepted");

    expect((await r("DELETE", "/subjects/customer/versions/2")).status).toBe(200);
    expect((await push(key, [change("cust-d", "update", tagged)])).results[0]!.status).toBe("rejected");
    expect((await push(key, [change("cust-d", "update", tagged, { schemaVersion: 2 })])).results[0]!.status).toBe("accepted");

    // Permanently deleted: the number no longer resolves.
    expect((await r("DELETE", "/subjects/customer/versions/2?permanent=true")).status).toBe(200);
    const gone = await push(key, [change("cust-d", "update", tagged, { schemaVersion: 2 })]);
    expect(gone.results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].schemaVersion" } });

    // The whole subject soft-deleted: no schema, so changes pass unchecked, without dataschema;
    // its versions still resolve by number until the subject is permanently deleted.
    expect((await r("DELETE", "/subjects/customer")).status).toBe(200);
    expect((await push(key, [change("cust-d", "update", { free: "form" })])).results[0]!.status).toBe("accepted");
    expect((await push(key, [change("cust-d", "update", { id: "d", email: "d@example.com" }, { schemaVersion: 1 })])).results[0]!.status).toBe("accepted");
    expect((await r("DELETE", "/subjects/customer?permanent=true")).status).toBe(200);
    const purged = await push(key, [change("cust-d", "update", { id: "d", email: "d@example.com" }, { schemaVersion: 1 })]);
    expect(purged.results[0]).toMatchObject({ status: "rejected", error: { field: "changes[0].schemaVersion" } });

    const entries = await trail(tenant, "customer", "cust-d");
    expect(entries.map((e) => e.event.dataschema?.replace(/^.*\/ids\//, "") ?? null)).toEqual([String(id2), String(id2), null, String(id1)]);
  });

  it("validators are cached per isolate: a registry row changed without a version bump goes unseen until the bump", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const r = registryOf(tenant);
    await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" });
    await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    const tagged = { id: "f", email: "f@example.com", tags: ["z"] };
    expect((await push(key, [change("cust-f", "update", tagged)])).results[0]!.status).toBe("accepted");

    // Behind the registry's back (no bump): ingest keeps answering from its cache, no D1 read.
    await env.DB.prepare("UPDATE subject_versions SET deleted_at = 'x' WHERE tenant_id = ? AND subject = 'customer' AND version = 2").bind(tenant).run();
    expect((await push(key, [change("cust-f", "update", tagged)])).results[0]!.status).toBe("accepted");

    await env.DB.prepare("UPDATE tenants SET registry_version = registry_version + 1 WHERE id = ?").bind(tenant).run();
    expect((await push(key, [change("cust-f", "update", tagged)])).results[0]!.status).toBe("rejected");
  });

  it("a resent change that was accepted answers duplicate even after the schema turned against it", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const r = registryOf(tenant);
    await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    const c = change("cust-dup", "update", { id: "e", email: "e@example.com", tags: ["y"] });
    expect((await push(key, [c])).results[0]!.status).toBe("accepted");
    await r("PUT", "/config/customer", { compatibility: "NONE" });
    await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" }); // no tags any more
    expect((await push(key, [c])).results[0]).toMatchObject({ id: c.id, status: "duplicate" });
  });
});

describe("ingest schema gate: Avro and Protobuf subjects", () => {
  const avro = JSON.stringify({
    type: "record",
    name: "Location",
    namespace: "io.changecast",
    fields: [
      { name: "id", type: "string" },
      { name: "seats", type: "int" },
      { name: "kind", type: { type: "enum", name: "Kind", symbols: ["STORE", "CLINIC"] } },
      { name: "phone", type: ["null", "string"] },
      { name: "open", type: "boolean", default: true },
    ],
  });

  it.each([
    { why: "valid (nullable and defaulted fields absent)", data: { id: "l1", seats: 40, kind: "STORE" }, field: null },
    { why: "a union value in Avro's JSON encoding", data: { id: "l1", seats: 40, kind: "CLINIC", phone: { string: "555" } }, field: null },
    { why: "a required field missing", data: { id: "l1", kind: "STORE" }, field: "data.seats", keyword: "required" },
    { why: "a wrong type", data: { id: "l1", seats: "forty", kind: "STORE" }, field: "data.seats", keyword: "type" },
    { why: "an int out of range", data: { id: "l1", seats: 2 ** 31, kind: "STORE" }, field: "data.seats", keyword: "range" },
    { why: "an unknown enum symbol", data: { id: "l1", seats: 1, kind: "SHOP" }, field: "data.kind", keyword: "enum" },
    { why: "a field the record does not have", data: { id: "l1", seats: 1, kind: "STORE", fax: "1" }, field: "data.fax", keyword: "unknown-field" },
  ])("AVRO: $why", async ({ data, field, keyword }) => {
    const { tenant, keys } = await newTenant();
    const id = (await registryOf(tenant)("POST", "/subjects/location/versions", { schema: avro, schemaType: "AVRO" })).json.id;
    const c = { ...change("loc-1", "insert", data), recordType: "location" };
    const { results } = await push(keys["store-1"]!, [c]);
    if (field === null) {
      expect(results[0]!.status).toBe("accepted");
      const [entry] = await trail(tenant, "location", "loc-1");
      expect(entry.gates).toContainEqual({ gate: "schema", result: "pass", detail: `location v1 (id ${id})` });
      expect(entry.event.dataschema).toMatch(new RegExp(`/registry/t/${tenant}/schemas/ids/${id}$`));
    } else {
      expect(results[0]).toMatchObject({ status: "rejected", error: { field: `changes[0].${field}`, reason: expect.stringMatching(new RegExp(`^${keyword}: `)) } });
    }
  });

  it("PROTOBUF: passed through unchecked (gate skip, with the reason), dataschema set", async () => {
    const { tenant, keys } = await newTenant();
    const proto = 'syntax = "proto3";\npackage acme;\nmessage Employee { string id = 1; int32 grade = 2; }\n';
    const id = (await registryOf(tenant)("POST", "/subjects/employee/versions", { schema: proto, schemaType: "PROTOBUF" })).json.id;
    const c = { ...change("emp-1", "insert", { id: "e1", grade: "not checked" }), recordType: "employee" };
    expect((await push(keys["store-1"]!, [c])).results[0]!.status).toBe("accepted");
    const [entry] = await trail(tenant, "employee", "emp-1");
    expect(entry.gates).toContainEqual({ gate: "schema", result: "skip", detail: `PROTOBUF: JSON data is not checked against .proto schemas at ingest; employee v1 (id ${id})` });
    expect(entry.event.dataschema).toMatch(new RegExp(`/schemas/ids/${id}$`));
  });
});
