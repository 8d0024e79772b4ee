//! Counts per hour of the request logs (issue 21): per organization, environment, hour,
//! platform, method, path template, status and error code, with a latency histogram per hour
//! and platform (`domain::rollups`). Written in the transaction that stores the rows they count
//! (ingestion, the demo seed), so a retry, a concurrent writer or a killed process can neither
//! double nor lose a count; kept when rows are purged, so charts outlive the rows.

use super::{RequestLogRow, Scope, StoreResult};
use crate::domain::issues::path_template;
use crate::domain::rollups::latency_bucket;
use async_trait::async_trait;
use std::collections::BTreeMap;

/// One hour's requests of one combination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestCount {
    pub organization_id: String,
    pub environment: String,
    pub hour: i64,
    /// Empty when the request reached no platform.
    pub platform_id: String,
    pub method: String,
    pub path_template: String,
    pub status_code: i64,
    /// Empty when the request did not fail.
    pub error_code: String,
    pub requests: i64,
    pub latency_ms_sum: i64,
    /// The first and last of these requests, in milliseconds.
    pub first_seen: i64,
    pub last_seen: i64,
}

/// One hour's requests of one platform in one latency bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LatencyCount {
    pub organization_id: String,
    pub environment: String,
    pub hour: i64,
    pub platform_id: String,
    pub bucket: i64,
    pub requests: i64,
}

/// What a set of request logs adds to the rollups, ordered by key (so concurrent writers lock
/// rows in one order) and with each key once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestRollups {
    pub counts: Vec<RequestCount>,
    pub latencies: Vec<LatencyCount>,
}

/// The start of the hour of a time in milliseconds.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(3_600_000) * 3_600_000
}

/// The start of the UTC day of a time in milliseconds.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(86_400_000) * 86_400_000
}

/// How finely a rollup read counts: per hour (`request_rollups`) or per UTC day (the Errors
/// page's tables, migration 0020).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Hour,
    Day,
}

type CountKey = (String, String, i64, String, String, String, i64, String);

/// Requests, summed latency, first and last seen.
#[derive(Debug, Clone, Copy)]
struct Sums {
    requests: i64,
    latency_ms_sum: i64,
    first_seen: i64,
    last_seen: i64,
}

impl Default for Sums {
    fn default() -> Self {
        Sums { requests: 0, latency_ms_sum: 0, first_seen: i64::MAX, last_seen: i64::MIN }
    }
}
type LatencyKey = (String, String, i64, String, i64);

/// What a rollup reads of a request log.
#[derive(Debug, Clone, Copy)]
pub struct RollupFields<'a> {
    pub organization_id: &'a str,
    pub environment: &'a str,
    pub created_at: i64,
    pub platform_id: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
    pub status_code: i64,
    pub error_code: Option<&'a str>,
    pub latency_ms: i64,
}

/// Adds rows up in memory; [`Tally::finish`] gives the rollups to write.
#[derive(Debug, Default)]
pub struct Tally {
    counts: BTreeMap<CountKey, Sums>,
    latencies: BTreeMap<LatencyKey, i64>,
}

impl Tally {
    pub fn add(&mut self, r: &RequestLogRow) {
        self.add_fields(&RollupFields {
            organization_id: &r.organization_id,
            environment: &r.environment,
            created_at: r.created_at,
            platform_id: r.platform_id.as_deref(),
            method: &r.method,
            path: &r.path,
            status_code: r.status_code,
            error_code: r.error_code.as_deref(),
            latency_ms: r.latency_ms,
        });
    }

    pub fn add_fields(&mut self, r: &RollupFields<'_>) {
        let hour = hour_of(r.created_at);
        let platform = r.platform_id.unwrap_or_default().to_string();
        let c = self
            .counts
            .entry((
                r.organization_id.to_string(),
                r.environment.to_string(),
                hour,
                platform.clone(),
                r.method.to_string(),
                path_template(r.path),
                r.status_code,
                r.error_code.unwrap_or_default().to_string(),
            ))
            .or_default();
        c.requests += 1;
        c.latency_ms_sum += r.latency_ms.max(0);
        c.first_seen = c.first_seen.min(r.created_at);
        c.last_seen = c.last_seen.max(r.created_at);
        *self
            .latencies
            .entry((
                r.organization_id.to_string(),
                r.environment.to_string(),
                hour,
                platform,
                latency_bucket(r.latency_ms),
            ))
            .or_default() += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn finish(self) -> RequestRollups {
        RequestRollups {
            counts: self
                .counts
                .into_iter()
                .map(
                    |(
                        (
                            organization_id,
                            environment,
                            hour,
                            platform_id,
                            method,
                            path_template,
                            status_code,
                            error_code,
                        ),
                        s,
                    )| {
                        RequestCount {
                            organization_id,
                            environment,
                            hour,
                            platform_id,
                            method,
                            path_template,
                            status_code,
                            error_code,
                            requests: s.requests,
                            latency_ms_sum: s.latency_ms_sum,
                            first_seen: s.first_seen,
                            last_seen: s.last_seen,
                        }
                    },
                )
                .collect(),
            latencies: self
                .latencies
                .into_iter()
                .map(|((organization_id, environment, hour, platform_id, bucket), requests)| LatencyCount {
                    organization_id,
                    environment,
                    hour,
                    platform_id,
                    bucket,
                    requests,
                })
                .collect(),
        }
    }
}

impl RequestRollups {
    pub fn of<'a>(rows: impl IntoIterator<Item = &'a RequestLogRow>) -> Self {
        let mut t = Tally::default();
        for r in rows {
            t.add(r);
        }
        t.finish()
    }
}

/// One combination of what a request-log filter can name, as `request_combos` keeps it (empty
/// text for "no platform" and "no error code").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::FromRow)]
pub struct RequestCombo {
    pub platform_id: String,
    pub method: String,
    pub path_template: String,
    pub status_code: i64,
    pub error_code: String,
}

/// Which combinations a request-log filter can match (`RollupStore::request_combos`): every
/// field optional; `template_prefixes` are alternatives (a template must start with one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComboFilter {
    pub platform_id: Option<String>,
    pub method: Option<String>,
    /// `[from, to)` of the status code (a class is a range of 100).
    pub status_range: Option<(i64, i64)>,
    pub error_code: Option<String>,
    pub template_prefixes: Vec<String>,
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RebuildReport {
    pub rows_read: u64,
    pub counts_written: u64,
    pub latencies_written: u64,
}

#[async_trait]
pub trait RollupStore: Send + Sync {
    /// An environment's rollups whose hour is in `[from_hour, to_hour)`, ordered by key.
    async fn request_rollups(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<RequestRollups>;
    /// An environment's failed requests (status 400 and above) per hour or per UTC day in
    /// `[from, to)` (whole days for [`Grain::Day`]), by platform, method, path template, status
    /// and error code; `hour` is the day's start for days, `latency_ms_sum` then 0.
    async fn failure_rollups(
        &self,
        scope: &Scope,
        grain: Grain,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<RequestCount>>;
    /// Every endpoint's requests in `[from, to)` (whole hours, or whole days for
    /// [`Grain::Day`]): platform, method, path template and the number of requests.
    async fn endpoint_totals(
        &self,
        scope: &Scope,
        grain: Grain,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(String, String, String, i64)>>;
    /// Requests per hour and status class (1 for 1xx to 5 for 5xx) in `[from_hour, to_hour)`:
    /// `(hour, class, requests)`.
    async fn requests_by_class(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
    /// The latency histogram, all platforms together, per bin of `bin_ms` (a whole number of
    /// hours) from `from_hour` up to `to_hour`: `(bin start, bucket, requests)`.
    async fn latency_by_bin(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
        bin_ms: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
    /// The combinations of platform, method, path template, status and error code the
    /// environment's request logs have held that `filter` can match (the catalogue exact search
    /// starts from: a few thousand rows at most, filtered where they are).
    async fn request_combos(&self, scope: &Scope, filter: &ComboFilter) -> StoreResult<Vec<RequestCombo>>;
    /// The hours in `[from_hour, to_hour)` holding requests of any of `combos`, with how many,
    /// oldest first. One index range per combination (`request_rollups_by_combo`).
    async fn combo_hours(
        &self,
        scope: &Scope,
        combos: &[RequestCombo],
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64)>>;
    /// The hours in `[from_hour, to_hour)` holding requests `filter` matches, with how many,
    /// oldest first: one read of the hours' rollups in key order (for a filter that names many
    /// combinations, where one index range each would cost more).
    async fn filter_hours(
        &self,
        scope: &Scope,
        filter: &ComboFilter,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64)>>;
    /// Recomputes the request rollups from the rows. Hours before an environment's oldest row
    /// (purged rows) keep what was counted. Writers wait while it runs (SQLite's writer turn;
    /// on PostgreSQL a lock on the rollup tables that ingestion takes too), so nothing written
    /// meanwhile is lost or counted twice.
    async fn rebuild_request_rollups(&self) -> StoreResult<RebuildReport>;
    /// The tables summed from `request_rollups` (per hour and status class, per hour and
    /// latency bucket, failures and endpoints per day) checked against that sum for one
    /// environment: each table's name with the number of rows that differ (0: in agreement).
    async fn derived_rollup_mismatches(&self, scope: &Scope) -> StoreResult<Vec<(&'static str, i64)>>;
}

/// What an outcome rollup counts (migration 0014).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutcomeKind {
    /// Sync runs by data object and status, under the hour they were queued.
    SyncRun,
    /// Webhook deliveries by endpoint and status, under the hour their event was created.
    Delivery,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::SyncRun => "sync_run",
            OutcomeKind::Delivery => "delivery",
        }
    }
}

/// How many runs or deliveries of one hour, subject (data object or endpoint) have a status now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow)]
pub struct OutcomeCount {
    pub hour: i64,
    pub subject: String,
    pub status: String,
    pub total: i64,
}

/// What folding the outcome deltas or rebuilding the outcome rollups did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutcomeReport {
    /// Delta rows folded into the counts.
    pub deltas: u64,
    /// Runs and deliveries read (a rebuild only).
    pub rows_read: u64,
}

#[async_trait]
pub trait OutcomeStore: Send + Sync {
    /// An environment's counts of one kind whose hour is in `[from_hour, to_hour)`, with the
    /// changes not folded yet added in; counts that add up to zero are left out.
    async fn outcome_rollups(
        &self,
        scope: &Scope,
        kind: OutcomeKind,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<OutcomeCount>>;
    /// The same counts summed over subjects per bin of `bin_ms` (a whole number of hours) from
    /// `from_hour` up to `to_hour`: `(bin start, status, total)`, totals of zero left out. The
    /// Overview's charts: a month of hours by data object is tens of thousands of rows, its
    /// bins by status a few hundred.
    async fn outcomes_by_bin(
        &self,
        scope: &Scope,
        kind: OutcomeKind,
        from_hour: i64,
        to_hour: i64,
        bin_ms: i64,
    ) -> StoreResult<Vec<(i64, String, i64)>>;
    /// Moves up to `limit` of the oldest deltas into the counts, in one transaction. Several
    /// processes may fold at once: each takes rows no other holds (PostgreSQL) or its writer
    /// turn (SQLite), so a delta is folded exactly once.
    async fn fold_outcome_deltas(&self, limit: i64) -> StoreResult<OutcomeReport>;
    /// Recomputes the counts from the runs and deliveries. Hours before an environment's oldest
    /// row (purged rows) keep what was counted. Status changes wait while it runs.
    async fn rebuild_outcome_rollups(&self) -> StoreResult<OutcomeReport>;
}
