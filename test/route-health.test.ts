/**
 * The RouteHealth object through its real binding in workerd: concurrent consumers share one
 * route's in-flight cap, the breaker opens and stays open across fresh stubs and an eviction;
 * the batch calls (acquireMany, releaseMany) keep those guarantees across concurrent batches.
 */
import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { routeHealthStub, type RouteHealth } from "../durable-objects/route-health";
import type { HealthConfig } from "../shared/delivery/route-health";
import { DEFAULT_BREAKER } from "../shared/routing/route";

const cfg = (over: Partial<HealthConfig> = {}): HealthConfig => ({ breaker: DEFAULT_BREAKER, rateLimitPerSecond: null, maxInFlight: null, timeoutMs: 15_000, ...over });
let n = 0;
const fresh = () => ({ tenant: `t-health-${n}`, route: `rt_${n++}` });

describe("RouteHealth object", () => {
  it("with maxInFlight 1, exactly one of ten concurrent acquires is granted; a release frees it", async () => {
    const { tenant, route } = fresh();
    const config = cfg({ maxInFlight: 1 });
    // Ten consumers, each with its own stub, as ten invocations would have.
    const permits = await Promise.all(Array.from({ length: 10 }, () => routeHealthStub(env.ROUTE_HEALTH, tenant, route).acquire(config)));
    const granted = permits.filter((p) => p.ok);
    expect(granted).toHaveLength(1);
    expect(permits.filter((p) => !p.ok)).toEqual(Array(9).fill({ ok: false, reason: "max-in-flight", delaySeconds: 2 }));

    const stub = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    expect(await stub.health()).toMatchObject({ inFlight: 1 });
    const leaseId = (granted[0] as { leaseId: string }).leaseId;
    expect(leaseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await stub.release(config, leaseId, { outcome: "delivered", httpStatus: 204 })).toEqual({});
    expect(await stub.acquire(config, "mine")).toEqual({ ok: true, leaseId: "mine", probe: false });
  });

  it("keeps routes apart: one route's cap does not hold another's (or the same id under another tenant)", async () => {
    const { tenant, route } = fresh();
    const config = cfg({ maxInFlight: 1 });
    expect(await routeHealthStub(env.ROUTE_HEALTH, tenant, route).acquire(config)).toMatchObject({ ok: true });
    expect(await routeHealthStub(env.ROUTE_HEALTH, tenant, `${route}-other`).acquire(config)).toMatchObject({ ok: true });
    expect(await routeHealthStub(env.ROUTE_HEALTH, `${tenant}-other`, route).acquire(config)).toMatchObject({ ok: true });
  });

  it("opens the breaker after 10 failures and keeps it open across a fresh stub and an eviction", async () => {
    const { tenant, route } = fresh();
    const config = cfg();
    const stub = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    const transitions: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      const permit = await stub.acquire(config);
      if (!permit.ok) throw new Error(`refused: ${permit.reason}`);
      transitions.push((await stub.release(config, permit.leaseId, { outcome: "failed", httpStatus: 500 })).transition);
    }
    expect(transitions.at(-1)).toBe("failing");

    const again = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    expect(await again.acquire(config)).toMatchObject({ ok: false, reason: "breaker-open" });
    expect(await again.health()).toMatchObject({ breaker: "open", consecutiveFailures: 10 });

    await evictDurableObject(again);
    const afterEviction = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    expect(await afterEviction.health()).toMatchObject({ breaker: "open", consecutiveFailures: 10, inFlight: 0 });
    const permit = await afterEviction.acquire(config);
    expect(permit).toMatchObject({ ok: false, reason: "breaker-open" });
    expect((permit as { delaySeconds: number }).delaySeconds).toBeGreaterThanOrEqual(25);
  });

  it("stores one JSON row, and skips the write when only leases change", async () => {
    const { tenant, route } = fresh();
    const stub = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    const config = cfg();
    const permit = await stub.acquire(config);
    const rows = () => runInDurableObject(stub, (_: RouteHealth, state) => state.storage.sql.exec<{ state: string }>("SELECT state FROM health").toArray());
    expect(await rows()).toEqual([]);
    await stub.release(config, (permit as { leaseId: string }).leaseId, { outcome: "failed", httpStatus: 429, retryAfterSeconds: 30 });
    const stored = await rows();
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.state)).toMatchObject({ v: 1, consecutiveFailures: 1, breaker: "closed" });
    expect(await stub.acquire(config)).toEqual({ ok: false, reason: "retry-after", delaySeconds: 30 });
  });

  it("acquireMany: two concurrent batches share maxInFlight 3; a retried call gets the same grants; releaseMany frees them", async () => {
    const { tenant, route } = fresh();
    const config = cfg({ maxInFlight: 3 });
    const [a, b] = await Promise.all([
      routeHealthStub(env.ROUTE_HEALTH, tenant, route).acquireMany(config, ["a1", "a2", "a3"]),
      routeHealthStub(env.ROUTE_HEALTH, tenant, route).acquireMany(config, ["b1", "b2", "b3"]),
    ]);
    const granted = [...a, ...b].filter((p) => p.ok).map((p) => (p as { leaseId: string }).leaseId);
    expect(granted).toHaveLength(3);
    expect([...a, ...b].filter((p) => !p.ok)).toEqual(Array(3).fill({ ok: false, reason: "max-in-flight", delaySeconds: 2 }));

    const stub = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    // The first batch's answer was lost: asking again with its lease ids spends nothing new.
    expect(await stub.acquireMany(config, ["a1", "a2", "a3"])).toEqual(a);
    expect(await stub.health()).toMatchObject({ inFlight: 3 });
    expect(await stub.releaseMany(config, granted.map((leaseId) => ({ leaseId, result: { outcome: "delivered", httpStatus: 204 } })))).toEqual({});
    expect(await stub.health()).toMatchObject({ inFlight: 0 });
  });

  it("releaseMany: ten failures in one batch open the breaker, reported once, and it stays open after an eviction", async () => {
    const { tenant, route } = fresh();
    const config = cfg();
    const stub = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    const leases = Array.from({ length: 10 }, (_, i) => `f${i}`);
    expect((await stub.acquireMany(config, leases)).every((p) => p.ok)).toBe(true);
    expect(await stub.releaseMany(config, leases.map((leaseId) => ({ leaseId, result: { outcome: "failed", httpStatus: 500 } })))).toEqual({ transition: "failing" });
    await evictDurableObject(stub);
    const again = routeHealthStub(env.ROUTE_HEALTH, tenant, route);
    expect(await again.health()).toMatchObject({ breaker: "open", consecutiveFailures: 10, inFlight: 0 });
    expect((await again.acquireMany(config, ["x", "y"])).map((p) => !p.ok && p.reason)).toEqual(["breaker-open", "breaker-open"]);
  });
});
