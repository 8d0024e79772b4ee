//! The sync history's filter vocabulary, shared by the History tab's form (in the browser too)
//! and the sync-runs service that checks it.

pub const KINDS: &[&str] = &["initial", "incremental", "backfill"];
pub const RUN_STATUSES: &[&str] =
    &["queued", "running", "succeeded", "partial", "failed", "not_supported", "cancelled"];
/// The preset ranges: URL value, label, hours.
pub const RANGES: &[(&str, &str, i64)] =
    &[("24h", "Last 24 hours", 24), ("7d", "Last 7 days", 168), ("30d", "Last 30 days", 720)];
