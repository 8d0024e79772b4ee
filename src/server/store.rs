//! Persistence. One `Store` trait made of one part per context (`accounts`, `audit`,
//! `connections`, `request_logs`, `sync`, `sync_config`, `webhooks`, ...), implemented for
//! SQLite and PostgreSQL; the implementation is chosen from the database URL at start-up. Row
//! types are the database's shape; services and pages convert them into their own types.
//!
//! Times are stored as `BIGINT` milliseconds since the epoch in both databases: the same SQL then
//! runs on both, comparisons are integer comparisons, and no time zone is ever stored by mistake.

// One module per context: its rows, its trait and, in `<context>/sql.rs`, its SQL (compiled
// once per database by `sqlite.rs` and `postgres.rs`).
pub mod accounts;
pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod connections;
pub mod issues;
pub mod notifications;
pub mod request_logs;
pub mod retention;
pub mod rollups;
pub mod sync;
pub mod sync_config;
pub mod webhooks;

mod migrate;
mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;
// The contexts' rows and traits, also reachable from here, where most callers import them.
pub use accounts::*;
pub use admin::*;
pub use api_keys::*;
pub use audit::*;
pub use connections::*;
pub use request_logs::*;
pub use sync::{BackfillRow, SyncRunRow};
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

    /// What staff looking at one from outside its organization is audited as.
    pub fn staff_view_action(self) -> crate::domain::AuditAction {
        use crate::domain::AuditAction;
        match self {
            ObjectKind::Request => AuditAction::StaffViewRequest,
            ObjectKind::Connection => AuditAction::StaffViewConnection,
            ObjectKind::WebhookEndpoint => AuditAction::StaffViewWebhookEndpoint,
            ObjectKind::WebhookDelivery => AuditAction::StaffViewWebhookDelivery,
        }
    }

    /// The target type in audit entries.
    pub fn code(self) -> &'static str {
        match self {
            ObjectKind::Request => "request",
            ObjectKind::Connection => "connection",
            ObjectKind::WebhookEndpoint => "webhook_endpoint",
            ObjectKind::WebhookDelivery => "webhook_delivery",
        }
    }
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
    + issues::IssueStore
    + notifications::NotificationStore
    + RequestLogStore
    + rollups::RollupStore
    + rollups::OutcomeStore
    + retention::RetentionStore
    + sync::SyncStore
    + sync_config::SyncConfigStore
    + webhooks::WebhookStore
    + Send
    + Sync
    + 'static
{
}
