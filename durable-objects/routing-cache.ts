/**
 * Routing tables per tenant, shared by every master-record object in this isolate: D1 is read
 * only when a request brings a newer routing version than the cached one (the ingest lookup
 * reads the tenant's version with its key, and every route change bumps it).
 */
import type { RoutingTable } from "../shared/routing/route";
import { loadRoutingTable } from "../workers/fanout/repository";

const routingTables = new Map<string, RoutingTable>();

/** The tenant's routing table at `version` or newer; null for a tenant that never had a route. */
export async function routingTableAt(db: D1Database, tenant: string, version: number): Promise<RoutingTable | null> {
  const cached = routingTables.get(tenant);
  if (cached && cached.version >= version) return cached;
  if (version === 0 && !cached) return null;
  const fresh = await loadRoutingTable(db, tenant);
  routingTables.set(tenant, fresh);
  return fresh;
}
