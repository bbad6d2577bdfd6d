/** /admin/v1: every route needs the admin bearer token; location keys never reach here. */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { bearerToken, tokensEqual, unauthorized } from "../http/bearer";
import { secretsKey } from "../fanout/config";
import { idempotency } from "../http/idempotency";
import { asyncapi } from "./asyncapi";
import { audit } from "./audit";
import { deadLetters } from "./dead-letters";
import { routeHealth } from "./health";
import { incidents } from "./incidents";
import { openApiDocument } from "../openapi/document";
import { routeActions } from "./route-actions";
import { routes } from "./routes";
import { subscribers } from "./subscribers";
import { tenants } from "./tenants";

const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (!token) throw unauthorized("send the admin token as 'Authorization: Bearer <token>'");
  if (!c.env.ADMIN_TOKEN || !(await tokensEqual(token, c.env.ADMIN_TOKEN))) throw unauthorized("wrong admin token");
  await next();
});

export const admin = new Hono<{ Bindings: Env }>();
// After auth, so unauthenticated requests never touch the idempotency table.
admin.use("*", requireAdmin, idempotency(secretsKey));
admin.get("/openapi.json", (c) => c.json(openApiDocument()));
admin.route("/tenants", tenants);
admin.route("/tenants", audit);
admin.route("/tenants", deadLetters);
admin.route("/tenants", subscribers);
admin.route("/tenants", routes);
admin.route("/tenants", routeActions);
admin.route("/tenants", incidents);
admin.route("/tenants", routeHealth);
admin.route("/tenants", asyncapi);
