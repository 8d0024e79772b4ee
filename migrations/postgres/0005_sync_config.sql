-- Data sync configuration editing (version 5).
--
-- Each version records why it was saved (a required comment), who saved it by email (so the
-- history stays readable after the user is removed), and the version it restores, if any.
ALTER TABLE sync_configs ADD COLUMN comment TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_configs ADD COLUMN author_email TEXT;
ALTER TABLE sync_configs ADD COLUMN restored_from BIGINT;

-- Configuration drift: connections of one organization and environment by version, counted
-- per platform on every configuration page.
CREATE INDEX connections_by_version ON connections (organization_id, environment, platform_id, config_version);

-- The audit log page filters by action or by person, newest first.
CREATE INDEX audit_log_by_action ON audit_log (organization_id, action, id);
CREATE INDEX audit_log_by_actor ON audit_log (organization_id, actor_email, id);
