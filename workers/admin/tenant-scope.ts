/** Tenant-scoped admin sub-apps: the tenant in the path must exist (404 otherwise) and is handed on. */
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ID_PATTERN } from "../../shared/tenancy/keys";
import { notFound } from "../http/problem";
import { getTenant, type Tenant } from "../tenancy/repository";

export type TenantScoped = { Bindings: Env; Variables: { tenant: Tenant } };

export const requireTenant = createMiddleware<TenantScoped>(async (c, next) => {
  const id = c.req.param("tenant") ?? "";
  // Sub-apps mounted side by side share middleware on overlapping paths: look the tenant up once.
  if (c.get("tenant")?.id === id) return next();
  const tenant = await getTenant(c.env.DB, id);
  if (!tenant) throw notFound(`tenant "${id}"`);
  c.set("tenant", tenant);
  await next();
});

/** User-chosen ids follow the tenancy id rules; generated ones are prefixed (`sub_…`, `rt_…`). */
export const resourceId = z.string().regex(ID_PATTERN, "lower-case letters, digits, '-' and '_'; at most 63; starts with a letter or digit");
