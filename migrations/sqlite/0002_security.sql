-- Security pass (version 2).

-- Sessions: an idle timeout beside the absolute lifetime, and no more one-time "flash" values
-- (a new API key used to wait there in plain text).
ALTER TABLE sessions DROP COLUMN flash;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- A value shown once to the browser that created it (a new API key after a form post without
-- JavaScript). The database holds it XORed with a one-time pad that only the browser has (in a
-- short-lived cookie), so neither the database nor the cookie alone reveals it; it is deleted
-- when read and purged after minutes.
CREATE TABLE one_time_reveals (
    id TEXT PRIMARY KEY,
    session_token_hash TEXT NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    ciphertext TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX one_time_reveals_by_expiry ON one_time_reveals (expires_at);

-- The audit log outlives what it describes: no foreign keys that would delete or blank its
-- entries when an organization or user is deleted.
CREATE TABLE audit_log_v2 (
    id TEXT PRIMARY KEY,
    organization_id TEXT,
    actor_user_id TEXT,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    ip TEXT,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
INSERT INTO audit_log_v2 SELECT id, organization_id, actor_user_id, actor_email, action, target_type,
    target_id, ip, details, created_at FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v2 RENAME TO audit_log;
CREATE INDEX audit_log_by_org ON audit_log (organization_id, id);
CREATE INDEX audit_log_by_target ON audit_log (target_id, id);

-- Which fields the redaction replaced, as a JSON array of paths, so the detail page can say so.
ALTER TABLE request_logs ADD COLUMN redacted_fields TEXT NOT NULL DEFAULT '[]';
