-- Issues (src/server/issues.rs): one row per problem and scope, found as data arrives. The
-- unique key (organization, environment, dedup_key) is what makes several workers detecting the
-- same problem at once open one issue: the second insert conflicts and counts an occurrence. A
-- resolved issue that comes back after the regression window is retired (its dedup_key gets
-- '~' and its id appended) so a new one can open.
CREATE TABLE issues (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    regressed BOOLEAN NOT NULL DEFAULT FALSE,
    summary TEXT NOT NULL,
    platform_id TEXT,
    connection_id TEXT,
    data_object TEXT,
    endpoint_id TEXT,
    api_path TEXT,
    evidence_id TEXT,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    occurrences BIGINT NOT NULL,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    mute_mode TEXT,
    muted_until BIGINT,
    mute_threshold BIGINT,
    mute_reason TEXT,
    muted_by TEXT,
    resolved_at BIGINT,
    resolved_by TEXT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX issues_dedup ON issues (organization_id, environment, dedup_key);
-- The issues list, newest first: all statuses or one, and each filter alone or with the
-- default "unresolved" (partial indexes: the list writes that condition as literals, so both
-- databases can prove the index applies).
CREATE INDEX issues_list ON issues (organization_id, environment, id);
CREATE INDEX issues_list_status ON issues (organization_id, environment, status, id);
CREATE INDEX issues_list_kind ON issues (organization_id, environment, kind, id);
CREATE INDEX issues_list_severity ON issues (organization_id, environment, severity, id);
CREATE INDEX issues_list_platform ON issues (organization_id, environment, platform_id, id);
CREATE INDEX issues_unresolved ON issues (organization_id, environment, id)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX issues_unresolved_kind ON issues (organization_id, environment, kind, id)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX issues_unresolved_severity ON issues (organization_id, environment, severity, id)
    WHERE status IN ('open', 'acknowledged');
CREATE INDEX issues_unresolved_platform ON issues (organization_id, environment, platform_id, id)
    WHERE status IN ('open', 'acknowledged');
-- A connection's issues (its page, the request page).
CREATE INDEX issues_connection ON issues (connection_id, status);
-- The quiet-period sweep: unresolved issues of a kind not seen since a time.
CREATE INDEX issues_sweep ON issues (kind, status, last_seen);

-- The connections an issue affects (one for most kinds; an error-rate spike has several).
CREATE TABLE issue_connections (
    issue_id TEXT NOT NULL,
    connection_id TEXT NOT NULL,
    PRIMARY KEY (issue_id, connection_id)
);
CREATE INDEX issue_connections_connection ON issue_connections (connection_id, issue_id);

-- An issue's timeline: opened, acknowledged (by whom), muted, resolved, reopened.
CREATE TABLE issue_events (
    id TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor_email TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX issue_events_issue ON issue_events (issue_id, id);

-- Counts toward a threshold within a window (429s of a connection), per problem: one row
-- each, so detection never counts log rows.
CREATE TABLE issue_counters (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, dedup_key)
);

-- Requests and failures per hour, platform and API path: the baseline an error-rate spike is
-- measured against, kept up to date at ingestion.
CREATE TABLE error_rate_buckets (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    api_path TEXT NOT NULL,
    hour BIGINT NOT NULL,
    total BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, platform_id, api_path, hour)
);

-- Failed attempts in a row, reset by a delivered one: an endpoint is an issue at the 4th.
ALTER TABLE webhook_endpoints ADD COLUMN consecutive_failures BIGINT NOT NULL DEFAULT 0;
