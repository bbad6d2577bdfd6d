/** Admin: a tenant's subscribers (receiving parties: name, purposes, agreements such as a HIPAA BAA). */
import { Hono } from "hono";
import { z } from "zod";
import { deleteSubscriber, getSubscriber, insertSubscriber, listSubscribers, newId, updateSubscriber, type Subscriber } from "../fanout/repository";
import { parseBody } from "../http/json-body";
import { conflict, notFound } from "../http/problem";
import { pageOf, pageParams } from "../http/pagination";
import { requireTenant, resourceId, type TenantScoped } from "./tenant-scope";

const settings = {
  name: z.string().min(1).max(200),
  purposes: z.array(z.string().min(1).max(100)).max(50),
  agreements: z.strictObject({ hipaaBaa: z.boolean().optional(), glba: z.boolean().optional(), dpa: z.boolean().optional() }),
};

export const newSubscriber = z.strictObject({ id: resourceId.optional(), ...settings, purposes: settings.purposes.default([]), agreements: settings.agreements.default({}) });
/** Each given field replaces the stored one whole (agreements too); absent fields stay. */
export const subscriberPatch = z.strictObject(settings).partial();

export const subscribers = new Hono<TenantScoped>();
subscribers.use("/:tenant/subscribers/*", requireTenant);

subscribers.post("/:tenant/subscribers", async (c) => {
  const { id = newId("sub"), ...input } = await parseBody(c, newSubscriber);
  const at = new Date().toISOString();
  const subscriber: Subscriber = { tenant: c.get("tenant").id, id, ...input, createdAt: at, updatedAt: at };
  if (!(await insertSubscriber(c.env.DB, subscriber))) throw conflict(`subscriber "${id}" already exists in tenant "${subscriber.tenant}"`);
  return c.json(subscriber, 201);
});

subscribers.get("/:tenant/subscribers", async (c) => {
  const page = pageParams(c);
  const rows = await listSubscribers(c.env.DB, c.get("tenant").id, page.after, page.limit + 1);
  return c.json(pageOf(rows, page.limit, (s) => s.id));
});

subscribers.get("/:tenant/subscribers/:id", async (c) => {
  const subscriber = await getSubscriber(c.env.DB, c.get("tenant").id, c.req.param("id"));
  if (!subscriber) throw notFound(`subscriber "${c.req.param("id")}"`);
  return c.json(subscriber);
});

subscribers.patch("/:tenant/subscribers/:id", async (c) => {
  const tenant = c.get("tenant").id;
  const patch = await parseBody(c, subscriberPatch);
  if (!(await updateSubscriber(c.env.DB, tenant, c.req.param("id"), patch, new Date().toISOString()))) throw notFound(`subscriber "${c.req.param("id")}"`);
  return c.json(await getSubscriber(c.env.DB, tenant, c.req.param("id")));
});

/** Refused while routes reference the subscriber: deleting those routes is a deliberate, separate act. */
subscribers.delete("/:tenant/subscribers/:id", async (c) => {
  const id = c.req.param("id");
  const result = await deleteSubscriber(c.env.DB, c.get("tenant").id, id);
  if (result === "not-found") throw notFound(`subscriber "${id}"`);
  if (result === "in-use") throw conflict(`subscriber "${id}" still has routes; delete them first (GET …/routes?subscriberId=${id})`);
  return c.body(null, 204);
});
