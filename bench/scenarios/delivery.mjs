/**
 * End-to-end scenarios (fan-out 1/3/10, hot record, FIFO vs non-FIFO): changecast and the floor
 * each on a fresh server (a local queue fed ~20,000 messages in one server's life can crash
 * wrangler; a scenario stays under ~7,000), both up at once and their runs interleaved
 * (changecast run 1, floor run 1, changecast run 2, …) so both see the same minutes of a shared
 * machine. Per run: changes/s in (accepted / time to the last POST answer), delivered events/s
 * (unique deliveries on all routes / (last arrival − first POST)), POST→webhook latency
 * p50/p99 over all deliveries, the server's CPU ms per change (its process group, first POST to
 * last webhook), per route the same plus missing, redeliveries and order.
 */
import { drainQueues, median, round, serverCpuMeter, sleep } from "../lib.mjs";
import { changeBatches, pushChanges } from "../load.mjs";
import { PIPELINES } from "../pipelines.mjs";
import { summarizeDeliveries } from "../receivers.mjs";

const BATCH = 100;
const IN_FLIGHT = 4;

/** Ten plain routes (structured mode, no ordering) for fan-out n. */
export const fanoutRoutes = (n) => Array.from({ length: n }, (_, i) => ({ name: `r${i + 1}`, body: { contentMode: "structured" } }));

async function oneRun(env, p, label, spec) {
  const { receivers, ctx } = env;
  const tally = receivers.begin(label, p.paths);
  const cpu = serverCpuMeter(p.s);
  const push = await pushChanges(ctx, { base: p.s.base, path: p.path, key: p.key, batches: changeBatches(label, spec.changes, BATCH, spec.recordOf), inFlight: IN_FLIGHT });
  const exited = new Promise((resolve) => (p.s.exited ? resolve() : p.s.child.once("exit", resolve)));
  await receivers.waitFor(push.counts.accepted, spec.timeoutMs, exited);
  const d = summarizeDeliveries(tally, push.accepted, push.startedAt);
  // The server's CPU (wrangler, workerd and its simulators) from the first POST to the last webhook.
  const cpuMsPerChange = cpu(push.counts.accepted);
  return { label, ...push.counts, changesPerSecond: push.changesPerSecond, cpuMsPerChange, requestLatencyMs: push.requestLatencyMs, postSeconds: round((push.endedAt - push.startedAt) / 1000, 3), expectedDeliveries: push.counts.accepted * p.paths.length, ...d, failures: push.failures };
}

/** Medians over the runs; each run's p50/p99 are over all its deliveries. */
function medians(runs) {
  return {
    changesPerSecond: median(runs.map((r) => r.changesPerSecond)),
    deliveriesPerSecond: median(runs.map((r) => r.deliveriesPerSecond)),
    cpuMsPerChange: median(runs.map((r) => r.cpuMsPerChange)),
    latencyMs: { p50: median(runs.map((r) => r.latencyMs.p50)), p99: median(runs.map((r) => r.latencyMs.p99)) },
    missing: runs.reduce((n, r) => n + r.missing, 0),
    duplicates: runs.reduce((n, r) => n + Object.values(r.routes).reduce((m, x) => m + x.duplicates, 0), 0),
    badSignatures: runs.reduce((n, r) => n + Object.values(r.routes).reduce((m, x) => m + x.badSignatures, 0), 0),
    failedRequests: runs.reduce((n, r) => n + r.failedRequests, 0),
  };
}

/** Per route name: medians of its deliveries/s and latency, order violations over all runs. */
function perRoute(runs, p) {
  return Object.fromEntries(p.paths.map((path) => {
    const name = path.split("/").at(-1);
    return [name, {
      deliveriesPerSecond: median(runs.map((r) => r.routes[path].deliveriesPerSecond)),
      latencyMs: { p50: median(runs.map((r) => r.routes[path].latencyMs.p50)), p99: median(runs.map((r) => r.routes[path].latencyMs.p99)) },
      orderViolations: runs.reduce((n, r) => n + r.routes[path].orderViolations, 0),
      missing: runs.reduce((n, r) => n + r.routes[path].missing, 0),
    }];
  }));
}

/**
 * spec: {name, routes: {changecast, floor}, changes, warmup, runs, recordOf, timeoutMs}.
 * Answers {changecast, floor}: each {runs, warmup, ...medians, routes, cost?, server}.
 */
export async function deliveryScenario(env, spec) {
  const { ctx } = env;
  console.log(`\n— ${spec.name}: ${spec.runs} × ${spec.changes} changes over ${spec.records} record(s), routes: changecast ${spec.routes.changecast.length}, floor ${spec.routes.floor.length}`);
  const started = {};
  try {
    const names = Object.keys(PIPELINES);
    for (const n of names) started[n] = await PIPELINES[n](ctx, env, spec.name, spec.routes[n]); // one at a time: parallel starts collided on ports
    const out = Object.fromEntries(names.map((n) => [n, { runs: [], warmup: null }]));
    for (const n of names) out[n].warmup = await oneRun(env, started[n], `${spec.name}-${n}-warm`, { ...spec, changes: spec.warmup });
    for (const n of names) out[n].reloadsBefore = started[n].s.reloads;
    for (let i = 1; i <= spec.runs; i++) {
      for (const n of names) {
        await sleep(2000); // let the previous run's audit and retry tail settle, so runs start alike
        const r = await oneRun(env, started[n], `${spec.name}-${n}-r${i}`, spec);
        out[n].runs.push(r);
        console.log(`${n} run ${i}: ${r.changesPerSecond} changes/s in, ${r.delivered}/${r.expectedDeliveries} delivered, ${r.deliveriesPerSecond} events/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.cpuMsPerChange} CPU ms/change`);
      }
    }
    for (const n of names) {
      const p = started[n];
      const drainSeconds = await drainQueues(p.s, { since: Date.now(), quietMs: 3000, maxMs: 30_000 });
      const runs = out[n].runs;
      Object.assign(out[n], medians(runs), {
        routes: perRoute(runs, p),
        server: { queues: p.s.queues, drainSeconds, reloadsDuringRuns: p.s.reloads - out[n].reloadsBefore, exitedEarly: p.s.exited, errors: p.s.errors.slice(0, 10), errorCount: p.s.errors.length },
      });
    }
    await Promise.all(names.map((n) => ctx.stopServer(started[n].s)));
    out.changecast.cost = await costRun(env, spec);
    return out;
  } finally {
    await Promise.all(Object.values(started).map((p) => ctx.stopServer(p.s)));
  }
}

/**
 * The cost of one run, on its own changecast server with the bench counters (BENCH_COUNTERS=1):
 * warm-up, reset, one run of the scenario's size, read. Counts, not timings, so one run does.
 */
async function costRun(env, spec) {
  const p = await PIPELINES.changecast(env.ctx, env, `${spec.name}-cost`, spec.routes.changecast, { counters: true });
  try {
    await oneRun(env, p, `${spec.name}-cost-warm`, { ...spec, changes: spec.warmup });
    await sleep(2000);
    await drainQueues(p.s, { since: Date.now(), quietMs: 2000, maxMs: 30_000 });
    await p.counters.reset();
    const run = await oneRun(env, p, `${spec.name}-cost`, spec);
    await drainQueues(p.s, { since: Date.now(), quietMs: 3000, maxMs: 30_000 });
    console.log(`changecast cost run: ${run.delivered}/${run.expectedDeliveries} delivered`);
    return costOf(await p.counters.read(), [run]);
  } finally {
    await env.ctx.stopServer(p.s);
  }
}

/** $ per million changes and per million deliveries over the counted runs (the counters were reset after the warm-up). */
function costOf(counters, runs) {
  const changes = runs.reduce((n, r) => n + r.accepted, 0);
  const deliveries = runs.reduce((n, r) => n + r.delivered, 0);
  const total = counters?.dollars?.total;
  return {
    changes, deliveries, counters,
    dollarsPerMillionChanges: typeof total === "number" && changes ? round((total / changes) * 1e6, 4) : null,
    dollarsPerMillionDeliveries: typeof total === "number" && deliveries ? round((total / deliveries) * 1e6, 4) : null,
  };
}
