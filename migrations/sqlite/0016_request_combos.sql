-- Exact search (issue 21): every combination of platform, method, path template, status and
-- error code an environment's request logs have held, so a filter finds its combinations in a
-- small table, and `request_rollups_by_combo` gives the hours that hold each one. The request
-- log then reads only those hours, however rare or old the match. Written with the rollups, in
-- the transaction that stores the rows; a combination is never removed (it only costs a row).
CREATE TABLE request_combos (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    platform_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path_template TEXT NOT NULL,
    status_code BIGINT NOT NULL,
    error_code TEXT NOT NULL,
    PRIMARY KEY (organization_id, environment, platform_id, method, path_template, status_code, error_code)
);

INSERT INTO request_combos
SELECT DISTINCT organization_id, environment, platform_id, method, path_template, status_code, error_code
FROM request_rollups;

CREATE INDEX request_rollups_by_combo ON request_rollups
    (organization_id, environment, platform_id, method, path_template, status_code, error_code, hour);
