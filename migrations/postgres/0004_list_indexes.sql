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

-- Ids are COLLATE "C" (byte order, as they sort); the columns that refer to them were created
-- with the database's default collation. A comparison of the two has no common collation, and
-- PostgreSQL then cannot use an index for it: `r.backfill_id = b.id` scanned every run. The
-- columns that joins compare with an id take the ids' collation.
ALTER TABLE backfill_connections ALTER COLUMN backfill_id TYPE TEXT COLLATE "C";
ALTER TABLE backfill_connections ALTER COLUMN connection_id TYPE TEXT COLLATE "C";
ALTER TABLE sync_runs ALTER COLUMN connection_id TYPE TEXT COLLATE "C";
ALTER TABLE sync_runs ALTER COLUMN backfill_id TYPE TEXT COLLATE "C";
ALTER TABLE sync_runs ALTER COLUMN triggered_by TYPE TEXT COLLATE "C";
ALTER TABLE sync_runs ALTER COLUMN platform_id TYPE TEXT COLLATE "C";
ALTER TABLE connections ALTER COLUMN platform_id TYPE TEXT COLLATE "C";
ALTER TABLE api_keys ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE backfills ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE webhook_events ALTER COLUMN connection_id TYPE TEXT COLLATE "C";
ALTER TABLE memberships ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE memberships ALTER COLUMN organization_id TYPE TEXT COLLATE "C";
ALTER TABLE sessions ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE sessions ALTER COLUMN organization_id TYPE TEXT COLLATE "C";

-- A search that is exactly a platform account ID is an index probe (SQLite has had this index
-- since version 3; PostgreSQL scanned the environment's connections for it).
CREATE INDEX connections_by_account ON connections (organization_id, environment, platform_account_id);
