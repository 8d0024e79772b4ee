//! One endpoint's page: its state, signing secret, test event and recent deliveries, and the
//! actions on it (enable, disable, rotate, delete).

use super::*;

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
    /// The newest delivery's failed last attempt: when, the kind of failure and its detail.
    pub last_failure: Option<(i64, String, Option<String>)>,
}

#[server(input = GetUrl, endpoint = "get_webhook_endpoint")]
pub async fn get_webhook_endpoint(
    id: String,
    #[server(default)] test: String,
) -> Result<EndpointView, AppError> {
    use crate::server::auth::cookie_value;
    use crate::server::context::{internal, session};
    use crate::server::reveal;
    use crate::server::webhooks::EndpointDetail;
    let (state, viewer) = session()?;
    let EndpointDetail { scope, row, stats, queued, test, last_failure } =
        crate::server::webhooks::detail(&state, &viewer, &id, &test).await?;
    let id = row.id.clone();
    let now = state.clock.now_ms();
    let previous_secret_until = row.previous_secret_expires_at.filter(|t| *t > now);
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
            reveal::open(state.store.as_ref(), state.clock.now_ms(), &viewer.token_hash, &cookie)
                .await
                .map_err(internal)?
        }
        _ => None,
    };
    let test = test.map(|(delivery_id, a)| TestResultView {
        delivery_id,
        status: a.response_status,
        latency_ms: a.latency_ms,
        body: a.response_body,
        failure: a.failure,
        failure_detail: a.failure_detail,
    });
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
        last_failure: last_failure.and_then(|a| a.failure.map(|f| (a.attempted_at, f, a.failure_detail))),
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
        let cookie = reveal::seal(state.store.as_ref(), state.clock.now_ms(), &viewer.token_hash, secret)
            .await
            .map_err(internal)?;
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
                {v.last_failure.clone().map(|(at, kind, detail)| view! {
                    <p class="mt-2 text-sm text-red-800" data-testid="last-failure">
                        {format!("Last attempt failed ({}): {}", format_time_utc(at), failure_label(&kind))}
                        {detail.map(|d| view! { <span class="mt-0.5 block break-words font-mono text-xs text-slate-700">{d}</span> })}
                    </p>
                })}
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
