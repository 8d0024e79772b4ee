//! Organizations, users and memberships; browser sessions and one-time reveals.

use super::{NewAuditEntry, ObjectKind, Scope, StoreResult};
use crate::domain::{Role, StaffRole};
use async_trait::async_trait;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub staff_role: Option<StaffRole>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub organization_id: String,
    pub organization_name: String,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: String,
    pub organization_id: String,
    pub environment: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A value the browser that created it may read once (see `one_time_reveals` in the schema).
#[derive(Debug, Clone)]
pub struct NewReveal {
    pub id: String,
    pub session_token_hash: String,
    pub ciphertext: String,
    pub expires_at: i64,
}

/// A live session joined with its user and the selected organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub email: String,
    pub user_name: String,
    pub staff_role: Option<StaffRole>,
    pub organization_id: String,
    pub organization_name: String,
    pub environment: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
    /// The user's role in the selected organization; `None` for staff looking in from outside.
    pub role: Option<Role>,
}

/// Idle sessions end after this long without a request, whatever their absolute lifetime.
pub const SESSION_IDLE_MS: i64 = 12 * 3_600_000;

/// Organizations, users and memberships, and which organization an object belongs to.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn count_organizations(&self) -> StoreResult<i64>;
    /// Organizations by name, at most `limit`, optionally those whose name or slug starts with
    /// `prefix` (the staff organization picker).
    async fn list_organizations(&self, prefix: Option<&str>, limit: i64)
        -> StoreResult<Vec<OrganizationRow>>;
    async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<OrganizationRow>>;
    /// Creates an organization with both environments.
    async fn create_organization(&self, org: &OrganizationRow) -> StoreResult<()>;
    /// Deletes an organization and everything it owns, except its audit log entries.
    async fn delete_organization(&self, id: &str) -> StoreResult<()>;
    async fn create_user(&self, user: &UserRow) -> StoreResult<()>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    /// Deletes a user with their memberships and sessions; audit entries about them remain.
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn set_membership(
        &self,
        user_id: &str,
        organization_id: &str,
        role: crate::domain::Role,
        now: i64,
    ) -> StoreResult<()>;
    async fn remove_membership(&self, user_id: &str, organization_id: &str) -> StoreResult<()>;
    /// The user's memberships by organization name (at most 200).
    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<MembershipRow>>;
    /// Which organization and environment an object belongs to. Only `server::access` calls
    /// this: it decides (and audits) whether the caller may look.
    async fn locate(&self, kind: ObjectKind, id: &str) -> StoreResult<Option<Scope>>;
}

/// Browser sessions and one-time reveals.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    /// The live session with this token: not expired, used within [`SESSION_IDLE_MS`], and whose
    /// user still belongs to the selected organization (or is staff).
    async fn get_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>>;
    /// Records activity for the idle timeout.
    async fn touch_session(&self, token_hash: &str, now: i64) -> StoreResult<()>;
    /// Selects the session's organization and environment, with the audit entry (for staff) in
    /// the same transaction.
    async fn set_session_context(
        &self,
        token_hash: &str,
        scope: &Scope,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Deletes expired and idle sessions and expired one-time values; returns how many sessions.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
    async fn put_reveal(&self, reveal: &NewReveal) -> StoreResult<()>;
    /// Returns and deletes (atomically) a live one-time value of this session.
    async fn take_reveal(&self, id: &str, session_token_hash: &str, now: i64) -> StoreResult<Option<String>>;
}
