/**
 * The master-record object's outbox: events past the delivery cursor go to their routes' delivery
 * queue shards (one message per event per (region, shard) with routes: shared/routing/shard.ts);
 * an audit entry past the audit cursor rides on one of its event's delivery messages when one is
 * sent now, else goes to the audit queue (several per message). Both cursors move only after
 * every sendBatch succeeded, so a crash in between re-sends (at least once), never loses. Also
 * home of the delivery-queue lookup the consumer and replays share.
 */
import type { AuditEntry } from "../shared/audit/entry";
import { packContiguous, pickCarrier } from "../shared/audit/carry";
import { splitForSendBatch, toAuditMessages } from "../shared/audit/shipping";
import type { DeliverMessage } from "../shared/delivery/message";
import { REGIONS, type Region } from "../shared/record/region";
import { deliverMessages, type PlannedDestination, type RecordRef } from "../shared/routing/plan";
import { deliveryShard, parseShardKey, shardBinding, shardCountOf, type ShardCounts, type ShardKey } from "../shared/routing/shard";

export type OutboxCursors = { auditShipped: number; deliveriesShipped: number };

/** Shard counts are read from the env's binding names once per env object (they change only with a deploy). */
const shardCountsByEnv = new WeakMap<object, ShardCounts>();

/**
 * Each region's number of delivery-queue shards: DELIVERIES_US is shard 0, DELIVERIES_US_1 …
 * shard n (wrangler.toml). A gap in the numbering throws: fail fast rather than strand routes.
 */
export function deliveryShards(env: Env): ShardCounts {
  const known = shardCountsByEnv.get(env);
  if (known) return known;
  const names = Object.keys(env);
  const counts = Object.fromEntries(
    REGIONS.map((region) => {
      const found = shardCountOf(region, names);
      if (!found.ok) throw new Error(`delivery queues: ${found.reason}`);
      return [region, found.count];
    }),
  ) as Record<Region, number>;
  shardCountsByEnv.set(env, counts);
  return counts;
}

/** The queue of one shard of a region (shard 0 unless given). */
export function deliveryQueue(env: Env, region: Region, shard = 0): Queue {
  const queue = (env as unknown as Record<string, Queue | undefined>)[shardBinding(region, shard)];
  if (!queue) throw new Error(`delivery queues: no ${shardBinding(region, shard)} binding (region ${region} has ${deliveryShards(env)[region]} shard(s))`);
  return queue;
}

/** What picks a delivery's shard (wrangler.toml DELIVERY_SHARD_KEY); a bad value fails fast. */
export function deliveryShardKey(env: Env): ShardKey {
  const parsed = parseShardKey(env.DELIVERY_SHARD_KEY);
  if (!parsed.ok) throw new Error(`delivery queues: ${parsed.reason}`);
  return parsed.key;
}

/** The queue shard of one route's delivery of one record's event: where its retries and replays go. */
export function routeQueue(env: Env, region: Region, record: { tenant: string; recordType: string; recordId: string }, routeId: string): Queue {
  const address = { tenant: record.tenant, routeId, recordType: record.recordType, recordId: record.recordId };
  return deliveryQueue(env, region, deliveryShard(deliveryShardKey(env), address, deliveryShards(env)[region]));
}

async function sendAll<T>(queue: Queue, items: { item: T; bytes: number }[], delaySeconds?: number): Promise<void> {
  for (const call of splitForSendBatch(items)) {
    await queue.sendBatch(call.map((body) => ({ body, contentType: "json" as const, ...(delaySeconds ? { delaySeconds } : {}) })));
  }
}

/**
 * Ships one page of pending entries; answers the cursors after it (unchanged when nothing was
 * pending). `admit` decides, synchronously and in order, whether a FIFO route may be listed.
 * An entry whose event gets a delivery message now rides on one of them (the home region's
 * first, shared/audit/carry.ts), and its consumer writes it to R2; the others (no routes, only
 * FIFO routes not admitted now, or too big to ride) take the audit queue.
 */
export async function shipPage(
  env: Env,
  record: RecordRef,
  pending: { entry: AuditEntry; bytes: number }[],
  cursors: OutboxCursors,
  admit: (route: string, sequence: number) => boolean,
): Promise<OutboxCursors> {
  if (pending.length === 0) return cursors;
  const last = pending[pending.length - 1]!.entry.sequence;

  const shards = deliveryShards(env);
  const key = deliveryShardKey(env);
  const byQueue = new Map<Queue, { item: DeliverMessage; bytes: number }[]>();
  const forAudit: typeof pending = [];
  for (const { entry, bytes } of pending) {
    const auditDue = entry.sequence > cursors.auditShipped;
    if (entry.sequence <= cursors.deliveriesShipped) {
      // Its delivery messages went out before: nothing to ride on.
      if (auditDue) forAudit.push({ entry, bytes });
      continue;
    }
    const include = (d: PlannedDestination) => !d.fifo || admit(d.route, entry.sequence);
    const messages = deliverMessages(record, { event: entry.event, destinations: entry.destinations, routingVersion: entry.routingVersion }, shards, include, key);
    const carrier = auditDue ? pickCarrier(messages, record.recordRegion, bytes, bytes) : null;
    if (auditDue && carrier === null) forAudit.push({ entry, bytes });
    messages.forEach(({ region, shard, message }, i) => {
      const queue = deliveryQueue(env, region, shard);
      const item = i === carrier ? { item: { ...message, audit: entry }, bytes: bytes + bytes } : { item: message, bytes };
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), item]);
    });
  }
  // Every admission decision above was made before the first await (FIFO cursors stay exact).
  if (forAudit.length > 0) {
    const bytes = new Map(forAudit.map((p) => [p.entry.sequence, p.bytes]));
    const messages = toAuditMessages(record.tenant, packContiguous(forAudit));
    await sendAll(env.AUDIT_QUEUE, messages.map((m) => ({ item: m, bytes: m.entries.reduce((n, e) => n + bytes.get(e.sequence)!, 200) })));
  }

  for (const [queue, items] of byQueue) await sendAll(queue, items);

  return { auditShipped: Math.max(cursors.auditShipped, last), deliveriesShipped: Math.max(cursors.deliveriesShipped, last) };
}

/**
 * Sends one event to one route on its own: a FIFO route's next event, released by an outcome, or
 * an operator's resend. Never with the audit entry: that shipped with the event's first page.
 */
export async function sendToRoute(env: Env, record: RecordRef, entry: AuditEntry, route: string): Promise<void> {
  const planned = { event: entry.event, destinations: entry.destinations, routingVersion: entry.routingVersion };
  for (const { region, shard, message } of deliverMessages(record, planned, deliveryShards(env), (d) => d.route === route, deliveryShardKey(env))) {
    await deliveryQueue(env, region, shard).send(message, { contentType: "json" });
  }
}
