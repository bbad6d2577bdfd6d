/**
 * The delivery consumer groups a batch by route: one acquireMany and one releaseMany per route,
 * whatever the number of its deliveries, with the route-health guarantees intact (max-in-flight,
 * the breaker's effects once). Real consumer, real RouteHealth objects, real receiver; the
 * health namespace is wrapped only to count the calls that go through to it.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliverMessage } from "../shared/delivery/message";
import { consumeDeliveries } from "../workers/delivery/consumer";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor } from "./fanout-helpers";

/** Events of `n` fresh records, pushed before any route exists (so nothing delivers them on its own). */
async function eventsOf(n: number): Promise<{ tenant: string; sub: string; messages: (routes: string[]) => DeliverMessage[] }> {
  const { tenant, keys } = await newTenant();
  const ids = Array.from({ length: n }, (_, i) => `batch-${i}`);
  await push(keys["store-1"]!, ids.map((id) => change(id, "insert", { a: id })));
  const events = await Promise.all(ids.map(async (id) => (await admin("GET", `/tenants/${tenant}/records/customer/${id}/audit`)).json.items[0].event));
  const sub = await newSubscriber(tenant);
  const messages = (routes: string[]) =>
    events.map((event, i): DeliverMessage => ({ v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: ids[i]!, routingVersion: 0, event, routes: routes.map((id) => ({ id, attempt: 1, generation: 0, history: [] })) }));
  return { tenant, sub, messages };
}

/** env with ROUTE_HEALTH wrapped: every RPC still reaches the real object, and is counted by name. */
function countingEnv(): { env: Env; calls: string[] } {
  const calls: string[] = [];
  const ns = env.ROUTE_HEALTH;
  const counted = {
    idFromName: (name: string) => ns.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = ns.get(id) as any;
      return new Proxy(stub, { get: (target, prop) => (typeof prop === "string" && /^(acquire|release)/.test(prop) ? (...args: unknown[]) => (calls.push(prop), target[prop](...args)) : target[prop]) });
    },
  };
  return { env: { ...env, ROUTE_HEALTH: counted as unknown as Env["ROUTE_HEALTH"] }, calls };
}

async function consume(messages: DeliverMessage[], testEnv: Env) {
  const batch = createMessageBatch<DeliverMessage>("deliveries-us", messages.map((body, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await consumeDeliveries(batch as MessageBatch, testEnv, "us");
  return getQueueResult(batch, ctx);
}

const health = async (tenant: string, route: string) => (await admin("GET", `/tenants/${tenant}/routes/${route}/health`)).json;

describe("delivery consumer: route health per batch", () => {
  it("six messages to two routes: one acquireMany and one releaseMany per route, all twelve delivered and reported", async () => {
    const { tenant, sub, messages } = await eventsOf(6);
    const [pa, pb] = [freshPath("batch-a"), freshPath("batch-b")];
    const [a, b] = [await newRoute(tenant, sub, pa), await newRoute(tenant, sub, pb)];
    const counted = countingEnv();
    const result = await consume(messages([a.id, b.id]), counted.env);

    expect(counted.calls.sort()).toEqual(["acquireMany", "acquireMany", "releaseMany", "releaseMany"]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
    expect(result.retryMessages).toEqual([]);
    for (const path of [pa, pb]) expect(new Set((await received(path)).map((r) => r.headers["webhook-id"])).size).toBe(6);
    expect(await health(tenant, a.id)).toMatchObject({ inFlight: 0, breaker: "closed" });
    const trail = (await admin("GET", `/tenants/${tenant}/records/customer/batch-3/deliveries`)).json.items;
    expect(trail.flatMap((t: any) => t.outcomes.map((o: any) => `${o.route} ${o.disposition}`)).sort()).toEqual([`${a.id} delivered`, `${b.id} delivered`].sort());
  });

  it("maxInFlight 2 holds within one batch: two attempts now, the other three deferred and delivered later", async () => {
    const { tenant, sub, messages } = await eventsOf(5);
    const path = freshPath("batch-cap");
    const route = await newRoute(tenant, sub, path, { maxInFlight: 2 });
    const counted = countingEnv();
    const result = await consume(messages([route.id]), counted.env);

    expect(counted.calls).toEqual(["acquireMany", "releaseMany"]);
    expect(result.explicitAcks).toHaveLength(5);
    expect(await received(path)).toHaveLength(2);
    // The deferred three went back to the real queue with a delay; its consumer delivers them.
    const all = await receivedAtLeast(path, 5, 30_000);
    expect(new Set(all.map((r) => r.headers["webhook-id"])).size).toBe(5);
  });

  it("ten failures in one batch open the breaker with one P4 incident, not ten", async () => {
    const { tenant, sub, messages } = await eventsOf(10);
    const path = freshPath("batch-breaker");
    await script(path, Array(10).fill(500));
    const route = await newRoute(tenant, sub, path, { retrySchedule: [60] });
    await consume(messages([route.id]), countingEnv().env);

    expect(await received(path)).toHaveLength(10);
    expect(await health(tenant, route.id)).toMatchObject({ breaker: "open", consecutiveFailures: 10 });
    const incidents = await waitFor("breaker incident", async () => {
      const items = (await admin("GET", `/tenants/${tenant}/incidents?routeId=${route.id}`)).json.items.filter((i: any) => i.kind === "breaker_open");
      return items.length ? items : null;
    });
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ severity: "P4", closedAt: null });
  });
});
