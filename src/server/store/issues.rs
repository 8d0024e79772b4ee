//! Issues (see `server::issues`): one row per problem and scope, its timeline, the connections
//! it affects, and the small counters detection keeps instead of counting log rows.

use super::{NewAuditEntry, Page, Scope, StoreResult};
use crate::domain::issues::{IssueEventAction, IssueKind, IssueSeverity, IssueStatus, MuteMode};
use async_trait::async_trait;

/// What issue detection needs of an ingested request.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFact {
    pub id: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i64,
    pub error_code: Option<String>,
    pub error_cause: Option<String>,
    pub created_at: i64,
}

impl RequestFact {
    pub fn of(r: &super::RequestLogRow) -> Self {
        RequestFact {
            id: r.id.clone(),
            connection_id: r.connection_id.clone(),
            platform_id: r.platform_id.clone(),
            method: r.method.clone(),
            path: r.path.clone(),
            status_code: r.status_code,
            error_code: r.error_code.clone(),
            error_cause: r.error_cause.clone(),
            created_at: r.created_at,
        }
    }
}

/// What ingestion hands issue detection: the stored rows' facts, what they show (observations
/// to record, error-rate buckets) and the buckets' totals, written with the rows.
#[derive(Debug, Default)]
pub struct IngestReport {
    /// Positions of rows refused as conflicts (see `RequestLogStore::ingest_request_logs`).
    pub conflicts: Vec<usize>,
    pub found: crate::server::issues::detect::Found,
    /// Beside each of `found.buckets`, its totals after the batch.
    pub totals: Vec<RateTotals>,
    /// What recording `found.observations` changed: they are recorded in the batch's last
    /// transaction, so the requests and the issues they show commit together (a process killed
    /// in between cannot store one without the other; a retry stores and counts nothing twice).
    pub changes: Vec<IssueChange>,
}

/// One or more occurrences of a problem, as a detector saw them.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub kind: IssueKind,
    /// The scope's id: a connection id, `conn_…:invoices`, an endpoint id, `platform METHOD path`.
    pub scope_id: String,
    /// The kind's severity, or worse (an endpoint that was disabled is critical).
    pub severity: IssueSeverity,
    /// What was seen, in one sentence (the issue's latest summary).
    pub summary: String,
    pub platform_id: Option<String>,
    pub connection_ids: Vec<String>,
    pub data_object: Option<String>,
    pub endpoint_id: Option<String>,
    pub api_path: Option<String>,
    /// The newest request, run or delivery that showed it.
    pub evidence_id: Option<String>,
    pub occurrences: i64,
    /// When it was seen (the issue's last seen; its first seen when it opens, unless `since`).
    pub at: i64,
    /// When the problem began, if before `at`: the first request of the batch that showed it,
    /// the time a sync became overdue. A new issue's first seen.
    pub since: Option<i64>,
    /// Opens only once this many occurrences fell within this window (sustained rate limiting);
    /// an issue already unresolved counts every occurrence.
    pub threshold: Option<Threshold>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub hits: i64,
    pub window_ms: i64,
}

impl Observation {
    pub fn new(kind: IssueKind, scope_id: impl Into<String>, summary: impl Into<String>, at: i64) -> Self {
        Observation {
            kind,
            scope_id: scope_id.into(),
            severity: kind.severity(),
            summary: summary.into(),
            platform_id: None,
            connection_ids: vec![],
            data_object: None,
            endpoint_id: None,
            api_path: None,
            evidence_id: None,
            occurrences: 1,
            at,
            since: None,
            threshold: None,
        }
    }

    /// The issue a connection moved to `needs_reauth` opens (a run's worker, the data plane's
    /// status report and the demo seed all build it here).
    pub fn credentials(
        connection_id: &str,
        platform_id: Option<&str>,
        reason: Option<&str>,
        at: i64,
    ) -> Self {
        let summary = match reason.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => format!("The platform refused the connection's credentials: {r}"),
            None => "The platform refused the connection's credentials.".to_string(),
        };
        let mut o = Observation::new(IssueKind::Credentials, connection_id, summary, at);
        o.platform_id = platform_id.map(str::to_string);
        o.connection_ids = vec![connection_id.to_string()];
        o
    }

    /// An endpoint whose delivery attempts keep failing (`last` says how the newest ended); the
    /// attempt that records it and the demo seed both build it here.
    pub fn endpoint_failing(endpoint_id: &str, url: &str, last: Option<&str>, at: i64) -> Self {
        let summary = match last {
            Some(l) => format!("Delivery attempts to {url} keep failing; the last: {l}."),
            None => format!("Delivery attempts to {url} keep failing."),
        };
        let mut o = Observation::new(IssueKind::EndpointFailing, endpoint_id, summary, at);
        o.endpoint_id = Some(endpoint_id.to_string());
        o
    }

    /// An endpoint disabled automatically: its issue (open or opened now) becomes critical.
    pub fn endpoint_disabled(endpoint_id: &str, url: &str, reason: &str, at: i64) -> Self {
        let summary = format!("{url} was disabled automatically: {reason}");
        let mut o = Observation::new(IssueKind::EndpointFailing, endpoint_id, summary, at);
        o.severity = IssueSeverity::Critical;
        o.endpoint_id = Some(endpoint_id.to_string());
        o
    }

    /// A data object failing `FAILING_RUNS` runs in a row, the last with this error (the
    /// finishing run and the demo seed both build it here).
    #[allow(clippy::too_many_arguments)]
    pub fn object_failing(
        connection_id: &str,
        platform_id: Option<&str>,
        data_object: &str,
        run_id: &str,
        error_code: Option<&str>,
        error_message: Option<&str>,
        at: i64,
    ) -> Self {
        let error = match (error_code, error_message) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            (None, Some(m)) => m.to_string(),
            (None, None) => "no error recorded".into(),
        };
        let runs = crate::domain::issues::FAILING_RUNS;
        let summary = format!("{data_object} failed {runs} runs in a row; the last: {error}");
        let mut o =
            Observation::new(IssueKind::ObjectFailing, format!("{connection_id}:{data_object}"), summary, at);
        o.platform_id = platform_id.map(str::to_string);
        o.connection_ids = vec![connection_id.to_string()];
        o.data_object = Some(data_object.to_string());
        o.evidence_id = Some(run_id.to_string());
        o
    }

    pub fn dedup_key(&self) -> String {
        crate::domain::issues::dedup_key(self.kind, &self.scope_id)
    }
}

/// The problem `kind` in `scope_id` cleared: its unresolved issue resolves.
#[derive(Debug, Clone, PartialEq)]
pub struct Clearance {
    pub kind: IssueKind,
    pub scope_id: String,
    /// Why, as the timeline says it ("the run of invoices succeeded").
    pub why: String,
    pub at: i64,
}

/// A change of an issue's status that others hear about (webhook events, notifications).
#[derive(Debug, Clone, PartialEq)]
pub struct IssueChange {
    pub issue_id: String,
    pub organization_id: String,
    pub environment: String,
    pub kind: IssueKind,
    pub severity: IssueSeverity,
    pub action: IssueEventAction,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssueRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub kind: IssueKind,
    pub severity: IssueSeverity,
    pub status: IssueStatus,
    pub regressed: bool,
    pub summary: String,
    pub platform_id: Option<String>,
    pub connection_id: Option<String>,
    pub data_object: Option<String>,
    pub endpoint_id: Option<String>,
    pub api_path: Option<String>,
    pub evidence_id: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub occurrences: i64,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<i64>,
    pub mute_mode: Option<MuteMode>,
    pub muted_until: Option<i64>,
    pub mute_threshold: Option<i64>,
    pub mute_reason: Option<String>,
    pub muted_by: Option<String>,
    pub resolved_at: Option<i64>,
    pub resolved_by: Option<String>,
    pub updated_at: i64,
}

pub const ISSUE_COLUMNS: &str = "i.id, i.organization_id, i.environment, i.kind, i.severity, i.status, i.regressed, \
     i.summary, i.platform_id, i.connection_id, i.data_object, i.endpoint_id, i.api_path, i.evidence_id, \
     i.first_seen, i.last_seen, i.occurrences, i.acknowledged_by, i.acknowledged_at, i.mute_mode, i.muted_until, \
     i.mute_threshold, i.mute_reason, i.muted_by, i.resolved_at, i.resolved_by, i.updated_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IssueEventRow {
    pub id: String,
    pub issue_id: String,
    pub at: i64,
    pub action: IssueEventAction,
    pub actor_email: Option<String>,
    pub detail: String,
}

/// The issues list's filters, all optional. `statuses` empty means every status.
#[derive(Debug, Clone, Default)]
pub struct IssueQuery {
    pub scope: Option<Scope>,
    pub statuses: Vec<IssueStatus>,
    pub kind: Option<IssueKind>,
    pub severity: Option<IssueSeverity>,
    pub platform_id: Option<String>,
    pub connection_id: Option<String>,
    pub page: Page,
    pub limit: i64,
}

/// What a person does to an issue.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueAction {
    Acknowledge,
    Mute { mode: MuteMode, until: Option<i64>, factor: Option<i64>, reason: String },
    Unmute,
    Resolve,
    Reopen,
}

/// What became of a person's action.
#[derive(Debug, Clone, PartialEq)]
pub enum ActOutcome {
    /// Done; the change others hear about, if it changed whether the issue is resolved.
    Done(Option<IssueChange>),
    /// No such issue in the caller's scope.
    NotFound,
    /// The action does not apply to the issue as it is now; the message says why.
    NotApplicable(String),
}

/// Requests and failures of one platform and API path in one hour, from one ingested batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateBucket {
    pub platform_id: String,
    pub api_path: String,
    pub hour: i64,
    pub total: i64,
    pub failed: i64,
}

/// A bucket's totals after a batch was added, and over the hours before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateTotals {
    pub total: i64,
    pub failed: i64,
}

#[async_trait]
pub trait IssueStore: Send + Sync {
    /// Records what detectors saw, in one transaction: each observation opens its issue, counts
    /// an occurrence on it, reopens it (a regression within 7 days) or opens a new one, ends a
    /// mute that ran out or that the issue outgrew; with `issue.*` webhook events. Returns the
    /// changes of status.
    async fn observe_issues(
        &self,
        scope: &Scope,
        observations: &[Observation],
    ) -> StoreResult<Vec<IssueChange>>;
    /// Resolves the unresolved issues of these problems.
    async fn clear_issues(&self, scope: &Scope, clearances: &[Clearance]) -> StoreResult<Vec<IssueChange>>;
    /// Resolves every unresolved issue of `kind` (any organization) not seen since `quiet_since`.
    async fn resolve_quiet(
        &self,
        kind: IssueKind,
        quiet_since: i64,
        now: i64,
        why: &str,
    ) -> StoreResult<Vec<IssueChange>>;
    /// The keys (`kind:scope`) of `scope`'s unresolved issues of `kind` whose scope is one of
    /// `connection_ids` (the scheduler's round checks its page of connections at once).
    async fn unresolved_for_connections(
        &self,
        kind: IssueKind,
        connection_ids: &[String],
    ) -> StoreResult<Vec<(Scope, String)>>;
    /// Adds a batch's requests to the hourly error-rate buckets; returns each bucket's totals
    /// after the batch.
    async fn add_error_rates(&self, scope: &Scope, buckets: &[RateBucket]) -> StoreResult<Vec<RateTotals>>;
    /// A platform and API path's totals over the hours `[from_hour, to_hour)`.
    async fn error_rate_between(
        &self,
        scope: &Scope,
        platform_id: &str,
        api_path: &str,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<RateTotals>;
    /// A page of the issues list, newest first.
    async fn list_issues(&self, q: &IssueQuery) -> StoreResult<Vec<IssueRow>>;
    async fn get_issue(&self, scope: &Scope, id: &str) -> StoreResult<Option<IssueRow>>;
    /// The issue's timeline, oldest first (at most 200, the newest).
    async fn issue_events(&self, issue_id: &str) -> StoreResult<Vec<IssueEventRow>>;
    /// The connections it affects (at most 100).
    async fn issue_connections(&self, issue_id: &str) -> StoreResult<Vec<String>>;
    /// Unresolved issues affecting a connection, worst and newest first (at most `limit`).
    async fn connection_issues(
        &self,
        scope: &Scope,
        connection_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>>;
    /// A connection's issues of any status, newest first (the request page finds the one a
    /// request belongs to among them).
    async fn connection_issues_any_status(
        &self,
        scope: &Scope,
        connection_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>>;
    /// Ends the mutes whose time ran out (the issue is open again); returns how many.
    async fn end_expired_mutes(&self, now: i64) -> StoreResult<u64>;
    /// Applies a person's action with its audit entry, in one transaction.
    async fn act_on_issue(
        &self,
        scope: &Scope,
        id: &str,
        action: &IssueAction,
        actor_email: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<ActOutcome>;
}
