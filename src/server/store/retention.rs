//! How long each organization's rows are kept, and the purge that deletes what is older
//! (issue 21): request logs; sync runs (never the latest run of a connection's data object,
//! which says when it last synced); webhook events with their deliveries, attempts and payloads
//! (never one still being delivered). In small batches, each its own short transaction, so
//! writers wait at most one batch. Hourly rollups are kept [`ROLLUP_KEEP_MS`], so charts
//! outlive the rows.

use super::audit::NewAuditEntry;
use super::StoreResult;
use async_trait::async_trait;

/// The hourly rollups are kept 13 months (of 31 days).
pub const ROLLUP_KEEP_MS: i64 = 13 * 31 * 86_400_000;

/// What one batch of a purge deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PurgeReport {
    pub request_logs: u64,
    pub sync_runs: u64,
    pub webhook_events: u64,
    pub rollups: u64,
}

impl PurgeReport {
    pub fn total(&self) -> u64 {
        self.request_logs + self.sync_runs + self.webhook_events + self.rollups
    }

    pub fn add(&mut self, o: &PurgeReport) {
        self.request_logs += o.request_logs;
        self.sync_runs += o.sync_runs;
        self.webhook_events += o.webhook_events;
        self.rollups += o.rollups;
    }
}

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// The organization's retention in days; `None` when it does not exist.
    async fn retention_days(&self, organization_id: &str) -> StoreResult<Option<i64>>;
    /// Sets it, with its audit entry (none for the demo seed), in one transaction.
    async fn set_retention_days(
        &self,
        organization_id: &str,
        days: i64,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()>;
    /// Organizations after `after` by id, at most `limit`, with their retention in days.
    async fn retention_of_organizations(&self, after: &str, limit: i64) -> StoreResult<Vec<(String, i64)>>;
    /// Deletes up to `batch` rows of each kind older than `before` (milliseconds) in one
    /// organization, each kind in its own transaction.
    async fn purge_organization(
        &self,
        organization_id: &str,
        before: i64,
        batch: i64,
    ) -> StoreResult<PurgeReport>;
    /// Deletes up to `batch` rollup rows of hours (and of the per-day tables, days) before
    /// `before`, per table.
    async fn purge_rollups(&self, before: i64, batch: i64) -> StoreResult<u64>;
}
