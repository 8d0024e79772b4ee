-- Security pass (version 2). See migrations/sqlite/0002_security.sql for the reasons.

ALTER TABLE sessions DROP COLUMN flash;
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE one_time_reveals (
    id TEXT PRIMARY KEY,
    session_token_hash TEXT NOT NULL REFERENCES sessions (token_hash) ON DELETE CASCADE,
    ciphertext TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX one_time_reveals_by_expiry ON one_time_reveals (expires_at);

ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_organization_id_fkey;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_actor_user_id_fkey;
CREATE INDEX audit_log_by_target ON audit_log (target_id, id);

ALTER TABLE request_logs ADD COLUMN redacted_fields TEXT NOT NULL DEFAULT '[]';
