/**
 * Deliver loop: fan-out end to end on a local Worker. Three real webhook receivers on 127.0.0.1
 * (each verifying every signature) and three routes, one per receiver; RUNS timed runs each push
 * CHANGES updates over RECORDS records in batches of BATCH (IN_FLIGHT requests at a time), after a
 * warm-up. Per run it measures:
 * - delivered events/s: unique deliveries at the 3 receivers / (last arrival − first POST);
 * - POST→webhook latency p50/p99: arrival at the receiver − start of the POST that carried the
 *   change (a client timestamp in the change's data, read back from the webhook).
 * Reports medians over the runs, prints a table and writes bench/results/deliver-loop-<date>.json.
 * Bounded in changes (every change costs ~2 local queue messages: one delivery message for all
 * three routes, one audit message; a local queue fed ~20,000 in one server's life can crash
 * wrangler) and in time; stops its server and receivers itself. `--worktree`: see bench/lib.mjs.
 */
import { startReceiver } from "../scripts/demo.mjs";
import { benchContext, call, drainQueues, environment, intFlag, loadAverage, median, percentile, round, setUpBenchTenant, sleep, snapshotSources, startServer, writeResults } from "./lib.mjs";

/** `--runs N` (1–5, default 3) and `--changes N` (100–2,000 per run, default 1,500): capped to stay well under the local queue's limit. */
const flag = intFlag;
const RUNS = flag("runs", 3, 1, 5);
const CHANGES = flag("changes", 1500, 100, 2000); // default: 4,500 deliveries per run; warm-up + 3 runs ≈ 9,600 queue messages in all
const RECORDS = 100;
const BATCH = 100;
const WARMUP = 100;
const IN_FLIGHT = 4;
const ARRIVAL_TIMEOUT_MS = 120_000; // after the last POST of a run
const DEADLINE_MS = 12 * 60_000;

const ctx = benchContext({ name: "deliver", deadlineMs: DEADLINE_MS });
const receivers = [];
// Wall-clock ms everywhere: the receivers stamp arrivals with Date.now() in this same process.
const now = () => Date.now();

/** Three routes, one per receiver: both content modes, and a filter that every change passes. */
const ROUTES = [
  { name: "structured", body: { contentMode: "structured" } },
  { name: "binary", body: { contentMode: "binary" } },
  { name: "filtered", body: { contentMode: "structured", filter: [{ prefix: { subject: "customer/" } }, { not: { exact: { type: "io.changecast.customer.deleted" } } }] } },
];

/** Arrivals of the current run, keyed by receiver and webhook-id; duplicates (redeliveries) counted apart. */
let tally = newTally("none");
function newTally(label) {
  return { label, arrivals: new Map(), duplicates: 0, badSignatures: 0, foreign: 0, latencies: [], last: 0, target: Infinity, onArrival: () => {} };
}

function onWebhook(receiver, w) {
  const t = tally;
  if (!w.verifiedWith) t.badSignatures += 1;
  const after = w.event?.data?.after; // structured: the event's data; binary: the body
  // A late redelivery of an earlier run's change: not this run's figure.
  if (after?.run !== t.label) return void (t.foreign += 1);
  const key = `${receiver} ${w.headers["webhook-id"]}`;
  if (t.arrivals.has(key)) return void (t.duplicates += 1);
  t.arrivals.set(key, w.receivedAt);
  t.latencies.push(w.receivedAt - after.sentAt);
  t.last = Math.max(t.last, w.receivedAt);
  t.onArrival();
}

async function startReceivers() {
  for (const route of ROUTES) {
    const r = { name: route.name, secret: null };
    r.server = await startReceiver({ secretsFor: () => (r.secret ? [{ label: route.name, secret: r.secret }] : []), onWebhook: (w) => onWebhook(route.name, w) });
    receivers.push(r);
  }
}

/** One run: push `changes` updates, wait until every delivery arrived (or the timeout). */
async function run(s, key, label, changes) {
  tally = newTally(label);
  const t = tally;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  // The target is known once every POST answered; a webhook may arrive before its POST's answer.
  t.onArrival = () => t.arrivals.size >= t.target && finish();
  const batches = Array.from({ length: Math.ceil(changes / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, changes - b * BATCH) }, (_, i) => {
      const n = b * BATCH + i;
      const record = n % RECORDS;
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${record}`, op: "update", occurredAt: new Date().toISOString(), data: { name: `Customer ${record}`, visits: n, run: label } };
    }),
  );
  const queueBefore = { ...s.queues["deliveries-us"] };
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failedRequests: 0 };
  const postLatencies = [];
  let next = 0;
  const started = now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < batches.length) {
      const changesOfRequest = batches[next++];
      const sentAt = now();
      for (const c of changesOfRequest) c.data.sentAt = sentAt;
      try {
        const { results } = await call(ctx, s.base, "POST", "/v1/changes", key, { changes: changesOfRequest });
        postLatencies.push(now() - sentAt);
        for (const r of results) counts[r.status] += 1;
      } catch (err) {
        if (ctx.deadline.aborted) throw err;
        counts.failedRequests += 1;
        console.error(`  POST failed: ${String(err.message ?? err).slice(0, 200)}`);
      }
    }
  }));
  const postedAt = now();
  const want = counts.accepted * ROUTES.length;
  t.target = want;
  t.onArrival();
  let timer;
  const exited = new Promise((resolve) => (s.exited ? resolve() : s.child.once("exit", resolve)));
  await Promise.race([finished, exited, new Promise((resolve) => (timer = setTimeout(resolve, ARRIVAL_TIMEOUT_MS)))]);
  clearTimeout(timer);
  const seconds = t.last > 0 ? (t.last - started) / 1000 : null;
  // wrangler logs a batch once it is acked, after its webhooks arrived: wait for the last line.
  for (let i = 0; i < 20 && (s.queues["deliveries-us"]?.delivered ?? 0) - (queueBefore.delivered ?? 0) < counts.accepted && !s.exited; i++) await sleep(250);
  // The delivery consumer's share of the run (wrangler logs each batch with its duration): busy
  // near 100 % of the run means it, not ingest, sets the pace.
  const q = s.queues["deliveries-us"] ?? {};
  const batchesOfRun = (q.batches ?? 0) - (queueBefore.batches ?? 0);
  const busyMs = (q.busyMs ?? 0) - (queueBefore.busyMs ?? 0);
  const deliveryQueue = {
    batches: batchesOfRun, messages: (q.delivered ?? 0) - (queueBefore.delivered ?? 0), busyMs,
    meanBatchMs: batchesOfRun ? round(busyMs / batchesOfRun) : null, busyPercent: seconds ? round((100 * busyMs) / (seconds * 1000)) : null,
  };
  const latencies = t.latencies.sort((a, b) => a - b);
  const posts = postLatencies.sort((a, b) => a - b);
  return {
    label, changes, ...counts,
    expectedDeliveries: want, delivered: t.arrivals.size, missing: want - t.arrivals.size,
    duplicates: t.duplicates, badSignatures: t.badSignatures, lateFromEarlierRuns: t.foreign,
    postSeconds: round((postedAt - started) / 1000, 3), seconds: round(seconds, 3),
    deliveriesPerSecond: seconds ? round(t.arrivals.size / seconds) : null, changesPerSecond: round(counts.accepted / ((postedAt - started) / 1000)),
    latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? null) },
    postLatencyMs: { p50: round(percentile(posts, 50)), p99: round(percentile(posts, 99)) },
    deliveryQueue,
  };
}

async function main() {
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  await startReceivers();
  const s = await startServer(ctx, app, "deliver");
  const { admin, key, routes } = await setUpBenchTenant(ctx, s, token, ROUTES.map((route, i) => ({ name: route.name, url: `${receivers[i].server.url}/${route.name}`, body: route.body })));
  routes.forEach((r, i) => (receivers[i].secret = r.secret));

  const warm = await run(s, key, "warm", WARMUP); // creates the 100 objects, warms isolates and sockets
  console.log(`warm-up: ${warm.delivered}/${warm.expectedDeliveries} deliveries in ${warm.seconds} s`);
  const runs = [];
  for (let i = 1; i <= RUNS; i++) {
    await sleep(2000); // let the audit consumer catch up, so runs start alike
    const r = await run(s, key, `r${i}`, CHANGES);
    runs.push(r);
    console.log(`run ${i}: ${r.delivered}/${r.expectedDeliveries} deliveries, ${r.deliveriesPerSecond} deliveries/s, latency p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms`);
    if (s.exited) break;
  }
  const drainSeconds = await drainQueues(s, { since: Date.now(), quietMs: 3000 });
  const deadLetters = s.exited ? null : (await admin("GET", "/tenants/bench/dead-letters?status=open&limit=250")).items.length;
  const crashed = s.exited;
  await ctx.stopServer();

  const report = {
    bench: "deliver-loop", v: 1, date: new Date().toISOString(),
    environment: environment(ctx, loadBefore),
    config: {
      runs: RUNS, changesPerRun: CHANGES, records: RECORDS, batch: BATCH, inFlight: IN_FLIGHT, warmup: WARMUP,
      routes: ROUTES.map((r, i) => ({ id: routes[i].id, ...r.body, guarantee: routes[i].guarantee, ordering: routes[i].ordering })),
      receivers: "3 node:http servers on 127.0.0.1 in the bench process, each verifying every signature (standardwebhooks), answering 204",
      server: "wrangler dev (local), one server and --persist-to for warm-up and all runs",
    },
    results: {
      medianDeliveriesPerSecond: median(runs.map((r) => r.deliveriesPerSecond)),
      // Median over the runs of each run's p50 and p99 (each run: 3 × CHANGES samples).
      latencyMs: { p50: median(runs.map((r) => r.latencyMs.p50)), p99: median(runs.map((r) => r.latencyMs.p99)) },
      medianChangesPerSecond: median(runs.map((r) => r.changesPerSecond)),
      runs, warmup: warm,
      // From wrangler's log: each queue consumer's batches and messages (delivered/acked).
      queues: s.queues, queueDrainSeconds: drainSeconds, openDeadLetters: deadLetters,
      serverErrors: s.errors.slice(0, 10), serverExitedEarly: crashed,
    },
  };
  const file = writeResults(report);

  const d = s.queues["deliveries-us"];
  console.log(`\n${report.environment.cpus} CPUs, wrangler ${report.environment.wrangler}; ${ROUTES.length} routes, ${CHANGES} changes/run over ${RECORDS} records, batches of ${BATCH}, ${IN_FLIGHT} in flight`);
  console.table([...runs, { label: "median", deliveriesPerSecond: report.results.medianDeliveriesPerSecond, latencyMs: report.results.latencyMs, changesPerSecond: report.results.medianChangesPerSecond }].map((r) => ({
    run: r.label, "deliveries/s": r.deliveriesPerSecond, "p50 ms": r.latencyMs.p50, "p99 ms": r.latencyMs.p99,
    "changes/s in": r.changesPerSecond, delivered: r.delivered === undefined ? "" : `${r.delivered}/${r.expectedDeliveries}`,
    dup: r.duplicates ?? "", "bad sig": r.badSignatures ?? "", "consumer busy %": r.deliveryQueue?.busyPercent ?? "",
  })));
  console.log(`delivery queue: ${d?.delivered ?? 0} messages in ${d?.batches ?? 0} batches; open dead letters ${deadLetters}; server errors ${s.errors.length}`);
  console.log(`wrote ${file}`);
  if (runs.some((r) => r.missing > 0 || r.badSignatures > 0) || crashed) process.exitCode = 1;
}

main()
  .catch((err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await Promise.all(receivers.map((r) => r.server?.close()));
    await ctx.cleanup();
  });
