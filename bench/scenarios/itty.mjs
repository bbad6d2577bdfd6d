/**
 * itty-durable vs native RPC: bench/itty's Worker on one fresh server, the same hot path behind
 * POST /native/changes, /native-kv/changes and /itty/changes, runs interleaved. Two shapes: "spread" (batches of
 * 100 over 50 records: ~2 changes per object call) and "hot" (batches of 100 to one record: one
 * object call of 100 changes, calls to it queue up). Per run: changes/s and request p50/p99.
 */
import { median, startServer } from "../lib.mjs";
import { changeBatches, pushChanges } from "../load.mjs";

const BATCH = 100;
const IN_FLIGHT = 4;
// native-kv: native RPC with itty's storage model, to tell the transport's share from the storage's.
const TRANSPORTS = ["native", "native-kv", "itty"];

export async function ittyScenario(env, { requests, runs }) {
  const { ctx, app } = env;
  console.log(`\n— itty-durable vs native RPC: ${runs} × ${requests} requests of ${BATCH} changes per shape`);
  const s = await startServer(ctx, app, "itty", { config: "bench/itty/wrangler.toml" });
  try {
    const shapes = {};
    for (const [shape, recordOf] of [["spread", (n) => n % 50], ["hot", () => 0]]) {
      const out = Object.fromEntries(TRANSPORTS.map((t) => [t, { runs: [] }]));
      const push = (t, label, count) => pushChanges(ctx, { base: s.base, path: `/${t}/changes`, key: "-", batches: changeBatches(label, count * BATCH, BATCH, recordOf), inFlight: IN_FLIGHT });
      for (const t of TRANSPORTS) await push(t, `itty-${shape}-${t}-warm`, 3);
      for (let i = 1; i <= runs; i++) {
        for (const t of TRANSPORTS) {
          const r = await push(t, `itty-${shape}-${t}-r${i}`, requests);
          out[t].runs.push({ run: i, ...r.counts, changesPerSecond: r.changesPerSecond, requestLatencyMs: r.requestLatencyMs, failures: r.failures });
          console.log(`${shape} ${t} run ${i}: ${r.changesPerSecond} changes/s, p50 ${r.requestLatencyMs.p50} ms, p99 ${r.requestLatencyMs.p99} ms`);
        }
      }
      for (const t of TRANSPORTS) {
        const rs = out[t].runs;
        Object.assign(out[t], {
          changesPerSecond: median(rs.map((r) => r.changesPerSecond)),
          requestLatencyMs: { p50: median(rs.map((r) => r.requestLatencyMs.p50)), p99: median(rs.map((r) => r.requestLatencyMs.p99)) },
          notAccepted: rs.reduce((m, r) => m + r.duplicate + r.rejected + r.failedRequests, 0),
        });
      }
      shapes[shape] = out;
    }
    return { batch: BATCH, inFlight: IN_FLIGHT, requestsPerRun: requests, shapes, server: { reloads: s.reloads, exitedEarly: s.exited, errorCount: s.errors.length, errors: s.errors.slice(0, 10) } };
  } finally {
    await ctx.stopServer(s);
  }
}
