/**
 * Admin: a tenant's route incidents (breaker trips, auto-disables, …), newest first, as the
 * delivery consumer opened and closed them. Read-only: incidents close themselves.
 */
import { Hono } from "hono";
import { SEVERITIES, listIncidents, type Severity } from "../fanout/incidents";
import { encodeCursor, pageParams } from "../http/pagination";
import { invalidField } from "../http/problem";
import { requireTenant, type TenantScoped } from "./tenant-scope";

export const incidents = new Hono<TenantScoped>();
incidents.use("/:tenant/incidents", requireTenant);

/** `?routeId=`, `?severity=P0…P4`, `?open=true|false` (absent: both), with the usual `limit`/`cursor`. */
incidents.get("/:tenant/incidents", async (c) => {
  const page = pageParams(c);
  const severity = c.req.query("severity");
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) throw invalidField("severity", `one of ${SEVERITIES.join(", ")}`);
  const open = c.req.query("open");
  if (open !== undefined && open !== "true" && open !== "false") throw invalidField("open", "true or false");
  // The cursor is the last item's (openedAt, id); pageParams checked that this API issued it.
  const [openedAt, id] = page.after ? page.after.split("|") : [];
  const rows = await listIncidents(
    c.env.DB,
    c.get("tenant").id,
    { routeId: c.req.query("routeId"), severity: severity as Severity | undefined, open: open === undefined ? undefined : open === "true" },
    page.after ? { openedAt: Number(openedAt), id: id ?? "" } : null,
    page.limit + 1,
  );
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return c.json({ items, nextCursor: rows.length > page.limit && last ? encodeCursor(`${last.openedAt}|${last.id}`) : null });
});
