//! The Errors page (issue 21): failed requests grouped by error code, platform, method and path
//! template, with each group's share of its endpoint's requests, first and last seen, a trend
//! and the change from the period before. Read from the hourly rollups only, so it costs the
//! same however many request logs there are, and it counts every failure in the range (no
//! window of recent rows). Pages, the API and the CLI would all call [`report`].

use super::actor::Actor;
use super::service::ServiceResult;
use super::AppState;
use crate::domain::failures::{FailureRange, FailureSort};
use std::collections::{BTreeMap, HashMap};

/// One group of failures in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    /// The normalized code; empty for failures that carry none (then `statuses` says what).
    pub error_code: String,
    /// The HTTP statuses the group's requests were answered with, ascending.
    pub statuses: Vec<i64>,
    /// Empty when the requests reached no platform.
    pub platform_id: String,
    pub method: String,
    pub path_template: String,
    pub count: i64,
    /// All requests to the same platform, method and path template in the range.
    pub endpoint_requests: i64,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Failures per point of the range (`FailureRange::bin_millis`), oldest first.
    pub trend: Vec<i64>,
    /// The same group's failures in the period just before the range.
    pub previous: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReport {
    pub range: FailureRange,
    pub sort: FailureSort,
    /// `[from, to)`, whole hours ending with the current one.
    pub from: i64,
    pub to: i64,
    pub groups: Vec<FailureGroup>,
    /// Failed requests and all requests in the range.
    pub failed: i64,
    pub requests: i64,
}

/// Codes group failures; a failure without a code is grouped by its status instead.
type Key = (String, i64, String, String, String);

pub async fn report(
    state: &AppState,
    actor: &Actor,
    range: FailureRange,
    sort: FailureSort,
) -> ServiceResult<FailureReport> {
    let scope = actor.scope();
    let (from, to) = range.window(state.clock.now_ms());
    let before = from - range.millis();
    let rows = state.store.failure_rollups(&scope, before, to).await?;
    let totals: HashMap<(String, String, String), i64> = state
        .store
        .endpoint_totals(&scope, from, to)
        .await?
        .into_iter()
        .map(|(p, m, t, n)| ((p, m, t), n))
        .collect();
    let points = (range.millis() / range.bin_millis()) as usize;
    let mut groups: BTreeMap<Key, FailureGroup> = BTreeMap::new();
    let mut previous: HashMap<Key, i64> = HashMap::new();
    for r in rows {
        let key: Key = (
            r.error_code.clone(),
            if r.error_code.is_empty() { r.status_code } else { 0 },
            r.platform_id.clone(),
            r.method.clone(),
            r.path_template.clone(),
        );
        if r.hour < from {
            *previous.entry(key).or_default() += r.requests;
            continue;
        }
        let g = groups.entry(key).or_insert_with(|| FailureGroup {
            error_code: r.error_code.clone(),
            statuses: vec![],
            platform_id: r.platform_id.clone(),
            method: r.method.clone(),
            path_template: r.path_template.clone(),
            count: 0,
            endpoint_requests: 0,
            first_seen: i64::MAX,
            last_seen: i64::MIN,
            trend: vec![0; points],
            previous: 0,
        });
        g.count += r.requests;
        if !g.statuses.contains(&r.status_code) {
            g.statuses.push(r.status_code);
        }
        g.first_seen = g.first_seen.min(r.first_seen);
        g.last_seen = g.last_seen.max(r.last_seen);
        let point = ((r.hour - from) / range.bin_millis()) as usize;
        if let Some(p) = g.trend.get_mut(point) {
            *p += r.requests;
        }
    }
    let mut groups: Vec<FailureGroup> = groups
        .into_iter()
        .map(|(key, mut g)| {
            g.statuses.sort_unstable();
            g.previous = previous.get(&key).copied().unwrap_or(0);
            g.endpoint_requests = totals
                .get(&(g.platform_id.clone(), g.method.clone(), g.path_template.clone()))
                .copied()
                .unwrap_or(g.count)
                .max(g.count);
            g
        })
        .collect();
    match sort {
        FailureSort::Count => {
            groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)))
        }
        FailureSort::Recent => {
            groups.sort_by(|a, b| b.last_seen.cmp(&a.last_seen).then(b.count.cmp(&a.count)))
        }
        FailureSort::Change => groups
            .sort_by(|a, b| (b.count - b.previous).cmp(&(a.count - a.previous)).then(b.count.cmp(&a.count))),
    }
    Ok(FailureReport {
        range,
        sort,
        from,
        to,
        failed: groups.iter().map(|g| g.count).sum(),
        requests: totals.values().sum(),
        groups,
    })
}
