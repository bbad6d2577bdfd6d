/**
 * Two FIFO routes of one record settle at the same time (their deliveries came from different
 * consumer invocations, e.g. two queue shards). Releasing a route's next event awaits a queue
 * send, during which the other report runs: neither may overwrite the other's cursor, or that
 * route's stream would wait for ever on an event already released.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { MasterRecord } from "../durable-objects/master-record";
import type { DeliveryOutcome } from "../durable-objects/master-record-storage";
import { masterRecordStub } from "../durable-objects/record-address";
import { change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, receivedAtLeast, script } from "./fanout-helpers";

const delivered = (route: string): DeliveryOutcome => ({ route, attempt: 1, outcome: "delivered", disposition: "delivered", httpStatus: 204, at: Date.now(), latencyMs: 5, final: true });

describe("FIFO cursors of several routes", () => {
  it("two routes' outcomes for the same event, reported concurrently, both release the next event", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const paths = [freshPath("fifo-a"), freshPath("fifo-b")];
    // The real consumer's first attempts fail and retry a minute later: only this test settles event 1.
    for (const p of paths) await script(p, [500]);
    const routes = await Promise.all(paths.map((p) => newRoute(tenant, sub, p, { ordering: "per-record", retrySchedule: [60] })));
    const { results } = await push(keys["store-1"]!, [change("two-routes", "insert", { n: 1 }), change("two-routes", "update", { n: 2 })]);
    expect(results.map((r) => r.sequence)).toEqual([1, 2]);
    for (const p of paths) await receivedAtLeast(p, 1);

    const stub = masterRecordStub(env.MASTER_RECORD, { tenant, region: "us", recordType: "customer", recordId: "two-routes" }, "emulate");
    expect(await stub.readFifo()).toEqual({ [routes[0]!.id]: { inFlight: 1, blocked: false }, [routes[1]!.id]: { inFlight: 1, blocked: false } });
    // Both calls start in the same turn, so the second runs while the first awaits its queue send:
    // the interleaving two consumer invocations can produce, made certain.
    await runInDurableObject(stub, (instance: MasterRecord) => Promise.all(routes.map((r) => instance.recordDeliveries(1, [delivered(r.id)]))));
    expect(await stub.readFifo()).toEqual({ [routes[0]!.id]: { inFlight: 2, blocked: false }, [routes[1]!.id]: { inFlight: 2, blocked: false } });
  });
});
