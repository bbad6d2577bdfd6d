/**
 * `npm run bench`: every scenario of issue 7 in one run, changecast and the floor pipeline
 * (bench/floor) on the same machine in the same minutes, driven by one load generator
 * (bench/load.mjs) into the same real HTTP sinks on 127.0.0.1 (bench/receivers.mjs); every figure
 * of changecast is also given as a ratio to the floor's. Then itty-durable vs native RPC
 * (bench/itty). Medians of RUNS runs; a table on stdout and bench/results/bench-<date>.json.
 *
 *   npm run bench [-- --quick] [-- --only ingest,fanout,hot-record,fifo,itty] [-- --runs N] [-- --worktree]
 *
 * --quick: 1 run per scenario and about a third of the volume (development); --only: the named
 * scenarios (a prefix picks several: "fanout" = fanout-1, fanout-3, fanout-10); --worktree: the
 * working tree instead of HEAD.
 *
 * Why each server is a child `wrangler dev` on a copy of HEAD (bench/lib.mjs): it is the server
 * `npm run dev` runs (same bundling, bindings and local queues) for both pipelines alike; a
 * crash of wrangler/workerd under queue load ends the child, which is reported, not the process
 * measuring; figures belong to a commit, and edits made meanwhile in the shared checkout cannot
 * reload a Worker mid-run. Sized to keep each server's local queues well under the ~20,000
 * messages that can crash one run, with a fresh server per end-to-end scenario.
 */
import { benchContext, environment, loadAverage, snapshotSources, writeResults } from "./lib.mjs";
import { startReceivers } from "./receivers.mjs";
import { deliveryScenario, fanoutRoutes } from "./scenarios/delivery.mjs";
import { ingestScenario, ingestSizes } from "./scenarios/ingest.mjs";
import { ittyScenario } from "./scenarios/itty.mjs";
import { printSummary, summarize } from "./summary.mjs";

const argv = process.argv.slice(2);
const value = (flag) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
const QUICK = argv.includes("--quick");
const RUNS = Number(value("--runs") ?? (QUICK ? 1 : 3));
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 5) throw new Error("--runs takes 1 to 5");
const ONLY = value("--only")?.split(",").filter(Boolean) ?? null;
const scale = (n) => (QUICK ? Math.max(50, Math.round(n / 3 / 50) * 50) : n);
const TIMEOUT_MS = 120_000; // for the last delivery, after the last POST answered

const fifoRoutes = [
  { name: "fifo", body: { contentMode: "structured", ordering: "per-record" } },
  { name: "none", body: { contentMode: "structured", ordering: "none" } },
];
const spread = (n) => n % 100;
/** Name → how to run it; `changes` per timed run. */
const SCENARIOS = [
  ["ingest", (env) => ingestScenario(env, { sizes: ingestSizes(QUICK ? 1 / 3 : 1), runs: RUNS })],
  ...[1, 3, 10].map((n) => [`fanout-${n}`, (env) => deliveryScenario(env, {
    name: `fanout-${n}`, routes: { changecast: fanoutRoutes(n), floor: fanoutRoutes(n) }, changes: scale(n === 10 ? 400 : 1000), warmup: 100, records: 100, recordOf: spread, runs: RUNS, timeoutMs: TIMEOUT_MS,
  })]),
  ["hot-record", (env) => deliveryScenario(env, {
    name: "hot-record", routes: { changecast: fanoutRoutes(1), floor: fanoutRoutes(1) }, changes: scale(1000), warmup: 100, records: 1, recordOf: () => 0, runs: RUNS, timeoutMs: TIMEOUT_MS,
  })],
  ["fifo", (env) => deliveryScenario(env, {
    // The floor has no ordering: both its routes are plain; the FIFO route is compared with them.
    name: "fifo", routes: { changecast: fifoRoutes, floor: fifoRoutes.map((r) => ({ name: r.name })) }, changes: scale(1000), warmup: 100, records: 100, recordOf: spread, runs: RUNS, timeoutMs: TIMEOUT_MS,
  })],
  ["itty", (env) => ittyScenario(env, { requests: QUICK ? 6 : 20, runs: RUNS })],
];
const chosen = SCENARIOS.filter(([name]) => !ONLY || ONLY.some((o) => name === o || name.startsWith(`${o}-`)));
if (!chosen.length) throw new Error(`--only names none of ${SCENARIOS.map(([n]) => n).join(", ")}`);

const ctx = benchContext({ name: "bench", deadlineMs: 40 * 60_000 });
let receivers = null;

async function main() {
  const began = Date.now();
  const loadBefore = loadAverage();
  const { app, token } = snapshotSources(ctx);
  receivers = await startReceivers(10);
  const env = { ctx, app, token, receivers };
  const scenarios = {};
  const loads = {};
  for (const [name, run] of chosen) {
    scenarios[name] = await run(env);
    loads[name] = loadAverage(); // after the scenario: how busy the shared machine was meanwhile
  }
  const report = {
    bench: `bench${QUICK ? "-quick" : ""}${ONLY ? `-${ONLY.join("+")}` : ""}`, v: 1, date: new Date().toISOString(),
    minutes: Math.round((Date.now() - began) / 6000) / 10,
    environment: { ...environment(ctx, loadBefore), loadAverageAfterScenario: loads },
    config: {
      quick: QUICK, runs: RUNS, only: ONLY,
      pipelines: { changecast: "the Worker at the root as deployed (no counters); $ from one more run per scenario on its own server with --var BENCH_COUNTERS:1",  floor: "bench/floor: one SQLite insert per change, one queue message per event, one signed POST per delivery" },
      load: "bench/load.mjs: batches of 100 (ingest: 1/100/500), 4 requests in flight, bodies built before the clock starts",
      sinks: "10 node:http servers on 127.0.0.1 in the bench process (scripts/demo.mjs startReceiver: handshake, standardwebhooks verification, 204); route slot i → server i",
      deliveredEventsPerSecond: "unique deliveries on all routes / (last arrival − first POST of the run)",
      latency: "arrival at the receiver − the POST's send time carried in the change's data (data.after.sentAt)",
    },
    summary: summarize(scenarios),
    scenarios,
  };
  const file = writeResults(report, { keep: true }); // a full run is kept, not replaced by a later one
  printSummary(report);
  console.log(`\n${report.minutes} min; wrote ${file}`);
}

main()
  .catch((err) => {
    console.error(`bench failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await receivers?.close();
    await ctx.cleanup();
  });
