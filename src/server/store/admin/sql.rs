//! Schema, catalog, bulk loads and diagnostics, in SQL. Compiled once per database: `sqlite.rs` and
//! `postgres.rs` each mount this file as a module, where `Db` is that database and `This` its
//! store, so both run the same text as plain, monomorphic sqlx code (placeholders `$1, $2, …` and
//! the column types mean the same on both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl AdminStore for This {
    fn backend(&self) -> Backend {
        super::BACKEND
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.migrate_schema().await
    }

    async fn explain(&self, query: &ListQuery) -> StoreResult<Vec<String>> {
        self.explain_plan(build_list(super::EXPLAIN, query)).await
    }

    async fn analyze(&self) -> StoreResult<()> {
        self.analyze_tables().await
    }

    async fn request_log_storage(&self) -> StoreResult<RelationStorage> {
        let (rows,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM request_logs").fetch_one(&self.pool).await?;
        let (table_bytes, index_bytes) = self.relation_bytes("request_logs").await?;
        Ok(RelationStorage { rows, table_bytes, index_bytes })
    }

    async fn sync_platform_catalog(&self, platforms: &[crate::domain::PlatformSpec]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for p in platforms {
            sqlx::query(
                "INSERT INTO platforms (id, name, integration_type, supports_sync_history) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
             integration_type = excluded.integration_type, \
             supports_sync_history = excluded.supports_sync_history",
            )
            .bind(p.id)
            .bind(p.name)
            .bind(p.integration_type.as_str())
            .bind(p.supports_sync_history)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM platform_objects WHERE platform_id = $1")
                .bind(p.id)
                .execute(&mut *tx)
                .await?;
            for object in p.supported_objects() {
                sqlx::query("INSERT INTO platform_objects (platform_id, data_object) VALUES ($1, $2)")
                    .bind(p.id)
                    .bind(object)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn insert_seed_batch(&self, batch: &SeedBatch) -> StoreResult<()> {
        use crate::server::store::sql::bulk_insert;
        let mut tx = self.begin().await?;
        bulk_insert!(Db, tx, "organizations", [id, name, slug, created_at], &batch.organizations, |b, r| {
            b.push_bind(&r.id).push_bind(&r.name).push_bind(&r.slug).push_bind(r.created_at);
        });
        let envs: Vec<(&str, &str, i64)> = batch
            .organizations
            .iter()
            .flat_map(|o| {
                [(o.id.as_str(), "sandbox", o.created_at), (o.id.as_str(), "production", o.created_at)]
            })
            .collect();
        bulk_insert!(Db, tx, "environments", [organization_id, name, created_at], &envs, |b, r| {
            b.push_bind(r.0).push_bind(r.1).push_bind(r.2);
        });
        bulk_insert!(
            Db,
            tx,
            "users",
            [id, email, name, password_hash, staff_role, created_at],
            &batch.users,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.email)
                    .push_bind(&r.name)
                    .push_bind(&r.password_hash)
                    .push_bind(r.staff_role)
                    .push_bind(r.created_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "memberships",
            [user_id, organization_id, role, created_at],
            &batch.memberships,
            |b, r| {
                b.push_bind(&r.0).push_bind(&r.1).push_bind(r.2).push_bind(0i64);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "sync_configs",
            [
                id,
                organization_id,
                environment,
                integration_type,
                version,
                settings,
                diff,
                author_user_id,
                author_email,
                comment,
                restored_from,
                created_at
            ],
            &batch.sync_configs,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(r.integration_type)
                    .push_bind(r.version)
                    .push_bind(&r.settings)
                    .push_bind(&r.diff)
                    .push_bind(&r.author_user_id)
                    .push_bind(&r.author_email)
                    .push_bind(&r.comment)
                    .push_bind(r.restored_from)
                    .push_bind(r.created_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "connections",
            [
                id,
                organization_id,
                environment,
                platform_id,
                display_name,
                platform_account_id,
                status,
                config_version,
                created_at,
                last_synced_at
            ],
            &batch.connections,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(&r.platform_id)
                    .push_bind(&r.display_name)
                    .push_bind(&r.platform_account_id)
                    .push_bind(r.status)
                    .push_bind(r.config_version)
                    .push_bind(r.created_at)
                    .push_bind(r.last_synced_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "backfills",
            [
                id,
                organization_id,
                environment,
                status,
                data_objects,
                range_from,
                range_to,
                config_version,
                created_by,
                created_at,
                started_at,
                finished_at
            ],
            &batch.backfills,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(r.status)
                    .push_bind(&r.data_objects)
                    .push_bind(r.range_from)
                    .push_bind(r.range_to)
                    .push_bind(r.config_version)
                    .push_bind(&r.created_by)
                    .push_bind(r.created_at)
                    .push_bind(r.started_at)
                    .push_bind(r.finished_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "backfill_connections",
            [backfill_id, connection_id, status],
            &batch.backfill_connections,
            |b, r| {
                b.push_bind(&r.0).push_bind(&r.1).push_bind(&r.2);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "sync_runs",
            [
                id,
                connection_id,
                platform_id,
                organization_id,
                environment,
                data_object,
                kind,
                status,
                queued_at,
                started_at,
                finished_at,
                records_added,
                records_updated,
                records_deleted,
                range_from,
                range_to,
                error_code,
                error_message,
                trigger_kind,
                backfill_id,
                triggered_by,
                platform_error,
                error_cause,
                error_field,
                error_rule,
                classified_code,
                error_confidence,
                log
            ],
            &batch.sync_runs,
            |b, r| {
                // Redacted and classified as a finished run's report is (`RunResult::prepared`).
                let platform_error = crate::server::redact::optional(r.platform_error.as_deref());
                let mut code = r.error_code.clone();
                let reading = crate::server::store::sync::ErrorReading::of_run(
                    &r.platform_id,
                    r.status,
                    platform_error.as_deref(),
                    &r.log,
                    &mut code,
                );
                b.push_bind(&r.id)
                    .push_bind(&r.connection_id)
                    .push_bind(&r.platform_id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(&r.data_object)
                    .push_bind(r.kind)
                    .push_bind(r.status)
                    .push_bind(r.queued_at)
                    .push_bind(r.started_at)
                    .push_bind(r.finished_at)
                    .push_bind(r.records_added)
                    .push_bind(r.records_updated)
                    .push_bind(r.records_deleted)
                    .push_bind(r.range_from)
                    .push_bind(r.range_to)
                    .push_bind(code)
                    .push_bind(crate::server::redact::optional(r.error_message.as_deref()))
                    .push_bind(r.trigger_kind)
                    .push_bind(&r.backfill_id)
                    .push_bind(&r.triggered_by)
                    .push_bind(platform_error)
                    .push_bind(reading.cause)
                    .push_bind(reading.field)
                    .push_bind(reading.rule)
                    .push_bind(reading.classified_code)
                    .push_bind(reading.confidence)
                    .push_bind(crate::server::redact::run_log(&r.log));
            }
        );
        super::request_logs::insert_request_logs(&mut tx, &batch.request_logs).await?;
        bulk_insert!(
            Db,
            tx,
            "webhook_endpoints",
            [
                id,
                organization_id,
                environment,
                url,
                description,
                event_types,
                enabled,
                secret,
                previous_secret,
                previous_secret_expires_at,
                disabled_reason,
                disabled_kind,
                disabled_at,
                failing_since,
                deleted_at,
                created_at,
                updated_at
            ],
            &batch.webhook_endpoints,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(&r.url)
                    .push_bind(&r.description)
                    .push_bind(&r.event_types)
                    .push_bind(r.enabled)
                    .push_bind(self.sealer.seal(&r.secret))
                    .push_bind(r.previous_secret.as_deref().map(|v| self.sealer.seal(v)))
                    .push_bind(r.previous_secret_expires_at)
                    .push_bind(&r.disabled_reason)
                    .push_bind(&r.disabled_kind)
                    .push_bind(r.disabled_at)
                    .push_bind(r.failing_since)
                    .push_bind(r.deleted_at)
                    .push_bind(r.created_at)
                    .push_bind(r.updated_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "webhook_events",
            [id, organization_id, environment, event_type, connection_id, payload, created_at],
            &batch.webhook_events,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(&r.event_type)
                    .push_bind(&r.connection_id)
                    .push_bind(crate::server::redact::field(&r.payload))
                    .push_bind(r.created_at);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "webhook_deliveries",
            [
                id,
                event_id,
                endpoint_id,
                organization_id,
                environment,
                event_type,
                connection_id,
                created_at,
                status,
                attempt_count,
                round_attempts,
                next_attempt_at,
                last_attempt_at,
                last_status,
                status_class,
                last_failure
            ],
            &batch.webhook_deliveries,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.event_id)
                    .push_bind(&r.endpoint_id)
                    .push_bind(&r.organization_id)
                    .push_bind(&r.environment)
                    .push_bind(&r.event_type)
                    .push_bind(&r.connection_id)
                    .push_bind(r.created_at)
                    .push_bind(r.status)
                    .push_bind(r.attempt_count)
                    .push_bind(r.round_attempts)
                    .push_bind(r.next_attempt_at)
                    .push_bind(r.last_attempt_at)
                    .push_bind(r.last_status)
                    .push_bind(&r.status_class)
                    .push_bind(&r.last_failure);
            }
        );
        bulk_insert!(
            Db,
            tx,
            "webhook_attempts",
            [
                id,
                delivery_id,
                attempt_number,
                attempted_at,
                response_status,
                latency_ms,
                response_body,
                failure,
                failure_detail,
                request_headers
            ],
            &batch.webhook_attempts,
            |b, r| {
                b.push_bind(&r.id)
                    .push_bind(&r.delivery_id)
                    .push_bind(r.attempt_number)
                    .push_bind(r.attempted_at)
                    .push_bind(r.response_status)
                    .push_bind(r.latency_ms)
                    .push_bind(&r.response_body)
                    .push_bind(&r.failure)
                    .push_bind(&r.failure_detail)
                    .push_bind(&r.request_headers);
            }
        );
        tx.commit().await?;
        Ok(())
    }
}

/// Any list query, for `AdminStore::explain`.
pub(super) fn build_list<'a>(prefix: &str, q: &'a ListQuery) -> sqlx::QueryBuilder<'a, Db> {
    match q {
        ListQuery::RequestLogs(q) => super::request_logs::build_request_log_list(prefix, q),
        ListQuery::Connections { scope, filter, page, limit, since } => {
            super::connections::build_connection_list(prefix, scope, filter, page, *limit, *since)
        }
        ListQuery::ApiKeys { scope, page, limit } => {
            super::api_keys::build_api_key_list(prefix, scope, page, *limit)
        }
        ListQuery::SyncRuns { scope, connection_id, query } => {
            super::sync::build_sync_run_list(prefix, scope, connection_id.as_deref(), query)
        }
        ListQuery::Backfills { scope, status, page, limit } => {
            super::sync::build_backfill_list(prefix, scope, status.as_deref(), page, *limit)
        }
        ListQuery::Audit(q) => super::audit::build_audit_list(prefix, q),
        ListQuery::WebhookDeliveries(q) => super::webhooks::build_delivery_list(prefix, q),
    }
}

/// Applies the embedded migrations that are not recorded yet.
pub(super) async fn run_migrations(
    pool: &sqlx::Pool<Db>,
    migrations: &[crate::server::store::migrate::Migration],
) -> StoreResult<()> {
    use crate::server::store::migrate::CREATE_TABLE;
    sqlx::query(CREATE_TABLE).execute(pool).await?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all(pool).await?;
    for m in migrations.iter().filter(|m| !applied.contains(&m.version)) {
        let mut tx = pool.begin().await?;
        // A plain string runs as a simple query, which may hold several statements.
        sqlx::Executor::execute(&mut *tx, m.sql)
            .await
            .map_err(|e| StoreError::Migration { version: m.version, message: e.to_string() })?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(chrono::Utc::now().timestamp_millis())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
    }
    Ok(())
}
