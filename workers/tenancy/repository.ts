/**
 * Tenants and locations in D1. The ingest path needs one indexed lookup per request
 * (key hash → location + tenant); everything else is admin traffic.
 */
import type { Region } from "../../durable-objects/record-address";

/** `operationsRouteId`: the route receiving the tenant's own incident notices (null = none). */
export type Tenant = { id: string; name: string; region: Region; typePrefix: string; createdAt: string; operationsRouteId: string | null };
export type Location = { tenant: string; id: string; name: string; keyPrefix: string; createdAt: string; revokedAt: string | null };
/**
 * `routingVersion` and `registryVersion`: the tenant's route and schema-registry versions as of
 * this lookup; caches of routing tables and compiled validators refresh only when they moved.
 */
export type KeyOwner = { tenant: string; location: string; region: Region; typePrefix: string; routingVersion: number; registryVersion: number; revokedAt: string | null };

type TenantRow = { id: string; name: string; region: Region; type_prefix: string; created_at: string; operations_route_id: string | null };
type LocationRow = { tenant_id: string; id: string; name: string; key_prefix: string; created_at: string; revoked_at: string | null };

const toTenant = (r: TenantRow): Tenant => ({
  id: r.id, name: r.name, region: r.region, typePrefix: r.type_prefix, createdAt: r.created_at, operationsRouteId: r.operations_route_id,
});
const toLocation = (r: LocationRow): Location => ({ tenant: r.tenant_id, id: r.id, name: r.name, keyPrefix: r.key_prefix, createdAt: r.created_at, revokedAt: r.revoked_at });

/** True when the row was inserted; false when the primary key already existed. */
export async function insertTenant(db: D1Database, t: Tenant): Promise<boolean> {
  const res = await db
    .prepare("INSERT INTO tenants (id, name, region, type_prefix, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING")
    .bind(t.id, t.name, t.region, t.typePrefix, t.createdAt)
    .run();
  return res.meta.changes === 1;
}

export async function getTenant(db: D1Database, id: string): Promise<Tenant | null> {
  const row = await db.prepare("SELECT * FROM tenants WHERE id = ?").bind(id).first<TenantRow>();
  return row ? toTenant(row) : null;
}

export type TenantPatch = { name?: string; operationsRouteId?: string | null };

/** Writes only the given fields; an operations route must be a route of the tenant at the moment of the write. */
export async function updateTenant(db: D1Database, id: string, patch: TenantPatch): Promise<"updated" | "no-tenant" | "no-route"> {
  const sets: string[] = [];
  const values: unknown[] = [id];
  let guard = "";
  if (patch.name !== undefined) values.push(patch.name), sets.push(`name = ?${values.length}`);
  if (patch.operationsRouteId !== undefined) {
    values.push(patch.operationsRouteId);
    sets.push(`operations_route_id = ?${values.length}`);
    if (patch.operationsRouteId !== null) guard = ` AND EXISTS (SELECT 1 FROM routes WHERE tenant_id = ?1 AND id = ?${values.length})`;
  }
  if (sets.length > 0) {
    const res = await db.prepare(`UPDATE tenants SET ${sets.join(", ")} WHERE id = ?1${guard}`).bind(...values).run();
    if (res.meta.changes === 1) return "updated";
  }
  if (!(await getTenant(db, id))) return "no-tenant";
  return sets.length > 0 ? "no-route" : "updated";
}

export async function insertLocation(db: D1Database, l: Location, keyHash: string): Promise<boolean> {
  const res = await db
    .prepare("INSERT INTO locations (tenant_id, id, name, key_hash, key_prefix, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, id) DO NOTHING")
    .bind(l.tenant, l.id, l.name, keyHash, l.keyPrefix, l.createdAt)
    .run();
  return res.meta.changes === 1;
}

export async function getLocation(db: D1Database, tenant: string, id: string): Promise<Location | null> {
  const row = await db.prepare("SELECT * FROM locations WHERE tenant_id = ? AND id = ?").bind(tenant, id).first<LocationRow>();
  return row ? toLocation(row) : null;
}

export async function listLocations(db: D1Database, tenant: string, after: string, limit: number): Promise<Location[]> {
  const { results } = await db.prepare("SELECT * FROM locations WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?").bind(tenant, after, limit).all<LocationRow>();
  return results.map(toLocation);
}

export async function revokeLocation(db: D1Database, tenant: string, id: string, at: string): Promise<void> {
  await db.prepare("UPDATE locations SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?").bind(at, tenant, id).run();
}

export async function findKeyOwner(db: D1Database, keyHash: string): Promise<KeyOwner | null> {
  return db
    .prepare(
      "SELECT l.tenant_id AS tenant, l.id AS location, t.region AS region, t.type_prefix AS typePrefix, t.routing_version AS routingVersion, t.registry_version AS registryVersion, l.revoked_at AS revokedAt FROM locations l JOIN tenants t ON t.id = l.tenant_id WHERE l.key_hash = ?",
    )
    .bind(keyHash)
    .first<KeyOwner>();
}
