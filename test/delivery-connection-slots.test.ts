/**
 * A consumer invocation's webhook attempts share its connection slots (shared/delivery/attempt-pool.ts):
 * at most `concurrency` requests are open at once, each fetch's timeout starts with its slot, and
 * an attempt whose slot comes after the start budget is not made: its lease goes back unused
 * (route health counts nothing) and the delivery is deferred, then delivered by its retry.
 * Real consumer, RouteHealth objects, queues and receiver.
 */
import { createMessageBatch, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliverMessage } from "../shared/delivery/message";
import { routeHealthStub } from "../durable-objects/route-health";
import { consumeDeliveries } from "../workers/delivery/consumer";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script } from "./fanout-helpers";

const clock = { now: () => Date.now(), random: () => 0.5 };

/** `n` events of fresh records and one route to a receiver path, created after the events (so only our calls deliver them). */
async function routeWithEvents(n: number, steps: unknown[]) {
  const { tenant, keys } = await newTenant();
  const ids = Array.from({ length: n }, (_, i) => `slot-${i}`);
  await push(keys["store-1"]!, ids.map((id) => change(id, "insert", { a: id })));
  const events = await Promise.all(ids.map(async (id) => (await admin("GET", `/tenants/${tenant}/records/customer/${id}/audit`)).json.items[0].event));
  const path = freshPath("slots");
  await script(path, steps as never);
  const route = await newRoute(tenant, await newSubscriber(tenant), path, { retrySchedule: [1] });
  const batch = createMessageBatch<DeliverMessage>(
    "deliveries-us",
    events.map((event, i) => ({
      id: `m${i}`,
      timestamp: Date.now(),
      attempts: 1,
      body: { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: ids[i]!, routingVersion: 0, event, routes: [{ id: route.id, attempt: 1, generation: 0, history: [] }] },
    })),
  );
  return { tenant, route, path, batch, eventIds: events.map((e) => e.id as string) };
}

describe("connection slots of a delivery-consumer invocation", () => {
  it("opens at most `concurrency` webhook requests at once", async () => {
    const { path, batch, eventIds } = await routeWithEvents(6, Array.from({ length: 6 }, () => ({ status: 204, delayMs: 400 })));
    await consumeDeliveries(batch as MessageBatch, env, "us", clock, { concurrency: 2, startBudgetMs: 60_000 });
    const got = await received(path);
    expect(got.map((r) => r.headers["webhook-id"]).sort()).toEqual([...eventIds].sort());
    // Each answer is held 400 ms: request k+2 can only arrive once request k was answered.
    const arrivals = got.map((r) => r.receivedAt).sort((a, b) => a - b);
    for (let k = 0; k + 2 < arrivals.length; k++) expect(arrivals[k + 2]! - arrivals[k]!).toBeGreaterThanOrEqual(380);
  });

  it("does not start what misses the start budget: the lease goes back unused, the delivery is deferred and arrives later", async () => {
    const { tenant, route, path, batch, eventIds } = await routeWithEvents(3, [{ status: 204, delayMs: 600 }]);
    await consumeDeliveries(batch as MessageBatch, env, "us", clock, { concurrency: 1, startBudgetMs: 200 });
    // One request was made; the two that waited past the budget were not.
    expect(await received(path)).toHaveLength(1);
    const health = await routeHealthStub(env.ROUTE_HEALTH, tenant, route.id).health();
    expect(health).toMatchObject({ inFlight: 0, consecutiveFailures: 0, breaker: "closed" });
    // Their deferrals come back through the real queue and are delivered, each event once.
    const all = await receivedAtLeast(path, 3, 30_000);
    expect(all.map((r) => r.headers["webhook-id"]).sort()).toEqual([...eventIds].sort());
  });
});
