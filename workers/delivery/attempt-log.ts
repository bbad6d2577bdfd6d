/**
 * The per-route attempt log: one D1 row per (consumer batch, route) holding that batch's
 * attempts, so logging costs a row per batch rather than a row per delivery.
 */
import type { AttemptRecord } from "../../shared/delivery/message";

export type LoggedAttempt = AttemptRecord & { eventId: string; subject: string };

export function insertAttempts(db: D1Database, tenant: string, routeId: string, id: string, nowMs: number, attempts: LoggedAttempt[]): D1PreparedStatement {
  return db.prepare("INSERT INTO delivery_attempts (tenant_id, route_id, id, created_at, attempts) VALUES (?, ?, ?, ?, ?)").bind(tenant, routeId, id, nowMs, JSON.stringify(attempts));
}

/** Recent attempts of a route, newest first, optionally only those with one outcome. */
export async function recentAttempts(db: D1Database, tenant: string, routeId: string, outcome: string | undefined, limit: number): Promise<LoggedAttempt[]> {
  const out: LoggedAttempt[] = [];
  let before = Number.MAX_SAFE_INTEGER;
  // Rows hold several attempts each; read pages of rows until `limit` attempts matched.
  for (let page = 0; page < 20 && out.length < limit; page++) {
    const { results } = await db
      .prepare("SELECT created_at, attempts FROM delivery_attempts WHERE tenant_id = ? AND route_id = ? AND created_at < ? ORDER BY created_at DESC LIMIT 50")
      .bind(tenant, routeId, before)
      .all<{ created_at: number; attempts: string }>();
    if (results.length === 0) break;
    for (const row of results) {
      const attempts = (JSON.parse(row.attempts) as LoggedAttempt[]).sort((a, b) => b.at - a.at);
      out.push(...attempts.filter((a) => !outcome || a.outcome === outcome));
    }
    before = results[results.length - 1]!.created_at;
  }
  return out.slice(0, limit);
}
