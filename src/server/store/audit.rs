//! The audit log: who did what, to which object, from where. Entries are only ever inserted.

use super::{Page, StoreResult};
use crate::domain::AuditAction;
use async_trait::async_trait;

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub id: String,
    pub organization_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: String,
    pub action: AuditAction,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub details: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub organization_id: Option<String>,
    pub actor_email: String,
    pub action: AuditAction,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub details: String,
    pub created_at: i64,
}

/// The audit log page's query: one organization's entries, optionally of one action or person.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub organization_id: String,
    pub action: Option<AuditAction>,
    pub actor_email: Option<String>,
    pub page: Page,
    pub limit: i64,
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit(&self, entry: &NewAuditEntry) -> StoreResult<()>;
    async fn list_audit(&self, organization_id: &str, limit: i64) -> StoreResult<Vec<AuditRow>>;
    /// A page of the audit log page, newest first.
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRow>>;
}
