-- Alerts (src/server/notifications.rs). One settings row per organization: who hears about
-- which issues, by email and by a Slack incoming webhook (its URL sealed like a signing secret:
-- it is a credential), as each change happens and/or as a daily digest.
CREATE TABLE notification_settings (
    organization_id TEXT PRIMARY KEY,
    email_recipients TEXT NOT NULL DEFAULT '',
    slack_url TEXT,
    slack_hint TEXT,
    severities TEXT NOT NULL,
    changes TEXT NOT NULL,
    immediate BOOLEAN NOT NULL,
    digest BOOLEAN NOT NULL,
    digest_hour BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);

-- The outbox: one row per message and channel, written in the transaction that changes the
-- issue (so a change and its alert commit together), sent by the notifier of any process under
-- a lease (as webhook deliveries are), kept as the settings page's history. `held` rows were
-- not sent: the issue had a notification on that channel within the hour.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    environment TEXT,
    kind TEXT NOT NULL,
    issue_id TEXT,
    change TEXT,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    digest_day TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_expires_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
-- The notifier's queue: due pending messages, oldest first.
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
-- The settings page's history, newest first.
CREATE INDEX notifications_history ON notifications (organization_id, id);
-- The hourly limit: this issue's newest message on a channel.
CREATE INDEX notifications_issue ON notifications (issue_id, channel, created_at);
-- One digest per organization, channel and day, whichever process queues it first.
CREATE UNIQUE INDEX notifications_digest ON notifications (organization_id, channel, digest_day)
    WHERE digest_day IS NOT NULL;
