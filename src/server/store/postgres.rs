//! PostgreSQL, for production.

use super::config_sql::impl_config_store;
use super::sql::{
    impl_store, insert_audit_tx, insert_request_logs_tx, list_builders, request_log_list_builder,
    run_migrations,
};
use super::sync_sql::{finalize_backfill_tx, impl_sync_store, insert_runs_tx};
use super::webhooks_sql::{
    delivery_list_builder, fail_queued_tx, impl_webhook_store, missed_events_query, record_event_tx,
};
use super::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::ConnectOptions;
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // No statement logging: statements carry request data, which must never reach the logs.
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool })
    }

    /// PostgreSQL has row locks and many writers: no turn to wait for.
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }
}

request_log_list_builder!(sqlx::Postgres, false);
list_builders!(sqlx::Postgres);
delivery_list_builder!(sqlx::Postgres, false);

impl_store!(PgStore, sqlx::Postgres, {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> StoreResult<()> {
        // Two servers starting at once against one database must not both migrate.
        let mut lock = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(7236011)").execute(&mut *lock).await?;
        let result: StoreResult<()> = async { run_migrations!(&self.pool, super::migrate::POSTGRES) }.await;
        sqlx::query("SELECT pg_advisory_unlock(7236011)").execute(&mut *lock).await?;
        result
    }
    async fn explain(&self, query: &ListQuery) -> StoreResult<Vec<String>> {
        // With seq scans disabled the plan shows whether an index *can* serve the query: on a
        // small table the planner would otherwise rightly prefer a sequential scan.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
        let rows: Vec<(String,)> = build_list("EXPLAIN ", query).build_query_as().fetch_all(&mut *tx).await?;
        tx.rollback().await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn analyze(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
});

impl_sync_store!(PgStore, sqlx::Postgres, "FOR UPDATE SKIP LOCKED");

impl_config_store!(PgStore, sqlx::Postgres);

impl_webhook_store!(PgStore, sqlx::Postgres, "FOR UPDATE SKIP LOCKED");

impl Store for PgStore {}
