/**
 * Subscribers, routes and their sealed signing secrets in D1 (migrations/0002_fanout.sql).
 * Every write that changes what a route matches or how it is signed also bumps
 * `tenants.routing_version` in the same batch (one transaction), so a cache keyed by that
 * version can never hold a table older than one it was told about.
 */
import { effectiveRate } from "../../shared/delivery/handshake";
import { openSecret } from "../../shared/delivery/secret-box";
import type { SchemaPin } from "../../shared/registry/pin";
import type { Filter } from "../../shared/routing/filter";
import { DEFAULT_BREAKER, type BreakerSettings, type ContentMode, type DeliveryRegion, type DeliveryTarget, type Guarantee, type Ordering, type RouteStatus, type RoutingEntry, type RoutingTable } from "../../shared/routing/route";

export { newId } from "./ids";
// The consumer's incident writes live with the incident log; re-exported so one import serves it.
export { closeIncidents, openIncident } from "./incidents";

export type Agreements = { hipaaBaa?: boolean; glba?: boolean; dpa?: boolean };
export type SubscriberSettings = { name: string; purposes: string[]; agreements: Agreements };
export type Subscriber = SubscriberSettings & { tenant: string; id: string; createdAt: string; updatedAt: string };

export type RouteSettings = {
  subscriberId: string;
  url: string;
  region: DeliveryRegion;
  filter: Filter[];
  contentMode: ContentMode;
  guarantee: Guarantee;
  ordering: Ordering;
  retrySchedule: number[];
  timeoutMs: number;
  /** Deliveries per second; null = unlimited. */
  rateLimitPerSecond: number | null;
  /** Concurrent deliveries; null = unlimited. */
  maxInFlight: number | null;
  /** Overrides of DEFAULT_BREAKER; `{}` = the defaults. */
  circuitBreaker: Partial<BreakerSettings>;
  /** Whether a new or changed URL must pass the CloudEvents webhook handshake first. */
  handshake: boolean;
  status: RouteStatus;
  statusReason: string | null;
  /** The endpoint's WebHook-Allowed-Rate (per second) from its last passed handshake; null = no cap. Written by the system only. */
  allowedRate: number | null;
  /** The registry version (subject = record type) the route reads, with its schema id; null = not pinned. */
  schema: SchemaPin | null;
};
export type SecretInfo = { id: string; createdAt: string; expiresAt: string | null };
/** The admin view of a route: never the secrets themselves, only when each was made and ends. */
export type Route = RouteSettings & { tenant: string; id: string; createdAt: string; updatedAt: string; secrets: SecretInfo[] };
export type SealedSecret = { id: string; ciphertext: string; createdAt: string };

type SubscriberRow = { tenant_id: string; id: string; name: string; purposes: string; agreements: string; created_at: string; updated_at: string };
type RouteRow = {
  tenant_id: string; id: string; subscriber_id: string; url: string; region: DeliveryRegion; filter: string; content_mode: ContentMode;
  guarantee: Guarantee; ordering: Ordering; retry_schedule: string; timeout_ms: number; status: RouteStatus; status_reason: string | null;
  rate_limit_per_second: number | null; max_in_flight: number | null; breaker: string | null; handshake: number; allowed_rate: number | null;
  schema_pin: string | null; created_at: string; updated_at: string;
};

const toSubscriber = (r: SubscriberRow): Subscriber => ({
  tenant: r.tenant_id, id: r.id, name: r.name, purposes: JSON.parse(r.purposes), agreements: JSON.parse(r.agreements), createdAt: r.created_at, updatedAt: r.updated_at,
});
const toSettings = (r: RouteRow): RouteSettings => ({
  subscriberId: r.subscriber_id, url: r.url, region: r.region, filter: JSON.parse(r.filter), contentMode: r.content_mode, guarantee: r.guarantee,
  ordering: r.ordering, retrySchedule: JSON.parse(r.retry_schedule), timeoutMs: r.timeout_ms, rateLimitPerSecond: r.rate_limit_per_second,
  maxInFlight: r.max_in_flight, circuitBreaker: r.breaker === null ? {} : JSON.parse(r.breaker), handshake: r.handshake === 1, status: r.status,
  statusReason: r.status_reason, allowedRate: r.allowed_rate, schema: r.schema_pin === null ? null : JSON.parse(r.schema_pin),
});
const toRoute = (r: RouteRow & { secrets: string }): Route => ({
  tenant: r.tenant_id, id: r.id, ...toSettings(r), createdAt: r.created_at, updatedAt: r.updated_at, secrets: JSON.parse(r.secrets),
});


// ---- subscribers ----

export async function insertSubscriber(db: D1Database, s: Subscriber): Promise<boolean> {
  const res = await db
    .prepare("INSERT INTO subscribers (tenant_id, id, name, purposes, agreements, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
    .bind(s.tenant, s.id, s.name, JSON.stringify(s.purposes), JSON.stringify(s.agreements), s.createdAt, s.updatedAt)
    .run();
  return res.meta.changes === 1;
}

export async function getSubscriber(db: D1Database, tenant: string, id: string): Promise<Subscriber | null> {
  const row = await db.prepare("SELECT * FROM subscribers WHERE tenant_id = ? AND id = ?").bind(tenant, id).first<SubscriberRow>();
  return row ? toSubscriber(row) : null;
}

export async function listSubscribers(db: D1Database, tenant: string, after: string, limit: number): Promise<Subscriber[]> {
  const { results } = await db.prepare("SELECT * FROM subscribers WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?").bind(tenant, after, limit).all<SubscriberRow>();
  return results.map(toSubscriber);
}

/** Writes only the given fields, so two concurrent PATCHes of different fields both stick. */
export async function updateSubscriber(db: D1Database, tenant: string, id: string, patch: Partial<SubscriberSettings>, at: string): Promise<boolean> {
  const sets = ["updated_at = ?"];
  const values: unknown[] = [at];
  if (patch.name !== undefined) sets.push("name = ?"), values.push(patch.name);
  if (patch.purposes !== undefined) sets.push("purposes = ?"), values.push(JSON.stringify(patch.purposes));
  if (patch.agreements !== undefined) sets.push("agreements = ?"), values.push(JSON.stringify(patch.agreements));
  const res = await db.prepare(`UPDATE subscribers SET ${sets.join(", ")} WHERE tenant_id = ? AND id = ?`).bind(...values, tenant, id).run();
  return res.meta.changes === 1;
}

/**
 * Refuses while a route references the subscriber. The check sits inside the DELETE, and
 * insertRoute checks the subscriber inside its INSERT, so neither can race past the other.
 */
export async function deleteSubscriber(db: D1Database, tenant: string, id: string): Promise<"deleted" | "not-found" | "in-use"> {
  const res = await db
    .prepare("DELETE FROM subscribers WHERE tenant_id = ?1 AND id = ?2 AND NOT EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND subscriber_id = ?2)")
    .bind(tenant, id)
    .run();
  if (res.meta.changes === 1) return "deleted";
  return (await getSubscriber(db, tenant, id)) ? "in-use" : "not-found";
}

// ---- routes ----

const ROUTE_SELECT = `SELECT r.*, (
  SELECT json_group_array(json_object('id', s.id, 'createdAt', s.created_at, 'expiresAt', s.expires_at)) FROM (
    SELECT rs.* FROM route_secrets rs WHERE rs.tenant_id = r.tenant_id AND rs.route_id = r.id AND (rs.expires_at IS NULL OR rs.expires_at > ?1)
    ORDER BY rs.created_at DESC, rs.rowid DESC) s
) AS secrets FROM routes r`;

const bumpVersion = (db: D1Database, tenant: string, routeId: string) =>
  db.prepare("UPDATE tenants SET routing_version = routing_version + 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND id = ?2)").bind(tenant, routeId);

export type InsertRouteResult = "created" | "exists" | "no-subscriber";

/** The route, its first secret and the version bump commit together or not at all. */
export async function insertRoute(db: D1Database, tenant: string, id: string, s: RouteSettings, secret: SealedSecret): Promise<InsertRouteResult> {
  try {
    const [inserted] = await db.batch([
      // Plain INSERT: an existing id aborts the whole batch, secret and bump included (caught below).
      db
        .prepare(
          `INSERT INTO routes (tenant_id, id, subscriber_id, url, region, filter, content_mode, guarantee, ordering, retry_schedule, timeout_ms, status, status_reason,
             rate_limit_per_second, max_in_flight, breaker, handshake, allowed_rate, created_at, updated_at, schema_pin)
           SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19, ?20 WHERE EXISTS (SELECT 1 FROM subscribers WHERE tenant_id = ?1 AND id = ?3)`,
        )
        .bind(
          tenant, id, s.subscriberId, s.url, s.region, JSON.stringify(s.filter), s.contentMode, s.guarantee, s.ordering, JSON.stringify(s.retrySchedule), s.timeoutMs, s.status,
          s.statusReason, s.rateLimitPerSecond, s.maxInFlight, encodeBreaker(s.circuitBreaker), s.handshake ? 1 : 0, s.allowedRate, secret.createdAt,
          encodePin(s.schema),
        ),
      db
        .prepare("INSERT INTO route_secrets (tenant_id, route_id, id, ciphertext, created_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND id = ?2)")
        .bind(tenant, id, secret.id, secret.ciphertext, secret.createdAt),
      bumpVersion(db, tenant, id),
    ]);
    return inserted!.meta.changes === 1 ? "created" : "no-subscriber";
  } catch (err) {
    if (err instanceof Error && /UNIQUE constraint failed/.test(err.message)) return "exists";
    throw err;
  }
}

export async function getRoute(db: D1Database, tenant: string, id: string, nowIso: string): Promise<Route | null> {
  const row = await db.prepare(`${ROUTE_SELECT} WHERE r.tenant_id = ?2 AND r.id = ?3`).bind(nowIso, tenant, id).first<RouteRow & { secrets: string }>();
  return row ? toRoute(row) : null;
}

export type RouteQuery = { subscriberId?: string; status?: RouteStatus };

export async function listRoutes(db: D1Database, tenant: string, q: RouteQuery, after: string, limit: number, nowIso: string): Promise<Route[]> {
  const { results } = await db
    .prepare(`${ROUTE_SELECT} WHERE r.tenant_id = ?2 AND r.id > ?3 AND (?4 IS NULL OR r.subscriber_id = ?4) AND (?5 IS NULL OR r.status = ?5) ORDER BY r.id LIMIT ?6`)
    .bind(nowIso, tenant, after, q.subscriberId ?? null, q.status ?? null, limit)
    .all<RouteRow & { secrets: string }>();
  return results.map(toRoute);
}

const ROUTE_COLUMNS: { [K in keyof RouteSettings]: [column: string, encode: (v: RouteSettings[K]) => unknown] } = {
  subscriberId: ["subscriber_id", (v) => v],
  url: ["url", (v) => v],
  region: ["region", (v) => v],
  filter: ["filter", (v) => JSON.stringify(v)],
  contentMode: ["content_mode", (v) => v],
  guarantee: ["guarantee", (v) => v],
  ordering: ["ordering", (v) => v],
  retrySchedule: ["retry_schedule", (v) => JSON.stringify(v)],
  timeoutMs: ["timeout_ms", (v) => v],
  rateLimitPerSecond: ["rate_limit_per_second", (v) => v],
  maxInFlight: ["max_in_flight", (v) => v],
  circuitBreaker: ["breaker", (v) => encodeBreaker(v)],
  handshake: ["handshake", (v) => (v ? 1 : 0)],
  status: ["status", (v) => v],
  statusReason: ["status_reason", (v) => v],
  allowedRate: ["allowed_rate", (v) => v],
  schema: ["schema_pin", (v) => encodePin(v)],
};

const encodePin = (p: SchemaPin | null) => (p === null ? null : JSON.stringify({ subject: p.subject, version: p.version, id: p.id }));

/** No overrides is stored as NULL, so the defaults apply (and a later change of them too). */
const encodeBreaker = (b: Partial<BreakerSettings>) => (Object.keys(b).length === 0 ? null : JSON.stringify(b));

/**
 * What a write expects the route to be: compare-and-set for the changes that decide where and
 * whether a route delivers (status, URL), so a handshake verdict is never stored against a URL
 * or a status it was not made for.
 */
export type RouteGuard = { statuses?: readonly RouteStatus[]; url?: string };

/**
 * Writes only the given fields (pause, resume and PATCH all land here). A new subscriberId
 * must exist at the moment of the write; false when the route or that subscriber is gone or
 * the route does not match `guard`.
 */
export async function updateRoute(db: D1Database, tenant: string, id: string, patch: Partial<RouteSettings>, at: string, guard: RouteGuard = {}): Promise<boolean> {
  const sets = ["updated_at = ?3"];
  const values: unknown[] = [tenant, id, at];
  let subscriberParam = 0;
  for (const [key, [column, encode]] of Object.entries(ROUTE_COLUMNS) as [keyof RouteSettings, [string, (v: unknown) => unknown]][]) {
    if (patch[key] === undefined) continue;
    values.push(encode(patch[key]));
    sets.push(`${column} = ?${values.length}`);
    if (key === "subscriberId") subscriberParam = values.length;
  }
  // WHERE sees the row before the SET, so the new subscriber is named by its parameter.
  let where = subscriberParam === 0 ? "" : ` AND EXISTS (SELECT 1 FROM subscribers WHERE tenant_id = ?1 AND id = ?${subscriberParam})`;
  if (guard.statuses) values.push(JSON.stringify(guard.statuses)), (where += ` AND status IN (SELECT value FROM json_each(?${values.length}))`);
  if (guard.url !== undefined) values.push(guard.url), (where += ` AND url = ?${values.length}`);
  const [updated] = await db.batch([
    db.prepare(`UPDATE routes SET ${sets.join(", ")} WHERE tenant_id = ?1 AND id = ?2${where}`).bind(...values),
    bumpVersion(db, tenant, id),
  ]);
  return updated!.meta.changes === 1;
}

/**
 * The route goes with its secrets (and stops being its tenant's operations route); its dead
 * letters, incidents and attempt log stay as history.
 */
export async function deleteRoute(db: D1Database, tenant: string, id: string): Promise<boolean> {
  const [, , , deleted] = await db.batch([
    bumpVersion(db, tenant, id),
    db.prepare("DELETE FROM route_secrets WHERE tenant_id = ? AND route_id = ?").bind(tenant, id),
    db.prepare("UPDATE tenants SET operations_route_id = NULL WHERE id = ? AND operations_route_id = ?").bind(tenant, id),
    db.prepare("DELETE FROM routes WHERE tenant_id = ? AND id = ?").bind(tenant, id),
  ]);
  return deleted!.meta.changes === 1;
}

/**
 * The delivery worker's verdict (a 410, or failing for AUTO_DISABLE_AFTER_SECONDS): status
 * "disabled" with `reason`, and the routing version bumped in the same transaction so record
 * objects stop planning deliveries to it. True when it changed (false: gone or already disabled).
 */
export async function disableRoute(db: D1Database, tenant: string, routeId: string, reason: string, atIso: string): Promise<boolean> {
  // The bump runs first and on the same condition as the UPDATE: an already-disabled route bumps nothing.
  const [, updated] = await db.batch([
    db
      .prepare("UPDATE tenants SET routing_version = routing_version + 1 WHERE id = ?1 AND EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND id = ?2 AND status != 'disabled')")
      .bind(tenant, routeId),
    db
      .prepare("UPDATE routes SET status = 'disabled', status_reason = ?3, updated_at = ?4 WHERE tenant_id = ?1 AND id = ?2 AND status != 'disabled'")
      .bind(tenant, routeId, reason, atIso),
  ]);
  return updated!.meta.changes === 1;
}

/**
 * Adds `secret` and makes every older one expire at `oldExpiresAt` (or earlier, if it was
 * already due to); secrets already expired are dropped. False when the route is gone.
 */
export async function rotateRouteSecret(db: D1Database, tenant: string, id: string, secret: SealedSecret, oldExpiresAt: string): Promise<boolean> {
  const [, , inserted] = await db.batch([
    db.prepare("DELETE FROM route_secrets WHERE tenant_id = ? AND route_id = ? AND expires_at <= ?").bind(tenant, id, secret.createdAt),
    db
      .prepare("UPDATE route_secrets SET expires_at = ?3 WHERE tenant_id = ?1 AND route_id = ?2 AND (expires_at IS NULL OR expires_at > ?3)")
      .bind(tenant, id, oldExpiresAt),
    db
      .prepare("INSERT INTO route_secrets (tenant_id, route_id, id, ciphertext, created_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND id = ?2)")
      .bind(tenant, id, secret.id, secret.ciphertext, secret.createdAt),
    bumpVersion(db, tenant, id),
    db.prepare("UPDATE routes SET updated_at = ?3 WHERE tenant_id = ?1 AND id = ?2").bind(tenant, id, secret.createdAt),
  ]);
  return inserted!.meta.changes === 1;
}

// ---- for the master-record object and the delivery consumer ----

/** Every route of the tenant (paused and disabled ones too: the caller decides), one snapshot. */
export async function loadRoutingTable(db: D1Database, tenant: string): Promise<RoutingTable> {
  const [version, routes] = await db.batch<{ routing_version: number } | RouteRow>([
    db.prepare("SELECT routing_version FROM tenants WHERE id = ?").bind(tenant),
    db.prepare("SELECT id, region, filter, status, guarantee, ordering FROM routes WHERE tenant_id = ? ORDER BY id").bind(tenant),
  ]);
  const v = (version!.results[0] as { routing_version: number } | undefined)?.routing_version ?? 0;
  const entries = (routes!.results as RouteRow[]).map((r): RoutingEntry => ({
    id: r.id, region: r.region, filter: JSON.parse(r.filter), status: r.status, guarantee: r.guarantee, ordering: r.ordering,
  }));
  return { tenant, version: v, routes: entries };
}

/**
 * The named routes, ready to send: unexpired secrets decrypted, newest first; the rate is the
 * lower of the route's limit and the endpoint's allowed rate; the breaker is DEFAULT_BREAKER
 * with the route's overrides. Routes that do not exist (deleted since the message was queued)
 * are absent from the map.
 */
export async function loadDeliveryTargets(db: D1Database, secretsKey: CryptoKey, tenant: string, routeIds: readonly string[], nowMs: number): Promise<Map<string, DeliveryTarget>> {
  if (routeIds.length === 0) return new Map();
  // json_each keeps it at one bound parameter however many routes (D1 allows 100 per query).
  return loadTargets(db, secretsKey, tenant, ["SELECT value FROM json_each(?)", JSON.stringify(routeIds)], nowMs);
}

/** The tenant's operations route (PATCH /tenants/{t} `operationsRouteId`) whatever its status, or null when none is set. */
export async function getOperationsTarget(db: D1Database, secretsKey: CryptoKey, tenant: string, nowMs: number): Promise<DeliveryTarget | null> {
  const targets = await loadTargets(db, secretsKey, tenant, ["SELECT operations_route_id FROM tenants WHERE id = ?", tenant], nowMs);
  return targets.values().next().value ?? null;
}

/** One batch: the routes whose ids the subquery `ids` (SQL with one `?`, and its value) selects, and their secrets. */
async function loadTargets(db: D1Database, secretsKey: CryptoKey, tenant: string, ids: [sql: string, value: string], nowMs: number): Promise<Map<string, DeliveryTarget>> {
  const targets = new Map<string, DeliveryTarget>();
  const [idsSql, idsValue] = ids;
  const [routes, secrets] = await db.batch<RouteRow | { route_id: string; ciphertext: string }>([
    db.prepare(`SELECT * FROM routes WHERE tenant_id = ? AND id IN (${idsSql})`).bind(tenant, idsValue),
    db
      .prepare(
        `SELECT route_id, ciphertext FROM route_secrets WHERE tenant_id = ? AND route_id IN (${idsSql}) AND (expires_at IS NULL OR expires_at > ?) ORDER BY route_id, created_at DESC, rowid DESC`,
      )
      .bind(tenant, idsValue, new Date(nowMs).toISOString()),
  ]);
  for (const r of routes!.results as RouteRow[]) targets.set(r.id, toTarget(tenant, toSettings(r), r.id));
  const rows = secrets!.results as { route_id: string; ciphertext: string }[];
  const opened = await Promise.all(rows.map((s) => openSecret(secretsKey, s.ciphertext)));
  rows.forEach((s, i) => targets.get(s.route_id)?.secrets.push(opened[i]!));
  return targets;
}

function toTarget(tenant: string, s: RouteSettings, id: string): DeliveryTarget {
  return {
    id, tenant, subscriberId: s.subscriberId, url: s.url, region: s.region, filter: s.filter, status: s.status, guarantee: s.guarantee, ordering: s.ordering,
    contentMode: s.contentMode, retrySchedule: s.retrySchedule, timeoutMs: s.timeoutMs,
    rateLimitPerSecond: effectiveRate(s.rateLimitPerSecond, s.allowedRate),
    maxInFlight: s.maxInFlight,
    breaker: { ...DEFAULT_BREAKER, ...s.circuitBreaker },
    secrets: [],
    schema: s.schema,
  };
}
