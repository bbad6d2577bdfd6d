/**
 * mapDebeziumEvent against Debezium's documented event formats (PostgreSQL and MySQL
 * connectors, JSON converter with and without schemas, CloudEvents converter). Samples are
 * written by hand from https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-events
 */
import { describe, expect, it } from "vitest";
import { mapDebeziumEvent } from "./debezium";

const pgSource = (extra: Record<string, unknown> = {}) => ({
  version: "2.7.0.Final",
  connector: "postgresql",
  name: "PostgreSQL_server",
  ts_ms: 1772359200000,
  snapshot: "false",
  db: "postgres",
  sequence: '["24023119","24023128"]',
  schema: "public",
  table: "customers",
  txId: 555,
  lsn: 24023128,
  xmin: null,
  ...extra,
});
const anne = { id: 1, first_name: "Anne", last_name: "Kretchmar", email: "annek@noanswer.org" };
const anneNew = { ...anne, email: "anne@example.com" };
const schema = { type: "struct", fields: [], optional: false, name: "PostgreSQL_server.public.customers.Envelope", version: 1 };

const create = { before: null, after: anne, source: pgSource(), op: "c", ts_ms: 1772359200123 };
const update = { before: anne, after: anneNew, source: pgSource({ lsn: 24023200, txId: 556 }), op: "u", ts_ms: 1772359201000 };
const del = { before: anne, after: null, source: pgSource({ lsn: 24023300, txId: 557 }), op: "d", ts_ms: 1772359202000 };
const read = { before: null, after: anne, source: pgSource({ snapshot: "true", lsn: 24023000, txId: 550 }), op: "r", ts_ms: 1772359100000 };

const at = "2026-03-01T10:00:00.000Z";
const cfg = { key: ["id"] };

describe("PostgreSQL connector events, with and without the {schema, payload} wrapper", () => {
  const cases = [
    { name: "create (c) → insert", payload: create, expected: { id: "pg:555:24023128", recordType: "customers", recordId: "1", op: "insert", occurredAt: at, data: anne, source: { kind: "log", txId: 555, position: 24023128 } } },
    { name: "update (u) → update with before", payload: update, expected: { id: "pg:556:24023200", recordType: "customers", recordId: "1", op: "update", occurredAt: at, data: anneNew, before: anne, source: { kind: "log", txId: 556, position: 24023200 } } },
    { name: "delete (d) → delete, data {} and the before image", payload: del, expected: { id: "pg:557:24023300", recordType: "customers", recordId: "1", op: "delete", occurredAt: at, data: {}, before: anne, source: { kind: "log", txId: 557, position: 24023300 } } },
    { name: "read (r) → snapshot", payload: read, expected: { id: "pg:550:24023000", recordType: "customers", recordId: "1", op: "snapshot", occurredAt: at, data: anne, source: { kind: "log", txId: 550, position: 24023000 } } },
  ];
  it.each(cases)("bare payload: $name", ({ payload, expected }) => {
    expect(mapDebeziumEvent({ body: payload }, cfg)).toEqual({ ok: true, change: expected });
  });
  it.each(cases)("schema wrapper: $name", ({ payload, expected }) => {
    expect(mapDebeziumEvent({ body: { schema, payload } }, cfg)).toEqual({ ok: true, change: expected });
  });
});

describe("CloudEvents converter (structured mode)", () => {
  const cloudEvent = {
    id: "name:PostgreSQL_server;lsn:24023128;txId:555",
    source: "/debezium/postgresql/PostgreSQL_server",
    specversion: "1.0",
    type: "io.debezium.connector.postgresql.DataChangeEvent",
    time: "2026-03-01T10:00:00Z",
    datacontenttype: "application/json",
    iodebeziumop: "c",
    iodebeziumversion: "2.7.0.Final",
    iodebeziumconnector: "postgresql",
    iodebeziumname: "PostgreSQL_server",
    iodebeziumtsms: "1772359200000",
    iodebeziumsnapshot: "false",
    iodebeziumdb: "postgres",
    iodebeziumschema: "public",
    iodebeziumtable: "customers",
    iodebeziumtxid: "555",
    iodebeziumlsn: "24023128",
    iodebeziumxmin: null,
    data: { before: null, after: anne },
  };
  const expected = { id: "pg:555:24023128", recordType: "customers", recordId: "1", op: "insert", occurredAt: at, data: anne, source: { kind: "log", txId: "555", position: "24023128" } };

  it("maps the extension attributes and data; the dedupe id equals the plain JSON event's", () => {
    expect(mapDebeziumEvent({ body: cloudEvent, cloudEvents: true }, cfg)).toEqual({ ok: true, change: expected });
    const plain = mapDebeziumEvent({ body: create }, cfg);
    expect(plain.ok && plain.change.id).toBe(expected.id);
  });
  it("is recognised by specversion without the content type, and with data in a schema wrapper", () => {
    expect(mapDebeziumEvent({ body: { ...cloudEvent, data: { schema, payload: { before: null, after: anne } } } }, cfg)).toEqual({ ok: true, change: expected });
  });
  it("never takes the CloudEvent id as the dedupe id (it is per delivery)", () => {
    const r = mapDebeziumEvent({ body: { ...cloudEvent, id: "another-delivery" }, cloudEvents: true }, cfg);
    expect(r.ok && r.change.id).toBe(expected.id);
  });
});

describe("PostgreSQL's default REPLICA IDENTITY (the connector docs' update and delete events)", () => {
  // Without REPLICA IDENTITY FULL the WAL holds no old row for an update (before: null) and only
  // the key columns for a delete, and the connector's events say exactly that.
  it("an update with before null → update, data the after image, before null", () => {
    const r = mapDebeziumEvent({ body: { before: null, after: anneNew, source: pgSource({ lsn: 24023200, txId: 556 }), op: "u", ts_ms: 1 } }, cfg);
    expect(r).toEqual({ ok: true, change: { id: "pg:556:24023200", recordType: "customers", recordId: "1", op: "update", occurredAt: at, data: anneNew, before: null, source: { kind: "log", txId: 556, position: 24023200 } } });
  });
  it("a delete whose before holds only the key → delete of that record", () => {
    const r = mapDebeziumEvent({ body: { schema, payload: { before: { id: 1 }, after: null, source: pgSource({ lsn: 24023300, txId: 557 }), op: "d", ts_ms: 1 } } }, cfg);
    expect(r).toEqual({ ok: true, change: { id: "pg:557:24023300", recordType: "customers", recordId: "1", op: "delete", occurredAt: at, data: {}, before: { id: 1 }, source: { kind: "log", txId: 557, position: 24023300 } } });
  });
});

describe("CloudEvents converter: update and delete", () => {
  const ce = (op: string, lsn: number, txId: number, data: Record<string, unknown>) => ({
    specversion: "1.0", id: `name:PostgreSQL_server;lsn:${lsn};txId:${txId}`, source: "/debezium/postgresql/PostgreSQL_server",
    type: "io.debezium.connector.postgresql.DataChangeEvent", datacontenttype: "application/json",
    iodebeziumop: op, iodebeziumconnector: "postgresql", iodebeziumtsms: "1772359200000", iodebeziumschema: "public",
    iodebeziumtable: "customers", iodebeziumtxid: String(txId), iodebeziumlsn: String(lsn), data,
  });
  it.each([
    { name: "u → update with before", body: ce("u", 24023200, 556, { before: anne, after: anneNew }), expected: { id: "pg:556:24023200", op: "update", data: anneNew, before: anne } },
    { name: "d → delete, data {} and the before image", body: ce("d", 24023300, 557, { before: anne, after: null }), expected: { id: "pg:557:24023300", op: "delete", data: {}, before: anne } },
  ])("$name; same dedupe id as the JSON converter's event", ({ body, expected }) => {
    expect(mapDebeziumEvent({ body, cloudEvents: true }, cfg)).toEqual({
      ok: true,
      change: { ...expected, recordType: "customers", recordId: "1", occurredAt: at, source: { kind: "log", txId: expected.id.split(":")[1], position: expected.id.split(":")[2] } },
    });
    const plain = mapDebeziumEvent({ body: expected.op === "update" ? update : del }, cfg);
    expect(plain.ok && plain.change.id).toBe(expected.id);
  });
});

describe("dedupe ids from the source position", () => {
  const mysqlSource = { version: "2.7.0.Final", connector: "mysql", name: "mysql-server-1", ts_ms: 1772359200000, snapshot: "false", db: "inventory", table: "customers", server_id: 223344, gtid: null, file: "mysql-bin.000003", pos: 154, row: 2, thread: 7 };
  it.each([
    { name: "MySQL: file, pos and row", body: { before: null, after: anne, source: mysqlSource, op: "c", ts_ms: 1 }, id: "mysql:mysql-bin.000003:154:2", position: "mysql-bin.000003:154" },
    { name: "an outbox id wins over the position", body: create, outboxId: "9f2c1a4e-outbox", id: "9f2c1a4e-outbox", position: 24023128 },
  ])("$name", ({ body, outboxId, id, position }) => {
    const r = mapDebeziumEvent({ body, ...(outboxId ? { outboxId } : {}) }, cfg);
    expect(r).toMatchObject({ ok: true, change: { id, source: { kind: "log", position } } });
  });

  it("other connectors: connector, ts_ms and a digest of the payload, stable across resends", () => {
    const sqlserver = { before: null, after: anne, op: "c", ts_ms: 1772359200500, source: { connector: "sqlserver", name: "srv", ts_ms: 1772359200000, db: "testDB", schema: "dbo", table: "customers", change_lsn: "00000025:00000d98:0002", commit_lsn: "00000025:00000d98:0003" } };
    const a = mapDebeziumEvent({ body: sqlserver }, cfg);
    const b = mapDebeziumEvent({ body: { schema, payload: JSON.parse(JSON.stringify(sqlserver)) } }, cfg);
    expect(a.ok && a.change.id).toMatch(/^sqlserver:1772359200000:[0-9a-f]{64}$/);
    expect(b.ok && b.change.id).toBe(a.ok && a.change.id);
    const other = mapDebeziumEvent({ body: { ...sqlserver, after: anneNew } }, cfg);
    expect(other.ok && other.change.id).not.toBe(a.ok && a.change.id);
  });
});

describe("record configuration", () => {
  it.each([
    { name: "recordType override", config: { key: ["id"], recordType: "customer" }, expect: { recordType: "customer", recordId: "1" } },
    { name: "composite key joined with ':'", config: { key: ["tenant_id", "id"] }, body: { ...create, after: { ...anne, tenant_id: "acme" } }, expect: { recordId: "acme:1" } },
    { name: "string key column", config: { key: ["email"] }, expect: { recordId: "annek@noanswer.org" } },
    { name: "delete keys from the before image", config: { key: ["id"] }, body: del, expect: { recordId: "1", op: "delete" } },
  ])("$name", ({ config, body, expect: want }) => {
    expect(mapDebeziumEvent({ body: body ?? create }, config)).toMatchObject({ ok: true, change: want });
  });
  it("occurredAt falls back to the event's ts_ms when the source has none", () => {
    const { ts_ms: _, ...source } = pgSource();
    expect(mapDebeziumEvent({ body: { ...create, source } }, cfg)).toMatchObject({ ok: true, change: { occurredAt: "2026-03-01T10:00:00.123Z" } });
  });
});

describe("refusals", () => {
  it.each([
    { name: "truncate (t) is not a per-record change", body: { before: null, after: null, source: pgSource(), op: "t", ts_ms: 1 }, kind: "unsupported", field: "op", reason: /truncate.*not per-record/ },
    { name: "a logical decoding message (m)", body: { op: "m", source: pgSource(), ts_ms: 1, message: { prefix: "p", content: "eA==" } }, kind: "unsupported", field: "op", reason: /not a row change/ },
    { name: "missing key column", body: { ...create, after: { name: "no id" } }, kind: "invalid", field: "after.id", reason: /key column "id"/ },
    { name: "missing key column on delete", body: { ...del, before: { name: "no id" } }, kind: "invalid", field: "before.id", reason: /key column/ },
    { name: "no source block", body: { before: null, after: anne, op: "c" }, kind: "invalid", field: "source", reason: /source/ },
    { name: "no source in the wrapper", body: { schema, payload: { before: null, after: anne, op: "c" } }, kind: "invalid", field: "payload.source", reason: /source/ },
    { name: "not an object", body: [create], kind: "invalid", field: "body", reason: /one Debezium change event/ },
    { name: "create without after", body: { ...create, after: null }, kind: "invalid", field: "after", reason: /required/ },
    { name: "no timestamp", body: { ...create, ts_ms: undefined, source: { ...pgSource(), ts_ms: undefined } }, kind: "invalid", field: "source.ts_ms", reason: /timestamp/ },
  ])("$name", ({ body, kind, field, reason }) => {
    const r = mapDebeziumEvent({ body }, cfg);
    expect(r).toMatchObject({ ok: false, kind, field });
    expect(!r.ok && r.reason).toMatch(reason);
  });
});
