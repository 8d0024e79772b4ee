-- A third API key scope (issue 22): `backfills` keys read as `read` keys do and may also start
-- backfills, which `read` keys no longer may (a backfill makes the platform do work against the
-- customer's rate limits; a dashboard's key should not be able to).
ALTER TABLE api_keys DROP CONSTRAINT api_keys_scope_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_scope_check CHECK (scope IN ('ingest', 'read', 'backfills'));
