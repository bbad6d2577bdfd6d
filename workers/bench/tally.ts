/**
 * Bench counters (BENCH_COUNTERS=1 only): what the Worker and its Durable Objects did that
 * Cloudflare bills, counted as it happens, and priced by the cost model (shared/cost).
 *
 * One module-global tally is exact because, under local workerd (wrangler dev and the vitest
 * pool), the Worker's handlers and every Durable Object of its classes run in one isolate and
 * share module state: the object-side counts (SQLite rows, alarms) reach the Worker's
 * /__bench/counters endpoint. test/bench-counters.test.ts fails if that ever stops being true
 * (it expects rows written by the objects). In production objects live in other isolates and
 * machines; the counters are a local bench tool and production never enables them.
 */
import { costOf, doDurationGbS, type Cost, type Usage } from "../../shared/cost/model";

type QueueProduced = { messages: number; writeOps: number };
type QueueConsumed = { messages: number; readOps: number; acked: number; deleteOps: number; retried: number };
type SqlCounts = { rowsRead: number; rowsWritten: number; setAlarms: number };

type Tally = {
  since: number;
  workerInvocations: { fetch: number; queue: number; scheduled: number };
  /** RPC calls and fetches on stubs, by namespace binding (billed one request each). */
  doRequests: Record<string, number>;
  /** Alarm invocations, by object class (billed as requests). */
  doAlarms: Record<string, number>;
  /** Per object, the union of the intervals its calls were in flight, summed by namespace (ms). */
  doActiveMs: Record<string, number>;
  doSql: Record<string, SqlCounts>;
  queueProduced: Record<string, QueueProduced>;
  queueConsumed: Record<string, QueueConsumed>;
  r2: Record<string, number>;
  d1: { queries: number; rowsRead: number; rowsWritten: number };
};

function emptyTally(now: number): Tally {
  return {
    since: now,
    workerInvocations: { fetch: 0, queue: 0, scheduled: 0 },
    doRequests: {}, doAlarms: {}, doActiveMs: {}, doSql: {},
    queueProduced: {}, queueConsumed: {}, r2: {},
    d1: { queries: 0, rowsRead: 0, rowsWritten: 0 },
  };
}

// Made on first use: at module load workerd's clock still reads 1970.
let current: Tally | null = null;
const tallyNow = (): Tally => (current ??= emptyTally(Date.now()));
/** Objects with calls in flight: since when (the start of the current busy interval) and how many. */
const busy = new Map<string, { since: number; calls: number }>();

export function resetTally(now: number): void {
  current = emptyTally(now);
  for (const b of busy.values()) b.since = now; // calls in flight count from the reset on
}

const bump = (map: Record<string, number>, key: string, by = 1) => void (map[key] = (map[key] ?? 0) + by);

export const count = {
  invocation(kind: keyof Tally["workerInvocations"]): void {
    tallyNow().workerInvocations[kind] += 1;
  },
  doRequest(namespace: string): void {
    bump(tallyNow().doRequests, namespace);
  },
  doAlarm(className: string): void {
    bump(tallyNow().doAlarms, className);
  },
  /** A call to one object started; the answer ends it. Overlapping calls to one object count once. */
  doCallStarted(namespace: string, objectId: string, now: number): () => void {
    const key = `${namespace}\u0000${objectId}`;
    const b = busy.get(key) ?? { since: now, calls: 0 };
    b.calls += 1;
    busy.set(key, b);
    return () => {
      b.calls -= 1;
      if (b.calls > 0) return;
      busy.delete(key);
      bump(tallyNow().doActiveMs, namespace, Date.now() - b.since);
    };
  },
  sql(className: string, rowsRead: number, rowsWritten: number): void {
    const c = (tallyNow().doSql[className] ??= { rowsRead: 0, rowsWritten: 0, setAlarms: 0 });
    c.rowsRead += rowsRead;
    c.rowsWritten += rowsWritten;
  },
  setAlarm(className: string): void {
    (tallyNow().doSql[className] ??= { rowsRead: 0, rowsWritten: 0, setAlarms: 0 }).setAlarms += 1;
  },
  queueSent(binding: string, messages: number, writeOps: number): void {
    const q = (tallyNow().queueProduced[binding] ??= { messages: 0, writeOps: 0 });
    q.messages += messages;
    q.writeOps += writeOps;
  },
  queueConsumed(queue: string, delta: Partial<QueueConsumed>): void {
    const q = (tallyNow().queueConsumed[queue] ??= { messages: 0, readOps: 0, acked: 0, deleteOps: 0, retried: 0 });
    for (const [k, v] of Object.entries(delta) as [keyof QueueConsumed, number][]) q[k] += v;
  },
  r2(operation: string): void {
    bump(tallyNow().r2, operation);
  },
  d1(rowsRead: number, rowsWritten: number): void {
    const d1 = tallyNow().d1;
    d1.queries += 1;
    d1.rowsRead += rowsRead;
    d1.rowsWritten += rowsWritten;
  },
};

/** Class A: writes and lists; Class B: reads (r2/pricing). DeleteObject and abort are free. */
const R2_CLASS_A = new Set(["put", "list", "createMultipartUpload", "uploadPart", "complete"]);
const R2_CLASS_B = new Set(["get", "head"]);

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

export type CountsReport = { counts: Record<string, unknown>; dollars: Cost; since: string };

/** The tally as billable units (the cost model's items) and with its breakdowns. */
export function reportTally(): CountsReport {
  const t = tallyNow();
  const sql = Object.values(t.doSql);
  const produced = Object.values(t.queueProduced);
  const consumed = Object.values(t.queueConsumed);
  const activeMs = sum(Object.values(t.doActiveMs));
  const usage: Usage = {
    // Assumption (docs/scale.md): each queue consumer batch is billed as a Worker request, like cron.
    workersRequests: t.workerInvocations.fetch + t.workerInvocations.queue + t.workerInvocations.scheduled,
    doRequests: sum(Object.values(t.doRequests)) + sum(Object.values(t.doAlarms)),
    doRowsRead: sum(sql.map((s) => s.rowsRead)),
    // "Each setAlarm() is billed as a single row written."
    doRowsWritten: sum(sql.map((s) => s.rowsWritten + s.setAlarms)),
    queueOps: sum(produced.map((q) => q.writeOps)) + sum(consumed.map((q) => q.readOps + q.deleteOps)),
    r2ClassA: sum(Object.entries(t.r2).filter(([op]) => R2_CLASS_A.has(op)).map(([, n]) => n)),
    r2ClassB: sum(Object.entries(t.r2).filter(([op]) => R2_CLASS_B.has(op)).map(([, n]) => n)),
    d1RowsRead: t.d1.rowsRead,
    d1RowsWritten: t.d1.rowsWritten,
  };
  return {
    counts: {
      ...usage,
      workerInvocations: t.workerInvocations,
      doRequestsByNamespace: t.doRequests,
      doAlarmsByClass: t.doAlarms,
      // Caller-side wall time of the calls (overlapping calls to one object counted once), and its
      // GB-s. Not priced: under local workerd it is mostly waiting for a shared CPU, not what an
      // object on its own machine would be billed for. docs/scale.md estimates duration instead.
      doActiveMsByNamespace: t.doActiveMs,
      doDurationGbSUpperBound: doDurationGbS(activeMs),
      doSqlByClass: t.doSql,
      queueProduced: t.queueProduced,
      queueConsumed: t.queueConsumed,
      r2ByOperation: t.r2,
      d1Queries: t.d1.queries,
      // Not measurable (CPU, storage) or not faithful (duration) locally; docs/scale.md estimates them.
      notPriced: ["workersCpuMs", "doDurationGbS", "doStorageGbMonth", "r2StorageGbMonth", "d1StorageGbMonth"],
    },
    dollars: costOf(usage),
    since: new Date(t.since).toISOString(),
  };
}
