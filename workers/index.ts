/** Composition root: wires the HTTP app and queue consumers, exports the Durable Objects. */
import { app } from "./app";
import { writeAuditSegments } from "./audit/segment-writer";

export { MasterRecord } from "../durable-objects/master-record";

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx) {
    switch (batch.queue) {
      case "changecast-audit":
      case "changecast-audit-dlq":
        return writeAuditSegments(batch, env);
      default:
        console.error(`no consumer for queue ${batch.queue}; retrying`);
        batch.retryAll({ delaySeconds: 60 });
    }
  },
} satisfies ExportedHandler<Env>;
