//! The request-log filters as they appear in the URL, and their validation. Every filter lives in
//! the query string so a pasted link shows the same view; bad values are refused with a message
//! that names the filter and what it accepts.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFilter {
    pub request_id: Option<String>,
    pub connection: Option<String>,
    pub platform: Option<String>,
    /// `2xx`, `4xx`, `5xx` or an exact status such as `429`.
    pub status: Option<String>,
    pub error_code: Option<String>,
    pub method: Option<String>,
    /// Path prefix, such as `/accounting/invoices`.
    pub path: Option<String>,
    /// `1h`, `24h`, `7d`, `30d`; ignored when `from` or `to` is set.
    pub range: Option<String>,
    /// Custom range bounds: `YYYY-MM-DDTHH:MM` in UTC (what a datetime-local input sends) or
    /// RFC 3339 with an offset.
    pub from: Option<String>,
    pub to: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
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

pub fn parse_status(s: &str) -> Result<StatusFilter, AppError> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(class) = s.strip_suffix("xx") {
        if let Ok(c @ 1..=5) = class.parse::<i64>() {
            return Ok(StatusFilter::Class(c));
        }
    }
    match s.parse::<i64>() {
        Ok(code @ 100..=599) => Ok(StatusFilter::Exact(code)),
        _ => Err(AppError::invalid(format!(
            "Status \u{201c}{s}\u{201d} is not valid: use a class (2xx, 4xx, 5xx) or a status code from 100 to 599."
        ))),
    }
}

/// Parses a custom `from`–`to` range (either bound may be absent or empty) and refuses one whose
/// start is after its end.
pub fn parse_time_range(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(Option<i64>, Option<i64>), AppError> {
    let bound = |name: &str, v: Option<&str>| {
        v.filter(|v| !v.trim().is_empty()).map(|v| parse_time(name, v)).transpose()
    };
    let (from, to) = (bound("from", from)?, bound("to", to)?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(AppError::invalid(
                "The start of the time range (from) is after its end (to): swap them or change one.",
            ));
        }
    }
    Ok((from, to))
}

/// Parses a time bound: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
pub fn parse_time(name: &str, s: &str) -> Result<i64, AppError> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0));
    }
    Err(AppError::invalid(format!(
        "The {name} time \u{201c}{s}\u{201d} is not a date and time: use YYYY-MM-DDTHH:MM (UTC) or RFC 3339."
    )))
}

/// The smallest string greater than every string that starts with `prefix` (for an index range).
#[cfg(any(feature = "ssr", test))]
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

#[cfg(feature = "ssr")]
impl RequestFilter {
    /// Validates every filter and turns the filter into a store query for one organization and
    /// environment. The limit is left for the caller.
    pub fn to_store_query(
        &self,
        organization_id: &str,
        environment: &str,
    ) -> Result<crate::server::store::RequestLogQuery, AppError> {
        use crate::domain::{ERROR_CODES, METHODS, PLATFORMS};
        use crate::ids::{id_floor, parse_id, prefix};
        use crate::server::store::{Page, RequestLogQuery};
        let mut q = RequestLogQuery {
            organization_id: organization_id.to_string(),
            environment: environment.to_string(),
            ..Default::default()
        };
        if let Some(v) = &self.request_id {
            q.request_id =
                Some(parse_id(prefix::REQUEST, v).map_err(|e| {
                    AppError::invalid(format!("\u{201c}{v}\u{201d} is not a request ID: {e}."))
                })?);
        }
        if let Some(v) = &self.connection {
            q.connection_id = Some(parse_id(prefix::CONNECTION, v).map_err(|e| {
                AppError::invalid(format!("\u{201c}{v}\u{201d} is not a connection ID: {e}."))
            })?);
        }
        if let Some(v) = &self.platform {
            let p = PLATFORMS.iter().find(|p| p.id == v.as_str()).ok_or_else(|| {
                AppError::invalid(format!(
                    "Unknown platform \u{201c}{v}\u{201d}. Known platforms: {}.",
                    PLATFORMS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
                ))
            })?;
            q.platform_id = Some(p.id.to_string());
        }
        if let Some(v) = &self.status {
            match parse_status(v)? {
                StatusFilter::Class(c) => q.status_class = Some(c),
                StatusFilter::Exact(c) => q.status_code = Some(c),
            }
        }
        if let Some(v) = &self.error_code {
            let code = ERROR_CODES.iter().find(|e| e.code == v.as_str()).ok_or_else(|| {
                AppError::invalid(format!(
                    "Unknown error code \u{201c}{v}\u{201d}. Known codes: {}.",
                    ERROR_CODES.iter().map(|e| e.code).collect::<Vec<_>>().join(", ")
                ))
            })?;
            q.error_code = Some(code.code.to_string());
        }
        if let Some(v) = &self.method {
            let upper = v.to_ascii_uppercase();
            if !METHODS.contains(&upper.as_str()) {
                return Err(AppError::invalid(format!(
                    "Unknown method \u{201c}{v}\u{201d}: use one of {}.",
                    METHODS.join(", ")
                )));
            }
            q.method = Some(upper);
        }
        if let Some(v) = &self.path {
            let ok = v.starts_with('/') && v.len() <= 300 && v.bytes().all(|b| (0x21..0x7f).contains(&b));
            let upper = prefix_successor(v).filter(|_| ok).ok_or_else(|| {
                AppError::invalid(format!(
                    "Path \u{201c}{v}\u{201d} is not a path prefix: it must start with / and contain no spaces, such as /accounting/invoices."
                ))
            })?;
            q.path_range = Some((v.clone(), upper));
        }
        let (from, to) = parse_time_range(self.from.as_deref(), self.to.as_deref())?;
        if from.is_some() || to.is_some() {
            q.from_id = from.map(|t| id_floor(prefix::REQUEST, t));
            // `to` is inclusive to the millisecond.
            q.to_id = to.map(|t| id_floor(prefix::REQUEST, t + 1));
        } else if let Some(r) = &self.range {
            let span =
                RANGES.iter().find(|(k, _, _)| *k == r.as_str()).map(|(_, _, ms)| *ms).ok_or_else(|| {
                    AppError::invalid(format!(
                        "Unknown time range \u{201c}{r}\u{201d}: use 1h, 24h, 7d or 30d, or set from and to."
                    ))
                })?;
            q.from_id = Some(id_floor(prefix::REQUEST, chrono::Utc::now().timestamp_millis() - span));
        }
        let cursor = |v: &str| {
            parse_id(prefix::REQUEST, v).map_err(|_| {
                AppError::invalid(
                    "The page cursor in this link is not valid. Start again from the newest requests.",
                )
            })
        };
        q.page = match (&self.before, &self.after) {
            (Some(_), Some(_)) => return Err(AppError::invalid(
                "The link has both an older and a newer page cursor. Start again from the newest requests.",
            )),
            (Some(b), None) => Page::Before(cursor(b)?),
            (None, Some(a)) => Page::After(cursor(a)?),
            (None, None) => Page::First,
        };
        Ok(q)
    }
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
        assert!(parse_time("from", "yesterday").unwrap_err().to_string().contains("from"));
        assert_eq!(prefix_successor("/acc").as_deref(), Some("/acd"));
    }
}
