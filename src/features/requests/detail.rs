//! One request: what was asked, what came back, why it failed and what to do next.

use crate::error::AppError;
use crate::features::ui::{
    format_time_utc, Badge, Card, CopyButton, DetailLoader, PageHeader, SlashWrap, Time,
};
use crate::platform_data::{normalized_fields, source_field, NullReason};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamCall {
    pub method: String,
    pub url: String,
    pub status: i64,
    pub latency_ms: i64,
    pub response: String,
    /// The classifier's reading of a failed call's response: (code, cause, rule).
    pub reading: Option<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBlock {
    pub status: i64,
    pub code: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
    /// Pretty-printed raw platform error, when the platform sent one.
    pub platform_error: Option<String>,
    pub confidence: Option<String>,
    pub next_step: String,
    /// What the classifier read in the raw error, when it read one.
    pub diagnosis: Option<Diagnosis>,
    /// The raw error cut where the diagnosed field is named, the named parts flagged, so the
    /// page can mark them without any parsing in the browser.
    pub platform_error_parts: Vec<(String, bool)>,
}

/// The classifier's reading of a raw platform error (`crate::classify`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub cause: String,
    pub cause_label: String,
    pub field: Option<String>,
    pub rule: Option<String>,
    /// The classifier's code, shown beside the stored code when they differ.
    pub classified_code: Option<String>,
    pub disagrees: bool,
}

#[cfg(feature = "ssr")]
impl Diagnosis {
    /// The reading stored beside a request or a run (`error_cause`, `error_field`, `error_rule`,
    /// `classified_code`), judged against the stored `code`; none when nothing was read.
    pub fn of_stored(
        cause: Option<&str>,
        field: Option<&str>,
        rule: Option<&str>,
        classified_code: Option<&str>,
        code: Option<&str>,
    ) -> Option<Diagnosis> {
        let cause = cause?;
        Some(Diagnosis {
            cause: cause.to_string(),
            cause_label: crate::classify::Cause::parse(cause).map(|c| c.label()).unwrap_or(cause).to_string(),
            field: field.map(str::to_string),
            rule: rule.map(str::to_string),
            classified_code: classified_code.map(str::to_string),
            disagrees: !Diagnosis::agrees(classified_code, code),
        })
    }

    /// Whether the classifier's code is the stored one.
    pub fn agrees(classified_code: Option<&str>, code: Option<&str>) -> bool {
        classified_code.is_some() && classified_code == code
    }
}

/// One normalized field beside its platform source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldComparison {
    pub field: String,
    pub value: Option<String>,
    pub source_field: Option<String>,
    pub raw_value: Option<String>,
    pub null_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordComparison {
    pub record_id: Option<String>,
    pub fields: Vec<FieldComparison>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionHealth {
    pub status: String,
    pub objects_ok: usize,
    /// Objects whose last run failed or was partial.
    pub objects_failing: Vec<String>,
    pub last_synced_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLogDetail {
    pub id: String,
    /// Where the redaction replaced a secret before storage (`request_headers.authorization`,
    /// `query.access_token`, `upstream_calls[0].url.client_secret`, …).
    pub redacted_fields: Vec<String>,
    pub organization_name: Option<String>,
    pub environment: String,
    pub created_at: i64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status_code: i64,
    pub latency_ms: i64,
    pub connection_id: Option<String>,
    pub connection_name: Option<String>,
    /// "Is this connection healthy?" in one line: its status and its objects' last sync outcome.
    pub connection_health: Option<ConnectionHealth>,
    pub platform_name: Option<String>,
    pub api_key_prefix: Option<String>,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub error: Option<ErrorBlock>,
    pub upstream_calls: Vec<UpstreamCall>,
    pub platform_data: Vec<RecordComparison>,
    /// Set when staff look at another organization's request.
    pub staff_view: bool,
    /// The issue this request is evidence of: (id, title, status).
    #[serde(default)]
    pub issue: Option<(String, String, String)>,
}

#[cfg(feature = "ssr")]
fn pretty(raw: &str) -> String {
    serde_json::from_str::<Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| raw.to_string())
}

/// `raw` cut around each whole-word mention of `field` (or of its last segment, for a path such
/// as `line_items[0][price]`), the mentions flagged: the page marks them.
#[cfg(feature = "ssr")]
fn mark(raw: &str, field: &str) -> Vec<(String, bool)> {
    let last = field
        .rsplit(['.', '/', '['])
        .find(|s| !s.trim_end_matches(']').is_empty())
        .map(|s| s.trim_end_matches(']'));
    let is_word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    for needle in std::iter::once(field).chain(last.filter(|l| *l != field)) {
        if needle.len() < 2 {
            continue;
        }
        let mut parts = Vec::new();
        let mut at = 0;
        let mut from = 0;
        while let Some(i) = raw[from..].find(needle) {
            let start = from + i;
            let end = start + needle.len();
            from = end;
            if is_word(raw[..start].chars().next_back()) || is_word(raw[end..].chars().next()) {
                continue;
            }
            parts.push((raw[at..start].to_string(), false));
            parts.push((needle.to_string(), true));
            at = end;
        }
        if !parts.is_empty() {
            parts.push((raw[at..].to_string(), false));
            parts.retain(|(s, _)| !s.is_empty());
            return parts;
        }
    }
    vec![(raw.to_string(), false)]
}

fn display(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Compares each normalized record carrying `platform_data` with its raw record.
pub fn compare_platform_data(
    path: &str,
    platform_id: &str,
    platform_name: &str,
    response: &Value,
) -> Vec<RecordComparison> {
    let object = path.split('/').nth(2).unwrap_or("");
    let records: Vec<&Value> = match response.get("results").and_then(|r| r.as_array()) {
        Some(list) => list.iter().collect(),
        None => vec![response],
    };
    records
        .into_iter()
        .filter_map(|record| {
            let raw = record.get("platform_data")?.as_object()?;
            let obj = record.as_object()?;
            let mut names: Vec<&str> = normalized_fields(object).to_vec();
            names.extend(
                obj.keys()
                    .map(String::as_str)
                    .filter(|k| *k != "platform_data" && !normalized_fields(object).contains(k)),
            );
            let fields = names
                .into_iter()
                .filter(|f| obj.contains_key(*f))
                .map(|field| {
                    let value = obj.get(field).and_then(display);
                    let source = source_field(platform_id, field);
                    let raw_value = source.as_ref().and_then(|s| raw.get(s));
                    let null_reason = value.is_none().then(|| {
                        let reason = match (&source, raw_value) {
                            (None, _) => NullReason::Unsupported,
                            (Some(_), None) => NullReason::NotSent,
                            (Some(_), Some(_)) => NullReason::SentEmpty,
                        };
                        reason.explain(platform_name, source.as_deref())
                    });
                    FieldComparison {
                        field: field.to_string(),
                        value,
                        raw_value: raw_value.map(|v| match v {
                            Value::String(s) if s.is_empty() => "\"\" (empty)".to_string(),
                            Value::Null => "null".to_string(),
                            other => display(other).unwrap_or_default(),
                        }),
                        source_field: source,
                        null_reason,
                    }
                })
                .collect();
            Some(RecordComparison { record_id: obj.get("id").and_then(display), fields })
        })
        .collect()
}

#[server(input = GetUrl, endpoint = "get_request_log")]
pub async fn get_request_log(id: String) -> Result<RequestLogDetail, AppError> {
    use crate::domain::{error_code, platform, SyncRunStatus};
    use crate::server::context::session;
    use crate::server::request_logs::RequestDetail;
    let (state, viewer) = session()?;
    let RequestDetail { row, organization_name, connection, object_states } =
        crate::server::request_logs::detail(&state, &viewer, &id).await?;
    let staff_view = row.organization_id != viewer.organization_id;
    let row_scope = crate::server::store::Scope::new(row.organization_id.clone(), row.environment.clone());
    let issue = crate::server::issues::for_request(state.store.as_ref(), &row_scope, &row)
        .await?
        .map(|i| (i.id, i.kind.title().to_string(), i.status.label().to_string()));
    let spec = row.platform_id.as_deref().and_then(platform);
    let platform_name = spec.map(|p| p.name.to_string());
    let upstream_calls: Vec<UpstreamCall> = serde_json::from_str::<Vec<Value>>(&row.upstream_calls)
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let status = c["status"].as_i64().unwrap_or(0);
            let response = c["response"].as_str().unwrap_or("");
            // Each failed attempt read on its own (attempts of one request can fail
            // differently: a 429, then a 503); the request's error is the last one's.
            let reading = (status >= 400).then(|| {
                let r = crate::classify::classify(&crate::classify::RawError {
                    platform: row.platform_id.clone().unwrap_or_default(),
                    http_status: u16::try_from(status).ok(),
                    headers: Vec::new(),
                    body: response.to_string(),
                    method: c["method"].as_str().map(str::to_string),
                    path: None,
                });
                (r.code.to_string(), r.cause.label().to_string(), r.rule)
            });
            UpstreamCall {
                method: c["method"].as_str().unwrap_or("").to_string(),
                url: c["url"].as_str().unwrap_or("").to_string(),
                status,
                latency_ms: c["latency_ms"].as_i64().unwrap_or(0),
                response: pretty(response),
                reading,
            }
        })
        .collect();
    // The classifier's reading guides the next step only where it agrees with the stored code;
    // where it does not, the page shows both and the stored code's advice.
    let agrees = Diagnosis::agrees(row.classified_code.as_deref(), row.error_code.as_deref());
    let diagnosis = Diagnosis::of_stored(
        row.error_cause.as_deref(),
        row.error_field.as_deref(),
        row.error_rule.as_deref(),
        row.classified_code.as_deref(),
        row.error_code.as_deref(),
    );
    let platform_error = row.platform_error.as_deref().map(pretty);
    let platform_error_parts = match (&platform_error, row.error_field.as_deref()) {
        (Some(raw), Some(field)) if agrees => mark(raw, field),
        (Some(raw), _) => vec![(raw.clone(), false)],
        _ => Vec::new(),
    };
    let error = (row.status_code >= 400).then(|| ErrorBlock {
        status: row.status_code,
        code: row.error_code.clone(),
        title: row.error_code.as_deref().and_then(error_code).map(|e| e.title.to_string()),
        message: row.error_message.clone(),
        platform_error,
        confidence: row.error_confidence.clone(),
        diagnosis,
        platform_error_parts,
        next_step: crate::server::request_logs::next_step(
            &row,
            connection.as_ref().map(|c| c.display_name.as_str()),
        )
        .unwrap_or_default(),
    });
    let response_json = row.response_body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok());
    let platform_data = match (&response_json, spec) {
        (Some(v), Some(p)) => compare_platform_data(&row.path, p.id, p.name, v),
        _ => Vec::new(),
    };
    let request_headers = serde_json::from_str::<serde_json::Map<String, Value>>(&row.request_headers)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| display(&v).map(|v| (k, v)))
        .collect();
    let redacted_fields = serde_json::from_str::<Vec<String>>(&row.redacted_fields).unwrap_or_default();
    let connection_health = match &connection {
        Some(c) => {
            let states = &object_states;
            let objects_failing: Vec<String> = states
                .iter()
                .filter(|(r, _)| matches!(r.status, SyncRunStatus::Failed | SyncRunStatus::Partial))
                .map(|(r, _)| r.data_object.clone())
                .collect();
            let objects_ok = states.iter().filter(|(r, _)| r.status == SyncRunStatus::Succeeded).count();
            Some(ConnectionHealth {
                status: c.status.into(),
                objects_ok,
                objects_failing,
                last_synced_at: c.last_synced_at,
            })
        }
        None => None,
    };
    Ok(RequestLogDetail {
        redacted_fields,
        id: row.id,
        organization_name,
        environment: row.environment,
        created_at: row.created_at,
        method: row.method,
        path: row.path,
        query: row.query,
        status_code: row.status_code,
        latency_ms: row.latency_ms,
        connection_id: row.connection_id,
        connection_name: connection.map(|c| c.display_name),
        connection_health,
        platform_name,
        api_key_prefix: row.api_key_prefix,
        idempotency_key: row.idempotency_key,
        user_agent: row.user_agent,
        source_ip: row.source_ip,
        request_headers,
        request_body: row.request_body.as_deref().map(pretty),
        response_body: if row.response_truncated {
            row.response_body
        } else {
            row.response_body.as_deref().map(pretty)
        },
        response_truncated: row.response_truncated,
        error,
        upstream_calls,
        platform_data,
        staff_view,
        issue,
    })
}

#[component]
pub fn RequestLogPage() -> impl IntoView {
    let params = use_params_map();
    let detail = Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), get_request_log);
    view! {
        <DetailLoader resource=detail title="Request" render=|d| view! { <Detail d /> } />
    }
}

#[component]
fn Field(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! {
        <div>
            <dt class="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</dt>
            <dd class="mt-0.5 wrap-break-word text-sm text-slate-900">{children()}</dd>
        </div>
    }
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "—".to_string())
}

#[component]
fn Detail(d: RequestLogDetail) -> impl IntoView {
    let around = d.connection_id.as_ref().map(|c| {
        let fmt = |ms: i64| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
                .unwrap_or_default()
        };
        format!(
            "/requests?connection={c}&from={}&to={}",
            fmt(d.created_at - 15 * 60_000),
            fmt(d.created_at + 15 * 60_000)
        )
    });
    let title = format!("{} {}", d.method, d.path);
    let method_path = format!("{} {}", d.method, d.path);
    let query = or_dash(d.query.clone());
    let platform_name = or_dash(d.platform_name.clone());
    let api_key = d.api_key_prefix.clone().map(|p| format!("{p}…")).unwrap_or_else(|| "—".into());
    let idempotency_key = or_dash(d.idempotency_key.clone());
    let user_agent = or_dash(d.user_agent.clone());
    let source_ip = or_dash(d.source_ip.clone());
    let environment = d.environment.clone();
    let connection = d.connection_id.clone().map(|id| (id, d.connection_name.clone()));
    let health = d.connection_health.clone();
    let platform_data = d.platform_data.clone();
    let platform_label = d.platform_name.clone().unwrap_or_default();
    let redacted_fields = d.redacted_fields.clone();
    view! {
        <PageHeader title=title subtitle=format!("Request {}", d.id)>
            <div class="flex items-center gap-2">
                <Badge tone=crate::features::ui::http_tone(d.status_code)>{format!("HTTP {}", d.status_code)}</Badge>
                <CopyButton text=d.id.clone() label="Copy request ID" />
            </div>
        </PageHeader>
        {d.staff_view.then(|| view! {
            <p class="mb-4 rounded-md border border-indigo-200 bg-indigo-50 px-4 py-2 text-sm text-indigo-900" data-testid="staff-banner">
                {format!("Staff view of {}'s data. This access is recorded in the audit log.", d.organization_name.clone().unwrap_or_default())}
            </p>
        })}
        {d.issue.clone().map(|(id, title, status)| view! {
            <p class="mb-4 rounded-md border border-red-200 bg-red-50 px-4 py-2 text-sm text-red-900" data-testid="request-issue">
                "Part of an issue: "
                <a class="font-medium underline" href=format!("/issues/{id}")>{format!("{title} ({status})")}</a>
            </p>
        })}
        {d.error.clone().map(|e| view! { <ErrorSection e /> })}
        <Card class="mb-6 p-5">
            <dl class="grid gap-x-8 gap-y-4 sm:grid-cols-2 lg:grid-cols-3" data-testid="request-summary">
                <Field label="Status">{d.status_code.to_string()}</Field>
                <Field label="Method and path"><span class="font-mono">{method_path}</span></Field>
                <Field label="Query"><span class="font-mono">{query}</span></Field>
                <Field label="Time"><Time ms=d.created_at /><span class="block text-xs tabular-nums text-slate-600" data-testid="request-time-utc">{format_time_utc(d.created_at)}</span></Field>
                <Field label="Latency">{format!("{} ms", d.latency_ms)}</Field>
                <Field label="Connection">
                    {match connection {
                        Some((id, name)) => view! {
                            <a class="font-medium text-indigo-700 hover:underline" href=format!("/connections/{id}")>{name.unwrap_or_else(|| id.clone())}</a>
                            <span class="block font-mono text-xs text-slate-600">{id.clone()}</span>
                            {health.clone().map(|h| view! {
                                <a data-testid="connection-health" class="mt-1 block text-xs text-slate-700 hover:underline" href=format!("/connections/{id}?tab=overview")>
                                    {health_line(&h)}
                                </a>
                            })}
                        }.into_any(),
                        None => view! { "—" }.into_any(),
                    }}
                </Field>
                <Field label="Platform">{platform_name}</Field>
                <Field label="API key"><span class="font-mono">{api_key}</span></Field>
                <Field label="Idempotency key"><span class="font-mono">{idempotency_key}</span></Field>
                <Field label="User agent">{user_agent}</Field>
                <Field label="Source IP"><span class="font-mono">{source_ip}</span></Field>
                <Field label="Environment">{environment}</Field>
            </dl>
            {around.map(|href| view! {
                <p class="mt-4 text-sm">
                    <a class="font-medium text-indigo-700 hover:underline" href=href data-testid="around-link">"This connection's other requests within 15 minutes \u{2192}"</a>
                </p>
            })}
        </Card>
        {(!platform_data.is_empty()).then(|| view! { <PlatformDataSection records=platform_data platform=platform_label /> })}
        <Card class="mb-6">
            <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold">"Request"</h2>
            <div class="p-5">
                <RedactionNote fields=redacted_fields.clone() />
                <table class="mt-3 w-full text-sm" data-testid="request-headers">
                    <tbody class="divide-y divide-slate-100">
                        {d.request_headers.into_iter().map(|(k, v)| view! {
                            <tr class="block sm:table-row"><th class="block pt-1.5 pr-4 text-left font-mono text-xs font-medium text-slate-500 sm:table-cell sm:w-56 sm:py-1.5">{k}</th><td class="block pb-1.5 font-mono text-xs wrap-break-word sm:table-cell sm:py-1.5">{v}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {d.request_body.map(|b| view! {
                    <h3 class="mt-4 text-xs font-semibold uppercase tracking-wide text-slate-500">"Body"</h3>
                    <pre class="mt-1 max-h-96 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" tabindex="0">{b}</pre>
                })}
            </div>
        </Card>
        <Card class="mb-6">
            <details class="group" open={d.status_code >= 400}>
                <summary class="cursor-pointer list-none border-b border-slate-100 px-5 py-3 text-sm font-semibold">
                    "Response body" <span class="ml-1 text-xs font-normal text-slate-500">"(click to expand or collapse)"</span>
                </summary>
                <div class="p-5">
                    {d.response_truncated.then(|| view! {
                        <p class="mb-2 rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900" data-testid="truncated-notice">
                            "This body was larger than the storage cap and was truncated; what follows is its beginning."
                        </p>
                    })}
                    {match d.response_body {
                        Some(b) => view! { <pre class="max-h-[32rem] overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" tabindex="0" data-testid="response-body">{b}</pre> }.into_any(),
                        None => view! { <p class="text-sm text-slate-500">"No response body."</p> }.into_any(),
                    }}
                </div>
            </details>
        </Card>
        <Card class="mb-6">
            <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold">"Upstream platform calls"</h2>
            {if d.upstream_calls.is_empty() {
                view! { <p class="px-5 py-4 text-sm text-slate-500">"No call reached the platform for this request."</p> }.into_any()
            } else {
                view! {
                    <ol class="divide-y divide-slate-100" data-testid="upstream-calls">
                        {d.upstream_calls.into_iter().enumerate().map(|(i, c)| view! {
                            <li class="px-5 py-3">
                                <div class="flex flex-wrap items-center gap-3 text-sm">
                                    <span class="text-slate-500">{format!("#{}", i + 1)}</span>
                                    <Badge tone=crate::features::ui::http_tone(c.status)>{c.status.to_string()}</Badge>
                                    {c.reading.clone().map(|(code, cause, rule)| view! {
                                        <span class="text-xs text-red-800" data-testid="call-reading" title=format!("Classifier rule: {rule}")>
                                            <code class="font-mono">{code}</code>" · "{cause}
                                        </span>
                                    })}
                                    <span class="font-mono text-xs wrap-break-word">{c.method.clone()}" "<SlashWrap text=c.url.clone() /></span>
                                    <span class="ml-auto text-xs text-slate-500">{format!("{} ms", c.latency_ms)}</span>
                                </div>
                                {(!c.response.is_empty()).then(|| view! {
                                    <details class="mt-2">
                                        <summary class="cursor-pointer text-xs font-medium text-indigo-700">"Raw response"</summary>
                                        <pre class="mt-1 max-h-72 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" tabindex="0">{c.response.clone()}</pre>
                                    </details>
                                })}
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </Card>
    }
}

#[component]
fn ErrorSection(e: ErrorBlock) -> impl IntoView {
    view! {
        <section class="mb-6 rounded-lg border border-red-200 bg-red-50 p-5" data-testid="error-block" aria-label="Error">
            <div class="flex flex-wrap items-center gap-3">
                <h2 class="text-base font-semibold text-red-900">{e.title.clone().unwrap_or_else(|| format!("HTTP {}", e.status))}</h2>
                {e.code.clone().map(|c| view! { <code class="rounded bg-white px-2 py-0.5 font-mono text-sm text-red-800 ring-1 ring-red-200" data-testid="error-code">{c}</code> })}
                <span class="text-sm text-red-800">{format!("HTTP {}", e.status)}</span>
                {e.confidence.clone().map(|c| view! { <span class="text-xs text-red-700">{format!("Mapping confidence: {c}")}</span> })}
            </div>
            {e.message.clone().map(|m| view! { <p class="mt-2 text-sm text-red-900">{m}</p> })}
            {e.diagnosis.clone().map(|d| view! {
                <dl class="mt-3 grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-2" data-testid="diagnosis">
                    <div class="flex gap-2"><dt class="text-red-800">"Cause"</dt><dd class="font-medium text-red-900" data-testid="error-cause">{d.cause_label.clone()}</dd></div>
                    {d.field.clone().map(|f| view! { <div class="flex gap-2"><dt class="text-red-800">"Field"</dt><dd class="font-mono text-red-900" data-testid="error-field">{f}</dd></div> })}
                    {d.rule.clone().map(|r| view! { <div class="flex min-w-0 gap-2"><dt class="text-red-800">"Rule"</dt><dd class="break-all font-mono text-xs leading-5 text-red-900" data-testid="error-rule">{r}</dd></div> })}
                </dl>
                {(d.disagrees).then(|| view! {
                    <p class="mt-2 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="classifier-disagrees">
                        {format!(
                            "The data plane sent {}; Switchboard's classifier reads this raw error as {} ({}). Check the raw error below.",
                            e.code.clone().unwrap_or_else(|| "no code".into()),
                            d.classified_code.clone().unwrap_or_else(|| "unknown-error".into()),
                            d.cause_label.to_lowercase(),
                        )}
                    </p>
                })}
            })}
            <div class="mt-3 rounded-md bg-white p-3 ring-1 ring-red-100">
                <p class="text-xs font-semibold uppercase tracking-wide text-slate-500">"What to do next"</p>
                <p class="mt-1 text-sm text-slate-900" data-testid="next-step">{e.next_step.clone()}</p>
            </div>
            {match e.platform_error.clone() {
                Some(raw) => view! {
                    <p class="mt-3 text-xs font-semibold uppercase tracking-wide text-red-800">"Raw platform error"</p>
                    <pre class="mt-1 max-h-72 overflow-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" tabindex="0" data-testid="platform-error">
                        {if e.platform_error_parts.is_empty() { vec![(raw, false)] } else { e.platform_error_parts.clone() }
                            .into_iter()
                            .map(|(text, named)| if named {
                                view! { <mark class="rounded bg-amber-300 px-0.5 text-slate-900" data-testid="error-field-mark">{text}</mark> }.into_any()
                            } else {
                                view! { <span>{text}</span> }.into_any()
                            })
                            .collect_view()}
                    </pre>
                }.into_any(),
                None => view! { <p class="mt-3 text-xs text-red-800">"The platform sent no error body for this failure."</p> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn PlatformDataSection(records: Vec<RecordComparison>, platform: String) -> impl IntoView {
    view! {
        <Card class="mb-6">
            <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold">{format!("Platform data: normalized fields beside the raw {platform} record")}</h2>
            <div class="space-y-6 p-5" data-testid="platform-data">
                {records.into_iter().map(|r| view! {
                    <div>
                        <p class="mb-2 text-xs font-medium text-slate-500">{format!("Record {}", r.record_id.clone().unwrap_or_default())}</p>
                        <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Platform data">
                            <table class="min-w-full text-sm">
                                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                                    <tr><th class="px-3 py-2">"Normalized field"</th><th class="px-3 py-2">"Value"</th><th class="px-3 py-2">{format!("{platform} field")}</th><th class="px-3 py-2">"Raw value"</th></tr>
                                </thead>
                                <tbody class="divide-y divide-slate-100">
                                    {r.fields.into_iter().map(|f| {
                                        let is_null = f.value.is_none();
                                        view! {
                                            <tr class=if is_null { "bg-amber-50/50" } else { "" }>
                                                <td class="px-3 py-1.5 font-mono text-xs">{f.field.clone()}</td>
                                                <td class="px-3 py-1.5 text-xs">
                                                    {match f.value {
                                                        Some(v) => view! { <span class="font-mono">{v}</span> }.into_any(),
                                                        None => view! {
                                                            <span class="font-mono text-amber-800">"null"</span>
                                                            <span class="block text-amber-900" data-testid="null-reason">{f.null_reason.unwrap_or_default()}</span>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                                <td class="px-3 py-1.5 font-mono text-xs text-slate-600">{f.source_field.unwrap_or_else(|| "(none)".into())}</td>
                                                <td class="px-3 py-1.5 font-mono text-xs text-slate-600">{f.raw_value.unwrap_or_else(|| "(absent)".into())}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </div>
                }).collect_view()}
            </div>
        </Card>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_fields_are_explained() {
        let response = serde_json::json!({"results": [{
            "id": "1", "number": null, "memo": null, "currency": null, "total_amount": 10.0,
            "platform_data": {"Id": "1", "InvoiceNumber": "", "TotalAmount": 10.0}
        }]});
        let r = compare_platform_data("/accounting/invoices", "xero", "Xero", &response);
        let f = |name: &str| r[0].fields.iter().find(|f| f.field == name).unwrap().clone();
        assert!(f("number").null_reason.unwrap().contains("sent InvoiceNumber, but empty"));
        assert!(f("memo").null_reason.unwrap().contains("does not support"));
        assert!(f("currency").null_reason.unwrap().contains("did not send the source field Currency"));
        assert!(f("total_amount").null_reason.is_none());
    }
}

/// Says which values were replaced before storage, so nobody mistakes `[REDACTED]` for what
/// the caller sent.
#[component]
fn RedactionNote(fields: Vec<String>) -> impl IntoView {
    view! {
        <div class="text-xs text-slate-600" data-testid="redaction-note">
            {if fields.is_empty() {
                view! { <p>"No secrets were found in this request. Secrets (authorization headers, tokens, passwords, API keys, card numbers) are always replaced before storage."</p> }.into_any()
            } else {
                view! {
                    <p>"Secrets were replaced with [REDACTED] before storage, so their values were never saved. Redacted: "
                        {fields.into_iter().enumerate().map(|(i, f)| view! {
                            {(i > 0).then_some(", ")}<code class="font-mono text-slate-800">{f}</code>
                        }).collect_view()}
                    "."</p>
                }.into_any()
            }}
        </div>
    }
}

/// "Healthy · 9 objects synced, invoices failing · last synced 2026-11-24 10:02 UTC".
fn health_line(h: &ConnectionHealth) -> String {
    let status = crate::domain::ConnectionStatus::parse(&h.status).map(|s| s.label()).unwrap_or("Unknown");
    let mut parts = vec![status.to_string()];
    if h.objects_ok + h.objects_failing.len() > 0 {
        let mut objects =
            format!("{} synced", crate::features::ui::plural(h.objects_ok as i64, "object", "objects"));
        if !h.objects_failing.is_empty() {
            objects.push_str(&format!(", last run failed for {}", h.objects_failing.join(", ")));
        }
        parts.push(objects);
    }
    parts.push(match h.last_synced_at {
        Some(t) => format!("last synced {}", crate::features::ui::format_time_utc(t)),
        None => "never synced".into(),
    });
    parts.join(" \u{b7} ")
}

#[cfg(all(test, feature = "ssr"))]
mod mark_tests {
    use super::mark;

    #[test]
    fn the_named_field_is_marked_where_it_stands_as_a_word() {
        let parts = mark(
            r#"<Error code="6240" element="DisplayName"><Message>DisplayName taken</Message>"#,
            "DisplayName",
        );
        assert_eq!(parts.iter().filter(|(_, named)| *named).count(), 2);
        assert_eq!(parts.iter().map(|(t, _)| t.as_str()).collect::<String>().len(), 77);
        // A path is found by its last segment; a word inside another word is not marked.
        let parts = mark(r#"{"param": "price", "message": "No such price; pricey"}"#, "line_items[0][price]");
        assert_eq!(parts.iter().filter(|(_, named)| *named).count(), 2, "{parts:?}");
        assert_eq!(mark("nothing here", "DocNumber"), vec![("nothing here".to_string(), false)]);
    }
}
