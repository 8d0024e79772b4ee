//! The Overview's figures (issue 21): one environment's requests, latency, sync runs and
//! webhook deliveries over a range (24 hours, 7 or 30 days), in bins of an hour, six hours or a
//! day, read from the hourly rollups only. The page's headline figures are sums of the same
//! bins its charts draw, so a figure and its chart always agree.

use super::failures::FailureRange;
use super::sync_runs::RUN_STATUSES;
use serde::{Deserialize, Serialize};

/// The delivery statuses, in the order the chart stacks them.
pub const DELIVERY_STATUSES: [&str; 4] = ["delivered", "pending", "retrying", "failed"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverviewReport {
    pub organization_name: String,
    pub environment: String,
    pub range: FailureRange,
    /// `[from, to)`, ending with the current hour (`FailureRange::window`).
    pub from: i64,
    pub to: i64,
    pub bin_ms: i64,
    /// Per bin, oldest first: requests answered 1xx, 2xx, 3xx, 4xx and 5xx.
    pub requests: Vec<[i64; 5]>,
    /// Per bin: the median and 95th percentile latency in milliseconds (within 5%), `None`
    /// when the bin has no requests.
    pub p50: Vec<Option<i64>>,
    pub p95: Vec<Option<i64>>,
    /// Per bin: sync runs queued in it, by their status now, in [`RUN_STATUSES`] order.
    pub runs: Vec<Vec<i64>>,
    /// Per bin: webhook deliveries of events created in it, by their status now, in
    /// [`DELIVERY_STATUSES`] order.
    pub deliveries: Vec<Vec<i64>>,
    /// Every connection status, in lifecycle order, with its count (zero included).
    pub connections_by_status: Vec<(String, i64)>,
}

impl OverviewReport {
    pub fn bins(&self) -> usize {
        self.requests.len()
    }

    /// The start of bin `i`.
    pub fn bin_start(&self, i: usize) -> i64 {
        self.from + i as i64 * self.bin_ms
    }

    /// The end of bin `i`: a bin's width later, or the end of the range for the last bin
    /// (today's, when it is not over yet).
    pub fn bin_end(&self, i: usize) -> i64 {
        (self.bin_start(i) + self.bin_ms).min(self.to)
    }

    pub fn requests_total(&self) -> i64 {
        self.requests.iter().flatten().sum()
    }

    /// Requests answered 4xx or 5xx.
    pub fn requests_failed(&self) -> i64 {
        self.requests.iter().map(|b| b[3] + b[4]).sum()
    }

    /// Failed requests as a percentage of all, `None` without requests.
    pub fn error_rate_percent(&self) -> Option<f64> {
        let total = self.requests_total();
        (total > 0).then(|| self.requests_failed() as f64 * 100.0 / total as f64)
    }

    pub fn runs_with(&self, status: &str) -> i64 {
        match RUN_STATUSES.iter().position(|s| *s == status) {
            Some(i) => self.runs.iter().map(|b| b[i]).sum(),
            None => 0,
        }
    }

    pub fn deliveries_with(&self, status: &str) -> i64 {
        match DELIVERY_STATUSES.iter().position(|s| *s == status) {
            Some(i) => self.deliveries.iter().map(|b| b[i]).sum(),
            None => 0,
        }
    }

    /// Delivered as a percentage of the deliveries attempted (delivered, retrying after a
    /// failed attempt, or failed for good); `None` when none was attempted. Retrying counts
    /// against it: an endpoint failing right now must not show 100%.
    pub fn delivery_success_percent(&self) -> Option<f64> {
        let ok = self.deliveries_with("delivered");
        let attempted = ok + self.deliveries_with("retrying") + self.deliveries_with("failed");
        (attempted > 0).then(|| ok as f64 * 100.0 / attempted as f64)
    }
}
