/**
 * Delivery guarantees on the admin and storage side: a route's backpressure and breaker
 * settings (validated, read back, handed to the delivery consumer), the system's disable and
 * the admin's resume, route incidents, and the tenant's operations route.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_BREAKER } from "../shared/routing/route";
import { secretsKey } from "../workers/fanout/config";
import { closeIncidents, disableRoute, getOperationsTarget, loadDeliveryTargets, openIncident } from "../workers/fanout/repository";
import { ADMIN_TOKEN, admin, call, newTenant } from "./helpers";
import { freshPath, newSubscriber, receiverUrl } from "./fanout-helpers";

async function setup() {
  const { tenant } = await newTenant();
  return { tenant, sub: await newSubscriber(tenant) };
}

async function routeOf(tenant: string, sub: string, extra: Record<string, unknown> = {}) {
  const res = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId: sub, url: receiverUrl() + freshPath("g"), ...extra });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function routingVersion(tenant: string): Promise<number> {
  return (await env.DB.prepare("SELECT routing_version FROM tenants WHERE id = ?").bind(tenant).first<{ routing_version: number }>())!.routing_version;
}

async function targetOf(tenant: string, id: string) {
  return (await loadDeliveryTargets(env.DB, await secretsKey(env), tenant, [id], Date.now())).get(id)!;
}

describe("validation names the field, on create and on PATCH; nothing is stored", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["rate 0", { rateLimitPerSecond: 0 }, "rateLimitPerSecond"],
    ["negative rate", { rateLimitPerSecond: -1 }, "rateLimitPerSecond"],
    ["rate over 10000", { rateLimitPerSecond: 10_001 }, "rateLimitPerSecond"],
    ["rate as text", { rateLimitPerSecond: "5" }, "rateLimitPerSecond"],
    ["maxInFlight 0", { maxInFlight: 0 }, "maxInFlight"],
    ["maxInFlight over 1000", { maxInFlight: 1001 }, "maxInFlight"],
    ["maxInFlight not an integer", { maxInFlight: 1.5 }, "maxInFlight"],
    ["breaker cooldown 0", { circuitBreaker: { cooldownSeconds: 0 } }, "circuitBreaker.cooldownSeconds"],
    ["breaker failure rate over 100", { circuitBreaker: { failureRatePercent: 101 } }, "circuitBreaker.failureRatePercent"],
    ["breaker consecutive failures 0", { circuitBreaker: { consecutiveFailures: 0 } }, "circuitBreaker.consecutiveFailures"],
    ["breaker window over an hour", { circuitBreaker: { windowSeconds: 3601 } }, "circuitBreaker.windowSeconds"],
    ["breaker minimum attempts fractional", { circuitBreaker: { minimumAttempts: 2.5 } }, "circuitBreaker.minimumAttempts"],
    ["unknown breaker setting", { circuitBreaker: { halfOpenProbes: 2 } }, "circuitBreaker.halfOpenProbes"],
    ["breaker not an object", { circuitBreaker: 5 }, "circuitBreaker"],
    ["handshake not a boolean", { handshake: "yes" }, "handshake"],
    ["status pending (the system's)", { status: "pending" }, "status"],
    ["status disabled (the system's)", { status: "disabled" }, "status"],
    ["allowedRate (the endpoint's)", { allowedRate: 5 }, "allowedRate"],
  ])("%s", async (_name, body, field) => {
    const { tenant, sub } = await setup();
    const before = await routingVersion(tenant);
    const created = await admin("POST", `/tenants/${tenant}/routes`, { subscriberId: sub, url: "https://example.com/hook", ...body });
    expect(created.status).toBe(400);
    expect(created.json).toMatchObject({ field, detail: expect.stringContaining(field) });
    expect((await admin("GET", `/tenants/${tenant}/routes`)).json.items).toEqual([]);
    expect(await routingVersion(tenant)).toBe(before);

    const route = await routeOf(tenant, sub);
    const patched = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, body);
    expect(patched.status).toBe(400);
    expect(patched.json.field).toBe(field);
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json).toMatchObject({ rateLimitPerSecond: null, maxInFlight: null, circuitBreaker: {}, handshake: true });
  });
});

describe("reads and the delivery consumer's view", () => {
  it("defaults: unlimited, DEFAULT_BREAKER, handshake on", async () => {
    const { tenant, sub } = await setup();
    const route = await routeOf(tenant, sub);
    expect(route).toMatchObject({ rateLimitPerSecond: null, maxInFlight: null, circuitBreaker: {}, handshake: true, allowedRate: null });
    const target = await targetOf(tenant, route.id);
    expect(target).toMatchObject({ rateLimitPerSecond: null, maxInFlight: null, breaker: DEFAULT_BREAKER, secrets: [route.secret] });
    for (const key of ["handshake", "circuitBreaker", "allowedRate", "statusReason"]) expect(target).not.toHaveProperty(key);
  });

  it("settings are read back as set, PATCHed field by field, and filled into DeliveryTarget", async () => {
    const { tenant, sub } = await setup();
    const route = await routeOf(tenant, sub, { rateLimitPerSecond: 2.5, maxInFlight: 4, circuitBreaker: { consecutiveFailures: 3, cooldownSeconds: 5 } });
    const expected = { rateLimitPerSecond: 2.5, maxInFlight: 4, circuitBreaker: { consecutiveFailures: 3, cooldownSeconds: 5 } };
    expect(route).toMatchObject(expected);
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json).toMatchObject(expected);
    expect((await admin("GET", `/tenants/${tenant}/routes`)).json.items[0]).toMatchObject(expected);
    expect(await targetOf(tenant, route.id)).toMatchObject({ rateLimitPerSecond: 2.5, maxInFlight: 4, breaker: { ...DEFAULT_BREAKER, consecutiveFailures: 3, cooldownSeconds: 5 } });

    // The breaker overrides are replaced as a whole; null (or {}) means the defaults again.
    const patched = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { maxInFlight: null, circuitBreaker: { failureRatePercent: 25 } });
    expect(patched.json).toMatchObject({ rateLimitPerSecond: 2.5, maxInFlight: null, circuitBreaker: { failureRatePercent: 25 } });
    expect(await targetOf(tenant, route.id)).toMatchObject({ maxInFlight: null, breaker: { ...DEFAULT_BREAKER, failureRatePercent: 25 } });
    const reset = await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { rateLimitPerSecond: null, circuitBreaker: null });
    expect(reset.json).toMatchObject({ rateLimitPerSecond: null, circuitBreaker: {} });
    expect((await targetOf(tenant, route.id)).breaker).toEqual(DEFAULT_BREAKER);
  });

  it("the effective rate is the lower of the route's limit and the endpoint's allowed rate", async () => {
    const { tenant, sub } = await setup();
    const route = await routeOf(tenant, sub, { rateLimitPerSecond: 10 });
    await env.DB.prepare("UPDATE routes SET allowed_rate = 4 WHERE tenant_id = ? AND id = ?").bind(tenant, route.id).run();
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json).toMatchObject({ rateLimitPerSecond: 10, allowedRate: 4 });
    expect((await targetOf(tenant, route.id)).rateLimitPerSecond).toBe(4);
    await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { rateLimitPerSecond: 1 });
    expect((await targetOf(tenant, route.id)).rateLimitPerSecond).toBe(1);
    await admin("PATCH", `/tenants/${tenant}/routes/${route.id}`, { rateLimitPerSecond: null });
    expect((await targetOf(tenant, route.id)).rateLimitPerSecond).toBe(4);
  });
});

describe("disableRoute (the delivery worker's verdict) and resume (the admin's)", () => {
  it("disables once, with the reason and one routing version bump; resume re-enables and clears the reason", async () => {
    const { tenant, sub } = await setup();
    const route = await routeOf(tenant, sub);
    const version = await routingVersion(tenant);
    expect(await disableRoute(env.DB, tenant, route.id, "410 Gone from the endpoint", "2026-09-01T00:00:00.000Z")).toBe(true);
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json).toMatchObject({
      status: "disabled", statusReason: "410 Gone from the endpoint", updatedAt: "2026-09-01T00:00:00.000Z",
    });
    expect(await routingVersion(tenant)).toBe(version + 1);
    // Already disabled, or no such route: nothing changes, nothing is bumped.
    expect(await disableRoute(env.DB, tenant, route.id, "again", "2026-09-02T00:00:00.000Z")).toBe(false);
    expect(await disableRoute(env.DB, tenant, "rt_unknown", "gone", "2026-09-02T00:00:00.000Z")).toBe(false);
    expect((await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json.statusReason).toBe("410 Gone from the endpoint");
    expect(await routingVersion(tenant)).toBe(version + 1);

    const resumed = await admin("POST", `/tenants/${tenant}/routes/${route.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.json).toMatchObject({ status: "active", statusReason: null });
    expect(await routingVersion(tenant)).toBe(version + 2);

    // A paused route can be disabled too.
    await admin("POST", `/tenants/${tenant}/routes/${route.id}/pause`);
    expect(await disableRoute(env.DB, tenant, route.id, "failing for 5 days", new Date().toISOString())).toBe(true);
    expect((await admin("GET", `/tenants/${tenant}/routes?status=disabled`)).json.items.map((r: any) => r.id)).toEqual([route.id]);
  });
});

describe("incidents", () => {
  it("open once per (route, kind) while open, close by kind, list newest first with filters and pages", async () => {
    const { tenant, sub } = await setup();
    const [r1, r2] = [(await routeOf(tenant, sub)).id, (await routeOf(tenant, sub)).id];
    const open = (routeId: string, severity: "P0" | "P1" | "P2" | "P3" | "P4", kind: string, openedAt: number) =>
      openIncident(env.DB, { tenant, routeId, severity, kind, detail: `${kind} on ${routeId}`, openedAt });
    await env.DB.batch([open(r1, "P2", "breaker_open", 1000), open(r1, "P2", "breaker_open", 1500), open(r1, "P1", "auto_disabled", 2000), open(r2, "P3", "breaker_open", 3000)]);
    const list = async (query = "") => (await admin("GET", `/tenants/${tenant}/incidents${query}`)).json;

    const all = await list();
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((i: any) => [i.routeId, i.kind, i.openedAt])).toEqual([[r2, "breaker_open", 3000], [r1, "auto_disabled", 2000], [r1, "breaker_open", 1000]]);
    expect(all.items[2]).toEqual({ tenant, id: expect.stringMatching(/^inc_[0-9a-f]{20}$/), routeId: r1, severity: "P2", kind: "breaker_open", detail: `breaker_open on ${r1}`, openedAt: 1000, closedAt: null });

    await closeIncidents(env.DB, tenant, r1, "breaker_open", 4000).run();
    // Once closed, the same kind can open again.
    await open(r1, "P2", "breaker_open", 5000).run();
    expect((await list(`?routeId=${r1}`)).items.map((i: any) => [i.openedAt, i.closedAt])).toEqual([[5000, null], [2000, null], [1000, 4000]]);
    expect((await list("?open=true")).items.map((i: any) => i.openedAt)).toEqual([5000, 3000, 2000]);
    expect((await list("?open=false")).items.map((i: any) => i.openedAt)).toEqual([1000]);
    expect((await list("?severity=P1")).items.map((i: any) => i.kind)).toEqual(["auto_disabled"]);
    expect((await list(`?severity=P2&open=true&routeId=${r1}`)).items.map((i: any) => i.openedAt)).toEqual([5000]);

    const first = await list("?limit=2");
    expect(first.items.map((i: any) => i.openedAt)).toEqual([5000, 3000]);
    const second = await list(`?limit=2&cursor=${first.nextCursor}`);
    expect(second).toMatchObject({ items: [{ openedAt: 2000 }, { openedAt: 1000 }], nextCursor: null });
  });

  it.each([
    ["?severity=P5", "severity"],
    ["?open=yes", "open"],
    ["?limit=0", "limit"],
    ["?cursor=bogus!", "cursor"],
  ])("GET …/incidents%s → 400 naming %s", async (query, field) => {
    const { tenant } = await newTenant();
    const res = await admin("GET", `/tenants/${tenant}/incidents${query}`);
    expect(res.status).toBe(400);
    expect(res.json.field).toBe(field);
  });

  it("an unknown tenant → 404; a location key → 401; the severity must be P0…P4", async () => {
    expect((await admin("GET", "/tenants/no-such-tenant/incidents")).status).toBe(404);
    const { tenant, keys } = await newTenant();
    expect((await call("GET", `/admin/v1/tenants/${tenant}/incidents`, { token: keys["store-1"] })).status).toBe(401);
    await expect(openIncident(env.DB, { tenant, routeId: "r", severity: "P9" as "P0", kind: "k", detail: "d", openedAt: 1 }).run()).rejects.toThrow(/CHECK constraint/);
  });
});

describe("the tenant's operations route", () => {
  it("PATCH sets it (the route must exist), GET shows it, getOperationsTarget loads it, deleting the route clears it", async () => {
    const { tenant, sub } = await setup();
    expect((await admin("GET", `/tenants/${tenant}`)).json).toMatchObject({ id: tenant, operationsRouteId: null });
    expect(await getOperationsTarget(env.DB, await secretsKey(env), tenant, Date.now())).toBeNull();

    const ops = await routeOf(tenant, sub, { maxInFlight: 1, circuitBreaker: { cooldownSeconds: 60 } });
    const refused = await admin("PATCH", `/tenants/${tenant}`, { operationsRouteId: "rt_ghost" });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ field: "operationsRouteId", detail: expect.stringContaining("rt_ghost") });

    const set = await admin("PATCH", `/tenants/${tenant}`, { operationsRouteId: ops.id, name: "Renamed" });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({ id: tenant, name: "Renamed", operationsRouteId: ops.id });
    expect((await admin("GET", `/tenants/${tenant}`)).json).toEqual(set.json);

    const target = await getOperationsTarget(env.DB, await secretsKey(env), tenant, Date.now());
    expect(target).toMatchObject({ id: ops.id, tenant, url: ops.url, maxInFlight: 1, rateLimitPerSecond: null, breaker: { ...DEFAULT_BREAKER, cooldownSeconds: 60 }, secrets: [ops.secret] });
    // Per tenant: another tenant has none.
    expect(await getOperationsTarget(env.DB, await secretsKey(env), (await newTenant()).tenant, Date.now())).toBeNull();

    expect((await admin("PATCH", `/tenants/${tenant}`, { name: "Only the name" })).json).toMatchObject({ name: "Only the name", operationsRouteId: ops.id });
    expect((await admin("PATCH", `/tenants/${tenant}`, { operationsRouteId: null })).json.operationsRouteId).toBeNull();
    await admin("PATCH", `/tenants/${tenant}`, { operationsRouteId: ops.id });
    expect((await call("DELETE", `/admin/v1/tenants/${tenant}/routes/${ops.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    expect((await admin("GET", `/tenants/${tenant}`)).json.operationsRouteId).toBeNull();
    expect(await getOperationsTarget(env.DB, await secretsKey(env), tenant, Date.now())).toBeNull();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["empty name", { name: "" }, "name"],
    ["unknown field", { region: "eu" }, "region"],
    ["route id not an id", { operationsRouteId: "Not An Id" }, "operationsRouteId"],
  ])("PATCH with %s → 400 naming %s", async (_name, body, field) => {
    const { tenant } = await newTenant();
    const res = await admin("PATCH", `/tenants/${tenant}`, body);
    expect(res.status).toBe(400);
    expect(res.json.field).toBe(field);
  });

  it("PATCH of an unknown tenant → 404; an empty PATCH answers the tenant", async () => {
    expect((await admin("PATCH", "/tenants/no-such-tenant", { name: "x" })).status).toBe(404);
    expect((await admin("PATCH", "/tenants/no-such-tenant", {})).status).toBe(404);
    const { tenant } = await newTenant();
    expect((await admin("PATCH", `/tenants/${tenant}`, {})).json).toMatchObject({ id: tenant, operationsRouteId: null });
  });
});
