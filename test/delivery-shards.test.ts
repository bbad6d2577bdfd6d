/**
 * Delivery-queue shards in workerd with the real receiver: wrangler.toml gives `us` two shards
 * (deliveries-us, deliveries-us-1); routes hashing to either receive their events, retries go to
 * the route's own shard, and each shard's consumer and DLQ consumer are wired.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../workers/index";
import type { DeliverMessage } from "../shared/delivery/message";
import { recordShard, routeShard } from "../shared/routing/shard";
import { deliveryShards, routeQueue, shipPage } from "../durable-objects/outbox";
import { consumeDeliveries } from "../workers/delivery/consumer";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor } from "./fanout-helpers";

/** A route id of the tenant that hashes to `shard` of the us shards. */
function idOnShard(tenant: string, shard: number, name: string): string {
  for (let i = 0; ; i++) if (routeShard(tenant, `rt_${name}_${i}`, deliveryShards(env).us) === shard) return `rt_${name}_${i}`;
}

/** Two routes of a fresh us tenant, one on each shard. */
async function routesOnBothShards(extra: Record<string, unknown> = {}) {
  const { tenant, keys } = await newTenant("us");
  const sub = await newSubscriber(tenant);
  const paths = [freshPath("shard0"), freshPath("shard1")] as const;
  const routes = [
    await newRoute(tenant, sub, paths[0], { id: idOnShard(tenant, 0, "zero"), ...extra }),
    await newRoute(tenant, sub, paths[1], { id: idOnShard(tenant, 1, "one"), ...extra }),
  ];
  return { tenant, sub, key: keys["store-1"]!, paths, routes };
}

/** env whose us queues record what is sent to each, then send it on to the real queue. */
function recordingEnv() {
  const sent: { queue: string; routes: string[] }[] = [];
  const wrap = (name: string, q: Queue): Queue => ({
    send: (body: any, opts?: QueueSendOptions) => (sent.push({ queue: name, routes: body.routes.map((r: any) => r.id) }), q.send(body, opts)),
    sendBatch: (msgs: Iterable<MessageSendRequest>, opts?: QueueSendBatchOptions) => {
      const list = [...msgs];
      for (const m of list) sent.push({ queue: name, routes: (m.body as DeliverMessage).routes.map((r) => r.id) });
      return q.sendBatch(list, opts);
    },
  }) as Queue;
  return { env: { ...env, DELIVERIES_US: wrap("deliveries-us", env.DELIVERIES_US), DELIVERIES_US_1: wrap("deliveries-us-1", env.DELIVERIES_US_1) } as Env, sent };
}

describe("delivery-queue shards", () => {
  it("us has two shards here, read from the bindings", () => {
    expect(deliveryShards(env)).toEqual({ us: 2, eu: 1, ap: 1 });
  });

  it("routes on different shards both receive every event, each exactly once", async () => {
    const { tenant, key, paths, routes } = await routesOnBothShards();
    expect(routes.map((r) => routeShard(tenant, r.id, 2))).toEqual([0, 1]);
    const { results } = await push(key, ["s-1", "s-2", "s-3"].map((id) => change(id, "insert", { a: id })));
    const ids = results.map((r) => r.eventId).sort();
    for (const path of paths) {
      const got = await receivedAtLeast(path, 3);
      expect(got.map((r) => r.headers["webhook-id"]).sort()).toEqual(ids);
    }
    await new Promise((r) => setTimeout(r, 1000));
    for (const path of paths) expect(await received(path)).toHaveLength(3);
  });

  it("the outbox sends one message per shard with routes, each listing that shard's routes", async () => {
    const { tenant, sub, key, paths, routes } = await routesOnBothShards();
    const extra = await newRoute(tenant, sub, freshPath("shard0b"), { id: idOnShard(tenant, 0, "zero-b") });
    await push(key, [change("o-1", "insert", { a: 1 })]);
    for (const path of paths) await receivedAtLeast(path, 1);
    const entry = (await admin("GET", `/tenants/${tenant}/records/customer/o-1/audit`)).json.items[0];
    expect(entry.destinations.map((d: any) => d.route).sort()).toEqual([routes[0]!.id, routes[1]!.id, extra.id].sort());

    // Ship the entry's deliveries again (as after a crash before the cursor moved), through recording queues.
    const recording = recordingEnv();
    const record = { tenant, recordRegion: "us" as const, recordType: "customer", recordId: "o-1" };
    const cursors = await shipPage(recording.env, record, [{ entry, bytes: 4096 }], { auditShipped: entry.sequence, deliveriesShipped: entry.sequence - 1 }, () => true);
    expect(cursors).toEqual({ auditShipped: entry.sequence, deliveriesShipped: entry.sequence });
    expect(recording.sent.map((m) => ({ ...m, routes: m.routes.sort() })).sort((x, y) => x.queue.localeCompare(y.queue))).toEqual([
      { queue: "deliveries-us", routes: [routes[0]!.id, extra.id].sort() },
      { queue: "deliveries-us-1", routes: [routes[1]!.id] },
    ]);
    // Both went on to the real queues: a second copy with the same webhook-id.
    for (const path of paths) {
      const got = await receivedAtLeast(path, 2);
      expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(1);
    }
  });

  it("with DELIVERY_SHARD_KEY=record the same routes share one message on the record's shard, retries included", async () => {
    const { tenant, key, paths, routes } = await routesOnBothShards();
    await push(key, [change("k-1", "insert", { a: 1 })]);
    for (const path of paths) await receivedAtLeast(path, 1);
    const entry = (await admin("GET", `/tenants/${tenant}/records/customer/k-1/audit`)).json.items[0];
    const recording = recordingEnv();
    const byRecord = { ...recording.env, DELIVERY_SHARD_KEY: "record" } as Env;
    const record = { tenant, recordRegion: "us" as const, recordType: "customer", recordId: "k-1" };
    await shipPage(byRecord, record, [{ entry, bytes: 4096 }], { auditShipped: entry.sequence, deliveriesShipped: entry.sequence - 1 }, () => true);
    const queue = recordShard(tenant, "customer", "k-1", 2) === 0 ? "deliveries-us" : "deliveries-us-1";
    expect(recording.sent.map((m) => ({ ...m, routes: m.routes.sort() }))).toEqual([{ queue, routes: routes.map((r) => r.id).sort() }]);
    // A single-route retry of that event follows the record too, not the route.
    for (const r of routes) expect(routeQueue(byRecord, "us", record, r.id)).toBe(queue === "deliveries-us" ? byRecord.DELIVERIES_US : byRecord.DELIVERIES_US_1);
    await expect(shipPage({ ...env, DELIVERY_SHARD_KEY: "Record" } as Env, record, [{ entry, bytes: 4096 }], { auditShipped: entry.sequence, deliveriesShipped: entry.sequence - 1 }, () => true)).rejects.toThrow(/DELIVERY_SHARD_KEY must be one of route, record/);
  });

  it("a failed route's retry goes to its own shard, whichever shard the message came from, and is delivered there", async () => {
    // The event exists before the routes do, so only the consumer call below delivers it.
    const { tenant, keys } = await newTenant("us");
    await push(keys["store-1"]!, [change("r-1", "insert", { a: 1 })]);
    const event = (await admin("GET", `/tenants/${tenant}/records/customer/r-1/audit`)).json.items[0].event;
    const sub = await newSubscriber(tenant);
    const paths = [freshPath("retry0"), freshPath("retry1")] as const;
    await Promise.all(paths.map((p) => script(p, [500])));
    const routes = [
      await newRoute(tenant, sub, paths[0], { id: idOnShard(tenant, 0, "zero"), retrySchedule: [1] }),
      await newRoute(tenant, sub, paths[1], { id: idOnShard(tenant, 1, "one"), retrySchedule: [1] }),
    ];

    const body: DeliverMessage = { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: "r-1", routingVersion: 0, event, routes: routes.map((r) => ({ id: r.id, attempt: 1, generation: 0, history: [] })) };
    const batch = createMessageBatch<DeliverMessage>("deliveries-us", [{ id: "m1", timestamp: Date.now(), attempts: 1, body }]);
    const recording = recordingEnv();
    await consumeDeliveries(batch as MessageBatch, recording.env, "us");

    expect(recording.sent.sort((x, y) => x.queue.localeCompare(y.queue))).toEqual([
      { queue: "deliveries-us", routes: [routes[0]!.id] },
      { queue: "deliveries-us-1", routes: [routes[1]!.id] },
    ]);
    // The real queues' consumers make the second attempts.
    for (const path of paths) {
      const got = await receivedAtLeast(path, 2);
      expect(got.map((r) => r.headers["webhook-id"])).toEqual([event.id, event.id]);
    }
  });

  it("a shard's queue and its DLQ reach their consumers through the Worker's queue handler", async () => {
    const { tenant, key, paths, routes } = await routesOnBothShards();
    await push(key, [change("q-1", "insert", { a: 1 })]);
    for (const path of paths) await receivedAtLeast(path, 1);
    const event = (await admin("GET", `/tenants/${tenant}/records/customer/q-1/audit`)).json.items[0].event;
    const body: DeliverMessage = { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: "q-1", routingVersion: 0, event, routes: [{ id: routes[1]!.id, attempt: 1, generation: 0, history: [] }] };

    const live = createMessageBatch<DeliverMessage>("deliveries-us-1", [{ id: "live", timestamp: Date.now(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue!(live as MessageBatch, env, ctx);
    expect((await getQueueResult(live, ctx)).explicitAcks).toEqual(["live"]);
    await receivedAtLeast(paths[1], 2);

    const dead = createMessageBatch<DeliverMessage>("deliveries-us-1-dlq", [{ id: "dead", timestamp: Date.now(), attempts: 6, body }]);
    const dlqCtx = createExecutionContext();
    await worker.queue!(dead as MessageBatch, env, dlqCtx);
    expect((await getQueueResult(dead, dlqCtx)).ackAll).toBe(true);
    const letters = await waitFor("dead letter", async () => {
      const items = (await admin("GET", `/tenants/${tenant}/dead-letters?routeId=${routes[1]!.id}`)).json.items;
      return items.length ? items : null;
    });
    expect(letters[0]).toMatchObject({ eventId: event.id, reason: expect.stringContaining("platform DLQ") });
  });
});
