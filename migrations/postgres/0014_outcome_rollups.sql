-- Sync runs per hour by data object and status, and webhook deliveries per hour by endpoint and
-- status (issue 21). A run or delivery counts under the hour it was queued or created, with the
-- status it has now: when its status changes it moves from one count to another.
--
-- Statuses change in many places (claims, completions, cancels, recoveries, disabling an
-- endpoint), several rows per statement, in more than one process. Triggers record every change
-- as a delta row in the same transaction, whoever writes, so a count can never miss a change
-- or see one twice, even after `kill -9`. Deltas are appended, never updated, so concurrent
-- writers never wait for one another on a hot count (nor deadlock on PostgreSQL); the worker
-- folds them into `outcome_rollups` in small batches (`RollupStore::fold_outcome_deltas`), and a
-- read adds the rows not yet folded. Deleting a run or a delivery (retention, a deleted
-- connection) leaves its count: charts outlive rows.
CREATE TABLE outcome_rollups (
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    -- 'sync_run' or 'delivery'.
    kind TEXT NOT NULL,
    hour BIGINT NOT NULL,
    -- The data object of a run, the endpoint of a delivery.
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (organization_id, environment, kind, hour, subject, status)
);

CREATE TABLE outcome_rollup_deltas (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT NOT NULL,
    kind TEXT NOT NULL,
    hour BIGINT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    delta BIGINT NOT NULL
);

-- What is already stored.
INSERT INTO outcome_rollups (organization_id, environment, kind, hour, subject, status, total)
SELECT organization_id, environment, 'sync_run', (queued_at / 3600000) * 3600000, data_object, status, COUNT(*)
FROM sync_runs GROUP BY organization_id, environment, (queued_at / 3600000) * 3600000, data_object, status;
INSERT INTO outcome_rollups (organization_id, environment, kind, hour, subject, status, total)
SELECT organization_id, environment, 'delivery', (created_at / 3600000) * 3600000, endpoint_id, status, COUNT(*)
FROM webhook_deliveries GROUP BY organization_id, environment, (created_at / 3600000) * 3600000, endpoint_id, status;

CREATE FUNCTION count_sync_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.queued_at IS NOT DISTINCT FROM NEW.queued_at
           AND OLD.data_object IS NOT DISTINCT FROM NEW.data_object THEN
            RETURN NULL;
        END IF;
        INSERT INTO outcome_rollup_deltas (organization_id, environment, kind, hour, subject, status, delta)
        VALUES (OLD.organization_id, OLD.environment, 'sync_run', (OLD.queued_at / 3600000) * 3600000, OLD.data_object, OLD.status, -1);
    END IF;
    INSERT INTO outcome_rollup_deltas (organization_id, environment, kind, hour, subject, status, delta)
    VALUES (NEW.organization_id, NEW.environment, 'sync_run', (NEW.queued_at / 3600000) * 3600000, NEW.data_object, NEW.status, 1);
    RETURN NULL;
END;
$$;

CREATE TRIGGER sync_runs_count AFTER INSERT OR UPDATE OF status, queued_at, data_object ON sync_runs
FOR EACH ROW EXECUTE FUNCTION count_sync_run();

CREATE FUNCTION count_webhook_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.status IS NOT DISTINCT FROM NEW.status AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at
           AND OLD.endpoint_id IS NOT DISTINCT FROM NEW.endpoint_id THEN
            RETURN NULL;
        END IF;
        INSERT INTO outcome_rollup_deltas (organization_id, environment, kind, hour, subject, status, delta)
        VALUES (OLD.organization_id, OLD.environment, 'delivery', (OLD.created_at / 3600000) * 3600000, OLD.endpoint_id, OLD.status, -1);
    END IF;
    INSERT INTO outcome_rollup_deltas (organization_id, environment, kind, hour, subject, status, delta)
    VALUES (NEW.organization_id, NEW.environment, 'delivery', (NEW.created_at / 3600000) * 3600000, NEW.endpoint_id, NEW.status, 1);
    RETURN NULL;
END;
$$;

CREATE TRIGGER webhook_deliveries_count AFTER INSERT OR UPDATE OF status, created_at, endpoint_id ON webhook_deliveries
FOR EACH ROW EXECUTE FUNCTION count_webhook_delivery();

-- The environment's sync runs (`/sync-runs`, where the Overview's bars link), newest first:
-- all of them, by status, or by data object.
CREATE INDEX sync_runs_by_scope ON sync_runs (organization_id, environment, id);
CREATE INDEX sync_runs_by_scope_status ON sync_runs (organization_id, environment, status, id);
CREATE INDEX sync_runs_by_scope_object ON sync_runs (organization_id, environment, data_object, id);
