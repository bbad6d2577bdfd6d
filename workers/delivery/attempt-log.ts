/**
 * The per-route attempt log: one D1 row per (consumer batch, route) holding that batch's
 * attempts, so logging costs a row per batch rather than a row per delivery. Pages are cut at
 * attempt granularity: the cursor names a row and how many of its attempts were already shown.
 */
import type { AttemptRecord } from "../../shared/delivery/message";

export type LoggedAttempt = AttemptRecord & { eventId: string; subject: string };

/** Newest row first: (created_at, id) of the row, and attempts of it already returned. */
export type AttemptCursor = { createdAt: number; id: string; skip: number };

export function insertAttempts(db: D1Database, tenant: string, routeId: string, id: string, nowMs: number, attempts: LoggedAttempt[]): D1PreparedStatement {
  return db.prepare("INSERT INTO delivery_attempts (tenant_id, route_id, id, created_at, attempts) VALUES (?, ?, ?, ?, ?)").bind(tenant, routeId, id, nowMs, JSON.stringify(attempts));
}

const ROWS_PER_READ = 50;
const MAX_READS = 20;

/** Recent attempts of a route, newest first, optionally only those with one outcome. */
export async function recentAttempts(
  db: D1Database,
  tenant: string,
  routeId: string,
  outcome: string | undefined,
  limit: number,
  after: AttemptCursor | null,
): Promise<{ items: LoggedAttempt[]; next: AttemptCursor | null }> {
  const items: LoggedAttempt[] = [];
  let at: AttemptCursor | null = after;
  for (let read = 0; read < MAX_READS; read++) {
    const keyset = at ? "AND (created_at < ? OR (created_at = ? AND id <= ?))" : "";
    const args = at ? [tenant, routeId, at.createdAt, at.createdAt, at.id] : [tenant, routeId];
    const { results } = await db
      .prepare(`SELECT id, created_at, attempts FROM delivery_attempts WHERE tenant_id = ? AND route_id = ? ${keyset} ORDER BY created_at DESC, id DESC LIMIT ${ROWS_PER_READ}`)
      .bind(...args)
      .all<{ id: string; created_at: number; attempts: string }>();
    for (const row of results) {
      const skip = at && row.id === at.id && row.created_at === at.createdAt ? at.skip : 0;
      const attempts = (JSON.parse(row.attempts) as LoggedAttempt[]).sort((a, b) => b.at - a.at).filter((a) => !outcome || a.outcome === outcome);
      for (let i = skip; i < attempts.length; i++) {
        if (items.length === limit) return { items, next: { createdAt: row.created_at, id: row.id, skip: i } };
        items.push(attempts[i]!);
      }
      at = { createdAt: row.created_at, id: row.id, skip: attempts.length };
    }
    if (results.length < ROWS_PER_READ) return { items, next: null };
  }
  return { items, next: at };
}
