//! PostgreSQL, for production.

use super::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::ConnectOptions;
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) sealer: crate::server::secrets::Sealer,
}

impl PgStore {
    pub async fn connect(url: &str, sealer: crate::server::secrets::Sealer) -> StoreResult<Self> {
        // No statement logging: statements carry request data, which must never reach the logs.
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PgStore { pool, sealer })
    }

    /// PostgreSQL has row locks and many writers: no turn to wait for.
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }

    /// PostgreSQL writes concurrently: nobody waits for a turn.
    pub(crate) fn writer_wanted(&self) -> bool {
        false
    }

    /// A transaction that writes (row locks make a plain one enough here; see SQLite's).
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

/// Request logs into PostgreSQL as one array per column (`UNNEST`): 27 parameters for the whole
/// batch, which the server parses and plans once. A 1,000-row VALUES list of 27,000 parameters
/// took 180 ms per batch (median, `log_min_duration_statement` during `bench-ingest`). With a
/// suffix ending in `RETURNING id`, the ids of the rows inserted.
pub(crate) async fn insert_request_log_rows(
    conn: &mut sqlx::PgConnection,
    rows: &[RequestLogRow],
    suffix: &str,
) -> Result<Vec<String>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let text = |f: fn(&RequestLogRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let opt = |f: fn(&RequestLogRow) -> Option<&str>| rows.iter().map(f).collect::<Vec<Option<&str>>>();
    let int = |f: fn(&RequestLogRow) -> i64| rows.iter().map(f).collect::<Vec<i64>>();
    let sql = format!(
        "INSERT INTO request_logs (id, organization_id, environment, connection_id, platform_id, \
         api_key_prefix, method, path, query, status_code, status_class, latency_ms, error_code, \
         error_message, platform_error, error_confidence, request_headers, request_body, \
         response_body, response_truncated, upstream_calls, idempotency_key, user_agent, source_ip, \
         created_at, redacted_fields, content_hash, error_cause, error_field, error_rule, classified_code) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::int8[], $11::int8[], $12::int8[], $13::text[], \
         $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::bool[], \
         $21::text[], $22::text[], $23::text[], $24::text[], $25::int8[], $26::text[], $27::text[], \
         $28::text[], $29::text[], $30::text[], $31::text[]){suffix}"
    );
    sqlx::query_scalar(&sql)
        .bind(text(|r| &r.id))
        .bind(text(|r| &r.organization_id))
        .bind(text(|r| &r.environment))
        .bind(opt(|r| r.connection_id.as_deref()))
        .bind(opt(|r| r.platform_id.as_deref()))
        .bind(opt(|r| r.api_key_prefix.as_deref()))
        .bind(text(|r| &r.method))
        .bind(text(|r| &r.path))
        .bind(opt(|r| r.query.as_deref()))
        .bind(int(|r| r.status_code))
        .bind(int(|r| r.status_class))
        .bind(int(|r| r.latency_ms))
        .bind(opt(|r| r.error_code.as_deref()))
        .bind(opt(|r| r.error_message.as_deref()))
        .bind(opt(|r| r.platform_error.as_deref()))
        .bind(opt(|r| r.error_confidence.as_deref()))
        .bind(text(|r| &r.request_headers))
        .bind(opt(|r| r.request_body.as_deref()))
        .bind(opt(|r| r.response_body.as_deref()))
        .bind(rows.iter().map(|r| r.response_truncated).collect::<Vec<bool>>())
        .bind(text(|r| &r.upstream_calls))
        .bind(opt(|r| r.idempotency_key.as_deref()))
        .bind(opt(|r| r.user_agent.as_deref()))
        .bind(opt(|r| r.source_ip.as_deref()))
        .bind(int(|r| r.created_at))
        .bind(text(|r| &r.redacted_fields))
        .bind(opt(|r| r.content_hash.as_deref()))
        .bind(opt(|r| r.error_cause.as_deref()))
        .bind(opt(|r| r.error_field.as_deref()))
        .bind(opt(|r| r.error_rule.as_deref()))
        .bind(opt(|r| r.classified_code.as_deref()))
        .fetch_all(&mut *conn)
        .await
}

// The SQL of every context, compiled for this database: each mounted file sees `Db`, `This`,
// `Conn`, the planner hints and the claim's locking clause below. Both backends mount the same
// files on purpose (hence `clippy::duplicate_mod` allowed): one text, two monomorphic copies.
type Db = sqlx::Postgres;
type This = PgStore;
type Conn = sqlx::PgConnection;
/// Whether list queries name the index to use (see `request_logs/sql.rs`).
const PLANNER_HINTS: bool = false;
const BACKEND: Backend = Backend::Postgres;
const EXPLAIN: &str = "EXPLAIN ";
/// The locking clause of a claim (a `concat!` piece, hence a macro).
macro_rules! skip_locked {
    () => {
        "FOR UPDATE SKIP LOCKED"
    };
}

#[path = "accounts/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod accounts;
#[path = "admin/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod admin;
#[path = "api_keys/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod api_keys;
#[path = "audit/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod audit;
#[path = "connections/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod connections;
#[path = "issues/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod issues;
#[path = "notifications/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod notifications;
#[path = "request_logs/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod request_logs;
#[path = "retention/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod retention;
#[path = "rollups/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod rollups;
#[path = "sync/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod sync;
#[path = "sync_config/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod sync_config;
#[path = "webhooks/sql.rs"]
#[allow(clippy::duplicate_mod)]
mod webhooks;

/// What differs per database in `AdminStore`.
impl PgStore {
    async fn migrate_schema(&self) -> StoreResult<()> {
        // Two servers starting at once against one database must not both migrate.
        let mut lock = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(7236011)").execute(&mut *lock).await?;
        let result = admin::run_migrations(&self.pool, super::migrate::POSTGRES).await;
        sqlx::query("SELECT pg_advisory_unlock(7236011)").execute(&mut *lock).await?;
        result
    }

    async fn explain_plan(&self, mut qb: sqlx::QueryBuilder<'_, Db>) -> StoreResult<Vec<String>> {
        // With seq scans disabled the plan shows whether an index *can* serve the query: on a
        // small table the planner would otherwise rightly prefer a sequential scan.
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET LOCAL enable_seqscan = off").execute(&mut *tx).await?;
        let rows: Vec<(String,)> = qb.build_query_as().fetch_all(&mut *tx).await?;
        tx.rollback().await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// A table's bytes (with its TOAST table) and its indexes' bytes.
    async fn relation_bytes(&self, table: &str) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT pg_table_size($1::regclass)::BIGINT, pg_indexes_size($1::regclass)::BIGINT",
        )
        .bind(table)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn analyze_tables(&self) -> StoreResult<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
}

impl Store for PgStore {}
