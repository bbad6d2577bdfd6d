/**
 * Route health consequences outside the delivery itself: incidents in D1 (filterable by
 * severity in the admin API), disabling a route (410, or failing for 5 days), and operational
 * CloudEvents (`io.changecast.route.failing|recovered|disabled`) to the tenant's operations
 * route, signed like any webhook. Operational events get one attempt: they report, they are
 * not the record of truth (the incidents are).
 */
import { v7 as uuidv7 } from "uuid";
import type { HealthEffects } from "../../shared/delivery/route-health";
import type { DeliveryTarget } from "../../shared/routing/route";
import { secretsKey, webhookOrigin } from "../fanout/config";
import { closeIncidents, disableRoute, getOperationsTarget, openIncident } from "../fanout/repository";
import { deliverOnce } from "./send";

export type OperationalType = "io.changecast.route.failing" | "io.changecast.route.recovered" | "io.changecast.route.disabled";

export async function sendOperationalEvent(env: Env, tenant: string, route: DeliveryTarget, type: OperationalType, detail: string, nowMs: number): Promise<void> {
  try {
    const ops = await getOperationsTarget(env.DB, await secretsKey(env), tenant, nowMs);
    // Never report a route's trouble to itself: a failing operations route would loop.
    if (!ops || ops.id === route.id || ops.secrets.length === 0) return;
    const event = {
      specversion: "1.0",
      id: uuidv7(),
      source: `/tenants/${tenant}/routes/${route.id}`,
      type,
      subject: `route/${route.id}`,
      time: new Date(nowMs).toISOString(),
      datacontenttype: "application/json",
      data: { route: route.id, subscriberId: route.subscriberId, url: route.url, detail },
      tenant,
    };
    const result = await deliverOnce(ops, event, nowMs, 1, webhookOrigin(env));
    if (result.outcome !== "delivered") console.error(`operational event ${type} not delivered`, JSON.stringify(result));
  } catch (err) {
    console.error("operational event failed", err);
  }
}

/** Applies what the health object decided after an attempt; answers statements to batch. */
export async function applyHealthEffects(env: Env, target: DeliveryTarget, effects: HealthEffects, nowMs: number): Promise<D1PreparedStatement[]> {
  const statements: D1PreparedStatement[] = [];
  const tenant = target.tenant;
  if (effects.transition === "failing") {
    statements.push(openIncident(env.DB, { tenant, routeId: target.id, severity: "P4", kind: "breaker_open", detail: "circuit breaker opened: deliveries are deferred", openedAt: nowMs }));
    await sendOperationalEvent(env, tenant, target, "io.changecast.route.failing", "circuit breaker opened", nowMs);
  }
  if (effects.transition === "recovered") {
    statements.push(closeIncidents(env.DB, tenant, target.id, "breaker_open", nowMs));
    await sendOperationalEvent(env, tenant, target, "io.changecast.route.recovered", "circuit breaker closed", nowMs);
  }
  if (effects.disable && (await disableRoute(env.DB, tenant, target.id, effects.disable, new Date(nowMs).toISOString()))) {
    statements.push(openIncident(env.DB, { tenant, routeId: target.id, severity: "P4", kind: "route_disabled", detail: effects.disable, openedAt: nowMs }));
    await sendOperationalEvent(env, tenant, target, "io.changecast.route.disabled", effects.disable, nowMs);
  }
  return statements;
}
