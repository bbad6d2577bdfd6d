/**
 * Routes: a subscriber's subscription (DESIGN.md "Vocabulary"). Two views of one route: what a
 * master-record object needs to match and plan (no URL, no secrets), and what the delivery
 * consumer needs to send (URL, content mode, schedule, timeout, decrypted secrets).
 */
import type { Region } from "../record/region";
import type { Filter } from "./filter";

export type DeliveryRegion = Region;
export const GUARANTEES = ["at-least-once", "at-most-once", "exactly-once"] as const;
export type Guarantee = (typeof GUARANTEES)[number];
export const ORDERINGS = ["none", "per-record"] as const;
export type Ordering = (typeof ORDERINGS)[number];
export const CONTENT_MODES = ["structured", "binary"] as const;
export type ContentMode = (typeof CONTENT_MODES)[number];
export const ROUTE_STATUSES = ["active", "paused", "disabled"] as const;
export type RouteStatus = (typeof ROUTE_STATUSES)[number];

/** Default schedule (seconds between attempts): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];
export const DEFAULT_TIMEOUT_MS = 15_000;

/** What the master-record object caches per tenant to match events (the routing table). */
export type RoutingEntry = {
  id: string;
  region: DeliveryRegion;
  filter: Filter[];
  status: RouteStatus;
  guarantee: Guarantee;
  ordering: Ordering;
};

export type RoutingTable = { tenant: string; version: number; routes: RoutingEntry[] };

/** What the delivery consumer needs to send to one route. */
export type DeliveryTarget = RoutingEntry & {
  tenant: string;
  subscriberId: string;
  url: string;
  contentMode: ContentMode;
  retrySchedule: number[];
  timeoutMs: number;
  /** Signing secrets (`whsec_…`), newest first: during a rotation both sign. */
  secrets: string[];
};
