//! The issues context: problems detected as data arrives, one issue per problem and scope, and
//! what people do with them.
//!
//! Detection never scans logs. Each detector looks at what just happened:
//! - ingestion of request logs (`store/request_logs/sql.rs`, in the batch's last transaction):
//!   missing permission and sustained rate limiting per connection, and the hourly error-rate
//!   counters; right after the batch, error-rate spikes per platform and API path against them
//!   (`check_spikes`); the demo seed does both through `after_requests`;
//! - a run finishing (`store/sync/sql.rs`, in the run's own transaction): a data object failing
//!   [`FAILING_RUNS`] runs in a row, credentials refused (the connection moved to
//!   `needs_reauth`), and their clearing;
//! - a connection's status reported by the data plane (`store/connections/sql.rs`);
//! - a delivery attempt ending (`store/webhooks/sql.rs`): an endpoint's 4th failed attempt in a
//!   row, and its disabling;
//! - the scheduler's round over active connections (`check_connections`): a due sync that did
//!   not run, and connections behind the configuration for more than a day; the same round
//!   resolves issues whose quiet period passed (`sweep`).

pub mod detect;

use super::actor::{Actor, Viewer};
use super::audit::Audit;
use super::service::{page_from_cursors, parse_id_param, ServiceError, ServiceResult};
use super::store::issues::{
    ActOutcome, Clearance, IssueAction, IssueChange, IssueEventRow, IssueQuery, IssueRow, Observation,
    RequestFact,
};
use super::store::{keyset_window, Scope, Store, StoreResult};
use super::AppState;
use crate::domain::issues::{IssueFilters, IssueKind, IssueSeverity, MuteRequest};
use crate::domain::{AuditAction, Role, PLATFORMS};
use crate::ids::prefix;

pub use crate::domain::issues::FAILING_RUNS;

/// Detection after a batch of request logs was stored (`facts` are the stored rows'): opens,
/// counts and escalates issues, and keeps the error-rate counters. Returns the changes. Used
/// where rows were written without ingestion's report (the demo seed).
pub async fn after_requests(
    store: &dyn Store,
    scope: &Scope,
    facts: &[RequestFact],
    now: i64,
) -> StoreResult<Vec<IssueChange>> {
    let found = detect::from_requests(facts);
    let totals = store.add_error_rates(scope, &found.buckets).await?;
    let mut changes = store.observe_issues(scope, &found.observations).await?;
    changes.extend(check_spikes(store, scope, &found, &totals, now).await?);
    Ok(changes)
}

/// After ingestion stored a batch with its error-rate counters (`totals`, beside
/// `found.buckets`) and the issues its requests showed: checks each bucket that failed enough
/// for a spike against the hours before it. The counters are cumulative, so if this check is
/// lost (the process stopped right after the batch committed), the next batch on that path
/// makes it with the same figures.
pub async fn check_spikes(
    store: &dyn Store,
    scope: &Scope,
    found: &detect::Found,
    totals: &[super::store::issues::RateTotals],
    now: i64,
) -> StoreResult<Vec<IssueChange>> {
    let mut spikes = vec![];
    for ((bucket, totals), failing) in found.buckets.iter().zip(totals).zip(&found.failing) {
        // A spike needs its failures and a failure rate of at least the minimum jump on its
        // own; only then is the baseline worth a read.
        let rate = 100.0 * totals.failed as f64 / totals.total.max(1) as f64;
        if bucket.failed == 0
            || totals.failed < crate::domain::issues::SPIKE_MIN_FAILED
            || rate < crate::domain::issues::SPIKE_MIN_RATE_POINTS
        {
            continue;
        }
        let from = bucket.hour - crate::domain::issues::SPIKE_BASELINE_HOURS * 3_600_000;
        let baseline =
            store.error_rate_between(scope, &bucket.platform_id, &bucket.api_path, from, bucket.hour).await?;
        if let Some(o) = detect::spike(bucket, *totals, baseline, failing, now) {
            spikes.push(o);
        }
    }
    store.observe_issues(scope, &spikes).await
}

/// Resolves issues whose quiet period passed and ends mutes whose time ran out. Runs with the
/// scheduler's round; it reads only unresolved issues (an index range), never logs.
pub async fn sweep(store: &dyn Store, now: i64) -> StoreResult<Vec<IssueChange>> {
    let mut changes = vec![];
    for (kind, quiet_ms, why) in [
        (IssueKind::RateLimited, 3_600_000, "An hour passed without a 429 from the platform."),
        (IssueKind::MissingPermission, 86_400_000, "A day passed without a permission error."),
        (IssueKind::ErrorSpike, 3_600_000, "An hour passed without a spike in the error rate."),
    ] {
        changes.extend(store.resolve_quiet(kind, now - quiet_ms, now, why).await?);
    }
    store.end_expired_mutes(now).await?;
    Ok(changes)
}

/// What the scheduler's round knows of one active connection.
#[derive(Debug, Clone)]
pub struct ConnectionCheck {
    pub scope: Scope,
    pub connection_id: String,
    pub platform_id: String,
    /// How often its syncs are due.
    pub period_ms: i64,
    /// When its oldest queued run was queued, if one waits.
    pub queued_since: Option<i64>,
    /// When the version after the one it runs was saved, if it runs behind.
    pub behind_since: Option<i64>,
}

/// Opens and resolves the issues of a page of active connections that depend on time passing
/// (a due sync that did not run, a connection behind the configuration).
pub async fn check_connections(store: &dyn Store, checks: &[ConnectionCheck], now: i64) -> StoreResult<()> {
    if checks.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = checks.iter().map(|c| c.connection_id.clone()).collect();
    for kind in [IssueKind::SyncOverdue, IssueKind::ConfigBehind] {
        let open: std::collections::HashSet<(Scope, String)> =
            store.unresolved_for_connections(kind, &ids).await?.into_iter().collect();
        let mut seen = std::collections::HashMap::<Scope, (Vec<Observation>, Vec<Clearance>)>::new();
        for c in checks {
            let key = crate::domain::issues::dedup_key(kind, &c.connection_id);
            let is_open = open.contains(&(c.scope.clone(), key));
            let found = match kind {
                IssueKind::SyncOverdue => detect::overdue(c, now),
                _ => detect::behind(c, now),
            };
            let entry = seen.entry(c.scope.clone()).or_default();
            match found {
                Some(o) if !is_open => entry.0.push(o),
                None if is_open => entry.1.push(Clearance {
                    kind,
                    scope_id: c.connection_id.clone(),
                    why: match kind {
                        IssueKind::SyncOverdue => "The connection's queued sync started.".into(),
                        _ => "The connection runs the newest configuration.".into(),
                    },
                    at: now,
                }),
                _ => {}
            }
        }
        for (scope, (observations, clearances)) in seen {
            store.observe_issues(&scope, &observations).await?;
            store.clear_issues(&scope, &clearances).await?;
        }
    }
    Ok(())
}

/// One page of issues.
pub struct IssuePage {
    pub rows: Vec<IssueRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// Checks the list's filters: every value must be one the list offers.
pub fn query(filters: &IssueFilters, scope: &Scope) -> ServiceResult<IssueQuery> {
    let statuses = filters.statuses()?;
    let one = |label: &str,
               v: &str,
               parse: &dyn Fn(&str) -> bool,
               choices: String|
     -> ServiceResult<Option<String>> {
        let v = v.trim();
        if v.is_empty() {
            Ok(None)
        } else if parse(v) {
            Ok(Some(v.to_string()))
        } else {
            Err(ServiceError::invalid(format!(
                "Unknown {label} \u{201c}{v}\u{201d}: choose one of {choices}."
            )))
        }
    };
    let names = |all: Vec<&str>| all.join(", ");
    let kind = one(
        "kind",
        &filters.kind,
        &|v| IssueKind::parse(v).is_some(),
        names(IssueKind::ALL.iter().map(|k| k.as_str()).collect()),
    )?
    .and_then(|v| IssueKind::parse(&v));
    let severity = one(
        "severity",
        &filters.severity,
        &|v| IssueSeverity::parse(v).is_some(),
        names(IssueSeverity::ALL.iter().map(|k| k.as_str()).collect()),
    )?
    .and_then(|v| IssueSeverity::parse(&v));
    let platform_id = one(
        "platform",
        &filters.platform,
        &|v| PLATFORMS.iter().any(|p| p.id == v),
        names(PLATFORMS.iter().map(|p| p.id).collect()),
    )?;
    let connection_id = Some(filters.connection.trim())
        .filter(|c| !c.is_empty())
        .map(|c| parse_id_param(prefix::CONNECTION, "a connection", c))
        .transpose()?;
    Ok(IssueQuery {
        scope: Some(scope.clone()),
        statuses,
        kind,
        severity,
        platform_id,
        connection_id,
        ..Default::default()
    })
}

/// One page of the actor's issues matching `filters`, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filters: &IssueFilters,
    before: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ServiceResult<IssuePage> {
    let mut q = query(filters, &actor.scope())?;
    q.page = page_from_cursors(prefix::ISSUE, "issue", before, after)?;
    q.limit = limit + 1;
    let rows = state.store.list_issues(&q).await?;
    let (rows, newer, older) = keyset_window(rows, &q.page, limit, |r| r.id.clone());
    Ok(IssuePage { rows, newer, older })
}

/// An issue with its timeline and the connections it affects.
pub struct IssueDetail {
    pub issue: IssueRow,
    pub events: Vec<IssueEventRow>,
    pub connections: Vec<String>,
}

pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ServiceResult<IssueDetail> {
    let id = parse_id_param(prefix::ISSUE, "an issue", id)?;
    let issue =
        state.store.get_issue(&actor.scope(), &id).await?.ok_or_else(|| actor_not_found(actor, &id))?;
    let events = state.store.issue_events(&issue.id).await?;
    let connections = state.store.issue_connections(&issue.id).await?;
    Ok(IssueDetail { issue, events, connections })
}

fn actor_not_found(actor: &Actor, id: &str) -> ServiceError {
    match actor {
        Actor::Person(_) => ServiceError::not_found(format!("No issue {id} was found in your organization.")),
        _ => ServiceError::not_found(format!("No issue {id} in this environment.")),
    }
}

/// A connection's unresolved issues, worst first (its page shows them at the top).
pub async fn for_connection(
    store: &dyn Store,
    scope: &Scope,
    connection_id: &str,
) -> ServiceResult<Vec<IssueRow>> {
    Ok(store.connection_issues(scope, connection_id, 20).await?)
}

/// The issue a failed request belongs to: an issue of its connection (or its platform and path)
/// of the kind its error is evidence of, whose time span covers the request.
pub async fn for_request(
    store: &dyn Store,
    scope: &Scope,
    request: &super::store::RequestLogRow,
) -> ServiceResult<Option<IssueRow>> {
    if request.status_code < 400 {
        return Ok(None);
    }
    let Some(connection_id) = &request.connection_id else { return Ok(None) };
    let kind = detect::request_kind(&RequestFact::of(request));
    let api_path = format!("{} {}", request.method, crate::domain::issues::path_template(&request.path));
    let candidates = store.connection_issues_any_status(scope, connection_id, 50).await?;
    Ok(candidates.into_iter().find(|i| {
        let during = i.first_seen <= request.created_at + 1 && request.created_at <= i.last_seen + 1;
        let about = Some(i.kind) == kind
            || (i.kind == IssueKind::ErrorSpike
                && i.api_path.as_deref() == Some(api_path.as_str())
                && i.platform_id == request.platform_id);
        during && about
    }))
}

/// Who may acknowledge, mute and resolve issues: the organization's owners, admins and
/// developers. Staff read them but do not act on a customer's issues (their rights end at
/// reading, syncing and resending), nor do viewers.
pub fn may_act(viewer: &Viewer) -> Result<(), String> {
    match viewer.role {
        Some(Role::Owner | Role::Admin | Role::Developer) => Ok(()),
        Some(Role::Viewer) => Err("Viewers can read issues but not change them. Ask a developer, admin or owner of your organization.".into()),
        None => Err("Staff can read this organization's issues but not change them: the customer's team owns them.".into()),
    }
}

/// What a person asks for on the issue page.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Acknowledge,
    Mute(MuteRequest),
    Unmute,
    Resolve,
    Reopen,
}

/// Applies a person's action, audited; notifies webhooks when it resolves or reopens the issue.
pub async fn act(state: &AppState, viewer: &Viewer, id: &str, act: Act) -> ServiceResult<()> {
    may_act(viewer).map_err(ServiceError::Forbidden)?;
    let id = parse_id_param(prefix::ISSUE, "an issue", id)?;
    let now = state.clock.now_ms();
    let (action, audit_action, details) = match act {
        Act::Acknowledge => (IssueAction::Acknowledge, AuditAction::IssueAcknowledge, serde_json::json!({})),
        Act::Mute(m) => {
            let details = serde_json::json!({"mode": m.mode.as_str(), "hours": m.hours, "factor": m.factor, "reason": m.reason});
            (
                IssueAction::Mute {
                    mode: m.mode,
                    until: m.hours.map(|h| now + h * 3_600_000),
                    factor: m.factor,
                    reason: m.reason,
                },
                AuditAction::IssueMute,
                details,
            )
        }
        Act::Unmute => (IssueAction::Unmute, AuditAction::IssueUnmute, serde_json::json!({})),
        Act::Resolve => (IssueAction::Resolve, AuditAction::IssueResolve, serde_json::json!({})),
        Act::Reopen => (IssueAction::Reopen, AuditAction::IssueReopen, serde_json::json!({})),
    };
    let audit = Audit::new(audit_action, "issue", &id, now).by_viewer(viewer).details(details).entry();
    match state.store.act_on_issue(&viewer.own_scope(), &id, &action, &viewer.email, now, &audit).await? {
        ActOutcome::Done(change) => {
            if change.is_some() {
                super::webhooks::delivery::wake();
            }
            Ok(())
        }
        ActOutcome::NotFound => {
            Err(ServiceError::not_found(format!("No issue {id} was found in your organization.")))
        }
        ActOutcome::NotApplicable(why) => Err(ServiceError::conflict(why)),
    }
}
