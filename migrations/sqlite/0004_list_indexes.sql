-- Indexes for the lists' plans (version 4), found by the index-plan test (tests/it/plans.rs).
--
-- The backfills list counts each backfill's runs by status (total, done, failed): with the
-- status beside the backfill id every count is an index-only range instead of a visit of each
-- run.
CREATE INDEX sync_runs_by_backfill_status ON sync_runs (backfill_id, status);

-- The worker's claim takes queued runs, user-triggered before scheduled, oldest first. Without
-- an index in that order every claim read and sorted the whole table (a full scan per claim,
-- found by profiling the worker benchmark); this one holds only queued runs.
CREATE INDEX sync_runs_claim ON sync_runs ((CASE WHEN trigger_kind = 'schedule' THEN 1 ELSE 0 END), id)
    WHERE status = 'queued';
