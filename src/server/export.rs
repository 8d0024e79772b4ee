//! Downloads of a filtered list: the request log, a connection's sync history and the webhook
//! delivery log, as CSV or NDJSON. The same services as the pages read the rows (so the same
//! validation, scope and "not found" answers), a page of [`PAGE`] rows at a time from the
//! newest, and each page is written out before the next is read: memory stays the same whatever
//! the size of the list, and a reader that goes away stops the reading. What the store holds is
//! what is written (secrets were redacted when the rows were stored).

use super::actor::Actor;
use super::service::{ServiceError, ServiceResult};
use super::store::Page;
use super::AppState;
use crate::domain::delivery_filter::DeliveryFilters;
use crate::domain::request_filter::RequestFilter;
use axum::body::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use serde::Serialize;

/// Rows read per round trip to the database: the most a store query returns.
const PAGE: i64 = super::store::MAX_PAGE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// `csv` or `ndjson`, as the download links write it.
    pub fn parse(s: &str) -> ServiceResult<Format> {
        match s.trim() {
            "csv" => Ok(Format::Csv),
            "ndjson" => Ok(Format::Ndjson),
            other => Err(ServiceError::invalid(format!(
                "Export format \u{201c}{other}\u{201d} is not one Switchboard writes: use format=csv or format=ndjson."
            ))),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

/// A download ready to stream: its file name and its body. Building one reads the first page,
/// so bad filters and unknown ids are answered before anything is sent.
pub struct Export {
    pub file_name: String,
    pub format: Format,
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

/// One exported row: its NDJSON object is its serialization, its CSV line the same fields in
/// [`Line::HEADER`]'s order.
pub trait Line: Serialize + Send + 'static {
    const HEADER: &'static [&'static str];
    fn fields(&self) -> Vec<String>;
}

/// A page of rows and the cursor of the next (older) one.
type Fetched<R> = ServiceResult<(Vec<R>, Option<String>)>;

/// Writes `first` and then every page `next` reads from the cursors it returns, until one comes
/// back without a cursor.
fn export<R, F, Fut>(format: Format, file_name: String, first: (Vec<R>, Option<String>), next: F) -> Export
where
    R: Line,
    F: FnMut(String) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Fetched<R>> + Send + 'static,
{
    let header = match format {
        Format::Csv => Some(csv_line(R::HEADER.iter().map(|h| h.to_string()).collect())),
        Format::Ndjson => None,
    };
    let first_chunk = write(format, header, &first.0);
    // State: the next page's cursor (None: done) and the fetcher.
    let rest = stream::unfold((first.1, next), move |(cursor, mut next)| async move {
        let cursor = cursor?;
        match next(cursor).await {
            Ok((rows, cursor)) => Some((Ok(write(format, None, &rows)), (cursor, next))),
            Err(e) => {
                // The download ends short and the browser reports it as failed; the log says why.
                tracing::error!(error = %e, "an export stopped: a page could not be read");
                Some((Err(std::io::Error::other("the export could not be completed")), (None, next)))
            }
        }
    });
    // Fused: the compression layer polls once more after the end, which `unfold` forbids.
    let body = stream::once(async move { Ok(first_chunk) }).chain(rest).fuse().boxed();
    Export { file_name, format, body }
}

fn write<R: Line>(format: Format, header: Option<String>, rows: &[R]) -> Bytes {
    let mut out = header.unwrap_or_default();
    for r in rows {
        match format {
            Format::Csv => out.push_str(&csv_line(r.fields())),
            Format::Ndjson => {
                // A row of strings and numbers always serializes.
                out.push_str(&serde_json::to_string(r).unwrap_or_default());
                out.push('\n');
            }
        }
    }
    Bytes::from(out)
}

/// One CSV record (RFC 4180: fields with a comma, quote or line break are quoted, quotes
/// doubled; lines end with CRLF). A field a spreadsheet would run as a formula (`=`, `+`, `-`,
/// `@` first) is prefixed with `'`: a path or message from a platform is not trusted.
fn csv_line(fields: Vec<String>) -> String {
    let mut line = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        let f = if f.starts_with(['=', '+', '-', '@', '\t', '\r']) && f.parse::<f64>().is_err() {
            format!("'{f}")
        } else {
            f
        };
        if f.contains([',', '"', '\n', '\r']) {
            line.push('"');
            line.push_str(&f.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(&f);
        }
    }
    line.push_str("\r\n");
    line
}

/// `switchboard-requests-production-status-5xx-20261207T101500Z.csv`: what, where, the filters
/// that were set (characters a file name cannot hold become `_`) and when, in UTC.
fn file_name(what: &str, environment: &str, filters: &[(&str, &str)], now_ms: i64, format: Format) -> String {
    let clean = |s: &str| -> String {
        s.trim()
            .chars()
            .take(40)
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
            .collect()
    };
    let mut name = format!("switchboard-{what}-{}", clean(environment));
    for (k, v) in filters.iter().filter(|(_, v)| !v.trim().is_empty()) {
        if name.len() > 160 {
            break;
        }
        name.push_str(&format!("-{}-{}", clean(k), clean(v)));
    }
    let stamp = chrono::DateTime::from_timestamp_millis(now_ms)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default();
    format!("{name}-{stamp}.{}", format.extension())
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn opt_time(ms: Option<i64>) -> String {
    ms.map(time).unwrap_or_default()
}

/// A request of the request log, as exported.
#[derive(Serialize)]
pub struct RequestLine {
    id: String,
    created_at: String,
    method: String,
    path: String,
    status_code: i64,
    error_code: Option<String>,
    platform: Option<String>,
    connection_id: Option<String>,
    latency_ms: i64,
}

impl Line for RequestLine {
    const HEADER: &'static [&'static str] = &[
        "id",
        "created_at",
        "method",
        "path",
        "status_code",
        "error_code",
        "platform",
        "connection_id",
        "latency_ms",
    ];
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.created_at.clone(),
            self.method.clone(),
            self.path.clone(),
            self.status_code.to_string(),
            self.error_code.clone().unwrap_or_default(),
            self.platform.clone().unwrap_or_default(),
            self.connection_id.clone().unwrap_or_default(),
            self.latency_ms.to_string(),
        ]
    }
}

/// Every request of the actor's environment matching `filter`, newest first (its cursors and
/// page size are ignored: the whole list is written).
pub async fn request_logs(
    state: &AppState,
    actor: &Actor,
    filter: &RequestFilter,
    format: Format,
) -> ServiceResult<Export> {
    let filter = RequestFilter { before: None, after: None, limit: None, ..filter.clone() };
    let page = {
        let (state, actor, filter) = (state.clone(), actor.clone(), filter.clone());
        move |before: Option<String>| {
            let (state, actor) = (state.clone(), actor.clone());
            let filter = RequestFilter { before, ..filter.clone() };
            async move {
                let list = super::request_logs::list(&state, &actor, &filter, PAGE).await?;
                let rows = list
                    .rows
                    .into_iter()
                    .map(|r| RequestLine {
                        id: r.id,
                        created_at: time(r.created_at),
                        method: r.method,
                        path: r.path,
                        status_code: r.status_code,
                        error_code: r.error_code,
                        platform: r.platform_id,
                        connection_id: r.connection_id,
                        latency_ms: r.latency_ms,
                    })
                    .collect();
                Ok((rows, list.older))
            }
        }
    };
    let first = page(None).await?;
    let f = &filter;
    let name = file_name(
        "requests",
        &actor.scope().environment,
        &[
            ("request", f.request_id.as_deref().unwrap_or("")),
            ("connection", f.connection.as_deref().unwrap_or("")),
            ("platform", f.platform.as_deref().unwrap_or("")),
            ("status", f.status.as_deref().unwrap_or("")),
            ("error", f.error_code.as_deref().unwrap_or("")),
            ("method", f.method.as_deref().unwrap_or("")),
            ("path", f.path.as_deref().unwrap_or("")),
            ("range", if f.from.is_some() || f.to.is_some() { "" } else { f.range.as_deref().unwrap_or("") }),
            ("from", f.from.as_deref().unwrap_or("")),
            ("to", f.to.as_deref().unwrap_or("")),
        ],
        state.clock.now_ms(),
        format,
    );
    Ok(export(format, name, first, move |cursor| page(Some(cursor))))
}

/// A run of a connection's sync history, as exported.
#[derive(Serialize)]
pub struct SyncRunLine {
    id: String,
    connection_id: String,
    platform: String,
    data_object: String,
    kind: String,
    trigger: String,
    status: String,
    queued_at: String,
    started_at: String,
    finished_at: String,
    records_added: i64,
    records_updated: i64,
    records_deleted: i64,
    error_code: Option<String>,
    error_message: Option<String>,
    platform_error: Option<String>,
}

impl Line for SyncRunLine {
    const HEADER: &'static [&'static str] = &[
        "id",
        "connection_id",
        "platform",
        "data_object",
        "kind",
        "trigger",
        "status",
        "queued_at",
        "started_at",
        "finished_at",
        "records_added",
        "records_updated",
        "records_deleted",
        "error_code",
        "error_message",
        "platform_error",
    ];
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.connection_id.clone(),
            self.platform.clone(),
            self.data_object.clone(),
            self.kind.clone(),
            self.trigger.clone(),
            self.status.clone(),
            self.queued_at.clone(),
            self.started_at.clone(),
            self.finished_at.clone(),
            self.records_added.to_string(),
            self.records_updated.to_string(),
            self.records_deleted.to_string(),
            self.error_code.clone().unwrap_or_default(),
            self.error_message.clone().unwrap_or_default(),
            self.platform_error.clone().unwrap_or_default(),
        ]
    }
}

/// Every run of one connection matching `filters`, newest first. A platform without sync
/// history has none to export, whatever is stored (as its History tab shows).
pub async fn sync_runs(
    state: &AppState,
    actor: &Actor,
    connection_id: &str,
    filters: &super::sync_runs::HistoryFilters,
    format: Format,
) -> ServiceResult<Export> {
    let page = {
        let (state, actor, filters) = (state.clone(), actor.clone(), filters.clone());
        let connection_id = connection_id.to_string();
        move |before: Option<String>| {
            let (state, actor, filters, connection_id) =
                (state.clone(), actor.clone(), filters.clone(), connection_id.clone());
            async move {
                let h = super::sync_runs::history(
                    &state,
                    &actor,
                    &connection_id,
                    &filters,
                    before.as_deref(),
                    None,
                    PAGE,
                )
                .await?;
                let supported = crate::domain::platform(&h.connection.platform_id)
                    .is_some_and(|p| p.supports_sync_history);
                if !supported {
                    return Ok((vec![], None));
                }
                let rows = h
                    .rows
                    .into_iter()
                    .map(|r| SyncRunLine {
                        id: r.id,
                        connection_id: r.connection_id,
                        platform: r.platform_id,
                        data_object: r.data_object,
                        kind: r.kind.as_str().to_string(),
                        trigger: r.trigger_kind.as_str().to_string(),
                        status: r.status.as_str().to_string(),
                        queued_at: time(r.queued_at),
                        started_at: opt_time(r.started_at),
                        finished_at: opt_time(r.finished_at),
                        records_added: r.records_added,
                        records_updated: r.records_updated,
                        records_deleted: r.records_deleted,
                        error_code: r.error_code,
                        error_message: r.error_message,
                        platform_error: r.platform_error,
                    })
                    .collect();
                Ok((rows, h.older))
            }
        }
    };
    let first = page(None).await?;
    let f = filters;
    // The connection's own scope (staff may export another organization's, audited on read).
    let (scope, _) = super::connections::get(state, actor, connection_id).await?;
    let name = file_name(
        "sync-runs",
        &scope.environment,
        &[
            ("connection", connection_id),
            ("object", &f.object),
            ("status", &f.status),
            ("kind", &f.kind),
            ("range", if f.from.trim().is_empty() && f.to.trim().is_empty() { &f.range } else { "" }),
            ("from", &f.from),
            ("to", &f.to),
        ],
        state.clock.now_ms(),
        format,
    );
    Ok(export(format, name, first, move |cursor| page(Some(cursor))))
}

/// A webhook delivery, as exported.
#[derive(Serialize)]
pub struct DeliveryLine {
    id: String,
    created_at: String,
    event_id: String,
    event_type: String,
    endpoint_id: String,
    endpoint_url: String,
    connection_id: Option<String>,
    status: String,
    attempts: i64,
    last_attempt_at: String,
    last_response_status: Option<i64>,
    next_attempt_at: String,
    last_failure: Option<String>,
}

impl Line for DeliveryLine {
    const HEADER: &'static [&'static str] = &[
        "id",
        "created_at",
        "event_id",
        "event_type",
        "endpoint_id",
        "endpoint_url",
        "connection_id",
        "status",
        "attempts",
        "last_attempt_at",
        "last_response_status",
        "next_attempt_at",
        "last_failure",
    ];
    fn fields(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            self.created_at.clone(),
            self.event_id.clone(),
            self.event_type.clone(),
            self.endpoint_id.clone(),
            self.endpoint_url.clone(),
            self.connection_id.clone().unwrap_or_default(),
            self.status.clone(),
            self.attempts.to_string(),
            self.last_attempt_at.clone(),
            self.last_response_status.map(|s| s.to_string()).unwrap_or_default(),
            self.next_attempt_at.clone(),
            self.last_failure.clone().unwrap_or_default(),
        ]
    }
}

/// Every delivery matching `filters`, newest first.
pub async fn deliveries(
    state: &AppState,
    actor: &Actor,
    filters: &DeliveryFilters,
    format: Format,
) -> ServiceResult<Export> {
    let page = {
        let (state, actor, filters) = (state.clone(), actor.clone(), filters.clone());
        move |before: Option<String>| {
            let (state, actor, filters) = (state.clone(), actor.clone(), filters.clone());
            async move {
                let page = before.map(Page::Before).unwrap_or(Page::First);
                let list = super::webhooks::delivery_log::list(&state, &actor, &filters, page, PAGE).await?;
                let rows = list
                    .rows
                    .into_iter()
                    .map(|r| {
                        let d = r.delivery;
                        DeliveryLine {
                            id: d.id,
                            created_at: time(d.created_at),
                            event_id: d.event_id,
                            event_type: d.event_type,
                            endpoint_id: d.endpoint_id,
                            endpoint_url: r.endpoint_url,
                            connection_id: d.connection_id,
                            status: d.status.as_str().to_string(),
                            attempts: d.attempt_count,
                            last_attempt_at: opt_time(d.last_attempt_at),
                            last_response_status: d.last_status,
                            next_attempt_at: opt_time(d.next_attempt_at),
                            last_failure: d.last_failure,
                        }
                    })
                    .collect();
                Ok((rows, list.older))
            }
        }
    };
    let first = page(None).await?;
    let f = filters;
    let name = file_name(
        "deliveries",
        &actor.scope().environment,
        &[
            ("endpoint", &f.endpoint),
            ("type", &f.types),
            ("connection", &f.connection),
            ("status", &f.status),
            ("class", &f.class),
            ("range", if f.from.trim().is_empty() && f.to.trim().is_empty() { &f.range } else { "" }),
            ("from", &f.from),
            ("to", &f.to),
        ],
        state.clock.now_ms(),
        format,
    );
    Ok(export(format, name, first, move |cursor| page(Some(cursor))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let line = csv_line(vec![
            "plain".into(),
            "a,b".into(),
            "say \"hi\"".into(),
            "two\nlines".into(),
            "=HYPERLINK(\"x\")".into(),
            "-12".into(),
            "@sum".into(),
        ]);
        assert_eq!(
            line,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"'=HYPERLINK(\"\"x\"\")\",-12,'@sum\r\n"
        );
    }

    #[test]
    fn file_names_carry_the_filters_and_the_time_and_nothing_a_path_could_use() {
        let name = file_name(
            "requests",
            "production",
            &[("status", "5xx"), ("platform", ""), ("path", "/../etc/passwd x")],
            1_796_640_900_000,
            Format::Csv,
        );
        assert_eq!(
            name,
            "switchboard-requests-production-status-5xx-path-_.._etc_passwd_x-20261207T105500Z.csv"
        );
    }
}
