/**
 * GET /admin/v1/tenants/{tenant}/asyncapi.json from the real Worker, checked by the official
 * AsyncAPI parser (running in Node: test/asyncapi-parser.global-setup.ts) with zero errors.
 */
import { inject } from "vitest";
import { describe, expect, it } from "vitest";
import type { ParserDiagnostic } from "./asyncapi-parser.global-setup";
import { call, newTenant } from "./helpers";
import { customerSchema, registryOf } from "./registry-helpers";

const OPS_PAST = ["created", "updated", "deleted", "soft_deleted", "restored", "reparented", "rekeyed", "snapshotted"];

async function documentOf(tenant: string): Promise<any> {
  const res = await call("GET", `/admin/v1/tenants/${tenant}/asyncapi.json`, { token: "test-admin-token" });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return res.json();
}

async function parse(document: unknown): Promise<{ parsed: boolean; diagnostics: ParserDiagnostic[] }> {
  const res = await fetch(inject("asyncapiParserUrl"), { method: "POST", body: JSON.stringify(document) });
  expect(res.status).toBe(200);
  return res.json();
}

const errorsOf = (d: ParserDiagnostic[]) => d.filter((x) => x.severity === 0).map((x) => `${x.code} at ${x.path.join("/")}: ${x.message}`);

const SUPPLIER_AVRO = JSON.stringify({
  type: "record",
  name: "Supplier",
  namespace: "com.acme",
  fields: [
    { name: "id", type: "string" },
    { name: "rating", type: { type: "enum", name: "Rating", symbols: ["A", "B", "C"] } },
    { name: "email", type: ["null", "string"], default: null },
  ],
});
const INVENTORY_PROTO = 'syntax = "proto3";\npackage acme.inventory;\n\nmessage Item {\n  string sku = 1;\n  int32 quantity = 2;\n  Bin bin = 3;\n}\n\nmessage Bin {\n  string code = 1;\n}\n';

describe("AsyncAPI 2.6 document per tenant", () => {
  it("a tenant without subjects gets an empty but valid document: servers, security scheme, no channels", async () => {
    const { tenant } = await newTenant();
    const doc = await documentOf(tenant);
    expect(doc).toMatchObject({ asyncapi: "2.6.0", channels: {}, defaultContentType: "application/cloudevents+json" });
    expect(Object.keys(doc.servers).sort()).toEqual(["ap", "eu", "us"]);
    const result = await parse(doc);
    expect(errorsOf(result.diagnostics)).toEqual([]);
    expect(result.parsed).toBe(true);
  });

  it("JSON Schema, Avro and Protobuf subjects: one subscribe channel per event type, latest versions as payloads, zero parser errors", async () => {
    const { tenant } = await newTenant();
    const r = registryOf(tenant);
    const address = { type: "object", properties: { city: { type: "string" } } };
    const v1 = customerSchema({ id: { type: "string" }, name: { type: "string" } });
    const v2 = customerSchema({ id: { type: "string" }, name: { type: "string" }, address: { $ref: "#/definitions/address" } }, ["id"], { definitions: { address } });
    expect((await r("POST", "/subjects/customer/versions", { schema: v1, schemaType: "JSON" })).status).toBe(200);
    const customer = await r("POST", "/subjects/customer/versions", { schema: v2, schemaType: "JSON" });
    expect(customer.status).toBe(200);
    const supplier = await r("POST", "/subjects/supplier/versions", { schema: SUPPLIER_AVRO });
    expect(supplier.status).toBe(200);
    const inventory = await r("POST", "/subjects/inventory/versions", { schema: INVENTORY_PROTO, schemaType: "PROTOBUF" });
    expect(inventory.status).toBe(200);

    const doc = await documentOf(tenant);
    const result = await parse(doc);
    expect(errorsOf(result.diagnostics)).toEqual([]);
    expect(result.parsed).toBe(true);

    // Event types: {typePrefix}.{recordType}.{opPastTense}, each a channel the application sends on (subscribe in 2.x).
    const expected = ["customer", "inventory", "supplier"].flatMap((t) => OPS_PAST.map((op) => `io.changecast.${t}.${op}`));
    expect(Object.keys(doc.channels).sort()).toEqual(expected.sort());
    for (const channel of Object.values<any>(doc.channels)) {
      expect(channel.publish).toBeUndefined();
      expect(channel.subscribe.bindings.http.method).toBe("POST");
    }

    const messages = doc.components.messages;
    expect(messages.customer_created).toMatchObject({ schemaFormat: "application/schema+json;version=draft-07", contentType: "application/cloudevents+json" });
    expect(messages.supplier_updated).toMatchObject({ schemaFormat: "application/vnd.apache.avro+json;version=1.9.0" });
    expect(messages.inventory_deleted).toMatchObject({ schemaFormat: "application/vnd.google.protobuf;version=3" });
    // The latest version (customer v2), its local $ref re-rooted into the document.
    expect(messages.customer_created["x-registry"]).toEqual({ subject: "customer", version: 2, id: customer.json.id, schemaType: "JSON" });
    expect(doc.components.schemas["customer.v2"].properties.address).toEqual({ $ref: "#/components/schemas/customer.v2/definitions/address" });
    expect(messages.customer_created.payload.properties.data.properties.after.anyOf[1]).toEqual({ $ref: "#/components/schemas/customer.v2" });
    expect(messages.customer_created.externalDocs.url).toMatch(new RegExp(`/registry/t/${tenant}/schemas/ids/${customer.json.id}$`));
    expect(messages.supplier_created.payload.fields.find((f: any) => f.name === "data").type.fields.find((f: any) => f.name === "after").type).toEqual(["null", "com.acme.Supplier"]);
    expect(messages.inventory_created.payload).toContain("optional .acme.inventory.Item after = 3;");

    // Webhook headers (Standard Webhooks + CloudEvents binary mode) and the signature scheme.
    const headers = doc.components.schemas.WebhookHeaders;
    expect(headers.required).toEqual(expect.arrayContaining(["webhook-id", "webhook-timestamp", "webhook-signature"]));
    expect(Object.keys(headers.properties)).toEqual(expect.arrayContaining(["ce-id", "ce-type", "ce-source", "ce-subject", "ce-sequence"]));
    expect(doc.components.messageTraits.webhook.correlationId.location).toBe("$message.header#/webhook-id");
    expect(doc.components.securitySchemes.standardWebhooks).toMatchObject({ type: "httpApiKey", in: "header", name: "webhook-signature" });
    expect(doc.components.securitySchemes.standardWebhooks.description).toMatch(/^Standard Webhooks v1 HMAC-SHA256/);
    for (const region of ["us", "eu", "ap"]) expect(doc.servers[region]).toMatchObject({ protocol: "https", security: [{ standardWebhooks: [] }] });
  });

  it("the parser service does report errors: a server without protocol, an Avro payload that is not Avro", async () => {
    const { tenant } = await newTenant();
    const broken = await documentOf(tenant);
    delete broken.servers.us.protocol;
    expect(errorsOf((await parse(broken)).diagnostics).join("\n")).toMatch(/servers\/us/);

    const r = registryOf(tenant);
    expect((await r("POST", "/subjects/supplier/versions", { schema: SUPPLIER_AVRO })).status).toBe(200);
    const badAvro = await documentOf(tenant);
    badAvro.components.messages.supplier_created.payload.fields[0].type = "no-such-avro-type";
    expect(errorsOf((await parse(badAvro)).diagnostics).join("\n")).toMatch(/supplier_created\/payload/);
  });

  it("404 for an unknown tenant, 401 without the admin token", async () => {
    expect((await call("GET", "/admin/v1/tenants/no-such-tenant/asyncapi.json", { token: "test-admin-token" })).status).toBe(404);
    expect((await call("GET", "/admin/v1/tenants/no-such-tenant/asyncapi.json")).status).toBe(401);
  });
});
