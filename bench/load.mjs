/**
 * The load generator every `npm run bench` scenario uses, for changecast and the floor alike:
 * request bodies built before the clock starts, then POSTed IN_FLIGHT at a time. Each change
 * carries its run label and, stamped just before its request goes out, the send time
 * (`data.sentAt`, wall-clock ms), so a receiver can compute POST→webhook latency from the event.
 */
import { call, percentile, round } from "./lib.mjs";

/** `count` changes in requests of `batch`; change n goes to record `recordOf(n)`. */
export function changeBatches(label, count, batch, recordOf) {
  const occurredAt = new Date().toISOString();
  return Array.from({ length: Math.ceil(count / batch) }, (_, b) =>
    Array.from({ length: Math.min(batch, count - b * batch) }, (_, i) => {
      const n = b * batch + i;
      const record = recordOf(n);
      return { id: `${label}-${n}`, recordType: "customer", recordId: `c-${record}`, op: "update", occurredAt, data: { name: `Customer ${record}`, visits: n, run: label, sentAt: 0 } };
    }),
  );
}

/**
 * POSTs the batches to `base + path` with `inFlight` requests at a time. Answers the counts of
 * item statuses, failed requests, the accepted (record, sequence) keys, request latencies and
 * the wall-clock start and end (ms).
 */
export async function pushChanges(ctx, { base, path, key, batches, inFlight = 4, timeoutMs = 60_000 }) {
  const counts = { accepted: 0, duplicate: 0, rejected: 0, failedRequests: 0 };
  const accepted = new Set(); // "customer/c-7 12": what every route must receive
  const latencies = [];
  const failures = [];
  let next = 0;
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < batches.length) {
      const changes = batches[next++];
      const sentAt = Date.now();
      for (const c of changes) c.data.sentAt = sentAt;
      try {
        const { results } = await call(ctx, base, "POST", path, key, { changes }, timeoutMs);
        latencies.push(Date.now() - sentAt);
        results.forEach((r, i) => {
          counts[r.status] = (counts[r.status] ?? 0) + 1;
          if (r.status === "accepted") accepted.add(`customer/${changes[i].recordId} ${Number(r.sequence)}`);
        });
      } catch (err) {
        if (ctx.deadline.aborted) throw err;
        counts.failedRequests += 1;
        if (failures.length < 5) failures.push(String(err.message ?? err).slice(0, 300));
      }
    }
  }));
  const endedAt = Date.now();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    counts, accepted, failures, startedAt, endedAt,
    changesPerSecond: round(counts.accepted / Math.max(0.001, (endedAt - startedAt) / 1000)),
    requestLatencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) },
  };
}
