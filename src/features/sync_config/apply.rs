//! Applying the current version to the connections still behind it: a review, then one
//! backfill per integration type.

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyConnection {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub version: i64,
    pub status: String,
    pub objects: Vec<String>,
    pub chosen: bool,
    /// Its last backfill to a newer version failed: that backfill and why.
    pub failed: Option<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyView {
    pub integration_type: String,
    pub current_version: i64,
    pub history_months: i64,
    pub connections: Vec<ApplyConnection>,
    pub truncated: bool,
    /// Runs the chosen connections need, and how many of them move without any.
    pub runs: usize,
    pub moves: usize,
    pub can_edit: Result<(), String>,
    pub submission_key: String,
}

#[server(input = GetUrl, endpoint = "sync_config_apply_review")]
pub async fn sync_config_apply_review(
    integration_type: String,
    #[server(default)] connections: String,
) -> Result<ApplyView, AppError> {
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = viewer.own_scope();
    let chosen: Vec<String> = crate::domain::split_list(&connections);
    let plan = svc::apply_plan(state.store.as_ref(), state.clock.as_ref(), &scope, it, &[]).await?;
    let is_chosen = |id: &str| chosen.is_empty() || chosen.iter().any(|c| c == id);
    if let Some(bad) = chosen.iter().find(|c| !plan.connections.iter().any(|b| &b.row.connection.id == *c)) {
        return Err(AppError::invalid(format!(
            "Connection {bad} is not behind the current {} configuration (or is not in this environment).",
            it.as_str()
        )));
    }
    let picked = plan.connections.iter().filter(|c| is_chosen(&c.row.connection.id));
    let runs = picked.clone().filter(|c| c.fetches()).map(|c| c.objects.len()).sum();
    let moves = picked.filter(|c| c.moves_at_once()).count();
    Ok(ApplyView {
        integration_type: it.as_str().to_string(),
        current_version: plan.current.row.version,
        history_months: plan.current.settings.history_months,
        connections: plan
            .connections
            .iter()
            .map(|c| ApplyConnection {
                id: c.row.connection.id.clone(),
                name: c.row.connection.display_name.clone(),
                platform: crate::domain::platform(&c.row.connection.platform_id)
                    .map(|p| p.name)
                    .unwrap_or("?")
                    .to_string(),
                version: c.row.connection.config_version,
                status: c.row.connection.status.as_str().to_string(),
                objects: c.objects.iter().map(|o| o.to_string()).collect(),
                chosen: is_chosen(&c.row.connection.id),
                failed: c.row.failed_backfill.clone().map(|b| (b, c.row.failure.clone())),
            })
            .collect(),
        truncated: plan.truncated,
        runs,
        moves,
        can_edit: svc::may_edit(&viewer),
        submission_key: crate::server::auth::random_token(16),
    })
}

/// Queues the backfill bringing the chosen connections to the current version.
#[server(endpoint = "apply_sync_config")]
pub async fn apply_sync_config(
    integration_type: String,
    #[server(default)] connections: String,
    key: String,
) -> Result<Option<String>, AppError> {
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let chosen: Vec<String> = crate::domain::split_list(&connections);
    let applied = svc::apply(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &viewer.own_scope(),
        it,
        &chosen,
        &key,
    )
    .await?;
    state.worker_waker.wake();
    match &applied.backfill_id {
        Some(id) => leptos_axum::redirect(&format!("/backfills/{id}")),
        None => leptos_axum::redirect(&format!("/sync-configuration?type={}", it.as_str())),
    }
    Ok(applied.backfill_id)
}

#[component]
pub fn ApplySyncConfigPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params.with(|p| p.get("type").unwrap_or_default()),
            query.with(|q| q.get_all("connection").unwrap_or_default().join(",")),
        )
    };
    let data = Resource::new(args, |(t, c)| sync_config_apply_review(t, c));
    let apply = ServerAction::<ApplySyncConfig>::new();
    view! {
        <PageHeader title="Apply to existing connections" subtitle="One backfill brings the connections behind the current version forward: it fetches only what each one's version lacks, over the configured lookback. Each connection moves to the current version when its part succeeds." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <div data-testid="apply-error"><ErrorNotice error=e /></div> }.into_any(),
                    Ok(v) => view! { <ApplyForm v apply /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApplyForm(v: ApplyView, apply: ServerAction<ApplySyncConfig>) -> impl IntoView {
    let it = v.integration_type.clone();
    if v.connections.is_empty() {
        return view! {
            <Card class="p-5"><p class="text-sm text-slate-700" data-testid="apply-nothing">{format!("Every {it} connection runs version {}: nothing to apply.", v.current_version)}</p>
            <a class="mt-2 inline-block text-sm font-medium text-indigo-700 underline" href=format!("/sync-configuration?type={it}")>"Back to the configuration"</a></Card>
        }.into_any();
    }
    let chosen: Vec<String> = v.connections.iter().filter(|c| c.chosen).map(|c| c.id.clone()).collect();
    let all_chosen = chosen.len() == v.connections.len();
    let behind_line = format!(
        "{} {} behind version {}{}.",
        crate::features::ui::plural(v.connections.len() as i64, "connection", "connections"),
        if v.connections.len() == 1 { "is" } else { "are" },
        v.current_version,
        if v.truncated { " (the first 1,000 are listed; apply again for the rest)" } else { "" }
    );
    let review_line = format!(
        "{} of {} chosen: queues {} over the last {} months",
        chosen.len(),
        v.connections.len(),
        crate::features::ui::plural(v.runs as i64, "run", "runs"),
        v.history_months
    );
    let choose_action = format!("/sync-configuration/{it}/apply");
    view! {
        {v.can_edit.clone().err().map(|why| view! { <p role="note" data-testid="config-read-only" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">{format!("Read-only. {why}")}</p> })}
        <Card class="mb-4 p-5">
            <form method="get" action=choose_action aria-label="Choose connections">
                <p class="text-sm text-slate-700">{behind_line}</p>
                <div class="mt-3 overflow-x-auto" tabindex="0" role="region" aria-label="Connections behind">
                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="apply-connections">
                        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                            <tr><th class="px-3 py-2"><span class="sr-only">"Include"</span></th><th class="px-3 py-2">"Connection"</th><th class="px-3 py-2">"Platform"</th><th class="px-3 py-2">"Version"</th><th class="px-3 py-2">"Fetches"</th></tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {v.connections.iter().map(|c| view! {
                                <tr>
                                    <td class="px-3 py-2"><input type="checkbox" name="connection" value=c.id.clone() checked=c.chosen aria-label=format!("Include {}", c.name) /></td>
                                    <td class="px-3 py-2"><a class="font-medium text-indigo-700 underline" href=format!("/connections/{}", c.id)>{c.name.clone()}</a>
                                        {c.failed.clone().map(|(bf, why)| view! { <span class="block text-xs text-red-800">"Last apply failed"{why.map(|w| format!(": {w}"))}" ("<a class="underline" href=format!("/backfills/{bf}")>"backfill"</a>")"</span> })}
                                        {(c.status == "disabled").then(|| view! { <span class="block text-xs text-slate-600">"Disabled: stays behind until re-enabled"</span> })}
                                    </td>
                                    <td class="px-3 py-2">{c.platform.clone()}</td>
                                    <td class="px-3 py-2 tabular-nums">{format!("v{}", c.version)}</td>
                                    <td class="px-3 py-2 text-xs">{if c.objects.is_empty() { "nothing: moves to the current version at once".to_string() } else { c.objects.join(", ") }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <button class="mt-3 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">"Update the count"</button>
            </form>
        </Card>
        <Card class="p-5">
            <p class="text-sm text-slate-900" data-testid="apply-review">
                {review_line}
                {(v.moves > 0).then(|| format!("; {} nothing fetched and {} at once", crate::features::ui::plural(v.moves as i64, "connection needs", "connections need"), if v.moves == 1 { "moves" } else { "move" }))}
                "."
            </p>
            <ActionForm action=apply attr:class="mt-3" attr:aria-label="Apply configuration">
                <input type="hidden" name="integration_type" value=it.clone() />
                <input type="hidden" name="connections" value=if all_chosen { String::new() } else { chosen.join(",") } />
                <input type="hidden" name="key" value=v.submission_key.clone() />
                <button disabled=v.can_edit.is_err() || chosen.is_empty() class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
                    {format!("Apply version {} to {}", v.current_version, crate::features::ui::plural(chosen.len() as i64, "connection", "connections"))}
                </button>
            </ActionForm>
            {move || apply.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3" data-testid="apply-error"><ErrorNotice error=e /></div> })}
        </Card>
    }.into_any()
}
