/**
 * Conformance of shared/delivery/http-binding.ts with the CloudEvents HTTP Protocol Binding 1.0
 * (§3.1 binary, §3.2 structured), round-tripped through the CloudEvents JavaScript SDK's reader.
 */
import { HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import { percentEncode, webhookRequest } from "./http-binding";

// A changecast event (DESIGN.md "The event"), with a subject that needs §3.1.3.2 encoding.
const event = {
  specversion: "1.0",
  id: "01890a5d-ac96-774b-bcce-b302099a8057",
  source: "/tenants/t1/locations/l1",
  type: "io.changecast.customer.updated",
  subject: 'customer/Zoë "Ω" 100% €😀',
  time: "2026-03-01T12:00:00.000Z",
  datacontenttype: "application/json",
  data: { op: "update", before: null, after: { name: "Zoë" }, changed: ["name"], vector: { l1: 3 } },
  sequence: "00000000000000000007",
  partitionkey: 'customer/Zoë "Ω" 100% €😀',
  hlc: "001772366400000-000003",
  lamport: 17,
  tenant: "t1",
  location: "l1",
};

/**
 * The SDK (v10) returns ce-* header values as sent, without §3.1.3.2's percent-decoding, so a
 * receiver following the spec decodes them; this is that step.
 */
function decodedAttributes(received: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(received).map(([k, v]) => [k, typeof v === "string" && k !== "data" ? decodeURIComponent(v) : v]));
}

describe("§3.2 structured content mode", () => {
  const { headers, body } = webhookRequest(event, "structured");

  it("§3.2.1: Content-Type is the JSON event format's media type, exactly as DESIGN.md fixes it", () => {
    expect(headers).toEqual({ "content-type": "application/cloudevents+json" });
  });

  it("§3.2.2: the body is the event in the JSON format, every attribute and data", () => {
    expect(JSON.parse(body)).toEqual(event);
  });

  it("round-trips through the SDK reader unchanged (non-ASCII, quotes and percent included)", () => {
    const received = HTTP.toEvent({ headers, body });
    expect(Array.isArray(received)).toBe(false);
    expect({ ...(received as object) }).toEqual(event);
  });
});

describe("§3.1 binary content mode", () => {
  const { headers, body } = webhookRequest(event, "binary");

  it.each([
    { clause: "§3.1.1 Content-Type is datacontenttype", header: "content-type", value: "application/json" },
    { clause: "§3.1.3.1 ce-id", header: "ce-id", value: event.id },
    { clause: "§3.1.3.1 ce-specversion", header: "ce-specversion", value: "1.0" },
    { clause: "§3.1.3.1 ce-source (printable ASCII stays as is)", header: "ce-source", value: "/tenants/t1/locations/l1" },
    { clause: "§3.1.3.1 ce-time", header: "ce-time", value: "2026-03-01T12:00:00.000Z" },
    { clause: "§3.1.3.2 space, quote, percent and UTF-8 encoded", header: "ce-subject", value: "customer/Zo%C3%AB%20%22%CE%A9%22%20100%25%20%E2%82%AC%F0%9F%98%80" },
    { clause: "§3.1.3.1 extensions too (ce-partitionkey)", header: "ce-partitionkey", value: "customer/Zo%C3%AB%20%22%CE%A9%22%20100%25%20%E2%82%AC%F0%9F%98%80" },
    { clause: "§3.1.3.2 Integer extension as its canonical string", header: "ce-lamport", value: "17" },
    { clause: "§3.1.3.1 ce-hlc", header: "ce-hlc", value: "001772366400000-000003" },
  ])("$clause", ({ header, value }) => {
    expect(headers[header]).toBe(value);
  });

  it("§3.1.1: no ce-datacontenttype, and no header for data", () => {
    expect(headers).not.toHaveProperty("ce-datacontenttype");
    expect(headers).not.toHaveProperty("ce-data");
    expect(Object.keys(headers).sort()).toEqual(
      ["content-type", ...Object.keys(event).filter((k) => k !== "data" && k !== "datacontenttype").map((k) => `ce-${k}`)].sort(),
    );
  });

  it("§3.1.2: the body is data alone", () => {
    expect(JSON.parse(body)).toEqual(event.data);
  });

  it("every header value is printable US-ASCII without space or double-quote (RFC 7230 §3.2)", () => {
    for (const value of Object.values(headers)) expect(value).toMatch(/^[\x21\x23-\x7e]+$/);
  });

  it("round-trips through the SDK reader, after §3.1.3.2 percent-decoding", () => {
    const received = HTTP.toEvent({ headers, body });
    // The Integer extension arrives as its string form: headers carry no type (§3.1.3.2).
    expect(decodedAttributes({ ...(received as object) })).toEqual({ ...event, lamport: "17" });
  });
});

describe("§3.1 binary mode for other data shapes", () => {
  const base = { specversion: "1.0", id: "e1", source: "/s", type: "t" };
  it.each([
    { why: "no datacontenttype: application/json (JSON format §3.1.1)", event: { ...base, data: { a: 1 } }, contentType: "application/json", body: '{"a":1}' },
    { why: "a JSON string datum is quoted", event: { ...base, data: "just a string" }, contentType: "application/json", body: '"just a string"' },
    { why: "explicit null data", event: { ...base, data: null }, contentType: "application/json", body: "null" },
    { why: "no data: empty body", event: { ...base }, contentType: "application/json", body: "" },
    { why: "+json media type is JSON", event: { ...base, datacontenttype: "application/vnd.x+json", data: [1] }, contentType: "application/vnd.x+json", body: "[1]" },
    { why: "text data is its own bytes", event: { ...base, datacontenttype: "text/plain; charset=utf-8", data: "héllo" }, contentType: "text/plain; charset=utf-8", body: "héllo" },
  ])("$why", ({ event: e, contentType, body }) => {
    const request = webhookRequest(e, "binary");
    expect(request.headers["content-type"]).toBe(contentType);
    expect(request.body).toBe(body);
  });

  it.each([
    { why: "boolean extension", value: true, header: "true" },
    { why: "negative integer extension", value: -5, header: "-5" },
    { why: "binary extension as base64", value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]), header: "3q2+7w==" },
  ])("$why", ({ value, header }) => {
    expect(webhookRequest({ ...base, ext: value }, "binary").headers["ce-ext"]).toBe(header);
  });

  it("null and undefined attributes are unset: no header (JSON format §2.2)", () => {
    const { headers } = webhookRequest({ ...base, subject: null, traceparent: undefined }, "binary");
    expect(headers).not.toHaveProperty("ce-subject");
    expect(headers).not.toHaveProperty("ce-traceparent");
  });

  it.each([
    { why: "an object-valued attribute has no canonical string", event: { ...base, ext: { a: 1 } }, message: /"ext" has no CloudEvents string form/ },
    { why: "data_base64 cannot be a string body", event: { ...base, data_base64: "AAEC" }, message: /data_base64/ },
  ])("throws: $why", ({ event: e, message }) => {
    expect(() => webhookRequest(e, "binary")).toThrow(message);
  });
});

describe("§3.1.3.2 percent-encoding", () => {
  it.each([
    { why: "the spec's example", input: "Euro € 😀", output: "Euro%20%E2%82%AC%20%F0%9F%98%80" },
    { why: "printable ASCII untouched", input: "a-Z_0~!#$&'()*+,/:;<=>?@[\\]^`{|}", output: "a-Z_0~!#$&'()*+,/:;<=>?@[\\]^`{|}" },
    { why: "space", input: "a b", output: "a%20b" },
    { why: "double-quote", input: '"q"', output: "%22q%22" },
    { why: "percent (no ambiguity with encoded text)", input: "100%25", output: "100%2525" },
    { why: "controls (RECOMMENDED)", input: "a\tb\nc\x7f", output: "a%09b%0Ac%7F" },
    { why: "C1 control U+0085", input: "\u0085", output: "%C2%85" },
    { why: "upper-case hex", input: "ÿ", output: "%C3%BF" },
    { why: "lone surrogate becomes U+FFFD", input: "\ud800", output: "%EF%BF%BD" },
    { why: "empty", input: "", output: "" },
  ])("$why", ({ input, output }) => {
    expect(percentEncode(input)).toBe(output);
  });
});
