//! The embedded default: SQLite in WAL mode with foreign keys on.

use super::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    /// SQLite has one writer at a time. Write transactions of the worker's queue take turns on
    /// this lock, in arrival order, instead of colliding on the database lock: a collision is
    /// retried by SQLite's busy handler after sleeps of up to 100 ms, which halved the worker's
    /// throughput under 32 concurrent runs.
    writer: tokio::sync::Mutex<()>,
    /// How many wait for `writer`: a long write (an ingestion batch) gives the writer up between
    /// slices only when somebody waits, so it costs nothing when alone.
    waiting: std::sync::atomic::AtomicUsize,
    pub(crate) sealer: crate::server::secrets::Sealer,
}

impl SqliteStore {
    pub async fn connect(url: &str, sealer: crate::server::secrets::Sealer) -> StoreResult<Self> {
        // Create the database file's folder on first start (data/switchboard.db).
        if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            let path = path.split('?').next().unwrap_or(path);
            if path != ":memory:" {
                if let Some(parent) = std::path::Path::new(path).parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent)
                            .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
                    }
                }
            }
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            // A request log is about 1 KB: a 4 KB page holds three and leaves a sixth of itself
            // empty, an 8 KB page holds eight. Takes effect when the database is created (an
            // existing one keeps its page size until a `VACUUM` outside WAL mode).
            .page_size(8192)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
            // the last transactions, which is the usual trade for log data.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory")
            // Reads through a memory map instead of read() calls: every commit invalidates the
            // other pooled connections' page caches, and re-reading pages by copying them from
            // the OS was the largest cost of the worker's queue (perf: `_copy_to_iter`).
            .pragma("mmap_size", "1073741824")
            // sqlx would log slow statements with their full text; bulk inserts are slow by
            // design, and logs must never carry request data.
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        Ok(SqliteStore {
            pool,
            writer: tokio::sync::Mutex::new(()),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            sealer,
        })
    }

    /// The turn to write (see `writer`).
    pub(crate) async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        use std::sync::atomic::Ordering;
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // Counted down even when the caller's future is dropped while it waits.
        struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let _waiting = Waiting(&self.waiting);
        Some(self.writer.lock().await)
    }

    /// Whether another write waits for the turn the caller holds.
    pub(crate) fn writer_wanted(&self) -> bool {
        self.waiting.load(std::sync::atomic::Ordering::SeqCst) > 0
    }

    /// A transaction that writes. SQLite's default (deferred) transaction reads from a
    /// snapshot and, when it then writes after another connection committed (another process
    /// on the same file: `serve` beside `switchboard worker`), fails with SQLITE_BUSY_SNAPSHOT
    /// (517) instead of waiting. `BEGIN IMMEDIATE` takes the write lock first, and waits for it
    /// up to the busy timeout.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// Request logs into SQLite: multi-row VALUES, up to 30,000 parameters a statement. With a
/// suffix ending in `RETURNING id`, the ids of the rows inserted.
pub(crate) async fn insert_request_log_rows(
    conn: &mut sqlx::SqliteConnection,
    rows: &[RequestLogRow],
    suffix: &str,
) -> Result<Vec<String>, sqlx::Error> {
    use crate::server::store::sql::bulk_insert;
    let tx = conn;
    Ok(bulk_insert!(
        ids sqlx::Sqlite,
        tx,
        "request_logs",
        [
            id,
            organization_id,
            environment,
            connection_id,
            platform_id,
            api_key_prefix,
            method,
            path,
            query,
            status_code,
            status_class,
            latency_ms,
            error_code,
            error_message,
            platform_error,
            error_confidence,
            request_headers,
            request_body,
            response_body,
            response_truncated,
            upstream_calls,
            idempotency_key,
            user_agent,
            source_ip,
            created_at,
            redacted_fields,
            content_hash,
            error_cause,
            error_field,
            error_rule,
            classified_code
        ],
        rows,
        suffix,
        |b, r| {
            b.push_bind(&r.id)
                .push_bind(&r.organization_id)
                .push_bind(&r.environment)
                .push_bind(&r.connection_id)
                .push_bind(&r.platform_id)
                .push_bind(&r.api_key_prefix)
                .push_bind(&r.method)
                .push_bind(&r.path)
                .push_bind(&r.query)
                .push_bind(r.status_code)
                .push_bind(r.status_class)
                .push_bind(r.latency_ms)
                .push_bind(&r.error_code)
                .push_bind(&r.error_message)
                .push_bind(&r.platform_error)
                .push_bind(&r.error_confidence)
                .push_bind(&r.request_headers)
                .push_bind(&r.request_body)
                .push_bind(&r.response_body)
                .push_bind(r.response_truncated)
                .push_bind(&r.upstream_calls)
                .push_bind(&r.idempotency_key)
                .push_bind(&r.user_agent)
                .push_bind(&r.source_ip)
                .push_bind(r.created_at)
                .push_bind(&r.redacted_fields)
                .push_bind(&r.content_hash)
                .push_bind(&r.error_cause)
                .push_bind(&r.error_field)
                .push_bind(&r.error_rule)
                .push_bind(&r.classified_code);
        }
    ))
}

// The SQL of every context, compiled for this database: each mounted file sees `Db`, `This`,
// `Conn`, the planner hints and the claim's locking clause below. Both backends mount the same
// files on purpose (hence `clippy::duplicate_mod` allowed): one text, two monomorphic copies.
type Db = sqlx::Sqlite;
type This = SqliteStore;
type Conn = sqlx::SqliteConnection;
/// Whether list queries name the index to use (see `request_logs/sql.rs`).
const PLANNER_HINTS: bool = true;
const BACKEND: Backend = Backend::Sqlite;
const EXPLAIN: &str = "EXPLAIN QUERY PLAN ";
/// The locking clause of a claim (a `concat!` piece, hence a macro).
macro_rules! skip_locked {
    () => {
        ""
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
impl SqliteStore {
    async fn migrate_schema(&self) -> StoreResult<()> {
        admin::run_migrations(&self.pool, super::migrate::SQLITE).await
    }

    async fn explain_plan(&self, mut qb: sqlx::QueryBuilder<'_, Db>) -> StoreResult<Vec<String>> {
        let rows: Vec<(i64, i64, i64, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|r| r.3).collect())
    }

    /// A table's pages and its indexes' pages, in bytes (the `dbstat` table, which the bundled
    /// SQLite is built with).
    async fn relation_bytes(&self, table: &str) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN name = $1 THEN pgsize END), 0), \
                    COALESCE(SUM(CASE WHEN name <> $1 THEN pgsize END), 0) \
             FROM dbstat WHERE name = $1 OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1)",
        )
        .bind(table)
        .fetch_one(&self.pool)
        .await?)
    }

    async fn analyze_tables(&self) -> StoreResult<()> {
        // An approximate ANALYZE (what `PRAGMA optimize` does): a full one reads every index of
        // a multi-gigabyte table, while a sample is all the planner needs.
        let mut conn = self.pool.acquire().await?;
        sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
        sqlx::query("ANALYZE").execute(&mut *conn).await?;
        Ok(())
    }
}

impl Store for SqliteStore {}
