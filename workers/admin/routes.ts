/**
 * Admin: a tenant's routes (CRUD). A route's signing secret is shown once, in the create
 * answer; reads list only each secret's id and lifetime. Pause, resume, rotation and test
 * sends are in route-actions.ts.
 */
import { Hono } from "hono";
import { z } from "zod";
import { checkTargetUrl } from "../../shared/delivery/target-url";
import { routeFilterSchema } from "../../shared/routing/filter";
import { REGIONS } from "../../shared/record/region";
import { CONTENT_MODES, DEFAULT_RETRY_SCHEDULE, DEFAULT_TIMEOUT_MS, GUARANTEES, ORDERINGS, ROUTE_STATUSES } from "../../shared/routing/route";
import { allowLoopbackTargets, newRouteSecret } from "../fanout/config";
import { deleteRoute, getRoute, getSubscriber, insertRoute, listRoutes, newId, updateRoute, type RouteSettings } from "../fanout/repository";
import { parseBody } from "../http/json-body";
import { conflict, invalidField, notFound } from "../http/problem";
import { pageOf, pageParams } from "../http/pagination";
import { requireTenant, resourceId, type TenantScoped } from "./tenant-scope";

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
  // "disabled" is the delivery worker's verdict (a 410 from the receiver), not an admin's choice.
  status: z.enum(["active", "paused"]),
};

const newRoute = z.strictObject({
  ...settings,
  id: resourceId.optional(),
  region: settings.region.optional(),
  filter: settings.filter.default([]),
  contentMode: settings.contentMode.default("structured"),
  guarantee: settings.guarantee.default("at-least-once"),
  ordering: settings.ordering.default("none"),
  retrySchedule: settings.retrySchedule.default([...DEFAULT_RETRY_SCHEDULE]),
  timeoutMs: settings.timeoutMs.default(DEFAULT_TIMEOUT_MS),
  status: settings.status.default("active"),
});
const routePatch = z.strictObject(settings).partial();

/** The stored URL is the normalized one that passed the check: what is checked is what is called. */
function checkedUrl(env: Env, raw: string): string {
  const checked = checkTargetUrl(raw, { allowLoopback: allowLoopbackTargets(env) });
  if (!checked.ok) throw invalidField("url", checked.reason);
  return checked.url.href;
}

async function requireSubscriber(db: D1Database, tenant: string, id: string): Promise<void> {
  if (!(await getSubscriber(db, tenant, id))) throw invalidField("subscriberId", `no subscriber "${id}" in tenant "${tenant}"`);
}

export const routes = new Hono<TenantScoped>();
routes.use("/:tenant/routes/*", requireTenant);

routes.post("/:tenant/routes", async (c) => {
  const tenant = c.get("tenant");
  const { id = newId("rt"), ...input } = await parseBody(c, newRoute);
  const route: RouteSettings = { ...input, url: checkedUrl(c.env, input.url), region: input.region ?? tenant.region, statusReason: null };
  await requireSubscriber(c.env.DB, tenant.id, route.subscriberId);
  const at = new Date().toISOString();
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

routes.patch("/:tenant/routes/:id", async (c) => {
  const tenant = c.get("tenant").id;
  const id = c.req.param("id");
  const input = await parseBody(c, routePatch);
  const patch: Partial<RouteSettings> = { ...input };
  if (input.url !== undefined) patch.url = checkedUrl(c.env, input.url);
  // An admin setting the status overrides whatever the delivery worker recorded.
  if (input.status !== undefined) patch.statusReason = null;
  if (input.subscriberId !== undefined) await requireSubscriber(c.env.DB, tenant, input.subscriberId);
  const at = new Date().toISOString();
  if (!(await updateRoute(c.env.DB, tenant, id, patch, at))) {
    if (!(await getRoute(c.env.DB, tenant, id, at))) throw notFound(`route "${id}"`);
    throw invalidField("subscriberId", `no subscriber "${input.subscriberId}" in tenant "${tenant}"`);
  }
  return c.json(await getRoute(c.env.DB, tenant, id, at));
});

routes.delete("/:tenant/routes/:id", async (c) => {
  if (!(await deleteRoute(c.env.DB, c.get("tenant").id, c.req.param("id")))) throw notFound(`route "${c.req.param("id")}"`);
  return c.body(null, 204);
});
