/**
 * buildChangeEvent against CloudEvents 1.0 (checked with the `cloudevents` SDK, v10, and its
 * HTTP protocol binding) and against the formats DESIGN.md "The event" fixes.
 */
import { CloudEvent, HTTP, type Message } from "cloudevents";
import { describe, expect, it } from "vitest";
import { OPS, type Op } from "../change/ops";
import { buildChangeEvent, formatSequence, type ChangeEvent, type EventInput } from "./cloudevent";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function input(overrides: Partial<EventInput> = {}): EventInput {
  return {
    id: "01936b2e-1f4a-7c3d-9e5f-0a1b2c3d4e5f",
    tenant: "acme",
    location: "store-1",
    typePrefix: "io.changecast",
    recordType: "customer",
    recordId: "c-42",
    op: "update",
    occurredAt: "2026-03-01T10:00:00.250+02:00",
    sequence: 7,
    hlc: "001772352000250-000003",
    lamport: 7,
    data: { op: "update", before: { name: "Ada" }, after: { name: "Ada L." }, changed: ["name"], vector: { "store-1": 7 } },
    ...overrides,
  };
}

const PAST_TENSE: Record<Op, string> = {
  insert: "created",
  update: "updated",
  delete: "deleted",
  soft_delete: "soft_deleted",
  restore: "restored",
  reparent: "reparented",
  rekey: "rekeyed",
  snapshot: "snapshotted",
};

const allOps = OPS.map((op) => ({ op, suffix: PAST_TENSE[op] }));

/** A message as it would arrive over the wire: every HTTP header value is a string. */
function overTheWire(message: Message): Message {
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)]));
  const body = typeof message.body === "string" ? message.body : JSON.stringify(message.body);
  return { headers, body };
}

describe("CloudEvents 1.0: the SDK accepts every event", () => {
  it("covers all 8 ops in the table", () => {
    expect(allOps).toHaveLength(8);
  });

  it.each(allOps)("op $op: new CloudEvent(event) constructs strictly and validates", ({ op }) => {
    const event = buildChangeEvent(input({ op, data: { ...input().data, op } }));
    const ce = new CloudEvent(event); // strict: throws on a bad extension name or value
    expect(ce.validate()).toBe(true);
    expect(ce.specversion).toBe("1.0");
  });

  it.each([
    { name: "with traceparent and dataschema", extra: { traceparent: TRACEPARENT, dataschema: "https://schemas.changecast.dev/acme/customer/3" } },
    { name: "without the optional attributes", extra: {} },
  ])("validates $name", ({ extra }) => {
    expect(new CloudEvent(buildChangeEvent(input(extra))).validate()).toBe(true);
  });
});

describe("CloudEvents HTTP protocol binding round trip (binary and structured modes)", () => {
  const event = buildChangeEvent(input({ traceparent: TRACEPARENT, dataschema: "https://schemas.changecast.dev/acme/customer/3" }));

  it("structured mode: the body is the event; toEvent gives back every attribute", () => {
    const message = overTheWire(HTTP.structured(new CloudEvent(event)));
    expect(message.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
    const back = HTTP.toEvent(message) as CloudEvent<unknown>;
    expect(back.validate()).toBe(true);
    expect({ ...back }).toEqual(event);
  });

  it("binary mode: ce-* headers carry the attributes and the body is data", () => {
    const message = overTheWire(HTTP.binary(new CloudEvent(event)));
    expect(message.headers["ce-id"]).toBe(event.id);
    expect(message.headers["ce-sequence"]).toBe(event.sequence);
    expect(message.headers["ce-partitionkey"]).toBe("customer/c-42");
    expect(message.headers["ce-traceparent"]).toBe(TRACEPARENT);
    expect(JSON.parse(message.body as string)).toEqual(event.data);
    const back = HTTP.toEvent(message) as CloudEvent<unknown>;
    expect(back.validate()).toBe(true);
    // Binary mode has no typed headers: the Integer `lamport` comes back in its canonical
    // string form (CloudEvents HTTP binding §3.1.3.2); every other attribute is a string already.
    expect({ ...back }).toEqual({ ...event, lamport: String(event.lamport) });
  });
});

describe("DESIGN.md formats", () => {
  it.each(allOps)("type is {prefix}.{recordType}.$suffix for op $op", ({ op, suffix }) => {
    expect(buildChangeEvent(input({ op })).type).toBe(`io.changecast.customer.${suffix}`);
    expect(buildChangeEvent(input({ op, typePrefix: "com.example.crm", recordType: "supplier" })).type).toBe(`com.example.crm.supplier.${suffix}`);
  });

  it.each([
    { recordType: "customer", recordId: "c-42", key: "customer/c-42" },
    { recordType: "inventory_item", recordId: "SKU:0042", key: "inventory_item/SKU:0042" },
  ])("subject and partitionkey are $key", ({ recordType, recordId, key }) => {
    const event = buildChangeEvent(input({ recordType, recordId }));
    expect(event.subject).toBe(key);
    expect(event.partitionkey).toBe(key);
  });

  it.each([
    { n: 1, text: "00000000000000000001" },
    { n: 7, text: "00000000000000000007" },
    { n: 1_000_000, text: "00000000000001000000" },
    { n: Number.MAX_SAFE_INTEGER, text: "00009007199254740991" },
  ])("sequence $n is the 20-digit zero-padded $text", ({ n, text }) => {
    expect(formatSequence(n)).toBe(text);
    expect(buildChangeEvent(input({ sequence: n })).sequence).toBe(text);
  });

  it("zero-padded sequences sort as text in numeric order", () => {
    const ns = [1, 2, 9, 10, 11, 99, 100, 12_345, 999_999_999, 1_000_000_000];
    expect(ns.map(formatSequence).sort()).toEqual(ns.map(formatSequence));
  });

  it.each([
    { tenant: "acme", location: "store-1", source: "/tenants/acme/locations/store-1" },
    { tenant: "t_2", location: "hq", source: "/tenants/t_2/locations/hq" },
  ])("source is $source; tenant and location extensions match", ({ tenant, location, source }) => {
    const event = buildChangeEvent(input({ tenant, location }));
    expect(event.source).toBe(source);
    expect(event.tenant).toBe(tenant);
    expect(event.location).toBe(location);
  });

  it.each([
    { name: "absent when not given", extra: {}, present: false },
    { name: "absent when empty", extra: { traceparent: "" }, present: false },
    { name: "present when given", extra: { traceparent: TRACEPARENT }, present: true },
  ])("traceparent is $name", ({ extra, present }) => {
    const event = buildChangeEvent(input(extra));
    expect("traceparent" in event).toBe(present);
    if (present) expect(event.traceparent).toBe(TRACEPARENT);
  });

  it.each([
    { name: "absent when no schema is registered", extra: {}, present: false },
    { name: "present when registered", extra: { dataschema: "https://schemas.changecast.dev/acme/customer/3" }, present: true },
  ])("dataschema is $name", ({ extra, present }) => {
    expect("dataschema" in buildChangeEvent(input(extra))).toBe(present);
  });

  it.each([
    { occurredAt: "2026-03-01T10:00:00.250+02:00", time: "2026-03-01T08:00:00.250Z" },
    { occurredAt: "2026-03-01T08:00:00Z", time: "2026-03-01T08:00:00.000Z" },
    { occurredAt: "2026-02-28T23:30:00-01:00", time: "2026-03-01T00:30:00.000Z" },
  ])("time $occurredAt is RFC 3339 UTC $time", ({ occurredAt, time }) => {
    expect(buildChangeEvent(input({ occurredAt })).time).toBe(time);
  });

  it("carries specversion, datacontenttype, hlc, lamport and data unchanged", () => {
    const i = input();
    const event = buildChangeEvent(i);
    expect(event).toMatchObject({ specversion: "1.0", id: i.id, datacontenttype: "application/json", hlc: i.hlc, lamport: 7, data: i.data });
    expect(event.hlc).toMatch(/^\d{15}-\d{6}$/);
    expect(Number.isInteger(event.lamport)).toBe(true);
  });
});

describe("CloudEvents §3.1.1 attribute naming: extensions are [a-z0-9], at most 20 characters", () => {
  const CORE = new Set(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data"]);
  const full: ChangeEvent = buildChangeEvent(input({ traceparent: TRACEPARENT, dataschema: "https://schemas.changecast.dev/s/1" }));
  const extensions = Object.keys(full).filter((k) => !CORE.has(k));

  it("the event has exactly the extensions DESIGN.md lists", () => {
    expect(extensions.sort()).toEqual(["hlc", "lamport", "location", "partitionkey", "sequence", "tenant", "traceparent"]);
  });

  it.each(extensions)("%s is a valid attribute name", (name) => {
    expect(name).toMatch(/^[a-z0-9]{1,20}$/);
  });
});
