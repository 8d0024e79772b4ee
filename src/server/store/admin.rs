//! Schema, catalog, bulk loads and diagnostics: what `migrate`, `seed-demo` and the benchmarks
//! use.

use super::sync_config::SyncConfigVersionRow;
use super::{
    sync, webhooks, AuditQuery, Backend, BackfillRow, ConnectionFilter, ConnectionRow, OrganizationRow, Page,
    RequestLogQuery, RequestLogRow, Scope, StoreResult, SyncRunRow, UserRow, WebhookAttemptRow,
    WebhookDeliveryRow, WebhookEndpointRow, WebhookEventRow,
};
use crate::domain::PlatformSpec;
use async_trait::async_trait;

/// A keyset list query, named so its plan can be checked ([`AdminStore::explain`]): each is
/// built by the same function the list itself runs.
#[derive(Debug, Clone)]
pub enum ListQuery {
    RequestLogs(RequestLogQuery),
    Connections {
        scope: Scope,
        filter: ConnectionFilter,
        page: Page,
        limit: i64,
        since: i64,
    },
    ApiKeys {
        scope: Scope,
        page: Page,
        limit: i64,
    },
    /// A connection's runs, or the environment's (`None`).
    SyncRuns {
        scope: Scope,
        connection_id: Option<String>,
        query: sync::SyncRunQuery,
    },
    Backfills {
        scope: Scope,
        status: Option<String>,
        page: Page,
        limit: i64,
    },
    Audit(AuditQuery),
    WebhookDeliveries(webhooks::DeliveryQuery),
}

/// Everything the demo seed writes in one go, per table.
#[derive(Debug, Default)]
pub struct SeedBatch {
    pub organizations: Vec<OrganizationRow>,
    pub users: Vec<UserRow>,
    pub memberships: Vec<(String, String, crate::domain::Role)>,
    pub sync_configs: Vec<SyncConfigVersionRow>,
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

/// Schema, catalog, bulk loads and diagnostics: what `migrate`, `seed-demo` and the benchmarks use.
#[async_trait]
pub trait AdminStore: Send + Sync {
    fn backend(&self) -> Backend;
    /// Applies every migration not yet applied, in version order.
    async fn migrate(&self) -> StoreResult<()>;
    /// Writes the platform catalog (idempotent).
    async fn sync_platform_catalog(&self, platforms: &[PlatformSpec]) -> StoreResult<()>;
    /// Writes one batch of seed rows in a single transaction, parents before children. Request
    /// logs are redacted on the way in, as by [`Store::insert_request_logs`].
    async fn insert_seed_batch(&self, batch: &SeedBatch) -> StoreResult<()>;
    /// The database's query plan for a list query, one line per step (the index-plan test and
    /// the benchmarks).
    async fn explain(&self, query: &ListQuery) -> StoreResult<Vec<String>>;
    /// Refreshes planner statistics after bulk loads.
    async fn analyze(&self) -> StoreResult<()>;
    /// What the request logs occupy: rows, the table's bytes and its indexes' bytes (the
    /// benchmarks' bytes per row).
    async fn request_log_storage(&self) -> StoreResult<RelationStorage>;
}

/// A table's size on disk (`AdminStore::request_log_storage`).
#[derive(Debug, Clone, Copy)]
pub struct RelationStorage {
    pub rows: i64,
    pub table_bytes: i64,
    pub index_bytes: i64,
}

impl RelationStorage {
    pub fn bytes_per_row(&self) -> f64 {
        (self.table_bytes + self.index_bytes) as f64 / self.rows.max(1) as f64
    }
}
