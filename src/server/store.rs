//! Persistence. One `Store` trait, implemented for SQLite and PostgreSQL; the implementation is
//! chosen from the database URL at start-up. Row types here are the database's shape; features
//! convert them into their own wire types.
//!
//! Times are stored as `BIGINT` milliseconds since the epoch in both databases: the same SQL then
//! runs on both, comparisons are integer comparisons, and no time zone is ever stored by mistake.

mod migrate;
mod postgres;
mod sql;
mod sqlite;

use crate::domain::PlatformSpec;
use async_trait::async_trait;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use super::config::DatabaseUrl;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Opens the database named by the URL and applies pending migrations.
pub async fn open(url: &DatabaseUrl) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match url {
        DatabaseUrl::Sqlite(u) => Arc::new(SqliteStore::connect(u).await?),
        DatabaseUrl::Postgres(u) => Arc::new(PgStore::connect(u).await?),
    };
    store.migrate().await?;
    Ok(store)
}

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
    pub staff_role: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub organization_id: String,
    pub organization_name: String,
    pub role: String,
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

/// A live session joined with its user and the selected organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub email: String,
    pub user_name: String,
    pub staff_role: Option<String>,
    pub organization_id: String,
    pub organization_name: String,
    pub environment: String,
    pub expires_at: i64,
    /// The user's role in the selected organization; `None` for staff looking in from outside.
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub id: String,
    pub organization_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: String,
    pub action: String,
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
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub details: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub name: String,
    pub prefix: String,
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
    pub key_hash: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
    pub display_name: String,
    pub platform_account_id: String,
    pub status: String,
    pub config_version: i64,
    pub created_at: i64,
    pub last_synced_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncConfigRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub integration_type: String,
    pub version: i64,
    pub settings: String,
    pub diff: String,
    pub author_user_id: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncRunRow {
    pub id: String,
    pub connection_id: String,
    pub organization_id: String,
    pub environment: String,
    pub data_object: String,
    pub kind: String,
    pub status: String,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub trigger_kind: String,
    pub backfill_id: Option<String>,
    pub triggered_by: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackfillRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub status: String,
    pub data_objects: String,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub config_version: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub api_key_prefix: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status_code: i64,
    pub status_class: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform_error: Option<String>,
    pub error_confidence: Option<String>,
    pub request_headers: String,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub upstream_calls: String,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub created_at: i64,
}

/// The columns a list of request logs shows; the bodies stay in the table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogSummaryRow {
    pub id: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEventRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookDeliveryRow {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub status: String,
    pub attempt_count: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookAttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub attempt_number: i64,
    pub attempted_at: i64,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub response_body: Option<String>,
    pub failure: Option<String>,
}

/// Which page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Page {
    /// Newest first.
    #[default]
    First,
    /// Rows older than this id (the "older" button).
    Before(String),
    /// Rows newer than this id (the "newer" button).
    After(String),
}

/// A request-log list query: every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestLogQuery {
    pub organization_id: String,
    pub environment: String,
    pub request_id: Option<String>,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub status_class: Option<i64>,
    pub status_code: Option<i64>,
    pub error_code: Option<String>,
    pub method: Option<String>,
    /// Path prefix as `[from, to)`: callers pass the prefix and its successor.
    pub path_range: Option<(String, String)>,
    /// Time range as ids: `from_id <= id < to_id`.
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub page: Page,
    pub limit: i64,
}

/// Counts for the Overview page.
#[derive(Debug, Clone, Default)]
pub struct OverviewCounts {
    pub requests: i64,
    pub failed_requests: i64,
    pub connections_by_status: Vec<(String, i64)>,
    pub failed_syncs: i64,
}

/// Everything the demo seed writes in one go, per table.
#[derive(Debug, Default)]
pub struct SeedBatch {
    pub organizations: Vec<OrganizationRow>,
    pub users: Vec<UserRow>,
    pub memberships: Vec<(String, String, String)>,
    pub sync_configs: Vec<SyncConfigRow>,
    pub connections: Vec<ConnectionRow>,
    pub backfills: Vec<BackfillRow>,
    pub backfill_connections: Vec<(String, String, String)>,
    pub sync_runs: Vec<SyncRunRow>,
    pub request_logs: Vec<RequestLogRow>,
    pub webhook_endpoints: Vec<WebhookEndpointRow>,
    pub webhook_events: Vec<WebhookEventRow>,
    pub webhook_deliveries: Vec<WebhookDeliveryRow>,
    pub webhook_attempts: Vec<WebhookAttemptRow>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies every migration not yet applied, in version order.
    async fn migrate(&self) -> StoreResult<()>;

    /// Writes the platform catalog (idempotent).
    async fn sync_platform_catalog(&self, platforms: &[PlatformSpec]) -> StoreResult<()>;

    /// Writes one batch of seed rows in a single transaction, parents before children.
    async fn insert_seed_batch(&self, batch: &SeedBatch) -> StoreResult<()>;

    async fn count_organizations(&self) -> StoreResult<i64>;
    async fn list_organizations(&self) -> StoreResult<Vec<OrganizationRow>>;
    async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<OrganizationRow>>;
    /// Creates an organization with both environments.
    async fn create_organization(&self, org: &OrganizationRow) -> StoreResult<()>;

    async fn create_user(&self, user: &UserRow) -> StoreResult<()>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    async fn set_membership(
        &self,
        user_id: &str,
        organization_id: &str,
        role: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<MembershipRow>>;

    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    async fn get_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>>;
    async fn set_session_context(
        &self,
        token_hash: &str,
        organization_id: &str,
        environment: &str,
    ) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Stores a one-time value shown on the next page load (a new API key when JavaScript is off).
    async fn set_session_flash(&self, token_hash: &str, flash: Option<&str>) -> StoreResult<()>;
    /// Returns and clears the one-time value.
    async fn take_session_flash(&self, token_hash: &str) -> StoreResult<Option<String>>;

    async fn insert_audit(&self, entry: &NewAuditEntry) -> StoreResult<()>;
    async fn list_audit(&self, organization_id: &str, limit: i64) -> StoreResult<Vec<AuditRow>>;

    async fn overview(
        &self,
        organization_id: &str,
        environment: &str,
        since_ms: i64,
    ) -> StoreResult<OverviewCounts>;

    async fn list_api_keys(&self, organization_id: &str, environment: &str) -> StoreResult<Vec<ApiKeyRow>>;
    async fn create_api_key(&self, key: &NewApiKey) -> StoreResult<()>;

    async fn list_connections(
        &self,
        organization_id: &str,
        environment: &str,
    ) -> StoreResult<Vec<ConnectionRow>>;
    async fn get_connection(&self, id: &str) -> StoreResult<Option<ConnectionRow>>;

    /// Up to `limit` rows in the query's page, always returned newest first.
    async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>>;
    async fn get_request_log(&self, id: &str) -> StoreResult<Option<RequestLogRow>>;
    /// The database's query plan for a request-log list query, one line per step (used by
    /// the index test and the benchmark).
    async fn explain_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<String>>;
    /// Refreshes planner statistics after bulk loads.
    async fn analyze(&self) -> StoreResult<()>;
}
