/**
 * The cron's housekeeping in D1: idempotency keys are honoured for 24 h and then forgotten;
 * the per-route attempt log keeps ATTEMPT_LOG_DAYS of history. Bounded deletes per run so a
 * backlog drains over several runs instead of one long statement.
 */

export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
export const ATTEMPT_LOG_DAYS = 30;
const MAX_ROWS_PER_RUN = 5000;

export async function pruneExpired(db: D1Database, nowMs: number): Promise<{ idempotencyKeys: number; attemptRows: number }> {
  const [keys, attempts] = await db.batch([
    db.prepare("DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created_at < ? LIMIT ?)").bind(nowMs - IDEMPOTENCY_TTL_MS, MAX_ROWS_PER_RUN),
    db.prepare("DELETE FROM delivery_attempts WHERE rowid IN (SELECT rowid FROM delivery_attempts WHERE created_at < ? LIMIT ?)").bind(nowMs - ATTEMPT_LOG_DAYS * 86_400_000, MAX_ROWS_PER_RUN),
  ]);
  return { idempotencyKeys: keys!.meta.changes, attemptRows: attempts!.meta.changes };
}
