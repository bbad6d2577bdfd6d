/**
 * Dead letters in D1: a delivery that exhausted its route's schedule (or that the platform
 * DLQ caught), with the event, every attempt and the reason; replayable and skippable.
 */
import { sha256Hex } from "../../shared/audit/entry";
import type { AttemptRecord } from "../../shared/delivery/message";
import type { ChangeEvent } from "../../shared/envelope/cloudevent";

export type DeadLetterStatus = "open" | "replayed" | "skipped";

export type DeadLetter = {
  id: string;
  tenant: string;
  routeId: string;
  eventId: string;
  subject: string;
  sequence: number;
  event: ChangeEvent;
  attempts: AttemptRecord[];
  reason: string;
  generation: number;
  severity: string;
  status: DeadLetterStatus;
  createdAt: number;
  updatedAt: number;
};

type Row = {
  tenant_id: string;
  id: string;
  route_id: string;
  event_id: string;
  subject: string;
  sequence: number;
  event: string;
  attempts: string;
  reason: string;
  generation: number;
  severity: string;
  status: DeadLetterStatus;
  created_at: number;
  updated_at: number;
};

const fromRow = (r: Row): DeadLetter => ({
  id: r.id,
  tenant: r.tenant_id,
  routeId: r.route_id,
  eventId: r.event_id,
  subject: r.subject,
  sequence: r.sequence,
  event: JSON.parse(r.event) as ChangeEvent,
  attempts: JSON.parse(r.attempts) as AttemptRecord[],
  reason: r.reason,
  generation: r.generation,
  severity: r.severity,
  status: r.status,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Same route, event and replay generation → same id: a retried consumer cannot add a twin. */
export function deadLetterId(routeId: string, eventId: string, generation: number): string {
  return "dl_" + sha256Hex(JSON.stringify([routeId, eventId, generation])).slice(0, 24);
}

export function insertDeadLetter(db: D1Database, d: Omit<DeadLetter, "id" | "status" | "updatedAt">): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO dead_letters (tenant_id, id, route_id, event_id, subject, sequence, event, attempts, reason, generation, severity, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING",
    )
    .bind(d.tenant, deadLetterId(d.routeId, d.eventId, d.generation), d.routeId, d.eventId, d.subject, d.sequence, JSON.stringify(d.event), JSON.stringify(d.attempts), d.reason, d.generation, d.severity, d.createdAt, d.createdAt);
}

export type DeadLetterQuery = { routeId?: string; status?: DeadLetterStatus; severity?: string; fromMs?: number; toMs?: number };

function where(tenant: string, q: DeadLetterQuery): { sql: string; args: unknown[] } {
  const clauses = ["tenant_id = ?"];
  const args: unknown[] = [tenant];
  const add = (sql: string, value: unknown) => {
    clauses.push(sql);
    args.push(value);
  };
  if (q.routeId) add("route_id = ?", q.routeId);
  if (q.status) add("status = ?", q.status);
  if (q.severity) add("severity = ?", q.severity);
  if (q.fromMs !== undefined) add("created_at >= ?", q.fromMs);
  if (q.toMs !== undefined) add("created_at < ?", q.toMs);
  return { sql: clauses.join(" AND "), args };
}

/** Oldest first, keyset-paginated on (created_at, id). */
export async function listDeadLetters(db: D1Database, tenant: string, q: DeadLetterQuery, after: { createdAt: number; id: string } | null, limit: number): Promise<DeadLetter[]> {
  const w = where(tenant, q);
  const keyset = after ? " AND (created_at > ? OR (created_at = ? AND id > ?))" : "";
  const args = after ? [...w.args, after.createdAt, after.createdAt, after.id] : w.args;
  const { results } = await db.prepare(`SELECT * FROM dead_letters WHERE ${w.sql}${keyset} ORDER BY created_at, id LIMIT ?`).bind(...args, limit).all<Row>();
  return results.map(fromRow);
}

export async function countDeadLetters(db: D1Database, tenant: string, q: DeadLetterQuery): Promise<number> {
  const w = where(tenant, q);
  return (await db.prepare(`SELECT COUNT(*) AS n FROM dead_letters WHERE ${w.sql}`).bind(...w.args).first<{ n: number }>())?.n ?? 0;
}

export async function getDeadLetter(db: D1Database, tenant: string, id: string): Promise<DeadLetter | null> {
  const row = await db.prepare("SELECT * FROM dead_letters WHERE tenant_id = ? AND id = ?").bind(tenant, id).first<Row>();
  return row ? fromRow(row) : null;
}

/** Only an open dead letter moves; answers whether this call moved it (no double replay). */
export async function closeDeadLetter(db: D1Database, tenant: string, id: string, status: Exclude<DeadLetterStatus, "open">, nowMs: number): Promise<boolean> {
  const res = await db.prepare("UPDATE dead_letters SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'open'").bind(status, nowMs, tenant, id).run();
  return res.meta.changes === 1;
}
