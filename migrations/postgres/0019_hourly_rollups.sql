-- The Overview's charts at any scale (issue 21): requests per hour and status class, and the
-- latency histogram per hour, all platforms together. `request_rollups` keeps a row per hour
-- and combination of platform, method, path template, status and error code (the catalogue
-- exact search and the Errors page need); at the demo's 200,000 rows that is 174,000 rows, at
-- 10,000,000 rows 2.7 million, and the Overview summed them on every view (30 days: half a
-- million rows). These hold at most 5 and about 20 rows an hour. Written with the others in
-- the transaction that stores the rows they count; kept when rows are purged; rebuilt by
-- `switchboard rollups rebuild`.
CREATE TABLE request_class_rollups (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour BIGINT NOT NULL,
    -- 1 for 1xx to 5 for 5xx (`status_code / 100`).
    status_class BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, hour, status_class)
);
INSERT INTO request_class_rollups (organization_id, environment, hour, status_class, requests)
SELECT organization_id, environment, hour, status_code / 100, SUM(requests)
FROM request_rollups
GROUP BY organization_id, environment, hour, status_code / 100;

CREATE TABLE request_hour_latency_rollups (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    hour BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, hour, bucket)
);
INSERT INTO request_hour_latency_rollups (organization_id, environment, hour, bucket, requests)
SELECT organization_id, environment, hour, bucket, SUM(requests)
FROM request_latency_rollups
GROUP BY organization_id, environment, hour, bucket;
