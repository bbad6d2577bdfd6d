/** Capacity arithmetic (shared/cost/scale.ts) against hand-computed figures. */
import { describe, expect, it } from "vitest";
import { expectedDistinct, perSecond, planRegions, queueShards, SECONDS_PER_MONTH } from "./scale";

describe("rates", () => {
  it("a 30-day month is 2,592,000 s", () => expect(SECONDS_PER_MONTH).toBe(2_592_000));
  it.each([
    { perMonth: 2_592_000, rate: 1 },
    { perMonth: 10e9, rate: 3858.0247 }, // 10 B changes a month
    { perMonth: 0, rate: 0 },
  ])("$perMonth a month → $rate/s", ({ perMonth, rate }) => expect(perSecond(perMonth)).toBeCloseTo(rate, 3));
});

describe("queueShards: peak under 80 % of 5,000 msg/s per queue by default", () => {
  it.each([
    { peak: 0, shards: 1 },
    { peak: 4_000, shards: 1 }, // exactly 80 %
    { peak: 4_001, shards: 2 },
    { peak: 11_574, shards: 3 },
    { peak: 12_153, shards: 4 },
    { peak: 12_153, utilization: 1, shards: 3 },
    { peak: 15_000, utilization: 1, shards: 3 },
    { peak: 15_001, utilization: 1, shards: 4 },
  ])("$peak msg/s (utilization $utilization) → $shards", ({ peak, utilization, shards }) =>
    expect(queueShards(peak, utilization === undefined ? {} : { utilization })).toBe(shards));

  it.each([0, -0.1, 1.5])("refuses utilization %s", (utilization) => expect(() => queueShards(1, { utilization })).toThrow(RangeError));
});

describe("planRegions", () => {
  it("routes in every region: one message per change per region, peak × 3, retries 5 %", () => {
    const plans = planRegions({
      changesPerMonth: 10e9, peakFactor: 3, retryShare: 0.05,
      regions: [{ region: "us", messageShare: 1, routesPerMessage: 5 }, { region: "ap", messageShare: 1, routesPerMessage: 2 }],
    });
    // 3,858.02/s × 1.05 = 4,050.93/s; × 3 = 12,152.8/s → ⌈12,152.8 / 4,000⌉ = 4 shards.
    expect(plans[0]!.messagesPerSecond.average).toBeCloseTo(4050.926, 2);
    expect(plans[0]!.messagesPerSecond.peak).toBeCloseTo(12152.778, 2);
    expect(plans[0]!.shards).toBe(4);
    expect(plans[0]!.deliveriesPerSecond.average).toBeCloseTo(19290.123, 2); // 5 routes per message
    expect(plans[1]!.deliveriesPerSecond.peak).toBeCloseTo(23148.148, 2); // 2 routes × 3,858.02 × 3
  });

  it("regional tenants: a region carries only its tenants' share", () => {
    const [eu] = planRegions({ changesPerMonth: 10e9, peakFactor: 3, retryShare: 0, regions: [{ region: "eu", messageShare: 0.3, routesPerMessage: 10 }] });
    expect(eu!.messagesPerSecond.peak).toBeCloseTo(3472.222, 2); // 3,858.02 × 0.3 × 3
    expect(eu!.shards).toBe(1);
  });
});

describe("expectedDistinct: distinct routes in a batch", () => {
  it.each([
    { routes: 1, draws: 1000, distinct: 1 },
    { routes: 10, draws: 1000, distinct: 10 }, // one tenant, ten routes: every batch has all ten
    { routes: 2, draws: 1, distinct: 1 },
    { routes: 2, draws: 2, distinct: 1.5 }, // 2 × (1 − ¼)
    { routes: 500, draws: 1000, distinct: 432.47 }, // 500 × (1 − 0.998^1000)
    { routes: 100, draws: 0, distinct: 0 },
  ])("$routes routes, $draws deliveries → $distinct", ({ routes, draws, distinct }) => expect(expectedDistinct(routes, draws)).toBeCloseTo(distinct, 2));

  it("refuses no routes", () => expect(() => expectedDistinct(0, 5)).toThrow(RangeError));
});
