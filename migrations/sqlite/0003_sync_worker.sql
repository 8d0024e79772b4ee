-- Sync runs executed by the worker (version 3).
--
-- A queued run is claimed by one worker with a lease (lease_owner, lease_expires_at) that the
-- worker extends while it runs; a run whose lease expired (its process died) is queued again.
-- Only the lease holder may finish a run, so each run ends exactly once. Runs of a backfill that
-- is cancelled end as 'cancelled'. SQLite cannot alter a CHECK constraint: the table is rebuilt.
CREATE TABLE sync_runs_v3 (
    id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    data_object TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'incremental', 'backfill')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'not_supported', 'cancelled')),
    queued_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    records_added BIGINT NOT NULL DEFAULT 0,
    records_updated BIGINT NOT NULL DEFAULT 0,
    records_deleted BIGINT NOT NULL DEFAULT 0,
    range_from BIGINT,
    range_to BIGINT,
    error_code TEXT,
    error_message TEXT,
    trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'backfill', 'user', 'connection')),
    backfill_id TEXT REFERENCES backfills (id) ON DELETE SET NULL,
    triggered_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    platform_id TEXT NOT NULL DEFAULT '',
    platform_error TEXT,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    progress BIGINT NOT NULL DEFAULT 0,
    log TEXT NOT NULL DEFAULT '[]'
);
INSERT INTO sync_runs_v3 (id, connection_id, organization_id, environment, data_object, kind, status, queued_at,
    started_at, finished_at, records_added, records_updated, records_deleted, range_from, range_to, error_code,
    error_message, trigger_kind, backfill_id, triggered_by, platform_id)
SELECT r.id, r.connection_id, r.organization_id, r.environment, r.data_object, r.kind, r.status, r.queued_at,
    r.started_at, r.finished_at, r.records_added, r.records_updated, r.records_deleted, r.range_from, r.range_to,
    r.error_code, r.error_message, r.trigger_kind, r.backfill_id, r.triggered_by, c.platform_id
FROM sync_runs r JOIN connections c ON c.id = r.connection_id;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_v3 RENAME TO sync_runs;
CREATE INDEX sync_runs_history ON sync_runs (connection_id, data_object, id);
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, id);
CREATE INDEX sync_runs_by_status ON sync_runs (organization_id, environment, status, queued_at);
CREATE INDEX sync_runs_by_backfill ON sync_runs (backfill_id, connection_id, data_object);
-- The worker's queue: queued runs oldest first, and running runs by lease expiry.
CREATE INDEX sync_runs_queue ON sync_runs (status, id) WHERE status IN ('queued', 'running');
-- At most one scheduled run of a connection's object waits in the queue, whichever process
-- scheduled it.
CREATE UNIQUE INDEX sync_runs_one_scheduled ON sync_runs (connection_id, data_object)
    WHERE status = 'queued' AND trigger_kind = 'schedule';
CREATE INDEX sync_runs_leases ON sync_runs (lease_expires_at) WHERE status = 'running';

-- A backfill remembers its form submission (a double submit creates one backfill), why it was
-- asked for, and when it was cancelled.
ALTER TABLE backfills ADD COLUMN idempotency_key TEXT;
ALTER TABLE backfills ADD COLUMN reason TEXT;
ALTER TABLE backfills ADD COLUMN cancelled_at BIGINT;
ALTER TABLE backfills ADD COLUMN created_by_email TEXT;
CREATE UNIQUE INDEX backfills_idempotency ON backfills (organization_id, idempotency_key);
CREATE INDEX backfills_by_status ON backfills (organization_id, environment, status, id);

-- The connections list finds a connection by its platform account ID.
CREATE INDEX connections_by_account ON connections (organization_id, environment, platform_account_id);

-- Why a connection has its status, and since when.
ALTER TABLE connections ADD COLUMN status_reason TEXT;
ALTER TABLE connections ADD COLUMN status_since BIGINT;
ALTER TABLE connections ADD COLUMN rate_limited_until BIGINT;
