-- Tenants (portfolio operators) and their locations (sites holding an ingest key).
-- Keys are stored only as SHA-256 hex digests; the plaintext is shown once at creation.

CREATE TABLE tenants (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  region      TEXT NOT NULL CHECK (region IN ('us', 'eu', 'ap')),
  type_prefix TEXT NOT NULL DEFAULT 'io.changecast',
  created_at  TEXT NOT NULL
);

CREATE TABLE locations (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  name       TEXT NOT NULL,
  key_hash   TEXT NOT NULL UNIQUE,
  key_prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  PRIMARY KEY (tenant_id, id)
);
