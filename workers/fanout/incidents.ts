/**
 * Route incidents in D1 (migrations/0003_guarantees.sql): what went wrong with a route (breaker
 * open, auto-disabled, …), opened and closed by the delivery consumer, listed by the admin API.
 * The writes are prepared statements so the consumer can put them in its own batches.
 */
import { newId } from "./ids";

export const SEVERITIES = ["P0", "P1", "P2", "P3", "P4"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type Incident = {
  tenant: string;
  id: string;
  routeId: string;
  severity: Severity;
  /** What happened, in the consumer's words (e.g. "breaker_open", "auto_disabled"). */
  kind: string;
  detail: string;
  /** Unix ms. */
  openedAt: number;
  /** Unix ms; null while open. */
  closedAt: number | null;
};

type Row = { tenant_id: string; id: string; route_id: string; severity: Severity; kind: string; detail: string; opened_at: number; closed_at: number | null };

const fromRow = (r: Row): Incident => ({
  tenant: r.tenant_id, id: r.id, routeId: r.route_id, severity: r.severity, kind: r.kind, detail: r.detail, openedAt: r.opened_at, closedAt: r.closed_at,
});

export type NewIncident = { tenant: string; routeId: string; severity: Severity; kind: string; detail: string; openedAt: number };

/**
 * Opens an incident unless one of the same kind is already open for the route: a consumer that
 * retries its batch, or a breaker that trips again while its incident is open, adds no twin.
 */
export function openIncident(db: D1Database, i: NewIncident): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO route_incidents (tenant_id, id, route_id, severity, kind, detail, opened_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE NOT EXISTS (SELECT 1 FROM route_incidents WHERE tenant_id = ?1 AND route_id = ?3 AND kind = ?5 AND closed_at IS NULL)`,
    )
    .bind(i.tenant, newId("inc"), i.routeId, i.severity, i.kind, i.detail, i.openedAt);
}

/** Closes the route's open incidents of `kind` (e.g. the breaker closed again). */
export function closeIncidents(db: D1Database, tenant: string, routeId: string, kind: string, closedAt: number): D1PreparedStatement {
  return db
    .prepare("UPDATE route_incidents SET closed_at = ?4 WHERE tenant_id = ?1 AND route_id = ?2 AND kind = ?3 AND closed_at IS NULL")
    .bind(tenant, routeId, kind, closedAt);
}

export type IncidentQuery = { routeId?: string; severity?: Severity; open?: boolean };
/** Newest first: the page after (openedAt, id) of the previous page's last item. */
export type IncidentCursor = { openedAt: number; id: string };

export async function listIncidents(db: D1Database, tenant: string, q: IncidentQuery, after: IncidentCursor | null, limit: number): Promise<Incident[]> {
  const clauses = ["tenant_id = ?"];
  const args: unknown[] = [tenant];
  if (q.routeId !== undefined) clauses.push("route_id = ?"), args.push(q.routeId);
  if (q.severity !== undefined) clauses.push("severity = ?"), args.push(q.severity);
  if (q.open !== undefined) clauses.push(q.open ? "closed_at IS NULL" : "closed_at IS NOT NULL");
  if (after) clauses.push("(opened_at < ? OR (opened_at = ? AND id < ?))"), args.push(after.openedAt, after.openedAt, after.id);
  const { results } = await db
    .prepare(`SELECT * FROM route_incidents WHERE ${clauses.join(" AND ")} ORDER BY opened_at DESC, id DESC LIMIT ?`)
    .bind(...args, limit)
    .all<Row>();
  return results.map(fromRow);
}
