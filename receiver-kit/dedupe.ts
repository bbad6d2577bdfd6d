/** Remembers processed `webhook-id`s for a while, so a redelivered event is acknowledged without being handled twice. */

/**
 * Where processed ids live. The sender retries until it sees a 2xx (and an admin may replay a
 * dead letter), always with the same `webhook-id` (Standard Webhooks "Idempotency"), so this
 * store is what turns at-least-once delivery into effectively-once handling.
 *
 * Plugging in a shared store (several receiver processes must share one, or each dedupes alone):
 * - Redis: `seen` = `SET dedupe:{id} 1 NX EX {ttl}` (answers nil when the key existed → true);
 *   `has` = `EXISTS dedupe:{id}`.
 * - SQL (D1, Postgres, SQLite): table `webhook_seen(id PRIMARY KEY, expires_at)`; `seen` =
 *   `INSERT … ON CONFLICT(id) DO NOTHING` and "no row inserted" → true (delete expired rows first,
 *   or on a schedule); `has` = `SELECT 1 … WHERE id = ? AND expires_at > now`. Strongest of all:
 *   insert the id in the same transaction as the handler's own writes, then there is no window
 *   between "handled" and "recorded" at all.
 * - Workers KV: `has` = `get`, `seen` = `get` then `put(id, "1", { expirationTtl })` (KV's minimum
 *   TTL is 60 s). KV has no put-if-absent and is eventually consistent across locations, so two
 *   near-simultaneous deliveries may both run the handler: a duplicate, never a loss. A Durable
 *   Object keyed by id (or D1) gives the atomic version.
 */
export interface DedupeStore {
  /**
   * True if `id` is recorded and not expired; otherwise records it for `ttlSeconds` and answers
   * false. Check-and-record must be atomic per id: two concurrent calls never both answer false.
   */
  seen(id: string, ttlSeconds: number): Promise<boolean>;
  /** Whether `id` is recorded and not expired, without recording it (the receiver's pre-check). */
  has(id: string): Promise<boolean>;
}

/**
 * Default TTL: longer than changecast's default retry schedule (≈ 28 h of backoff, DESIGN.md
 * "Webhooks") with room for an admin's replay days later. A redelivery after the TTL is handled again.
 */
export const DEFAULT_DEDUPE_TTL_SECONDS = 7 * 86_400;
export const DEFAULT_MAX_ENTRIES = 10_000;

export type MemoryDedupeOptions = {
  /** Beyond this many live ids the oldest recorded is forgotten first, bounding memory. */
  maxEntries?: number;
  /** Milliseconds since the epoch; injected by tests. */
  now?: () => number;
};

/**
 * One process's memory: fine for a single Node/Deno server or a test. On Workers each isolate has
 * its own, so plug in a shared store (above) there. Eviction under `maxEntries` trades a rare
 * duplicate for bounded memory; it never drops an event.
 */
export class MemoryDedupeStore implements DedupeStore {
  // Insertion order is recording order (a re-record deletes first), so the first key is the oldest.
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryDedupeOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be an integer ≥ 1, got ${maxEntries}`);
    this.#maxEntries = maxEntries;
    this.#now = options.now ?? Date.now;
  }

  // No `await` between the lookup and the write: JavaScript runs this to completion, which is
  // what makes check-and-record atomic per id within the process.
  async seen(id: string, ttlSeconds: number): Promise<boolean> {
    if (!(ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be > 0, got ${ttlSeconds}`);
    const now = this.#now();
    if (this.#live(id, now)) return true;
    this.#expiresAt.delete(id);
    this.#expiresAt.set(id, now + ttlSeconds * 1000);
    this.#evict(now);
    return false;
  }

  async has(id: string): Promise<boolean> {
    return this.#live(id, this.#now());
  }

  /** Live and expired-but-not-yet-swept ids; for tests and metrics. */
  get size(): number {
    return this.#expiresAt.size;
  }

  #live(id: string, now: number): boolean {
    const expiresAt = this.#expiresAt.get(id);
    return expiresAt !== undefined && expiresAt > now;
  }

  #evict(now: number): void {
    // Sweep expired ids from the old end (cheap, amortized), then enforce the bound.
    for (const [id, expiresAt] of this.#expiresAt) {
      if (expiresAt > now) break;
      this.#expiresAt.delete(id);
    }
    while (this.#expiresAt.size > this.#maxEntries) {
      const oldest = this.#expiresAt.keys().next().value as string;
      this.#expiresAt.delete(oldest);
    }
  }
}
