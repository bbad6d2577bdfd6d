/**
 * shared/routing/plan.ts deliverMessages: one message per (region, shard) that has routes, each
 * route on its own shard, FIFO routes held back by `include`; never one message per route.
 */
import { describe, expect, it } from "vitest";
import type { ChangeEvent } from "../envelope/cloudevent";
import { deliverMessages, type PlannedDestination } from "./plan";
import { recordShard, routeShard, type ShardCounts } from "./shard";

const record = { tenant: "t", recordRegion: "us" as const, recordType: "customer", recordId: "c-1" };
const event = { id: "01a2202b-0000-7000-8000-000000000000", subject: "customer/c-1", sequence: "00000000000000000001" } as unknown as ChangeEvent;
const one: ShardCounts = { us: 1, eu: 1, ap: 1 };
const twoUs: ShardCounts = { us: 2, eu: 1, ap: 1 };
// ("t", a) and ("t", c) are on us shard 0 of 2, ("t", b) and ("t", d) on shard 1 (shard.test.ts).
const us = (route: string, fifo = false): PlannedDestination => (fifo ? { route, region: "us", fifo: true } : { route, region: "us" });
const eu = (route: string): PlannedDestination => ({ route, region: "eu" });

/** Each message as "region/shard: route route …". */
const shape = (destinations: PlannedDestination[], shards: ShardCounts, include?: (d: PlannedDestination) => boolean) =>
  deliverMessages(record, { event, destinations, routingVersion: 3 }, shards, include).map((m) => `${m.region}/${m.shard}: ${m.message.routes.map((r) => r.id).join(" ")}`);

describe("deliverMessages", () => {
  it("the hand-picked routes sit where the table below says", () => {
    expect(["a", "b", "c", "d"].map((r) => routeShard("t", r, 2))).toEqual([0, 1, 0, 1]);
  });

  it.each([
    { why: "one shard per region: one message per region", destinations: [us("a"), us("b"), eu("x")], shards: one, expected: ["us/0: a b", "eu/0: x"] },
    { why: "two us shards: one message per shard with routes", destinations: [us("a"), us("b"), us("c"), us("d"), eu("x")], shards: twoUs, expected: ["us/0: a c", "us/1: b d", "eu/0: x"] },
    { why: "two us shards, routes on one of them only: no empty message", destinations: [us("b"), us("d")], shards: twoUs, expected: ["us/1: b d"] },
    { why: "no destinations: no message", destinations: [], shards: twoUs, expected: [] },
  ])("$why", ({ destinations, shards, expected }) => {
    expect(shape(destinations, shards)).toEqual(expected);
  });

  it("leaves out what `include` holds back (a FIFO route whose predecessor is in flight)", () => {
    expect(shape([us("a", true), us("b"), us("c")], twoUs, (d) => !d.fifo)).toEqual(["us/1: b", "us/0: c"]);
  });

  it("each message is a v1 deliver message for the record, every route at attempt 1", () => {
    const [m] = deliverMessages(record, { event, destinations: [us("b")], routingVersion: 3 }, twoUs);
    expect(m).toEqual({
      region: "us",
      shard: 1,
      message: { v: 1, kind: "deliver", ...record, routingVersion: 3, event, routes: [{ id: "b", attempt: 1, generation: 0, history: [] }] },
    });
  });
});

describe("deliverMessages with the record shard key", () => {
  const byRecord = (destinations: PlannedDestination[], shards: ShardCounts) =>
    deliverMessages(record, { event, destinations, routingVersion: 3 }, shards, undefined, "record").map((m) => `${m.region}/${m.shard}: ${m.message.routes.map((r) => r.id).join(" ")}`);

  it("keeps one message per region however the routes would hash: the record picks the shard", () => {
    const shard = recordShard("t", "customer", "c-1", 2);
    expect(byRecord([us("a"), us("b"), us("c"), us("d"), eu("x")], twoUs)).toEqual([`us/${shard}: a b c d`, "eu/0: x"]);
  });

  it("sends every record of a spread to its own shard, all routes together", () => {
    const shards = new Set<number>();
    for (let i = 0; i < 64; i++) {
      const r = { ...record, recordId: `c-${i}` };
      const messages = deliverMessages(r, { event, destinations: [us("a"), us("b")], routingVersion: 1 }, twoUs, undefined, "record");
      expect(messages).toHaveLength(1);
      expect(messages[0]!.shard).toBe(recordShard("t", "customer", `c-${i}`, 2));
      shards.add(messages[0]!.shard);
    }
    expect([...shards].sort()).toEqual([0, 1]);
  });
});
