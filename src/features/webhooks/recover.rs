//! Recovering the events an endpoint missed while it was disabled.

use super::*;

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
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let row = crate::server::webhooks::own_endpoint(&state, &viewer, &id).await?;
    let since = since_ms(state.clock.now_ms(), &since)?;
    let can = crate::server::webhooks::may_resend(&viewer);
    let (failed, missed) = if can.is_ok() {
        crate::server::webhooks::recover_preview(&state, &viewer, &id, since).await?
    } else {
        (0, 0)
    };
    let stats = crate::server::webhooks::stats_since(&state, &viewer, since).await?;
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
