/**
 * parseChangeItem against DESIGN.md "Ingestion API": a valid Change per op, and for each kind
 * of bad item the per-item error naming the field as `changes[i].path`.
 */
import { describe, expect, it } from "vitest";
import { OPS } from "./ops";
import { fieldPath, ingestBodySchema, MAX_CHANGES_PER_REQUEST, parseChangeItem } from "./schema";

const base = { id: "evt-1", recordType: "customer", recordId: "c-42", occurredAt: "2026-03-01T10:00:00+02:00" };

const validByOp: Record<(typeof OPS)[number], Record<string, unknown>> = {
  insert: { ...base, op: "insert", data: { name: "Ada" } },
  update: { ...base, op: "update", data: { tier: "gold" }, before: { tier: "silver" } },
  delete: { ...base, op: "delete" },
  soft_delete: { ...base, op: "soft_delete", data: { deletedBy: "ops" } },
  restore: { ...base, op: "restore" },
  reparent: { ...base, op: "reparent", parent: { type: "location", id: "store-2" } },
  rekey: { ...base, op: "rekey", newRecordId: "c-43" },
  snapshot: { ...base, op: "snapshot", data: { name: "Ada", tier: "gold" } },
};

describe("valid changes", () => {
  it.each(OPS.map((op) => ({ op, item: validByOp[op] })))("op $op", ({ item }) => {
    expect(parseChangeItem(item, 0)).toEqual({ ok: true, change: item });
  });

  it.each([
    { name: "every optional field", extra: { before: null, schemaVersion: 3, source: { kind: "outbox", txId: 991, position: "0/16B3748" }, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", basedOn: { "store-1": 4, hq: 0 }, hlc: "001772352000000-000003" } },
    { name: "occurredAt in UTC with fractional seconds", extra: { occurredAt: "2026-03-01T08:00:00.123456Z" } },
    { name: "an empty data object", extra: { data: {} } },
    { name: "each source kind", extra: { source: { kind: "log" } } },
    { name: "a recordId with punctuation", extra: { recordId: "SKU:0042#a.b" } },
  ])("update with $name", ({ extra }) => {
    const item = { ...validByOp.update, ...extra };
    expect(parseChangeItem(item, 0)).toEqual({ ok: true, change: item });
  });
});

type Bad = { name: string; item: unknown; field: string; reason?: RegExp };

const bad: Bad[] = [
  { name: "missing id", item: { ...validByOp.update, id: undefined }, field: "changes[3].id" },
  { name: "id of the wrong type", item: { ...validByOp.update, id: 42 }, field: "changes[3].id" },
  { name: "empty id", item: { ...validByOp.update, id: "" }, field: "changes[3].id" },
  { name: "missing recordType", item: { ...validByOp.update, recordType: undefined }, field: "changes[3].recordType" },
  { name: "recordType starting with a digit", item: { ...validByOp.update, recordType: "1customer" }, field: "changes[3].recordType", reason: /starts with a letter/ },
  { name: "recordType too long", item: { ...validByOp.update, recordType: "a".repeat(65) }, field: "changes[3].recordType" },
  { name: "missing recordId", item: { ...validByOp.update, recordId: undefined }, field: "changes[3].recordId" },
  { name: "recordId with '/'", item: { ...validByOp.update, recordId: "a/b" }, field: "changes[3].recordId", reason: /'\/'/ },
  { name: "recordId with a space", item: { ...validByOp.update, recordId: "a b" }, field: "changes[3].recordId" },
  { name: "recordId of the wrong type", item: { ...validByOp.update, recordId: 42 }, field: "changes[3].recordId" },
  { name: "missing op", item: { ...validByOp.update, op: undefined }, field: "changes[3].op" },
  { name: "unknown op", item: { ...validByOp.update, op: "upsert" }, field: "changes[3].op" },
  { name: "op in the wrong case", item: { ...validByOp.update, op: "UPDATE" }, field: "changes[3].op" },
  { name: "missing occurredAt", item: { ...validByOp.update, occurredAt: undefined }, field: "changes[3].occurredAt" },
  { name: "occurredAt not RFC 3339", item: { ...validByOp.update, occurredAt: "yesterday" }, field: "changes[3].occurredAt" },
  { name: "occurredAt without an offset", item: { ...validByOp.update, occurredAt: "2026-03-01T10:00:00" }, field: "changes[3].occurredAt" },
  { name: "occurredAt as epoch millis", item: { ...validByOp.update, occurredAt: 1_772_352_000_000 }, field: "changes[3].occurredAt" },
  { name: "data as an array", item: { ...validByOp.update, data: [1, 2] }, field: "changes[3].data" },
  { name: "data as a string", item: { ...validByOp.update, data: "{}" }, field: "changes[3].data" },
  { name: "insert without data", item: { ...validByOp.insert, data: undefined }, field: "changes[3].data", reason: /"insert"/ },
  { name: "update without data", item: { ...validByOp.update, data: undefined }, field: "changes[3].data", reason: /"update"/ },
  { name: "snapshot without data", item: { ...validByOp.snapshot, data: undefined }, field: "changes[3].data", reason: /"snapshot"/ },
  { name: "before as a string", item: { ...validByOp.update, before: "x" }, field: "changes[3].before" },
  { name: "an unknown extra key", item: { ...validByOp.update, colour: "red" }, field: "changes[3].colour" },
  { name: "a misspelt key", item: { ...validByOp.update, recordID: "c-42" }, field: "changes[3].recordID" },
  { name: "reparent without parent", item: { ...validByOp.reparent, parent: undefined }, field: "changes[3].parent", reason: /"reparent"/ },
  { name: "parent without id", item: { ...validByOp.reparent, parent: { type: "location" } }, field: "changes[3].parent.id" },
  { name: "parent with an unknown key", item: { ...validByOp.reparent, parent: { type: "location", id: "s", name: "x" } }, field: "changes[3].parent.name" },
  { name: "rekey without newRecordId", item: { ...validByOp.rekey, newRecordId: undefined }, field: "changes[3].newRecordId", reason: /"rekey"/ },
  { name: "rekey to the same recordId", item: { ...validByOp.rekey, newRecordId: base.recordId }, field: "changes[3].newRecordId", reason: /differ/ },
  { name: "rekey to an id with '/'", item: { ...validByOp.rekey, newRecordId: "c/43" }, field: "changes[3].newRecordId" },
  { name: "schemaVersion 0", item: { ...validByOp.update, schemaVersion: 0 }, field: "changes[3].schemaVersion" },
  { name: "schemaVersion fractional", item: { ...validByOp.update, schemaVersion: 1.5 }, field: "changes[3].schemaVersion" },
  { name: "unknown source kind", item: { ...validByOp.update, source: { kind: "cdc" } }, field: "changes[3].source.kind" },
  { name: "source with an unknown key", item: { ...validByOp.update, source: { kind: "outbox", lsn: 5 } }, field: "changes[3].source.lsn" },
  { name: "source txId as an object", item: { ...validByOp.update, source: { kind: "outbox", txId: {} } }, field: "changes[3].source.txId" },
  { name: "traceparent malformed", item: { ...validByOp.update, traceparent: "00-abc-01" }, field: "changes[3].traceparent", reason: /traceparent/ },
  { name: "traceparent upper-case hex", item: { ...validByOp.update, traceparent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01" }, field: "changes[3].traceparent" },
  { name: "basedOn with a negative count", item: { ...validByOp.update, basedOn: { "store-1": -1 } }, field: "changes[3].basedOn.store-1" },
  { name: "basedOn with a fractional count", item: { ...validByOp.update, basedOn: { "store-1": 1.5 } }, field: "changes[3].basedOn.store-1" },
  { name: "hlc in the wrong form", item: { ...validByOp.update, hlc: "1772352000000-3" }, field: "changes[3].hlc", reason: /15-digit/ },
  { name: "hlc as a number", item: { ...validByOp.update, hlc: 1_772_352_000_000 }, field: "changes[3].hlc" },
];

describe("invalid changes name the field (`changes[i].path`)", () => {
  it.each(bad)("$name → $field", ({ item, field, reason }) => {
    const result = parseChangeItem(JSON.parse(JSON.stringify(item)), 3);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.field).toBe(field);
    expect(result.error.reason.length).toBeGreaterThan(0);
    if (reason) expect(result.error.reason).toMatch(reason);
  });

  it.each([
    { name: "a string id", item: { ...validByOp.update, op: "upsert" }, id: "evt-1" },
    { name: "a numeric id", item: { ...validByOp.update, id: 7 }, id: null },
    { name: "no id", item: { ...validByOp.update, id: undefined }, id: null },
  ])("echoes the item id when it has $name", ({ item, id }) => {
    expect(parseChangeItem(JSON.parse(JSON.stringify(item)), 0)).toMatchObject({ ok: false, id });
  });

  it.each([
    { name: "null", item: null },
    { name: "a string", item: "change" },
    { name: "an array", item: [validByOp.update] },
    { name: "a number", item: 5 },
  ])("an item that is $name is refused as a whole: field `changes[9]`", ({ item }) => {
    expect(parseChangeItem(item, 9)).toMatchObject({ ok: false, id: null, error: { field: "changes[9]" } });
  });

  it("the index is the item's own position", () => {
    expect(parseChangeItem({ ...validByOp.update, op: "x" }, 0)).toMatchObject({ error: { field: "changes[0].op" } });
    expect(parseChangeItem({ ...validByOp.update, op: "x" }, 499)).toMatchObject({ error: { field: "changes[499].op" } });
  });
});

describe("fieldPath and the request envelope", () => {
  it.each([
    { path: [], expected: "changes[0]" },
    { path: ["op"], expected: "changes[0].op" },
    { path: ["source", "kind"], expected: "changes[0].source.kind" },
    { path: ["data", "items", 2, "sku"], expected: "changes[0].data.items[2].sku" },
  ])("fieldPath($path) is $expected", ({ path, expected }) => {
    expect(fieldPath("changes[0]", path)).toBe(expected);
  });

  it.each([
    { name: "one change", body: { changes: [{}] }, ok: true },
    { name: `${MAX_CHANGES_PER_REQUEST} changes`, body: { changes: Array(MAX_CHANGES_PER_REQUEST).fill({}) }, ok: true },
    { name: `${MAX_CHANGES_PER_REQUEST + 1} changes`, body: { changes: Array(MAX_CHANGES_PER_REQUEST + 1).fill({}) }, ok: false },
    { name: "no changes", body: { changes: [] }, ok: false },
    { name: "changes not an array", body: { changes: {} }, ok: false },
    { name: "an extra top-level key", body: { changes: [{}], tenant: "other" }, ok: false },
  ])("the body with $name is accepted: $ok (items are checked one by one later)", ({ body, ok }) => {
    expect(ingestBodySchema.safeParse(body).success).toBe(ok);
  });
});
