/**
 * Bench counters (workers/bench) in workerd, BENCH_COUNTERS=1 (vitest.config.ts): one change on
 * one route, through the real Worker, its objects, queues, D1 and R2, gives the counts the
 * code's design says; and with the flag unset nothing is wrapped and /__bench/* is a 404.
 */
import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../workers/index";
import { countingEnv } from "../workers/bench/bindings";
import { withBenchCounters } from "../workers/bench/handler";
import { benchObject, benchSql } from "../workers/bench/object";
import { change, newTenant, push } from "./helpers";
import { freshPath, newRoute, newSubscriber, receivedAtLeast, waitFor } from "./fanout-helpers";

type Counts = Record<string, any>;
type Report = { counts: Counts; dollars: { total: number; byItem: Record<string, number> }; since: string };

const BASE = "http://changecast.test";
const counters = async (): Promise<Report> => (await SELF.fetch(`${BASE}/__bench/counters`)).json();
const reset = async () => expect((await SELF.fetch(`${BASE}/__bench/counters/reset`, { method: "POST" })).status).toBe(200);

/** The delivery queues' shards together (a route's shard is a hash of its id): deliveries-us, deliveries-us-1, … */
function deliveries(c: Counts): { produced: Counts; consumed: Counts } {
  const add = (into: Counts, from: Counts) => Object.entries(from).forEach(([k, v]) => (into[k] = (into[k] ?? 0) + (v as number)));
  const produced: Counts = {};
  const consumed: Counts = {};
  for (const [binding, q] of Object.entries(c.queueProduced as Counts)) if (binding.startsWith("DELIVERIES_US")) add(produced, q);
  for (const [queue, q] of Object.entries(c.queueConsumed as Counts)) if (/^deliveries-us(-\d+)?$/.test(queue)) add(consumed, q);
  return { produced, consumed };
}

/**
 * Until the delivery consumer acked its messages (each after writing the audit entry it carries)
 * and the outcome report reached the record's object.
 */
async function settled(deliveriesAcked: number, recordCalls: number): Promise<Report> {
  return waitFor("the change's queue and outcome report", async () => {
    const r = await counters();
    const c = r.counts;
    const done = (deliveries(c).consumed.acked ?? 0) >= deliveriesAcked
      && (c.doRequestsByNamespace.MASTER_RECORD ?? 0) >= recordCalls;
    return done ? r : null;
  }, 20_000);
}

/** b − a for every number in the report's counts (nested), for the marginal cost of one change. */
function minus(b: Counts, a: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v === "number") out[k] = v - ((a[k] as number | undefined) ?? 0);
    else if (v && typeof v === "object" && !Array.isArray(v)) out[k] = minus(v, (a[k] as Counts | undefined) ?? {});
  }
  return out;
}

describe("bench counters, enabled", () => {
  it("count one change on one route: object calls, SQLite rows, queue operations, R2, D1, invocations", async () => {
    const { tenant, keys } = await newTenant();
    const sub = await newSubscriber(tenant);
    const path = freshPath("bench");
    await newRoute(tenant, sub, path);
    await reset();

    // The first change also creates the record's object (its schema) and sets its alarm.
    await push(keys["store-1"]!, [change("bench-1")]);
    await receivedAtLeast(path, 1);
    const first = await settled(1, 2);
    // The second is the steady state: the same record, its object warm.
    const pushed = await push(keys["store-1"]!, [change("bench-1")]);
    expect(pushed.results[0]!.status).toBe("accepted");
    await receivedAtLeast(path, 2);
    const second = await settled(2, 4);
    const one = minus(second.counts, first.counts);
    console.log("one change, one route:", JSON.stringify(one), "dollars:", second.dollars.total);

    expect(one.workerInvocations).toEqual({ fetch: 1, queue: 1, scheduled: 0 }); // POST; one delivery batch (it writes the audit entry too)
    // apply(), then the consumer's outcome report; the route's health: one permit and one release.
    expect(one.doRequestsByNamespace).toEqual({ MASTER_RECORD: 2, ROUTE_HEALTH: 2 });
    // dedupe row, audit row (with the state), meta row (after shipping: state and outbox cursors), delivery_log row.
    expect(one.doSqlByClass.MasterRecord.rowsWritten).toBe(4);
    expect(one.doSqlByClass.MasterRecord.setAlarms).toBe(0); // already set by the first change
    // One small delivery message carrying the audit entry: a write, a read and a delete; no audit message.
    expect(one.queueProduced.AUDIT_QUEUE ?? { messages: 0, writeOps: 0 }).toEqual({ messages: 0, writeOps: 0 });
    expect(one.queueConsumed["changecast-audit"]?.messages ?? 0).toBe(0);
    const delivery = minus(deliveries(second.counts), deliveries(first.counts));
    expect(delivery.produced).toEqual({ messages: 1, writeOps: 1 });
    expect(delivery.consumed).toEqual({ messages: 1, readOps: 1, acked: 1, deleteOps: 1, retried: 0 });
    expect(one.queueOps).toBe(3);
    expect(one.r2ByOperation).toEqual({ put: 1 }); // one audit segment (Class A), by the delivery consumer
    expect(one.r2ClassA).toBe(1);
    expect(one.d1RowsWritten).toBeGreaterThanOrEqual(1); // the attempt-log row of the consumer batch
    expect(one.d1RowsRead).toBeGreaterThanOrEqual(1); // the key lookup, the route's target
    expect(one.doActiveMsByNamespace.MASTER_RECORD).toBeGreaterThan(0);

    // The first change paid the object's creation too: its schema, its identity in meta and its alarm.
    expect(first.counts.doSqlByClass.MasterRecord.rowsWritten).toBeGreaterThanOrEqual(5);
    expect(first.counts.doSqlByClass.MasterRecord.setAlarms).toBe(1);

    // Dollars are the cost model applied to the counts.
    const d = second.dollars;
    expect(d.byItem.queueOps).toBeCloseTo((second.counts.queueOps * 0.4) / 1e6, 12);
    expect(d.byItem.doRowsWritten).toBeCloseTo((second.counts.doRowsWritten * 1) / 1e6, 12);
    expect(d.total).toBeCloseTo(Object.values(d.byItem).reduce((a, b) => a + b, 0), 12);
    expect(Date.parse(second.since)).toBeGreaterThan(Date.parse("2026-01-01"));
  });

  it("reset zeroes the counts and moves `since`", async () => {
    await SELF.fetch(`${BASE}/`);
    const before = await counters();
    await new Promise((r) => setTimeout(r, 5));
    await reset();
    const after = await counters();
    expect(after.counts.workersRequests).toBe(0);
    expect(after.dollars.total).toBe(0);
    expect(Date.parse(after.since)).toBeGreaterThan(Date.parse(before.since));
  });
});

describe("bench counters, disabled (production)", () => {
  const off = { ...env, BENCH_COUNTERS: undefined } as unknown as Env;

  it.each(["GET /__bench/counters", "POST /__bench/counters/reset"])("%s is a 404 from the app", async (call) => {
    const [method, path] = call.split(" ") as [string, string];
    const ctx = createExecutionContext();
    const res = await worker.fetch!(new Request(BASE + path, { method }) as Request<unknown, IncomingRequestCfProperties>, off, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("the handler gets its own arguments, untouched", async () => {
    const seen: unknown[][] = [];
    const inner: ExportedHandler<Env> = {
      fetch: (...args) => (seen.push(args), new Response("inner")),
      queue: async (...args) => void seen.push(args),
      scheduled: async (...args) => void seen.push(args),
    };
    const wrapped = withBenchCounters(inner);
    const ctx = createExecutionContext();
    const request = new Request(`${BASE}/__bench/counters`) as Request<unknown, IncomingRequestCfProperties>;
    expect(await (await wrapped.fetch!(request, off, ctx)).text()).toBe("inner");
    const batch = { queue: "q", messages: [], metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } }, ackAll() {}, retryAll() {} } as MessageBatch;
    await wrapped.queue!(batch, off, ctx);
    const controller = { scheduledTime: 0, cron: "", noRetry() {} } as ScheduledController;
    await wrapped.scheduled!(controller, off, ctx);
    expect(seen).toHaveLength(3);
    for (const [i, first] of [request, batch, controller].entries()) {
      expect(seen[i]![0]).toBe(first);
      expect(seen[i]![1]).toBe(off);
      expect(seen[i]![2]).toBe(ctx);
    }
  });

  it("the factories answer the very objects they were given", () => {
    const sql = {} as SqlStorage;
    const state = { storage: { sql } } as unknown as DurableObjectState;
    expect(countingEnv(off)).toBe(off);
    const [s, e] = benchObject("MasterRecord", state, off);
    expect(s).toBe(state);
    expect(e).toBe(off);
    expect(benchSql("RouteHealth", state, off)).toBe(sql);
  });

  it("enabled, they wrap (the same checks would pass by accident otherwise)", () => {
    const on = { ...env, BENCH_COUNTERS: "1" } as unknown as Env;
    const wrapped = countingEnv(on);
    expect(wrapped).not.toBe(on);
    expect(wrapped.DB).not.toBe(on.DB);
    expect(wrapped.MASTER_RECORD).not.toBe(on.MASTER_RECORD);
    expect(wrapped.DELIVERIES_US).not.toBe(on.DELIVERIES_US);
    expect(wrapped.AUDIT_BUCKET).not.toBe(on.AUDIT_BUCKET);
    expect(wrapped.ADMIN_TOKEN).toBe(on.ADMIN_TOKEN);
    expect(countingEnv(wrapped)).toBe(wrapped); // never wrapped twice
  });
});
