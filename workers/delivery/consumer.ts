/**
 * Delivery consumer (the same for every queue shard of a region). A batch's deliveries are grouped by route:
 * each route's health object is asked once for all of them and told once how they went
 * (workers/delivery/route-guard.ts); the granted ones are attempted concurrently, at most six at
 * a time across the batch (the invocation's connection slots: shared/delivery/attempt-pool.ts). A failed route
 * goes back as its own delayed retry message (so one failing subscriber never re-sends to the
 * others), an exhausted one becomes a dead letter. The outcomes of one event go back to its
 * master record in one call, as soon as all of its routes are settled. Each message is then
 * acked explicitly; an unexpected error retries that message only (max_retries → its DLQ).
 * Before any of that, the audit entries the batch's messages carry are written to R2 as segments
 * (workers/audit/carried.ts); a message whose entry could not be written is retried, undelivered.
 * Retries and deferrals are new messages without the entry (forRoutes): it is written once.
 */
import { v7 as uuidv7 } from "uuid";
import { AttemptPool, DEFAULT_POOL_LIMITS, type PoolLimits } from "../../shared/delivery/attempt-pool";
import { afterAttempt, BACKPRESSURE_INCIDENT_AFTER_MS, beforeAttempt } from "../../shared/delivery/decide";
import { forRoutes, isDeliverMessage, type DeliverMessage, type RouteAttempt } from "../../shared/delivery/message";
import type { Region } from "../../shared/record/region";
import type { DeliveryTarget } from "../../shared/routing/route";
import { deliveryQueue, routeQueue } from "../../durable-objects/outbox";
import { returnCarriedAudit, writeCarriedAudit } from "../audit/carried";
import { closeIncidents, loadDeliveryTargets, openIncident } from "../fanout/repository";
import { secretsKey } from "../fanout/config";
import { insertAttempts, type LoggedAttempt } from "./attempt-log";
import { insertDeadLetter } from "./dead-letters";
import { MessageRun } from "./message-run";
import { applyHealthEffects } from "./operations";
import { continueReplayJob, isReplayJobMessage } from "./replay";
import { deliverToRoute, type Settled } from "./route-guard";
import { checkSchemaPin } from "./schema-pin";

export type Clock = { now: () => number; random: () => number };
const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };

/**
 * A message whose carried audit entry could not be written waits 10 s (the audit consumer's delay),
 * doubling per attempt: max_retries (5) then spans about 5 minutes of R2 trouble before the
 * message goes to the DLQ, which dead-letters its routes and hands the entry to the audit queue.
 */
const auditRetrySeconds = (attempts: number) => Math.min(10 * 2 ** Math.max(0, attempts - 1), 300);
/** A route whose schema pin could not be checked (registry unreadable) waits this long; not an attempt. */
const PIN_RECHECK_SECONDS = 30;

type Work = {
  retries: { body: DeliverMessage; delaySeconds: number }[];
  /** Dead letters, incidents and attempt-log rows, written in one D1 batch at the end of the invocation. */
  statements: D1PreparedStatement[];
};

/** A batch's deliveries to one route, in message order. */
type RouteGroup = { target: DeliveryTarget; items: { run: MessageRun; sent: RouteAttempt }[]; attempts: LoggedAttempt[]; wasDeferred: boolean };

export async function consumeDeliveries(batch: MessageBatch, env: Env, region: Region, clock: Clock = systemClock, limits: PoolLimits = DEFAULT_POOL_LIMITS): Promise<void> {
  const key = await secretsKey(env);
  const readable: Message<DeliverMessage>[] = [];
  for (const m of batch.messages) {
    if (isDeliverMessage(m.body)) readable.push(m as Message<DeliverMessage>);
    else if (isReplayJobMessage(m.body)) {
      await continueReplayJob(env, m.body, deliveryQueue(env, region), clock.now());
      m.ack();
    } else {
      console.error("unreadable delivery message; sending it to the DLQ", m.id);
      m.retry(); // max_retries, then the queue's DLQ keeps it
    }
  }
  // Audit before delivery: the entries this batch carries go to R2 (one segment per tenant) while
  // the targets load, and nothing is planned until both are done; a message whose entry is not
  // there is not delivered now, and comes back with it still on.
  const [unwritten, targets] = await Promise.all([writeCarriedAudit(env.AUDIT_BUCKET, readable, clock.now()), loadTargets(env, key, readable, clock.now())]);
  for (const m of unwritten) m.retry({ delaySeconds: auditRetrySeconds(m.attempts) });
  const valid = readable.filter((m) => !unwritten.has(m));

  const work: Work = { retries: [], statements: [] };
  const runs = valid.map((m) => new MessageRun(env, m));
  const groups = new Map<string, RouteGroup>();
  await Promise.all(runs.map((run) => planMessage(env, run, targets.get(run.body.tenant)!, groups, work, clock)));
  // One pool of connection slots for every route of the batch (shared/delivery/attempt-pool.ts).
  const pool = new AttemptPool(limits, clock.now);
  await Promise.all([...groups.values()].map((group) => deliverGroup(env, group, work, clock, pool)));
  await Promise.all(runs.map((run) => run.reported()));

  // Each retry carries one route and goes to that delivery's own shard (whichever shard this batch came from).
  const byQueue = new Map<Queue, Work["retries"]>();
  for (const r of work.retries) {
    const queue = routeQueue(env, region, r.body, r.body.routes[0]!.id);
    byQueue.set(queue, [...(byQueue.get(queue) ?? []), r]);
  }
  for (const [queue, retries] of byQueue) {
    for (let i = 0; i < retries.length; i += 100) {
      await queue.sendBatch(retries.slice(i, i + 100).map((r) => ({ body: r.body, contentType: "json" as const, delaySeconds: r.delaySeconds })));
    }
  }
  const batchId = uuidv7();
  for (const g of groups.values()) if (g.attempts.length > 0) work.statements.push(insertAttempts(env.DB, g.target.tenant, g.target.id, batchId, clock.now(), g.attempts));
  if (work.statements.length > 0) await env.DB.batch(work.statements);
  for (const run of runs) {
    if (run.failed) run.message.retry({ delaySeconds: 30 });
    else run.message.ack();
  }
}

/** One D1 round trip per tenant for all routes its messages mention (targets + secrets). */
async function loadTargets(env: Env, key: CryptoKey, messages: readonly Message<DeliverMessage>[], nowMs: number): Promise<Map<string, Map<string, DeliveryTarget>>> {
  const targets = new Map<string, Map<string, DeliveryTarget>>();
  for (const tenant of new Set(messages.map((m) => m.body.tenant))) {
    const ids = [...new Set(messages.filter((m) => m.body.tenant === tenant).flatMap((m) => m.body.routes.map((r) => r.id)))];
    targets.set(tenant, await loadDeliveryTargets(env.DB, key, tenant, ids, nowMs));
  }
  return targets;
}

const DISPOSITION = { delivered: "delivered", "given-up": "given-up", retry: "retrying", "dead-letter": "dead-lettered" } as const;

function isFifo(target: DeliveryTarget): boolean {
  return target.ordering === "per-record" || target.guarantee === "exactly-once";
}

/** Settles what needs no attempt (dropped, held, paused, pinned) and puts the rest in their route's group. */
async function planMessage(env: Env, run: MessageRun, targets: Map<string, DeliveryTarget>, groups: Map<string, RouteGroup>, work: Work, clock: Clock): Promise<void> {
  const msg = run.body;
  try {
    for (const sent of msg.routes) {
      const target = targets.get(sent.id) ?? null;
      const gate = beforeAttempt(target);
      if (gate.kind === "drop") {
        // Reported so the record's trail says why, and a FIFO cursor never waits on a dead route.
        run.outcomes.push({ route: sent.id, attempt: sent.attempt, outcome: "dropped", disposition: "given-up", at: clock.now(), latencyMs: 0, final: true });
        continue;
      }
      if (gate.kind === "defer") {
        work.retries.push({ body: forRoutes(msg, [sent]), delaySeconds: gate.delaySeconds });
        continue;
      }
      // A route pinned to a schema version never receives an event that version cannot read:
      // not attempted, a P1 dead letter; final, so the record's FIFO cursor blocks on it like a
      // dead-lettered delivery (replay after changing the pin, or skip).
      const pin = await checkSchemaPin(env.DB, msg, target!.schema);
      if (pin.kind === "defer") {
        work.retries.push({ body: forRoutes(msg, [sent]), delaySeconds: PIN_RECHECK_SECONDS });
        continue;
      }
      if (pin.kind === "hold") {
        const reason = isFifo(target!) ? `${pin.reason}; ordering blocked until it is replayed or skipped` : pin.reason;
        work.statements.push(deadLetterFor(env, msg, sent, sent.history, reason, "P1", clock.now()));
        run.outcomes.push({ route: sent.id, attempt: sent.attempt, outcome: "schema-incompatible", disposition: "dead-lettered", at: clock.now(), latencyMs: 0, final: true });
        continue;
      }
      const key = `${msg.tenant}\u0000${sent.id}`;
      const group = groups.get(key) ?? { target: target!, items: [], attempts: [], wasDeferred: false };
      groups.set(key, group);
      group.items.push({ run, sent });
      if (sent.fifo || isFifo(target!) || sent.generation > 0) run.ordered = true;
      run.expect();
    }
  } catch (err) {
    console.error("delivery message failed; retrying it", run.message.id, err);
    run.failed = true;
  } finally {
    run.seal();
  }
}

/** One acquire and one release for the route, whatever the number of its deliveries in the batch. */
async function deliverGroup(env: Env, group: RouteGroup, work: Work, clock: Clock, pool: AttemptPool): Promise<void> {
  const deliveries = group.items.map(({ run, sent }) => ({ event: run.body.event, attempt: sent.attempt }));
  const effects = await deliverToRoute(env, group.target, deliveries, clock.now, pool, (i, settled) => {
    const { run, sent } = group.items[i]!;
    try {
      settleDelivery(env, group, run, sent, settled, work, clock);
    } catch (err) {
      console.error("delivery message failed; retrying it", run.message.id, err);
      run.failed = true;
    } finally {
      run.settle();
    }
  });
  try {
    work.statements.push(...(await applyHealthEffects(env, group.target, effects, clock.now())));
    if (group.wasDeferred) work.statements.push(closeIncidents(env.DB, group.target.tenant, group.target.id, "backpressure", clock.now()));
  } catch (err) {
    // The deliveries are made and reported; retrying their messages would only send them twice.
    console.error(`route health effects for ${group.target.id} not applied`, JSON.stringify(effects), err);
  }
}

function settleDelivery(env: Env, group: RouteGroup, run: MessageRun, sent: RouteAttempt, settled: Settled, work: Work, clock: Clock): void {
  const msg = run.body;
  const target = group.target;
  if (settled.kind === "deferred") return defer(env, msg, sent, settled.delaySeconds, settled.reason, work, clock.now());
  if (settled.kind === "crashed") throw settled.error;
  const record = settled.record;
  if (sent.deferredSince !== undefined) group.wasDeferred = true;
  group.attempts.push({ ...record, eventId: msg.event.id, subject: msg.event.subject });

  const next = afterAttempt(target, sent, record, clock.random());
  run.outcomes.push({
    route: sent.id,
    attempt: sent.attempt,
    outcome: record.outcome,
    disposition: DISPOSITION[next.kind],
    ...(record.httpStatus ? { httpStatus: record.httpStatus } : {}),
    at: record.at,
    latencyMs: record.latencyMs,
    final: next.kind !== "retry",
  });
  if (next.kind === "retry") work.retries.push({ body: forRoutes(msg, [{ ...next.next, deferredSince: undefined }]), delaySeconds: next.delaySeconds });
  if (next.kind === "dead-letter") {
    // On a FIFO route the dead letter holds back every later event of this record (P0).
    const fifo = isFifo(target);
    work.statements.push(deadLetterFor(env, msg, sent, next.history, fifo ? `ordering blocked: ${next.reason}` : next.reason, fifo ? "P0" : "P4", clock.now()));
  }
}

/**
 * Backpressure: the route's health refused a permit. The same attempt goes back with a delay
 * (it is not counted); deferred for longer than the threshold, the route gets a P3 incident.
 */
function defer(env: Env, msg: DeliverMessage, sent: RouteAttempt, delaySeconds: number, reason: string, work: Work, nowMs: number): void {
  const since = sent.deferredSince ?? nowMs;
  if (nowMs - since > BACKPRESSURE_INCIDENT_AFTER_MS) {
    work.statements.push(openIncident(env.DB, { tenant: msg.tenant, routeId: sent.id, severity: "P3", kind: "backpressure", detail: `deliveries deferred for ${Math.round((nowMs - since) / 60_000)} min (${reason})`, openedAt: nowMs }));
  }
  work.retries.push({ body: forRoutes(msg, [{ ...sent, deferredSince: since }]), delaySeconds });
}

function deadLetterFor(env: Env, msg: DeliverMessage, sent: RouteAttempt, history: RouteAttempt["history"], reason: string, severity: string, nowMs: number): D1PreparedStatement {
  return insertDeadLetter(env.DB, {
    tenant: msg.tenant,
    routeId: sent.id,
    eventId: msg.event.id,
    subject: msg.event.subject,
    sequence: Number(msg.event.sequence),
    event: msg.event,
    attempts: history,
    reason,
    generation: sent.generation,
    severity,
    createdAt: nowMs,
  });
}

/**
 * The platform DLQ: messages the consumer could not process max_retries times. Their routes become
 * dead letters (the event only, never the carried audit entry); a carried entry that may never have
 * reached R2 goes back to the audit queue first, so it is not lost with the message.
 */
export async function consumeDeliveryDlq(batch: MessageBatch, env: Env, clock: Clock = systemClock): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  const dead: Message<DeliverMessage>[] = [];
  for (const m of batch.messages) {
    if (!isDeliverMessage(m.body)) {
      console.error("unreadable message in a delivery DLQ; dropped", m.id, JSON.stringify(m.body).slice(0, 500));
      continue;
    }
    dead.push(m as Message<DeliverMessage>);
    const msg = m.body;
    for (const sent of msg.routes) statements.push(deadLetterFor(env, msg, sent, sent.history, `the delivery consumer failed ${m.attempts} times on this message (platform DLQ)`, "P4", clock.now()));
  }
  await returnCarriedAudit(env, dead, clock.now());
  if (statements.length > 0) await env.DB.batch(statements);
  batch.ackAll();
}
