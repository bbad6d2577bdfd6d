import { describe, expect, it } from "vitest";
import { boundedId, MAX_CHANGE_ID, outboxRowToChange, snapshotRowToChange, timestampRowToChange, type OutboxRow } from "./mapping.ts";

const base: OutboxRow = { id: "42", aggregatetype: "customer", aggregateid: "c-1", type: "insert", payload: { data: { name: "Ada" } }, occurred_at: new Date("2026-11-28T05:00:00.123Z"), txid: "9001" };

describe("outbox row → change", () => {
  it.each([
    { name: "insert", row: base, expected: { op: "insert", data: { name: "Ada" } } },
    { name: "update with before", row: { ...base, type: "update", payload: { data: { name: "Ada L" }, before: { name: "Ada" } } }, expected: { op: "update", before: { name: "Ada" } } },
    { name: "delete", row: { ...base, type: "delete", payload: { data: {}, before: { name: "Ada" } } }, expected: { op: "delete", data: {} } },
    { name: "soft_delete", row: { ...base, type: "soft_delete" }, expected: { op: "soft_delete" } },
    { name: "restore", row: { ...base, type: "restore" }, expected: { op: "restore" } },
    { name: "reparent", row: { ...base, type: "reparent", payload: { data: {}, parent: { type: "store", id: "s-2" } } }, expected: { op: "reparent", parent: { type: "store", id: "s-2" } } },
    { name: "rekey", row: { ...base, type: "rekey", payload: { newRecordId: "c-2" } }, expected: { op: "rekey", newRecordId: "c-2" } },
    {
      name: "optional fields",
      row: { ...base, payload: { data: {}, schemaVersion: 3, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", basedOn: { "store-1": 4 }, hlc: "001764306000123-000001", ignored: true } },
      expected: { schemaVersion: 3, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", basedOn: { "store-1": 4 }, hlc: "001764306000123-000001" },
    },
    { name: "occurred_at as text (any offset)", row: { ...base, occurred_at: "2026-11-28 06:00:00.5+01" }, expected: { occurredAt: "2026-11-28T05:00:00.500Z" } },
  ])("$name", ({ row, expected }) => {
    const change = outboxRowToChange(row, "42");
    expect(change).toMatchObject({ id: "outbox:42", recordType: "customer", recordId: "c-1", occurredAt: "2026-11-28T05:00:00.123Z", source: { kind: "outbox", txId: "9001", position: "42" }, ...expected });
    expect(change).not.toHaveProperty("ignored");
  });

  it("a trigger row says source.kind trigger and its marker is not sent", () => {
    const change = outboxRowToChange({ ...base, payload: { data: { name: "Ada" }, _capture: "trigger" } }, "0/16B3748");
    expect(change.source).toEqual({ kind: "trigger", txId: "9001", position: "0/16B3748" });
    expect(change.data).toEqual({ name: "Ada" });
    expect(JSON.stringify(change)).not.toContain("_capture");
  });

  it("null optional fields are left out", () => {
    expect(outboxRowToChange({ ...base, payload: { data: {}, before: null, parent: null } }, "1")).not.toHaveProperty("before");
  });

  it("the id is the same whichever mode read the row", () => {
    expect(outboxRowToChange(base, "42").id).toBe(outboxRowToChange({ ...base, id: 42, txid: 9001 }, "0/1").id);
  });
});

describe("timestamp and snapshot ids", () => {
  const row = { name: "x" };
  it.each([
    { softDeleted: false, op: "update" },
    { softDeleted: true, op: "soft_delete" },
  ])("timestamp row (soft deleted: $softDeleted) → $op", ({ softDeleted, op }) => {
    expect(timestampRowToChange({ table: "app.items", recordType: "item", keyValues: ["eu", "7"], updatedAtMicros: "1764306000123456", updatedAt: new Date(1764306000123), row, softDeleted })).toEqual({
      id: "ts:app.items:eu:7:1764306000123456",
      recordType: "item",
      recordId: "eu:7",
      op,
      occurredAt: "2025-11-28T05:00:00.123Z",
      data: row,
      source: { kind: "timestamp", position: "1764306000123456" },
    });
  });

  it("snapshot row", () => {
    expect(snapshotRowToChange({ runId: "mih3k2a1b2c3d4", table: "stores", recordType: "store", keyValues: ["s-1"], row, takenAt: new Date("2026-11-28T05:00:00Z") })).toEqual({
      id: "snapshot:mih3k2a1b2c3d4:stores:s-1",
      recordType: "store",
      recordId: "s-1",
      op: "snapshot",
      occurredAt: "2026-11-28T05:00:00.000Z",
      data: row,
      source: { kind: "snapshot", position: "s-1" },
    });
  });

  it.each([
    ["short", 20],
    ["exactly the limit", MAX_CHANGE_ID],
    ["over the limit", MAX_CHANGE_ID + 1],
    ["far over", 1000],
  ])("%s ids stay within %i characters and distinct", (_name, length) => {
    const id = "x".repeat(length);
    const bounded = boundedId(id);
    expect(bounded.length).toBeLessThanOrEqual(MAX_CHANGE_ID);
    if (length <= MAX_CHANGE_ID) expect(bounded).toBe(id);
    else expect(boundedId(`${id}y`)).not.toBe(bounded);
  });
});

describe("the edge accepts what the mapping makes (shared/change/schema.ts)", async () => {
  const { changeSchema } = await import("../../shared/change/schema.ts");
  it.each([
    ["outbox insert", outboxRowToChange(base, "42")],
    ["trigger delete", outboxRowToChange({ ...base, type: "delete", payload: { data: {}, before: { name: "Ada" }, _capture: "trigger" } }, "0/16B3748")],
    ["trigger rekey", outboxRowToChange({ ...base, type: "rekey", payload: { data: { id: 2 }, before: { id: 1 }, newRecordId: "c-2", _capture: "trigger" } }, "7")],
    ["timestamp", timestampRowToChange({ table: "app.items", recordType: "item", keyValues: ["eu", "7"], updatedAtMicros: "1764306000123456", updatedAt: new Date(1764306000123), row: { a: 1 }, softDeleted: true })],
    ["snapshot", snapshotRowToChange({ runId: "r1", table: "stores", recordType: "store", keyValues: ["s-1"], row: { a: 1 }, takenAt: new Date("2026-11-28T05:00:00Z") })],
    ["long snapshot id", snapshotRowToChange({ runId: "r1", table: "stores", recordType: "store", keyValues: ["s".repeat(250)], row: {}, takenAt: new Date("2026-11-28T05:00:00Z") })],
  ])("%s", (_name, change) => {
    const parsed = changeSchema.safeParse(change);
    expect(parsed.success ? "valid" : parsed.error.issues).toBe("valid");
  });
});
