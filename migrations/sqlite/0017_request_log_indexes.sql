-- Cheaper rows (issue 21): exact search finds the hours that hold a combination of filters in
-- the rollups (`request_combos`, `request_rollups_by_combo`) and reads only those hours, so an
-- index per filter column no longer earns the bytes and the writes it costs on every row.
-- The list's index carries the filter columns after the id instead: an hour's range is read
-- in id order and every filter but the connection is checked on the index entry, before the
-- row itself is read. The connection keeps its own index (the rollups do not know it, and a
-- connection's requests are a page of their own), with the same columns after the id (its
-- platform is the connection's); the path prefix was never read through its index (it is
-- checked row by row within the hours the rollups name).
DROP INDEX request_logs_by_platform;
DROP INDEX request_logs_by_status;
DROP INDEX request_logs_by_status_class;
DROP INDEX request_logs_by_error_code;
DROP INDEX request_logs_by_method;
DROP INDEX request_logs_by_path;
DROP INDEX request_logs_list;
DROP INDEX request_logs_by_connection;
CREATE INDEX request_logs_list ON request_logs
    (organization_id, environment, id, status_code, platform_id, method, error_code);
CREATE INDEX request_logs_by_connection ON request_logs
    (organization_id, environment, connection_id, id, status_code, method, error_code);
