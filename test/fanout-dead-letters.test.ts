import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../workers/index";
import type { DeliverMessage } from "../shared/delivery/message";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor } from "./fanout-helpers";

async function deadLetters(tenant: string, query = ""): Promise<any[]> {
  return (await admin("GET", `/tenants/${tenant}/dead-letters${query}`)).json.items;
}

describe("dead letters", () => {
  it("skip closes a dead letter without delivering it", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("skip");
    await script(path, [500, 500]);
    const route = await newRoute(tenant, sub, path, { retrySchedule: [1] });
    await push(keys["store-1"]!, [change("skip-1", "insert", { a: 1 })]);
    const [dl] = await waitFor("dead letter", async () => {
      const items = await deadLetters(tenant, `?routeId=${route.id}`);
      return items.length ? items : null;
    });
    const skipped = await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/skip`);
    expect(skipped.json.status).toBe("skipped");
    expect((await admin("POST", `/tenants/${tenant}/dead-letters/${dl.id}/replay`)).status).toBe(409);
    expect(await deadLetters(tenant, "?status=open")).toHaveLength(0);
    expect(await deadLetters(tenant, "?status=skipped")).toHaveLength(1);
  });

  it("bulk replay by route answers a job and delivers every open dead letter of that route", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const [down, other] = [freshPath("bulk"), freshPath("bulk-other")];
    await script(down, Array(6).fill(500));
    await script(other, Array(6).fill(500));
    const route = await newRoute(tenant, sub, down, { retrySchedule: [1] });
    const otherRoute = await newRoute(tenant, sub, other, { retrySchedule: [1] });
    await push(keys["store-1"]!, [change("b1", "insert", { a: 1 }), change("b2", "insert", { a: 2 }), change("b3", "insert", { a: 3 })]);
    await waitFor("3 dead letters", async () => (await deadLetters(tenant, `?routeId=${route.id}`)).length === 3);
    await waitFor("other route's dead letters", async () => (await deadLetters(tenant, `?routeId=${otherRoute.id}`)).length >= 1);

    const job = await admin("POST", `/tenants/${tenant}/dead-letters/replay`, { routeId: route.id });
    expect(job.status).toBe(202);
    expect(job.json).toMatchObject({ id: expect.stringMatching(/^rj_/), total: 3, done: 0, status: "running" });
    const finished = await waitFor("job done", async () => {
      const j = (await admin("GET", `/tenants/${tenant}/dead-letters/replay-jobs/${job.json.id}`)).json;
      return j.status === "done" ? j : null;
    });
    expect(finished).toMatchObject({ total: 3, done: 3 });
    const got = await receivedAtLeast(down, 9);
    expect(new Set(got.slice(6).map((r) => r.headers["webhook-id"])).size).toBe(3);
    // The other route's dead letters were not part of the job.
    expect((await deadLetters(tenant, `?routeId=${otherRoute.id}&status=open`)).length).toBeGreaterThanOrEqual(1);
  });

  it("pages with a cursor and filters by time", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("page");
    await script(path, Array(6).fill(500));
    const route = await newRoute(tenant, sub, path, { retrySchedule: [1] });
    await push(keys["store-1"]!, ["p1", "p2", "p3"].map((id) => change(id, "insert", { a: 1 })));
    await waitFor("3 dead letters", async () => (await deadLetters(tenant)).length === 3);
    const first = await admin("GET", `/tenants/${tenant}/dead-letters?limit=2`);
    expect(first.json.items).toHaveLength(2);
    const second = await admin("GET", `/tenants/${tenant}/dead-letters?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.items).toHaveLength(1);
    expect(second.json.nextCursor).toBeNull();
    expect(await deadLetters(tenant, `?routeId=${route.id}&to=2000-01-01T00:00:00Z`)).toHaveLength(0);
    expect((await admin("GET", `/tenants/${tenant}/dead-letters?from=yesterday`)).status).toBe(400);
  });

  it("the platform DLQ consumer stores what reached it as dead letters", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const route = await newRoute(tenant, sub, freshPath("dlq"));
    const { results } = await push(keys["store-1"]!, [change("dlq-1", "insert", { a: 1 })]);
    const entry = (await admin("GET", `/tenants/${tenant}/records/customer/dlq-1/audit`)).json.items[0];
    const body: DeliverMessage = { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: "dlq-1", routingVersion: 1, event: entry.event, routes: [{ id: route.id, attempt: 2, generation: 0, history: [] }] };
    const batch = createMessageBatch<DeliverMessage>("deliveries-us-dlq", [{ id: "m1", timestamp: Date.now(), attempts: 6, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    expect((await getQueueResult(batch, ctx)).ackAll).toBe(true);
    const [dl] = await deadLetters(tenant, `?routeId=${route.id}`);
    expect(dl).toMatchObject({ eventId: results[0]!.eventId, status: "open", reason: expect.stringContaining("platform DLQ") });
  });
});

describe("at-most-once", () => {
  it("makes exactly one attempt and records the failure without a dead letter", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("amo");
    await script(path, [500, 500]);
    const route = await newRoute(tenant, sub, path, { guarantee: "at-most-once", retrySchedule: [1, 1] });
    await push(keys["store-1"]!, [change("amo-1", "insert", { a: 1 })]);
    await receivedAtLeast(path, 1);
    const log = await waitFor("attempt log", async () => (await admin("GET", `/tenants/${tenant}/routes/${route.id}/deliveries?status=failed`)).json.items[0]);
    expect(log).toMatchObject({ outcome: "failed", httpStatus: 500, attempt: 1 });
    await new Promise((r) => setTimeout(r, 3000));
    expect(await received(path)).toHaveLength(1);
    expect(await deadLetters(tenant)).toHaveLength(0);
  });
});
