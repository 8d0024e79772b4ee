-- A third API key scope (issue 22): `backfills` keys read as `read` keys do and may also start
-- backfills, which `read` keys no longer may (a backfill makes the platform do work against the
-- customer's rate limits; a dashboard's key should not be able to). SQLite cannot alter a CHECK
-- constraint: the table is rebuilt with the same columns, rows and indexes.
CREATE TABLE api_keys_v2 (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('ingest', 'read', 'backfills')),
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);
INSERT INTO api_keys_v2 (id, organization_id, environment, name, prefix, key_hash, created_by, created_at,
    last_used_at, revoked_at, scope)
SELECT id, organization_id, environment, name, prefix, key_hash, created_by, created_at, last_used_at,
    revoked_at, scope
FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_v2 RENAME TO api_keys;
CREATE INDEX api_keys_list ON api_keys (organization_id, environment, id);
