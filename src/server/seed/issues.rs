//! The demo's issues, found by the same detectors as live data, from what the seed wrote: the
//! requests as if they had just been ingested (in time order), each connection's last runs, the
//! connections needing re-authentication and the failing webhook endpoints. Time-based checks
//! (a due sync that did not run, a connection behind its configuration) are the scheduler's, at
//! its first round; quiet periods that already passed are applied at the end.

use super::Conn;
use crate::domain::issues::FAILING_RUNS;
use crate::domain::{ConnectionStatus, SyncRunStatus};
use crate::server::store::issues::{Observation, RequestFact};
use crate::server::store::{RequestLogRow, Scope, Store, StoreResult, SyncRunRow, WebhookEndpointRow};
use std::collections::BTreeMap;

/// A batch of seeded requests, as ingestion's detection would have seen it.
pub(super) async fn requests(store: &dyn Store, rows: &[RequestLogRow]) -> StoreResult<()> {
    let mut by_scope: BTreeMap<(String, String), Vec<RequestFact>> = BTreeMap::new();
    for r in rows {
        let fact = if r.status_code >= 400 {
            // Classified as the store classifies it on insert.
            let mut r = r.clone();
            r.redact();
            r.classify();
            RequestFact::of(&r)
        } else {
            RequestFact::of(r)
        };
        by_scope.entry((r.organization_id.clone(), r.environment.clone())).or_default().push(fact);
    }
    for ((org, env), mut facts) in by_scope {
        facts.sort_by_key(|f| f.created_at);
        let now = facts.last().map(|f| f.created_at).unwrap_or_default();
        crate::server::issues::after_requests(store, &Scope::new(org, env), &facts, now).await?;
    }
    Ok(())
}

/// A connection's state as the worker and the status reports would have left it.
pub(super) async fn connection(store: &dyn Store, conn: &Conn, runs: &[SyncRunRow]) -> StoreResult<()> {
    let c = &conn.row;
    let scope = Scope::new(c.organization_id.clone(), c.environment.clone());
    let mut found = vec![];
    if conn.status == ConnectionStatus::NeedsReauth {
        let at = c.status_since.or(conn.incident_at).unwrap_or(c.created_at);
        found.push(Observation::credentials(&c.id, Some(&c.platform_id), c.status_reason.as_deref(), at));
    }
    // Each object's finished runs, newest first: a streak of failures at the top is an issue.
    let mut by_object: BTreeMap<&str, Vec<&SyncRunRow>> = BTreeMap::new();
    for r in runs.iter().filter(|r| {
        matches!(r.status, SyncRunStatus::Succeeded | SyncRunStatus::Partial | SyncRunStatus::Failed)
    }) {
        by_object.entry(r.data_object.as_str()).or_default().push(r);
    }
    for (object, mut list) in by_object {
        list.sort_by(|a, b| b.id.cmp(&a.id));
        let streak = list.iter().take_while(|r| r.status == SyncRunStatus::Failed).count() as i64;
        if streak < FAILING_RUNS {
            continue;
        }
        let last = list[0];
        let at = last.finished_at.unwrap_or(last.queued_at);
        let mut o = Observation::object_failing(
            &c.id,
            Some(&c.platform_id),
            object,
            &last.id,
            last.error_code.as_deref(),
            last.error_message.as_deref(),
            at,
        );
        // Every failed run of the streak, as the live detector counts them (3 when it opens,
        // one each after); it began with the streak's first.
        o.occurrences = streak;
        let first = list[streak as usize - 1];
        o.since = Some(first.finished_at.unwrap_or(first.queued_at));
        found.push(o);
    }
    store.observe_issues(&scope, &found).await?;
    Ok(())
}

/// Each failing endpoint's failed attempts since it started failing: (how many, the last).
#[derive(Default)]
pub(super) struct FailedAttempts(std::collections::HashMap<String, (i64, i64)>);

impl FailedAttempts {
    pub(super) fn count(
        &mut self,
        endpoints: &[WebhookEndpointRow],
        b: &crate::server::store::admin::SeedBatch,
    ) {
        let since: std::collections::HashMap<&str, i64> =
            endpoints.iter().filter_map(|e| e.failing_since.map(|t| (e.id.as_str(), t))).collect();
        let endpoint_of: std::collections::HashMap<&str, &str> =
            b.webhook_deliveries.iter().map(|d| (d.id.as_str(), d.endpoint_id.as_str())).collect();
        for a in &b.webhook_attempts {
            let Some(ep) = endpoint_of.get(a.delivery_id.as_str()) else { continue };
            let failed = !a.response_status.is_some_and(|s| (200..300).contains(&s));
            if failed && since.get(ep).is_some_and(|t| a.attempted_at >= *t) {
                let e = self.0.entry(ep.to_string()).or_insert((0, i64::MIN));
                e.0 += 1;
                e.1 = e.1.max(a.attempted_at);
            }
        }
    }
}

/// Endpoints the seed left failing (an issue once 4 attempts in a row failed, each failed
/// attempt one occurrence) or disabled.
pub(super) async fn endpoints(
    store: &dyn Store,
    endpoints: &[WebhookEndpointRow],
    failed: &FailedAttempts,
) -> StoreResult<()> {
    for e in endpoints {
        let scope = Scope::new(e.organization_id.clone(), e.environment.clone());
        let mut seen = vec![];
        if let (Some(kind), Some(at)) = (&e.disabled_kind, e.disabled_at) {
            if kind == "automatic" {
                let reason = e.disabled_reason.clone().unwrap_or_default();
                seen.push(Observation::endpoint_disabled(&e.id, &e.url, &reason, at));
            }
        } else if let (Some(since), Some(&(n, last))) = (e.failing_since, failed.0.get(&e.id)) {
            if e.enabled && n >= crate::domain::issues::ENDPOINT_FAILURES {
                // It began when the endpoint started failing; every failed attempt since counts.
                let mut o = Observation::endpoint_failing(&e.id, &e.url, None, last);
                o.since = Some(since);
                o.occurrences = n;
                seen.push(o);
            }
        }
        store.observe_issues(&scope, &seen).await?;
    }
    Ok(())
}
