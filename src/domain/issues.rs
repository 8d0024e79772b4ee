//! Issues: one problem in one scope (a connection, a data object of a connection, a webhook
//! endpoint, a platform's API path), detected as data arrives and resolved when it stops. The
//! kinds, their severities, their quiet periods and what to do about each, shared by the server
//! and the browser build.

use super::InvalidInput;
use serde::{Deserialize, Serialize};
use std::fmt;

string_enum!(
    /// What went wrong. Each kind has one scope (see [`IssueKind::scope`]), so "the same
    /// problem" is the kind and the scope's id: the issue's unique key.
    IssueKind {
        Credentials => "credentials",
        MissingPermission => "missing_permission",
        RateLimited => "rate_limited",
        ObjectFailing => "object_failing",
        SyncOverdue => "sync_overdue",
        EndpointFailing => "endpoint_failing",
        ConfigBehind => "config_behind",
        ErrorSpike => "error_spike",
    }
);

string_enum!(
    /// How much it hurts: `critical` stops data for a customer (credentials, an endpoint
    /// disabled), `error` loses or delays some data, `warning` slows it down.
    IssueSeverity { Critical => "critical", Error => "error", Warning => "warning" }
);

string_enum!(
    /// Where an issue stands. `open` and `acknowledged` are unresolved; a muted issue is
    /// unresolved too but notifies nobody until its mute ends.
    IssueStatus { Open => "open", Acknowledged => "acknowledged", Muted => "muted", Resolved => "resolved" }
);

string_enum!(
    /// How long a mute lasts: until a time, until the issue gets worse (its occurrences reach a
    /// multiple of what they were when muted), or for good.
    MuteMode { Until => "until", Worse => "worse", Forever => "forever" }
);

string_enum!(
    /// A line of an issue's timeline.
    IssueEventAction {
        Opened => "opened",
        Escalated => "escalated",
        Acknowledged => "acknowledged",
        Muted => "muted",
        Unmuted => "unmuted",
        Resolved => "resolved",
        Reopened => "reopened",
    }
);

/// What an issue's scope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueScope {
    Connection,
    DataObject,
    WebhookEndpoint,
    PlatformPath,
}

/// A resolved issue that comes back within this long reopens as "regressed"; later, it is a new
/// issue.
pub const REGRESSION_WINDOW_MS: i64 = 7 * 86_400_000;

/// Runs of one data object failing in a row before it is an issue.
pub const FAILING_RUNS: i64 = 3;

/// Failed attempts in a row before a webhook endpoint is an issue.
pub const ENDPOINT_FAILURES: i64 = 4;

/// 429s from one connection within [`RATE_LIMIT_WINDOW_MS`] that make rate limiting sustained.
pub const RATE_LIMIT_HITS: i64 = 5;
pub const RATE_LIMIT_WINDOW_MS: i64 = 10 * 60_000;

/// How long a connection may run behind the newest configuration before it is an issue.
pub const CONFIG_BEHIND_MS: i64 = 86_400_000;

/// An error-rate spike: at least this many failed requests in the current hour for one platform
/// and API path, at a failure rate at least [`SPIKE_FACTOR`] times its rate over the previous
/// [`SPIKE_BASELINE_HOURS`] hours and at least [`SPIKE_MIN_RATE_POINTS`] percentage points above it.
pub const SPIKE_MIN_FAILED: i64 = 20;
pub const SPIKE_FACTOR: f64 = 3.0;
pub const SPIKE_MIN_RATE_POINTS: f64 = 20.0;
pub const SPIKE_BASELINE_HOURS: i64 = 24;

impl IssueKind {
    pub fn title(self) -> &'static str {
        match self {
            IssueKind::Credentials => "Credentials expired or revoked",
            IssueKind::MissingPermission => "Missing permission on the platform",
            IssueKind::RateLimited => "Sustained rate limiting",
            IssueKind::ObjectFailing => "A data object keeps failing to sync",
            IssueKind::SyncOverdue => "A due sync did not run",
            IssueKind::EndpointFailing => "A webhook endpoint is failing",
            IssueKind::ConfigBehind => "Behind the data sync configuration",
            IssueKind::ErrorSpike => "Error-rate spike",
        }
    }

    pub fn scope(self) -> IssueScope {
        match self {
            IssueKind::ObjectFailing => IssueScope::DataObject,
            IssueKind::EndpointFailing => IssueScope::WebhookEndpoint,
            IssueKind::ErrorSpike => IssueScope::PlatformPath,
            _ => IssueScope::Connection,
        }
    }

    pub fn severity(self) -> IssueSeverity {
        match self {
            IssueKind::Credentials => IssueSeverity::Critical,
            IssueKind::RateLimited | IssueKind::ConfigBehind => IssueSeverity::Warning,
            _ => IssueSeverity::Error,
        }
    }

    /// When it resolves by itself, in the words the issue page uses.
    pub fn resolves_when(self) -> &'static str {
        match self {
            IssueKind::Credentials => "Resolves by itself when the connection is healthy again.",
            IssueKind::MissingPermission => "Resolves by itself after a day without a permission error.",
            IssueKind::RateLimited => "Resolves by itself after an hour without a 429.",
            IssueKind::ObjectFailing => "Resolves by itself at the data object's next successful run.",
            IssueKind::SyncOverdue => "Resolves by itself when the connection syncs again.",
            IssueKind::EndpointFailing => "Resolves by itself at the endpoint's next successful delivery.",
            IssueKind::ConfigBehind => {
                "Resolves by itself when the connection is backfilled under the newest configuration."
            }
            IssueKind::ErrorSpike => "Resolves by itself after an hour without a spike.",
        }
    }

    /// What to do about it.
    pub fn next_step(self) -> &'static str {
        match self {
            IssueKind::Credentials => "Ask the end customer to reconnect the connection; its syncs and requests fail until they do.",
            IssueKind::MissingPermission => "Ask the end customer to grant the missing scope or role in the platform and reconnect; the evidence names the call that was refused.",
            IssueKind::RateLimited => "Spread bulk work over time and honour Retry-After; check whether another integration shares the platform account's limit.",
            IssueKind::ObjectFailing => "Open the failed runs: the classifier's reading names the cause and the field; fix the cause, then run a backfill of the object.",
            IssueKind::SyncOverdue => "Check that a worker is running (switchboard worker or serve) and that the data plane reports; sync the connection now from its page.",
            IssueKind::EndpointFailing => "Open the delivery log: fix the endpoint (its URL, its certificate, its answer within 15 seconds), then recover the failed deliveries.",
            IssueKind::ConfigBehind => "Backfill the connection under the newest configuration from the Data sync page (Apply), or restore the version it runs.",
            IssueKind::ErrorSpike => "Open the request log filtered to this platform and path: a platform outage shows as platform-unavailable; a change on your side as one code for every connection.",
        }
    }

    /// Kinds a person can resolve by hand (the others resolve only when the condition clears,
    /// which the detector checks continuously).
    pub fn resolvable_by_hand(self) -> bool {
        true
    }
}

impl IssueSeverity {
    /// Higher is worse, for sorting and escalation.
    pub fn rank(self) -> u8 {
        match self {
            IssueSeverity::Critical => 3,
            IssueSeverity::Error => 2,
            IssueSeverity::Warning => 1,
        }
    }
}

impl IssueStatus {
    pub fn label(self) -> &'static str {
        match self {
            IssueStatus::Open => "Open",
            IssueStatus::Acknowledged => "Acknowledged",
            IssueStatus::Muted => "Muted",
            IssueStatus::Resolved => "Resolved",
        }
    }
}

/// The unique key of the problem `kind` in `scope_id` (a connection id, `conn_…:invoices`, an
/// endpoint id, `quickbooks_online GET /accounting/invoices/{id}`).
pub fn dedup_key(kind: IssueKind, scope_id: &str) -> String {
    format!("{kind}:{scope_id}")
}

/// A mute as a person asks for it: `mode`, and for `until` a number of hours, for `worse` a
/// factor of the current occurrences.
#[derive(Debug, Clone, PartialEq)]
pub struct MuteRequest {
    pub mode: MuteMode,
    pub hours: Option<i64>,
    pub factor: Option<i64>,
    pub reason: String,
}

impl MuteRequest {
    /// Reads the mute form: `mode` (until, worse, forever), `hours` for until (1 to 720),
    /// `factor` for worse (2 to 100), and a reason (required, at most 500 characters).
    pub fn parse(mode: &str, hours: &str, factor: &str, reason: &str) -> Result<Self, InvalidInput> {
        let mode = MuteMode::parse(mode.trim()).ok_or_else(|| {
            InvalidInput::new(format!(
                "Unknown mute \u{201c}{}\u{201d}: choose until (a number of hours), worse (until it gets worse) or forever.",
                mode.trim()
            ))
        })?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(InvalidInput::new(
                "Say why the issue is muted: the reason is shown to everyone who opens it.",
            ));
        }
        if reason.chars().count() > 500 {
            return Err(InvalidInput::new("The reason is longer than 500 characters."));
        }
        super::check_text("reason", reason)?;
        let number = |name: &str, v: &str, lo: i64, hi: i64| -> Result<i64, InvalidInput> {
            v.trim().parse::<i64>().ok().filter(|n| (lo..=hi).contains(n)).ok_or_else(|| {
                InvalidInput::new(format!(
                    "{name} must be a whole number from {lo} to {hi} (got \u{201c}{}\u{201d}).",
                    v.trim()
                ))
            })
        };
        let (hours, factor) = match mode {
            MuteMode::Until => (Some(number("Hours", hours, 1, 720)?), None),
            MuteMode::Worse => (None, Some(number("The factor", factor, 2, 100)?)),
            MuteMode::Forever => (None, None),
        };
        Ok(MuteRequest { mode, hours, factor, reason: reason.to_string() })
    }
}

/// A failed delivery attempt in words: its HTTP status, or what went wrong before one came.
pub fn delivery_failure(status: Option<i64>, failure: Option<&str>) -> String {
    match (status, failure) {
        (Some(s), _) => format!("HTTP {s}"),
        (None, Some("dns")) => "the host name did not resolve".into(),
        (None, Some("timeout")) => "no answer within the timeout".into(),
        (None, Some("connection_refused")) => "the connection was refused".into(),
        (None, Some("tls")) => "the TLS handshake failed".into(),
        (None, Some("blocked")) => "the destination is a private address".into(),
        (None, Some(other)) => other.replace('_', " "),
        (None, None) => "no response".into(),
    }
}

/// A request's API path with its record ids replaced by `{id}`, so the error rate of
/// `GET /accounting/invoices/inv_123` and `.../inv_456` is one rate: a segment holding a digit is
/// an id (a version such as `v2` is not).
pub fn path_template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut out = String::with_capacity(path.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let version = seg.len() > 1 && seg.starts_with('v') && seg[1..].bytes().all(|b| b.is_ascii_digit());
        if !version && seg.bytes().any(|b| b.is_ascii_digit()) {
            out.push_str("{id}");
        } else {
            out.push_str(seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_in_paths_become_one_template() {
        assert_eq!(path_template("/accounting/invoices/inv_123"), "/accounting/invoices/{id}");
        assert_eq!(path_template("/accounting/invoices?page=2"), "/accounting/invoices");
        assert_eq!(path_template("/v1/orders/42/lines"), "/v1/orders/{id}/lines");
    }

    #[test]
    fn a_mute_names_what_is_wrong() {
        assert!(MuteRequest::parse("until", "24", "", "deploy in progress").is_ok());
        assert!(MuteRequest::parse("until", "0", "", "x").unwrap_err().0.contains("1 to 720"));
        assert!(MuteRequest::parse("worse", "", "abc", "x").unwrap_err().0.contains("2 to 100"));
        assert!(MuteRequest::parse("forever", "", "", " ").unwrap_err().0.contains("why"));
        assert!(MuteRequest::parse("snooze", "", "", "x").unwrap_err().0.contains("snooze"));
        assert_eq!(MuteRequest::parse("forever", "x", "y", "known").unwrap().hours, None);
    }
}

/// The issues list's filters as they arrive in a URL (`/issues?status=open&kind=...`). They stay
/// strings, so a hand-edited link gets a message naming the field; `server::issues` checks them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IssueFilters {
    /// `unresolved` (the default: open and acknowledged), one status, or `all`.
    pub status: String,
    pub kind: String,
    pub severity: String,
    pub platform: String,
    pub connection: String,
}

/// The status filter's choices, as the list offers them.
pub const STATUS_CHOICES: &[(&str, &str)] = &[
    ("unresolved", "Unresolved"),
    ("open", "Open"),
    ("acknowledged", "Acknowledged"),
    ("muted", "Muted"),
    ("resolved", "Resolved"),
    ("all", "All"),
];

impl IssueFilters {
    /// The filters as a query string (without cursors).
    pub fn to_query(&self) -> String {
        let mut parts = vec![];
        for (k, v) in [
            ("status", &self.status),
            ("kind", &self.kind),
            ("severity", &self.severity),
            ("platform", &self.platform),
            ("connection", &self.connection),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", crate::url::encode_component(v.trim())));
            }
        }
        parts.join("&")
    }

    /// The statuses the status filter selects, or the message naming a value it does not know.
    pub fn statuses(&self) -> Result<Vec<IssueStatus>, InvalidInput> {
        match self.status.trim() {
            "" | "unresolved" => Ok(vec![IssueStatus::Open, IssueStatus::Acknowledged]),
            "all" => Ok(vec![]),
            s => IssueStatus::parse(s).map(|s| vec![s]).ok_or_else(|| {
                InvalidInput::new(format!(
                    "Unknown status \u{201c}{s}\u{201d}: choose one of {}.",
                    STATUS_CHOICES.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
                ))
            }),
        }
    }
}
