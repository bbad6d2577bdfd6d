/**
 * shared/routing/shard.ts: FNV-1a test vectors (draft-eastlake-fnv), a route's shard (stable,
 * spread, pinned by hand-computed values), binding and queue names, shard counts from bindings.
 */
import { describe, expect, it } from "vitest";
import { deliveryShard, fnv1a32, MAX_SHARDS_PER_REGION, parseShardKey, recordShard, routeShard, shardBinding, shardCountOf, shardQueueName } from "./shard";

describe("fnv1a32", () => {
  it.each([
    { text: "", hash: 0x811c9dc5 },
    { text: "a", hash: 0xe40c292c },
    { text: "foobar", hash: 0xbf9cf968 },
    { text: "é", hash: 0x1e9de8c1 }, // the UTF-8 bytes c3 a9, not the UTF-16 unit
  ])("$text → $hash", ({ text, hash }) => {
    expect(fnv1a32(text)).toBe(hash);
  });
});

describe("routeShard", () => {
  // Values computed apart from this code (FNV-1a over the UTF-8 of the JSON pair).
  it.each([
    { tenant: "acme", route: "rt_1", count: 2, shard: 1 },
    { tenant: "acme", route: "rt_2", count: 2, shard: 0 },
    { tenant: "acme", route: "rt_1", count: 3, shard: 2 },
    { tenant: "t", route: "a", count: 2, shard: 0 },
    { tenant: "t", route: "b", count: 2, shard: 1 },
    { tenant: "t", route: "b", count: 3, shard: 0 },
    { tenant: "t", route: "c", count: 3, shard: 2 },
    { tenant: "anything", route: "rt_x", count: 1, shard: 0 },
  ])("($tenant, $route) of $count → $shard", ({ tenant, route, count, shard }) => {
    expect(routeShard(tenant, route, count)).toBe(shard);
  });

  it("names the pair unambiguously: (a-b, c) and (a, b-c) may differ, the same pair never does", () => {
    expect(fnv1a32(JSON.stringify(["a-b", "c"]))).not.toBe(fnv1a32(JSON.stringify(["a", "b-c"])));
    expect(routeShard("acme", "rt_42", 7)).toBe(routeShard("acme", "rt_42", 7));
  });

  it("spreads 4,000 routes over 4 shards within 10 % of even", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[routeShard(`tenant-${i % 37}`, `rt_${i.toString(16).padStart(20, "0")}`, 4)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(100);
  });

  it.each([0, -1, 1.5, MAX_SHARDS_PER_REGION + 1, Number.NaN])("refuses a shard count of %s", (count) => {
    expect(() => routeShard("t", "r", count)).toThrow(RangeError);
  });
});

describe("names", () => {
  it.each([
    { region: "us", shard: 0, binding: "DELIVERIES_US", queue: "deliveries-us" },
    { region: "us", shard: 1, binding: "DELIVERIES_US_1", queue: "deliveries-us-1" },
    { region: "eu", shard: 12, binding: "DELIVERIES_EU_12", queue: "deliveries-eu-12" },
  ] as const)("$region shard $shard: $binding, $queue", ({ region, shard, binding, queue }) => {
    expect(shardBinding(region, shard)).toBe(binding);
    expect(shardQueueName(region, shard)).toBe(queue);
  });
});

describe("shardCountOf", () => {
  it.each([
    { why: "shard 0 only", names: ["DB", "DELIVERIES_US", "DELIVERIES_EU"], region: "us", result: { ok: true, count: 1 } },
    { why: "two shards", names: ["DELIVERIES_US_1", "DELIVERIES_US", "DELIVERIES_EU"], region: "us", result: { ok: true, count: 2 } },
    { why: "other regions' shards do not count", names: ["DELIVERIES_US", "DELIVERIES_US_1", "DELIVERIES_EU"], region: "eu", result: { ok: true, count: 1 } },
    { why: "names that only look alike do not count", names: ["DELIVERIES_US", "DELIVERIES_US_01", "DELIVERIES_US_X", "DELIVERIES_USA_1", "DELIVERIES_US_1_DLQ"], region: "us", result: { ok: true, count: 1 } },
    { why: "a gap", names: ["DELIVERIES_US", "DELIVERIES_US_2"], region: "us", result: { ok: false, reason: expect.stringContaining("DELIVERIES_US_1 is missing") } },
    { why: "no shard 0", names: ["DELIVERIES_US_1"], region: "us", result: { ok: false, reason: expect.stringContaining("no DELIVERIES_US binding") } },
  ] as const)("$why", ({ names, region, result }) => {
    expect(shardCountOf(region, names)).toEqual(result);
  });

  it("refuses more than the maximum", () => {
    const names = ["DELIVERIES_AP", ...Array.from({ length: MAX_SHARDS_PER_REGION }, (_, i) => `DELIVERIES_AP_${i + 1}`)];
    expect(shardCountOf("ap", names)).toMatchObject({ ok: false });
    expect(shardCountOf("ap", names.slice(0, -1))).toEqual({ ok: true, count: MAX_SHARDS_PER_REGION });
  });
});

describe("shard keys", () => {
  it.each([
    { raw: undefined, expected: { ok: true, key: "record" } },
    { raw: "", expected: { ok: true, key: "record" } },
    { raw: "route", expected: { ok: true, key: "route" } },
    { raw: "record", expected: { ok: true, key: "record" } },
    { raw: "Record", expected: { ok: false, reason: 'DELIVERY_SHARD_KEY must be one of route, record, not "Record"' } },
  ])("parseShardKey($raw)", ({ raw, expected }) => {
    expect(parseShardKey(raw)).toEqual(expected);
  });

  it("deliveryShard follows the key: the route's hash, or the record's for every route", () => {
    const address = { tenant: "t", routeId: "b", recordType: "customer", recordId: "c-9" };
    expect(deliveryShard("route", address, 4)).toBe(routeShard("t", "b", 4));
    expect(deliveryShard("record", address, 4)).toBe(recordShard("t", "customer", "c-9", 4));
    expect(deliveryShard("record", { ...address, routeId: "z" }, 4)).toBe(deliveryShard("record", address, 4));
  });

  it("names the record triple unambiguously and checks the count", () => {
    expect(recordShard("t", "a", "b:c", 1)).toBe(0);
    expect(() => recordShard("t", "a", "b", 0)).toThrow(RangeError);
  });
});
