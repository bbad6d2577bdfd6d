/**
 * Routes: a subscriber's subscription (DESIGN.md "Vocabulary"). Two views of one route: what a
 * master-record object needs to match and plan (no URL, no secrets), and what the delivery
 * consumer needs to send (URL, content mode, schedule, timeout, decrypted secrets).
 */
import type { Region } from "../record/region";
import type { SchemaPin } from "../registry/pin";
import type { Filter } from "./filter";

export type DeliveryRegion = Region;
export const GUARANTEES = ["at-least-once", "at-most-once", "exactly-once"] as const;
export type Guarantee = (typeof GUARANTEES)[number];
export const ORDERINGS = ["none", "per-record"] as const;
export type Ordering = (typeof ORDERINGS)[number];
export const CONTENT_MODES = ["structured", "binary"] as const;
export type ContentMode = (typeof CONTENT_MODES)[number];
/** pending: waiting for the CloudEvents webhook handshake (deliveries are held, like paused). */
export const ROUTE_STATUSES = ["pending", "active", "paused", "disabled"] as const;
export type RouteStatus = (typeof ROUTE_STATUSES)[number];

/** Default schedule (seconds between attempts): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5, 300, 1800, 7200, 18000, 36000, 36000];
export const DEFAULT_TIMEOUT_MS = 15_000;

/**
 * Circuit breaker defaults (README "Delivery guarantees"): open after 10 consecutive failures,
 * or when ≥ 50 % of at least 20 attempts in 60 s failed; one probe after 30 s half-open.
 */
export type BreakerSettings = { consecutiveFailures: number; failureRatePercent: number; windowSeconds: number; minimumAttempts: number; cooldownSeconds: number };
export const DEFAULT_BREAKER: BreakerSettings = { consecutiveFailures: 10, failureRatePercent: 50, windowSeconds: 60, minimumAttempts: 20, cooldownSeconds: 30 };

/** A route failing continuously (no success) for this long is disabled. */
export const AUTO_DISABLE_AFTER_SECONDS = 5 * 24 * 3600;

/** Per-route backpressure; null = unlimited. The handshake's WebHook-Allowed-Rate can lower the rate. */
export type Backpressure = { rateLimitPerSecond: number | null; maxInFlight: number | null };

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
export type DeliveryTarget = RoutingEntry & Backpressure & {
  breaker: BreakerSettings;
  tenant: string;
  subscriberId: string;
  url: string;
  contentMode: ContentMode;
  retrySchedule: number[];
  timeoutMs: number;
  /** Signing secrets (`whsec_…`), newest first: during a rotation both sign. */
  secrets: string[];
  /** The registry version this route reads; events of that subject it cannot read are held (shared/registry/pin.ts). */
  schema: SchemaPin | null;
};
