//! The Errors page (issue 21): failed requests grouped by error code, platform, method and path
//! template, with each group's share of its endpoint's requests, first and last seen, a trend
//! and the change from the period before. Read from the rollups only, so it costs the same
//! however many request logs there are, and it counts every failure in the range (no window of
//! recent rows): whole UTC days from the per-day tables (a week reads seven rows per group, not
//! 168), the hours since midnight from the hourly ones. Pages, the API and the CLI would all
//! call [`report`].

use super::actor::Actor;
use super::service::ServiceResult;
use super::store::rollups::{day_of, Grain};
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
    /// Failures per point of the range (`FailureRange::trend_bin_millis`), oldest first.
    pub trend: Vec<i64>,
    /// The same group's failures in the period compared with (`FailureRange::previous`).
    pub previous: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureReport {
    pub range: FailureRange,
    pub sort: FailureSort,
    /// `[from, to)`, ending with the current hour (`FailureRange::window`).
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
    let (before_from, before_to) = range.previous((from, to));
    let mut rows = failures_in(state, &scope, range, from, to).await?;
    let current = rows.len();
    rows.extend(failures_in(state, &scope, range, before_from, before_to).await?);
    let mut totals: HashMap<(String, String, String), i64> = HashMap::new();
    for (grain, a, b) in split(range, from, to) {
        for (p, m, t, n) in state.store.endpoint_totals(&scope, grain, a, b).await? {
            *totals.entry((p, m, t)).or_default() += n;
        }
    }
    let bin = range.trend_bin_millis();
    let points = FailureRange::bins_between(from, to, bin);
    let mut groups: BTreeMap<Key, FailureGroup> = BTreeMap::new();
    let mut previous: HashMap<Key, i64> = HashMap::new();
    for (i, r) in rows.into_iter().enumerate() {
        let key: Key = (
            r.error_code.clone(),
            if r.error_code.is_empty() { r.status_code } else { 0 },
            r.platform_id.clone(),
            r.method.clone(),
            r.path_template.clone(),
        );
        if i >= current {
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
        let point = ((r.hour - from) / bin) as usize;
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

/// `[from, to)` as the reads that answer it: the whole UTC days from the per-day tables, the
/// hours after the last midnight from the hourly ones (today, or the same hours a period
/// earlier). Rows stamped after `to` (a data plane's clock may run ahead) are then left out
/// here as on the Overview, whose charts read hours.
fn split(range: FailureRange, from: i64, to: i64) -> Vec<(Grain, i64, i64)> {
    // The 24-hour range's trend has a point per hour: hours throughout.
    if range.trend_bin_millis() < 86_400_000 || from.rem_euclid(86_400_000) != 0 {
        return vec![(Grain::Hour, from, to)];
    }
    let midnight = day_of(to).max(from);
    let mut parts = vec![];
    if midnight > from {
        parts.push((Grain::Day, from, midnight));
    }
    if to > midnight {
        parts.push((Grain::Hour, midnight, to));
    }
    parts
}

async fn failures_in(
    state: &AppState,
    scope: &super::store::Scope,
    range: FailureRange,
    from: i64,
    to: i64,
) -> ServiceResult<Vec<super::store::rollups::RequestCount>> {
    let mut rows = vec![];
    for (grain, a, b) in split(range, from, to) {
        rows.extend(state.store.failure_rollups(scope, grain, a, b).await?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    #[test]
    fn a_range_reads_whole_days_per_day_and_the_rest_per_hour() {
        let week = FailureRange::Week;
        assert_eq!(
            split(week, 10 * D, 16 * D + 5 * H),
            vec![(Grain::Day, 10 * D, 16 * D), (Grain::Hour, 16 * D, 16 * D + 5 * H)]
        );
        assert_eq!(split(week, 10 * D, 17 * D), vec![(Grain::Day, 10 * D, 17 * D)]);
        assert_eq!(split(week, 10 * D, 10 * D + 3 * H), vec![(Grain::Hour, 10 * D, 10 * D + 3 * H)]);
        // 24 hours are read per hour, even when they happen to be one whole day.
        let day = FailureRange::Day;
        assert_eq!(split(day, 10 * D, 11 * D), vec![(Grain::Hour, 10 * D, 11 * D)]);
        assert_eq!(
            split(day, 10 * D + 5 * H, 11 * D + 5 * H),
            vec![(Grain::Hour, 10 * D + 5 * H, 11 * D + 5 * H)]
        );
    }
}
