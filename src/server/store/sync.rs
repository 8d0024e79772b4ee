//! Sync runs and backfills: the worker's queue and what the console reads about it.
//!
//! The queue is the `sync_runs` table itself. A worker claims queued runs by setting a lease
//! (`lease_owner`, `lease_expires_at`) in one statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several workers never take the same run; SQLite has a single writer, which
//! serializes claims), extends the lease while it works, and finishes a run only while it still
//! holds the lease. A run whose lease expired (its process died) goes back to the queue and is
//! executed again from the start. So a run ends exactly once, whatever is killed when.
//!
//! Finishing a run also does what follows from it, in the same transaction: the connection's
//! status, last sync and configuration version, the backfill's progress and outcome, and the
//! webhook events (`sync.completed`, `connection.needs_reauth`, `backfill.completed`).

use super::{NewAuditEntry, Page, Scope, StoreResult};
use async_trait::async_trait;

/// A run to queue.
#[derive(Debug, Clone)]
pub struct NewSyncRun {
    pub id: String,
    pub connection_id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
    pub data_object: String,
    pub kind: crate::domain::SyncRunKind,
    pub queued_at: i64,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub trigger_kind: crate::domain::TriggerKind,
    pub backfill_id: Option<String>,
    pub triggered_by: Option<String>,
}

/// The connection a run is for.
#[derive(Debug, Clone)]
pub struct RunTarget {
    pub connection_id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
}

impl From<&super::ConnectionRow> for RunTarget {
    fn from(c: &super::ConnectionRow) -> Self {
        RunTarget {
            connection_id: c.id.clone(),
            organization_id: c.organization_id.clone(),
            environment: c.environment.clone(),
            platform_id: c.platform_id.clone(),
        }
    }
}

impl From<&ScheduleCandidate> for RunTarget {
    fn from(c: &ScheduleCandidate) -> Self {
        RunTarget {
            connection_id: c.id.clone(),
            organization_id: c.organization_id.clone(),
            environment: c.environment.clone(),
            platform_id: c.platform_id.clone(),
        }
    }
}

impl NewSyncRun {
    /// A run of one object of one connection, queued at `now` with a fresh id: every writer of
    /// runs builds them here, then sets the range, the backfill and who triggered it.
    pub fn new(
        target: &RunTarget,
        data_object: &str,
        kind: crate::domain::SyncRunKind,
        trigger: crate::domain::TriggerKind,
        now: i64,
    ) -> Self {
        NewSyncRun {
            id: crate::ids::make_id(crate::ids::prefix::SYNC_RUN, now, rand::random()),
            connection_id: target.connection_id.clone(),
            organization_id: target.organization_id.clone(),
            environment: target.environment.clone(),
            platform_id: target.platform_id.clone(),
            data_object: data_object.to_string(),
            kind,
            queued_at: now,
            range_from: None,
            range_to: None,
            trigger_kind: trigger,
            backfill_id: None,
            triggered_by: None,
        }
    }

    /// Over `[from, to]`.
    pub fn over(self, from: i64, to: i64) -> Self {
        NewSyncRun { range_from: Some(from), range_to: Some(to), ..self }
    }
}

#[derive(Debug, Clone)]
pub struct NewBackfill {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    /// JSON array of the data objects asked for.
    pub data_objects: String,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub config_version: i64,
    pub created_by: Option<String>,
    pub created_by_email: Option<String>,
    pub created_at: i64,
    pub idempotency_key: String,
    pub reason: Option<String>,
    pub connection_ids: Vec<String>,
    /// Connections moved to `config_version` in the same transaction (an apply's connections
    /// that need nothing fetched), so an apply is written whole or not at all.
    pub move_at_once: Vec<String>,
}

/// A run a worker now holds the lease of.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedRun {
    pub id: String,
    pub connection_id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
    pub data_object: String,
    pub kind: crate::domain::SyncRunKind,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub backfill_id: Option<String>,
    pub attempts: i64,
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Keep going: the lease is extended.
    Continue,
    /// The run's backfill was cancelled: stop at this step.
    Cancel,
    /// The lease is gone (expired and taken by another worker): stop without writing.
    Lost,
}

/// How a run ended, as the worker reports it.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub status: crate::domain::SyncRunStatus,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform_error: Option<String>,
    /// JSON array of the run's upstream calls.
    pub log: String,
    pub progress: i64,
    /// The platform refused the credentials: the connection needs re-authentication.
    pub needs_reauth: bool,
    /// What the classifier read in `platform_error`; filled by the store (`classify`).
    pub reading: ErrorReading,
}

/// The classifier's reading (`crate::classify`) of a failed run's raw platform error, as
/// stored beside the run: `confidence` is the stored code's when the classifier assigned it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorReading {
    pub confidence: Option<String>,
    pub cause: Option<String>,
    pub field: Option<String>,
    pub rule: Option<String>,
    pub classified_code: Option<String>,
}

impl ErrorReading {
    /// Classifies a failed run's raw platform error; `code` is the code the reporter sent, and
    /// becomes the classifier's when none was sent. Runs that did not fail, or carry no raw
    /// error, are left unread.
    pub fn of_run(
        platform: &str,
        status: crate::domain::SyncRunStatus,
        platform_error: Option<&str>,
        log: &str,
        code: &mut Option<String>,
    ) -> ErrorReading {
        let Some(body) = platform_error.filter(|_| status == crate::domain::SyncRunStatus::Failed) else {
            return ErrorReading::default();
        };
        // The platform's own answer: the last call in the run's log that failed.
        let failed_call = serde_json::from_str::<Vec<serde_json::Value>>(log).ok().and_then(|calls| {
            calls.iter().rev().find(|c| c["status"].as_u64().is_some_and(|s| s >= 400)).cloned()
        });
        let raw = crate::classify::RawError {
            platform: platform.to_string(),
            http_status: failed_call.as_ref().and_then(|c| c["status"].as_u64()).map(|s| s as u16),
            headers: Vec::new(),
            body: body.to_string(),
            method: failed_call.as_ref().and_then(|c| c["method"].as_str()).map(str::to_string),
            path: None,
        };
        let c = crate::classify::classify(&raw);
        let mut reading = ErrorReading {
            confidence: None,
            cause: Some(c.cause.as_str().to_string()),
            field: c.field.map(|f| f.chars().take(200).collect()),
            rule: Some(c.rule),
            classified_code: Some(c.code.to_string()),
        };
        if code.is_none() {
            *code = Some(c.code.to_string());
            reading.confidence = Some(c.confidence.as_str().to_string());
        }
        reading
    }
}

impl RunResult {
    /// The report with every secret replaced (`server::redact`): the store writes nothing else.
    pub fn redacted(&self) -> RunResult {
        use crate::server::redact;
        RunResult {
            error_message: redact::optional(self.error_message.as_deref()),
            platform_error: redact::optional(self.platform_error.as_deref()),
            log: redact::run_log(&self.log),
            error_code: self.error_code.clone(),
            reading: self.reading.clone(),
            ..*self
        }
    }

    /// The report as stored: redacted, then its raw error classified (`ErrorReading::of_run`).
    /// The store calls this on every path that finishes a run.
    pub fn prepared(&self, platform: &str) -> RunResult {
        let mut r = self.redacted();
        // A code sent keeps the confidence sent with it; the classifier's code takes its own.
        let sent = r.error_code.is_some().then(|| r.reading.confidence.clone()).flatten();
        r.reading =
            ErrorReading::of_run(platform, r.status, r.platform_error.as_deref(), &r.log, &mut r.error_code);
        if sent.is_some() {
            r.reading.confidence = sent;
        }
        r
    }

    /// A run that ended with `status` and nothing else to report yet; the fields that apply
    /// are set with struct update syntax.
    pub fn ended(status: crate::domain::SyncRunStatus) -> Self {
        RunResult {
            status,
            records_added: 0,
            records_updated: 0,
            records_deleted: 0,
            error_code: None,
            error_message: None,
            platform_error: None,
            log: "[]".into(),
            progress: 0,
            needs_reauth: false,
            reading: ErrorReading::default(),
        }
    }
}

/// A sync run with everything the console shows about it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SyncRunDetailRow {
    pub id: String,
    pub connection_id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
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
    pub platform_error: Option<String>,
    pub trigger_kind: crate::domain::TriggerKind,
    pub backfill_id: Option<String>,
    pub triggered_by_email: Option<String>,
    pub progress: i64,
    pub log: String,
    pub error_cause: Option<String>,
    pub error_field: Option<String>,
    pub error_rule: Option<String>,
    pub classified_code: Option<String>,
    pub error_confidence: Option<String>,
}

/// A backfill with its progress counted from its runs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackfillSummaryRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub status: crate::domain::BackfillStatus,
    pub data_objects: String,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub config_version: i64,
    pub created_by_email: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub connections: i64,
    pub runs_total: i64,
    pub runs_done: i64,
    pub runs_failed: i64,
}

/// Filters of a connection's sync history; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct SyncRunQuery {
    pub data_object: Option<String>,
    pub status: Option<String>,
    pub kind: Option<String>,
    /// Id range for the time filter: `from_id <= id < to_id`.
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub page: Page,
    pub limit: i64,
}

/// A connection the scheduler considers.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduleCandidate {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub platform_id: String,
    pub config_version: i64,
    /// When its last scheduled (or initial) sync was queued.
    pub last_scheduled: Option<i64>,
    /// Its runs queued or running now.
    pub active: i64,
    /// When its oldest queued run was queued, if one waits (a due sync that did not run).
    pub queued_since: Option<i64>,
    /// When the first configuration version newer than the one it runs was saved, if any.
    pub behind_since: Option<i64>,
}

#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Creates a backfill, its connections and its runs, with the audit entry, in one
    /// transaction. A second call with the same idempotency key (a double submit) creates
    /// nothing and returns the first backfill's id with `false`.
    async fn create_backfill(
        &self,
        backfill: &NewBackfill,
        runs: &[NewSyncRun],
        audit: &NewAuditEntry,
    ) -> StoreResult<(String, bool)>;
    /// Queues runs (a "sync now", or the scheduler), with an optional audit entry.
    async fn queue_runs(&self, runs: &[NewSyncRun], audit: Option<&NewAuditEntry>) -> StoreResult<()>;
    /// Takes up to `limit` queued runs, oldest first, under a lease for `owner`: of every
    /// organization (the in-process worker), or of one `scope` (a data plane holding that
    /// environment's ingest key, over the API).
    async fn claim_runs(
        &self,
        scope: Option<&Scope>,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedRun>>;
    /// Puts back in the queue the running runs whose lease expired.
    async fn requeue_expired(&self, now: i64) -> StoreResult<u64>;
    /// Extends the lease by the length its claim asked for (`lease_ms` only for runs claimed
    /// before that was recorded) and records progress, if `owner` still holds it.
    async fn heartbeat_run(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_ms: i64,
        progress: i64,
        log: &str,
    ) -> StoreResult<Heartbeat>;
    /// Ends a run held by `owner`, with everything that follows from it (module docs).
    /// `false` when the lease was lost: nothing is written.
    async fn finish_run(&self, id: &str, owner: &str, now: i64, result: &RunResult) -> StoreResult<bool>;
    /// Cancels a backfill that has not ended: queued runs end as cancelled at once, running
    /// ones at their next step. `false` when there was nothing to cancel.
    async fn cancel_backfill(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    async fn list_backfills(
        &self,
        scope: &Scope,
        status: Option<&str>,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<BackfillSummaryRow>>;
    async fn get_backfill(&self, scope: &Scope, id: &str) -> StoreResult<Option<BackfillSummaryRow>>;
    /// The runs of a backfill for up to `limit` of its connections after `after_connection`
    /// (its matrix, one page of connections at a time).
    async fn backfill_runs(
        &self,
        scope: &Scope,
        id: &str,
        after_connection: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<SyncRunDetailRow>>;
    /// A connection's sync history, or the whole environment's runs, newest first.
    async fn list_sync_runs(
        &self,
        scope: &Scope,
        connection_id: Option<&str>,
        q: &SyncRunQuery,
    ) -> StoreResult<Vec<SyncRunDetailRow>>;
    async fn get_sync_run(&self, scope: &Scope, id: &str) -> StoreResult<Option<SyncRunDetailRow>>;
    /// Per data object of the connection: its latest run and its latest successful finish.
    async fn object_states(
        &self,
        scope: &Scope,
        connection_id: &str,
    ) -> StoreResult<Vec<(SyncRunDetailRow, Option<i64>)>>;
    /// The current data sync configuration of an integration type: version and settings.
    async fn current_sync_config(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
    ) -> StoreResult<Option<(i64, serde_json::Value)>>;
    /// Healthy and degraded connections after `after` (by id), at most `limit`, for the
    /// scheduler.
    async fn schedule_candidates(&self, after: &str, limit: i64) -> StoreResult<Vec<ScheduleCandidate>>;
    /// The settings of one configuration version.
    async fn sync_config_version(
        &self,
        organization_id: &str,
        environment: &str,
        integration_type: crate::domain::IntegrationType,
        version: i64,
    ) -> StoreResult<Option<serde_json::Value>>;
    /// Webhook events of the scope (optionally of one connection), newest first.
    async fn list_events(
        &self,
        scope: &Scope,
        connection_id: Option<&str>,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<super::WebhookEventRow>>;
    /// Audit entries about one object (a connection's Activity tab), newest first.
    async fn audit_for_target(
        &self,
        organization_id: &str,
        target_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<super::AuditRow>>;
    /// Failed runs of the connection since `since`.
    async fn failed_runs_since(&self, scope: &Scope, connection_id: &str, since: i64) -> StoreResult<i64>;
}

pub(crate) const RUN_COLUMNS: &str = "r.id, r.connection_id, r.organization_id, r.environment, r.platform_id, r.data_object, \
    r.kind, r.status, r.queued_at, r.started_at, r.finished_at, r.records_added, r.records_updated, r.records_deleted, \
    r.range_from, r.range_to, r.error_code, r.error_message, r.platform_error, r.trigger_kind, r.backfill_id, \
    u.email AS triggered_by_email, r.progress, r.log, r.error_cause, r.error_field, r.error_rule, r.classified_code, \
    r.error_confidence";

pub(crate) const BACKFILL_COLUMNS: &str = "b.id, b.organization_id, b.environment, b.status, b.data_objects, b.range_from, \
    b.range_to, b.config_version, b.created_by_email, b.reason, b.created_at, b.started_at, b.finished_at, b.cancelled_at, \
    (SELECT COUNT(*) FROM backfill_connections bc WHERE bc.backfill_id = b.id) AS connections, \
    (SELECT COUNT(*) FROM sync_runs r WHERE r.backfill_id = b.id) AS runs_total, \
    (SELECT COUNT(*) FROM sync_runs r WHERE r.backfill_id = b.id AND r.status NOT IN ('queued', 'running')) AS runs_done, \
    (SELECT COUNT(*) FROM sync_runs r WHERE r.backfill_id = b.id AND r.status = 'failed') AS runs_failed";

/// The terminal statuses of a run.
pub const TERMINAL: &[&str] = &["succeeded", "partial", "failed", "not_supported", "cancelled"];

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
    /// The platform's raw error of a failed run; the store classifies it on insert.
    pub platform_error: Option<String>,
    /// JSON array of the run's upstream calls (the failed one gives the classifier its status).
    pub log: String,
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
