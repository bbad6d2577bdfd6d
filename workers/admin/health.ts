/** Admin: a route's live health (breaker, in-flight, tokens, blocks) from its health object. */
import { Hono } from "hono";
import { routeHealthStub } from "../../durable-objects/route-health";
import { getRoute } from "../fanout/repository";
import { notFound } from "../http/problem";

export const routeHealth = new Hono<{ Bindings: Env }>();

routeHealth.get("/:tenant/routes/:route/health", async (c) => {
  const { tenant, route } = c.req.param();
  if (!(await getRoute(c.env.DB, tenant, route, new Date().toISOString()))) throw notFound(`route "${route}"`);
  return c.json(await routeHealthStub(c.env.ROUTE_HEALTH, tenant, route).health());
});
