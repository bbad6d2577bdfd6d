/**
 * Fan-out planning: which routes an event goes to (filters over its CloudEvents attributes),
 * and the delivery messages that carry it: one per (region, queue shard) that has routes,
 * listing those routes — never one per route, because Queues bill three operations per message.
 */
import type { ChangeEvent } from "../envelope/cloudevent";
import { DELIVER_MESSAGE_VERSION, type DeliverMessage } from "../delivery/message";
import type { Region } from "../record/region";
import { matchesAll } from "./filter";
import type { RoutingTable } from "./route";
import { deliveryShard, type ShardCounts, type ShardKey } from "./shard";

/** `fifo`: the route wants this record's events one at a time, in sequence order. */
export type PlannedDestination = { route: string; region: Region; fifo?: true };

/** Disabled routes get nothing; paused ones are planned and held back by the consumer. */
export function planDestinations(table: RoutingTable | null, event: ChangeEvent): PlannedDestination[] {
  if (!table) return [];
  const attributes = event as unknown as Record<string, unknown>;
  return table.routes
    .filter((r) => r.status !== "disabled" && matchesAll(r.filter, attributes))
    .map((r) => (r.ordering === "per-record" || r.guarantee === "exactly-once" ? { route: r.id, region: r.region, fifo: true as const } : { route: r.id, region: r.region }));
}

export type PlannedEvent = { event: ChangeEvent; destinations: readonly PlannedDestination[]; routingVersion: number };

export type RecordRef = { tenant: string; recordRegion: Region; recordType: string; recordId: string };

/** The message for one queue shard of one region. */
export type ShardMessage = { region: Region; shard: number; message: DeliverMessage };

/**
 * One message per (region, shard) with at least one included route, routes in plan order.
 * `include` lets the record's FIFO cursors hold back routes whose previous event is still out.
 */
export function deliverMessages(record: RecordRef, planned: PlannedEvent, shards: ShardCounts, include: (d: PlannedDestination) => boolean = () => true, shardKey: ShardKey = "route"): ShardMessage[] {
  const byShard = new Map<string, { region: Region; shard: number; routes: PlannedDestination[] }>();
  for (const d of planned.destinations) {
    if (!include(d)) continue;
    const shard = deliveryShard(shardKey, { tenant: record.tenant, routeId: d.route, recordType: record.recordType, recordId: record.recordId }, shards[d.region]);
    const key = `${d.region}/${shard}`;
    const group = byShard.get(key) ?? { region: d.region, shard, routes: [] };
    byShard.set(key, group);
    group.routes.push(d);
  }
  return [...byShard.values()].map(({ region, shard, routes }) => ({
    region,
    shard,
    message: {
      v: DELIVER_MESSAGE_VERSION,
      kind: "deliver",
      ...record,
      routingVersion: planned.routingVersion,
      event: planned.event,
      // `fifo` travels with the route: its outcome must go back to release the record's next event.
      routes: routes.map((d) => ({ id: d.route, attempt: 1, generation: 0, history: [], ...(d.fifo ? { fifo: true as const } : {}) })),
    },
  }));
}
