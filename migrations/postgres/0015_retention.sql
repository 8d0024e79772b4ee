-- How long an organization's request logs, sync runs and webhook events (with their deliveries
-- and payloads) are kept, in days: 7, 30 or 90 (issue 21). The worker purges what is older in
-- small batches; the hourly rollups are kept 13 months, so charts outlive the rows.
ALTER TABLE organizations ADD COLUMN retention_days BIGINT NOT NULL DEFAULT 30;
