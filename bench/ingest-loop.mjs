/**
 * Ingest loop: POST /v1/changes against a local Worker for batch sizes 1, 100 and 500 (changes
 * spread over 50 records, 4 requests in flight), 3 timed runs each after a warm-up; reports the
 * median changes/s and request latency p50/p99, prints a table and writes
 * bench/results/ingest-loop-<date>.json. Bounded in requests and time; stops its server itself.
 *
 * Each batch size gets a fresh `wrangler dev` (bench/lib.mjs: a copy of HEAD, or of the working
 * tree with `--worktree`) and a fresh `--persist-to` directory, so no scenario inherits another's
 * records or queue backlog.
 */
import { benchContext, call as callJson, drainQueues, environment, loadAverage, median, percentile, round, snapshotSources, startServer, writeResults } from "./lib.mjs";

const SCENARIOS = [
  // requests per timed run, chosen so each batch size stays under ~20,000 changes in total:
  // every accepted request sends audit queue messages (one per record touched), and a local
  // queue fed ~20,000 of them in one server's life can crash wrangler.
  { batch: 1, warmup: 20, requests: 300 }, // 920 changes, ≤ 920 audit messages
  { batch: 100, warmup: 2, requests: 40 }, // 12,200 changes, ≤ 6,100 audit messages
  { batch: 500, warmup: 1, requests: 12 }, // 18,500 changes, ≤ 1,850 audit messages
];
const RUNS = 3;
const RECORDS = 50;
const IN_FLIGHT = 4;
const REQUEST_TIMEOUT_MS = 60_000;
const DEADLINE_MS = 15 * 60_000;

const ctx = benchContext({ name: "bench", deadlineMs: DEADLINE_MS });

const call = (base, path, token, body) => callJson(ctx, base, "POST", path, token, body, REQUEST_TIMEOUT_MS);

/** Request bodies built before the clock starts; change n goes to record n mod RECORDS. */
function bodies(label, batch, requests) {
  const occurredAt = new Date().toISOString();
  return Array.from({ length: requests }, (_, r) => ({
    changes: Array.from({ length: batch }, (_, i) => {
      const n = r * batch + i;
      const record = n % RECORDS;
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${record}`, op: "update", occurredAt, data: { name: `Customer ${record}`, email: `c${record}@example.com`, tier: n % 3, visits: n } };
    }),
  }));
}

/** Sends the bodies with IN_FLIGHT requests at a time; latency per request, wall time overall. */
async function loop(base, key, list) {
  const latencies = [];
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failedRequests: 0 };
  const failures = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < list.length) {
      const body = list[next++];
      const t0 = performance.now();
      try {
        const { results } = await call(base, "/v1/changes", key, body);
        latencies.push(performance.now() - t0);
        for (const r of results) counts[r.status] += 1;
      } catch (err) {
        if (ctx.deadline.aborted) throw err;
        counts.failedRequests += 1;
        if (failures.length < 5) failures.push(String(err.message ?? err).slice(0, 300));
      }
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, latencies, counts, failures };
}

async function scenario(app, token, { batch, warmup, requests }) {
  const s = await startServer(ctx, app, `batch-${batch}`);
  await call(s.base, "/admin/v1/tenants", token, { id: "bench", name: "Bench" });
  const { key } = await call(s.base, "/admin/v1/tenants/bench/locations", token, { id: "store-1", name: "Store 1" });

  await loop(s.base, key, bodies(`warm-${batch}`, batch, warmup)); // first calls create the 50 objects
  const runs = [];
  for (let run = 1; run <= RUNS; run++) {
    const r = await loop(s.base, key, bodies(`b${batch}-r${run}`, batch, requests));
    const sorted = [...r.latencies].sort((a, b) => a - b);
    runs.push({
      run, requests, changes: requests * batch, seconds: round(r.seconds, 3), ...r.counts,
      changesPerSecond: round(r.counts.accepted / r.seconds), requestsPerSecond: round(r.latencies.length / r.seconds),
      latencyMs: { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? null) },
      ...(r.failures.length ? { failures: r.failures } : {}),
    });
    console.log(`batch ${batch} run ${run}: ${runs.at(-1).changesPerSecond} changes/s, p50 ${runs.at(-1).latencyMs.p50} ms, p99 ${runs.at(-1).latencyMs.p99} ms`);
  }
  // The audit consumer runs behind ingest: give it until it has been quiet for 5 s (at most 60 s).
  const drainSeconds = await drainQueues(s, { since: Date.now() });
  const crashed = s.exited;
  await ctx.stopServer();
  return {
    batch, runs,
    medianChangesPerSecond: median(runs.map((r) => r.changesPerSecond)),
    // Median over the runs of each run's p50 and p99 (each run: `requests` samples).
    latencyMs: { p50: median(runs.map((r) => r.latencyMs.p50)), p99: median(runs.map((r) => r.latencyMs.p99)) },
    totalChanges: (warmup + requests * RUNS) * batch,
    // From wrangler's log: the audit consumer's batches, messages delivered to it and acked
    // (≤ one message per record per request: concurrent requests to a record may share one),
    // and how long after the last timed run it kept consuming.
    auditQueue: { ...auditStats(s), drainSeconds },
    serverErrors: s.errors.slice(0, 10),
    serverExitedEarly: crashed,
  };
}

function auditStats(s) {
  const { batches = 0, delivered = 0, acked = 0 } = s.queues["changecast-audit"] ?? {};
  return { batches, delivered, acked };
}

async function main() {
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  const results = [];
  for (const sc of SCENARIOS) {
    try {
      results.push(await scenario(app, token, sc));
    } finally {
      await ctx.stopServer();
    }
  }

  const report = {
    bench: "ingest-loop", v: 1, date: new Date().toISOString(),
    environment: environment(ctx, loadBefore),
    config: { runs: RUNS, records: RECORDS, inFlight: IN_FLIGHT, scenarios: SCENARIOS, server: "wrangler dev (local), fresh --persist-to per batch size" },
    results,
  };
  const file = writeResults(report);

  console.log(`\n${report.environment.cpus} CPUs, wrangler ${report.environment.wrangler}, ${IN_FLIGHT} in flight, ${RECORDS} records, median of ${RUNS} runs`);
  console.table(results.map((r) => ({
    batch: r.batch, "requests/run": r.runs[0].requests, "changes/s": r.medianChangesPerSecond,
    "p50 ms": r.latencyMs.p50, "p99 ms": r.latencyMs.p99,
    "not accepted": r.runs.reduce((n, x) => n + x.duplicate + x.rejected + x.failedRequests, 0),
    "audit msgs": r.auditQueue.acked, "server errors": r.serverErrors.length,
  })));
  console.log(`wrote ${file}`);
}

main()
  .catch((err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(() => ctx.cleanup());
