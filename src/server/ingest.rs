//! Ingestion: what the data plane sends (request logs, connection status, events) checked item by
//! item and written in one transaction per batch.
//!
//! Every endpoint takes `{"items": [...]}` and answers `{"accepted": n, "rejected": [...]}`: an
//! item that fails validation is listed with its index, the field and the reason, and never costs
//! the good items of its batch. Items are idempotent by id: a retried item with the same content
//! is accepted again and stored once; the same id with different content is a conflict, reported
//! with its index and id (the rest of the batch is still stored, so retrying the whole batch after
//! fixing it is safe). Redaction happens in the store, on the way in, whoever calls it.

mod sync_runs;

pub use sync_runs::{
    claim, lease_owner, sync_runs, ClaimRequest, ClaimResult, ClaimedRunItem, SyncRunItem, SyncRunResult,
};

use crate::domain::{ConnectionStatus, ERROR_CODES, EVENT_TYPES, METHODS};
use crate::ids::{parse_id, prefix};
use crate::server::store::{RequestLogRow, Scope, Store, StoreError, StoreResult};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// Items per batch.
pub const MAX_ITEMS: usize = 1000;
/// Longest stored request or response body; longer response bodies are cut and marked truncated.
pub const MAX_BODY_CHARS: usize = 65_536;

/// A batch as sent: `items` is read item by item, so one malformed item is reported, not fatal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Batch {
    /// Up to 1,000 items (and 5 MB per call).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}

/// The answer to a batch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct IngestResult {
    /// Items stored by this call or already stored with the same content.
    pub accepted: usize,
    /// Items refused, with why; the others were stored.
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Rejection {
    /// Position of the item in `items`, from 0.
    pub index: usize,
    /// The field at fault, as a path (`error.code`); empty when the item as a whole is.
    pub field: String,
    pub reason: String,
}

/// Items whose id was already used with different content: the call answers 409 naming them.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub index: usize,
    pub id: String,
}

/// What a batch did: the result, and the conflicts that make it a 409.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub result: IngestResult,
    pub conflicts: Vec<Conflict>,
}

/// The normalized error of a failed request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestErrorItem {
    /// A normalized error code (`invalid-params`, `rate-limited`, ...). Optional: without it,
    /// Switchboard's classifier assigns one from `platform_error` (one of the two is required).
    /// With it, the code is kept and the classifier's own reading is stored beside it.
    #[serde(default)]
    pub code: Option<String>,
    pub message: Option<String>,
    /// The platform's raw error: a JSON value or text, stored as sent (after redaction), and
    /// classified (the HTTP status read is the last failed upstream call's, else `status`).
    #[schema(value_type = Object, nullable)]
    #[serde(default)]
    pub platform_error: Option<Value>,
    /// How sure the mapping from the raw error to `code` is: `high`, `medium` or `low`.
    pub confidence: Option<String>,
}

/// One call the unified API made to the platform while serving the request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamCallItem {
    pub method: String,
    pub url: String,
    pub status: i64,
    pub latency_ms: i64,
    /// The platform's response body (capped like `response_body`).
    #[serde(default)]
    pub response: String,
}

/// A request the unified API served.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestLogItem {
    /// `req_` followed by a ULID: the id minted when the request arrived (its time orders the log).
    pub id: String,
    /// When the request arrived, RFC 3339, at most an hour ahead of the server's clock and 30
    /// days behind it.
    pub occurred_at: String,
    pub method: String,
    /// The request path, without the query string.
    pub path: String,
    pub status: i64,
    pub latency_ms: i64,
    pub connection_id: Option<String>,
    /// The query string, without the leading `?`.
    pub query: Option<String>,
    pub request_headers: Option<BTreeMap<String, String>>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub error: Option<RequestErrorItem>,
    pub upstream_calls: Option<Vec<UpstreamCallItem>>,
    pub idempotency_key: Option<String>,
    /// The prefix of the customer's unified-API key that made the call.
    pub api_key_prefix: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
}

/// A connection's health as the data plane sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionStatusItem {
    pub connection_id: String,
    /// `initializing`, `healthy`, `degraded`, `needs_reauth` or `disabled`.
    pub status: String,
    /// Why, for a person (shown on the connection page).
    pub reason: Option<String>,
    /// When the data plane observed it, RFC 3339 (at most an hour ahead of the server's clock
    /// and 30 days behind it); an older report never overwrites a newer one.
    pub occurred_at: String,
}

/// An event the data plane raised; delivered to every subscribed webhook endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventItem {
    /// `evt_` followed by a ULID.
    pub id: String,
    /// One of the event catalog's types (`connection.needs_reauth`, `sync.completed`, ...).
    #[serde(rename = "type")]
    pub event_type: String,
    /// RFC 3339, at most an hour ahead of the server's clock and 30 days behind it.
    pub occurred_at: String,
    pub connection_id: Option<String>,
    /// The event's data, delivered as the payload's `data`.
    #[schema(value_type = Object)]
    pub data: Value,
}

/// Why a batch was not taken: the batch as a whole is invalid, or the store failed.
#[derive(Debug)]
pub enum BatchError {
    Invalid(String),
    Store(StoreError),
}

impl From<StoreError> for BatchError {
    fn from(e: StoreError) -> Self {
        BatchError::Store(e)
    }
}

/// A request-log batch as sent, read without building a JSON tree: each item stays a slice of
/// the body until it is read into its type, so a malformed item is reported on its own.
#[derive(Deserialize)]
struct RawBatch<'a> {
    #[serde(borrow)]
    items: Vec<&'a serde_json::value::RawValue>,
}

/// A validation failure of one item.
struct Bad {
    field: String,
    reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> Bad {
    Bad { field: field.to_string(), reason: reason.into() }
}

/// The path of the first text in `v` holding a NUL character (`\u0000`): PostgreSQL text cannot
/// store one, so such an item is refused by name instead of failing its whole batch.
fn nul_path(v: &Value, path: &mut String) -> bool {
    use std::fmt::Write;
    let len = path.len();
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
            let _ = write!(path, "[{i}]");
            let found = nul_path(v, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(map) => map.iter().any(|(k, v)| {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
            let found = k.contains('\0') || nul_path(v, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        _ => false,
    }
}

/// Whether JSON text holds an escaped NUL (`\u0000` after an even run of backslashes); a raw
/// NUL byte is not valid JSON and never parses.
fn has_nul_escape(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut from = 0;
    while let Some(at) = raw[from..].find("u0000").map(|i| i + from) {
        let slashes = b[..at].iter().rev().take_while(|c| **c == b'\\').count();
        if slashes % 2 == 1 {
            return true;
        }
        from = at + 5;
    }
    false
}

/// Reads one item into its type, naming the field that failed.
fn read_item<T: DeserializeOwned>(v: Value) -> Result<T, Bad> {
    if !v.is_object() {
        return Err(bad("", "each item must be a JSON object"));
    }
    let mut path = String::new();
    if nul_path(&v, &mut path) {
        return Err(bad(&path, "contains a NUL character (\\u0000), which text cannot hold"));
    }
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        let inner = e.into_inner().to_string();
        // serde's "missing field `x`" names the field in the message, not the path.
        let field = match (field.is_empty(), inner.strip_prefix("missing field `")) {
            (true, Some(rest)) => rest.trim_end_matches('`').to_string(),
            (_, _) => field,
        };
        Bad { field, reason: inner }
    })
}

/// Reads one item from its text straight into its type; only an item that fails is read again
/// as a JSON tree, to name the field at fault.
fn read_raw<T: DeserializeOwned>(raw: &serde_json::value::RawValue) -> Result<T, Bad> {
    match serde_json::from_str::<T>(raw.get()) {
        Ok(item) if !has_nul_escape(raw.get()) => Ok(item),
        // A failure, or text with a NUL: read again as a tree to name the field.
        _ => read_item(serde_json::from_str::<Value>(raw.get()).map_err(|e| bad("", e.to_string()))?),
    }
}

/// How far ahead of the server's clock an ingested time may be (clocks drift).
pub const FUTURE_SKEW_MS: i64 = 3_600_000;
/// How far behind the server's clock an ingested time may be: a data plane catching up after
/// an outage sends days-old items, but a time months back is a wrong clock or a wrong field.
pub const MAX_AGE_MS: i64 = 30 * 86_400_000;

/// An RFC 3339 time near `now`. A time far ahead would hold an event's deliveries until then
/// and pin a connection's status (a later report is "older"); one far behind sorts where no one
/// looks. Both are refused by field.
fn time(field: &str, s: &str, now: i64) -> Result<i64, Bad> {
    let t = chrono::DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis()).map_err(|_| {
        bad(field, format!("\u{201c}{s}\u{201d} is not an RFC 3339 time such as 2026-12-01T09:30:00Z"))
    })?;
    if t > now + FUTURE_SKEW_MS {
        return Err(bad(
            field,
            format!("\u{201c}{s}\u{201d} is more than an hour ahead of the server's clock: check the sender's clock and time zone"),
        ));
    }
    if t < now - MAX_AGE_MS {
        return Err(bad(field, format!("\u{201c}{s}\u{201d} is more than 30 days in the past")));
    }
    Ok(t)
}

fn id_of(field: &str, kind: &'static str, s: &str) -> Result<String, Bad> {
    parse_id(kind, s).map_err(|e| bad(field, format!("\u{201c}{s}\u{201d} is not a {kind}_ id: {e}")))
}

fn capped(field: &str, s: Option<String>, max: usize) -> Result<Option<String>, Bad> {
    match s {
        Some(v) if v.len() > max => Err(bad(field, format!("longer than {max} bytes"))),
        other => Ok(other),
    }
}

/// How far an item's `occurred_at` may be from the time in its id.
const CLOCK_SKEW_MS: i64 = 3_600_000;

fn request_log_row(scope: &Scope, item: RequestLogItem, now: i64) -> Result<RequestLogRow, Bad> {
    let id = id_of("id", prefix::REQUEST, &item.id)?;
    let created_at = time("occurred_at", &item.occurred_at, now)?;
    if crate::ids::id_time_ms(&id).is_some_and(|t| (t - created_at).abs() > CLOCK_SKEW_MS) {
        return Err(bad(
            "occurred_at",
            "differs from the time in the id by more than an hour: mint the req_ id (a ULID) when the request arrives",
        ));
    }
    let method = item.method.to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(bad("method", format!("use one of {}", METHODS.join(", "))));
    }
    if !item.path.starts_with('/') || item.path.len() > 2048 || item.path.contains(['?', ' ']) {
        return Err(bad(
            "path",
            "must start with / and contain no spaces or query string (send that as query)",
        ));
    }
    if !(100..=599).contains(&item.status) {
        return Err(bad("status", "must be an HTTP status from 100 to 599"));
    }
    if !(0..=3_600_000).contains(&item.latency_ms) {
        return Err(bad("latency_ms", "must be from 0 to 3600000"));
    }
    let connection_id =
        item.connection_id.as_deref().map(|c| id_of("connection_id", prefix::CONNECTION, c)).transpose()?;
    let (error_code, error_message, platform_error, error_confidence) = match item.error {
        None => (None, None, None, None),
        Some(e) => {
            if let Some(code) = e.code.as_deref().filter(|c| !ERROR_CODES.iter().any(|s| s.code == *c)) {
                return Err(bad(
                    "error.code",
                    format!(
                        "unknown error code \u{201c}{code}\u{201d}; use one of {}",
                        ERROR_CODES.iter().map(|c| c.code).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            if e.code.is_none() && matches!(e.platform_error, None | Some(Value::Null)) {
                return Err(bad(
                    "error",
                    "give a code, or the platform_error for Switchboard to classify (or both)",
                ));
            }
            if e.code.is_none() && e.confidence.is_some() {
                return Err(bad("error.confidence", "is the confidence of a code: send it with error.code"));
            }
            if let Some(c) = &e.confidence {
                if !["high", "medium", "low"].contains(&c.as_str()) {
                    return Err(bad("error.confidence", "use high, medium or low"));
                }
            }
            let raw = match e.platform_error {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(v) => Some(v.to_string()),
            };
            (
                e.code,
                capped("error.message", e.message, 4096)?,
                capped("error.platform_error", raw, MAX_BODY_CHARS)?,
                e.confidence,
            )
        }
    };
    let mut upstream = vec![];
    for (i, c) in item.upstream_calls.unwrap_or_default().into_iter().enumerate() {
        if i >= 100 {
            return Err(bad("upstream_calls", "at most 100 upstream calls per request"));
        }
        let field = |f: &str| format!("upstream_calls[{i}].{f}");
        if !METHODS.contains(&c.method.to_ascii_uppercase().as_str()) {
            return Err(Bad { field: field("method"), reason: format!("use one of {}", METHODS.join(", ")) });
        }
        if !(c.url.starts_with("https://") || c.url.starts_with("http://")) || c.url.len() > 4096 {
            return Err(Bad {
                field: field("url"),
                reason: "must be an http(s) URL of at most 4096 bytes".into(),
            });
        }
        if !(100..=599).contains(&c.status) {
            return Err(Bad {
                field: field("status"),
                reason: "must be an HTTP status from 100 to 599".into(),
            });
        }
        if !(0..=3_600_000).contains(&c.latency_ms) {
            return Err(Bad { field: field("latency_ms"), reason: "must be from 0 to 3600000".into() });
        }
        let mut response = c.response;
        truncate(&mut response, 4096);
        upstream.push(serde_json::json!({
            "method": c.method.to_ascii_uppercase(), "url": c.url, "status": c.status,
            "latency_ms": c.latency_ms, "response": response,
        }));
    }
    let headers = item.request_headers.unwrap_or_default();
    if headers.len() > 200 || headers.iter().any(|(k, v)| k.len() > 256 || v.len() > 8192) {
        return Err(bad(
            "request_headers",
            "at most 200 headers, names up to 256 and values up to 8192 bytes",
        ));
    }
    let request_headers =
        Value::Object(headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v))).collect())
            .to_string();
    let request_body = capped("request_body", item.request_body, MAX_BODY_CHARS)?;
    let mut response_truncated = false;
    let response_body = item.response_body.map(|mut b| {
        response_truncated = truncate(&mut b, MAX_BODY_CHARS);
        b
    });
    let short = |field: &str, v: Option<String>| capped(field, v, 256);
    let row = RequestLogRow {
        id,
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        connection_id,
        platform_id: None,
        api_key_prefix: short("api_key_prefix", item.api_key_prefix)?,
        method,
        path: item.path,
        query: capped("query", item.query.map(|q| q.trim_start_matches('?').to_string()), 8192)?,
        status_code: item.status,
        status_class: item.status / 100,
        latency_ms: item.latency_ms,
        error_code,
        error_message,
        platform_error,
        error_confidence,
        request_headers,
        request_body,
        response_body,
        response_truncated,
        upstream_calls: Value::Array(upstream).to_string(),
        idempotency_key: short("idempotency_key", item.idempotency_key)?,
        user_agent: capped("user_agent", item.user_agent, 1024)?,
        source_ip: short("source_ip", item.source_ip)?,
        created_at,
        redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
    };
    Ok(row)
}

/// Cuts a string to at most `max` bytes on a character boundary; whether it cut.
fn truncate(s: &mut String, max: usize) -> bool {
    if s.len() <= max {
        return false;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    true
}

/// Checks the batch's size before any item is read.
pub fn check_batch(batch: &Batch) -> Result<(), String> {
    check_count(batch.items.len())
}

fn check_count(n: usize) -> Result<(), String> {
    if n == 0 {
        return Err("`items` is empty: send 1 to 1000 items.".into());
    }
    if n > MAX_ITEMS {
        return Err(format!("{n} items in one batch: send at most {MAX_ITEMS}."));
    }
    Ok(())
}

/// Looks up the platform of each connection the items name, in the caller's environment; items
/// naming a connection that is not there are rejected.
async fn platforms_of(
    store: &dyn Store,
    scope: &Scope,
    ids: Vec<String>,
) -> StoreResult<HashMap<String, String>> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for c in store.connections_by_ids(scope, chunk).await? {
            out.insert(c.id, c.platform_id);
        }
    }
    Ok(out)
}

/// `POST /api/v1/ingest/request-logs`: the body as sent, up to 5 MB of JSON.
pub async fn request_logs(
    store: &dyn Store,
    scope: &Scope,
    now: i64,
    body: axum::body::Bytes,
) -> Result<Outcome, BatchError> {
    // Reading and checking a thousand items is CPU work: on a blocking thread, so the async
    // threads keep serving pages meanwhile.
    let s = scope.clone();
    let read = tokio::task::spawn_blocking(move || {
        let batch: RawBatch =
            serde_json::from_slice(&body).map_err(|e| format!("The body is not valid: {e}"))?;
        check_count(batch.items.len())?;
        let mut rejected = vec![];
        let mut rows: Vec<(usize, RequestLogRow)> = Vec::with_capacity(batch.items.len());
        for (index, raw) in batch.items.into_iter().enumerate() {
            match read_raw::<RequestLogItem>(raw).and_then(|item| request_log_row(&s, item, now)) {
                Ok(row) => rows.push((index, row)),
                Err(b) => rejected.push(Rejection { index, field: b.field, reason: b.reason }),
            }
        }
        Ok((rows, rejected))
    })
    .await
    .map_err(|e| StoreError::Database(sqlx::Error::Protocol(e.to_string())))?;
    let (mut rows, mut rejected) = read.map_err(BatchError::Invalid)?;
    let platforms =
        platforms_of(store, scope, rows.iter().filter_map(|(_, r)| r.connection_id.clone()).collect())
            .await?;
    rows.retain_mut(|(index, row)| match &row.connection_id {
        None => true,
        Some(c) => match platforms.get(c) {
            Some(p) => {
                row.platform_id = Some(p.clone());
                true
            }
            None => {
                rejected.push(Rejection {
                    index: *index,
                    field: "connection_id".into(),
                    reason: format!("no connection {c} in this environment"),
                });
                false
            }
        },
    });
    let (indexes, rows): (Vec<usize>, Vec<RequestLogRow>) = rows.into_iter().unzip();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let conflicted = if rows.is_empty() {
        vec![]
    } else {
        let report = store.ingest_request_logs(rows).await?;
        let spikes = super::issues::check_spikes(store, scope, &report.found, &report.totals, now).await?;
        if !report.changes.is_empty() || !spikes.is_empty() {
            super::webhooks::delivery::wake();
        }
        report.conflicts
    };
    Ok(finish(indexes, ids, conflicted, rejected)?)
}

/// Turns what the store refused as conflicts into the outcome.
fn finish(
    indexes: Vec<usize>,
    ids: Vec<String>,
    conflicted: Vec<usize>,
    mut rejected: Vec<Rejection>,
) -> StoreResult<Outcome> {
    let conflicts: Vec<Conflict> =
        conflicted.iter().map(|&i| Conflict { index: indexes[i], id: ids[i].clone() }).collect();
    rejected.sort_by_key(|r| r.index);
    Ok(Outcome { result: IngestResult { accepted: ids.len() - conflicts.len(), rejected }, conflicts })
}

/// `POST /api/v1/ingest/connection-status`.
pub async fn connection_status(
    store: &dyn Store,
    scope: &Scope,
    now: i64,
    batch: Batch,
) -> StoreResult<Outcome> {
    let mut rejected = vec![];
    let mut updates = vec![];
    for (index, v) in batch.items.into_iter().enumerate() {
        let parsed = read_item::<ConnectionStatusItem>(v).and_then(|item| {
            let id = id_of("connection_id", prefix::CONNECTION, &item.connection_id)?;
            let status = ConnectionStatus::parse(&item.status).ok_or_else(|| {
                bad(
                    "status",
                    format!(
                        "use one of {}",
                        ConnectionStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
            let at = time("occurred_at", &item.occurred_at, now)?;
            let reason = capped("reason", item.reason, 1024)?;
            Ok(crate::server::store::StatusReport { connection_id: id, status, reason, at })
        });
        match parsed {
            Ok(u) => updates.push((index, u)),
            Err(b) => rejected.push(Rejection { index, field: b.field, reason: b.reason }),
        }
    }
    let known =
        platforms_of(store, scope, updates.iter().map(|(_, u)| u.connection_id.clone()).collect()).await?;
    updates.retain(|(index, u)| {
        let ok = known.contains_key(&u.connection_id);
        if !ok {
            rejected.push(Rejection {
                index: *index,
                field: "connection_id".into(),
                reason: format!("no connection {} in this environment", u.connection_id),
            });
        }
        ok
    });
    let (indexes, updates): (Vec<usize>, Vec<_>) = updates.into_iter().unzip();
    if !updates.is_empty() {
        store.report_connection_status(scope, &updates).await?;
    }
    let n = indexes.len();
    finish(indexes, vec![String::new(); n], vec![], rejected)
}

/// `POST /api/v1/ingest/events`.
pub async fn events(store: &dyn Store, scope: &Scope, now: i64, batch: Batch) -> StoreResult<Outcome> {
    let mut rejected = vec![];
    let mut events = vec![];
    for (index, v) in batch.items.into_iter().enumerate() {
        let parsed = read_item::<EventItem>(v).and_then(|item| {
            let id = id_of("id", prefix::EVENT, &item.id)?;
            if item.event_type.starts_with("issue.") {
                return Err(bad(
                    "type",
                    "issue events are raised by Switchboard's own issue detection, not ingested",
                ));
            }
            if !EVENT_TYPES.iter().any(|(t, _)| *t == item.event_type) {
                return Err(bad(
                    "type",
                    format!(
                        "unknown event type; use one of {}",
                        EVENT_TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            let at = time("occurred_at", &item.occurred_at, now)?;
            let connection_id = item
                .connection_id
                .as_deref()
                .map(|c| id_of("connection_id", prefix::CONNECTION, c))
                .transpose()?;
            if !item.data.is_object() {
                return Err(bad("data", "must be a JSON object"));
            }
            let payload =
                crate::server::webhooks::payloads::envelope(&id, &item.event_type, at, item.data.clone());
            if payload.len() > 256 * 1024 {
                return Err(bad("data", "larger than 256 KB"));
            }
            Ok(crate::server::store::webhooks::NewEvent {
                id,
                organization_id: scope.organization_id.clone(),
                environment: scope.environment.clone(),
                event_type: item.event_type,
                connection_id,
                payload,
                created_at: at,
                only_endpoint: None,
                lease: None,
            })
        });
        match parsed {
            Ok(e) => events.push((index, e)),
            Err(b) => rejected.push(Rejection { index, field: b.field, reason: b.reason }),
        }
    }
    let known =
        platforms_of(store, scope, events.iter().filter_map(|(_, e)| e.connection_id.clone()).collect())
            .await?;
    events.retain(|(index, e)| match &e.connection_id {
        Some(c) if !known.contains_key(c) => {
            rejected.push(Rejection {
                index: *index,
                field: "connection_id".into(),
                reason: format!("no connection {c} in this environment"),
            });
            false
        }
        _ => true,
    });
    let (indexes, events): (Vec<usize>, Vec<_>) = events.into_iter().unzip();
    let conflicted = if events.is_empty() { vec![] } else { store.ingest_events(&events).await? };
    if indexes.len() > conflicted.len() {
        super::webhooks::delivery::wake();
    }
    finish(indexes, events.iter().map(|e| e.id.clone()).collect(), conflicted, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_character_is_refused_by_name() {
        let item = serde_json::json!({"id": "x", "occurred_at": "t", "method": "GET", "path": "/", "status": 200,
                                      "latency_ms": 1, "error": {"code": "x", "message": "a\u{0}b"}});
        let e = read_item::<RequestLogItem>(item.clone()).err().unwrap();
        assert_eq!(e.field, "error.message");
        assert!(e.reason.contains("NUL"), "{}", e.reason);
        let raw = serde_json::value::RawValue::from_string(item.to_string()).unwrap();
        assert_eq!(read_raw::<RequestLogItem>(&raw).err().unwrap().field, "error.message");
        assert!(has_nul_escape(r#"{"a":"\u0000"}"#));
        assert!(!has_nul_escape(r#"{"a":"\\u0000"}"#), "an escaped backslash, then text");
        assert!(has_nul_escape(r#"{"a":"\\\u0000"}"#));
    }

    #[test]
    fn a_bad_field_is_named_with_its_path() {
        let e = read_item::<RequestLogItem>(serde_json::json!({"id": "x", "occurred_at": "t", "method": "GET", "path": "/", "status": "200", "latency_ms": 1})).err().unwrap();
        assert_eq!(e.field, "status");
        let e = read_item::<RequestLogItem>(
            serde_json::json!({"id": "x", "occurred_at": "t", "method": "GET", "path": "/", "status": 200}),
        )
        .err()
        .unwrap();
        assert_eq!(e.field, "latency_ms", "{}", e.reason);
        let e = read_item::<RequestLogItem>(serde_json::json!({"id": "x", "occurred_at": "t", "method": "GET", "path": "/", "status": 200, "latency_ms": 1, "error": {"code": 5}})).err().unwrap();
        assert_eq!(e.field, "error.code");
        let e = read_item::<RequestLogItem>(serde_json::json!({"id": "x", "occurred_at": "t", "method": "GET", "path": "/", "status": 200, "latency_ms": 1, "colour": "red"})).err().unwrap();
        assert!(e.reason.contains("colour"), "{}", e.reason);
        assert_eq!(
            read_item::<RequestLogItem>(serde_json::json!([1])).err().unwrap().reason,
            "each item must be a JSON object"
        );
    }

    #[test]
    fn the_time_in_an_id_is_read() {
        let id = crate::ids::make_id(prefix::REQUEST, 1_764_000_000_123, 99);
        assert_eq!(crate::ids::id_time_ms(&id), Some(1_764_000_000_123));
    }
}
