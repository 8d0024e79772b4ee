//! Data retention: `/settings/retention` shows how long the organization keeps its request
//! logs, sync runs and webhook events, and lets owners and admins choose 7, 30 or 90 days
//! (audited). A plain form, so it works before the WebAssembly has loaded. [`RetentionNote`]
//! tells each list how far back its data goes.

use super::ui::{Card, DetailLoader, ErrorNotice, PageHeader};
use crate::domain::retention::{kept_note, CHOICES};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionView {
    pub days: i64,
    /// Why the viewer may not change it, if they may not.
    pub can_manage: Result<(), String>,
}

#[server(input = GetUrl, endpoint = "retention_settings")]
pub async fn retention_settings() -> Result<RetentionView, AppError> {
    let (state, viewer) = crate::server::context::session()?;
    let days = crate::server::retention::days(&state, &viewer).await?;
    Ok(RetentionView { days, can_manage: crate::server::retention::may_manage(&viewer) })
}

#[cfg(feature = "ssr")]
const PAGE_PATH: &str = "/settings/retention";

#[server(endpoint = "save_retention")]
pub async fn save_retention(#[server(default)] days: String) -> Result<i64, AppError> {
    use crate::url::encode_component as enc;
    let (state, viewer) = crate::server::context::session()?;
    let result = crate::server::retention::set(&state, &viewer, &days).await.map_err(AppError::from);
    if crate::server::context::wants_html() {
        match &result {
            Ok(d) => leptos_axum::redirect(&format!("{PAGE_PATH}?saved={d}")),
            Err(AppError::Unauthorized) => {}
            Err(e) => leptos_axum::redirect(&format!("{PAGE_PATH}?error={}", enc(&e.to_string()))),
        }
    }
    result
}

#[component]
pub fn RetentionPage() -> impl IntoView {
    let save = ServerAction::<SaveRetention>::new();
    let data = Resource::new(move || save.version().get(), |_| retention_settings());
    view! {
        <DetailLoader resource=data title="Data retention" render=move |v| view! { <RetentionBody v save /> } />
    }
}

#[component]
fn RetentionBody(v: RetentionView, save: ServerAction<SaveRetention>) -> impl IntoView {
    let query = use_query_map();
    let g = |k: &str| query.with_untracked(|q| q.get(k)).filter(|s| !s.is_empty());
    let (error, saved) = (g("error"), g("saved"));
    let disabled = v.can_manage.is_err();
    view! {
        <PageHeader title="Data retention" subtitle="How long this organization keeps its request logs, sync runs and webhook events (with their deliveries and payloads). The Overview's charts keep their hourly counts for 13 months." />
        {v.can_manage.clone().err().map(|why| view! { <p data-testid="read-only-note" class="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700">{why}</p> })}
        {error.map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=AppError::Invalid(e) /></div> })}
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=e /></div> })}
        {move || {
            let now = save.value().get().and_then(|r| r.ok());
            now.or(saved.as_deref().and_then(|s| s.parse().ok())).map(|d: i64| view! {
                <p data-testid="saved" role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">{format!("Saved: data is kept {d} days. Older rows are deleted within a few minutes.")}</p>
            })
        }}
        <Card class="max-w-2xl p-5">
            <p class="text-sm text-slate-800" data-testid="retention-current">{kept_note("Request logs, sync runs and webhook events", v.days)}</p>
            <ActionForm action=save attr:class="mt-4 space-y-4" attr:aria-label="Data retention">
                <fieldset class="text-sm">
                    <legend class="font-medium text-slate-800">"Keep data for"</legend>
                    <div class="mt-2 flex flex-wrap gap-4">
                        {CHOICES.iter().map(|d| {
                            let checked = *d == v.days;
                            view! { <label class="flex items-center gap-2">
                                <input type="radio" name="days" value=d.to_string() checked=checked disabled=disabled />
                                {format!("{d} days")}
                            </label> }
                        }).collect_view()}
                    </div>
                </fieldset>
                <p class="text-xs text-slate-600">"A shorter period deletes older rows for good: exports and the request log cannot show them afterwards. The latest sync run of each data object is always kept, and so is an event still being delivered."</p>
                <button disabled=disabled data-testid="save-retention" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">"Save"</button>
            </ActionForm>
        </Card>
    }
}

#[server(input = GetUrl, endpoint = "retention_days")]
pub async fn retention_days() -> Result<i64, AppError> {
    let (state, viewer) = crate::server::context::session()?;
    Ok(crate::server::retention::days(&state, &viewer).await?)
}

/// "Request logs are kept 30 days; …": how far back a list goes.
#[component]
pub fn RetentionNote(what: &'static str) -> impl IntoView {
    let days = Resource::new(|| (), |_| retention_days());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                days.await.ok().map(|d| view! {
                    <p class="mb-3 text-xs text-slate-600" data-testid="retention-note">
                        {kept_note(what, d)}" "<a class="underline" href="/settings/retention">"Change"</a>
                    </p>
                })
            })}
        </Suspense>
    }
}
