-- Counts per hour (issue 21), written in the transaction that stores the request logs they
-- count, so they stay exact under retries, concurrent writers and a killed process; they are
-- kept when the rows are purged. `switchboard rollups rebuild` recomputes them from the rows.
-- Empty text stands for "none" (no platform, no error code): key columns cannot be NULL.
CREATE TABLE request_rollups (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour BIGINT NOT NULL,
    platform_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    status_code BIGINT NOT NULL,
    error_code TEXT NOT NULL,
    requests BIGINT NOT NULL,
    latency_ms_sum BIGINT NOT NULL,
    -- The first and last request of the combination in the hour, to the millisecond.
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, hour, platform_id, method, path_template, status_code, error_code)
);

-- The latency histogram per hour and platform: one row per bucket of
-- `domain::rollups::latency_bucket` that counted a request.
CREATE TABLE request_latency_rollups (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour BIGINT NOT NULL,
    platform_id TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, hour, platform_id, bucket)
);
