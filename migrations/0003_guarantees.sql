-- Delivery guarantees: per-route backpressure and circuit-breaker overrides, the CloudEvents
-- webhook handshake ("HTTP 1.1 Web Hooks for Event Delivery" §4), each tenant's operations
-- route and the incident log. routes.status has no CHECK, so its new value 'pending' (the
-- handshake has not passed) needs no change here.

ALTER TABLE routes ADD COLUMN rate_limit_per_second REAL;             -- deliveries per second; NULL = unlimited
ALTER TABLE routes ADD COLUMN max_in_flight INTEGER;                  -- concurrent deliveries; NULL = unlimited
ALTER TABLE routes ADD COLUMN breaker TEXT;                           -- JSON Partial<BreakerSettings>; NULL = DEFAULT_BREAKER
-- 1 = a new or changed URL must consent (OPTIONS validation) before it is sent anything.
-- Routes that existed before this migration keep their status: nothing re-validates them.
ALTER TABLE routes ADD COLUMN handshake INTEGER NOT NULL DEFAULT 1;
-- The endpoint's WebHook-Allowed-Rate from its last passed handshake, converted to per second;
-- NULL = no cap. The effective rate is the lower of this and rate_limit_per_second.
ALTER TABLE routes ADD COLUMN allowed_rate REAL;

-- Where the tenant's own incident notices go (a route of this tenant); NULL = nowhere.
ALTER TABLE tenants ADD COLUMN operations_route_id TEXT;

-- Breaker trips, auto-disables and the like, opened and closed by the delivery consumer. At
-- most one open incident per (route, kind): openIncident inserts only when none is open.
CREATE TABLE route_incidents (
  tenant_id  TEXT NOT NULL,
  id         TEXT NOT NULL,
  route_id   TEXT NOT NULL,
  severity   TEXT NOT NULL CHECK (severity IN ('P0', 'P1', 'P2', 'P3', 'P4')),
  kind       TEXT NOT NULL,
  detail     TEXT NOT NULL,
  opened_at  INTEGER NOT NULL,  -- unix ms
  closed_at  INTEGER,           -- unix ms; NULL while open
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX route_incidents_by_route ON route_incidents (tenant_id, route_id, opened_at);
