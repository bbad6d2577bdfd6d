/**
 * The webhook sinks of `npm run bench`: real node:http servers on 127.0.0.1 (scripts/demo.mjs's
 * startReceiver: answers the CloudEvents handshake, verifies every Standard Webhooks signature
 * with the `standardwebhooks` package, answers 204), one per route slot so that fan-out 10 means
 * ten endpoints. Arrivals are stamped with Date.now() in this process — the same clock as the
 * load generator's `data.sentAt` — and tallied per route (the request path) for the current run:
 * unique webhook-ids, redeliveries, bad signatures, POST→webhook latency, first and last arrival,
 * and per record (subject) whether sequences arrive in order.
 */
import { randomBytes } from "node:crypto";
import { startReceiver } from "../scripts/demo.mjs";
import { percentile, round } from "./lib.mjs";

export const newSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

function routeTally() {
  return { arrivals: new Map(), seen: new Set(), lastSeq: new Map(), violations: 0, duplicates: 0, badSignatures: 0, latencies: [], first: 0, last: 0 };
}

export async function startReceivers(count) {
  const secrets = new Map(); // path → whsec_ secret
  let tally = { label: null, routes: new Map(), foreign: 0, check: () => {} };
  const onWebhook = (w) => {
    const t = tally;
    const r = t.routes.get(w.path);
    const after = w.event?.data?.after;
    // Not a route of this run, or a late redelivery of an earlier run's change: not this run's figure.
    if (!r || after?.run !== t.label) return void (t.foreign += 1);
    if (!w.verifiedWith) r.badSignatures += 1;
    const seq = Number(w.event.sequence);
    const last = r.lastSeq.get(w.event.subject);
    if (last !== undefined && seq <= last) r.violations += 1; // a redelivery of n after n+1 counts too
    r.lastSeq.set(w.event.subject, Math.max(seq, last ?? -Infinity));
    const id = w.headers["webhook-id"];
    if (r.arrivals.has(id)) return void (r.duplicates += 1);
    r.arrivals.set(id, w.receivedAt);
    r.seen.add(`${w.event.subject} ${seq}`);
    r.latencies.push(w.receivedAt - after.sentAt);
    r.first ||= w.receivedAt;
    r.last = Math.max(r.last, w.receivedAt);
    t.check();
  };
  const servers = [];
  for (let i = 0; i < count; i++) {
    servers.push(await startReceiver({ secretsFor: (path) => (secrets.has(path) ? [{ label: path, secret: secrets.get(path) }] : []), onWebhook }));
  }
  return {
    /** The URL of route slot `i` for `path` (e.g. "/floor/fanout-3/r1"). */
    url: (i, path) => `${servers[i % servers.length].url}${path}`,
    secrets,
    /** Starts tallying run `label` for these route paths; the previous run's tally is dropped. */
    begin(label, paths) {
      tally = { label, routes: new Map(paths.map((p) => [p, routeTally()])), foreign: 0, check: () => {} };
      return tally;
    },
    /** Resolves once every route of the current run has `target` unique arrivals, or at `timeoutMs`, or when `stop` resolves. */
    async waitFor(target, timeoutMs, stop) {
      const t = tally;
      let timer, done;
      const all = new Promise((resolve) => (done = resolve));
      t.check = () => [...t.routes.values()].every((r) => r.arrivals.size >= target) && done();
      t.check();
      await Promise.race([all, stop, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      t.check = () => {};
    },
    close: () => Promise.all(servers.map((s) => s.close())),
  };
}

/** A run's figures from its tally: per route, and over all routes (delivered events/s, latency). */
export function summarizeDeliveries(t, accepted, startedAt) {
  const routes = {};
  const all = [];
  let delivered = 0, missing = 0, last = 0;
  for (const [path, r] of t.routes) {
    let miss = 0;
    for (const k of accepted) if (!r.seen.has(k)) miss += 1;
    const sorted = [...r.latencies].sort((a, b) => a - b);
    const seconds = r.last ? (r.last - startedAt) / 1000 : null;
    routes[path] = {
      delivered: r.arrivals.size, missing: miss, duplicates: r.duplicates, badSignatures: r.badSignatures, orderViolations: r.violations,
      deliveriesPerSecond: seconds ? round(r.arrivals.size / seconds) : null,
      latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) },
    };
    all.push(...r.latencies);
    delivered += r.arrivals.size;
    missing += miss;
    last = Math.max(last, r.last);
  }
  const sorted = all.sort((a, b) => a - b);
  const seconds = last ? (last - startedAt) / 1000 : null;
  return {
    delivered, missing, lateFromEarlierRuns: t.foreign, seconds: round(seconds, 3),
    deliveriesPerSecond: seconds ? round(delivered / seconds) : null,
    latencyMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? null) },
    routes,
  };
}
