//! What is an issue, as pure functions of what just happened (no I/O): a batch of requests, a
//! connection's schedule, error-rate totals. `server::issues` feeds them and records what they
//! return; tests call them directly.

use super::ConnectionCheck;
use crate::domain::issues::{
    path_template, IssueKind, CONFIG_BEHIND_MS, RATE_LIMIT_HITS, RATE_LIMIT_WINDOW_MS, SPIKE_FACTOR,
    SPIKE_MIN_FAILED, SPIKE_MIN_RATE_POINTS,
};
use crate::domain::platform;
use crate::server::store::issues::{Observation, RateBucket, RateTotals, RequestFact, Threshold};
use std::collections::BTreeMap;

/// The kind of issue a failed request is evidence of, if any.
pub fn request_kind(f: &RequestFact) -> Option<IssueKind> {
    if f.status_code < 400 {
        return None;
    }
    let code = f.error_code.as_deref();
    let cause = f.error_cause.as_deref();
    if f.status_code == 429 || code == Some("rate-limited") || cause == Some("rate_limited") {
        Some(IssueKind::RateLimited)
    } else if code == Some("forbidden") || cause == Some("permission_missing") {
        Some(IssueKind::MissingPermission)
    } else {
        None
    }
}

/// The failed requests of one bucket: the connections they came from and the newest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Failing {
    pub connection_ids: Vec<String>,
    pub newest: Option<(i64, String)>,
}

/// What a batch of requests shows.
#[derive(Debug, Default)]
pub struct Found {
    /// Missing permission and rate limiting, one per connection and kind.
    pub observations: Vec<Observation>,
    /// The batch's requests per platform, API path and hour.
    pub buckets: Vec<RateBucket>,
    /// Beside each bucket, its failed requests.
    pub failing: Vec<Failing>,
}

pub fn from_requests(facts: &[RequestFact]) -> Found {
    // Ordered maps: the same batch always yields the same observations in the same order, so
    // two workers lock rows in one order.
    // Rate limiting counts toward its threshold per window, so a batch of late logs spanning
    // hours (a data plane catching up, the demo's history) is not read as one burst.
    let mut per_connection: BTreeMap<(&'static str, String, i64), Observation> = BTreeMap::new();
    let mut buckets: BTreeMap<(String, String, i64), (RateBucket, Failing)> = BTreeMap::new();
    for f in facts {
        if let Some(platform_id) = &f.platform_id {
            let api_path = format!("{} {}", f.method, path_template(&f.path));
            let hour = f.created_at.div_euclid(3_600_000) * 3_600_000;
            let (b, failing) =
                buckets.entry((platform_id.clone(), api_path.clone(), hour)).or_insert_with(|| {
                    (
                        RateBucket { platform_id: platform_id.clone(), api_path, hour, total: 0, failed: 0 },
                        Failing::default(),
                    )
                });
            b.total += 1;
            if f.status_code >= 400 {
                b.failed += 1;
                if let Some(c) = &f.connection_id {
                    if failing.connection_ids.len() < 100 && !failing.connection_ids.contains(c) {
                        failing.connection_ids.push(c.clone());
                    }
                }
                if failing.newest.as_ref().is_none_or(|(t, _)| f.created_at >= *t) {
                    failing.newest = Some((f.created_at, f.id.clone()));
                }
            }
        }
        let (Some(kind), Some(connection_id)) = (request_kind(f), &f.connection_id) else { continue };
        let platform_name =
            f.platform_id.as_deref().and_then(platform).map(|p| p.name).unwrap_or("The platform");
        let window = match kind {
            IssueKind::RateLimited => f.created_at.div_euclid(RATE_LIMIT_WINDOW_MS),
            _ => 0,
        };
        let o = per_connection.entry((kind.as_str(), connection_id.clone(), window)).or_insert_with(|| {
            let mut o = Observation::new(kind, connection_id.clone(), String::new(), f.created_at);
            o.occurrences = 0;
            o.platform_id = f.platform_id.clone();
            o.connection_ids = vec![connection_id.clone()];
            if kind == IssueKind::RateLimited {
                o.threshold = Some(Threshold { hits: RATE_LIMIT_HITS, window_ms: RATE_LIMIT_WINDOW_MS });
            }
            o
        });
        o.occurrences += 1;
        o.since = Some(o.since.map_or(f.created_at, |t| t.min(f.created_at)));
        if f.created_at >= o.at || o.evidence_id.is_none() {
            o.at = f.created_at;
            o.evidence_id = Some(f.id.clone());
            o.summary = match kind {
                IssueKind::RateLimited => format!(
                    "{platform_name} answered 429 Too Many Requests to {} {} for this connection.",
                    f.method,
                    path_template(&f.path)
                ),
                _ => format!(
                    "{platform_name} refused {} {} for lack of permission ({}).",
                    f.method,
                    path_template(&f.path),
                    f.error_code.as_deref().unwrap_or("forbidden")
                ),
            };
        }
    }
    let (buckets, failing) = buckets.into_values().unzip();
    Found { observations: per_connection.into_values().collect(), buckets, failing }
}

/// An error-rate spike in `bucket`'s hour, given its totals after the batch and over the hours
/// before it: at least [`SPIKE_MIN_FAILED`] failures, at a rate [`SPIKE_FACTOR`] times the
/// baseline's and [`SPIKE_MIN_RATE_POINTS`] points above it. No baseline (fewer than 20 requests
/// before), no spike: a path never called before has no "usual" rate to jump from.
pub fn spike(
    bucket: &RateBucket,
    now_totals: RateTotals,
    baseline: RateTotals,
    failing: &Failing,
    now: i64,
) -> Option<Observation> {
    if now_totals.failed < SPIKE_MIN_FAILED || now_totals.total == 0 || baseline.total < 20 {
        return None;
    }
    let rate = 100.0 * now_totals.failed as f64 / now_totals.total as f64;
    let base = 100.0 * baseline.failed as f64 / baseline.total as f64;
    if rate < base * SPIKE_FACTOR || rate - base < SPIKE_MIN_RATE_POINTS {
        return None;
    }
    let name = platform(&bucket.platform_id).map(|p| p.name).unwrap_or(&bucket.platform_id);
    let scope_id = format!("{} {}", bucket.platform_id, bucket.api_path);
    let summary = format!(
        "{name} {}: {:.0}% of requests failed this hour ({} of {}), against {:.1}% over the previous day.",
        bucket.api_path, rate, now_totals.failed, now_totals.total, base
    );
    let at = failing.newest.as_ref().map(|(t, _)| *t).unwrap_or(now);
    let mut o = Observation::new(IssueKind::ErrorSpike, scope_id, summary, at);
    o.occurrences = bucket.failed;
    o.platform_id = Some(bucket.platform_id.clone());
    o.api_path = Some(bucket.api_path.clone());
    o.connection_ids = failing.connection_ids.clone();
    o.evidence_id = failing.newest.as_ref().map(|(_, id)| id.clone());
    Some(o)
}

/// How long past its period a queued sync may wait for a worker before it "did not run".
pub const OVERDUE_GRACE_MS: i64 = 5 * 60_000;

/// A due sync that did not run: the connection's oldest queued run has waited longer than its
/// schedule's period (plus a grace), so the next one is due and this one has not started.
pub fn overdue(c: &ConnectionCheck, now: i64) -> Option<Observation> {
    let queued = c.queued_since?;
    let waited = now - queued;
    if waited <= c.period_ms + OVERDUE_GRACE_MS {
        return None;
    }
    let summary = format!(
        "A sync queued {} ago has not started; the schedule runs every {}.",
        human(waited),
        human(c.period_ms)
    );
    // It became overdue when the period and the grace ran out, not when a round noticed.
    let became = queued + c.period_ms + OVERDUE_GRACE_MS;
    let mut o = Observation::new(IssueKind::SyncOverdue, c.connection_id.clone(), summary, now);
    o.since = Some(became);
    o.platform_id = Some(c.platform_id.clone());
    o.connection_ids = vec![c.connection_id.clone()];
    Some(o)
}

/// Behind the configuration for more than a day: a newer version was saved over a day ago and
/// the connection has not been backfilled under it.
pub fn behind(c: &ConnectionCheck, now: i64) -> Option<Observation> {
    let since = c.behind_since?;
    if now - since <= CONFIG_BEHIND_MS {
        return None;
    }
    let summary = format!(
        "The connection runs an older data sync configuration; a newer one was saved {} ago.",
        human(now - since)
    );
    let mut o = Observation::new(IssueKind::ConfigBehind, c.connection_id.clone(), summary, now);
    o.since = Some(since + CONFIG_BEHIND_MS);
    o.platform_id = Some(c.platform_id.clone());
    o.connection_ids = vec![c.connection_id.clone()];
    Some(o)
}

/// A duration as people say it: "40 minutes", "3 hours", "2 days".
pub fn human(ms: i64) -> String {
    let minutes = ms / 60_000;
    let (n, unit) = if minutes < 120 {
        (minutes, "minute")
    } else if minutes < 48 * 60 {
        (minutes / 60, "hour")
    } else {
        (minutes / 1440, "day")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, conn: &str, status: i64, code: Option<&str>, at: i64) -> RequestFact {
        RequestFact {
            id: id.into(),
            connection_id: Some(conn.into()),
            platform_id: Some("xero".into()),
            method: "GET".into(),
            path: "/accounting/invoices/inv_1".into(),
            status_code: status,
            error_code: code.map(str::to_string),
            error_cause: None,
            created_at: at,
        }
    }

    #[test]
    fn a_batch_gives_one_observation_per_connection_and_kind() {
        let facts = vec![
            fact("req_1", "conn_a", 429, Some("rate-limited"), 10),
            fact("req_2", "conn_a", 429, Some("rate-limited"), 30),
            fact("req_3", "conn_a", 403, Some("forbidden"), 20),
            fact("req_4", "conn_b", 200, None, 20),
            fact("req_5", "conn_b", 400, Some("invalid-params"), 20),
        ];
        let found = from_requests(&facts);
        assert_eq!(found.observations.len(), 2);
        let rate = found.observations.iter().find(|o| o.kind == IssueKind::RateLimited).unwrap();
        assert_eq!((rate.occurrences, rate.at, rate.evidence_id.as_deref()), (2, 30, Some("req_2")));
        assert!(rate.threshold.is_some(), "rate limiting opens only when sustained");
        assert!(rate.summary.contains("/accounting/invoices/{id}"), "{}", rate.summary);
        let perm = found.observations.iter().find(|o| o.kind == IssueKind::MissingPermission).unwrap();
        assert!(perm.threshold.is_none());
        assert_eq!(found.buckets.len(), 1);
        assert_eq!((found.buckets[0].total, found.buckets[0].failed), (5, 4));
        assert_eq!(found.failing[0].connection_ids, vec!["conn_a".to_string(), "conn_b".to_string()]);
    }

    #[test]
    fn a_spike_needs_a_baseline_and_a_real_jump() {
        let b = RateBucket {
            platform_id: "xero".into(),
            api_path: "GET /x".into(),
            hour: 0,
            total: 40,
            failed: 25,
        };
        let f = Failing::default();
        let now = RateTotals { total: 40, failed: 25 };
        assert!(spike(&b, now, RateTotals { total: 1000, failed: 20 }, &f, 0).is_some());
        assert!(spike(&b, now, RateTotals { total: 10, failed: 0 }, &f, 0).is_none(), "no baseline");
        assert!(spike(&b, now, RateTotals { total: 1000, failed: 400 }, &f, 0).is_none(), "usual for it");
        assert!(spike(
            &b,
            RateTotals { total: 40, failed: 19 },
            RateTotals { total: 1000, failed: 0 },
            &f,
            0
        )
        .is_none());
    }

    #[test]
    fn overdue_and_behind_wait_their_time() {
        let mut c = ConnectionCheck {
            scope: crate::server::store::Scope::new("org", "sandbox"),
            connection_id: "conn_a".into(),
            platform_id: "xero".into(),
            period_ms: 3_600_000,
            queued_since: Some(0),
            behind_since: Some(0),
        };
        assert!(overdue(&c, 3_600_000).is_none());
        assert!(overdue(&c, 3_600_000 + OVERDUE_GRACE_MS + 1).is_some());
        assert!(behind(&c, 86_400_000).is_none());
        assert!(behind(&c, 86_400_001).is_some());
        c.queued_since = None;
        c.behind_since = None;
        assert!(overdue(&c, i64::MAX / 2).is_none() && behind(&c, i64::MAX / 2).is_none());
        assert_eq!(human(90 * 60_000), "90 minutes");
        assert_eq!(human(3 * 86_400_000), "3 days");
    }
}
