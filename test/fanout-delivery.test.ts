import { HTTP } from "cloudevents";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliveryShards } from "../durable-objects/outbox";
import { routeShard } from "../shared/routing/shard";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, receiverUrl, script, waitFor } from "./fanout-helpers";

function verifyBoth(secret: string, r: { body: string; headers: Record<string, string> }) {
  const headers = { "webhook-id": r.headers["webhook-id"]!, "webhook-timestamp": r.headers["webhook-timestamp"]!, "webhook-signature": r.headers["webhook-signature"]! };
  expect(() => new StandardWebhook(secret).verify(r.body, headers)).not.toThrow();
  expect(() => new SvixWebhook(secret).verify(r.body, headers)).not.toThrow();
}

describe("fan-out to routes", () => {
  it("delivers to the two matching routes, not to the one whose filter excludes the event, signed and parseable in both modes", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const [a, b, c] = [freshPath("a"), freshPath("b"), freshPath("c")];
    const structured = await newRoute(tenant, sub, a, { filter: [{ prefix: { type: "io.changecast.customer." } }] });
    const binary = await newRoute(tenant, sub, b, { contentMode: "binary" });
    await newRoute(tenant, sub, c, { filter: [{ exact: { type: "io.changecast.supplier.created" } }] });

    const { results } = await push(keys["store-1"]!, [change("fan-1", "insert", { name: "Ada Lovelace", city: "Zürich" })]);
    const eventId = results[0]!.eventId!;

    const [gotA] = await receivedAtLeast(a, 1);
    const [gotB] = await receivedAtLeast(b, 1);
    for (const [got, route] of [[gotA!, structured], [gotB!, binary]] as const) {
      expect(got.headers["webhook-id"]).toBe(eventId);
      expect(got.headers["webhook-request-origin"]).toBe(env.WEBHOOK_ORIGIN); // webhook spec §4.1.2
      verifyBoth(route.secret, got);
    }
    expect(gotA!.headers["content-type"]).toBe("application/cloudevents+json");
    const fromStructured = HTTP.toEvent({ headers: gotA!.headers, body: gotA!.body }) as any;
    const fromBinary = HTTP.toEvent({ headers: gotB!.headers, body: gotB!.body }) as any;
    for (const ev of [fromStructured, fromBinary]) {
      expect(ev.id).toBe(eventId);
      expect(ev.type).toBe("io.changecast.customer.created");
      expect(ev.subject).toBe("customer/fan-1");
      expect(ev.sequence).toBe("00000000000000000001");
      expect(ev.data.after).toEqual({ name: "Ada Lovelace", city: "Zürich" });
    }

    // Give the excluded route every chance to (wrongly) receive something.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(c)).toHaveLength(0);
  });

  it("signs with both secrets during a rotation", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("rotate");
    const route = await newRoute(tenant, sub, path);
    const rotated = await admin("POST", `/tenants/${tenant}/routes/${route.id}/secret/rotate`, {});
    expect(rotated.status).toBe(200);
    const newSecret = rotated.json.secret as string;
    expect(newSecret).not.toBe(route.secret);

    await push(keys["store-1"]!, [change("rot-1", "insert", { a: 1 })]);
    const [got] = await receivedAtLeast(path, 1);
    expect(got!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    verifyBoth(route.secret, got!);
    verifyBoth(newSecret, got!);
  });

  it("retries a receiver that answers 500 twice, delivering on the third attempt with the same webhook-id", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("flaky");
    await script(path, [500, 500, 200]);
    const route = await newRoute(tenant, sub, path, { retrySchedule: [1, 1, 1] });
    const { results } = await push(keys["store-1"]!, [change("retry-1", "insert", { a: 1 })]);

    const got = await receivedAtLeast(path, 3);
    expect(got.map((g) => g.headers["webhook-id"])).toEqual([results[0]!.eventId, results[0]!.eventId, results[0]!.eventId]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await received(path)).toHaveLength(3); // nothing after the success

    const log = await waitFor("attempt log", async () => {
      const res = await admin("GET", `/tenants/${tenant}/routes/${route.id}/deliveries`);
      return res.json.items.length >= 3 ? res.json.items : null;
    });
    expect(log.map((a: any) => a.outcome).sort()).toEqual(["delivered", "failed", "failed"]);
    // Pages of the attempt log, newest first, cut at attempt granularity.
    const first = await admin("GET", `/tenants/${tenant}/routes/${route.id}/deliveries?limit=2`);
    const second = await admin("GET", `/tenants/${tenant}/routes/${route.id}/deliveries?limit=2&cursor=${first.json.nextCursor}`);
    expect([...first.json.items, ...second.json.items].map((a: any) => a.attempt)).toEqual([3, 2, 1]);
    expect(second.json.nextCursor).toBeNull();
  });

  it("does not follow a 3xx: it is a failed attempt", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("redirect");
    const target = freshPath("redirect-target");
    const redirect = { status: 302, headers: { location: receiverUrl() + target } };
    await script(path, [redirect, redirect]);
    const route = await newRoute(tenant, sub, path, { retrySchedule: [1] });
    await push(keys["store-1"]!, [change("redir-1", "insert", { a: 1 })]);

    const dl = await waitFor("dead letter", async () => {
      const res = await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${route.id}`);
      return res.json.items[0];
    });
    expect(dl.attempts.map((a: any) => a.httpStatus)).toEqual([302, 302]);
    expect(await received(path)).toHaveLength(2);
    expect(await received(target)).toHaveLength(0);
  });

  it("dead-letters a receiver that always fails with every attempt, and replay delivers once it recovers", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("down");
    await script(path, [503, 500, 502]);
    const route = await newRoute(tenant, sub, path, { retrySchedule: [1, 1] });
    const { results } = await push(keys["store-1"]!, [change("dead-1", "insert", { a: 1 })]);

    const dl = await waitFor("dead letter", async () => (await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${route.id}`)).json.items[0]);
    expect(dl).toMatchObject({ routeId: route.id, eventId: results[0]!.eventId, status: "open" });
    expect(dl.attempts.map((a: any) => [a.attempt, a.outcome, a.httpStatus])).toEqual([
      [1, "failed", 503],
      [2, "failed", 500],
      [3, "failed", 502],
    ]);
    for (const a of dl.attempts) expect(a).toMatchObject({ at: expect.any(Number), latencyMs: expect.any(Number) });
    expect((await admin("GET", `/tenants/${tenant}/dead-letters/${dl.id}`)).json.event.id).toBe(results[0]!.eventId);

    // The receiver recovers (default answer 200); replay delivers exactly once more.
    const replay = await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/replay`);
    expect(replay.status).toBe(202);
    expect(replay.json.status).toBe("replayed");
    const got = await receivedAtLeast(path, 4);
    expect(got[3]!.headers["webhook-id"]).toBe(results[0]!.eventId);
    expect((await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/replay`)).status).toBe(409);
  });

  it("reports each event's outcomes to its master record (the per-subscriber trail)", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const [p1, p2] = [freshPath("trail-1"), freshPath("trail-2")];
    const r1 = await newRoute(tenant, sub, p1);
    // On the same queue shard as r1 (shared/routing/shard.ts), so both share one message.
    const shards = deliveryShards(env).us;
    const sameShard = Array.from({ length: 100 }, (_, i) => `rt_trail_${i}`).find((id) => routeShard(tenant, id, shards) === routeShard(tenant, r1.id, shards))!;
    const r2 = await newRoute(tenant, sub, p2, { id: sameShard });
    await push(keys["store-1"]!, [change("trail", "insert", { a: 1 })]);
    const trail = await waitFor("outcomes", async () => {
      const res = await admin("GET", `/tenants/${tenant}/records/customer/trail/deliveries`);
      return res.json.items.length > 0 ? res.json.items : null;
    });
    // Both routes share one region and shard, so one message and one report carry both outcomes.
    expect(trail).toHaveLength(1);
    expect(trail[0].outcomes.map((o: any) => o.route).sort()).toEqual([r1.id, r2.id].sort());
    expect(trail[0].outcomes.every((o: any) => o.outcome === "delivered" && o.final)).toBe(true);
  });
});
