//! API keys. Only a key's SHA-256 hash is stored; the key itself is shown once.

use super::{NewAuditEntry, Page, Scope, StoreResult};
use crate::domain::KeyScope;
use async_trait::async_trait;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub name: String,
    pub prefix: String,
    /// `ingest` (the data plane writes) or `read` (customers' tooling reads).
    pub scope: KeyScope,
    pub key_hash: String,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub name: String,
    pub prefix: String,
    pub scope: KeyScope,
    pub key_hash: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

/// API keys: only their hashes are stored.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// API keys newest first, `limit` rows of `page`.
    async fn list_api_keys(&self, scope: &Scope, page: &Page, limit: i64) -> StoreResult<Vec<ApiKeyRow>>;
    /// Creates the key and its audit entry in one transaction.
    async fn create_api_key(&self, key: &NewApiKey, audit: &NewAuditEntry) -> StoreResult<()>;
    /// The key with this SHA-256 hash, revoked or not (the API tells the two apart).
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRow>>;
    /// Records that the key was used (the API calls this at most once a minute per key).
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Revokes a live key of the scope, with its audit entry; `false` when there is none.
    async fn revoke_api_key(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
}
