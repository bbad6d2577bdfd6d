/**
 * A consumer batch's deliveries to one route, under the route's health object: one acquireMany
 * for all of them (breaker, rate, in-flight, Retry-After), the granted ones attempted at once,
 * one releaseMany with every result. A refused permit is a deferral, never an attempt. The
 * health object's effects (breaker opened or closed, route to disable) come back once per batch.
 */
import type { AttemptRecord } from "../../shared/delivery/message";
import { healthConfigOf, type AttemptResult, type HealthConfig, type HealthEffects, type Permit } from "../../shared/delivery/route-health";
import type { LeaseResult } from "../../shared/delivery/route-health-batch";
import type { DeliveryTarget } from "../../shared/routing/route";
import { routeHealthStub, type RouteHealth } from "../../durable-objects/route-health";
import { webhookOrigin } from "../fanout/config";
import { deliverOnce } from "./send";
import type { AttemptPool } from "../../shared/delivery/attempt-pool";

export type RouteDelivery = { event: Readonly<Record<string, unknown>> & { id: string }; attempt: number };
export type Settled =
  | { kind: "deferred"; delaySeconds: number; reason: string }
  | { kind: "attempted"; record: AttemptRecord }
  /** The attempt threw (never for what the receiver does: a bug or a bad secret); its lease is freed. */
  | { kind: "crashed"; error: unknown };

/** The health object could not be reached: the route's deliveries wait this long (not attempts). */
export const HEALTH_UNAVAILABLE_RETRY_SECONDS = 30;
/** A delivery the invocation had no connection slot for in time waits this long (not an attempt). */
export const CONSUMER_BUSY_RETRY_SECONDS = 1;
const ACQUIRE_TRIES = 3;

/**
 * Settles each delivery through `onSettled(index, …)` as soon as its fate is known (a refusal
 * right after the permits, an attempt when it ends), so a message can report its outcomes before
 * the slowest delivery of the route finishes. Answers the batch's health effects.
 *
 * Granted attempts start as the invocation's connection slots allow (`pool`, shared by every
 * route of the batch); the lease covers that wait, then the fetch's timeout (which starts with
 * the fetch), so max-in-flight holds. An attempt whose slot comes after the invocation's start
 * deadline is not made: its lease goes back unused and the delivery is deferred, not counted.
 * A lease is freed when the route's last attempt of the batch ends (one release call).
 */
export async function deliverToRoute(env: Env, target: DeliveryTarget, deliveries: RouteDelivery[], now: () => number, pool: AttemptPool, onSettled: (index: number, settled: Settled) => void): Promise<HealthEffects> {
  const health = routeHealthStub(env.ROUTE_HEALTH, target.tenant, target.id);
  const cfg = healthConfigOf(target);
  const permits = await acquireWithRetries(health, cfg, deliveries.map(() => crypto.randomUUID()), pool.startWithinMs());
  if (!permits) {
    deliveries.forEach((_, i) => onSettled(i, { kind: "deferred", delaySeconds: HEALTH_UNAVAILABLE_RETRY_SECONDS, reason: "route health unavailable" }));
    return {};
  }
  const results: LeaseResult[] = [];
  const unused: string[] = [];
  await Promise.all(
    permits.map(async (permit, i) => {
      if (!permit.ok) return onSettled(i, { kind: "deferred", delaySeconds: permit.delaySeconds, reason: permit.reason });
      const { event, attempt } = deliveries[i]!;
      try {
        // now() inside the task: the attempt's clock starts with its slot, not with the batch.
        const ran = await pool.run(() => deliverOnce(target, event, now(), attempt, webhookOrigin(env)));
        if (!ran.started) {
          unused.push(permit.leaseId);
          return onSettled(i, { kind: "deferred", delaySeconds: CONSUMER_BUSY_RETRY_SECONDS, reason: "consumer-busy" });
        }
        results.push({ leaseId: permit.leaseId, result: resultOf(ran.value) });
        onSettled(i, { kind: "attempted", record: ran.value });
      } catch (error) {
        results.push({ leaseId: permit.leaseId, result: { outcome: "error" } });
        onSettled(i, { kind: "crashed", error });
      }
    }),
  );
  if (results.length === 0 && unused.length === 0) return {};
  try {
    return await health.releaseMany(cfg, results, unused);
  } catch (err) {
    // Not retried: a release is not idempotent (outcomes would count twice). The deliveries
    // happened and are not repeated; the leases expire on their own within timeout + 5 s.
    console.error(`route health: release of ${results.length} attempt(s) to ${target.id} failed`, err);
    return {};
  }
}

/** The same lease ids on every try: a try whose answer was lost is granted again, not twice. */
async function acquireWithRetries(health: DurableObjectStub<RouteHealth>, cfg: HealthConfig, leaseIds: string[], startWithinMs: number): Promise<Permit[] | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      const permits = await health.acquireMany(cfg, leaseIds, startWithinMs);
      if (permits.length === leaseIds.length) return permits;
      throw new Error(`acquireMany answered ${permits.length} permits for ${leaseIds.length} leases`);
    } catch (err) {
      if (attempt >= ACQUIRE_TRIES) {
        console.error("route health: acquire failed; deferring the route's deliveries", err);
        return null;
      }
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

function resultOf(record: AttemptRecord): AttemptResult {
  return { outcome: record.outcome, ...(record.httpStatus ? { httpStatus: record.httpStatus } : {}), retryAfterSeconds: record.retryAfterSeconds ?? null };
}
