/**
 * Admin: what is done to a route rather than written into it: pause, resume, the webhook
 * handshake retry, secret rotation (the new secret shown once) and a synchronous signed test send.
 */
import { Hono, type Context } from "hono";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { deliverOnce } from "../delivery/send";
import { newRouteSecret, secretsKey, webhookOrigin } from "../fanout/config";
import { runHandshake } from "../fanout/handshake";
import { getRoute, loadDeliveryTargets, rotateRouteSecret, updateRoute } from "../fanout/repository";
import { parseBody } from "../http/json-body";
import { HttpProblem, notFound } from "../http/problem";
import { routeChangedMeanwhile, routePending, stateAfter } from "./routes";
import { requireTenant, type TenantScoped } from "./tenant-scope";

export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const rotation = z.strictObject({ overlapSeconds: z.number().int().min(0).max(604_800).default(DEFAULT_OVERLAP_SECONDS) });

export const routeActions = new Hono<TenantScoped>();
routeActions.use("/:tenant/routes/:id/*", requireTenant);

async function setStatus(c: Context<TenantScoped>, status: "active" | "paused") {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id")!;
  const at = new Date().toISOString();
  // Never from pending: pausing then resuming would otherwise skip the endpoint's consent.
  if (!(await updateRoute(c.env.DB, tenant, id, { status, statusReason: null }, at, { statuses: ["active", "paused", "disabled"] }))) {
    const route = await getRoute(c.env.DB, tenant, id, at);
    if (!route) throw notFound(`route "${id}"`);
    throw routePending(route);
  }
  return c.json(await getRoute(c.env.DB, tenant, id, at));
}

/**
 * Paused routes still match events; their deliveries wait (re-checked every minute) and go out
 * after resume. Resuming also re-enables a route the delivery worker
 * disabled (a 410, or failing for days): status active, reason cleared. A pending route
 * (no handshake consent) answers 409 for both: run the handshake instead.
 */
routeActions.post("/:tenant/routes/:id/pause", (c) => setStatus(c, "paused"));
routeActions.post("/:tenant/routes/:id/resume", (c) => setStatus(c, "active"));

/**
 * Runs the webhook handshake again against the route's URL (after the endpoint was fixed, or
 * to re-check an active one) and answers the route: consent makes a pending route active and
 * records the allowed rate; a refusal makes any route pending with the reason.
 */
routeActions.post("/:tenant/routes/:id/handshake", async (c) => {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id");
  const at = new Date().toISOString();
  const route = await getRoute(c.env.DB, tenant, id, at);
  if (!route) throw notFound(`route "${id}"`);
  if (!route.handshake) throw new HttpProblem(409, "handshake-off", "Handshake off", { detail: `route "${id}" does not use the webhook handshake; PATCH handshake: true to turn it on` });
  const verdict = await runHandshake(route.url, webhookOrigin(c.env), route.rateLimitPerSecond);
  const state = stateAfter(verdict, route.status === "pending" ? { status: "active", statusReason: null } : {});
  if (!(await updateRoute(c.env.DB, tenant, id, state, at, { statuses: [route.status], url: route.url }))) {
    if (!(await getRoute(c.env.DB, tenant, id, at))) throw notFound(`route "${id}"`);
    throw routeChangedMeanwhile(id);
  }
  return c.json(await getRoute(c.env.DB, tenant, id, at));
});

/**
 * The new secret signs from now on; every older one keeps signing too until now + overlap, so
 * receivers can deploy the new secret without a window of failed verifications (Standard
 * Webhooks: several space-separated signatures).
 */
routeActions.post("/:tenant/routes/:id/secret/rotate", async (c) => {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id");
  // Every field is optional, so an empty body means the defaults.
  const { overlapSeconds } = (await c.req.text()).trim() === "" ? rotation.parse({}) : await parseBody(c, rotation);
  const now = Date.now();
  const at = new Date(now).toISOString();
  const { secret, sealed } = await newRouteSecret(c.env, at);
  if (!(await rotateRouteSecret(c.env.DB, tenant, id, sealed, new Date(now + overlapSeconds * 1000).toISOString()))) throw notFound(`route "${id}"`);
  return c.json({ ...(await getRoute(c.env.DB, tenant, id, at)), secret });
});

/** Sends whatever the route's status: checking a paused route's endpoint before resuming it is the point. */
routeActions.post("/:tenant/routes/:id/test", async (c) => {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id");
  const now = Date.now();
  const target = (await loadDeliveryTargets(c.env.DB, await secretsKey(c.env), tenant, [id], now)).get(id);
  if (!target) throw notFound(`route "${id}"`);
  const event = {
    specversion: "1.0",
    id: uuidv7({ msecs: now }),
    source: `/tenants/${tenant}/routes/${id}`,
    type: "io.changecast.test",
    time: new Date(now).toISOString(),
    datacontenttype: "application/json",
    data: { message: "changecast test event", route: id },
  };
  const attempt = await deliverOnce(target, event, now, 1, webhookOrigin(c.env));
  return c.json({ delivered: attempt.outcome === "delivered", attempt });
});
