-- Fan-out: subscribers, routes, encrypted signing secrets, admin idempotency keys,
-- dead letters, the per-route attempt log and bulk replay jobs.

-- Bumped on every route change; the ingest lookup returns it so that master-record objects
-- refresh their cached routing table only when it changed (never a D1 query per change).
ALTER TABLE tenants ADD COLUMN routing_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE subscribers (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  name       TEXT NOT NULL,
  purposes   TEXT NOT NULL DEFAULT '[]',   -- JSON array of strings
  agreements TEXT NOT NULL DEFAULT '{}',   -- JSON {hipaaBaa?, glba?, dpa?}
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);

CREATE TABLE routes (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  id             TEXT NOT NULL,
  subscriber_id  TEXT NOT NULL,
  url            TEXT NOT NULL,
  region         TEXT NOT NULL CHECK (region IN ('us', 'eu', 'ap')),
  filter         TEXT NOT NULL DEFAULT '[]',  -- JSON array of CloudEvents Subscriptions API filters
  content_mode   TEXT NOT NULL DEFAULT 'structured',
  guarantee      TEXT NOT NULL DEFAULT 'at-least-once',
  ordering       TEXT NOT NULL DEFAULT 'none',
  retry_schedule TEXT NOT NULL,               -- JSON array of seconds
  timeout_ms     INTEGER NOT NULL,
  status         TEXT NOT NULL DEFAULT 'active',
  status_reason  TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX routes_by_subscriber ON routes (tenant_id, subscriber_id);

-- AES-GCM ciphertexts (key: SECRETS_KEY). A rotated-out secret keeps signing until expires_at.
CREATE TABLE route_secrets (
  tenant_id  TEXT NOT NULL,
  route_id   TEXT NOT NULL,
  id         TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  PRIMARY KEY (tenant_id, route_id, id)
);

CREATE TABLE idempotency_keys (
  scope        TEXT NOT NULL,   -- "{tenant}:{method} {path}"
  key          TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status       INTEGER NOT NULL,
  response     TEXT NOT NULL,
  created_at   INTEGER NOT NULL, -- unix ms; honoured for 24 h, pruned by the cron
  PRIMARY KEY (scope, key)
);

-- id is a function of (route, event, replay generation): a retried write cannot add a twin.
CREATE TABLE dead_letters (
  tenant_id  TEXT NOT NULL,
  id         TEXT NOT NULL,
  route_id   TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  subject    TEXT NOT NULL,
  sequence   INTEGER NOT NULL,
  event      TEXT NOT NULL,     -- the CloudEvent (JSON)
  attempts   TEXT NOT NULL,     -- JSON array of {at, status, latencyMs, error?, excerpt?}
  reason     TEXT NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0, -- replays so far; the next replay uses generation + 1
  severity   TEXT NOT NULL DEFAULT 'P4',
  status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'skipped')),
  created_at INTEGER NOT NULL,  -- unix ms
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX dead_letters_by_route ON dead_letters (tenant_id, route_id, created_at);

-- One row per (consumer batch, route): its attempts as a JSON array, so the log costs a
-- row per batch, not a row per delivery.
CREATE TABLE delivery_attempts (
  tenant_id  TEXT NOT NULL,
  route_id   TEXT NOT NULL,
  id         TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, route_id, id)
);
CREATE INDEX delivery_attempts_recent ON delivery_attempts (tenant_id, route_id, created_at);

CREATE TABLE replay_jobs (
  tenant_id  TEXT NOT NULL,
  id         TEXT NOT NULL,
  route_id   TEXT,
  from_ms    INTEGER,
  to_ms      INTEGER,
  status     TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
  total      INTEGER NOT NULL DEFAULT 0,
  done       INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
