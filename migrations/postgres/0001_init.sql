-- Switchboard schema, version 1 (PostgreSQL). Sortable text columns use COLLATE "C" so
-- ordering and prefix ranges are byte-wise, as in SQLite, whatever the database locale. Times are milliseconds since the epoch (BIGINT).
-- Ids are prefixed ULIDs: time-sortable, so `id DESC` is "newest first" and a time range is an
-- id range. Every list query has an index of its exact shape: equality filters, then the id.

CREATE TABLE organizations (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE environments (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (name IN ('sandbox', 'production')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, name)
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    staff_role TEXT CHECK (staff_role IN ('support', 'support_admin')),
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'developer', 'viewer')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_by_org ON memberships (organization_id);

-- Only the SHA-256 of the session token is stored: a leaked table cannot be replayed.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    environment TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ip TEXT,
    user_agent TEXT,
    flash TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);
CREATE INDEX api_keys_list ON api_keys (organization_id, environment, id);

CREATE TABLE platforms (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    integration_type TEXT NOT NULL CHECK (integration_type IN ('accounting', 'commerce', 'payments')),
    supports_sync_history BOOLEAN NOT NULL
);

CREATE TABLE platform_objects (
    platform_id TEXT NOT NULL REFERENCES platforms (id) ON DELETE CASCADE,
    data_object TEXT NOT NULL,
    PRIMARY KEY (platform_id, data_object)
);

-- Every save of a data sync configuration is a new row; the highest version is current.
CREATE TABLE sync_configs (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    integration_type TEXT NOT NULL CHECK (integration_type IN ('accounting', 'commerce', 'payments')),
    version BIGINT NOT NULL,
    settings TEXT NOT NULL,
    diff TEXT NOT NULL,
    author_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (organization_id, environment, integration_type, version),
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);

CREATE TABLE connections (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    platform_id TEXT NOT NULL REFERENCES platforms (id),
    display_name TEXT NOT NULL,
    platform_account_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('initializing', 'healthy', 'degraded', 'needs_reauth', 'disabled')),
    config_version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    last_synced_at BIGINT,
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);
CREATE INDEX connections_list ON connections (organization_id, environment, id);
CREATE INDEX connections_by_status ON connections (organization_id, environment, status, id);
CREATE INDEX connections_by_platform ON connections (organization_id, environment, platform_id, id);

CREATE TABLE backfills (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'cancelled')),
    data_objects TEXT NOT NULL,
    range_from BIGINT,
    range_to BIGINT,
    config_version BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);
CREATE INDEX backfills_list ON backfills (organization_id, environment, id);

CREATE TABLE backfill_connections (
    backfill_id TEXT NOT NULL REFERENCES backfills (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    PRIMARY KEY (backfill_id, connection_id)
);
CREATE INDEX backfill_connections_by_connection ON backfill_connections (connection_id);

CREATE TABLE sync_runs (
    id TEXT COLLATE "C" PRIMARY KEY,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    data_object TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('initial', 'incremental', 'backfill')),
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'partial', 'failed', 'not_supported')),
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
    triggered_by TEXT REFERENCES users (id) ON DELETE SET NULL
);
-- Sync history of one connection, per object, newest first.
CREATE INDEX sync_runs_history ON sync_runs (connection_id, data_object, id);
CREATE INDEX sync_runs_by_connection ON sync_runs (connection_id, id);
-- "Failed syncs in the last 24 hours" for an organization and environment.
CREATE INDEX sync_runs_by_status ON sync_runs (organization_id, environment, status, queued_at);
CREATE INDEX sync_runs_by_backfill ON sync_runs (backfill_id);

-- One API request to the unified API. Secrets are redacted before a row is written.
-- The upstream platform calls are a JSON array: they are only ever read with their request.
CREATE TABLE request_logs (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    connection_id TEXT,
    platform_id TEXT,
    api_key_prefix TEXT,
    method TEXT NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    query TEXT,
    status_code BIGINT NOT NULL,
    status_class BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    platform_error TEXT,
    error_confidence TEXT,
    request_headers TEXT NOT NULL,
    request_body TEXT,
    response_body TEXT,
    response_truncated BOOLEAN NOT NULL DEFAULT FALSE,
    upstream_calls TEXT NOT NULL,
    idempotency_key TEXT,
    user_agent TEXT,
    source_ip TEXT,
    created_at BIGINT NOT NULL
);
-- One index per list filter: equality columns first, then the id (time order, keyset cursor).
CREATE INDEX request_logs_list ON request_logs (organization_id, environment, id);
CREATE INDEX request_logs_by_connection ON request_logs (organization_id, environment, connection_id, id);
CREATE INDEX request_logs_by_platform ON request_logs (organization_id, environment, platform_id, id);
CREATE INDEX request_logs_by_status ON request_logs (organization_id, environment, status_code, id);
CREATE INDEX request_logs_by_status_class ON request_logs (organization_id, environment, status_class, id);
CREATE INDEX request_logs_by_error_code ON request_logs (organization_id, environment, error_code, id);
CREATE INDEX request_logs_by_method ON request_logs (organization_id, environment, method, id);
CREATE INDEX request_logs_by_path ON request_logs (organization_id, environment, path, id);

CREATE TABLE webhook_endpoints (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    FOREIGN KEY (organization_id, environment) REFERENCES environments (organization_id, name) ON DELETE CASCADE
);
CREATE INDEX webhook_endpoints_list ON webhook_endpoints (organization_id, environment, id);

CREATE TABLE webhook_events (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    event_type TEXT NOT NULL,
    connection_id TEXT REFERENCES connections (id) ON DELETE SET NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_events_list ON webhook_events (organization_id, environment, id);
CREATE INDEX webhook_events_by_type ON webhook_events (organization_id, environment, event_type, id);
CREATE INDEX webhook_events_by_connection ON webhook_events (organization_id, environment, connection_id, id);

CREATE TABLE webhook_deliveries (
    id TEXT COLLATE "C" PRIMARY KEY,
    event_id TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'retrying', 'failed')),
    attempt_count BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_attempt_at BIGINT,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

CREATE TABLE webhook_attempts (
    id TEXT COLLATE "C" PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt_number BIGINT NOT NULL,
    attempted_at BIGINT NOT NULL,
    response_status BIGINT,
    latency_ms BIGINT,
    response_body TEXT,
    failure TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempt_number);

CREATE TABLE audit_log (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    actor_user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    ip TEXT,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (organization_id, id);
