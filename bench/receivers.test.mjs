/**
 * The sinks' tally is what every end-to-end figure of `npm run bench` is computed from: real
 * receivers on 127.0.0.1, real signed POSTs (the standardwebhooks package signs), and the run's
 * figures checked — unique deliveries, redeliveries, order per record, bad signatures, other
 * runs' stragglers, missing (record, sequence) pairs. Run: node --test bench/*.test.mjs
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Webhook } from "standardwebhooks";
import { newSecret, startReceivers, summarizeDeliveries } from "./receivers.mjs";

let receivers;
before(async () => (receivers = await startReceivers(2)));
after(() => receivers.close());

async function post(path, { id, subject, sequence, run, sentAt, secret }) {
  const body = JSON.stringify({ specversion: "1.0", id, subject, sequence: String(sequence).padStart(20, "0"), data: { op: "update", after: { run, sentAt } } });
  const timestamp = new Date();
  const signature = new Webhook(secret).sign(id, timestamp, body);
  const url = receivers.url(path.endsWith("/a") ? 0 : 1, path);
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/cloudevents+json", "webhook-id": id, "webhook-timestamp": String(Math.floor(timestamp / 1000)), "webhook-signature": signature } });
  return res.status;
}

test("a run's tally: unique arrivals, redeliveries, order, signatures, stragglers, missing", async () => {
  const paths = ["/p/s/a", "/p/s/b"];
  for (const p of paths) receivers.secrets.set(p, newSecret());
  const secret = (p) => receivers.secrets.get(p);
  const startedAt = Date.now() - 1000;
  const tally = receivers.begin("run-1", paths);
  const sentAt = startedAt;
  // route a: seq 1, 2, then 1 again (a redelivery, out of order), and one of an earlier run
  assert.equal(await post(paths[0], { id: "e1", subject: "customer/c-1", sequence: 1, run: "run-1", sentAt, secret: secret(paths[0]) }), 204);
  assert.equal(await post(paths[0], { id: "e2", subject: "customer/c-1", sequence: 2, run: "run-1", sentAt, secret: secret(paths[0]) }), 204);
  assert.equal(await post(paths[0], { id: "e1", subject: "customer/c-1", sequence: 1, run: "run-1", sentAt, secret: secret(paths[0]) }), 204);
  assert.equal(await post(paths[0], { id: "old", subject: "customer/c-1", sequence: 9, run: "run-0", sentAt, secret: secret(paths[0]) }), 204);
  // route b: seq 1 only, signed with the wrong secret (answered 401, still tallied as bad)
  assert.equal(await post(paths[1], { id: "e1", subject: "customer/c-1", sequence: 1, run: "run-1", sentAt, secret: newSecret() }), 401);

  const waited = receivers.waitFor(2, 200, new Promise(() => {}));
  await waited; // route b has 1 of 2: ends at the timeout
  const s = summarizeDeliveries(tally, new Set(["customer/c-1 1", "customer/c-1 2"]), startedAt);
  assert.equal(s.delivered, 3);
  assert.equal(s.missing, 1);
  assert.equal(s.lateFromEarlierRuns, 1);
  assert.deepEqual(
    { a: [s.routes[paths[0]].delivered, s.routes[paths[0]].duplicates, s.routes[paths[0]].orderViolations, s.routes[paths[0]].badSignatures, s.routes[paths[0]].missing], b: [s.routes[paths[1]].delivered, s.routes[paths[1]].badSignatures, s.routes[paths[1]].missing] },
    { a: [2, 1, 1, 0, 0], b: [1, 1, 1] },
  );
  // latency = arrival − the send time carried in the event: at least the second we backdated
  assert.ok(s.latencyMs.p50 >= 1000 && s.latencyMs.p99 < 60_000, JSON.stringify(s.latencyMs));
  assert.ok(s.deliveriesPerSecond > 0 && s.deliveriesPerSecond <= 3);
});

test("waitFor resolves as soon as every route has its target", async () => {
  const paths = ["/p/w/a"];
  receivers.secrets.set(paths[0], newSecret());
  receivers.begin("run-2", paths);
  const t0 = Date.now();
  const waiting = receivers.waitFor(1, 10_000, new Promise(() => {}));
  await post(paths[0], { id: "w1", subject: "customer/c-2", sequence: 1, run: "run-2", sentAt: t0, secret: receivers.secrets.get(paths[0]) });
  await waiting;
  assert.ok(Date.now() - t0 < 5000);
});
