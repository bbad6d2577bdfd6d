/**
 * Capacity arithmetic for docs/scale.md: monthly volumes → average and peak rates, delivery
 * queue shards per region under the Queues per-queue throughput limit, and the expected number
 * of distinct routes in a consumer batch (which sets attempt-log rows and route-health calls).
 * Pure; every assumption is a parameter.
 */

/** A billing month: 30 days. */
export const SECONDS_PER_MONTH = 30 * 24 * 3600;

/** Queues: messages per second per queue (queues/platform/limits). */
export const QUEUE_MESSAGES_PER_SECOND = 5_000;

export function perSecond(perMonth: number): number {
  return perMonth / SECONDS_PER_MONTH;
}

/**
 * Shards for a region: enough queues that the peak stays under `utilization` of each queue's
 * limit (headroom for retries, deferrals and an uneven hash), never fewer than one.
 */
export function queueShards(peakMessagesPerSecond: number, { limit = QUEUE_MESSAGES_PER_SECOND, utilization = 0.8 } = {}): number {
  if (!(utilization > 0 && utilization <= 1)) throw new RangeError("utilization is a share in (0, 1]");
  return Math.max(1, Math.ceil(peakMessagesPerSecond / (limit * utilization)));
}

export type RegionPlan = { region: string; messagesPerSecond: { average: number; peak: number }; deliveriesPerSecond: { average: number; peak: number }; shards: number };

export type Workload = {
  changesPerMonth: number;
  /** Peak rate ÷ average rate. */
  peakFactor: number;
  /** Per region: the share of changes with at least one route there (one message each), and routes per such message. */
  regions: { region: string; messageShare: number; routesPerMessage: number }[];
  /** Extra messages per first message: retries and deferrals (0.05 = 5 %). */
  retryShare: number;
};

/** One delivery message per event per region with routes there; retries come back as messages too. */
export function planRegions(w: Workload, queue: { limit?: number; utilization?: number } = {}): RegionPlan[] {
  const changes = perSecond(w.changesPerMonth);
  return w.regions.map(({ region, messageShare, routesPerMessage }) => {
    const average = changes * messageShare * (1 + w.retryShare);
    const peak = average * w.peakFactor;
    const deliveries = changes * messageShare * routesPerMessage;
    return { region, messagesPerSecond: { average, peak }, deliveriesPerSecond: { average: deliveries, peak: deliveries * w.peakFactor }, shards: queueShards(peak, queue) };
  });
}

/**
 * Expected distinct routes among `draws` deliveries spread evenly over `routes` routes: a
 * consumer batch writes one attempt-log row and makes one acquire/release pair per distinct
 * route, so deliveries ÷ this is what batching saves.
 */
export function expectedDistinct(routes: number, draws: number): number {
  if (!(routes >= 1) || !(draws >= 0)) throw new RangeError("routes ≥ 1 and draws ≥ 0");
  return routes * (1 - Math.pow(1 - 1 / routes, draws));
}
