/**
 * The cost model (shared/cost/model.ts): queue operations per message and per message fate,
 * dollars per item against hand-computed figures and against the worked examples on
 * Cloudflare's pricing pages (read 2026-11-28), and the per-million helpers.
 */
import { describe, expect, it } from "vitest";
import { costOf, doDurationGbS, monthlyBill, perMillion, queueMessageOps, queueOpsPerMessage, scaleUsage, unitCosts, type Usage } from "./model";
import { COST_ITEMS, LIST_PRICES } from "./prices";

describe("queueOpsPerMessage: one operation per started 64,000 bytes, 100 bytes of metadata included", () => {
  it.each([
    { bytes: 0, ops: 1 },
    { bytes: 1_000, ops: 1 },
    { bytes: 63_900, ops: 1 }, // 63,900 + 100 = exactly 64,000
    { bytes: 63_901, ops: 2 }, // one byte into the second chunk
    { bytes: 65_000, ops: 2 }, // the pricing page: "a 65 KB message … two operation charges"
    { bytes: 127_000, ops: 2 }, // "… and a 127 KB message would both incur two"
    { bytes: 127_900, ops: 2 },
    { bytes: 127_901, ops: 3 },
  ])("$bytes bytes → $ops", ({ bytes, ops }) => expect(queueOpsPerMessage(bytes)).toBe(ops));

  it.each([-1, 1.5, Number.NaN])("refuses %s as a size", (bytes) => expect(() => queueOpsPerMessage(bytes)).toThrow(RangeError));
});

describe("queueMessageOps: write + one read per delivery + delete (or dead-letter write)", () => {
  it.each([
    { name: "delivered once and acked", fate: { bodyBytes: 2_000, deliveries: 1, end: "acked" }, ops: 3 },
    { name: "two retries, then acked", fate: { bodyBytes: 2_000, deliveries: 3, end: "acked" }, ops: 5 },
    { name: "1 + 5 retries, then to the DLQ", fate: { bodyBytes: 2_000, deliveries: 6, end: "dead-lettered" }, ops: 8 },
    { name: "expired unread: write and delete", fate: { bodyBytes: 2_000, deliveries: 0, end: "expired" }, ops: 2 },
    { name: "a 100 KB message counts twice at each step", fate: { bodyBytes: 100_000, deliveries: 1, end: "acked" }, ops: 6 },
    { name: "a 100 KB message retried once", fate: { bodyBytes: 100_000, deliveries: 2, end: "acked" }, ops: 8 },
  ] as const)("$name → $ops", ({ fate, ops }) => expect(queueMessageOps(fate)).toBe(ops));

  it.each([
    { bodyBytes: 10, deliveries: 0, end: "acked" },
    { bodyBytes: 10, deliveries: 1, end: "expired" },
    { bodyBytes: 10, deliveries: -1, end: "acked" },
  ] as const)("refuses an impossible fate %o", (fate) => expect(() => queueMessageOps(fate)).toThrow(RangeError));
});

describe("costOf: marginal list prices, no allowances", () => {
  it.each<{ name: string; usage: Usage; total: number }>([
    { name: "nothing", usage: {}, total: 0 },
    { name: "1 M queue operations", usage: { queueOps: 1_000_000 }, total: 0.4 },
    { name: "2 M Durable Object requests", usage: { doRequests: 2_000_000 }, total: 0.3 },
    { name: "1 M SQLite rows written + 1 M read", usage: { doRowsWritten: 1_000_000, doRowsRead: 1_000_000 }, total: 1.001 },
    { name: "1 M R2 Class A + 1 M Class B", usage: { r2ClassA: 1_000_000, r2ClassB: 1_000_000 }, total: 4.86 },
    { name: "1 M D1 rows written", usage: { d1RowsWritten: 1_000_000 }, total: 1 },
    { name: "1 M Worker requests + 10 M CPU ms", usage: { workersRequests: 1_000_000, workersCpuMs: 10_000_000 }, total: 0.5 },
    { name: "1 M GB-s of Durable Object duration", usage: { doDurationGbS: 1_000_000 }, total: 12.5 },
    { name: "1 GB-month in each store", usage: { doStorageGbMonth: 1, r2StorageGbMonth: 1, d1StorageGbMonth: 1 }, total: 0.965 },
    // DESIGN.md's budget for a change: one object call, three SQLite rows, one 3-operation message.
    { name: "a million changes as designed", usage: { doRequests: 1e6, doRowsWritten: 3e6, queueOps: 3e6 }, total: 0.15 + 3 + 1.2 },
  ])("$name → $$total", ({ usage, total }) => expect(costOf(usage).total).toBeCloseTo(total, 9));

  it("prices each item by itself and sums them", () => {
    const cost = costOf({ queueOps: 3e6, r2ClassA: 2e6 });
    expect(cost.byItem.queueOps).toBeCloseTo(1.2, 9);
    expect(cost.byItem.r2ClassA).toBeCloseTo(9, 9);
    expect(cost.byItem.doRequests).toBe(0);
    expect(Object.keys(cost.byItem).sort()).toEqual([...COST_ITEMS].sort());
    expect(cost.total).toBeCloseTo(10.2, 9);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses %s as a count", (n) => expect(() => costOf({ queueOps: n })).toThrow(RangeError));

  it("takes other prices", () => {
    const prices = { ...LIST_PRICES, queueOps: { ...LIST_PRICES.queueOps, usd: 1 } };
    expect(costOf({ queueOps: 2e6 }, { prices }).total).toBeCloseTo(2, 9);
  });
});

describe("costOf with allowances: the worked examples of Cloudflare's pricing pages", () => {
  it.each<{ name: string; usage: Usage; total: number }>([
    // Queues: 1 M messages a day for 30 days, 3 operations each, 1 M included → $35.60.
    { name: "Queues example 1", usage: { queueOps: 3 * 30 * 1e6 }, total: 35.6 },
    // Queues: 100 M messages of ~127 KB (two chunks each) → 599 M billed operations → $239.60.
    { name: "Queues example 2", usage: { queueOps: 2 * 3 * 100e6 }, total: 239.6 },
    // Workers example 4: 100 M requests at 7 ms CPU → $27.00 + $13.40.
    { name: "Workers example 4", usage: { workersRequests: 100e6, workersCpuMs: 7 * 100e6 }, total: 40.4 },
    // R2 asset hosting: 10 M reads a day for 30 days, 10 M included → $104.40.
    { name: "R2 asset hosting", usage: { r2ClassB: 300e6 }, total: 104.4 },
    // Durable Objects example 1: 1.5 M requests, 128,000 GB-s (inside the 400,000 included).
    // The page rounds the 500,000 billable requests up to 1 M ($0.15); unrounded it is $0.075.
    { name: "Durable Objects example 1", usage: { doRequests: 1.5e6, doDurationGbS: doDurationGbS(1_000_000 * 1000) }, total: 0.075 },
    { name: "usage inside every allowance", usage: { doRowsWritten: 50e6, d1RowsRead: 25e9, r2ClassA: 1e6 }, total: 0 },
  ])("$name → $$total", ({ usage, total }) => expect(costOf(usage, { allowances: true }).total).toBeCloseTo(total, 6));

  it("a month's bill adds the $5 Workers Paid minimum", () => {
    expect(monthlyBill({ queueOps: 3 * 30 * 1e6 }).total).toBeCloseTo(40.6, 6);
    expect(monthlyBill({}).total).toBe(5);
  });
});

describe("per-million helpers", () => {
  it.each([
    { dollars: 4.35, units: 1e6, per: 4.35 },
    { dollars: 0.0087, units: 2_000, per: 4.35 },
    { dollars: 1, units: 0, per: null },
  ])("$dollars over $units → $per per million", ({ dollars, units, per }) => {
    const got = perMillion(dollars, units);
    if (per === null) expect(got).toBeNull();
    else expect(got).toBeCloseTo(per, 9);
  });

  it("spreads a run's cost over its changes and over its deliveries", () => {
    const cost = costOf({ doRequests: 1_000, doRowsWritten: 3_000, queueOps: 3_000 }); // $0.00435
    const unit = unitCosts(cost, { changes: 1_000, deliveries: 10_000 });
    expect(unit.perMillionChanges).toBeCloseTo(4.35, 9);
    expect(unit.perMillionDeliveries).toBeCloseTo(0.435, 9);
  });

  it("scales usage linearly and keeps absent items absent", () => {
    expect(scaleUsage({ queueOps: 3_000, doRequests: 10 }, 1_000, 1e9)).toEqual({ queueOps: 3e9, doRequests: 1e7 });
    expect(() => scaleUsage({}, 0, 1)).toThrow(RangeError);
  });

  it("duration: 1 s of one object is 0.128 GB-s", () => expect(doDurationGbS(1000)).toBeCloseTo(0.128, 12));
});
