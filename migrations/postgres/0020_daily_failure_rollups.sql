-- The Errors page at any scale (issue 21): failed requests per UTC day and combination of
-- platform, method, path template, status and error code, and all requests per day and
-- endpoint (platform, method, path template). The page sums a week or a month of failures
-- with each endpoint's requests; from `request_rollups` that was every hour's combinations
-- (at 10,000,000 request logs, half a million rows for a week and the week before), from
-- these a row per day and combination, with the hours of the range's partial day read from
-- `request_rollups`. Written with the others in the transaction that stores the rows they
-- count; kept when rows are purged; rebuilt by `switchboard rollups rebuild`. `day` is the
-- start of the UTC day in milliseconds.
CREATE TABLE request_daily_failures (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    day BIGINT NOT NULL,
    platform_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    status_code BIGINT NOT NULL,
    error_code TEXT NOT NULL,
    requests BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, day, platform_id, method, path_template, status_code, error_code)
);
INSERT INTO request_daily_failures (organization_id, environment, day, platform_id, method, path_template,
    status_code, error_code, requests, first_seen, last_seen)
SELECT organization_id, environment, (hour / 86400000) * 86400000, platform_id, method, path_template,
    status_code, error_code, SUM(requests), MIN(first_seen), MAX(last_seen)
FROM request_rollups
WHERE status_code >= 400
GROUP BY organization_id, environment, (hour / 86400000) * 86400000, platform_id, method, path_template,
    status_code, error_code;

CREATE TABLE request_daily_endpoints (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    day BIGINT NOT NULL,
    platform_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, day, platform_id, method, path_template)
);
INSERT INTO request_daily_endpoints (organization_id, environment, day, platform_id, method, path_template, requests)
SELECT organization_id, environment, (hour / 86400000) * 86400000, platform_id, method, path_template, SUM(requests)
FROM request_rollups
GROUP BY organization_id, environment, (hour / 86400000) * 86400000, platform_id, method, path_template;
