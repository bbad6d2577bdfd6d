-- The tenant's registry version: bumped in the same D1 batch as every registry write that can
-- change what ingest validates a change against (a new version, a soft or permanent delete of a
-- version or a subject). The location-key lookup reads it with the key, and each isolate keeps
-- its compiled validators only while they are at least that new, so ingest never reads the
-- registry per change and sees a registration from the very next request on.
-- Compatibility levels do not bump it: they decide registrations, not validation.
ALTER TABLE tenants ADD COLUMN registry_version INTEGER NOT NULL DEFAULT 0;

-- 0 means "never registered anything" (ingest then skips the registry altogether): tenants
-- that registered schemas before this column existed start at 1.
UPDATE tenants SET registry_version = 1 WHERE id IN (SELECT DISTINCT tenant_id FROM subject_versions);
