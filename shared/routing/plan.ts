/**
 * Fan-out planning: which routes an event goes to (filters over its CloudEvents attributes),
 * and the delivery messages that carry it: one per region, listing that region's routes —
 * never one per route, because Queues bill three operations per message.
 */
import type { ChangeEvent } from "../envelope/cloudevent";
import { DELIVER_MESSAGE_VERSION, type DeliverMessage } from "../delivery/message";
import type { Region } from "../record/region";
import { matchesAll } from "./filter";
import type { RoutingTable } from "./route";

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

/** `include` lets the record's FIFO cursors hold back routes whose previous event is still out. */
export function deliverMessages(record: RecordRef, planned: PlannedEvent, include: (d: PlannedDestination) => boolean = () => true): { region: Region; message: DeliverMessage }[] {
  const byRegion = new Map<Region, string[]>();
  for (const d of planned.destinations) if (include(d)) byRegion.set(d.region, [...(byRegion.get(d.region) ?? []), d.route]);
  return [...byRegion].map(([region, routes]) => ({
    region,
    message: {
      v: DELIVER_MESSAGE_VERSION,
      kind: "deliver",
      ...record,
      routingVersion: planned.routingVersion,
      event: planned.event,
      routes: routes.map((id) => ({ id, attempt: 1, generation: 0, history: [] })),
    },
  }));
}
