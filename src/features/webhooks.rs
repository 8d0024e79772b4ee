//! Webhook endpoints: the list at `/webhooks`, the create and edit form, and an endpoint's page
//! with its state, signing secret, test event, recovery and recent deliveries. Every form works
//! without JavaScript (posts redirect back to a page that shows the outcome).

use super::ui::{
    format_time_utc, Badge, Card, DetailLoader, ErrorNotice, Loading, NotFoundNotice, PageHeader, Time,
};
use super::webhook_deliveries::{failure_label, DeliveryLog};
use crate::domain::EVENT_TYPES;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub id: String,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_kind: Option<String>,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub deleted: bool,
    pub created_at: i64,
    pub deliveries_24h: i64,
    pub delivered_24h: i64,
    pub failed_24h: i64,
    pub last_attempt_at: Option<i64>,
}

impl EndpointSummary {
    fn state(&self) -> (&'static str, &'static str) {
        if self.deleted {
            ("Deleted", "bg-slate-100 text-slate-600 ring-slate-500/20")
        } else if self.enabled {
            ("Enabled", "bg-emerald-50 text-emerald-800 ring-emerald-600/20")
        } else if self.disabled_kind.as_deref() == Some("automatic") {
            ("Disabled automatically", "bg-red-50 text-red-800 ring-red-600/20")
        } else {
            ("Disabled", "bg-slate-100 text-slate-700 ring-slate-500/20")
        }
    }

    /// Delivered out of every delivery of the last 24 hours: one still retrying has not
    /// succeeded yet, and an endpoint that fails everything reads 0%, not "no data".
    fn success_rate(&self) -> String {
        if self.deliveries_24h == 0 {
            "—".into()
        } else {
            format!("{:.1}%", self.delivered_24h as f64 * 100.0 / self.deliveries_24h as f64)
        }
    }

    fn events_label(&self) -> String {
        if self.event_types.iter().any(|t| t == "*") {
            "All events".into()
        } else {
            self.event_types.join(", ")
        }
    }
}

#[cfg(feature = "ssr")]
fn summary(
    e: crate::server::store::webhooks::WebhookEndpointRow,
    stats: &[crate::server::store::webhooks::EndpointStats],
) -> EndpointSummary {
    let s = stats.iter().find(|s| s.endpoint_id == e.id).cloned().unwrap_or_default();
    EndpointSummary {
        event_types: serde_json::from_str(&e.event_types).unwrap_or_default(),
        id: e.id,
        url: e.url,
        description: e.description,
        enabled: e.enabled,
        disabled_kind: e.disabled_kind,
        disabled_reason: e.disabled_reason,
        disabled_at: e.disabled_at,
        failing_since: e.failing_since,
        deleted: e.deleted_at.is_some(),
        created_at: e.created_at,
        deliveries_24h: s.deliveries,
        delivered_24h: s.delivered,
        failed_24h: s.failed,
        last_attempt_at: s.last_attempt_at,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointsView {
    pub environment: String,
    pub can_edit: Result<(), String>,
    pub endpoints: Vec<EndpointSummary>,
}

#[server(input = GetUrl, endpoint = "list_webhook_endpoints")]
pub async fn list_webhook_endpoints() -> Result<EndpointsView, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let scope = own_scope(&viewer);
    let since = state.clock.now_ms() - 86_400_000;
    let stats = state.store.endpoint_stats(&scope, since).await.map_err(internal)?;
    let endpoints = state.store.list_endpoints(&scope, false).await.map_err(internal)?;
    Ok(EndpointsView {
        environment: viewer.environment.as_str().to_string(),
        can_edit: crate::server::webhooks::may_edit(&viewer),
        endpoints: endpoints.into_iter().map(|e| summary(e, &stats)).collect(),
    })
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| list_webhook_endpoints());
    view! {
        <PageHeader title="Webhooks" subtitle="Endpoints that receive Switchboard's events, signed with Standard Webhooks. Open the delivery log to see every attempt.">
            <div class="flex gap-2">
                <a href="/webhooks/deliveries" class="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">"Delivery log"</a>
            </div>
        </PageHeader>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match endpoints.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(v) => view! { <EndpointsBody v /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EndpointsBody(v: EndpointsView) -> impl IntoView {
    view! {
        {match v.can_edit.clone() {
            Ok(()) => view! {
                <p class="mb-4"><a href="/webhooks/new" class="inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">{format!("Add {} endpoint", v.environment)}</a></p>
            }.into_any(),
            Err(why) => view! { <p data-testid="read-only-note" class="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700">{why}</p> }.into_any(),
        }}
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Webhook endpoints">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="endpoints">
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr><th class="px-4 py-2">"Endpoint"</th><th class="px-4 py-2">"Events"</th><th class="px-4 py-2">"State"</th><th class="px-4 py-2 text-right">"Success (24 h)"</th><th class="px-4 py-2 text-right">"Deliveries (24 h)"</th><th class="px-4 py-2">"Last attempt"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {if v.endpoints.is_empty() {
                            view! { <tr><td colspan="6" class="px-4 py-6 text-center text-slate-600">"No endpoints in this environment yet. Add one to receive events."</td></tr> }.into_any()
                        } else {
                            v.endpoints.into_iter().map(|e| {
                                let (label, tone) = e.state();
                                view! {
                                    <tr class="align-top" data-endpoint-id=e.id.clone()>
                                        <td class="px-4 py-2">
                                            <a class="break-all font-medium text-indigo-700 hover:underline" href=format!("/webhooks/{}", e.id)>{e.url.clone()}</a>
                                            <p class="text-xs text-slate-600">{e.description.clone()}</p>
                                        </td>
                                        <td class="px-4 py-2 text-xs text-slate-700">{e.events_label()}</td>
                                        <td class="px-4 py-2">
                                            <Badge tone=tone>{label}</Badge>
                                            {(!e.enabled).then(|| e.disabled_reason.clone()).flatten().map(|r| view! { <p class="mt-1 max-w-xs text-xs text-slate-700">{r}</p> })}
                                        </td>
                                        <td class="px-4 py-2 text-right tabular-nums">{e.success_rate()}</td>
                                        <td class="px-4 py-2 text-right tabular-nums">{e.deliveries_24h}</td>
                                        <td class="px-4 py-2 text-xs">{match e.last_attempt_at { Some(t) => view! { <Time ms=t /> }.into_any(), None => view! { <span class="text-slate-500">"Never"</span> }.into_any() }}</td>
                                    </tr>
                                }
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
        </Card>
    }
}

/// Creates (empty `id`) or updates an endpoint. Event types arrive as `types[0]`, `types[1]`, …
/// (one per checkbox) plus `all` for every event.
#[server(endpoint = "save_webhook_endpoint")]
pub async fn save_webhook_endpoint(
    #[server(default)] id: String,
    #[server(default)] url: String,
    #[server(default)] description: String,
    #[server(default)] types: Vec<String>,
    #[server(default)] all: String,
) -> Result<String, AppError> {
    use crate::server::context::{session, wants_html};
    use crate::server::webhooks::{self as svc, EndpointInput};
    let (state, viewer) = session()?;
    let mut event_types = types.clone();
    if !all.is_empty() {
        event_types.push("*".into());
    }
    let input = EndpointInput { url: url.clone(), description: description.clone(), event_types };
    let result = if id.trim().is_empty() {
        svc::create(&state, &viewer, &input).await.map_err(AppError::from)
    } else {
        svc::update(&state, &viewer, id.trim(), &input)
            .await
            .map_err(AppError::from)
            .map(|_| id.trim().to_string())
    };
    if wants_html() {
        match &result {
            Ok(id) => leptos_axum::redirect(&format!("/webhooks/{id}")),
            Err(e) if matches!(e, AppError::Invalid(_)) => leptos_axum::redirect(&form_url(
                id.trim(),
                &url,
                &description,
                &types,
                !all.is_empty(),
                Some(&e.to_string()),
            )),
            Err(_) => {}
        }
    }
    result
}

/// The form page's URL carrying what was typed and the error, so nothing typed is lost.
#[cfg(feature = "ssr")]
fn form_url(
    id: &str,
    url: &str,
    description: &str,
    types: &[String],
    all: bool,
    error: Option<&str>,
) -> String {
    use crate::url::encode_component as enc;
    let path = if id.is_empty() { "/webhooks/new".to_string() } else { format!("/webhooks/{id}/edit") };
    let mut q = vec![format!("url={}", enc(url)), format!("description={}", enc(description))];
    q.extend(types.iter().map(|t| format!("type={}", enc(t))));
    if all {
        q.push("all=1".into());
    }
    if let Some(e) = error {
        q.push(format!("error={}", enc(e)));
    }
    format!("{path}?{}", q.join("&"))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormView {
    pub can_edit: Result<(), String>,
    pub existing: Option<EndpointSummary>,
    pub allow_private: bool,
}

#[server(input = GetUrl, endpoint = "webhook_endpoint_form")]
pub async fn webhook_endpoint_form(#[server(default)] id: String) -> Result<FormView, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let existing = if id.is_empty() {
        None
    } else {
        Some(summary(crate::server::webhooks::own_endpoint(&state, &viewer, &id).await?, &[]))
    };
    Ok(FormView {
        can_edit: crate::server::webhooks::may_edit(&viewer),
        existing,
        allow_private: state.webhooks.settings.allow_private,
    })
}

#[component]
pub fn NewEndpointPage() -> impl IntoView {
    view! { <EndpointFormPage editing=false /> }
}

#[component]
pub fn EditEndpointPage() -> impl IntoView {
    view! { <EndpointFormPage editing=true /> }
}

#[component]
fn EndpointFormPage(editing: bool) -> impl IntoView {
    let params = use_params_map();
    let form = Resource::new(
        move || if editing { params.with(|p| p.get("id").unwrap_or_default()) } else { String::new() },
        webhook_endpoint_form,
    );
    view! {
        <DetailLoader resource=form title="Webhook endpoint" render=move |v: FormView| view! { <EndpointForm v /> } />
    }
}

#[component]
fn EndpointForm(v: FormView) -> impl IntoView {
    let save = ServerAction::<SaveWebhookEndpoint>::new();
    let query = use_query_map();
    // What was typed comes back in the URL after a refused save; otherwise the endpoint's values.
    let typed = query.with_untracked(|q| q.get("url").is_some());
    let g = |k: &str| query.with_untracked(|q| q.get(k));
    let (url, description, types, all) = match (&v.existing, typed) {
        (Some(e), false) => (
            e.url.clone(),
            e.description.clone(),
            e.event_types.clone(),
            e.event_types.iter().any(|t| t == "*"),
        ),
        _ => (
            g("url").unwrap_or_default(),
            g("description").unwrap_or_default(),
            query.with_untracked(|q| q.get_all("type").unwrap_or_default()),
            g("all").is_some() || !typed,
        ),
    };
    let error = g("error");
    let id = v.existing.as_ref().map(|e| e.id.clone()).unwrap_or_default();
    let title = if v.existing.is_some() { "Edit webhook endpoint" } else { "New webhook endpoint" };
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            navigate(&format!("/webhooks/{id}"), Default::default());
        }
    });
    let disabled = v.can_edit.is_err();
    let cancel = if id.is_empty() { "/webhooks".to_string() } else { format!("/webhooks/{id}") };
    view! {
        <PageHeader title=title subtitle="Switchboard POSTs each subscribed event as JSON, signed with the endpoint's secret (Standard Webhooks)." />
        {v.can_edit.clone().err().map(|why| view! { <p data-testid="read-only-note" class="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700">{why}</p> })}
        {error.map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=AppError::Invalid(e) /></div> })}
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=e /></div> })}
        <Card class="max-w-3xl p-5">
            <ActionForm action=save attr:class="space-y-4" attr:aria-label="Webhook endpoint">
                <input type="hidden" name="id" value=id />
                <label class="block text-sm font-medium text-slate-800">"URL"
                    <input name="url" type="text" value=url required disabled=disabled placeholder="https://example.com/webhooks/switchboard"
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm" />
                    <span class="mt-1 block text-xs font-normal text-slate-600">{if v.allow_private {
                        "https://, or http:// to a loopback address (private addresses are allowed on this server)."
                    } else {
                        "https:// on the public internet; private, loopback and link-local addresses are refused."
                    }}</span>
                </label>
                <label class="block text-sm font-medium text-slate-800">"Description"
                    <input name="description" type="text" value=description maxlength="200" disabled=disabled placeholder="Order service, production"
                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                </label>
                <fieldset class="text-sm">
                    <legend class="font-medium text-slate-800">"Events"</legend>
                    <label class="mt-2 flex items-center gap-2 font-medium text-slate-900">
                        <input type="checkbox" name="all" value="1" checked=all disabled=disabled class="rounded border-slate-300" />
                        "All events, including types added later"
                    </label>
                    <p class="mt-1 text-xs text-slate-600">"Or choose the types this endpoint receives:"</p>
                    <ul class="mt-2 grid gap-2 sm:grid-cols-2">
                        {EVENT_TYPES.iter().enumerate().map(|(i, (t, what))| {
                            let checked = types.iter().any(|s| s == t);
                            view! {
                                <li><label class="flex items-start gap-2">
                                    <input type="checkbox" name=format!("types[{i}]") value=*t checked=checked disabled=disabled class="mt-0.5 rounded border-slate-300" />
                                    <span><span class="font-mono text-xs text-slate-900">{*t}</span><span class="block text-xs text-slate-600">{*what}</span></span>
                                </label></li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
                <div class="flex gap-2">
                    <button disabled=disabled class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">"Save endpoint"</button>
                    <a href=cancel class="rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100">"Cancel"</a>
                </div>
            </ActionForm>
        </Card>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResultView {
    pub delivery_id: String,
    pub status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub body: Option<String>,
    pub failure: Option<String>,
    pub failure_detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointView {
    pub endpoint: EndpointSummary,
    pub can_edit: Result<(), String>,
    pub can_reveal: Result<(), String>,
    pub can_resend: Result<(), String>,
    /// Until when the previous secret still signs, after a rotation.
    pub previous_secret_until: Option<i64>,
    /// The secret revealed by a form post without JavaScript (one page load).
    pub revealed: Option<String>,
    /// The test event asked for by `?test=`.
    pub test: Option<TestResultView>,
    pub queued: i64,
}

#[server(input = GetUrl, endpoint = "get_webhook_endpoint")]
pub async fn get_webhook_endpoint(
    id: String,
    #[server(default)] test: String,
) -> Result<EndpointView, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::scope_for;
    use crate::server::auth::cookie_value;
    use crate::server::context::{internal, session};
    use crate::server::reveal;
    use crate::server::store::ObjectKind;
    let (state, viewer) = session()?;
    let id = parse_id(prefix::WEBHOOK_ENDPOINT, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a webhook endpoint ID: {e}.")))?;
    let scope = scope_for(&state, &viewer, ObjectKind::WebhookEndpoint, &id).await?;
    let row = state.store.get_endpoint(&scope, &id).await.map_err(internal)?.ok_or_else(|| {
        AppError::not_found(format!("No webhook endpoint {id} was found in your organization."))
    })?;
    let now = state.clock.now_ms();
    let previous_secret_until = row.previous_secret_expires_at.filter(|t| *t > now);
    let stats = state.store.endpoint_stats(&scope, now - 86_400_000).await.map_err(internal)?;
    let queued = state.store.queued_deliveries(&scope, &id, 10_000).await.map_err(internal)?;
    let own = scope.organization_id == viewer.organization_id;
    // A secret revealed without JavaScript: its pad is in this request's cookie (`server::reveal`).
    let parts = use_context::<http::request::Parts>();
    let pad = parts.as_ref().and_then(|p| cookie_value(&p.headers, reveal::COOKIE).map(str::to_string));
    let revealed = match pad {
        Some(cookie) if own => {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                let header =
                    reveal::clear_cookie_header(&format!("/webhooks/{id}"), state.settings.public_url.https);
                if let Ok(v) = http::HeaderValue::from_str(&header) {
                    res.append_header(http::header::SET_COOKIE, v);
                }
            }
            reveal::open(state.store.as_ref(), &viewer.token_hash, &cookie).await.map_err(internal)?
        }
        _ => None,
    };
    let test = if test.trim().is_empty() {
        None
    } else {
        let tid = parse_id(prefix::DELIVERY, test.trim())
            .map_err(|e| AppError::invalid(format!("{test:?} is not a webhook delivery ID: {e}.")))?;
        match state.store.get_delivery(&scope, &tid).await.map_err(internal)? {
            Some(d) if d.delivery.endpoint_id == id => {
                let a = state.store.delivery_attempts(&tid).await.map_err(internal)?.pop();
                a.map(|a| TestResultView {
                    delivery_id: tid,
                    status: a.response_status,
                    latency_ms: a.latency_ms,
                    body: a.response_body,
                    failure: a.failure,
                    failure_detail: a.failure_detail,
                })
            }
            _ => None,
        }
    };
    let can = |r: Result<(), String>| {
        if own {
            r
        } else {
            Err("Staff can read this endpoint but not change it.".into())
        }
    };
    Ok(EndpointView {
        endpoint: summary(row, &stats),
        can_edit: can(crate::server::webhooks::may_edit(&viewer)),
        can_reveal: crate::server::webhooks::may_reveal(&viewer).and_then(|_| can(Ok(()))),
        can_resend: crate::server::webhooks::may_resend(&viewer).and_then(|_| can(Ok(()))),
        previous_secret_until,
        revealed,
        test,
        queued,
    })
}

/// Where a refused form post without JavaScript goes: the endpoint page, with the message.
#[cfg(feature = "ssr")]
fn back_with_error(id: &str, e: &AppError) {
    if crate::server::context::wants_html() && !matches!(e, AppError::Unauthorized) {
        leptos_axum::redirect(&format!(
            "/webhooks/{id}?error={}",
            crate::url::encode_component(&e.to_string())
        ));
    }
}

#[cfg(feature = "ssr")]
fn finish<T>(id: &str, result: Result<T, AppError>, then: &str) -> Result<T, AppError> {
    match &result {
        Ok(_) if crate::server::context::wants_html() => leptos_axum::redirect(then),
        Err(e) => back_with_error(id, e),
        _ => {}
    }
    result
}

#[server(endpoint = "set_webhook_endpoint_enabled")]
pub async fn set_webhook_endpoint_enabled(id: String, enabled: String) -> Result<bool, AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let on = enabled == "true";
    let r = crate::server::webhooks::set_enabled(&state, &viewer, &id, on)
        .await
        .map_err(AppError::from)
        .map(|_| on);
    // Re-enabling an endpoint offers to recover what it missed while disabled.
    let then = if on { format!("/webhooks/{id}/recover?enabled=1") } else { format!("/webhooks/{id}") };
    finish(&id, r, &then)
}

#[server(endpoint = "delete_webhook_endpoint")]
pub async fn delete_webhook_endpoint(id: String) -> Result<(), AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let r = crate::server::webhooks::delete(&state, &viewer, &id).await.map_err(AppError::from);
    finish(&id, r, "/webhooks")
}

#[server(endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(id: String) -> Result<(), AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let r = crate::server::webhooks::rotate(&state, &viewer, &id).await.map_err(AppError::from);
    finish(&id, r, &format!("/webhooks/{id}?rotated=1"))
}

#[server(endpoint = "reveal_webhook_secret")]
pub async fn reveal_webhook_secret(id: String) -> Result<String, AppError> {
    use crate::server::context::{internal, session, wants_html};
    use crate::server::reveal;
    let (state, viewer) = session()?;
    let r = crate::server::webhooks::reveal(&state, &viewer, &id).await.map_err(AppError::from);
    if let (Ok(secret), true) = (&r, wants_html()) {
        // Without JavaScript the page shows it once after the redirect: never in the URL.
        let cookie =
            reveal::seal(state.store.as_ref(), &viewer.token_hash, secret).await.map_err(internal)?;
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            let header =
                reveal::cookie_header(&cookie, &format!("/webhooks/{id}"), state.settings.public_url.https);
            if let Ok(v) = http::HeaderValue::from_str(&header) {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
    }
    finish(&id, r, &format!("/webhooks/{id}"))
}

#[server(endpoint = "send_webhook_test")]
pub async fn send_webhook_test(id: String) -> Result<TestResultView, AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let r = crate::server::webhooks::send_test(&state, &viewer, &id).await.map_err(AppError::from).map(|t| {
        TestResultView {
            delivery_id: t.delivery_id,
            status: t.status.map(i64::from),
            latency_ms: Some(t.latency_ms),
            body: t.body,
            failure: t.failure.as_ref().map(|f| f.0.clone()),
            failure_detail: t.failure.map(|f| f.1),
        }
    });
    let then = r.as_ref().map(|t| format!("/webhooks/{id}?test={}", t.delivery_id)).unwrap_or_default();
    finish(&id, r, &then)
}

#[component]
pub fn EndpointPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let toggle = ServerAction::<SetWebhookEndpointEnabled>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let endpoint = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                query.with(|q| q.get("test").unwrap_or_default()),
                toggle.version().get(),
                rotate.version().get(),
            )
        },
        |(id, test, _, _)| get_webhook_endpoint(id, test),
    );
    view! {
        <DetailLoader resource=endpoint title="Webhook endpoint" render=move |v: EndpointView| view! { <EndpointBody v toggle rotate /> } />
    }
}

#[component]
fn EndpointBody(
    v: EndpointView,
    toggle: ServerAction<SetWebhookEndpointEnabled>,
    rotate: ServerAction<RotateWebhookSecret>,
) -> impl IntoView {
    let e = v.endpoint.clone();
    let id = e.id.clone();
    let query = use_query_map();
    let error = query.with_untracked(|q| q.get("error"));
    let rotated = query.with_untracked(|q| q.get("rotated").is_some());
    let recovered = query.with_untracked(|q| q.get("recovered"));
    let reveal = ServerAction::<RevealWebhookSecret>::new();
    let test = ServerAction::<SendWebhookTest>::new();
    let delete = ServerAction::<DeleteWebhookEndpoint>::new();
    let navigate = use_navigate();
    {
        let id = id.clone();
        Effect::new(move |_| {
            // Enabled again: offer to recover what was missed (the same page as without JS).
            if let Some(Ok(true)) = toggle.value().get() {
                navigate(&format!("/webhooks/{id}/recover?enabled=1"), Default::default());
            }
        });
    }
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            navigate("/webhooks", Default::default());
        }
    });
    let (label, tone) = e.state();
    if e.deleted {
        let base = format!("/webhooks/{id}");
        return view! {
            <PageHeader title=e.url.clone() subtitle="This endpoint was deleted. Its delivery history stays readable." />
            <DeliveryLog base fixed_endpoint=id />
        }
        .into_any();
    }
    let (id_toggle, id_delete, id_reveal, id_rotate, id_test) =
        (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
    let recover_href = format!("/webhooks/{id}/recover");
    let edit_href = format!("/webhooks/{id}/edit");
    let log_base = format!("/webhooks/{id}");
    let (can_edit, can_edit2) = (v.can_edit.clone(), v.can_edit.clone());
    let enabled = e.enabled;
    view! {
        <PageHeader title=e.url.clone() subtitle=if e.description.is_empty() { "Webhook endpoint".to_string() } else { e.description.clone() }>
            <div class="flex flex-wrap gap-2">
                <a href="/webhooks" class="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">"All endpoints"</a>
                {can_edit.is_ok().then(move || view! { <a href=edit_href class="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">"Edit"</a> })}
            </div>
        </PageHeader>
        {error.map(|m| view! { <div class="mb-4"><ErrorNotice error=AppError::Invalid(m) /></div> })}
        {recovered.map(|n| view! { <p role="status" data-testid="recovered" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">{format!("{n} deliveries queued for recovery. \"Queued now\" counts down as they are attempted.")}</p> })}
        {move || toggle.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice error=e /></div> })}
        {move || delete.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice error=e /></div> })}
        <div class="grid gap-4 lg:grid-cols-3">
            <Card class="p-5">
                <h2 class="text-sm font-semibold text-slate-900">"State"</h2>
                <p class="mt-2" data-testid="endpoint-state"><Badge tone=tone>{label}</Badge></p>
                {(!e.enabled).then(|| e.disabled_reason.clone()).flatten().map(|r| view! { <p class="mt-2 text-sm text-slate-800" data-testid="disabled-reason">{r}</p> })}
                {e.failing_since.filter(|_| e.enabled).map(|t| view! { <p class="mt-2 text-sm text-amber-900">{format!("Failing since {} without a success. After 5 days of failures it is disabled automatically.", format_time_utc(t))}</p> })}
                <dl class="mt-3 space-y-1 text-sm">
                    <div class="flex justify-between"><dt class="text-slate-600">"Events"</dt><dd class="text-right text-xs">{e.events_label()}</dd></div>
                    <div class="flex justify-between"><dt class="text-slate-600">"Success (24 h)"</dt><dd>{e.success_rate()}</dd></div>
                    <div class="flex justify-between"><dt class="text-slate-600">"Deliveries (24 h)"</dt><dd>{e.deliveries_24h}</dd></div>
                    <div class="flex justify-between"><dt class="text-slate-600">"Queued now"</dt><dd data-testid="queued">{v.queued}</dd></div>
                    <div class="flex justify-between"><dt class="text-slate-600">"Created"</dt><dd>{format_time_utc(e.created_at)}</dd></div>
                </dl>
                {can_edit2.is_ok().then(move || view! {
                    <div class="mt-4 flex flex-wrap gap-2">
                        <ActionForm action=toggle attr:aria-label=if enabled { "Disable endpoint" } else { "Enable endpoint" }>
                            <input type="hidden" name="id" value=id_toggle />
                            <input type="hidden" name="enabled" value=if enabled { "false" } else { "true" } />
                            <button class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">{if enabled { "Disable" } else { "Enable" }}</button>
                        </ActionForm>
                        <details class="text-sm">
                            <summary class="cursor-pointer list-none rounded-md px-3 py-1.5 font-medium text-red-700 hover:bg-red-50">"Delete"</summary>
                            <ActionForm action=delete attr:class="mt-2 rounded-md border border-red-200 bg-red-50 p-3" attr:aria-label="Delete endpoint">
                                <input type="hidden" name="id" value=id_delete />
                                <p class="text-xs text-red-900">"It stops receiving events at once. Its delivery history stays readable."</p>
                                <button class="mt-2 rounded-md bg-red-600 px-3 py-1 text-xs font-semibold text-white hover:bg-red-500">"Delete endpoint"</button>
                            </ActionForm>
                        </details>
                    </div>
                })}
                {v.can_resend.is_ok().then(move || view! {
                    <p class="mt-3 text-sm"><a class="font-medium text-indigo-700 hover:underline" href=recover_href>"Recover failed deliveries…"</a></p>
                })}
            </Card>
            <Card class="p-5">
                <h2 class="text-sm font-semibold text-slate-900">"Signing secret"</h2>
                <p class="mt-1 text-xs text-slate-600">"Verify the webhook-signature header with it (Standard Webhooks libraries do this for you)."</p>
                {v.previous_secret_until.map(|t| view! { <p class="mt-2 text-sm text-amber-900" data-testid="rotation-note">{format!("Rotated: the previous secret also signs until {}.", format_time_utc(t))}</p> })}
                {rotated.then(|| view! { <p role="status" class="mt-2 text-sm text-emerald-800">"A new secret was generated."</p> })}
                {match v.can_reveal.clone() {
                    Err(why) => view! { <p class="mt-2 text-sm text-slate-700" data-testid="secret-hidden">{why}</p> }.into_any(),
                    Ok(()) => view! {
                        {v.revealed.clone().map(|s| view! { <code data-testid="secret" class="mt-2 block select-all break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs">{s}</code> })}
                        {move || reveal.value().get().map(|r| match r {
                            Ok(s) => view! { <code data-testid="secret" class="mt-2 block select-all break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs">{s}</code> }.into_any(),
                            Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        })}
                        <div class="mt-3 flex flex-wrap gap-2">
                            <ActionForm action=reveal attr:aria-label="Reveal secret">
                                <input type="hidden" name="id" value=id_reveal />
                                <button class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">"Reveal"</button>
                            </ActionForm>
                            <details class="text-sm">
                                <summary class="cursor-pointer list-none rounded-md px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-100">"Rotate…"</summary>
                                <ActionForm action=rotate attr:class="mt-2 rounded-md border border-slate-200 bg-slate-50 p-3" attr:aria-label="Rotate secret">
                                    <input type="hidden" name="id" value=id_rotate />
                                    <p class="text-xs text-slate-800">"A new secret signs from now on; the current one keeps signing beside it for 24 hours, so you can update your receiver without losing events."</p>
                                    <button class="mt-2 rounded-md bg-indigo-600 px-3 py-1 text-xs font-semibold text-white hover:bg-indigo-500">"Rotate secret"</button>
                                </ActionForm>
                            </details>
                        </div>
                    }.into_any(),
                }}
            </Card>
            <Card class="p-5">
                <h2 class="text-sm font-semibold text-slate-900">"Send a test event"</h2>
                <p class="mt-1 text-xs text-slate-600">"Sends a signed webhook.test event now and shows what your endpoint answered."</p>
                {match v.can_edit.clone() {
                    Ok(()) => view! {
                        <ActionForm action=test attr:class="mt-3" attr:aria-label="Send test event">
                            <input type="hidden" name="id" value=id_test />
                            <button class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Send test event"</button>
                        </ActionForm>
                    }.into_any(),
                    Err(why) => view! { <p class="mt-2 text-sm text-slate-700">{why}</p> }.into_any(),
                }}
                {move || test.pending().get().then(|| view! { <p class="mt-2 text-sm text-slate-600" aria-busy="true">"Sending…"</p> })}
                {v.test.clone().map(|t| view! { <TestResult t /> })}
                {move || test.value().get().map(|r| match r {
                    Ok(t) => view! { <TestResult t /> }.into_any(),
                    Err(e) => view! { <div class="mt-2"><ErrorNotice error=e /></div> }.into_any(),
                })}
            </Card>
        </div>
        <h2 class="mb-2 mt-8 text-lg font-semibold text-slate-900">"Deliveries"</h2>
        <DeliveryLog base=log_base fixed_endpoint=id />
    }
    .into_any()
}

#[component]
fn TestResult(t: TestResultView) -> impl IntoView {
    let ok = t.failure.is_none();
    view! {
        <div data-testid="test-result" class=if ok { "mt-3 rounded-md border border-emerald-200 bg-emerald-50 p-3 text-sm text-emerald-900" } else { "mt-3 rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-900" }>
            <p class="font-medium">
                {match (t.status, &t.failure) {
                    (Some(s), None) => format!("Delivered: HTTP {s}"),
                    (Some(s), Some(_)) => format!("Failed: HTTP {s}"),
                    (None, Some(f)) => format!("Failed: {}", failure_label(f)),
                    (None, None) => "Sent".to_string(),
                }}
                {t.latency_ms.map(|l| format!(" in {l} ms"))}
            </p>
            {t.failure_detail.clone().map(|d| view! { <p class="mt-1">{d}</p> })}
            {t.body.clone().filter(|b| !b.is_empty()).map(|b| view! { <pre class="mt-2 max-h-40 overflow-auto rounded bg-white p-2 text-xs text-slate-900" tabindex="0">{b}</pre> })}
            <p class="mt-1"><a class="underline" href=format!("/webhooks/deliveries/{}", t.delivery_id)>"Open the delivery"</a></p>
        </div>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoverView {
    pub endpoint: EndpointSummary,
    pub since: i64,
    pub failed: i64,
    pub missed: i64,
    pub cap: i64,
    pub can: Result<(), String>,
}

#[cfg(feature = "ssr")]
fn since_ms(now: i64, since: &str) -> Result<i64, AppError> {
    match since.trim() {
        "" | "24h" => Ok(now - 86_400_000),
        "1h" => Ok(now - 3_600_000),
        "3d" => Ok(now - 3 * 86_400_000),
        "7d" => Ok(now - 7 * 86_400_000),
        other => Ok(crate::domain::request_filter::parse_time("since", other)?),
    }
}

#[server(input = GetUrl, endpoint = "webhook_recover_preview")]
pub async fn webhook_recover_preview(
    id: String,
    #[server(default)] since: String,
) -> Result<RecoverView, AppError> {
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let row = crate::server::webhooks::own_endpoint(&state, &viewer, &id).await?;
    let since = since_ms(state.clock.now_ms(), &since)?;
    let can = crate::server::webhooks::may_resend(&viewer);
    let (failed, missed) = if can.is_ok() {
        crate::server::webhooks::recover_preview(&state, &viewer, &id, since).await?
    } else {
        (0, 0)
    };
    let stats = state
        .store
        .endpoint_stats(&crate::server::access::own_scope(&viewer), since)
        .await
        .map_err(internal)?;
    Ok(RecoverView {
        endpoint: summary(row, &stats),
        since,
        failed,
        missed,
        cap: crate::server::webhooks::MAX_RECOVER,
        can,
    })
}

#[server(endpoint = "recover_webhook_endpoint")]
pub async fn recover_webhook_endpoint(id: String, since: i64) -> Result<i64, AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let r = crate::server::webhooks::recover(&state, &viewer, &id, since).await.map_err(AppError::from);
    match &r {
        Ok(n) if crate::server::context::wants_html() => {
            leptos_axum::redirect(&format!("/webhooks/{id}?recovered={n}"))
        }
        Err(e) if crate::server::context::wants_html() && !matches!(e, AppError::Unauthorized) => {
            leptos_axum::redirect(&format!(
                "/webhooks/{id}/recover?error={}",
                crate::url::encode_component(&e.to_string())
            ))
        }
        _ => {}
    }
    r
}

#[component]
pub fn RecoverPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let preview = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                query.with(|q| q.get("since").unwrap_or_default()),
            )
        },
        |(id, since)| webhook_recover_preview(id, since),
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(v) => view! { <RecoverBody v /> }.into_any(),
                    Err(AppError::NotFound(m)) => view! { <NotFoundNotice what=m /> }.into_any(),
                    Err(e) => view! { <PageHeader title="Recover deliveries" /> <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RecoverBody(v: RecoverView) -> impl IntoView {
    let recover = ServerAction::<RecoverWebhookEndpoint>::new();
    let query = use_query_map();
    let (enabled_now, error, since_choice) = query.with_untracked(|q| {
        (q.get("enabled").is_some(), q.get("error"), q.get("since").unwrap_or_else(|| "24h".into()))
    });
    let id = v.endpoint.id.clone();
    let navigate = use_navigate();
    {
        let id = id.clone();
        Effect::new(move |_| {
            if let Some(Ok(n)) = recover.value().get() {
                navigate(&format!("/webhooks/{id}?recovered={n}"), Default::default());
            }
        });
    }
    let total = v.failed + v.missed;
    let back = format!("/webhooks/{id}");
    view! {
        <PageHeader title="Recover deliveries" subtitle=v.endpoint.url.clone()>
            <a href=back class="rounded-md px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50">"Back to the endpoint"</a>
        </PageHeader>
        {enabled_now.then(|| view! { <p role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">"The endpoint is enabled again. Recover what it missed while it was disabled?"</p> })}
        {error.map(|m| view! { <div class="mb-4"><ErrorNotice error=AppError::Invalid(m) /></div> })}
        {move || recover.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice error=e /></div> })}
        <Card class="max-w-2xl p-5">
            <Form method="GET" action="" attr:class="flex flex-wrap items-end gap-3 text-sm" attr:aria-label="Recover since">
                {enabled_now.then(|| view! { <input type="hidden" name="enabled" value="1" /> })}
                <label for="since" class="flex flex-col text-slate-700">"Since"
                    <select id="since" name="since" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                        {[("1h", "1 hour ago"), ("24h", "24 hours ago"), ("3d", "3 days ago"), ("7d", "7 days ago")].into_iter().map(|(val, l)| {
                            let sel = since_choice == val;
                            view! { <option value=val selected=sel>{l}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button class="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-50">"Count"</button>
            </Form>
            <p class="mt-4 text-sm text-slate-900" data-testid="recover-count">
                {format!("Since {}: {} failed deliver{} and {} event{} missed while the endpoint was disabled.",
                    format_time_utc(v.since), v.failed, if v.failed == 1 { "y" } else { "ies" }, v.missed, if v.missed == 1 { "" } else { "s" })}
                {(v.failed >= v.cap || v.missed >= v.cap).then(|| format!(" At most {} of each are queued at once; recover again for the rest.", v.cap))}
            </p>
            {match v.can.clone() {
                Err(why) => view! { <p class="mt-3 text-sm text-slate-700">{why}</p> }.into_any(),
                Ok(()) if total == 0 => view! { <p class="mt-3 text-sm text-slate-700">"Nothing to recover in that time."</p> }.into_any(),
                Ok(()) => view! {
                    <ActionForm action=recover attr:class="mt-4" attr:aria-label="Confirm recovery">
                        <input type="hidden" name="id" value=id.clone() />
                        <input type="hidden" name="since" value=v.since.to_string() />
                        <button class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">{format!("Queue {total} deliveries")}</button>
                    </ActionForm>
                    <p class="mt-2 text-xs text-slate-600">"They are attempted in order; the endpoint page shows how many are still queued."</p>
                }.into_any(),
            }}
        </Card>
    }
}
