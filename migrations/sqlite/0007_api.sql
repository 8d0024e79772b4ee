-- The HTTP API (version 7).
--
-- API keys get a scope: `ingest` keys are the data plane's (they write request logs, sync runs,
-- connection status and events), `read` keys are customers' tooling (they read). Keys made
-- before scopes existed could only be used to read.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'read' CHECK (scope IN ('ingest', 'read'));

-- Ingestion is idempotent per item id: a retried item whose content hashes the same is accepted
-- again without a second row; a different content under the same id is a conflict. The hash is
-- taken after redaction, so it is never derived from a secret. Rows written by the seed or the
-- built-in data plane have none.
ALTER TABLE request_logs ADD COLUMN content_hash TEXT;
ALTER TABLE webhook_events ADD COLUMN content_hash TEXT;
