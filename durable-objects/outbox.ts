/**
 * The master-record object's outbox: audit entries past the audit cursor go to the audit
 * queue (several per message), events past the delivery cursor go to their regions'
 * delivery queues (one message per event per region). Both cursors move only after
 * sendBatch succeeded, so a crash in between re-sends (at least once), never loses.
 */
import type { AuditEntry } from "../shared/audit/entry";
import { packEntries, splitForSendBatch, toAuditMessages } from "../shared/audit/shipping";
import type { DeliverMessage } from "../shared/delivery/message";
import type { Region } from "../shared/record/region";
import { deliverMessages, type PlannedDestination, type RecordRef } from "../shared/routing/plan";

export type OutboxCursors = { auditShipped: number; deliveriesShipped: number };

export function deliveryQueue(env: Env, region: Region): Queue {
  switch (region) {
    case "us":
      return env.DELIVERIES_US;
    case "eu":
      return env.DELIVERIES_EU;
    case "ap":
      return env.DELIVERIES_AP;
  }
}

async function sendAll<T>(queue: Queue, items: { item: T; bytes: number }[], delaySeconds?: number): Promise<void> {
  for (const call of splitForSendBatch(items)) {
    await queue.sendBatch(call.map((body) => ({ body, contentType: "json" as const, ...(delaySeconds ? { delaySeconds } : {}) })));
  }
}

/**
 * Ships one page of pending entries; answers the cursors after it (unchanged when nothing was
 * pending). `admit` decides, synchronously and in order, whether a FIFO route may be listed.
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

  const byRegion = new Map<Region, { item: DeliverMessage; bytes: number }[]>();
  for (const { entry, bytes } of pending) {
    if (entry.sequence <= cursors.deliveriesShipped) continue;
    const include = (d: PlannedDestination) => !d.fifo || admit(d.route, entry.sequence);
    for (const { region, message } of deliverMessages(record, { event: entry.event, destinations: entry.destinations, routingVersion: entry.routingVersion }, include)) {
      byRegion.set(region, [...(byRegion.get(region) ?? []), { item: message, bytes: bytes }]);
    }
  }
  // Every admission decision above was made before the first await (FIFO cursors stay exact).
  const forAudit = pending.filter((p) => p.entry.sequence > cursors.auditShipped);
  if (forAudit.length > 0) {
    const bytes = new Map(forAudit.map((p) => [p.entry.sequence, p.bytes]));
    const messages = toAuditMessages(record.tenant, packEntries(forAudit));
    await sendAll(env.AUDIT_QUEUE, messages.map((m) => ({ item: m, bytes: m.entries.reduce((n, e) => n + bytes.get(e.sequence)!, 200) })));
  }

  for (const [region, items] of byRegion) await sendAll(deliveryQueue(env, region), items);

  return { auditShipped: Math.max(cursors.auditShipped, last), deliveriesShipped: Math.max(cursors.deliveriesShipped, last) };
}

/** Sends one event to one route on its own: a FIFO route's next event, released by an outcome. */
export async function sendToRoute(env: Env, record: RecordRef, entry: AuditEntry, route: string): Promise<void> {
  const planned = { event: entry.event, destinations: entry.destinations, routingVersion: entry.routingVersion };
  for (const { region, message } of deliverMessages(record, planned, (d) => d.route === route)) {
    await deliveryQueue(env, region).send(message, { contentType: "json" });
  }
}
