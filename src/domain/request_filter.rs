//! The request-log filters as they appear in a URL: the console's `/requests?...` and the API's
//! `GET /api/v1/request-logs?...` read the same type. Every filter lives in the query string so a
//! pasted link shows the same view; the request-log service (`server::request_logs`) checks each
//! value and refuses a bad one with a message that names the filter and what it accepts.

use super::InvalidInput;
use serde::{Deserialize, Serialize};

/// The request-log filters; every one is optional and they combine with AND. The API documents
/// its query parameters from these fields (`IntoParams`), so the two cannot drift apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct RequestFilter {
    /// Exactly this request (`req_...`).
    pub request_id: Option<String>,
    /// A connection id (`conn_...`).
    pub connection: Option<String>,
    /// A platform id, such as `xero` or `stripe`.
    pub platform: Option<String>,
    /// `2xx`, `4xx`, `5xx` or an exact status such as `429`.
    pub status: Option<String>,
    /// A normalized error code, such as `rate-limited`.
    pub error_code: Option<String>,
    /// GET, POST, PUT, PATCH or DELETE.
    pub method: Option<String>,
    /// A path prefix, such as `/accounting/invoices`.
    pub path: Option<String>,
    /// `1h`, `24h`, `7d` or `30d` back from now; ignored when `from` or `to` is set.
    pub range: Option<String>,
    /// Start of a custom range: RFC 3339, or `YYYY-MM-DDTHH:MM` in UTC (what a datetime-local
    /// input sends).
    pub from: Option<String>,
    /// End of a custom range, inclusive; given to the minute or as a date, it includes that
    /// whole minute or day.
    pub to: Option<String>,
    /// Older than this request id (the previous page's `next_cursor`).
    pub before: Option<String>,
    /// Newer than this request id (the previous page's `previous_cursor`).
    pub after: Option<String>,
    /// Rows per page, 1 to 200 (default 50). The console's pages are always 50 rows.
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The filter keys, in the order the chips show them, with their labels.
pub const FILTER_KEYS: &[(&str, &str)] = &[
    ("request_id", "Request ID"),
    ("connection", "Connection"),
    ("platform", "Platform"),
    ("status", "Status"),
    ("error_code", "Error code"),
    ("method", "Method"),
    ("path", "Path"),
    ("range", "Time"),
    ("from", "From"),
    ("to", "To"),
];

pub const RANGES: &[(&str, &str, i64)] = &[
    ("1h", "Last hour", 3_600_000),
    ("24h", "Last 24 hours", 86_400_000),
    ("7d", "Last 7 days", 7 * 86_400_000),
    ("30d", "Last 30 days", 30 * 86_400_000),
];

/// The URL key of each filter field, written once: reading a field by key (`get`) and writing
/// it (`slot`) are both generated from this one table.
macro_rules! filter_fields {
    ($($key:literal => $field:ident),+ $(,)?) => {
        fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
            match key {
                $($key => Some(&mut self.$field),)+
                _ => None,
            }
        }

        pub fn get(&self, key: &str) -> Option<&str> {
            match key {
                $($key => self.$field.as_deref(),)+
                _ => None,
            }
        }
    };
}

impl RequestFilter {
    /// Reads the filter from URL query pairs; empty values count as absent.
    pub fn from_pairs<K: AsRef<str>>(pairs: impl IntoIterator<Item = (K, String)>) -> Self {
        let mut f = RequestFilter::default();
        for (k, v) in pairs {
            let v = v.trim().to_string();
            if v.is_empty() {
                continue;
            }
            if let Some(slot) = f.slot(k.as_ref()) {
                *slot = Some(v);
            }
        }
        f
    }

    filter_fields! {
        "request_id" => request_id,
        "connection" => connection,
        "platform" => platform,
        "status" => status,
        "error_code" => error_code,
        "method" => method,
        "path" => path,
        "range" => range,
        "from" => from,
        "to" => to,
        "before" => before,
        "after" => after,
    }

    /// The same filters on the first page (a new filter always starts from the newest rows).
    pub fn first_page(&self) -> Self {
        RequestFilter { before: None, after: None, ..self.clone() }
    }

    pub fn without(&self, key: &str) -> Self {
        let mut f = self.first_page();
        if let Some(slot) = f.slot(key) {
            *slot = None;
        }
        f
    }

    pub fn with(&self, key: &str, value: &str) -> Self {
        let mut f = self.clone();
        if let Some(slot) = f.slot(key) {
            *slot = Some(value.to_string());
        }
        f
    }

    /// The active filters (not the page cursor), as (key, label, value).
    pub fn active(&self) -> Vec<(&'static str, &'static str, String)> {
        FILTER_KEYS.iter().filter_map(|(k, label)| self.get(k).map(|v| (*k, *label, v.to_string()))).collect()
    }

    /// `/requests?…` for this filter.
    /// The download of every request these filters match (`format` is `csv` or `ndjson`).
    pub fn export_href(&self, format: &str) -> String {
        let mut parts = vec![format!("format={format}")];
        for (k, _) in FILTER_KEYS.iter() {
            if let Some(v) = self.get(k) {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        format!("/requests/export?{}", parts.join("&"))
    }

    /// The live tail's stream of new requests matching these filters, after `after` (the
    /// newest request the page shows).
    pub fn live_href(&self, after: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (k, _) in FILTER_KEYS.iter() {
            if let Some(v) = self.get(k) {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        if let Some(a) = after {
            parts.push(format!("after={}", encode(a)));
        }
        format!("/requests/live?{}", parts.join("&"))
    }

    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        for (k, _) in FILTER_KEYS.iter().chain([("before", ""), ("after", "")].iter()) {
            if let Some(v) = self.get(k) {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        if parts.is_empty() {
            "/requests".to_string()
        } else {
            format!("/requests?{}", parts.join("&"))
        }
    }
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The status filter: a class (`4xx`) or an exact code (`429`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Class(i64),
    Exact(i64),
}

pub fn parse_status(s: &str) -> Result<StatusFilter, InvalidInput> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(class) = s.strip_suffix("xx") {
        if let Ok(c @ 1..=5) = class.parse::<i64>() {
            return Ok(StatusFilter::Class(c));
        }
    }
    match s.parse::<i64>() {
        Ok(code @ 100..=599) => Ok(StatusFilter::Exact(code)),
        _ => Err(InvalidInput::new(format!(
            "Status \u{201c}{s}\u{201d} is not valid: use a class (2xx, 4xx, 5xx) or a status code from 100 to 599."
        ))),
    }
}

/// Parses a custom `from`–`to` range (either bound may be absent or empty) and refuses one whose
/// start is after its end.
pub fn parse_time_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), InvalidInput> {
    let bound = |name: &str, v: Option<&str>| {
        v.filter(|v| !v.trim().is_empty()).map(|v| parse_time(name, v)).transpose()
    };
    let to = to.filter(|v| !v.trim().is_empty()).map(parse_time_end).transpose()?;
    let from = bound("from", from)?;
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(InvalidInput::new(
                "The start of the time range (from) is after its end (to): swap them or change one.",
            ));
        }
    }
    Ok((from, to))
}

/// The end of a time range, inclusive: a time given to the minute (as a datetime-local field
/// writes it) or a date includes that whole minute or day, so "to 10:59" keeps 10:59:30 and
/// "to 2026-11-21" keeps that evening; a time with seconds is taken to the millisecond.
pub fn parse_time_end(s: &str) -> Result<i64, InvalidInput> {
    let t = parse_time("to", s)?;
    let s = s.trim();
    if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() {
        return Ok(t + 86_400_000 - 1);
    }
    let to_the_minute = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .any(|f| chrono::NaiveDateTime::parse_from_str(s, f).is_ok());
    Ok(if to_the_minute { t + 60_000 - 1 } else { t })
}

/// A time as a link's `from` or `to` writes it, UTC, the way `parse_time` reads it back and a
/// datetime-local field shows it: to the minute when that is exact, else to the millisecond.
/// A range ending at 11:00 (exclusive) is linked as `to=…T10:59`, which includes that minute.
pub fn format_url_time(ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else { return String::new() };
    if ms.rem_euclid(60_000) == 0 {
        t.format("%Y-%m-%dT%H:%M").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

/// Parses a time bound: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
pub fn parse_time(name: &str, s: &str) -> Result<i64, InvalidInput> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    // `%.f` also takes milliseconds: the Overview links a bin by its last millisecond, as a
    // datetime-local field writes it.
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0));
    }
    Err(InvalidInput::new(format!(
        "The {name} time \u{201c}{s}\u{201d} is not a date and time: use YYYY-MM-DDTHH:MM (UTC) or RFC 3339."
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse_or_explain() {
        assert_eq!(parse_status("5xx").unwrap(), StatusFilter::Class(5));
        assert_eq!(parse_status("429").unwrap(), StatusFilter::Exact(429));
        assert!(parse_status("9xx").is_err());
        assert!(parse_status("abc").unwrap_err().to_string().contains("2xx"));
    }

    #[test]
    fn href_round_trips_and_without_drops_the_cursor() {
        let f = RequestFilter::from_pairs([
            ("status", "5xx".to_string()),
            ("path", "/accounting".to_string()),
            ("before", "req_x".to_string()),
            ("bogus", "1".to_string()),
        ]);
        assert_eq!(f.href(), "/requests?status=5xx&path=/accounting&before=req_x");
        assert_eq!(f.without("status").href(), "/requests?path=/accounting");
        assert_eq!(f.active().len(), 2);
    }

    #[test]
    fn time_bounds_accept_inputs_people_use() {
        assert_eq!(
            parse_time("from", "2026-11-21T10:00").unwrap(),
            parse_time("from", "2026-11-21T10:00:00Z").unwrap()
        );
        assert_eq!(
            parse_time("to", "2026-11-21T10:59:59.999").unwrap(),
            parse_time("to", "2026-11-21T11:00:00Z").unwrap() - 1
        );
        let eleven = parse_time("to", "2026-11-21T11:00").unwrap();
        assert_eq!(format_url_time(eleven - 1), "2026-11-21T10:59:59.999");
        assert_eq!(format_url_time(eleven - 60_000), "2026-11-21T10:59");
        // An inclusive end to the minute or the day covers all of it.
        assert_eq!(parse_time_end("2026-11-21T10:59").unwrap(), eleven - 1);
        assert_eq!(parse_time_end("2026-11-21T10:59:59.999").unwrap(), eleven - 1);
        assert_eq!(parse_time_end("2026-11-21T10:59:00").unwrap(), eleven - 60_000);
        assert_eq!(parse_time_end("2026-11-21").unwrap(), parse_time("to", "2026-11-22").unwrap() - 1);
        assert_eq!(
            parse_time_range(Some("2026-11-21T10:59"), Some("2026-11-21T10:59")).unwrap().1,
            Some(eleven - 1)
        );
        assert_eq!(
            parse_time("to", "2026-11-21T10:59:59").unwrap(),
            parse_time("to", "2026-11-21T10:59:59Z").unwrap()
        );
        assert!(parse_time("from", "yesterday").unwrap_err().to_string().contains("from"));
    }
}
