/**
 * Cost probe: what a change and a delivery cost at Cloudflare's list prices, counted on the real
 * Worker under `wrangler dev` with BENCH_COUNTERS=1 (workers/bench, priced by shared/cost).
 *
 * One tenant, ROUTES routes (all matching, region us) to one local receiver, RECORDS records.
 * A warm-up of one change per record creates the objects; once its deliveries arrived and its
 * alarms fired, the counters are reset. Then CHANGES updates (change n → record n % RECORDS, in
 * requests of BATCH) and a wait until every delivery arrived, the queues are quiet and the
 * records' 30-s alarms fired (they are part of the bill). The counters are read then:
 * $ per million changes and per million deliveries, by item. Writes
 * bench/results/cost-probe-<date>.json. `--worktree`: see bench/lib.mjs.
 *
 *   node bench/cost-probe.mjs [--changes 1000] [--routes 10] [--tag name] [--worktree]
 *
 * `--tag name` writes bench/results/cost-probe-name-<date>.json, so two commits can be compared.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { startReceiver } from "../scripts/demo.mjs";
import { benchContext, call, drainQueues, environment, intFlag, loadAverage, round, setUpBenchTenant, sleep, snapshotSources, startServer, writeResults } from "./lib.mjs";

const flag = intFlag;
const CHANGES = flag("changes", 1000, 100, 3000);
const ROUTES = flag("routes", 10, 1, 20);
const RECORDS = 100;
const BATCH = 100;
const IN_FLIGHT = 2;
/** The record object's re-ship alarm is set 30 s after a batch (durable-objects/master-record.ts). */
const ALARM_WAIT_MS = 36_000;
const TAG = process.argv.includes("--tag") ? process.argv[process.argv.indexOf("--tag") + 1] : null;
if (TAG !== null && !/^[a-z0-9-]{1,30}$/.test(TAG ?? "")) throw new Error("--tag takes a short name: a-z, 0-9, -");
const ARRIVAL_TIMEOUT_MS = 180_000;

const ctx = benchContext({ name: "cost", deadlineMs: 12 * 60_000 });
const arrivals = new Set();
let duplicates = 0;

function onWebhook(w) {
  const key = `${w.path} ${w.headers["webhook-id"]}`;
  if (arrivals.has(key)) duplicates += 1;
  else arrivals.add(key);
}

async function waitForArrivals(want) {
  for (const until = Date.now() + ARRIVAL_TIMEOUT_MS; arrivals.size < want && Date.now() < until && !ctx.server?.exited; ) await sleep(250);
  if (arrivals.size < want) throw new Error(`only ${arrivals.size} of ${want} deliveries arrived`);
}

async function push(s, key, label, count) {
  const requests = Array.from({ length: Math.ceil(count / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, count - b * BATCH) }, (_, i) => {
      const n = b * BATCH + i;
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${n % RECORDS}`, op: "update", occurredAt: new Date().toISOString(), data: { name: `Customer ${n % RECORDS}`, visits: n } };
    }),
  );
  let accepted = 0;
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < requests.length) {
      const { results } = await call(ctx, s.base, "POST", "/v1/changes", key, { changes: requests[next++] });
      accepted += results.filter((r) => r.status === "accepted").length;
    }
  }));
  return accepted;
}

const bench = async (s, method, path) => {
  const res = await fetch(s.base + path, { method, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: is BENCH_COUNTERS=1 set? ${await res.text()}`);
  return res.json();
};

/** Dollars per million of `units`, by item (only items that cost something) and in total. */
function perMillion(dollars, units) {
  const per = (d) => round((d / units) * 1e6, 4);
  const byItem = Object.fromEntries(Object.entries(dollars.byItem).filter(([, d]) => d > 0).map(([item, d]) => [item, per(d)]));
  return { total: per(dollars.total), byItem };
}

async function main() {
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  // Also as .dev.vars, so the probe counts even with a lib.mjs that passes no --var.
  appendFileSync(join(app, ".dev.vars"), "\nBENCH_COUNTERS=1\n");
  const receiver = await startReceiver({ onWebhook });
  const s = await startServer(ctx, app, "cost", { vars: { BENCH_COUNTERS: "1" } });
  const routes = Array.from({ length: ROUTES }, (_, i) => ({ name: `r${i}`, url: `${receiver.url}/r${i}`, body: {} }));
  const { key, admin } = await setUpBenchTenant(ctx, s, token, routes);

  const warm = await push(s, key, "warm", RECORDS);
  await waitForArrivals(warm * ROUTES);
  await drainQueues(s, { since: Date.now(), quietMs: 3000 });
  await sleep(ALARM_WAIT_MS);
  await bench(s, "POST", "/__bench/counters/reset");
  arrivals.clear();

  const started = Date.now();
  const accepted = await push(s, key, "run", CHANGES);
  const postedSeconds = (Date.now() - started) / 1000;
  await waitForArrivals(accepted * ROUTES);
  const deliveredSeconds = (Date.now() - started) / 1000;
  await drainQueues(s, { since: Date.now(), quietMs: 3000 });
  await sleep(ALARM_WAIT_MS);
  await drainQueues(s, { since: Date.now(), quietMs: 3000 });
  const report = await bench(s, "GET", "/__bench/counters");
  const deadLetters = (await admin("GET", "/tenants/bench/dead-letters?status=open&limit=250")).items.length;
  const serverErrors = s.errors.slice(0, 10);
  const crashed = s.exited;
  await ctx.stopServer();
  await receiver.close();

  const deliveries = arrivals.size;
  const results = {
    bench: TAG ? `cost-probe-${TAG}` : "cost-probe", v: 1, date: new Date().toISOString(),
    environment: environment(ctx, loadBefore),
    config: {
      changes: CHANGES, records: RECORDS, routes: ROUTES, batch: BATCH, inFlight: IN_FLIGHT,
      regimen: "warm-up of one change per record (objects created, alarms fired), counters reset, then the run; alarms of the run waited for",
      prices: "shared/cost/prices.ts (list prices read 2026-11-28), marginal: no monthly allowances",
    },
    results: {
      accepted, deliveries, duplicates, openDeadLetters: deadLetters, reloads: s.reloads, serverExitedEarly: crashed,
      postSeconds: round(postedSeconds, 2), deliveredSeconds: round(deliveredSeconds, 2),
      counts: report.counts, dollars: report.dollars, since: report.since,
      perChange: Object.fromEntries(["doRequests", "doRowsWritten", "doRowsRead", "queueOps", "r2ClassA", "d1RowsWritten", "d1RowsRead", "workersRequests"].map((k) => [k, round(report.counts[k] / accepted, 3)])),
      perMillionChanges: perMillion(report.dollars, accepted),
      perMillionDeliveries: perMillion(report.dollars, deliveries),
      serverErrors,
    },
  };
  const file = writeResults(results);
  console.log(`${accepted} changes × ${ROUTES} routes = ${deliveries} deliveries (${duplicates} duplicate arrivals), sources ${results.environment.commit} (${results.environment.sources})`);
  console.table(Object.entries(report.dollars.byItem).filter(([, d]) => d > 0).map(([item, d]) => ({
    item, units: round(report.counts[item], 3), "per change": round(report.counts[item] / accepted, 3),
    "$ / M changes": round((d / accepted) * 1e6, 4), "$ / M deliveries": round((d / deliveries) * 1e6, 4),
  })));
  console.log(`total: $${results.results.perMillionChanges.total} per million changes, $${results.results.perMillionDeliveries.total} per million deliveries`);
  console.log(`wrote ${file}`);
  if (deliveries < accepted * ROUTES || crashed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
}).finally(() => ctx.cleanup());
