/**
 * Admin: a tenant's routes (CRUD). A route's signing secret is shown once, in the create
 * answer; reads list only each secret's id and lifetime. Pause, resume, rotation, the handshake
 * retry and test sends are in route-actions.ts.
 *
 * The CloudEvents webhook handshake (abuse protection, "HTTP 1.1 Web Hooks for Event Delivery"
 * §4) runs before a route is created and before a PATCH changes its URL, so the write stores the
 * URL and its verdict together: consent → the status asked for (and the endpoint's allowed
 * rate); refusal → "pending" with the reason, and nothing is delivered until a retry passes.
 *
 * `schema: {subject, version}` pins the registry version the subscriber reads (null clears it):
 * it must be a live version of the tenant's registry when written, and is stored with its schema
 * id, so delivery only ever reads immutable schemas by id (workers/delivery/schema-pin.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { HandshakeVerdict } from "../../shared/delivery/handshake";
import { checkTargetUrl } from "../../shared/delivery/target-url";
import { routeFilterSchema } from "../../shared/routing/filter";
import { REGIONS } from "../../shared/record/region";
import type { SchemaPin } from "../../shared/registry/pin";
import { MAX_VERSION, SUBJECT_PATTERN, SUBJECT_RULE } from "../../shared/registry/registry-rules";
import { CONTENT_MODES, DEFAULT_RETRY_SCHEDULE, DEFAULT_TIMEOUT_MS, GUARANTEES, ORDERINGS, ROUTE_STATUSES } from "../../shared/routing/route";
import { allowLoopbackTargets, newRouteSecret, webhookOrigin } from "../fanout/config";
import { runHandshake } from "../fanout/handshake";
import { deleteRoute, getRoute, getSubscriber, insertRoute, listRoutes, newId, updateRoute, type Route, type RouteSettings } from "../fanout/repository";
import { parseBody } from "../http/json-body";
import { HttpProblem, conflict, invalidField, notFound } from "../http/problem";
import { pageOf, pageParams } from "../http/pagination";
import { getSubjectVersion } from "../registry/repository";
import { requireTenant, resourceId, type TenantScoped } from "./tenant-scope";

/** Overrides of DEFAULT_BREAKER (shared/routing/route.ts); each field optional. */
const circuitBreaker = z
  .strictObject({
    consecutiveFailures: z.number().int().min(1).max(1000),
    failureRatePercent: z.number().int().min(1).max(100),
    windowSeconds: z.number().int().min(1).max(3600),
    minimumAttempts: z.number().int().min(1).max(10_000),
    cooldownSeconds: z.number().int().min(1).max(86_400),
  })
  .partial();

const settings = {
  subscriberId: resourceId,
  url: z.string().min(1).max(2048),
  region: z.enum(REGIONS),
  filter: routeFilterSchema,
  contentMode: z.enum(CONTENT_MODES),
  guarantee: z.enum(GUARANTEES),
  ordering: z.enum(ORDERINGS),
  // Seconds to wait before each retry; its length is the number of retries.
  retrySchedule: z.array(z.number().int().min(1).max(86_400)).min(1).max(20),
  timeoutMs: z.number().int().min(1000).max(30_000),
  // null = unlimited. The endpoint's WebHook-Allowed-Rate, when lower, caps the rate.
  rateLimitPerSecond: z.number().positive().max(10_000).nullable(),
  maxInFlight: z.number().int().min(1).max(1000).nullable(),
  // null or {} = the defaults.
  circuitBreaker: circuitBreaker.nullable(),
  handshake: z.boolean(),
  // "pending" (no handshake consent) and "disabled" (a 410, or failing for days) are the
  // system's verdicts, not an admin's choice.
  status: z.enum(["active", "paused"]),
  // A fixed version: "latest" would move under the subscriber, which is what a pin prevents.
  schema: z.strictObject({ subject: z.string().regex(SUBJECT_PATTERN, SUBJECT_RULE), version: z.number().int().min(1).max(MAX_VERSION) }).nullable(),
};

export const newRoute = z.strictObject({
  ...settings,
  id: resourceId.optional(),
  region: settings.region.optional(),
  filter: settings.filter.default([]),
  contentMode: settings.contentMode.default("structured"),
  guarantee: settings.guarantee.default("at-least-once"),
  ordering: settings.ordering.default("none"),
  retrySchedule: settings.retrySchedule.default([...DEFAULT_RETRY_SCHEDULE]),
  timeoutMs: settings.timeoutMs.default(DEFAULT_TIMEOUT_MS),
  rateLimitPerSecond: settings.rateLimitPerSecond.default(null),
  maxInFlight: settings.maxInFlight.default(null),
  circuitBreaker: settings.circuitBreaker.default({}),
  handshake: settings.handshake.default(true),
  status: settings.status.default("active"),
  schema: settings.schema.default(null),
});
export const routePatch = z.strictObject(settings).partial();

/** The stored URL is the normalized one that passed the check: what is checked is what is called. */
function checkedUrl(env: Env, raw: string): string {
  const checked = checkTargetUrl(raw, { allowLoopback: allowLoopbackTargets(env) });
  if (!checked.ok) throw invalidField("url", checked.reason);
  return checked.url.href;
}

async function requireSubscriber(db: D1Database, tenant: string, id: string): Promise<void> {
  if (!(await getSubscriber(db, tenant, id))) throw invalidField("subscriberId", `no subscriber "${id}" in tenant "${tenant}"`);
}

/** The pin as stored: the version must be live in the tenant's registry now; its schema id goes with it. */
async function resolvePin(db: D1Database, tenant: string, pin: { subject: string; version: number } | null): Promise<SchemaPin | null> {
  if (pin === null) return null;
  const found = await getSubjectVersion(db, tenant, pin.subject, pin.version);
  if (found) return { subject: pin.subject, version: pin.version, id: found.id };
  const latest = await getSubjectVersion(db, tenant, pin.subject, "latest");
  if (!latest) throw invalidField("schema.subject", `no subject "${pin.subject}" in the registry of tenant "${tenant}"`);
  throw invalidField("schema.version", `subject "${pin.subject}" has no live version ${pin.version} (latest: ${latest.version})`);
}

/** 409 for status changes of a route whose endpoint has not consented: only a passed handshake (or turning it off) ends "pending". */
export function routePending(route: Pick<Route, "id" | "statusReason">): HttpProblem {
  return new HttpProblem(409, "route-pending", "Route pending", {
    detail: `route "${route.id}" has not passed the webhook handshake (${route.statusReason ?? "not run yet"}): fix the endpoint, then POST /admin/v1/tenants/{tenant}/routes/${route.id}/handshake (or PATCH handshake: false)`,
  });
}

export function routeChangedMeanwhile(id: string): HttpProblem {
  return conflict(`route "${id}" changed while this request ran (status or url); read it and retry`);
}

type RouteState = Partial<Pick<RouteSettings, "status" | "statusReason" | "allowedRate">>;

/** What a handshake verdict makes of a route: consent → `onConsent`, refusal → pending with the reason. */
export function stateAfter(verdict: HandshakeVerdict, onConsent: RouteState): RouteState {
  return verdict.ok ? { ...onConsent, allowedRate: verdict.allowedRate } : { status: "pending", statusReason: verdict.reason, allowedRate: null };
}

export const routes = new Hono<TenantScoped>();
routes.use("/:tenant/routes/*", requireTenant);

routes.post("/:tenant/routes", async (c) => {
  const tenant = c.get("tenant");
  const { id = newId("rt"), circuitBreaker, status, schema, ...input } = await parseBody(c, newRoute);
  const url = checkedUrl(c.env, input.url);
  await requireSubscriber(c.env.DB, tenant.id, input.subscriberId);
  const pin = await resolvePin(c.env.DB, tenant.id, schema);
  const at = new Date().toISOString();
  // Before the handshake, so a taken id costs the endpoint no request (insertRoute still decides).
  if (await getRoute(c.env.DB, tenant.id, id, at)) throw conflict(`route "${id}" already exists in tenant "${tenant.id}"`);
  const state: RouteState = input.handshake
    ? stateAfter(await runHandshake(url, webhookOrigin(c.env), input.rateLimitPerSecond), { status, statusReason: null })
    : { status, statusReason: null, allowedRate: null };
  const route: RouteSettings = { ...input, url, region: input.region ?? tenant.region, circuitBreaker: circuitBreaker ?? {}, status, statusReason: null, allowedRate: null, schema: pin, ...state };
  const { secret, sealed } = await newRouteSecret(c.env, at);
  const result = await insertRoute(c.env.DB, tenant.id, id, route, sealed);
  if (result === "exists") throw conflict(`route "${id}" already exists in tenant "${tenant.id}"`);
  if (result === "no-subscriber") throw invalidField("subscriberId", `no subscriber "${route.subscriberId}" in tenant "${tenant.id}"`);
  return c.json({ ...(await getRoute(c.env.DB, tenant.id, id, at)), secret }, 201);
});

routes.get("/:tenant/routes", async (c) => {
  const page = pageParams(c);
  const status = c.req.query("status");
  if (status !== undefined && !(ROUTE_STATUSES as readonly string[]).includes(status)) throw invalidField("status", `one of ${ROUTE_STATUSES.join(", ")}`);
  const query = { subscriberId: c.req.query("subscriberId"), status: status as (typeof ROUTE_STATUSES)[number] | undefined };
  const rows = await listRoutes(c.env.DB, c.get("tenant").id, query, page.after, page.limit + 1, new Date().toISOString());
  return c.json(pageOf(rows, page.limit, (r) => r.id));
});

routes.get("/:tenant/routes/:id", async (c) => {
  const route = await getRoute(c.env.DB, c.get("tenant").id, c.req.param("id"), new Date().toISOString());
  if (!route) throw notFound(`route "${c.req.param("id")}"`);
  return c.json(route);
});

/**
 * Writes only the given fields. A new URL (or turning the handshake on) runs the handshake
 * first; the write then compares-and-sets the status and URL it was decided from, so a
 * concurrent change answers 409 rather than storing a verdict for another URL.
 */
routes.patch("/:tenant/routes/:id", async (c) => {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id");
  const { circuitBreaker, status, schema, ...input } = await parseBody(c, routePatch);
  const patch: Partial<RouteSettings> = { ...input };
  if (circuitBreaker !== undefined) patch.circuitBreaker = circuitBreaker ?? {};
  if (schema !== undefined) patch.schema = await resolvePin(c.env.DB, tenant, schema);
  if (input.url !== undefined) patch.url = checkedUrl(c.env, input.url);
  if (input.subscriberId !== undefined) await requireSubscriber(c.env.DB, tenant, input.subscriberId);
  const at = new Date().toISOString();
  const current = await getRoute(c.env.DB, tenant, id, at);
  if (!current) throw notFound(`route "${id}"`);

  const url = patch.url ?? current.url;
  const handshake = input.handshake ?? current.handshake;
  let state: RouteState = {};
  if (handshake && (url !== current.url || !current.handshake)) {
    const rate = input.rateLimitPerSecond !== undefined ? input.rateLimitPerSecond : current.rateLimitPerSecond;
    // On consent a pending route becomes active; any other status stays unless the admin set one.
    const onConsent: RouteState = status !== undefined || current.status === "pending" ? { status: status ?? "active", statusReason: null } : {};
    state = stateAfter(await runHandshake(url, webhookOrigin(c.env), rate), onConsent);
  } else {
    // The allowed rate was the old URL's answer.
    if (url !== current.url) state.allowedRate = null;
    if (current.status === "pending" && !handshake) state = { ...state, status: status ?? "active", statusReason: null };
    else if (status !== undefined) {
      if (current.status === "pending") throw routePending(current);
      // An admin setting the status overrides whatever the delivery worker recorded.
      state = { ...state, status, statusReason: null };
    }
  }
  Object.assign(patch, state);
  const guarded = patch.url !== undefined || Object.keys(state).length > 0;
  if (!(await updateRoute(c.env.DB, tenant, id, patch, at, guarded ? { statuses: [current.status], url: current.url } : {}))) {
    if (!(await getRoute(c.env.DB, tenant, id, at))) throw notFound(`route "${id}"`);
    if (input.subscriberId !== undefined && !(await getSubscriber(c.env.DB, tenant, input.subscriberId))) {
      throw invalidField("subscriberId", `no subscriber "${input.subscriberId}" in tenant "${tenant}"`);
    }
    throw routeChangedMeanwhile(id);
  }
  return c.json(await getRoute(c.env.DB, tenant, id, at));
});

routes.delete("/:tenant/routes/:id", async (c) => {
  if (!(await deleteRoute(c.env.DB, c.get("tenant").id, c.req.param("id")))) throw notFound(`route "${c.req.param("id")}"`);
  return c.body(null, 204);
});
