//! Connections: one customer's link to one platform account, and the connections list.

use super::{Page, Scope, StoreResult};
use async_trait::async_trait;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
    pub display_name: String,
    pub platform_account_id: String,
    pub status: crate::domain::ConnectionStatus,
    pub config_version: i64,
    pub created_at: i64,
    pub last_synced_at: Option<i64>,
    /// Why the connection has its status, and since when (set by the worker).
    #[sqlx(default)]
    pub status_reason: Option<String>,
    #[sqlx(default)]
    pub status_since: Option<i64>,
    #[sqlx(default)]
    pub rate_limited_until: Option<i64>,
}

/// The connections list's filters; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionFilter {
    /// Any of these statuses.
    pub statuses: Vec<String>,
    pub platform_id: Option<String>,
    pub integration_type: Option<String>,
    /// Matches the connection ID or platform account ID exactly, or a part of the name.
    pub text: Option<String>,
    /// Only connections on an older configuration version than their type's current one.
    pub behind: bool,
    /// Only these connections (set when the text matched IDs exactly).
    pub ids: Vec<String>,
}

/// A connection with what the list shows about its health.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionListRow {
    #[sqlx(flatten)]
    pub connection: ConnectionRow,
    pub current_version: Option<i64>,
    pub last_run_status: Option<String>,
    pub failed_24h: i64,
}

/// Connections and the connections list.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// How many of the scope's connections have each status, `(status, count)`; statuses
    /// without connections are absent.
    async fn connections_by_status(&self, scope: &Scope) -> StoreResult<Vec<(String, i64)>>;
    /// Connections newest first, `limit` rows of `page`.
    async fn list_connections(
        &self,
        scope: &Scope,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<ConnectionRow>>;
    /// The scope's connections among `ids` (at most 500 ids).
    async fn connections_by_ids(&self, scope: &Scope, ids: &[String]) -> StoreResult<Vec<ConnectionRow>>;
    /// Connections matching a filter, newest first, with their health for the list.
    async fn search_connections(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
        page: &Page,
        limit: i64,
        since: i64,
    ) -> StoreResult<Vec<ConnectionListRow>>;
    /// A text search that is exactly a connection ID or platform account ID becomes a lookup of
    /// those connections (an index probe) instead of a scan of names.
    async fn exact_text_match(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
    ) -> StoreResult<ConnectionFilter>;
    /// How many connections match the filter (its status choice ignored), by status.
    async fn connection_status_counts(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
    ) -> StoreResult<Vec<(String, i64)>>;
    async fn get_connection(&self, scope: &Scope, id: &str) -> StoreResult<Option<ConnectionRow>>;
    /// The data plane's view of connections' health, in one transaction; a report older than the
    /// status already recorded is ignored, so retries and reordering are harmless.
    async fn report_connection_status(&self, scope: &Scope, reports: &[StatusReport]) -> StoreResult<()>;
}

/// A connection status reported through the ingestion API.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub connection_id: String,
    pub status: crate::domain::ConnectionStatus,
    pub reason: Option<String>,
    pub at: i64,
}
