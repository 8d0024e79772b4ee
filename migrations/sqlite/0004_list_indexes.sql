-- Indexes for the lists' plans (version 4), found by the index-plan test (tests/it/plans.rs).
--
-- The backfills list counts each backfill's runs by status (total, done, failed): with the
-- status beside the backfill id every count is an index-only range instead of a visit of each
-- run.
CREATE INDEX sync_runs_by_backfill_status ON sync_runs (backfill_id, status);
