-- Hardening (version 8).
--
-- One run per (backfill, connection, object), always: the backfill service deduplicates its
-- input, and the database refuses a second run for the same cell whoever writes it. Runs outside
-- a backfill have no backfill id and are not constrained (NULLs are distinct).
DROP INDEX IF EXISTS sync_runs_by_backfill;
CREATE UNIQUE INDEX sync_runs_by_backfill ON sync_runs (backfill_id, connection_id, data_object);
