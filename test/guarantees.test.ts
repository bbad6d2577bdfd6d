import { describe, expect, it } from "vitest";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor } from "./fanout-helpers";

const health = async (tenant: string, route: string) => (await admin("GET", `/tenants/${tenant}/routes/${route}/health`)).json;

describe("circuit breaker", () => {
  it("opens after 10 consecutive failures (deliveries deferred, not attempted), probes half-open after the cool-down, then closes", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("breaker");
    await script(path, Array(10).fill(500));
    const route = await newRoute(tenant, sub, path, { retrySchedule: Array(15).fill(1), circuitBreaker: { cooldownSeconds: 4 } });
    await push(keys["store-1"]!, [change("br-1", "insert", { a: 1 })]);

    await receivedAtLeast(path, 10, 60_000);
    const open = await waitFor("breaker open", async () => ((await health(tenant, route.id)).breaker === "open" ? true : null));
    expect(open).toBe(true);
    const incident = await waitFor("breaker incident", async () => (await admin("GET", `/tenants/${tenant}/incidents?routeId=${route.id}`)).json.items.find((i: any) => i.kind === "breaker_open"));
    expect(incident.closedAt).toBeNull();

    // A second event while open: deferred, so no attempt reaches the receiver during the cool-down.
    await push(keys["store-1"]!, [change("br-2", "insert", { a: 2 })]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await received(path)).toHaveLength(10);

    // After the cool-down one probe goes out, succeeds, and closes the breaker; the rest follow.
    const all = await receivedAtLeast(path, 12, 30_000);
    const tenth = all[9]!.receivedAt;
    expect(all[10]!.receivedAt - tenth).toBeGreaterThanOrEqual(3_500);
    expect((await health(tenant, route.id)).breaker).toBe("closed");
    const closed = await waitFor("incident closed", async () => {
      const items = (await admin("GET", `/tenants/${tenant}/incidents?routeId=${route.id}`)).json.items;
      return items.find((i: any) => i.kind === "breaker_open" && i.closedAt !== null);
    });
    expect(closed.severity).toBe("P4");
  }, 120_000);
});

describe("backpressure", () => {
  it("never exceeds maxInFlight 1: a slow receiver sees one request at a time", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("inflight");
    await script(path, Array(8).fill({ status: 200, delayMs: 400 }));
    await newRoute(tenant, sub, path, { maxInFlight: 1 });
    await push(keys["store-1"]!, Array.from({ length: 8 }, (_, i) => change(`if-${i}`, "insert", { i })));
    const got = await receivedAtLeast(path, 8, 90_000);
    const arrivals = got.map((r) => r.receivedAt).sort((a, b) => a - b);
    // Each answer is held 400 ms; a request arriving sooner after the previous one would overlap it.
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]! - arrivals[i - 1]!).toBeGreaterThanOrEqual(390);
  }, 120_000);

  it("honours Retry-After: 3 (no attempt earlier), whatever the shorter schedule says", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("retry-after");
    await script(path, [{ status: 429, headers: { "retry-after": "3" } }]);
    await newRoute(tenant, sub, path, { retrySchedule: [1, 1] });
    await push(keys["store-1"]!, [change("ra-1", "insert", { a: 1 })]);
    const got = await receivedAtLeast(path, 2, 30_000);
    expect(got[0]!.headers["webhook-id"]).toBe(got[1]!.headers["webhook-id"]);
    expect(got[1]!.receivedAt - got[0]!.receivedAt).toBeGreaterThanOrEqual(3_000);
  }, 60_000);
});

describe("410 Gone", () => {
  it("disables the route with its reason, tells the operations route, and stops deliveries", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const [gone, ops] = [freshPath("gone"), freshPath("ops")];
    await script(gone, [410]);
    const route = await newRoute(tenant, sub, gone, { retrySchedule: [1, 1, 1] });
    const opsRoute = await newRoute(tenant, sub, ops, { filter: [{ exact: { type: "never.matches" } }] });
    expect((await admin("PATCH", `/tenants/${tenant}`, { operationsRouteId: opsRoute.id })).status).toBe(200);

    await push(keys["store-1"]!, [change("gone-1", "insert", { a: 1 })]);
    const disabled = await waitFor("route disabled", async () => {
      const r = (await admin("GET", `/tenants/${tenant}/routes/${route.id}`)).json;
      return r.status === "disabled" ? r : null;
    });
    expect(disabled.statusReason).toBe("receiver answered 410 Gone");
    const [opsEvent] = await receivedAtLeast(ops, 1);
    expect(JSON.parse(opsEvent!.body)).toMatchObject({ type: "io.changecast.route.disabled", data: { route: route.id, detail: "receiver answered 410 Gone" } });

    await push(keys["store-1"]!, [change("gone-2", "insert", { a: 2 })]);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await received(gone)).toHaveLength(1);
    expect((await admin("GET", `/tenants/${tenant}/dead-letters`)).json.items).toHaveLength(0);
  }, 60_000);
});
