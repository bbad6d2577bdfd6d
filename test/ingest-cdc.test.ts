/**
 * POST /v1/changes/debezium and /v1/changes/maxwell through the real Worker: each format lands
 * in the audit trail as the right op, record and data; replays dedupe by log position.
 */
import { describe, expect, it } from "vitest";
import { admin, call, newTenant } from "./helpers";

const pgSource = (lsn: number, txId: number, extra: Record<string, unknown> = {}) => ({ version: "2.7.0.Final", connector: "postgresql", name: "pg", ts_ms: 1772359200000, snapshot: "false", db: "shop", schema: "public", table: "customers", txId, lsn, ...extra });
const anne = { id: 7, name: "Anne", email: "annek@noanswer.org" };

async function post(path: string, key: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await call("POST", path, { token: key, rawBody: JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
  return { status: res.status, body: (await res.json()) as any };
}

async function trail(tenant: string, type: string, id: string) {
  const { status, json } = await admin("GET", `/tenants/${tenant}/records/${type}/${encodeURIComponent(id)}/audit`);
  expect(status).toBe(200);
  return json.items as any[];
}

describe("POST /v1/changes/debezium", () => {
  it("maps create (wrapped), update (bare) and delete (CloudEvents) onto one record's trail", async () => {
    const { tenant, keys } = await newTenant();
    const key = keys["store-1"]!;
    const created = await post("/v1/changes/debezium", key, { schema: { type: "struct" }, payload: { before: null, after: anne, source: pgSource(100, 1), op: "c", ts_ms: 1772359200100 } });
    expect(created.status).toBe(200);
    expect(created.body.results).toEqual([{ id: "pg:1:100", status: "accepted", eventId: expect.any(String), sequence: 1 }]);

    const updated = await post("/v1/changes/debezium", key, { before: anne, after: { ...anne, name: "Anne K." }, source: pgSource(200, 2), op: "u", ts_ms: 1772359201000 });
    expect(updated.body.results[0]).toMatchObject({ id: "pg:2:200", status: "accepted", sequence: 2 });

    const cloudEvent = {
      specversion: "1.0", id: "name:pg;lsn:300;txId:3", source: "/debezium/postgresql/pg", type: "io.debezium.connector.postgresql.DataChangeEvent", datacontenttype: "application/json",
      iodebeziumop: "d", iodebeziumconnector: "postgresql", iodebeziumtsms: "1772359202000", iodebeziumtable: "customers", iodebeziumtxid: "3", iodebeziumlsn: "300",
      data: { before: { ...anne, name: "Anne K." }, after: null },
    };
    const deleted = await post("/v1/changes/debezium", key, cloudEvent, { "content-type": "application/cloudevents+json" });
    expect(deleted.body.results[0]).toMatchObject({ id: "pg:3:300", status: "accepted", sequence: 3 });

    const items = await trail(tenant, "customers", "7");
    expect(items.map((i) => i.event.type)).toEqual(["io.changecast.customers.created", "io.changecast.customers.updated", "io.changecast.customers.deleted"]);
    expect(items[0].snapshot).toEqual(anne);
    expect(items[1].snapshot).toEqual({ ...anne, name: "Anne K." });
    // occurredAt from source.ts_ms (ms), not the event's ts_ms.
    expect(items[0].event.time).toBe("2026-03-01T10:00:00.000Z");
  });

  it("maps r to a snapshot, with ?recordType= and a composite ?key=", async () => {
    const { tenant, keys } = await newTenant();
    const row = { tenant_id: "acme", id: 9, sku: "A-1" };
    const res = await post("/v1/changes/debezium?recordType=product&key=tenant_id,id", keys["store-1"]!, { before: null, after: row, source: pgSource(50, 5, { table: "products", snapshot: "true" }), op: "r", ts_ms: 1 });
    expect(res.body.results[0]).toMatchObject({ status: "accepted" });
    const items = await trail(tenant, "product", "acme:9");
    expect(items[0].event.type).toBe("io.changecast.product.snapshotted");
    expect(items[0].snapshot).toEqual(row);
  });

  it("answers a resent event as duplicate, even under another webhook-id", async () => {
    const { tenant, keys } = await newTenant();
    const event = { before: null, after: anne, source: pgSource(400, 4), op: "c", ts_ms: 1 };
    const first = await post("/v1/changes/debezium", keys["store-1"]!, event, { "webhook-id": "msg_first" });
    const again = await post("/v1/changes/debezium", keys["store-1"]!, event, { "webhook-id": "msg_after_restart" });
    expect(again.body.results).toEqual([{ id: "pg:4:400", status: "duplicate", eventId: first.body.results[0].eventId, sequence: 1 }]);
    expect(await trail(tenant, "customers", "7")).toHaveLength(1);
  });

  it("takes the outbox id header as the dedupe id", async () => {
    const { keys } = await newTenant();
    const res = await post("/v1/changes/debezium", keys["store-1"]!, { before: null, after: anne, source: pgSource(500, 5), op: "c", ts_ms: 1 }, { "x-outbox-id": "ob-123" });
    expect(res.body.results[0]).toMatchObject({ id: "ob-123", status: "accepted" });
  });

  it.each([
    { name: "base64, as Debezium Server's HTTP sink encodes headers by default", value: btoa("ob-456") },
    { name: "base64 of a JSON-quoted string", value: btoa('"ob-456"') },
    { name: "plain (headers.encode.base64=false)", value: "ob-456" },
  ])("reads the outbox id from X-DEBEZIUM-ID: $name", async ({ value }) => {
    const { keys } = await newTenant();
    const res = await post("/v1/changes/debezium", keys["store-1"]!, { before: null, after: anne, source: pgSource(510, 5), op: "c", ts_ms: 1 }, { "x-debezium-id": value });
    expect(res.body.results[0]).toMatchObject({ id: "ob-456", status: "accepted" });
  });

  it("refuses a truncate with 422 naming op", async () => {
    const { keys } = await newTenant();
    const res = await post("/v1/changes/debezium", keys["store-1"]!, { before: null, after: null, source: pgSource(600, 6), op: "t", ts_ms: 1 });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ status: 422, field: "op", detail: expect.stringMatching(/truncate.*not per-record/) });
  });

  it("answers 400 naming a missing key column", async () => {
    const { keys } = await newTenant();
    const res = await post("/v1/changes/debezium?key=tenant_id,id", keys["store-1"]!, { before: null, after: anne, source: pgSource(700, 7), op: "c", ts_ms: 1 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, field: "after.tenant_id" });
  });

  it("needs the location key", async () => {
    const res = await call("POST", "/v1/changes/debezium", { body: { op: "c" } });
    expect(res.status).toBe(401);
  });
});

describe("POST /v1/changes/maxwell", () => {
  const base = { database: "shop", table: "orders", ts: 1772359200, xid: 9001, position: "binlog-000003:1234" };
  const order = { id: 42, status: "paid", total: 19.5, note: "gift" };

  it("maps an array of insert, update (before reconstructed from data + old) and delete", async () => {
    const { tenant, keys } = await newTenant();
    const res = await post("/v1/changes/maxwell", keys["store-1"]!, [
      { ...base, type: "insert", xoffset: 0, data: { ...order, status: "new", total: 18 } },
      { ...base, type: "update", xoffset: 1, data: order, old: { status: "new", total: 18 } },
      { ...base, xid: 9002, type: "delete", xoffset: 0, commit: true, data: order },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => [r.id, r.status])).toEqual([["maxwell:9001:0", "accepted"], ["maxwell:9001:1", "accepted"], ["maxwell:9002:0", "accepted"]]);

    const items = await trail(tenant, "orders", "42");
    expect(items.map((i) => i.event.type)).toEqual(["io.changecast.orders.created", "io.changecast.orders.updated", "io.changecast.orders.deleted"]);
    expect(items[1].event.data.before).toEqual({ id: 42, status: "new", total: 18, note: "gift" });
    expect(items[1].snapshot).toEqual(order);
    expect(items[1].event.time).toBe("2026-03-01T10:00:00.000Z"); // ts is in seconds
  });

  it("accepts one object; bootstrap markers are ignored and bootstrap-insert is a snapshot", async () => {
    const { tenant, keys } = await newTenant();
    const start = await post("/v1/changes/maxwell", keys["store-1"]!, { database: "shop", table: "orders", type: "bootstrap-start", ts: 1772359200, data: {} });
    expect(start).toEqual({ status: 200, body: { results: [], ignored: 1 } });
    const row = await post("/v1/changes/maxwell?recordType=order", keys["store-1"]!, { database: "shop", table: "orders", type: "bootstrap-insert", ts: 1772359200, data: order });
    expect(row.body.results[0]).toMatchObject({ id: "maxwell:bootstrap:1772359200", status: "accepted" });
    expect((await trail(tenant, "order", "42"))[0].event.type).toBe("io.changecast.order.snapshotted");
  });

  it("rejects a row missing its key column alone, naming the field", async () => {
    const { keys } = await newTenant();
    const res = await post("/v1/changes/maxwell", keys["store-1"]!, [
      { ...base, type: "insert", xoffset: 0, data: { status: "new" } },
      { ...base, type: "insert", xoffset: 1, data: order },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toEqual({ id: null, status: "rejected", error: { field: "[0].data.id", reason: expect.stringMatching(/key column "id"/) } });
    expect(res.body.results[1]).toMatchObject({ status: "accepted" });
  });

  it("answers a replayed row as duplicate", async () => {
    const { keys } = await newTenant();
    const row = { ...base, type: "insert", xoffset: 5, data: order };
    await post("/v1/changes/maxwell", keys["store-1"]!, row);
    const again = await post("/v1/changes/maxwell", keys["store-1"]!, [row]);
    expect(again.body.results[0]).toMatchObject({ id: "maxwell:9001:5", status: "duplicate" });
  });

  it("answers 400 for an empty array or a bad ?key=", async () => {
    const { keys } = await newTenant();
    expect((await post("/v1/changes/maxwell", keys["store-1"]!, [])).body).toMatchObject({ status: 400, field: "body" });
    expect((await post("/v1/changes/maxwell?key=id,", keys["store-1"]!, { ...base, type: "insert", data: order })).body).toMatchObject({ status: 400, field: "key" });
  });
});
