/**
 * The schema registry, a Confluent Schema Registry REST subset at /registry/t/{tenant}, so that
 * Confluent clients and serializers work with the tenant's base URL. Same admin token as
 * /admin/v1, sent as a bearer token or as the password of HTTP Basic (what most Confluent
 * clients can send: `basic.auth.user.info`).
 */
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { basicCredentials, bearerToken, tokensEqual } from "../http/bearer";
import { getTenant } from "../tenancy/repository";
import { compatibility } from "./compatibility";
import { config } from "./config";
import { ErrorCode, RegistryError, registryErrorResponse, registryJson } from "./errors";
import type { RegistryScoped } from "./request";
import { schemas } from "./schemas";
import { subjects } from "./subjects";

const CHALLENGE = { "www-authenticate": 'Bearer realm="changecast-registry", Basic realm="changecast-registry"' };

/** The token from `Bearer <token>` or from `Basic base64(user:token)` (the user name is not checked). */
function credential(header: string | undefined): string | null {
  const basic = basicCredentials(header);
  return bearerToken(header) ?? (basic && basic.password !== "" ? basic.password : null);
}

const requireAdmin = createMiddleware<RegistryScoped>(async (c, next) => {
  const token = credential(c.req.header("authorization"));
  if (!token) throw new RegistryError(401, ErrorCode.unauthorized, "Unauthorized: send the admin token as 'Authorization: Bearer <token>' or as the Basic password", CHALLENGE);
  if (!c.env.ADMIN_TOKEN || !(await tokensEqual(token, c.env.ADMIN_TOKEN))) throw new RegistryError(401, ErrorCode.unauthorized, "Unauthorized: wrong token", CHALLENGE);
  await next();
});

/** After auth, so that nobody learns which tenants exist without the token. */
const requireTenant = createMiddleware<RegistryScoped>(async (c, next) => {
  const id = c.req.param("tenant") ?? "";
  const tenant = await getTenant(c.env.DB, id);
  if (!tenant) throw new RegistryError(404, ErrorCode.subjectNotFound, `Tenant '${id}' not found (the registry's base URL is /registry/t/{tenant})`);
  c.set("tenant", tenant);
  await next();
});

export const registry = new Hono<RegistryScoped>();
registry.use("*", requireAdmin, requireTenant);
registry.get("/", (c) => registryJson(c, {}));
registry.route("/subjects", subjects);
registry.route("/schemas", schemas);
registry.route("/compatibility", compatibility);
registry.route("/", config);
// Confluent clients parse error_code from every answer, 404s for unknown paths included.
registry.all("*", (c) => {
  throw new RegistryError(404, 404, `No registry endpoint for ${c.req.method} ${new URL(c.req.url).pathname}`);
});

registry.onError((err, c) => {
  if (err instanceof RegistryError) return registryErrorResponse(c, err);
  console.error("registry: unhandled error", err);
  return registryErrorResponse(c, new RegistryError(500, 50001, "Internal error; it was logged, retry later"));
});
