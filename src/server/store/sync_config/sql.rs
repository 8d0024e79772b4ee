//! The data sync configuration, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs`
//! each mount this file as a module, where `Db` is that database and `This` its store, so both run
//! the same text as plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types
//! mean the same on both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl crate::server::store::sync_config::SyncConfigStore for This {
    async fn sync_config_versions(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
        before: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync_config::SyncConfigVersionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, organization_id, environment, integration_type, version, settings, diff, author_user_id, \
             author_email, comment, restored_from, created_at FROM sync_configs \
             WHERE organization_id = $1 AND environment = $2 AND integration_type = $3 AND version < $4 \
             ORDER BY version DESC LIMIT $5",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(integration_type)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, crate::server::store::MAX_PAGE + 1))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn sync_config_at(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
        version: i64,
    ) -> StoreResult<Option<crate::server::store::sync_config::SyncConfigVersionRow>> {
        Ok(sqlx::query_as(
            "SELECT id, organization_id, environment, integration_type, version, settings, diff, author_user_id, \
             author_email, comment, restored_from, created_at FROM sync_configs \
             WHERE organization_id = $1 AND environment = $2 AND integration_type = $3 AND version = $4",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(integration_type)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn save_sync_config(
        &self,
        row: &crate::server::store::sync_config::SyncConfigVersionRow,
        base: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let newest: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM sync_configs WHERE organization_id = $1 AND environment = $2 \
             AND integration_type = $3",
        )
        .bind(&row.organization_id)
        .bind(&row.environment)
        .bind(row.integration_type)
        .fetch_one(&mut *tx)
        .await?;
        if newest.unwrap_or(0) != base {
            return Ok(false);
        }
        // Two saves of the same base racing past the check above: the unique version
        // refuses the second insert, which is the same conflict.
        let inserted = sqlx::query(
            "INSERT INTO sync_configs (id, organization_id, environment, integration_type, version, settings, diff, \
             author_user_id, author_email, comment, restored_from, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&row.id)
        .bind(&row.organization_id)
        .bind(&row.environment)
        .bind(row.integration_type)
        .bind(base + 1)
        .bind(&row.settings)
        .bind(&row.diff)
        .bind(&row.author_user_id)
        .bind(&row.author_email)
        .bind(&row.comment)
        .bind(row.restored_from)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn connection_versions(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
    ) -> StoreResult<Vec<crate::server::store::sync_config::VersionCount>> {
        Ok(sqlx::query_as(
            "SELECT c.platform_id, c.config_version, COUNT(*) AS connections FROM connections c \
             JOIN platforms p ON p.id = c.platform_id \
             WHERE c.organization_id = $1 AND c.environment = $2 AND p.integration_type = $3 \
             GROUP BY c.platform_id, c.config_version ORDER BY c.platform_id, c.config_version",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(integration_type)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn behind_connections(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
        current: i64,
        connection_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync_config::BehindConnectionRow>> {
        Ok(sqlx::query_as(
            "SELECT x.*, (SELECT r.error_message FROM sync_runs r WHERE r.backfill_id = x.failed_backfill \
                AND r.connection_id = x.id AND r.status = 'failed' ORDER BY r.id LIMIT 1) AS failure \
             FROM (SELECT c.id, c.organization_id, c.environment, c.platform_id, c.display_name, \
                c.platform_account_id, c.status, c.config_version, c.created_at, c.last_synced_at, \
                c.status_reason, c.status_since, c.rate_limited_until, \
                (SELECT bc.backfill_id FROM backfill_connections bc JOIN backfills b ON b.id = bc.backfill_id \
                    WHERE bc.connection_id = c.id AND bc.status = 'failed' AND b.config_version > c.config_version \
                    ORDER BY bc.backfill_id DESC LIMIT 1) AS failed_backfill \
               FROM connections c JOIN platforms p ON p.id = c.platform_id \
               WHERE c.organization_id = $1 AND c.environment = $2 AND p.integration_type = $3 \
               AND c.config_version < $4 AND ($5 = '' OR c.id = $5) ORDER BY c.id LIMIT $6) x ORDER BY x.id",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(integration_type)
        .bind(current)
        .bind(connection_id.unwrap_or(""))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn move_connections_to_version(
        &self,
        scope: &Scope,
        ids: &[String],
        version: i64,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<u64> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let moved = move_to_version(&mut tx, scope, ids, version).await?;
        if let Some(a) = audit {
            super::audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(moved)
    }
}

/// Moves connections of `scope` that are behind `version` to it, on an open transaction (an
/// apply that also queues a backfill moves the others in the backfill's transaction).
pub(super) async fn move_to_version(
    conn: &mut super::Conn,
    scope: &Scope,
    ids: &[String],
    version: i64,
) -> StoreResult<u64> {
    let mut moved = 0;
    for chunk in ids.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE connections SET config_version = ");
        qb.push_bind(version);
        qb.push(" WHERE organization_id = ").push_bind(scope.organization_id.clone());
        qb.push(" AND environment = ").push_bind(scope.environment.clone());
        qb.push(" AND config_version < ").push_bind(version);
        qb.push(" AND id IN (");
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(id.clone());
        }
        qb.push(")");
        moved += qb.build().execute(&mut *conn).await?.rows_affected();
    }
    Ok(moved)
}
