/**
 * The cost model: billable units (per item of ./prices.ts) → dollars by item and in total, plus
 * the rules that turn what the code does into billable units (queue operations per message,
 * Durable Object duration) and per-million-changes / per-million-deliveries figures. Pure.
 */
import {
  COST_ITEMS, DO_BILLED_GB, LIST_PRICES, PAID_PLAN_USD_PER_MONTH, QUEUE_MESSAGE_METADATA_BYTES, QUEUE_OP_BYTES,
  type CostItem, type Price,
} from "./prices";

/** Billable units per item; a missing item is zero. */
export type Usage = Partial<Record<CostItem, number>>;

export type Cost = { total: number; byItem: Record<CostItem, number> };

export type CostOptions = {
  prices?: Readonly<Record<CostItem, Price>>;
  /**
   * Subtract each item's monthly included amount first. Off by default: per-change and
   * per-delivery figures are marginal (at scale the allowances are a rounding error), and a
   * bench's few thousand operations would otherwise all be "free".
   */
  allowances?: boolean;
};

export function costOf(usage: Usage, { prices = LIST_PRICES, allowances = false }: CostOptions = {}): Cost {
  const byItem = {} as Record<CostItem, number>;
  let total = 0;
  for (const item of COST_ITEMS) {
    const units = usage[item] ?? 0;
    if (!Number.isFinite(units) || units < 0) throw new RangeError(`${item}: ${units} is not a count`);
    const price = prices[item];
    const billable = allowances ? Math.max(0, units - price.includedPerMonth) : units;
    byItem[item] = (billable / price.per) * price.usd;
    total += byItem[item];
  }
  return { total, byItem };
}

/** A month's bill: usage past the included amounts, plus the Workers Paid minimum. */
export function monthlyBill(usage: Usage, prices: Readonly<Record<CostItem, Price>> = LIST_PRICES): Cost {
  const cost = costOf(usage, { prices, allowances: true });
  return { total: cost.total + PAID_PLAN_USD_PER_MONTH, byItem: cost.byItem };
}

/** Queues bill one operation per started 64 KB of a message, its ~100 bytes of metadata included. */
export function queueOpsPerMessage(bodyBytes: number): number {
  if (!Number.isInteger(bodyBytes) || bodyBytes < 0) throw new RangeError(`message size ${bodyBytes} is not a byte count`);
  return Math.ceil((bodyBytes + QUEUE_MESSAGE_METADATA_BYTES) / QUEUE_OP_BYTES);
}

/**
 * What happened to one message, from its write to its end:
 * - acked: consumed and deleted after `deliveries` deliveries (1 + retries);
 * - dead-lettered: read `deliveries` times, then written to the dead-letter queue (whose own
 *   reading and deletion are that queue's message, counted separately);
 * - expired: never read before the retention period ended (a write and a delete).
 */
export type MessageFate = { bodyBytes: number; deliveries: number; end: "acked" | "dead-lettered" | "expired" };

/** Write, one read per delivery, and the delete (or the dead-letter write) at the end. */
export function queueMessageOps({ bodyBytes, deliveries, end }: MessageFate): number {
  if (!Number.isInteger(deliveries) || deliveries < 0) throw new RangeError(`deliveries ${deliveries} is not a count`);
  if ((end === "expired") !== (deliveries === 0)) throw new RangeError(`${end} after ${deliveries} deliveries is not a message's fate`);
  // Every fate ends in one more operation per chunk: the delete, or the dead-letter queue's write.
  return queueOpsPerMessage(bodyBytes) * (1 + deliveries + 1);
}

/** Durable Object duration: wall-clock milliseconds active → billed GB-s (at 128 MB). */
export function doDurationGbS(activeMs: number): number {
  return (activeMs / 1000) * DO_BILLED_GB;
}

/** Dollars per million of something; null when there were none of it. */
export function perMillion(dollars: number, units: number): number | null {
  return units > 0 ? (dollars / units) * 1_000_000 : null;
}

export type UnitCosts = { perMillionChanges: number | null; perMillionDeliveries: number | null };

/** The cost of a run spread over the changes it accepted and the webhooks it delivered. */
export function unitCosts(cost: Cost, run: { changes: number; deliveries: number }): UnitCosts {
  return { perMillionChanges: perMillion(cost.total, run.changes), perMillionDeliveries: perMillion(cost.total, run.deliveries) };
}

/** Scales usage measured for `measured` changes to `target` changes (a linear model). */
export function scaleUsage(usage: Usage, measured: number, target: number): Usage {
  if (!(measured > 0)) throw new RangeError("scale from a positive number of changes");
  const scaled: Usage = {};
  for (const item of COST_ITEMS) if (usage[item] !== undefined) scaled[item] = (usage[item]! * target) / measured;
  return scaled;
}
