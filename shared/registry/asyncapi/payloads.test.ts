import { describe, expect, it } from "vitest";
import { asyncApiDocument } from "./document";
import { SCHEMA_FORMATS, payloadFor, type RegisteredLatest } from "./payloads";

const ctx = { tenant: "acme", eventTypes: ["io.changecast.customer.created"], dataschema: "https://h/registry/t/acme/schemas/ids/1" };
const subject = (type: RegisteredLatest["type"], text: string): RegisteredLatest => ({ subject: "customer", version: 4, id: 9, type, text });
const dataField = (payload: any, name: string) => payload.fields.find((f: any) => f.name === "data").type.fields.find((f: any) => f.name === name).type;

describe("payloads per schema type", () => {
  it("JSON: the registered schema sits in components.schemas, local $refs re-rooted, $id/$schema dropped, values untouched", () => {
    const text = JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", $id: "urn:x", $defs: { a: { type: "string" } }, properties: { a: { $ref: "#/$defs/a", default: { $ref: "#/kept" } } } });
    const p = payloadFor(subject("JSON", text), ctx);
    expect(p.schemaFormat).toBe(SCHEMA_FORMATS.JSON);
    expect(p.schemas).toEqual({ "customer.v4": { $defs: { a: { type: "string" } }, properties: { a: { $ref: "#/components/schemas/customer.v4/$defs/a", default: { $ref: "#/kept" } } } } });
  });

  it.each([
    { name: "a named record: after refers to before's definition", text: { type: "record", name: "C", namespace: "a.b", fields: [] }, before: 2, after: ["null", "a.b.C"] },
    { name: "a union: members flattened beside null", text: ["null", "string", { type: "enum", name: "E", symbols: ["X"] }], before: 3, after: ["null", "string", "E"] },
    { name: "a primitive", text: "string", before: 2, after: ["null", "string"] },
  ])("Avro, $name", ({ text, before, after }) => {
    const p = payloadFor(subject("AVRO", JSON.stringify(text)), ctx);
    expect(p.schemaFormat).toBe(SCHEMA_FORMATS.AVRO);
    expect(dataField(p.payload, "before")).toHaveLength(before);
    expect(dataField(p.payload, "after")).toEqual(after);
  });

  it.each([
    { syntax: 'syntax = "proto2";', required: "required string id = 2;", optional: "optional string traceparent = 15;" },
    { syntax: 'syntax = "proto3";', required: "  string id = 2;", optional: "optional string traceparent = 15;" },
    { syntax: 'edition = "2023";', required: "  string id = 2;", optional: "  string traceparent = 15;" },
  ])("Protobuf $syntax: the event messages appended with that syntax's labels, rooted on the wrapper", ({ syntax, required, optional }) => {
    const p = payloadFor(subject("PROTOBUF", `${syntax}\npackage p;\nmessage Customer { ${syntax.includes("proto2") ? "optional " : ""}string id = 1; }\n`), ctx);
    expect(p.schemaFormat).toBe(SCHEMA_FORMATS.PROTOBUF);
    expect(p.payload).toContain(required);
    expect(p.payload).toContain(optional);
    expect(p.payload).toContain("@RootNode");
    expect(p.payload).toContain(" .p.Customer before = 2;");
  });
});

describe("asyncApiDocument", () => {
  it("no subjects: a 2.6 document with the three region servers, the signature scheme and no channels", () => {
    const doc = asyncApiDocument({ tenant: { id: "acme", name: "Acme", typePrefix: "com.acme" }, subjects: [], registryUrl: "https://h/registry/t/acme", webhookOrigin: "o" }) as any;
    expect(doc).toMatchObject({ asyncapi: "2.6.0", channels: {}, info: { version: "1.0.0+schema.0" } });
    expect(Object.keys(doc.servers)).toEqual(["us", "eu", "ap"]);
    expect(doc.components.securitySchemes.standardWebhooks).toMatchObject({ type: "httpApiKey", in: "header", name: "webhook-signature" });
  });

  it("event types use the tenant's prefix; every operation is subscribe (the application sends)", () => {
    const doc = asyncApiDocument({ tenant: { id: "acme", name: "Acme", typePrefix: "com.acme" }, subjects: [subject("JSON", "{}")], registryUrl: "https://h/registry/t/acme", webhookOrigin: "o" }) as any;
    expect(Object.keys(doc.channels)).toContain("com.acme.customer.soft_deleted");
    expect(Object.values<any>(doc.channels).every((c) => c.subscribe && !c.publish)).toBe(true);
    expect(doc.components.messages.customer_updated.payload).toEqual({ $ref: "#/components/messages/customer_created/payload" });
  });
});
