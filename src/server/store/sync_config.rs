//! The data sync configuration's versions and the connections' place relative to them
//! (configuration drift). Every save inserts a version; none is ever updated or deleted.

use super::{ConnectionRow, NewAuditEntry, Scope, StoreResult};
use crate::domain::IntegrationType;
use async_trait::async_trait;

/// One saved version of an integration type's configuration.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncConfigVersionRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub integration_type: IntegrationType,
    pub version: i64,
    /// JSON (`settings::SyncSettings`).
    pub settings: String,
    /// JSON list of the changes from the previous version.
    pub diff: String,
    pub author_user_id: Option<String>,
    pub author_email: Option<String>,
    pub comment: String,
    /// The version this one restored, if it was a restore.
    pub restored_from: Option<i64>,
    pub created_at: i64,
}

/// How many connections of one platform run one version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VersionCount {
    pub platform_id: String,
    pub config_version: i64,
    pub connections: i64,
}

/// A connection behind the current version, with the last backfill that should have moved it
/// forward and failed, if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BehindConnectionRow {
    #[sqlx(flatten)]
    pub connection: ConnectionRow,
    pub failed_backfill: Option<String>,
    /// The first failed run's error of that backfill for this connection.
    pub failure: Option<String>,
}

#[async_trait]
pub trait SyncConfigStore: Send + Sync {
    /// Versions newest first, those below `before` when given.
    async fn sync_config_versions(
        &self,
        scope: &Scope,
        integration_type: IntegrationType,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<SyncConfigVersionRow>>;
    async fn sync_config_at(
        &self,
        scope: &Scope,
        integration_type: IntegrationType,
        version: i64,
    ) -> StoreResult<Option<SyncConfigVersionRow>>;
    /// Inserts `row` as the version after `base` with its audit entry, only if `base` is still
    /// the newest version; `false` when someone saved first (nothing is written then).
    async fn save_sync_config(
        &self,
        row: &SyncConfigVersionRow,
        base: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Connections of the integration type by platform and version.
    async fn connection_versions(
        &self,
        scope: &Scope,
        integration_type: IntegrationType,
    ) -> StoreResult<Vec<VersionCount>>;
    /// Connections of the type on a version below `current` (only `connection_id` when given),
    /// oldest first, at most `limit`.
    async fn behind_connections(
        &self,
        scope: &Scope,
        integration_type: IntegrationType,
        current: i64,
        connection_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<BehindConnectionRow>>;
    /// Moves connections of the scope below `version` to it (they needed nothing fetched);
    /// returns how many moved.
    async fn move_connections_to_version(
        &self,
        scope: &Scope,
        ids: &[String],
        version: i64,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<u64>;
}
