//! The webhook delivery log (`/webhooks/deliveries`, an endpoint's page, a connection's
//! Webhooks tab) and a delivery's page with its payload, headers and every attempt.

use crate::domain::delivery_filter::{DeliveryFilters, CLASSES, RANGES};
use crate::domain::DeliveryStatus;
use crate::error::AppError;
use crate::features::ui::{
    format_time_utc, Badge, Card, DetailLoader, ErrorNotice, ExportLinks, FilterPanel, Loading, PageHeader,
    Pager, SlashWrap, Time,
};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// Deliveries per page.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryItem {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    pub endpoint_url: String,
    pub connection_id: Option<String>,
    pub created_at: i64,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_failure: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<crate::server::store::webhooks::DeliveryListRow> for DeliveryItem {
    fn from(r: crate::server::store::webhooks::DeliveryListRow) -> Self {
        let d = r.delivery;
        DeliveryItem {
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type,
            endpoint_id: d.endpoint_id,
            endpoint_url: r.endpoint_url,
            connection_id: d.connection_id,
            created_at: d.created_at,
            status: d.status,
            attempts: d.attempt_count,
            last_status: d.last_status,
            last_failure: d.last_failure,
            last_attempt_at: d.last_attempt_at,
            next_attempt_at: d.next_attempt_at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryLogPage {
    pub rows: Vec<DeliveryItem>,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// Endpoints of the environment for the filter (id, URL).
    pub endpoints: Vec<(String, String)>,
}

/// The filters of a URL's query.
fn filters_from_query(q: &leptos_router::params::ParamsMap) -> DeliveryFilters {
    let g = |k: &str| q.get(k).unwrap_or_default();
    DeliveryFilters {
        endpoint: g("endpoint"),
        types: q.get_all("type").unwrap_or_default().join(","),
        connection: g("connection"),
        status: g("status"),
        class: g("class"),
        range: g("range"),
        from: g("from"),
        to: g("to"),
    }
}

/// One page of the delivery log. `base` is the page's path (with its own fixed query, such as
/// a connection tab's `?tab=webhooks`), for the pager's links.
#[server(input = GetUrl, endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    #[server(default)] filters: DeliveryFilters,
    #[server(default)] before: String,
    #[server(default)] after: String,
    #[server(default)] base: String,
) -> Result<DeliveryLogPage, AppError> {
    use crate::ids::prefix;
    use crate::server::actor::Actor;
    use crate::server::context::session;
    use crate::server::service::page_from_cursors;
    use crate::server::webhooks::delivery_log;
    let (state, viewer) = session()?;
    // The pager's links stay on this site whatever a hand-made call says.
    let base = if base.starts_with('/') && !base.starts_with("//") {
        base
    } else {
        "/webhooks/deliveries".to_string()
    };
    let page = page_from_cursors(prefix::DELIVERY, "delivery", Some(&before), Some(&after))?;
    let found = delivery_log::list(&state, &Actor::Person(viewer), &filters, page, PAGE_SIZE).await?;
    let (rows, newer, older, scope) = (found.rows, found.newer, found.older, found.scope);
    let endpoints = crate::server::webhooks::all_endpoints(&state, &scope)
        .await?
        .into_iter()
        .map(|e| (e.id, e.url))
        .collect();
    let query = filters.to_query();
    let link = |cursor: &str, c: String| {
        let sep = if base.contains('?') { "&" } else { "?" };
        let filters = if query.is_empty() { String::new() } else { format!("{query}&") };
        format!("{base}{sep}{filters}{cursor}={c}")
    };
    Ok(DeliveryLogPage {
        rows: rows.into_iter().map(Into::into).collect(),
        newer: newer.map(|c| link("after", c)),
        older: older.map(|c| link("before", c)),
        endpoints,
    })
}

pub fn failure_label(kind: &str) -> &'static str {
    match kind {
        "timeout" => "Timed out",
        "dns" => "DNS lookup failed",
        "tls" => "TLS error",
        "connection_refused" => "Connection refused",
        "connection" => "Connection failed",
        "blocked" => "Blocked address",
        "non_2xx" => "Error status",
        _ => "Failed",
    }
}

/// The filter form and the table, for the log page, an endpoint page (`fixed_endpoint`) and a
/// connection's tab (`fixed_connection`, with `hidden` keeping its `tab=` in the query).
#[component]
pub fn DeliveryLog(
    #[prop(into)] base: String,
    #[prop(optional)] fixed_endpoint: Option<String>,
    #[prop(optional)] fixed_connection: Option<String>,
    #[prop(optional)] hidden: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let query = use_query_map();
    let (fe, fc, b) = (fixed_endpoint.clone(), fixed_connection.clone(), base.clone());
    let page = Resource::new(
        move || {
            query.with(|q| {
                let mut f = filters_from_query(q);
                if let Some(e) = &fe {
                    f.endpoint = e.clone();
                }
                if let Some(c) = &fc {
                    f.connection = c.clone();
                }
                (f, q.get("before").unwrap_or_default(), q.get("after").unwrap_or_default())
            })
        },
        move |(f, before, after)| list_webhook_deliveries(f, before, after, b.clone()),
    );
    let current = query.with_untracked(filters_from_query);
    let selected_types: Vec<String> =
        current.types.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let (current, selected_types, base) = (current.clone(), selected_types.clone(), base.clone());
                // The filters a person chose (not the page's own endpoint or connection).
                let active = current.to_query().split('&').filter(|p| !p.is_empty()).count();
                let (fixed_endpoint, fixed_connection) = (fixed_endpoint.clone(), fixed_connection.clone());
                Suspend::new(async move {
                    let export = {
                        let mut f = current.clone();
                        if let Some(e) = &fixed_endpoint {
                            f.endpoint = e.clone();
                        }
                        if let Some(c) = &fixed_connection {
                            f.connection = c.clone();
                        }
                        let q = f.to_query();
                        let href = |format: &str| {
                            format!("/webhooks/deliveries/export?format={format}{}{q}", if q.is_empty() { "" } else { "&" })
                        };
                        view! { <ExportLinks csv=href("csv") ndjson=href("ndjson") /> }
                    };
                    match page.await {
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        Ok(p) => view! {
                            <FilterPanel active=active>
                                <Form method="GET" action="" attr:aria-label="Filter deliveries" attr:class="space-y-3 text-sm">
                                    {hidden.map(|(k, v)| view! { <input type="hidden" name=k value=v /> })}
                                    <div class="flex flex-wrap items-end gap-3">
                                        {fixed_endpoint.is_none().then(|| view! {
                                            <label for="d-endpoint" class="flex flex-col text-slate-700">"Endpoint"
                                                <select id="d-endpoint" name="endpoint" class="mt-1 max-w-xs rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                                                    <option value="">"Any endpoint"</option>
                                                    {p.endpoints.iter().map(|(id, url)| { let sel = *id == current.endpoint; view! { <option value=id.clone() selected=sel>{url.clone()}</option> } }).collect_view()}
                                                </select>
                                            </label>
                                        })}
                                        {fixed_connection.is_none().then(|| view! {
                                            <label for="d-connection" class="flex flex-col text-slate-700">"Connection ID"
                                                <input id="d-connection" name="connection" value=current.connection.clone() placeholder="conn_…" class="mt-1 w-56 rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs" />
                                            </label>
                                        })}
                                        <label for="d-status" class="flex flex-col text-slate-700">"Status"
                                            <select id="d-status" name="status" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                                                <option value="">"Any status"</option>
                                                {DeliveryStatus::ALL.iter().map(|s| { let sel = s.as_str() == current.status; view! { <option value=s.as_str() selected=sel>{status_option_label(*s)}</option> } }).collect_view()}
                                            </select>
                                        </label>
                                        <label for="d-class" class="flex flex-col text-slate-700">"Last response"
                                            <select id="d-class" name="class" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                                                <option value="">"Any response"</option>
                                                {CLASSES.iter().map(|(v, l)| { let sel = *v == current.class; view! { <option value=*v selected=sel>{*l}</option> } }).collect_view()}
                                            </select>
                                        </label>
                                        <label for="d-range" class="flex flex-col text-slate-700">"Time"
                                            <select id="d-range" name="range" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                                                <option value="">"Any time"</option>
                                                {RANGES.iter().map(|(v, l, _)| { let sel = *v == current.range; view! { <option value=*v selected=sel>{*l}</option> } }).collect_view()}
                                            </select>
                                        </label>
                                        <label class="flex flex-col text-slate-700">"From (UTC)"
                                            <input type="datetime-local" name="from" value=current.from.clone() class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5" />
                                        </label>
                                        <label class="flex flex-col text-slate-700">"To (UTC)"
                                            <input type="datetime-local" name="to" value=current.to.clone() class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5" />
                                        </label>
                                    </div>
                                    <fieldset class="flex flex-wrap items-center gap-x-4 gap-y-1">
                                        <legend class="mb-1 text-slate-700">"Event types (none checked: all)"</legend>
                                        {crate::domain::EVENT_TYPES.iter().map(|(t, _)| {
                                            let checked = selected_types.iter().any(|s| s == t);
                                            view! {
                                                <label class="inline-flex items-center gap-1.5 font-mono text-xs text-slate-800">
                                                    <input type="checkbox" name="type" value=*t checked=checked class="rounded border-slate-300" />{*t}
                                                </label>
                                            }
                                        }).collect_view()}
                                    </fieldset>
                                    <div class="flex gap-2">
                                        <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Apply"</button>
                                        <a class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100" href=base.clone()>"Reset"</a>
                                    </div>
                                </Form>
                            </FilterPanel>
                            {(!p.rows.is_empty()).then_some(export)}
                            <DeliveryTable rows=p.rows newer=p.newer older=p.older />
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn DeliveryTable(rows: Vec<DeliveryItem>, newer: Option<String>, older: Option<String>) -> impl IntoView {
    view! {
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Webhook deliveries">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="deliveries">
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr><th class="px-3 py-2">"Event"</th><th class="px-3 py-2">"Endpoint"</th><th class="px-3 py-2">"Connection"</th><th class="px-3 py-2">"Status"</th><th class="px-3 py-2">"Last response"</th><th class="px-3 py-2">"Created"</th><th class="px-3 py-2">"Next attempt"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {if rows.is_empty() {
                            view! { <tr><td colspan="7" class="px-4 py-6 text-center text-slate-600">"No deliveries match these filters."</td></tr> }.into_any()
                        } else {
                            rows.into_iter().map(|d| view! {
                                <tr data-delivery-id=d.id.clone()>
                                    <td class="px-3 py-2"><a class="font-mono text-xs font-medium text-indigo-700 hover:underline" href=format!("/webhooks/deliveries/{}", d.id)>{d.event_type.clone()}</a></td>
                                    <td class="max-w-[16rem] truncate px-3 py-2 text-xs"><a class="text-slate-800 hover:underline" href=format!("/webhooks/{}", d.endpoint_id) title=d.endpoint_url.clone()>{d.endpoint_url.clone()}</a></td>
                                    <td class="px-3 py-2 font-mono text-xs">{match d.connection_id.clone() { Some(c) => { let href = format!("/connections/{c}"); view! { <a class="text-indigo-700 hover:underline" href=href>{c}</a> }.into_any() }, None => view! { <span class="text-slate-500">"—"</span> }.into_any() }}</td>
                                    <td class="px-3 py-2"><Badge tone=crate::features::ui::status_tone(d.status.as_str())>{d.status.as_str()}</Badge> <span class="ml-1 text-xs text-slate-600">{format!("{} attempt{}", d.attempts, if d.attempts == 1 { "" } else { "s" })}</span></td>
                                    <td class="px-3 py-2 text-xs">{match (d.last_status, d.last_failure.clone()) {
                                        (Some(s), _) => s.to_string(),
                                        (None, Some(f)) => failure_label(&f).to_string(),
                                        (None, None) => "—".to_string(),
                                    }}</td>
                                    <td class="px-3 py-2 text-xs"><Time ms=d.created_at /></td>
                                    <td class="whitespace-nowrap px-3 py-2 text-xs text-slate-700">{d.next_attempt_at.map(format_time_utc).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
            <Pager newer older />
        </Card>
    }
}

#[component]
pub fn DeliveryLogPage() -> impl IntoView {
    view! {
        <PageHeader title="Webhook deliveries" subtitle="Every event sent to your endpoints, with each attempt and its response. Filter by endpoint, event type, connection, status or time.">
            <a href="/webhooks" class="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">"Endpoints"</a>
        </PageHeader>
        <crate::features::retention::RetentionNote what="Webhook deliveries and their payloads" />
        <DeliveryLog base="/webhooks/deliveries" />
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptItem {
    pub number: i64,
    pub at: i64,
    pub status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub body: Option<String>,
    pub failure: Option<String>,
    pub failure_detail: Option<String>,
    /// Pretty JSON of the headers sent.
    pub headers: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub item: DeliveryItem,
    pub endpoint_deleted: bool,
    pub payload: String,
    pub attempts: Vec<AttemptItem>,
    pub can_resend: Result<(), String>,
    pub body_limit: usize,
}

#[server(input = GetUrl, endpoint = "get_webhook_delivery")]
pub async fn get_webhook_delivery(id: String) -> Result<DeliveryView, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let (d, attempts) = crate::server::webhooks::delivery_log::get(&state, &viewer, &id).await?;
    let pretty = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| s.to_string())
    };
    let item = DeliveryItem::from(crate::server::store::webhooks::DeliveryListRow {
        delivery: d.delivery,
        endpoint_url: d.endpoint_url,
    });
    Ok(DeliveryView {
        item,
        endpoint_deleted: d.endpoint_deleted_at.is_some(),
        payload: pretty(&d.payload),
        attempts: attempts
            .into_iter()
            .map(|a| AttemptItem {
                number: a.attempt_number,
                at: a.attempted_at,
                status: a.response_status,
                latency_ms: a.latency_ms,
                body: a.response_body,
                failure: a.failure,
                failure_detail: a.failure_detail,
                headers: a.request_headers.as_deref().map(pretty),
            })
            .collect(),
        can_resend: crate::server::webhooks::may_resend(&viewer),
        body_limit: crate::server::webhooks::delivery::BODY_LIMIT,
    })
}

#[server(endpoint = "resend_webhook_delivery")]
pub async fn resend_webhook_delivery(id: String) -> Result<String, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::scope_for;
    use crate::server::context::{session, wants_html};
    use crate::server::store::ObjectKind;
    let (state, viewer) = session()?;
    let id = parse_id(prefix::DELIVERY, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a webhook delivery ID: {e}.")))?;
    let scope = scope_for(&state, &viewer, ObjectKind::WebhookDelivery, &id).await?;
    let result = crate::server::webhooks::resend(&state, &viewer, &scope, &id).await.map_err(AppError::from);
    if wants_html() {
        match &result {
            Ok(()) => leptos_axum::redirect(&format!("/webhooks/deliveries/{id}?resent=1")),
            Err(e) if !matches!(e, AppError::Unauthorized) => leptos_axum::redirect(&format!(
                "/webhooks/deliveries/{id}?error={}",
                crate::url::encode_component(&e.to_string())
            )),
            Err(_) => {}
        }
    }
    result.map(|_| id)
}

#[component]
pub fn DeliveryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let resend = ServerAction::<ResendWebhookDelivery>::new();
    let delivery = Resource::new(
        move || (params.with(|p| p.get("id").unwrap_or_default()), resend.version().get()),
        |(id, _)| get_webhook_delivery(id),
    );
    let note = query.with_untracked(|q| (q.get("resent").is_some(), q.get("error")));
    view! {
        <DetailLoader resource=delivery title="Webhook delivery" render=move |v: DeliveryView| {
            let (resent, error) = note.clone();
            view! { <DeliveryBody v resend resent error /> }
        } />
    }
}

#[component]
fn DeliveryBody(
    v: DeliveryView,
    resend: ServerAction<ResendWebhookDelivery>,
    resent: bool,
    error: Option<String>,
) -> impl IntoView {
    let d = v.item.clone();
    let next = match (d.status.as_str(), d.next_attempt_at) {
        ("pending" | "retrying", Some(t)) => format_time_utc(t),
        ("delivered", _) => "None: delivered".to_string(),
        ("failed", _) => "None: no retries left. Resend to try again.".to_string(),
        _ => "—".to_string(),
    };
    let last_headers = v.attempts.last().and_then(|a| a.headers.clone());
    view! {
        <PageHeader title=format!("{} delivery", d.event_type) subtitle=format!("Event {} to {}", d.event_id, d.endpoint_url)>
            <a href="/webhooks/deliveries" class="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">"All deliveries"</a>
        </PageHeader>
        {resent.then(|| view! { <p role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">"Queued for an attempt now. Reload to see it."</p> })}
        {error.map(|e| view! { <div class="mb-4"><ErrorNotice error=AppError::Invalid(e) /></div> })}
        {move || resend.value().get().map(|r| match r {
            Ok(_) => view! { <p role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">"Queued for an attempt now."</p> }.into_any(),
            Err(e) => view! { <div class="mb-4"><ErrorNotice error=e /></div> }.into_any(),
        })}
        <div class="grid gap-4 lg:grid-cols-3">
            <Card class="p-5 lg:col-span-1">
                <dl class="space-y-2 text-sm" data-testid="delivery-summary">
                    <div><dt class="text-slate-600">"Status"</dt><dd><Badge tone=crate::features::ui::status_tone(d.status.as_str())>{d.status.as_str()}</Badge></dd></div>
                    <div><dt class="text-slate-600">"Event ID (webhook-id)"</dt><dd class="font-mono text-xs">{d.event_id.clone()}</dd></div>
                    <div><dt class="text-slate-600">"Endpoint"</dt><dd class="wrap-break-word"><a class="text-indigo-700 hover:underline" href=format!("/webhooks/{}", d.endpoint_id)><SlashWrap text=d.endpoint_url.clone() /></a>{v.endpoint_deleted.then_some(" (deleted)")}</dd></div>
                    <div><dt class="text-slate-600">"Connection"</dt><dd class="font-mono text-xs">{match d.connection_id.clone() { Some(c) => { let href = format!("/connections/{c}?tab=webhooks"); view! { <a class="text-indigo-700 hover:underline" href=href>{c}</a> }.into_any() }, None => view! { <span>"—"</span> }.into_any() }}</dd></div>
                    <div><dt class="text-slate-600">"Created"</dt><dd>{format_time_utc(d.created_at)}</dd></div>
                    <div><dt class="text-slate-600">"Attempts"</dt><dd>{d.attempts}</dd></div>
                    <div><dt class="text-slate-600">"Next attempt"</dt><dd data-testid="next-attempt">{next}</dd></div>
                </dl>
                {match v.can_resend.clone() {
                    Ok(()) => view! {
                        <ActionForm action=resend attr:class="mt-4" attr:aria-label="Resend delivery">
                            <input type="hidden" name="id" value=d.id.clone() />
                            <button class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Resend now"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(why) => view! { <p class="mt-4 text-sm text-slate-600" data-testid="resend-disabled">{why}</p> }.into_any(),
                }}
            </Card>
            <div class="space-y-4 lg:col-span-2">
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">"Payload"</h2>
                    <pre class="mt-2 max-h-96 overflow-auto rounded bg-slate-900 p-3 text-xs text-slate-100" tabindex="0" data-testid="delivery-payload">{v.payload.clone()}</pre>
                    <h2 class="mt-4 text-sm font-semibold text-slate-900">"Headers sent (last attempt)"</h2>
                    <pre class="mt-2 overflow-auto rounded bg-slate-100 p-3 text-xs text-slate-900" tabindex="0" data-testid="delivery-headers">{last_headers.unwrap_or_else(|| "No attempt yet.".into())}</pre>
                </Card>
                <Card>
                    <h2 class="px-5 pt-4 text-sm font-semibold text-slate-900">"Attempts"</h2>
                    <p class="px-5 text-xs text-slate-600">{format!("Response bodies are kept up to {} KB.", v.body_limit / 1024)}</p>
                    <ol class="mt-2 divide-y divide-slate-100" data-testid="attempts">
                        {if v.attempts.is_empty() {
                            view! { <li class="px-5 py-4 text-sm text-slate-600">"Not attempted yet."</li> }.into_any()
                        } else {
                            v.attempts.iter().rev().map(|a| view! {
                                <li class="px-5 py-3 text-sm" data-attempt=a.number.to_string()>
                                    <p class="flex flex-wrap items-center gap-x-3">
                                        <span class="font-medium">{format!("Attempt {}", a.number)}</span>
                                        <span class="text-slate-700">{format_time_utc(a.at)}</span>
                                        <span class="font-mono">{a.status.map(|s| format!("HTTP {s}")).unwrap_or_else(|| "no response".into())}</span>
                                        <span class="text-slate-700">{a.latency_ms.map(|l| format!("{l} ms")).unwrap_or_default()}</span>
                                        {a.failure.clone().map(|f| view! { <Badge tone=crate::features::ui::Tone::Bad.classes()>{failure_label(&f)}</Badge> })}
                                    </p>
                                    {a.failure_detail.clone().map(|d| view! { <p class="mt-1 text-red-800">{d}</p> })}
                                    {a.body.clone().filter(|b| !b.is_empty()).map(|b| view! {
                                        <details class="mt-1"><summary class="cursor-pointer text-xs text-slate-700">"Response body"</summary>
                                            <pre class="mt-1 max-h-64 overflow-auto rounded bg-slate-100 p-2 text-xs" tabindex="0">{b}</pre>
                                        </details>
                                    })}
                                </li>
                            }).collect_view().into_any()
                        }}
                    </ol>
                </Card>
            </div>
        </div>
    }
}

/// A status as the filter offers it: what it means for the reader, since "failed" alone would
/// suggest it finds the deliveries that failed and are being retried.
fn status_option_label(s: DeliveryStatus) -> &'static str {
    match s {
        DeliveryStatus::Retrying => "Retrying: last attempt failed, will retry",
        DeliveryStatus::Failed => "Failed: gave up after every retry",
        DeliveryStatus::Pending => "Pending: not attempted yet",
        DeliveryStatus::Delivered => "Delivered",
    }
}
