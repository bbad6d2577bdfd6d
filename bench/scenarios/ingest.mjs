/**
 * Ingest only: POST /v1/changes with no routes (nothing to deliver), batches of 1, 100 and 500
 * changes spread over RECORDS records, IN_FLIGHT requests at a time, on changecast and on the
 * floor, one server each for all batch sizes (changecast: ≤ 1 audit queue message per record per
 * request, ≈ 7,000 for a full run, well under the ~20,000 that can crash a local queue), runs
 * interleaved. Per run: accepted changes/s and request latency p50/p99.
 */
import { median, serverCpuMeter } from "../lib.mjs";
import { changeBatches, pushChanges } from "../load.mjs";
import { PIPELINES } from "../pipelines.mjs";

const RECORDS = 50;
const IN_FLIGHT = 4;

/** `scale` shrinks the request counts for --quick. */
export const ingestSizes = (scale = 1) => [
  { batch: 1, warmup: 20, requests: Math.round(300 * scale) },
  { batch: 100, warmup: 2, requests: Math.round(30 * scale) },
  { batch: 500, warmup: 1, requests: Math.max(2, Math.round(8 * scale)) },
];

export async function ingestScenario(env, { sizes, runs }) {
  const { ctx } = env;
  console.log(`\n— ingest: batches ${sizes.map((x) => x.batch).join("/")}, ${runs} run(s) each, ${RECORDS} records, ${IN_FLIGHT} in flight`);
  const started = {};
  try {
    const names = Object.keys(PIPELINES);
    for (const n of names) started[n] = await PIPELINES[n](ctx, env, "ingest", []); // one at a time: parallel starts collided on ports
    const results = [];
    for (const { batch, warmup, requests } of sizes) {
      const out = Object.fromEntries(names.map((n) => [n, { runs: [] }]));
      const push = (n, label, count) => pushChanges(ctx, { base: started[n].s.base, path: started[n].path, key: started[n].key, batches: changeBatches(label, count * batch, batch, (i) => i % RECORDS), inFlight: IN_FLIGHT });
      for (const n of names) await push(n, `ingest-${n}-b${batch}-warm`, warmup); // first calls create the objects
      for (let i = 1; i <= runs; i++) {
        for (const n of names) {
          const cpu = serverCpuMeter(started[n].s);
          const r = await push(n, `ingest-${n}-b${batch}-r${i}`, requests);
          // CPU to the last answer: changecast's audit shipping tail (queue, R2) may run a little later.
          const cpuMsPerChange = cpu(r.counts.accepted);
          out[n].runs.push({ run: i, requests, ...r.counts, seconds: (r.endedAt - r.startedAt) / 1000, changesPerSecond: r.changesPerSecond, cpuMsPerChange, requestLatencyMs: r.requestLatencyMs, failures: r.failures });
          console.log(`batch ${batch} ${n} run ${i}: ${r.changesPerSecond} changes/s, p50 ${r.requestLatencyMs.p50} ms, p99 ${r.requestLatencyMs.p99} ms, ${cpuMsPerChange} CPU ms/change`);
        }
      }
      for (const n of names) {
        const rs = out[n].runs;
        Object.assign(out[n], {
          changesPerSecond: median(rs.map((r) => r.changesPerSecond)),
          cpuMsPerChange: median(rs.map((r) => r.cpuMsPerChange)),
          requestLatencyMs: { p50: median(rs.map((r) => r.requestLatencyMs.p50)), p99: median(rs.map((r) => r.requestLatencyMs.p99)) },
          notAccepted: rs.reduce((m, r) => m + r.duplicate + r.rejected + r.failedRequests, 0),
        });
      }
      results.push({ batch, requestsPerRun: requests, ...out });
    }
    for (const n of names) {
      const s = started[n].s;
      started[n].health = { // once for all batch sizes
        queues: s.queues, reloads: s.reloads, exitedEarly: s.exited, errorCount: s.errors.length, errors: s.errors.slice(0, 10) };
    }
    return { records: RECORDS, inFlight: IN_FLIGHT, batches: results, servers: Object.fromEntries(names.map((n) => [n, started[n].health])) };
  } finally {
    await Promise.all(Object.values(started).map((p) => ctx.stopServer(p.s)));
  }
}
