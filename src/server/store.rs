//! Persistence. One `Store` trait, implemented for SQLite and PostgreSQL; the implementation is
//! chosen from the database URL at start-up. Row types here are the database's shape; features
//! convert them into their own wire types.
//!
//! Times are stored as `BIGINT` milliseconds since the epoch in both databases: the same SQL then
//! runs on both, comparisons are integer comparisons, and no time zone is ever stored by mistake.

pub mod config;
mod config_sql;
mod migrate;
mod postgres;
mod sql;
mod sqlite;
pub mod sync;
mod sync_sql;
pub mod webhooks;
mod webhooks_sql;

use crate::domain::PlatformSpec;
use async_trait::async_trait;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use webhooks::{WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow, WebhookEventRow};

use super::secrets::Sealer;
use std::fmt;

/// Counts shown in lists stop here ("10,000+"): an exact count would read every row.
pub const COUNT_CAP: i64 = 10_000;

/// At most this many rows in one page of any list, whatever the caller asks.
pub const MAX_PAGE: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed: {message}")]
    Migration { version: i64, message: String },
}

impl StoreError {
    /// A unique-key violation: two writers raced to insert the same id.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Which database to use, decided from the URL's scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// The URL, or the form it should have (`config::database_url` names the setting).
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(raw.to_string()))
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(raw.to_string()))
        } else {
            Err("sqlite:PATH (for example sqlite:data/switchboard.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(s) | DatabaseUrl::Postgres(s) => s,
        }
    }
}

/// Database URLs carry passwords: print them with the password masked.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.as_str();
        match (s.find("://"), s.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let userinfo = &s[scheme_end + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        write!(f, "{}{}:***{}", &s[..scheme_end + 3], user, &s[at..])
                    }
                    None => f.write_str(s),
                }
            }
            _ => f.write_str(s),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Opens the database named by the URL and applies pending migrations. Webhook signing secrets
/// are sealed and opened with `sealer` on every write and read.
pub async fn open(url: &DatabaseUrl, sealer: Sealer) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = match url {
        DatabaseUrl::Sqlite(u) => Arc::new(SqliteStore::connect(u, sealer).await?),
        DatabaseUrl::Postgres(u) => Arc::new(PgStore::connect(u, sealer).await?),
    };
    store.migrate().await?;
    Ok(store)
}

/// The organization and environment a caller may see. Store methods that load one object take
/// it and match both, so a caller cannot forget the check; staff reach another organization's
/// objects only through `server::access`, which audits the look before it builds a scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, sqlx::FromRow)]
pub struct Scope {
    pub organization_id: String,
    pub environment: String,
}

impl Scope {
    pub fn new(organization_id: impl Into<String>, environment: impl Into<String>) -> Self {
        Scope { organization_id: organization_id.into(), environment: environment.into() }
    }
}

/// The kinds of object whose owner can be looked up by id alone (see [`Store::locate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Request,
    Connection,
    WebhookEndpoint,
    WebhookDelivery,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Request => "request",
            ObjectKind::Connection => "connection",
            ObjectKind::WebhookEndpoint => "webhook endpoint",
            ObjectKind::WebhookDelivery => "webhook delivery",
        }
    }

    /// The name in audit entries (`staff.view_{code}`).
    pub fn code(self) -> &'static str {
        match self {
            ObjectKind::Request => "request",
            ObjectKind::Connection => "connection",
            ObjectKind::WebhookEndpoint => "webhook_endpoint",
            ObjectKind::WebhookDelivery => "webhook_delivery",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub staff_role: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    pub organization_id: String,
    pub organization_name: String,
    pub role: String,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: String,
    pub organization_id: String,
    pub environment: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A value the browser that created it may read once (see `one_time_reveals` in the schema).
#[derive(Debug, Clone)]
pub struct NewReveal {
    pub id: String,
    pub session_token_hash: String,
    pub ciphertext: String,
    pub expires_at: i64,
}

/// A live session joined with its user and the selected organization.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub user_id: String,
    pub email: String,
    pub user_name: String,
    pub staff_role: Option<String>,
    pub organization_id: String,
    pub organization_name: String,
    pub environment: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
    /// The user's role in the selected organization; `None` for staff looking in from outside.
    pub role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    pub id: String,
    pub organization_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub details: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub organization_id: Option<String>,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub ip: Option<String>,
    pub details: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub name: String,
    pub prefix: String,
    /// `ingest` (the data plane writes) or `read` (customers' tooling reads).
    pub scope: String,
    pub key_hash: String,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub name: String,
    pub prefix: String,
    pub scope: String,
    pub key_hash: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncRunRow {
    pub id: String,
    pub connection_id: String,
    pub platform_id: String,
    pub organization_id: String,
    pub environment: String,
    pub data_object: String,
    pub kind: crate::domain::SyncRunKind,
    pub status: crate::domain::SyncRunStatus,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub trigger_kind: crate::domain::TriggerKind,
    pub backfill_id: Option<String>,
    pub triggered_by: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackfillRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub status: crate::domain::BackfillStatus,
    pub data_objects: String,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub config_version: i64,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub api_key_prefix: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status_code: i64,
    pub status_class: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform_error: Option<String>,
    pub error_confidence: Option<String>,
    pub request_headers: String,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub upstream_calls: String,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub created_at: i64,
    /// JSON array of the paths whose values the redaction replaced; set by the store on insert.
    pub redacted_fields: String,
    /// SHA-256 of the redacted content, for idempotent ingestion (set by the store; `None` for
    /// rows the seed and the built-in data plane write).
    #[sqlx(default)]
    pub content_hash: Option<String>,
}

impl RequestLogRow {
    /// SHA-256 of everything an ingested item carries, after redaction: two deliveries of the
    /// same item hash the same, and the hash is never derived from a secret.
    pub fn content_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let opt = |h: &mut Sha256, v: Option<&str>| match v {
            Some(s) => {
                h.update(b"\x01");
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(b"\x00"),
        };
        for v in [
            &self.organization_id,
            &self.environment,
            &self.method,
            &self.path,
            &self.request_headers,
            &self.upstream_calls,
        ] {
            opt(&mut h, Some(v));
        }
        for v in [
            &self.connection_id,
            &self.api_key_prefix,
            &self.query,
            &self.error_code,
            &self.error_message,
            &self.platform_error,
            &self.error_confidence,
            &self.request_body,
            &self.response_body,
            &self.idempotency_key,
            &self.user_agent,
            &self.source_ip,
        ] {
            opt(&mut h, v.as_deref());
        }
        for n in [self.status_code, self.latency_ms, self.created_at, self.response_truncated as i64] {
            h.update(n.to_le_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Replaces every secret in the row before it is stored (`server::redact`). The store calls
    /// this on every insert path; callers never need to.
    pub fn redact(&mut self) {
        let mut paths = crate::server::redact::request_log(crate::server::redact::RequestLogFields {
            request_headers: &mut self.request_headers,
            query: &mut self.query,
            request_body: &mut self.request_body,
            response_body: &mut self.response_body,
            platform_error: &mut self.platform_error,
            error_message: &mut self.error_message,
            upstream_calls: &mut self.upstream_calls,
        });
        // Values a writer already redacted stay listed.
        if let Ok(prior) = serde_json::from_str::<Vec<String>>(&self.redacted_fields) {
            for p in prior {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        self.redacted_fields = serde_json::to_string(&paths).unwrap_or_else(|_| "[]".into());
    }
}

/// The columns a list of request logs shows; the bodies stay in the table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogSummaryRow {
    pub id: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub created_at: i64,
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

/// A keyset list query, named so its plan can be checked ([`AdminStore::explain`]): each is
/// built by the same function the list itself runs.
#[derive(Debug, Clone)]
pub enum ListQuery {
    RequestLogs(RequestLogQuery),
    Connections { scope: Scope, filter: ConnectionFilter, page: Page, limit: i64, since: i64 },
    ApiKeys { scope: Scope, page: Page, limit: i64 },
    SyncRuns { scope: Scope, connection_id: String, query: sync::SyncRunQuery },
    Backfills { scope: Scope, status: Option<String>, page: Page, limit: i64 },
    Audit(AuditQuery),
    WebhookDeliveries(webhooks::DeliveryQuery),
}

/// The audit log page's query: one organization's entries, optionally of one action or person.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub organization_id: String,
    pub action: Option<String>,
    pub actor_email: Option<String>,
    pub page: Page,
    pub limit: i64,
}

/// Which page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Page {
    /// Newest first.
    #[default]
    First,
    /// Rows older than this id (the "older" button).
    Before(String),
    /// Rows newer than this id (the "newer" button).
    After(String),
}

/// Turns the `limit + 1` rows a keyset query fetched into one page and its cursors: the rows
/// (newest first, the extra row dropped) and the ids to page newer (`after=`) and older
/// (`before=`) from, when there is more that way.
pub fn keyset_window<T>(
    mut rows: Vec<T>,
    page: &Page,
    size: i64,
    id: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>, Option<String>) {
    let has_more = rows.len() as i64 > size;
    if has_more {
        // For "newer" pages the extra row is the newest one; otherwise the oldest.
        if matches!(page, Page::After(_)) {
            rows.remove(0);
        } else {
            rows.pop();
        }
    }
    let first = rows.first().map(&id);
    let last = rows.last().map(&id);
    let (newer, older) = match page {
        Page::First => (None, if has_more { last } else { None }),
        Page::Before(_) => (first, if has_more { last } else { None }),
        Page::After(_) => (if has_more { first } else { None }, last),
    };
    (rows, newer, older)
}

/// A request-log list query: every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestLogQuery {
    pub organization_id: String,
    pub environment: String,
    pub request_id: Option<String>,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub status_class: Option<i64>,
    pub status_code: Option<i64>,
    pub error_code: Option<String>,
    pub method: Option<String>,
    /// Path prefix as `[from, to)`: callers pass the prefix and its successor.
    pub path_range: Option<(String, String)>,
    /// Time range as ids: `from_id <= id < to_id`.
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub page: Page,
    pub limit: i64,
    /// Read every row of the driving index instead of the newest [`SCAN_WINDOW`] (benchmarks
    /// compare the two).
    pub unbounded: bool,
    /// The end of the bounded search (set by the store from `scan_boundary`).
    pub bound: Option<String>,
    /// Rows the bounded search reads; 0 means [`SCAN_WINDOW`] (tests use small windows).
    pub window_rows: i64,
}

/// How many rows of its driving index a request-log query with more than one filter reads for a
/// page before it stops and offers to search further (see `build_request_log_list`).
pub const SCAN_WINDOW: i64 = 5_000;

impl RequestLogQuery {
    /// The filter whose index the query reads in id order: the most selective one present, in
    /// the order request id, connection, error code, exact status, platform, status class,
    /// method. The path prefix never drives: its index would return rows in path order, to be
    /// sorted by id, where an id-ordered index and a check per row stop after one page.
    pub fn driving_filter(&self) -> Option<&'static str> {
        if self.request_id.is_some() {
            Some("id")
        } else if self.connection_id.is_some() {
            Some("connection_id")
        } else if self.error_code.is_some() {
            Some("error_code")
        } else if self.status_code.is_some() {
            Some("status_code")
        } else if self.platform_id.is_some() {
            Some("platform_id")
        } else if self.status_class.is_some() {
            Some("status_class")
        } else if self.method.is_some() {
            Some("method")
        } else {
            None
        }
    }

    /// The bound on rows read, when filters beside the driving one are checked row by row.
    pub fn window(&self) -> Option<i64> {
        let filters = [
            self.request_id.is_some(),
            self.connection_id.is_some(),
            self.error_code.is_some(),
            self.status_code.is_some(),
            self.platform_id.is_some(),
            self.status_class.is_some(),
            self.method.is_some(),
            self.path_range.is_some(),
        ];
        let residual = filters.iter().filter(|f| **f).count() > usize::from(self.driving_filter().is_some());
        let rows = if self.window_rows > 0 { self.window_rows } else { SCAN_WINDOW };
        (residual && !self.unbounded && self.request_id.is_none()).then_some(rows)
    }
}

/// Counts for the Overview page.
#[derive(Debug, Clone, Default)]
pub struct OverviewCounts {
    pub requests: i64,
    pub failed_requests: i64,
    pub connections_by_status: Vec<(String, i64)>,
    pub failed_syncs: i64,
}

/// Everything the demo seed writes in one go, per table.
#[derive(Debug, Default)]
pub struct SeedBatch {
    pub organizations: Vec<OrganizationRow>,
    pub users: Vec<UserRow>,
    pub memberships: Vec<(String, String, String)>,
    pub sync_configs: Vec<config::SyncConfigVersionRow>,
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

/// Idle sessions end after this long without a request, whatever their absolute lifetime.
pub const SESSION_IDLE_MS: i64 = 12 * 3_600_000;

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
}

/// Organizations, users and memberships, and which organization an object belongs to.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn count_organizations(&self) -> StoreResult<i64>;
    /// Organizations by name, at most `limit`, optionally those whose name or slug starts with
    /// `prefix` (the staff organization picker).
    async fn list_organizations(&self, prefix: Option<&str>, limit: i64)
        -> StoreResult<Vec<OrganizationRow>>;
    async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<OrganizationRow>>;
    /// Creates an organization with both environments.
    async fn create_organization(&self, org: &OrganizationRow) -> StoreResult<()>;
    /// Deletes an organization and everything it owns, except its audit log entries.
    async fn delete_organization(&self, id: &str) -> StoreResult<()>;
    async fn create_user(&self, user: &UserRow) -> StoreResult<()>;
    async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>>;
    /// Deletes a user with their memberships and sessions; audit entries about them remain.
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn set_membership(
        &self,
        user_id: &str,
        organization_id: &str,
        role: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn remove_membership(&self, user_id: &str, organization_id: &str) -> StoreResult<()>;
    /// The user's memberships by organization name (at most 200).
    async fn memberships(&self, user_id: &str) -> StoreResult<Vec<MembershipRow>>;
    /// Which organization and environment an object belongs to. Only `server::access` calls
    /// this: it decides (and audits) whether the caller may look.
    async fn locate(&self, kind: ObjectKind, id: &str) -> StoreResult<Option<Scope>>;
}

/// Browser sessions and one-time reveals.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    /// The live session with this token: not expired, used within [`SESSION_IDLE_MS`], and whose
    /// user still belongs to the selected organization (or is staff).
    async fn get_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>>;
    /// Records activity for the idle timeout.
    async fn touch_session(&self, token_hash: &str, now: i64) -> StoreResult<()>;
    /// Selects the session's organization and environment, with the audit entry (for staff) in
    /// the same transaction.
    async fn set_session_context(
        &self,
        token_hash: &str,
        scope: &Scope,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Deletes expired and idle sessions and expired one-time values; returns how many sessions.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;
    async fn put_reveal(&self, reveal: &NewReveal) -> StoreResult<()>;
    /// Returns and deletes (atomically) a live one-time value of this session.
    async fn take_reveal(&self, id: &str, session_token_hash: &str, now: i64) -> StoreResult<Option<String>>;
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn insert_audit(&self, entry: &NewAuditEntry) -> StoreResult<()>;
    async fn list_audit(&self, organization_id: &str, limit: i64) -> StoreResult<Vec<AuditRow>>;
    /// A page of the audit log page, newest first.
    async fn audit_page(&self, query: &AuditQuery) -> StoreResult<Vec<AuditRow>>;
}

/// API keys: only their hashes are stored.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// API keys newest first, `limit` rows of `page`.
    async fn list_api_keys(&self, scope: &Scope, page: &Page, limit: i64) -> StoreResult<Vec<ApiKeyRow>>;
    /// Creates the key and its audit entry in one transaction.
    async fn create_api_key(&self, key: &NewApiKey, audit: &NewAuditEntry) -> StoreResult<()>;
    /// The key with this SHA-256 hash, revoked or not (the API tells the two apart).
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRow>>;
    /// Records that the key was used (the API calls this at most once a minute per key).
    async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()>;
    /// Revokes a live key of the scope, with its audit entry; `false` when there is none.
    async fn revoke_api_key(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
}

/// Connections and the connections list.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
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

/// Request logs and the overview counted from them.
#[async_trait]
pub trait RequestLogStore: Send + Sync {
    /// Inserts request logs in one transaction, each redacted first (`RequestLogRow::redact`).
    async fn insert_request_logs(&self, rows: &[RequestLogRow]) -> StoreResult<()>;
    /// Ingestion: redacts each row, hashes its content, and inserts those whose id is new, in one
    /// transaction. Returns the positions of rows whose id was already stored with another
    /// content (or in another environment): the conflicts. Rows stored before with the same
    /// content are neither inserted again nor conflicts.
    async fn ingest_request_logs(&self, rows: Vec<RequestLogRow>) -> StoreResult<Vec<usize>>;
    async fn overview(&self, scope: &Scope, since_ms: i64) -> StoreResult<OverviewCounts>;
    /// Up to `limit` rows in the query's page, always returned newest first.
    async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>>;
    /// For a windowed query (`RequestLogQuery::window`) whose page came back short: the id
    /// where its window ended, to search further from; `None` when the window saw every row.
    async fn scan_boundary(&self, query: &RequestLogQuery) -> StoreResult<Option<String>>;
    async fn get_request_log(&self, scope: &Scope, id: &str) -> StoreResult<Option<RequestLogRow>>;
}

/// Everything the app needs from its database: one `Arc<dyn Store>` per process, whose focused
/// parts each context uses (`sync::SyncStore` for the worker and backfills, and so on). Each
/// database's store declares it (`impl Store for SqliteStore {}`) once it implements the parts.
pub trait Store:
    AdminStore
    + AccountStore
    + SessionStore
    + AuditStore
    + ApiKeyStore
    + ConnectionStore
    + RequestLogStore
    + sync::SyncStore
    + config::SyncConfigStore
    + webhooks::WebhookStore
    + Send
    + Sync
    + 'static
{
}
