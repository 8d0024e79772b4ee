-- Hardening (version 8).
--
-- One run per (backfill, connection, object), always: the backfill service deduplicates its
-- input, and the database refuses a second run for the same cell whoever writes it. Runs outside
-- a backfill have no backfill id and are not constrained (NULLs are distinct).
DROP INDEX IF EXISTS sync_runs_by_backfill;
CREATE UNIQUE INDEX sync_runs_by_backfill ON sync_runs (backfill_id, connection_id, data_object);

-- A run remembers the lease its claim asked for: a progress report extends it by as much (a data
-- plane that reports every five minutes under a ten-minute lease keeps its runs).
ALTER TABLE sync_runs ADD COLUMN lease_ms BIGINT;
