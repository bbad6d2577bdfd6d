/**
 * Audit entries riding on delivery messages (durable-objects/outbox.ts → workers/audit/carried.ts):
 * through the real Worker, queues, receiver and R2. An entry whose event has a delivery message is
 * written by the delivery consumer, once, before the webhook; the others still take the audit
 * queue. The two paths are told apart by chunk ids: two entries of one page on the audit queue
 * share one chunk (1..2), on delivery messages each has its own (n..n). R2 puts and audit-queue
 * messages are read from the bench counters (BENCH_COUNTERS=1 in the suite; module state of this
 * file's isolate, and this file's tests run one after the other): a duplicate write of a lone
 * chunk lands on the same segment key and would not show in R2, but its put does.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AuditEntry } from "../shared/audit/entry";
import { chunkIdFor } from "../shared/audit/shipping";
import type { DeliverMessage } from "../shared/delivery/message";
import { consumeDeliveries, consumeDeliveryDlq } from "../workers/delivery/consumer";
import { admin, change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, received, receivedAtLeast, script, waitFor } from "./fanout-helpers";

type Segment = { key: string; entries: AuditEntry[]; chunks: string[] };

async function segments(tenant: string): Promise<Segment[]> {
  const listed = await env.AUDIT_BUCKET.list({ prefix: `audit/v1/${tenant}/` });
  return Promise.all(
    listed.objects.map(async (o) => {
      const lines = (await (await env.AUDIT_BUCKET.get(o.key))!.text()).trim().split("\n").map((l) => JSON.parse(l));
      return { key: o.key, entries: lines.slice(0, -1), chunks: lines[lines.length - 1].chunks };
    }),
  );
}

/** Waits for `count` entries in the tenant's segments, then a little longer, so a duplicate would show. */
async function settledSegments(tenant: string, count: number): Promise<{ entries: string[]; chunks: string[] }> {
  await waitFor(`${count} audit entries of ${tenant} in R2`, async () => (await segments(tenant)).flatMap((s) => s.entries).length >= count);
  await new Promise((r) => setTimeout(r, 1500));
  const found = await segments(tenant);
  return { entries: found.flatMap((s) => s.entries.map((e) => `${e.recordId}#${e.sequence}`)).sort(), chunks: found.flatMap((s) => s.chunks).sort() };
}

const chunk = (tenant: string, recordId: string, first: number, last: number) => chunkIdFor(tenant, "customer", recordId, first, last);

/** R2 puts and audit-queue messages so far (workers/bench counters). */
async function billed(): Promise<{ r2Puts: number; auditMessages: number }> {
  const { counts } = (await (await SELF.fetch("http://changecast.test/__bench/counters")).json()) as any;
  return { r2Puts: counts.r2ByOperation.put ?? 0, auditMessages: counts.queueProduced.AUDIT_QUEUE?.messages ?? 0 };
}
async function billedSince(before: { r2Puts: number; auditMessages: number }) {
  const now = await billed();
  return { r2Puts: now.r2Puts - before.r2Puts, auditMessages: now.auditMessages - before.auditMessages };
}

describe("audit entries on delivery messages", () => {
  it("a record with a route: each entry reaches R2 once, on its event's delivery message, not the audit queue", async () => {
    const { tenant, keys } = await newTenant();
    const path = freshPath("aod-route");
    await newRoute(tenant, await newSubscriber(tenant), path);
    const before = await billed();
    await push(keys["store-1"]!, [change("r1", "insert", { a: 1 }), change("r1", "update", { a: 2 })]);
    await receivedAtLeast(path, 2);
    const { entries, chunks } = await settledSegments(tenant, 2);
    expect(entries).toEqual(["r1#1", "r1#2"]);
    // On the audit queue this one page would have been one message, chunk (1..2).
    expect(chunks).toEqual([chunk(tenant, "r1", 1, 1), chunk(tenant, "r1", 2, 2)].sort());
    expect((await billedSince(before)).auditMessages).toBe(0);
  });

  it("a record no route matches: its entries still take the audit queue", async () => {
    const { tenant, keys } = await newTenant();
    await newRoute(tenant, await newSubscriber(tenant), freshPath("aod-none"), { filter: [{ prefix: { subject: "supplier/" } }] });
    const before = await billed();
    await push(keys["store-1"]!, [change("r2", "insert", { a: 1 }), change("r2", "update", { a: 2 })]);
    const { entries, chunks } = await settledSegments(tenant, 2);
    expect(entries).toEqual(["r2#1", "r2#2"]);
    expect(chunks).toEqual([chunk(tenant, "r2", 1, 2)]);
    expect(await billedSince(before)).toEqual({ r2Puts: 1, auditMessages: 1 });
  });

  it("a FIFO route holds event 2: entry 1 rides, entry 2 takes the audit queue, and the release carries none", async () => {
    const { tenant, keys } = await newTenant();
    const path = freshPath("aod-fifo");
    await newRoute(tenant, await newSubscriber(tenant), path, { ordering: "per-record" });
    const before = await billed();
    await push(keys["store-1"]!, [change("r3", "insert", { a: 1 }), change("r3", "update", { a: 2 })]);
    await receivedAtLeast(path, 2);
    const { entries, chunks } = await settledSegments(tenant, 2);
    expect(entries).toEqual(["r3#1", "r3#2"]);
    expect(chunks).toEqual([chunk(tenant, "r3", 1, 1), chunk(tenant, "r3", 2, 2)].sort());
    // Entry 2 on the audit queue, entry 1 by the delivery consumer: two puts, never a third.
    expect(await billedSince(before)).toEqual({ r2Puts: 2, auditMessages: 1 });
  });

  it("a route that fails then succeeds: the retry message does not write the entry again", async () => {
    const { tenant, keys } = await newTenant();
    const path = freshPath("aod-retry");
    await script(path, [500, 200]);
    await newRoute(tenant, await newSubscriber(tenant), path, { retrySchedule: [1] });
    const before = await billed();
    await push(keys["store-1"]!, [change("r4", "insert", { a: 1 })]);
    await receivedAtLeast(path, 2);
    const { entries } = await settledSegments(tenant, 1);
    expect(entries).toEqual(["r4#1"]);
    expect(await billedSince(before)).toEqual({ r2Puts: 1, auditMessages: 0 });
  });

  it("routes in two regions (and two us shards): one message carries the entry, written once", async () => {
    const { tenant, keys } = await newTenant("us");
    const sub = await newSubscriber(tenant);
    const paths = [freshPath("aod-us-a"), freshPath("aod-us-b"), freshPath("aod-eu")];
    await newRoute(tenant, sub, paths[0]!, { region: "us" });
    await newRoute(tenant, sub, paths[1]!, { region: "us" });
    await newRoute(tenant, sub, paths[2]!, { region: "eu" });
    const before = await billed();
    await push(keys["store-1"]!, [change("r5", "insert", { a: 1 })]);
    for (const p of paths) await receivedAtLeast(p, 1);
    const { entries, chunks } = await settledSegments(tenant, 1);
    expect(entries).toEqual(["r5#1"]);
    expect(chunks).toEqual([chunk(tenant, "r5", 1, 1)]);
    expect(await billedSince(before)).toEqual({ r2Puts: 1, auditMessages: 0 });
  });
});

/** A record's first entry, pushed before any route exists; its audit-queue segment is then removed. */
async function carriedMessage(name: string): Promise<{ tenant: string; path: string; message: DeliverMessage }> {
  const { tenant, keys } = await newTenant();
  await push(keys["store-1"]!, [change(name, "insert", { a: 1 })]);
  await settledSegments(tenant, 1);
  for (const s of await segments(tenant)) await env.AUDIT_BUCKET.delete(s.key);
  const entry: AuditEntry = (await admin("GET", `/tenants/${tenant}/records/customer/${name}/audit`)).json.items[0];
  const path = freshPath(name);
  const route = await newRoute(tenant, await newSubscriber(tenant), path);
  const message: DeliverMessage = { v: 1, kind: "deliver", tenant, recordRegion: "us", recordType: "customer", recordId: name, routingVersion: 0, event: entry.event, routes: [{ id: route.id, attempt: 1, generation: 0, history: [] }], audit: entry };
  return { tenant, path, message };
}

/** env whose R2 puts fail (an outage); lists and reads still reach the real bucket. */
function failingPuts(): Env {
  const bucket = env.AUDIT_BUCKET;
  const failing = new Proxy(bucket, {
    get: (target, prop) => {
      if (prop === "put") return async () => Promise.reject(new Error("R2 unavailable (test)"));
      const value = (target as any)[prop];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { ...env, AUDIT_BUCKET: failing };
}

async function consume(message: DeliverMessage, testEnv: Env, attempts: number) {
  const batch = createMessageBatch<DeliverMessage>("deliveries-us", [{ id: "m1", timestamp: new Date(Date.now() - 2_000), attempts, body: message }]);
  const ctx = createExecutionContext();
  await consumeDeliveries(batch as MessageBatch, testEnv, "us");
  return getQueueResult(batch, ctx);
}

describe("audit before delivery (the consumer, called directly)", () => {
  it("R2 put fails: the webhook is not sent, the message is retried; redelivered, it writes once and delivers", async () => {
    const { tenant, path, message } = await carriedMessage("aod-fail");
    const failed = await consume(message, failingPuts(), 1);
    expect(failed.retryMessages).toEqual([{ msgId: "m1" }]); // the delay (10 s) is not in the local queue result
    expect(failed.explicitAcks).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await received(path)).toHaveLength(0);
    expect(await segments(tenant)).toHaveLength(0);

    const retried = await consume(message, env, 2);
    expect(retried.explicitAcks).toEqual(["m1"]);
    expect(await received(path)).toHaveLength(1);
    // Written, then redelivered once more (say the ack was lost): delivered again, not written again.
    const again = await consume(message, env, 3);
    expect(again.explicitAcks).toEqual(["m1"]);
    expect((await segments(tenant)).flatMap((s) => s.entries)).toHaveLength(1);
  });

  it("the platform DLQ hands an entry missing from R2 back to the audit queue, and one already there not", async () => {
    const missing = await carriedMessage("aod-dlq-missing");
    const written = await carriedMessage("aod-dlq-written");
    await consume(written.message, env, 1); // written.message's entry is now in R2
    const batch = createMessageBatch<DeliverMessage>("deliveries-us-dlq", [
      { id: "d1", timestamp: new Date(), attempts: 1, body: missing.message },
      { id: "d2", timestamp: new Date(), attempts: 1, body: written.message },
    ]);
    await consumeDeliveryDlq(batch as MessageBatch, env);
    expect((await settledSegments(missing.tenant, 1)).entries).toEqual(["aod-dlq-missing#1"]);
    expect((await settledSegments(written.tenant, 1)).entries).toEqual(["aod-dlq-written#1"]);
    // The dead letter keeps the event, never the audit entry.
    const dl = (await admin("GET", `/tenants/${missing.tenant}/dead-letters`)).json.items[0];
    expect(dl.eventId).toBe(missing.message.event.id);
    expect(JSON.stringify(dl)).not.toContain(missing.message.audit!.hash);
  });
});
