-- Schema registry (a Confluent-compatible REST subset at /registry/t/{tenant}): schemas with
-- ids unique per tenant, one subject per record type with numbered versions, and the
-- compatibility level per tenant ('' subject) and per subject.

-- A schema is stored once per tenant, whatever the subjects using it (Confluent's global ids).
-- id is allocated inside the registering batch as MAX(id) + 1 of the tenant (D1 runs a batch
-- as one transaction, so two registrations cannot take the same id).
CREATE TABLE schemas (
  tenant_id   TEXT NOT NULL,
  id          INTEGER NOT NULL,
  schema_type TEXT NOT NULL CHECK (schema_type IN ('JSON', 'AVRO', 'PROTOBUF')),
  schema      TEXT NOT NULL,   -- the text as first registered
  canonical   TEXT NOT NULL,   -- RFC 8785 JSON for JSON and AVRO; normalized line ends for PROTOBUF
  fingerprint TEXT NOT NULL,   -- SHA-256 hex of "{schema_type}\n{canonical}": the dedupe key
  created_at  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, fingerprint)
);

-- Soft delete sets deleted_at: the version leaves listings and compatibility checks, its
-- schema id keeps resolving. Version numbers are never reused after a soft delete.
CREATE TABLE subject_versions (
  tenant_id  TEXT NOT NULL,
  subject    TEXT NOT NULL,     -- the record type
  version    INTEGER NOT NULL,  -- 1, 2, 3… per subject; the primary key settles concurrent registrations
  schema_id  INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  deleted_at TEXT,
  PRIMARY KEY (tenant_id, subject, version)
);
CREATE INDEX subject_versions_by_schema ON subject_versions (tenant_id, schema_id);

CREATE TABLE registry_config (
  tenant_id     TEXT NOT NULL,
  subject       TEXT NOT NULL,  -- '' = the tenant's global level
  compatibility TEXT NOT NULL CHECK (compatibility IN ('BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE', 'NONE')),
  updated_at    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, subject)
);
