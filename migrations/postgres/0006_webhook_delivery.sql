-- Webhook delivery (version 6).
--
-- Endpoints: who or what disabled them and when, since when they fail without a success (an
-- endpoint failing for 5 days is disabled automatically), and deletion that keeps the endpoint's
-- delivery history readable.
ALTER TABLE webhook_endpoints ADD COLUMN disabled_kind TEXT;
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN failing_since BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN deleted_at BIGINT;
ALTER TABLE webhook_endpoints ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET updated_at = created_at;
UPDATE webhook_endpoints SET disabled_kind = 'automatic', disabled_at = created_at
    WHERE enabled = FALSE AND disabled_reason IS NOT NULL;

-- Deliveries carry what the delivery log filters on (copied from the event, so every filter is
-- one index), the outcome of their last attempt, and the lease of the process attempting them.
-- `round_attempts` counts attempts since the delivery was last queued (by its event, a resend
-- or a recovery): it picks the next wait of the retry schedule.
ALTER TABLE webhook_deliveries ADD COLUMN organization_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN environment TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN connection_id TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN last_status BIGINT;
ALTER TABLE webhook_deliveries ADD COLUMN status_class TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN last_failure TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN round_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN lease_owner TEXT;
ALTER TABLE webhook_deliveries ADD COLUMN lease_expires_at BIGINT;
UPDATE webhook_deliveries SET
    organization_id = (SELECT e.organization_id FROM webhook_events e WHERE e.id = webhook_deliveries.event_id),
    environment = (SELECT e.environment FROM webhook_events e WHERE e.id = webhook_deliveries.event_id),
    event_type = (SELECT e.event_type FROM webhook_events e WHERE e.id = webhook_deliveries.event_id),
    connection_id = (SELECT e.connection_id FROM webhook_events e WHERE e.id = webhook_deliveries.event_id),
    created_at = (SELECT e.created_at FROM webhook_events e WHERE e.id = webhook_deliveries.event_id),
    round_attempts = attempt_count,
    last_status = (SELECT a.response_status FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id
        ORDER BY a.attempt_number DESC LIMIT 1),
    last_failure = (SELECT a.failure FROM webhook_attempts a WHERE a.delivery_id = webhook_deliveries.id
        ORDER BY a.attempt_number DESC LIMIT 1);
UPDATE webhook_deliveries SET status_class = CASE
    WHEN last_status IS NULL AND attempt_count > 0 THEN 'error'
    WHEN last_status IS NULL THEN NULL
    WHEN last_status >= 500 THEN '5xx'
    WHEN last_status >= 400 THEN '4xx'
    WHEN last_status >= 300 THEN '3xx'
    ELSE '2xx' END;

-- Attempts keep the headers that were sent (the signature changes with every attempt's
-- timestamp) and a readable detail of a failure beside its kind.
ALTER TABLE webhook_attempts ADD COLUMN request_headers TEXT;
ALTER TABLE webhook_attempts ADD COLUMN failure_detail TEXT;

-- The queue: due deliveries by when they are due. Partial, so delivered and failed ones (almost
-- all of them) cost the queue nothing.
DROP INDEX webhook_deliveries_due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');

-- The delivery log, newest first, with one index per filter.
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (organization_id, environment, id);
CREATE INDEX webhook_deliveries_by_endpoint_scope ON webhook_deliveries (organization_id, environment, endpoint_id, id);
CREATE INDEX webhook_deliveries_by_type ON webhook_deliveries (organization_id, environment, event_type, id);
CREATE INDEX webhook_deliveries_by_connection ON webhook_deliveries (organization_id, environment, connection_id, id);
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (organization_id, environment, status, id);
CREATE INDEX webhook_deliveries_by_class ON webhook_deliveries (organization_id, environment, status_class, id);
