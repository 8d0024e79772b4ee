//! Creating and editing an endpoint: its URL, description and event types.

use super::*;

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
