/**
 * One attempt under the route's health object: ask for a permit (breaker, rate, in-flight,
 * Retry-After), attempt, report the result. A refused permit is a deferral, never an attempt.
 * The health object's effects (breaker opened or closed, route to disable) come back with it.
 */
import type { AttemptRecord } from "../../shared/delivery/message";
import type { DeferReason, HealthConfig, HealthEffects } from "../../shared/delivery/route-health";
import type { DeliveryTarget } from "../../shared/routing/route";
import { routeHealthStub } from "../../durable-objects/route-health";
import { webhookOrigin } from "../fanout/config";
import { deliverOnce } from "./send";

export type Guarded = { kind: "deferred"; delaySeconds: number; reason: DeferReason } | { kind: "attempted"; record: AttemptRecord; effects: HealthEffects };

export function healthConfig(target: DeliveryTarget): HealthConfig {
  return { breaker: target.breaker, rateLimitPerSecond: target.rateLimitPerSecond, maxInFlight: target.maxInFlight, timeoutMs: target.timeoutMs };
}

export async function attemptGuarded(env: Env, target: DeliveryTarget, event: Readonly<Record<string, unknown>> & { id: string }, attempt: number, now: () => number): Promise<Guarded> {
  const health = routeHealthStub(env.ROUTE_HEALTH, target.tenant, target.id);
  const cfg = healthConfig(target);
  const permit = await health.acquire(cfg);
  if (!permit.ok) return { kind: "deferred", delaySeconds: permit.delaySeconds, reason: permit.reason };
  let record: AttemptRecord;
  try {
    record = await deliverOnce(target, event, now(), attempt, webhookOrigin(env));
  } catch (err) {
    // deliverOnce does not throw for what the receiver does; free the lease whatever happened.
    await health.release(cfg, permit.leaseId, { outcome: "error" }).catch(() => {});
    throw err;
  }
  const effects = await health.release(cfg, permit.leaseId, { outcome: record.outcome, ...(record.httpStatus ? { httpStatus: record.httpStatus } : {}), retryAfterSeconds: record.retryAfterSeconds ?? null });
  return { kind: "attempted", record, effects };
}
