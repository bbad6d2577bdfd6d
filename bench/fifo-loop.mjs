/**
 * FIFO loop: what per-record ordering costs, end to end on a local Worker. Two real webhook
 * receivers on 127.0.0.1 (each verifying every signature) and two routes on one tenant, both
 * matching every change: route "fifo" with `ordering: "per-record"` (event n+1 of a record goes
 * out only after event n was delivered: the record's object releases it when the consumer
 * reports the outcome) and route "none" with `ordering: "none"`. Two scenarios, each on its own
 * fresh `wrangler dev` (bench/lib.mjs: a copy of HEAD, or of the working tree with `--worktree`):
 * - "spread": RUNS timed runs after a warm-up, each pushing CHANGES updates over RECORDS records
 *   in batches of BATCH (IN_FLIGHT requests at a time);
 * - "hot record": HOT_RUNS timed runs after a small warm-up, each pushing HOT updates all to ONE
 *   record: the FIFO route can only ever have one event of it in flight, so it runs at one queue
 *   round trip per event (locally ≈ 1.1 s: the consumers' max_batch_timeout is 1 s), ≈ 5.5 min
 *   per run of 300; the whole bench takes ≈ 20 min with the defaults (more if a scenario is
 *   voided by a server reload and run again: bench/lib.mjs gives each copy its own node_modules
 *   of links, which cuts reloads, and counts those that still happen).
 * Per run and route it measures:
 * - delivered events/s: unique deliveries / (last arrival on the route − first POST);
 * - POST→webhook latency p50/p99: arrival − start of the POST that carried the change (a client
 *   timestamp in the change's data, read back from the webhook);
 * - order: per record (subject), the CloudEvents `sequence` of each arrival must be strictly
 *   greater than the previous one's; every arrival that is not counts as a violation (must be 0
 *   on the FIFO route; on the other route it only shows how much the queue reorders);
 * - completeness: every (record, sequence) the POSTs answered "accepted" arrived on the route.
 * Reports medians over the runs and the FIFO/non-FIFO throughput ratio, prints tables and writes
 * bench/results/fifo-loop-<date>.json.
 * Bounded in changes: a change costs ~1 delivery message (both routes, or only "none" while the
 * record's FIFO slot is busy) + 1 release message for the FIFO route when it was held back +
 * 1 audit message, so ≤ 3 local queue messages; a local queue fed ~20,000 in one server's life
 * can crash wrangler, hence the caps and one server per scenario. Bounded in time (arrival
 * timeouts, overall deadline); stops its servers and receivers itself.
 */
import { startReceiver } from "../scripts/demo.mjs";
import { benchContext, call, drainQueues, environment, intFlag, loadAverage, median, percentile, round, setUpBenchTenant, sleep, snapshotSources, startServer, writeResults } from "./lib.mjs";

const flag = intFlag;
const RUNS = flag("runs", 3, 1, 5);
const CHANGES = flag("changes", 1000, 100, 2000); // per spread run
const HOT_RUNS = flag("hot-runs", 3, 0, 3); // 0: skip the hot-record scenario
const HOT = flag("hot", 300, 20, 500); // per hot run, all to one record
const RECORDS = 100;
const BATCH = 100;
const IN_FLIGHT = 4;
const WARMUP = 100; // spread: one change per record (creates the 100 objects)
const HOT_WARMUP = 20;
const MESSAGES_PER_CHANGE = 3; // upper bound, see above
const MAX_MESSAGES_PER_SERVER = 12_000; // well under the ~20,000 that can crash a local queue
const SPREAD_TIMEOUT_MS = 120_000; // after the last POST of a run
// The FIFO route takes one queue round trip per event of the hot record: locally ≈ 1.1 s
// (max_batch_timeout = 1 s in wrangler.toml, then the outcome report and the release message).
const HOT_TIMEOUT_MS = Math.max(60_000, HOT * 1500);
const DEADLINE_MS = 10 * 60_000 + 2 * ((RUNS * CHANGES * 20) + HOT_RUNS * (HOT_WARMUP + HOT) * 1500); // room for a second attempt

for (const [label, changes] of [["spread", WARMUP + RUNS * CHANGES], ["hot", HOT_RUNS ? HOT_WARMUP + HOT_RUNS * HOT : 0]]) {
  if (changes * MESSAGES_PER_CHANGE > MAX_MESSAGES_PER_SERVER) throw new Error(`${label}: ${changes} changes ≈ ${changes * MESSAGES_PER_CHANGE} queue messages on one server, over ${MAX_MESSAGES_PER_SERVER}; lower --runs/--changes/--hot`);
}

const SCENARIO_ATTEMPTS = 2; // a scenario whose server reloaded mid-way is run again on a fresh server

const ctx = benchContext({ name: "fifo", deadlineMs: DEADLINE_MS });

// Wall-clock ms everywhere: the receivers stamp arrivals with Date.now() in this same process.
const now = () => Date.now();

const ROUTES = [
  { name: "fifo", body: { contentMode: "structured", ordering: "per-record" } },
  { name: "none", body: { contentMode: "structured", ordering: "none" } },
];
const receivers = [];

/** Arrivals of the current run, per route: webhook-ids (duplicates counted apart), order per subject. */
let tally = newTally("none");
function newTally(label) {
  const perRoute = Object.fromEntries(ROUTES.map((r) => [r.name, {
    arrivals: new Map(), seen: new Set(), lastSeq: new Map(), violations: 0, violationExamples: [],
    duplicates: 0, badSignatures: 0, unreadable: 0, latencies: [], first: 0, last: 0,
  }]));
  return { label, perRoute, foreign: 0, target: Infinity, onArrival: () => {} };
}

function onWebhook(route, w) {
  const t = tally;
  const r = t.perRoute[route];
  if (!w.verifiedWith) r.badSignatures += 1;
  const e = w.event;
  const after = e?.data?.after;
  // A late redelivery of an earlier run's change: not this run's figure.
  if (after?.run !== t.label) return void (t.foreign += 1);
  const seq = Number(e.sequence);
  if (!e.subject || !Number.isInteger(seq)) r.unreadable += 1;
  // Order first, on every arrival (a redelivery of n after n+1 is out of order too).
  const last = r.lastSeq.get(e.subject);
  if (last !== undefined && seq <= last) {
    r.violations += 1;
    if (r.violationExamples.length < 5) r.violationExamples.push({ subject: e.subject, after: last, got: seq });
  }
  r.lastSeq.set(e.subject, Math.max(seq, last ?? -Infinity));
  const id = w.headers["webhook-id"];
  if (r.arrivals.has(id)) return void (r.duplicates += 1);
  r.arrivals.set(id, w.receivedAt);
  r.seen.add(`${e.subject} ${seq}`);
  r.latencies.push(w.receivedAt - after.sentAt);
  r.first ||= w.receivedAt;
  r.last = Math.max(r.last, w.receivedAt);
  t.onArrival();
}

async function startReceivers() {
  for (const route of ROUTES) {
    const r = { name: route.name, secret: null };
    r.server = await startReceiver({ secretsFor: () => (r.secret ? [{ label: route.name, secret: r.secret }] : []), onWebhook: (w) => onWebhook(route.name, w) });
    receivers.push(r);
  }
}

/** A fresh server with the bench tenant, location and the two routes, both active. */
async function setUp(app, token, name) {
  const s = await startServer(ctx, app, name);
  const { admin, key, routes } = await setUpBenchTenant(ctx, s, token, ROUTES.map((route, i) => ({ name: route.name, url: `${receivers[i].server.url}/${route.name}`, body: route.body })));
  routes.forEach((r, i) => (receivers[i].secret = r.secret));
  return { s, admin, key, routes };
}

/** Change n of a run goes to record `recordOf(n)`; BATCH per request, built before the clock starts. */
function batchesFor(label, changes, recordOf) {
  return Array.from({ length: Math.ceil(changes / BATCH) }, (_, b) =>
    Array.from({ length: Math.min(BATCH, changes - b * BATCH) }, (_, i) => {
      const n = b * BATCH + i;
      const record = recordOf(n);
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${record}`, op: "update", occurredAt: new Date().toISOString(), data: { name: `Customer ${record}`, visits: n, run: label } };
    }),
  );
}

/** One run: push the changes, wait until both routes got every accepted one (or the timeout). */
async function run(s, key, label, changes, recordOf, timeoutMs) {
  tally = newTally(label);
  const t = tally;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  // The target is known once every POST answered; a webhook may arrive before its POST's answer.
  t.onArrival = () => Object.values(t.perRoute).every((r) => r.arrivals.size >= t.target) && finish();
  const batches = batchesFor(label, changes, recordOf);
  const reloadsBefore = s.reloads;
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failedRequests: 0 };
  const expected = new Set(); // "customer/c-7 00000000000000000012"-like keys, from the answers
  let next = 0;
  const started = now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < batches.length) {
      const changesOfRequest = batches[next++];
      const sentAt = now();
      for (const c of changesOfRequest) c.data.sentAt = sentAt;
      try {
        const { results } = await call(ctx, s.base, "POST", "/v1/changes", key, { changes: changesOfRequest });
        results.forEach((r, i) => {
          counts[r.status] += 1;
          if (r.status === "accepted") expected.add(`customer/${changesOfRequest[i].recordId} ${r.sequence}`);
        });
      } catch (err) {
        if (ctx.deadline.aborted) throw err;
        counts.failedRequests += 1;
        console.error(`  POST failed: ${String(err.message ?? err).slice(0, 200)}`);
      }
    }
  }));
  const postedAt = now();
  t.target = counts.accepted;
  t.onArrival();
  let timer, poll;
  const exited = new Promise((resolve) => (s.exited ? resolve() : s.child.once("exit", resolve)));
  // A reload mid-run loses in-flight queue messages: the run's figures are void, stop waiting.
  const reloaded = new Promise((resolve) => (poll = setInterval(() => s.reloads > reloadsBefore && resolve(), 500)));
  await Promise.race([finished, exited, reloaded, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  clearInterval(poll);

  const routes = {};
  for (const [name, r] of Object.entries(t.perRoute)) {
    const seconds = r.last > 0 ? (r.last - started) / 1000 : null;
    const latencies = r.latencies.sort((a, b) => a - b);
    let missing = 0;
    for (const k of expected) if (!r.seen.has(k)) missing += 1;
    routes[name] = {
      delivered: r.arrivals.size, missing, unexpected: [...r.seen].filter((k) => !expected.has(k)).length,
      orderViolations: r.violations, violationExamples: r.violationExamples,
      duplicates: r.duplicates, badSignatures: r.badSignatures, unreadable: r.unreadable,
      seconds: round(seconds, 3), deliveriesPerSecond: seconds ? round(r.arrivals.size / seconds) : null,
      latencyMs: { p50: round(percentile(latencies, 50)), p90: round(percentile(latencies, 90)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? null) },
    };
  }
  return {
    label, changes, ...counts, records: new Set(batches.flat().map((c) => c.recordId)).size,
    postSeconds: round((postedAt - started) / 1000, 3), changesPerSecond: round(counts.accepted / ((postedAt - started) / 1000)),
    lateFromEarlierRuns: t.foreign, serverReloaded: s.reloads > reloadsBefore, routes,
  };
}

const perRoute = (runs, name, pick) => median(runs.map((r) => pick(r.routes[name])));

function summary(runs) {
  const out = {};
  for (const { name } of ROUTES) {
    out[name] = {
      medianDeliveriesPerSecond: perRoute(runs, name, (r) => r.deliveriesPerSecond),
      // Median over the runs of each run's p50 and p99.
      latencyMs: { p50: perRoute(runs, name, (r) => r.latencyMs.p50), p99: perRoute(runs, name, (r) => r.latencyMs.p99) },
      orderViolations: runs.reduce((n, r) => n + r.routes[name].orderViolations, 0),
      missing: runs.reduce((n, r) => n + r.routes[name].missing, 0),
      duplicates: runs.reduce((n, r) => n + r.routes[name].duplicates, 0),
    };
  }
  const { fifo, none } = out;
  out.fifoToNoneThroughputRatio = fifo.medianDeliveriesPerSecond && none.medianDeliveriesPerSecond ? round(fifo.medianDeliveriesPerSecond / none.medianDeliveriesPerSecond, 3) : null;
  return out;
}

/**
 * One scenario on its own fresh server: warm-up, timed runs, drain, dead letters. A server that
 * reloaded mid-way voids the attempt (lib.mjs counts reloads: `s.reloads`); it is run again, at most
 * SCENARIO_ATTEMPTS times in all, and the voided attempts are kept in the report.
 */
async function scenario(app, token, spec) {
  const voided = [];
  for (let attempt = 1; ; attempt++) {
    const sc = await scenarioOnce(app, token, spec, attempt);
    if (!sc.reloadedAt || attempt >= SCENARIO_ATTEMPTS) return { ...sc, voidedAttempts: voided };
    console.log(`  the server reloaded during ${sc.reloadedAt} (a file esbuild watches changed): attempt ${attempt} voided, starting over on a fresh server`);
    voided.push({ attempt, reloadedAt: sc.reloadedAt, runs: sc.results.runs, warmup: sc.results.warmup });
  }
}

async function scenarioOnce(app, token, { name, warmup, changes, runs: count, recordOf, timeoutMs }, attempt) {
  console.log(`\n— ${name}: ${count} × ${changes} changes over ${new Set(Array.from({ length: changes }, (_, n) => recordOf(n))).size} record(s), after ${warmup} warm-up${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
  const { s, admin, key, routes } = await setUp(app, token, attempt > 1 ? `${name}-${attempt}` : name);
  const warm = await run(s, key, `${name}-warm`, warmup, recordOf, timeoutMs);
  console.log(`warm-up: fifo ${warm.routes.fifo.delivered}/${warm.accepted}, none ${warm.routes.none.delivered}/${warm.accepted} in ${warm.routes.fifo.seconds}/${warm.routes.none.seconds} s`);
  let reloadedAt = warm.serverReloaded ? warm.label : null;
  const runs = [];
  for (let i = 1; i <= count && !s.exited && !reloadedAt; i++) {
    await sleep(2000); // let the audit consumer catch up, so runs start alike
    const r = await run(s, key, `${name}-r${i}`, changes, recordOf, timeoutMs);
    runs.push(r);
    const f = r.routes.fifo, n = r.routes.none;
    console.log(`run ${i}: fifo ${f.delivered}/${r.accepted} ${f.deliveriesPerSecond}/s p50 ${f.latencyMs.p50} p99 ${f.latencyMs.p99} ms, ${f.orderViolations} order violations; none ${n.delivered}/${r.accepted} ${n.deliveriesPerSecond}/s p50 ${n.latencyMs.p50} p99 ${n.latencyMs.p99} ms (${n.orderViolations} out of order)${r.serverReloaded ? " — SERVER RELOADED" : ""}`);
    if (r.serverReloaded) reloadedAt = r.label;
  }
  const drainSeconds = reloadedAt ? null : await drainQueues(s, { since: Date.now(), quietMs: 3000 });
  const deadLetters = s.exited ? null : (await admin("GET", "/tenants/bench/dead-letters?status=open&limit=250")).items.length;
  const crashed = s.exited;
  await ctx.stopServer();
  return {
    name, changesPerRun: changes, runs: count, warmupChanges: warmup, attempt, reloadedAt,
    routes: routes.map((r) => ({ id: r.id, ordering: r.ordering, guarantee: r.guarantee, contentMode: r.contentMode })),
    results: {
      ...summary(runs), runs, warmup: warm,
      // From wrangler's log: each queue consumer's batches and messages (delivered/acked).
      queues: s.queues, queueDrainSeconds: drainSeconds, openDeadLetters: deadLetters,
      serverErrors: s.errors.slice(0, 10), serverErrorCount: s.errors.length, serverExitedEarly: crashed, serverReloads: s.reloads,
    },
  };
}

function printScenario(sc) {
  const rows = [];
  for (const r of sc.results.runs) {
    for (const { name } of ROUTES) {
      const x = r.routes[name];
      rows.push({ run: r.label, route: name, "deliveries/s": x.deliveriesPerSecond, "p50 ms": x.latencyMs.p50, "p99 ms": x.latencyMs.p99, delivered: `${x.delivered}/${r.accepted}`, "order viol.": x.orderViolations, dup: x.duplicates, "bad sig": x.badSignatures });
    }
  }
  for (const { name } of ROUTES) {
    const m = sc.results[name];
    rows.push({ run: "median", route: name, "deliveries/s": m.medianDeliveriesPerSecond, "p50 ms": m.latencyMs.p50, "p99 ms": m.latencyMs.p99, delivered: `missing ${m.missing}`, "order viol.": m.orderViolations, dup: m.duplicates, "bad sig": "" });
  }
  console.log(`\n${sc.name}: ${sc.runs} × ${sc.changesPerRun} changes`);
  console.table(rows);
  const q = sc.results.queues;
  console.log(`fifo/none throughput ratio ${sc.results.fifoToNoneThroughputRatio}; queue messages: deliveries-us ${q["deliveries-us"]?.delivered ?? 0}, audit ${q["changecast-audit"]?.delivered ?? 0}; open dead letters ${sc.results.openDeadLetters}; server errors ${sc.results.serverErrorCount}`);
  if (sc.voidedAttempts.length || sc.reloadedAt) console.log(`server reloads: ${sc.voidedAttempts.map((v) => `attempt ${v.attempt} voided (reload during ${v.reloadedAt})`).join("; ")}${sc.reloadedAt ? `; the reported attempt reloaded during ${sc.reloadedAt} too: its figures are void` : ""}`);
}

async function main() {
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  await startReceivers();
  const scenarios = [];
  scenarios.push(await scenario(app, token, { name: "spread", warmup: WARMUP, changes: CHANGES, runs: RUNS, recordOf: (n) => n % RECORDS, timeoutMs: SPREAD_TIMEOUT_MS }));
  if (HOT_RUNS > 0) scenarios.push(await scenario(app, token, { name: "hot-record", warmup: HOT_WARMUP, changes: HOT, runs: HOT_RUNS, recordOf: () => 0, timeoutMs: HOT_TIMEOUT_MS }));

  const report = {
    bench: "fifo-loop", v: 1, date: new Date().toISOString(),
    environment: environment(ctx, loadBefore),
    config: {
      runs: RUNS, changesPerRun: CHANGES, records: RECORDS, batch: BATCH, inFlight: IN_FLIGHT, warmup: WARMUP,
      hotRuns: HOT_RUNS, hotChangesPerRun: HOT, hotWarmup: HOT_WARMUP,
      routes: ROUTES.map((r) => ({ name: r.name, ...r.body })),
      receivers: "2 node:http servers on 127.0.0.1 in the bench process, each verifying every signature (standardwebhooks), answering 204",
      server: "wrangler dev (local), a fresh server and --persist-to per scenario (warm-up and its runs); its own node_modules of links to the checkout's; a scenario whose server reloaded is voided and run again once",
      throughput: "unique deliveries on the route / (last arrival on the route − start of the run's first POST)",
      order: "per subject, each arrival's CloudEvents sequence must exceed the previous arrival's (redeliveries included)",
    },
    scenarios: Object.fromEntries(scenarios.map((sc) => [sc.name, sc])),
  };
  const file = writeResults(report);

  console.log(`\n${report.environment.cpus} CPUs, wrangler ${report.environment.wrangler}, load average before ${loadBefore.join(" ")} / after ${report.environment.loadAverage.after.join(" ")}; batches of ${BATCH}, ${IN_FLIGHT} in flight`);
  for (const sc of scenarios) printScenario(sc);
  console.log(`wrote ${file}`);
  const bad = scenarios.some((sc) => sc.results.serverExitedEarly || sc.reloadedAt || sc.results.runs.length < sc.runs || sc.results.fifo.orderViolations > 0
    || ROUTES.some(({ name }) => sc.results[name].missing > 0 || sc.results.runs.some((r) => r.routes[name].badSignatures > 0 || r.failedRequests > 0)));
  if (bad) process.exitCode = 1;
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
