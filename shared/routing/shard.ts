/**
 * Delivery-queue shards: a region's deliveries may be spread over N queues. What picks the shard
 * is the deployment's shard key (DELIVERY_SHARD_KEY):
 * - "route": FNV-1a (32 bit) of the route's (tenant, id) mod N. A slow route's backlog stays on
 *   its shard, but an event whose routes fall on k shards becomes k messages (k × 3 queue ops).
 * - "record": FNV-1a of the record's (tenant, type, id) mod N. One message per event per region
 *   whatever the fan-out (the cheapest), and shards fill evenly; routes share every shard. Shard 0 is the
 * region's first queue (`deliveries-us`, binding DELIVERIES_US), shard n ≥ 1 is `deliveries-us-n`
 * (DELIVERIES_US_n), each with its own DLQ; an operator adds a shard by adding its queues.
 *
 * Re-sharding is safe because no queue holds any order. Per-record order is held by the master
 * record's FIFO cursors (one event per record and FIFO route in flight, the next sent only after
 * the outcome is reported), and route health by the route's own object, whichever shard's
 * consumer asks. A message already on the old shard is delivered there; only new messages and
 * retries follow the new count. A shard's queue may be removed only once it is drained.
 */
import { parseChoice } from "../config/choice";
import type { Region } from "../record/region";

/** More shards than this per region is a configuration mistake, not a need (each is a queue and a consumer). */
export const MAX_SHARDS_PER_REGION = 32;

/** How many delivery-queue shards each region has (≥ 1). */
export type ShardCounts = Readonly<Record<Region, number>>;

/** FNV-1a, 32 bit (draft-eastlake-fnv §6.1), over the UTF-8 bytes: stable across runtimes and releases. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export const SHARD_KEYS = ["route", "record"] as const;
export type ShardKey = (typeof SHARD_KEYS)[number];

/** DELIVERY_SHARD_KEY: unset or empty means "record" (the cheapest); anything else unknown is a configuration error. */
export function parseShardKey(raw: string | undefined): { ok: true; key: ShardKey } | { ok: false; reason: string } {
  const parsed = parseChoice("DELIVERY_SHARD_KEY", SHARD_KEYS, "record", raw);
  return parsed.ok ? { ok: true, key: parsed.value } : parsed;
}

/** What a delivery is addressed to: enough to pick its shard under either key. */
export type ShardAddress = { tenant: string; routeId: string; recordType: string; recordId: string };

/** The shard of one delivery under the deployment's key. */
export function deliveryShard(key: ShardKey, address: ShardAddress, shardCount: number): number {
  return key === "record" ? recordShard(address.tenant, address.recordType, address.recordId, shardCount) : routeShard(address.tenant, address.routeId, shardCount);
}

/** The shard of one record: all of its deliveries in a region share one queue. */
export function recordShard(tenant: string, recordType: string, recordId: string, shardCount: number): number {
  checkShardCount(shardCount);
  return fnv1a32(JSON.stringify([tenant, recordType, recordId])) % shardCount;
}

function checkShardCount(shardCount: number): void {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > MAX_SHARDS_PER_REGION) throw new RangeError(`shard count must be an integer from 1 to ${MAX_SHARDS_PER_REGION}, not ${shardCount}`);
}

/** The shard of one route. JSON names the pair unambiguously (a tenant id may hold any character). */
export function routeShard(tenant: string, routeId: string, shardCount: number): number {
  checkShardCount(shardCount);
  return fnv1a32(JSON.stringify([tenant, routeId])) % shardCount;
}

/** The binding of a region's shard: DELIVERIES_US for shard 0, DELIVERIES_US_1 … for the others. */
export function shardBinding(region: Region, shard: number): string {
  const base = `DELIVERIES_${region.toUpperCase()}`;
  return shard === 0 ? base : `${base}_${shard}`;
}

/** The queue of a region's shard: deliveries-us for shard 0, deliveries-us-1 … for the others. */
export function shardQueueName(region: Region, shard: number): string {
  return shard === 0 ? `deliveries-${region}` : `deliveries-${region}-${shard}`;
}

/**
 * How many shards a region has, from the binding names present: shard 0 plus every numbered
 * one. A gap (DELIVERIES_US_2 without DELIVERIES_US_1) is refused: the routes of the missing
 * shard would have no queue. The caller fails fast on it.
 */
export function shardCountOf(region: Region, bindingNames: Iterable<string>): { ok: true; count: number } | { ok: false; reason: string } {
  const base = shardBinding(region, 0);
  const numbered = new Set<number>();
  let hasBase = false;
  for (const name of bindingNames) {
    if (name === base) hasBase = true;
    const m = new RegExp(`^${base}_([1-9][0-9]*)$`).exec(name);
    if (m) numbered.add(Number(m[1]));
  }
  if (!hasBase) return { ok: false, reason: `no ${base} binding: every region needs its shard 0 queue` };
  const count = numbered.size + 1;
  if (count > MAX_SHARDS_PER_REGION) return { ok: false, reason: `${count} shards for ${region}: at most ${MAX_SHARDS_PER_REGION}` };
  for (let n = 1; n < count; n++) {
    if (!numbered.has(n)) return { ok: false, reason: `${base}_${n} is missing while ${base}_${Math.max(...numbered)} exists: shards must be numbered 1, 2, … without gaps` };
  }
  return { ok: true, count };
}
