/** Admin: tenants and their locations (a location's key is shown once, at creation). */
import { Hono } from "hono";
import { z } from "zod";
import { ID_PATTERN, formatLocationKey, hashLocationKey, keyHint } from "../../shared/tenancy/keys";
import { parseBody } from "../http/json-body";
import { conflict, invalidField, notFound } from "../http/problem";
import { pageParams, pageOf } from "../http/pagination";
import { getLocation, getTenant, insertLocation, insertTenant, listLocations, revokeLocation, updateTenant, type Tenant } from "../tenancy/repository";

const id = z.string().regex(ID_PATTERN, "lower-case letters, digits, '-' and '_'; at most 63; starts with a letter or digit");

export const newTenant = z.strictObject({
  id,
  name: z.string().min(1).max(200),
  region: z.enum(["us", "eu", "ap"]).default("us"),
  typePrefix: z.string().regex(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/, "reverse-DNS, lower case, e.g. com.example").max(100).default("io.changecast"),
});

// operationsRouteId: where the tenant's incident notices go; null stops them.
export const tenantPatch = z.strictObject({ name: newTenant.shape.name, operationsRouteId: id.nullable() }).partial();

export const newLocation = z.strictObject({ id, name: z.string().min(1).max(200) });

export const tenants = new Hono<{ Bindings: Env }>();

tenants.post("/", async (c) => {
  const input = await parseBody(c, newTenant);
  const tenant: Tenant = { ...input, createdAt: new Date().toISOString(), operationsRouteId: null };
  if (!(await insertTenant(c.env.DB, tenant))) throw conflict(`tenant "${input.id}" already exists`);
  return c.json(tenant, 201);
});

tenants.get("/:tenant", async (c) => {
  const tenant = await getTenant(c.env.DB, c.req.param("tenant"));
  if (!tenant) throw notFound(`tenant "${c.req.param("tenant")}"`);
  return c.json(tenant);
});

tenants.patch("/:tenant", async (c) => {
  const tenantId = c.req.param("tenant");
  const input = await parseBody(c, tenantPatch);
  const result = await updateTenant(c.env.DB, tenantId, input);
  if (result === "no-tenant") throw notFound(`tenant "${tenantId}"`);
  if (result === "no-route") throw invalidField("operationsRouteId", `no route "${input.operationsRouteId}" in tenant "${tenantId}"`);
  return c.json(await getTenant(c.env.DB, tenantId));
});

tenants.post("/:tenant/locations", async (c) => {
  const tenantId = c.req.param("tenant");
  const input = await parseBody(c, newLocation);
  if (!(await getTenant(c.env.DB, tenantId))) throw notFound(`tenant "${tenantId}"`);
  const key = formatLocationKey(crypto.getRandomValues(new Uint8Array(32)));
  const location = { tenant: tenantId, id: input.id, name: input.name, keyPrefix: keyHint(key), createdAt: new Date().toISOString(), revokedAt: null };
  if (!(await insertLocation(c.env.DB, location, hashLocationKey(key)))) throw conflict(`location "${input.id}" already exists in tenant "${tenantId}"`);
  return c.json({ ...location, key }, 201);
});

tenants.get("/:tenant/locations", async (c) => {
  const page = pageParams(c);
  const rows = await listLocations(c.env.DB, c.req.param("tenant"), page.after, page.limit + 1);
  return c.json(pageOf(rows, page.limit, (l) => l.id));
});

tenants.get("/:tenant/locations/:location", async (c) => {
  const location = await getLocation(c.env.DB, c.req.param("tenant"), c.req.param("location"));
  if (!location) throw notFound(`location "${c.req.param("location")}"`);
  return c.json(location);
});

/** Revoking keeps the location (its events name it) but its key stops working at once. */
tenants.delete("/:tenant/locations/:location", async (c) => {
  const { tenant, location } = c.req.param();
  if (!(await getLocation(c.env.DB, tenant, location))) throw notFound(`location "${location}"`);
  await revokeLocation(c.env.DB, tenant, location, new Date().toISOString());
  return c.json(await getLocation(c.env.DB, tenant, location));
});
