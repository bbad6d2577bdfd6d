/**
 * mapMaxwellRow against Maxwell's documented JSON rows (https://maxwells-daemon.io/dataformat/):
 * insert, update with `old` (only the changed columns), delete, bootstrap rows. Samples by hand.
 */
import { describe, expect, it } from "vitest";
import { parseKeyColumns } from "./cdc-keys";
import { mapMaxwellRow } from "./maxwell";

const row = { id: 1, daemon: "Stanislaw Lem", m: 5.444, comment: "I am here" };
const base = { database: "test", table: "maxwell", ts: 1772359200, xid: 940752, position: "binlog-000003:1234" };
const cfg = { key: ["id"] };
const at = "2026-03-01T10:00:00.000Z";

describe("row types", () => {
  it.each([
    { name: "insert → insert", input: { ...base, type: "insert", commit: true, data: row }, expected: { id: "maxwell:940752:binlog-000003:1234", recordType: "maxwell", recordId: "1", op: "insert", occurredAt: at, data: row, source: { kind: "log", txId: 940752, position: "binlog-000003:1234" } } },
    {
      name: "update → update; before = data overlaid with old",
      input: { ...base, type: "update", xoffset: 1, data: row, old: { m: 4.2341, comment: null } },
      expected: { id: "maxwell:940752:1", recordType: "maxwell", recordId: "1", op: "update", occurredAt: at, data: row, before: { id: 1, daemon: "Stanislaw Lem", m: 4.2341, comment: null }, source: { kind: "log", txId: 940752, position: "binlog-000003:1234" } },
    },
    { name: "delete → delete, data {} and before = the deleted row", input: { ...base, type: "delete", xoffset: 0, data: row }, expected: { id: "maxwell:940752:0", recordType: "maxwell", recordId: "1", op: "delete", occurredAt: at, data: {}, before: row, source: { kind: "log", txId: 940752, position: "binlog-000003:1234" } } },
    { name: "bootstrap-insert → snapshot (no xid: the bootstrap's time)", input: { database: "test", table: "maxwell", type: "bootstrap-insert", ts: 1772359200, data: row }, expected: { id: "maxwell:bootstrap:1772359200", recordType: "maxwell", recordId: "1", op: "snapshot", occurredAt: at, data: row, source: { kind: "log" } } },
  ])("$name", ({ input, expected }) => {
    expect(mapMaxwellRow(input, cfg)).toEqual({ ok: true, change: expected });
  });

  it.each(["bootstrap-start", "bootstrap-complete"])("%s is no change", (type) => {
    expect(mapMaxwellRow({ database: "test", table: "maxwell", type, ts: 1772359200, data: {} }, cfg)).toEqual({ ok: true, change: null });
  });

  it("an update without old has data as its before image", () => {
    expect(mapMaxwellRow({ ...base, type: "update", xoffset: 2, data: row }, cfg)).toMatchObject({ ok: true, change: { before: row } });
  });

  it.each([
    { name: "xoffset wins over position", input: { ...base, type: "insert", xoffset: 3, data: row }, id: "maxwell:940752:3" },
    { name: "position without xoffset", input: { ...base, type: "insert", data: row }, id: "maxwell:940752:binlog-000003:1234" },
  ])("dedupe id: $name", ({ input, id }) => {
    expect(mapMaxwellRow(input, cfg)).toMatchObject({ ok: true, change: { id } });
  });
});

describe("record configuration", () => {
  it.each([
    { name: "recordType override", config: { key: ["id"], recordType: "author" }, want: { recordType: "author", recordId: "1" } },
    { name: "composite key", config: { key: ["daemon", "id"] }, want: { recordId: "Stanislaw Lem:1" } },
  ])("$name", ({ config, want }) => {
    expect(mapMaxwellRow({ ...base, type: "insert", data: row }, config)).toMatchObject({ ok: true, change: want });
  });
});

describe("refusals", () => {
  it.each([
    { name: "missing key column", input: { ...base, type: "insert", data: { daemon: "x" } }, kind: "invalid", field: "data.id" },
    { name: "unknown type", input: { ...base, type: "table-create", data: row }, kind: "unsupported", field: "type" },
    { name: "no data", input: { ...base, type: "insert" }, kind: "invalid", field: "data" },
    { name: "old not an object", input: { ...base, type: "update", data: row, old: [1] }, kind: "invalid", field: "old" },
    { name: "no ts", input: { ...base, ts: undefined, type: "insert", data: row }, kind: "invalid", field: "ts" },
    { name: "no xid on a binlog row", input: { ...base, xid: undefined, type: "insert", data: row }, kind: "invalid", field: "xid" },
    { name: "no xoffset nor position", input: { ...base, position: undefined, type: "insert", data: row }, kind: "invalid", field: "xoffset" },
    { name: "no table", input: { ...base, table: undefined, type: "insert", data: row }, kind: "invalid", field: "table" },
    { name: "not an object", input: "insert", kind: "invalid", field: "" },
  ])("$name", ({ input, kind, field }) => {
    expect(mapMaxwellRow(input, cfg)).toMatchObject({ ok: false, kind, field });
  });
});

describe("?key= parsing (shared by both formats)", () => {
  it.each([
    { raw: undefined, want: { ok: true, key: ["id"] } },
    { raw: "id", want: { ok: true, key: ["id"] } },
    { raw: "tenant_id, id", want: { ok: true, key: ["tenant_id", "id"] } },
    { raw: "id,", want: { ok: false, kind: "invalid", field: "key" } },
    { raw: "", want: { ok: false, kind: "invalid", field: "key" } },
  ])("$raw", ({ raw, want }) => {
    expect(parseKeyColumns(raw)).toMatchObject(want);
  });
});
