//! Retention, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount it.

use super::This;
use crate::ids::{id_floor, prefix};
use crate::server::store::retention::*;
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl RetentionStore for This {
    async fn retention_days(&self, organization_id: &str) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT retention_days FROM organizations WHERE id = $1")
            .bind(organization_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn set_retention_days(
        &self,
        organization_id: &str,
        days: i64,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE organizations SET retention_days = $2 WHERE id = $1")
            .bind(organization_id)
            .bind(days)
            .execute(&mut *tx)
            .await?;
        if let Some(audit) = audit {
            super::audit::insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn retention_of_organizations(&self, after: &str, limit: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT id, retention_days FROM organizations WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn purge_organization(
        &self,
        organization_id: &str,
        before: i64,
        batch: i64,
    ) -> StoreResult<PurgeReport> {
        let mut report = PurgeReport::default();
        // Ids start with their time, so "older than" is a range of each table's
        // (organization, environment, id) index: both environments, oldest first.
        let statements = [
            (
                "request_logs",
                "DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs \
                 WHERE organization_id = $1 AND environment IN ('production', 'sandbox') AND id < $2 \
                 ORDER BY id LIMIT $3)",
                id_floor(prefix::REQUEST, before),
            ),
            (
                "sync_runs",
                // Ended runs only, and never a data object's latest run of its connection.
                "DELETE FROM sync_runs WHERE id IN (SELECT r.id FROM sync_runs r \
                 WHERE r.organization_id = $1 AND r.environment IN ('production', 'sandbox') AND r.id < $2 \
                 AND r.status NOT IN ('queued', 'running') \
                 AND EXISTS (SELECT 1 FROM sync_runs n WHERE n.connection_id = r.connection_id \
                   AND n.data_object = r.data_object AND n.id > r.id) \
                 ORDER BY r.id LIMIT $3)",
                id_floor(prefix::SYNC_RUN, before),
            ),
            (
                "webhook_events",
                // Deliveries and attempts go with their event (ON DELETE CASCADE); an event
                // still being delivered somewhere stays.
                "DELETE FROM webhook_events WHERE id IN (SELECT e.id FROM webhook_events e \
                 WHERE e.organization_id = $1 AND e.environment IN ('production', 'sandbox') AND e.id < $2 \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id \
                   AND d.status IN ('pending', 'retrying')) \
                 ORDER BY e.id LIMIT $3)",
                id_floor(prefix::EVENT, before),
            ),
        ];
        for (table, sql, floor) in statements {
            let _writer = self.writer().await;
            let n = sqlx::query(sql)
                .bind(organization_id)
                .bind(&floor)
                .bind(batch.max(1))
                .execute(&self.pool)
                .await?
                .rows_affected();
            match table {
                "request_logs" => report.request_logs = n,
                "sync_runs" => report.sync_runs = n,
                _ => report.webhook_events = n,
            }
        }
        Ok(report)
    }

    async fn purge_rollups(&self, before: i64, batch: i64) -> StoreResult<u64> {
        let mut n = 0;
        // No index leads with the hour: a bounded scan per batch, run once a minute at most.
        for (table, key) in [
            ("request_rollups", "organization_id, environment, hour, platform_id, method, path_template, status_code, error_code"),
            ("request_latency_rollups", "organization_id, environment, hour, platform_id, bucket"),
            ("request_class_rollups", "organization_id, environment, hour, status_class"),
            ("request_hour_latency_rollups", "organization_id, environment, hour, bucket"),
            ("outcome_rollups", "organization_id, environment, kind, hour, subject, status"),
            ("request_daily_failures", "organization_id, environment, day, platform_id, method, path_template, status_code, error_code"),
            ("request_daily_endpoints", "organization_id, environment, day, platform_id, method, path_template"),
        ] {
            let _writer = self.writer().await;
            let time = if table.starts_with("request_daily_") { "day" } else { "hour" };
            n += sqlx::query(&format!(
                "DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table} WHERE {time} < $1 LIMIT $2)"
            ))
            .bind(before)
            .bind(batch.max(1))
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(n)
    }
}
