/** Composition root: wires the HTTP app and queue consumers, exports the Durable Objects. */
import { app } from "./app";
import { writeAuditSegments } from "./audit/segment-writer";
import { consumeDeliveries, consumeDeliveryDlq } from "./delivery/consumer";
import { pruneExpired } from "./maintenance";
import { withBenchCounters } from "./bench/handler";
import { REGIONS, type Region } from "../shared/record/region";

export { MasterRecord } from "../durable-objects/master-record";
export { RouteHealth } from "../durable-objects/route-health";

function regionOf(queue: string, suffix: string): Region | null {
  const m = /^deliveries-(us|eu|ap)(?:-[1-9][0-9]*)?(-dlq)?$/.exec(queue); // any shard: deliveries-us, deliveries-us-1, …
  return m && (m[2] ?? "") === suffix && (REGIONS as readonly string[]).includes(m[1]!) ? (m[1] as Region) : null;
}

// Bench counters only when BENCH_COUNTERS=1 (a bench's `wrangler dev --var`); otherwise the handlers as they are.
export default withBenchCounters({
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    if (batch.queue === "changecast-audit" || batch.queue === "changecast-audit-dlq") return writeAuditSegments(batch, env);
    const region = regionOf(batch.queue, "");
    if (region) return consumeDeliveries(batch, env, region);
    if (regionOf(batch.queue, "-dlq")) return consumeDeliveryDlq(batch, env);
    console.error(`no consumer for queue ${batch.queue}; retrying`);
    batch.retryAll({ delaySeconds: 60 });
  },
  async scheduled(controller, env, _ctx) {
    const pruned = await pruneExpired(env.DB, controller.scheduledTime);
    console.log("maintenance", JSON.stringify(pruned));
  },
} satisfies ExportedHandler<Env>);
