/**
 * RECORD_TRAIL=exceptions (wrangler.toml's default; the suite runs "all"): the delivery consumer
 * reports to the master record only what it must know or a reader must find there. Driven
 * through the real consumer with the real receiver; the event exists before its routes, so only
 * the consumer calls below deliver it.
 */
import { createMessageBatch, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliverMessage, RouteAttempt } from "../shared/delivery/message";
import { consumeDeliveries } from "../workers/delivery/consumer";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, receivedAtLeast, script } from "./fanout-helpers";

async function recordWithEvent(recordId: string) {
  const { tenant, keys } = await newTenant("us");
  await push(keys["store-1"]!, [change(recordId, "insert", { a: 1 })]);
  const event = (await admin("GET", `/tenants/${tenant}/records/customer/${recordId}/audit`)).json.items[0].event;
  return { tenant, event, sub: await newSubscriber(tenant) };
}

async function consume(tenant: string, recordId: string, event: DeliverMessage["event"], routes: RouteAttempt[], trail: string): Promise<void> {
  const body: DeliverMessage = { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId, routingVersion: 0, event, routes };
  const batch = createMessageBatch<DeliverMessage>("deliveries-us", [{ id: `m-${recordId}-${routes[0]!.id}`, timestamp: Date.now(), attempts: 1, body }]);
  await consumeDeliveries(batch as MessageBatch, { ...env, RECORD_TRAIL: trail } as Env, "us");
}

async function trailOf(tenant: string, recordId: string): Promise<{ sequence: number; outcomes: { route: string; outcome: string }[] }[]> {
  return (await admin("GET", `/tenants/${tenant}/records/customer/${recordId}/deliveries`)).json.items;
}

const first = (id: string, extra: Partial<RouteAttempt> = {}): RouteAttempt => ({ id, attempt: 1, generation: 0, history: [], ...extra });

describe("RECORD_TRAIL=exceptions", () => {
  it("leaves a first-attempt success on an unordered route to the attempt log", async () => {
    const { tenant, event, sub } = await recordWithEvent("quiet");
    const path = freshPath("quiet");
    const route = await newRoute(tenant, sub, path);
    await consume(tenant, "quiet", event, [first(route.id)], "exceptions");
    expect((await receivedAtLeast(path, 1))[0]!.headers["webhook-id"]).toBe(event.id);
    expect(await trailOf(tenant, "quiet")).toEqual([]);
    const log = (await admin("GET", `/tenants/${tenant}/routes/${route.id}/deliveries`)).json.items;
    expect(log.map((a: any) => [a.eventId, a.outcome])).toEqual([[event.id, "delivered"]]);
  });

  it("reports a failed attempt, and the success that follows a retry", async () => {
    const { tenant, event, sub } = await recordWithEvent("flaky");
    const path = freshPath("flaky");
    await script(path, [500]);
    const route = await newRoute(tenant, sub, path, { retrySchedule: [60] });
    await consume(tenant, "flaky", event, [first(route.id)], "exceptions");
    await consume(tenant, "flaky", event, [first(route.id, { attempt: 2 })], "exceptions");
    const trail = await trailOf(tenant, "flaky");
    expect(trail.map((t) => t.outcomes.map((o) => o.outcome)).sort()).toEqual([["delivered"], ["failed"]]);
  });

  it("reports every outcome of a FIFO route, planned or configured, and of a replay", async () => {
    const { tenant, event, sub } = await recordWithEvent("ordered");
    const planned = await newRoute(tenant, sub, freshPath("planned"));
    const configured = await newRoute(tenant, sub, freshPath("configured"), { ordering: "per-record" });
    const replayed = await newRoute(tenant, sub, freshPath("replayed"));
    await consume(tenant, "ordered", event, [first(planned.id, { fifo: true })], "exceptions");
    await consume(tenant, "ordered", event, [first(configured.id)], "exceptions");
    await consume(tenant, "ordered", event, [first(replayed.id, { generation: 1 })], "exceptions");
    const routes = (await trailOf(tenant, "ordered")).flatMap((t) => t.outcomes.map((o) => o.route));
    expect(routes.sort()).toEqual([planned.id, configured.id, replayed.id].sort());
  });

  it("RECORD_TRAIL=all reports the routine success too; an unknown value fails the batch", async () => {
    const { tenant, event, sub } = await recordWithEvent("loud");
    const route = await newRoute(tenant, sub, freshPath("loud"));
    await consume(tenant, "loud", event, [first(route.id)], "all");
    expect((await trailOf(tenant, "loud")).map((t) => t.outcomes.map((o) => o.outcome))).toEqual([["delivered"]]);
    await expect(consume(tenant, "loud", event, [first(route.id)], "All")).rejects.toThrow(/RECORD_TRAIL must be one of exceptions, all/);
  });
});
