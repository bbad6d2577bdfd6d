/**
 * Delivery consumer (one per region queue): for each message, attempts its routes
 * concurrently; a failed route goes back as its own delayed retry message (so one failing
 * subscriber never re-sends to the others), an exhausted one becomes a dead letter. The
 * outcomes of one event go back to its master record in one call. Each message is then acked
 * explicitly; an unexpected error retries that message only (max_retries → the region DLQ).
 */
import { v7 as uuidv7 } from "uuid";
import { afterAttempt, BACKPRESSURE_INCIDENT_AFTER_MS, beforeAttempt } from "../../shared/delivery/decide";
import { isDeliverMessage, type DeliverMessage, type RouteAttempt } from "../../shared/delivery/message";
import type { Region } from "../../shared/record/region";
import type { DeliveryTarget } from "../../shared/routing/route";
import type { DeliveryOutcome } from "../../durable-objects/master-record-storage";
import { deliveryQueue } from "../../durable-objects/outbox";
import { masterRecordStub, residencyMode } from "../../durable-objects/record-address";
import { closeIncidents, loadDeliveryTargets, openIncident } from "../fanout/repository";
import { insertAttempts, type LoggedAttempt } from "./attempt-log";
import { insertDeadLetter } from "./dead-letters";
import { continueReplayJob, isReplayJobMessage } from "./replay";
import { applyHealthEffects } from "./operations";
import { attemptGuarded } from "./route-guard";
import { checkSchemaPin } from "./schema-pin";
import { secretsKey } from "../fanout/config";

export type Clock = { now: () => number; random: () => number };
const systemClock: Clock = { now: () => Date.now(), random: () => Math.random() };

/** A route whose schema pin could not be checked (registry unreadable) waits this long; not an attempt. */
const PIN_RECHECK_SECONDS = 30;

/** Messages processed at once per invocation; each attempts all of its routes concurrently. */
const MESSAGE_CONCURRENCY = 16;

type Work = {
  retries: { body: DeliverMessage; delaySeconds: number }[];
  /** Dead letters and incidents, written in one D1 batch at the end of the invocation. */
  statements: D1PreparedStatement[];
  attempts: Map<string, { tenant: string; route: string; items: LoggedAttempt[] }>;
};

export async function consumeDeliveries(batch: MessageBatch, env: Env, region: Region, clock: Clock = systemClock): Promise<void> {
  const key = await secretsKey(env);
  const valid: Message<DeliverMessage>[] = [];
  for (const m of batch.messages) {
    if (isDeliverMessage(m.body)) valid.push(m as Message<DeliverMessage>);
    else if (isReplayJobMessage(m.body)) {
      await continueReplayJob(env, m.body, deliveryQueue(env, region), clock.now());
      m.ack();
    } else {
      console.error("unreadable delivery message; sending it to the DLQ", m.id);
      m.retry(); // max_retries, then the region DLQ keeps it
    }
  }

  // One D1 round trip per tenant for all routes its messages mention (targets + secrets).
  const targets = new Map<string, Map<string, DeliveryTarget>>();
  for (const tenant of new Set(valid.map((m) => m.body.tenant))) {
    const ids = [...new Set(valid.filter((m) => m.body.tenant === tenant).flatMap((m) => m.body.routes.map((r) => r.id)))];
    targets.set(tenant, await loadDeliveryTargets(env.DB, key, tenant, ids, clock.now()));
  }

  const work: Work = { retries: [], statements: [], attempts: new Map() };
  const done: Message<DeliverMessage>[] = [];
  for (let i = 0; i < valid.length; i += MESSAGE_CONCURRENCY) {
    await Promise.all(
      valid.slice(i, i + MESSAGE_CONCURRENCY).map(async (m) => {
        try {
          await processMessage(env, m.body, targets.get(m.body.tenant)!, work, clock);
          done.push(m);
        } catch (err) {
          console.error("delivery message failed; retrying it", m.id, err);
          m.retry({ delaySeconds: 30 });
        }
      }),
    );
  }

  const queue = deliveryQueue(env, region);
  for (let i = 0; i < work.retries.length; i += 100) {
    await queue.sendBatch(work.retries.slice(i, i + 100).map((r) => ({ body: r.body, contentType: "json" as const, delaySeconds: r.delaySeconds })));
  }
  const batchId = uuidv7();
  const logRows = [...work.attempts.values()].map((a) => insertAttempts(env.DB, a.tenant, a.route, batchId, clock.now(), a.items));
  const statements = [...work.statements, ...logRows];
  if (statements.length > 0) await env.DB.batch(statements);
  done.forEach((m) => m.ack());
}

const DISPOSITION = { delivered: "delivered", "given-up": "given-up", retry: "retrying", "dead-letter": "dead-lettered" } as const;

function isFifo(target: DeliveryTarget): boolean {
  return target.ordering === "per-record" || target.guarantee === "exactly-once";
}

async function processMessage(env: Env, msg: DeliverMessage, targets: Map<string, DeliveryTarget>, work: Work, clock: Clock): Promise<void> {
  const outcomes: DeliveryOutcome[] = [];
  await Promise.all(
    msg.routes.map(async (sent) => {
      const target = targets.get(sent.id) ?? null;
      const gate = beforeAttempt(target);
      if (gate.kind === "drop") {
        // Reported so the record's trail says why, and a FIFO cursor never waits on a dead route.
        return void outcomes.push({ route: sent.id, attempt: sent.attempt, outcome: "dropped", disposition: "given-up", at: clock.now(), latencyMs: 0, final: true });
      }
      if (gate.kind === "defer") return void work.retries.push({ body: { ...msg, routes: [sent] }, delaySeconds: gate.delaySeconds });

      // A route pinned to a schema version never receives an event that version cannot read:
      // not attempted, a P1 dead letter; final, so the record's FIFO cursor blocks on it like a
      // dead-lettered delivery (replay after changing the pin, or skip).
      const pin = await checkSchemaPin(env.DB, msg, target!.schema);
      if (pin.kind === "defer") return void work.retries.push({ body: { ...msg, routes: [sent] }, delaySeconds: PIN_RECHECK_SECONDS });
      if (pin.kind === "hold") {
        const reason = isFifo(target!) ? `${pin.reason}; ordering blocked until it is replayed or skipped` : pin.reason;
        work.statements.push(deadLetterFor(env, msg, sent, sent.history, reason, "P1", clock.now()));
        return void outcomes.push({ route: sent.id, attempt: sent.attempt, outcome: "schema-incompatible", disposition: "dead-lettered", at: clock.now(), latencyMs: 0, final: true });
      }

      const guarded = await attemptGuarded(env, target!, msg.event, sent.attempt, clock.now);
      if (guarded.kind === "deferred") return void defer(env, msg, sent, guarded.delaySeconds, guarded.reason, work, clock.now());
      const record = guarded.record;
      work.statements.push(...(await applyHealthEffects(env, target!, guarded.effects, clock.now())));
      if (sent.deferredSince !== undefined) work.statements.push(closeIncidents(env.DB, msg.tenant, sent.id, "backpressure", clock.now()));
      const log = work.attempts.get(`${msg.tenant}\u0000${sent.id}`) ?? { tenant: msg.tenant, route: sent.id, items: [] };
      log.items.push({ ...record, eventId: msg.event.id, subject: msg.event.subject });
      work.attempts.set(`${msg.tenant}\u0000${sent.id}`, log);

      const next = afterAttempt(target!, sent, record, clock.random());
      outcomes.push({
        route: sent.id,
        attempt: sent.attempt,
        outcome: record.outcome,
        disposition: DISPOSITION[next.kind],
        ...(record.httpStatus ? { httpStatus: record.httpStatus } : {}),
        at: record.at,
        latencyMs: record.latencyMs,
        final: next.kind !== "retry",
      });
      if (next.kind === "retry") work.retries.push({ body: { ...msg, routes: [{ ...next.next, deferredSince: undefined }] }, delaySeconds: next.delaySeconds });
      if (next.kind === "dead-letter") {
        // On a FIFO route the dead letter holds back every later event of this record (P0).
        const fifo = isFifo(target!);
        work.statements.push(deadLetterFor(env, msg, sent, next.history, fifo ? `ordering blocked: ${next.reason}` : next.reason, fifo ? "P0" : "P4", clock.now()));
      }
    }),
  );
  if (outcomes.length > 0) await reportOutcomes(env, msg, outcomes);
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
  work.retries.push({ body: { ...msg, routes: [{ ...sent, deferredSince: since }] }, delaySeconds });
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
 * The record's own trail of who got what, and the release of its FIFO routes' next events.
 * Transient RPC failures are retried a few times; a report that still fails is logged (the
 * attempt log and dead letters keep the outcome) and never fails the deliveries already made.
 */
async function reportOutcomes(env: Env, msg: DeliverMessage, outcomes: DeliveryOutcome[]): Promise<void> {
  const stub = masterRecordStub(env.MASTER_RECORD, { tenant: msg.tenant, region: msg.recordRegion, recordType: msg.recordType, recordId: msg.recordId }, residencyMode(env.EU_JURISDICTION));
  for (let attempt = 1; ; attempt++) {
    try {
      return await stub.recordDeliveries(Number(msg.event.sequence), outcomes);
    } catch (err) {
      if (attempt >= 3) return void console.error("could not report delivery outcomes to the master record", err);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** The platform DLQ: messages the consumer could not process max_retries times. */
export async function consumeDeliveryDlq(batch: MessageBatch, env: Env, clock: Clock = systemClock): Promise<void> {
  const statements: D1PreparedStatement[] = [];
  for (const m of batch.messages) {
    if (!isDeliverMessage(m.body)) {
      console.error("unreadable message in a delivery DLQ; dropped", m.id, JSON.stringify(m.body).slice(0, 500));
      continue;
    }
    const msg = m.body;
    for (const sent of msg.routes) statements.push(deadLetterFor(env, msg, sent, sent.history, `the delivery consumer failed ${m.attempts} times on this message (platform DLQ)`, "P4", clock.now()));
  }
  if (statements.length > 0) await env.DB.batch(statements);
  batch.ackAll();
}

