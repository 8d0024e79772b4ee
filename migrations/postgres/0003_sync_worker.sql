-- Sync runs executed by the worker (version 3). See migrations/sqlite/0003_sync_worker.sql.
ALTER TABLE sync_runs DROP CONSTRAINT IF EXISTS sync_runs_status_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'not_supported', 'cancelled'));
ALTER TABLE sync_runs ADD COLUMN platform_id TEXT NOT NULL DEFAULT '';
UPDATE sync_runs r SET platform_id = c.platform_id FROM connections c WHERE c.id = r.connection_id;
ALTER TABLE sync_runs ADD COLUMN platform_error TEXT;
ALTER TABLE sync_runs ADD COLUMN lease_owner TEXT;
ALTER TABLE sync_runs ADD COLUMN lease_expires_at BIGINT;
ALTER TABLE sync_runs ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN progress BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN log TEXT NOT NULL DEFAULT '[]';
DROP INDEX IF EXISTS sync_runs_by_backfill;
CREATE INDEX sync_runs_by_backfill ON sync_runs (backfill_id, connection_id, data_object);
CREATE INDEX sync_runs_queue ON sync_runs (status, id) WHERE status IN ('queued', 'running');
-- At most one scheduled run of a connection's object waits in the queue, whichever process
-- scheduled it.
CREATE UNIQUE INDEX sync_runs_one_scheduled ON sync_runs (connection_id, data_object)
    WHERE status = 'queued' AND trigger_kind = 'schedule';
CREATE INDEX sync_runs_leases ON sync_runs (lease_expires_at) WHERE status = 'running';

ALTER TABLE backfills ADD COLUMN idempotency_key TEXT;
ALTER TABLE backfills ADD COLUMN reason TEXT;
ALTER TABLE backfills ADD COLUMN cancelled_at BIGINT;
ALTER TABLE backfills ADD COLUMN created_by_email TEXT;
CREATE UNIQUE INDEX backfills_idempotency ON backfills (organization_id, idempotency_key);
CREATE INDEX backfills_by_status ON backfills (organization_id, environment, status, id);

ALTER TABLE connections ADD COLUMN status_reason TEXT;
ALTER TABLE connections ADD COLUMN status_since BIGINT;
ALTER TABLE connections ADD COLUMN rate_limited_until BIGINT;
