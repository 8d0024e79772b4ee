//! A connection's sync history (every run, newest first, filtered in the URL) and one run's
//! page with its upstream calls, the cause of a failure and what to do next.

use crate::error::AppError;
use crate::features::ui::{
    format_time_utc, Card, DetailLoader, ErrorNotice, ExportLinks, Loading, PageHeader, Pager,
};
use crate::features::ui::{status_label, StatusBadge};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRunItem {
    pub id: String,
    pub connection_id: String,
    pub data_object: String,
    pub kind: String,
    pub status: String,
    pub trigger: String,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub progress: i64,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform_error: Option<String>,
    pub next_step: Option<String>,
    pub backfill_id: Option<String>,
    /// What the classifier read in a failed run's raw error (as on the request page).
    pub diagnosis: Option<crate::features::requests::detail::Diagnosis>,
    pub error_confidence: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<crate::server::store::sync::SyncRunDetailRow> for SyncRunItem {
    fn from(r: crate::server::store::sync::SyncRunDetailRow) -> Self {
        let platform = crate::domain::platform(&r.platform_id).map(|p| p.name).unwrap_or("The platform");
        let trigger = match (r.trigger_kind.as_str(), &r.triggered_by_email, &r.backfill_id) {
            ("backfill", Some(who), _) => format!("backfill by {who}"),
            ("backfill", None, _) => "backfill".to_string(),
            ("user", Some(who), _) => format!("sync now by {who}"),
            ("schedule", _, _) => "schedule".to_string(),
            ("connection", _, _) => "new connection".to_string(),
            (other, _, _) => other.to_string(),
        };
        let diagnosis = crate::features::requests::detail::Diagnosis::of_stored(
            r.error_cause.as_deref(),
            r.error_field.as_deref(),
            r.error_rule.as_deref(),
            r.classified_code.as_deref(),
            r.error_code.as_deref(),
        );
        SyncRunItem {
            diagnosis,
            error_confidence: r.error_confidence.clone(),
            next_step: next_step(r.error_code.as_deref(), platform, &r.data_object),
            id: r.id,
            connection_id: r.connection_id,
            data_object: r.data_object,
            kind: r.kind.into(),
            status: r.status.into(),
            trigger,
            queued_at: r.queued_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            records_added: r.records_added,
            records_updated: r.records_updated,
            records_deleted: r.records_deleted,
            progress: r.progress,
            range_from: r.range_from,
            range_to: r.range_to,
            error_code: r.error_code,
            error_message: r.error_message,
            platform_error: r.platform_error.map(|p| {
                serde_json::from_str::<serde_json::Value>(&p)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(p)
            }),
            backfill_id: r.backfill_id,
        }
    }
}

/// What to do about a failed or partial run.
pub fn next_step(code: Option<&str>, platform: &str, object: &str) -> Option<String> {
    Some(match code? {
        "unauthorized" => format!("{platform} no longer accepts this connection's credentials. Ask the end customer to reconnect; every sync fails until they do. Then backfill what was missed."),
        "rate-limited" => format!("{platform} rate-limited the sync. It is retried on the next schedule; if it keeps happening, sync less often in the data sync configuration."),
        "platform-unavailable" => format!("{platform} was unavailable. Nothing is needed if the next scheduled run succeeds; otherwise backfill {object} once {platform} is back."),
        "invalid-params" => format!("Some {object} records were rejected as malformed (see the raw platform error). Fix them in {platform}, then backfill {object}."),
        "not_supported" => format!("{platform} does not offer {object}: no run will ever fetch it. Disable it for this platform in the data sync configuration."),
        _ => "Compare the raw platform error with the error-code guide; backfill the object once the cause is fixed.".to_string(),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncHistoryPage {
    pub supports_sync_history: bool,
    pub platform_name: String,
    pub objects: Vec<String>,
    pub rows: Vec<SyncRunItem>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

pub use crate::domain::sync_runs::{KINDS, RANGES, RUN_STATUSES};

// Each argument is one field of the tab's URL query (filters and cursors), read as strings so a
// hand-edited link gets a message naming the field rather than a decoding error.
#[allow(clippy::too_many_arguments)]
#[server(input = GetUrl, endpoint = "list_sync_runs")]
pub async fn list_sync_runs(
    connection: String,
    #[server(default)] object: String,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<SyncHistoryPage, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    use crate::server::sync_runs::{history, HistoryFilters};
    let (state, viewer) = session()?;
    let filters = HistoryFilters { object, status, kind, range, from, to };
    let h = history(&state, &Actor::Person(viewer), &connection, &filters, Some(&before), Some(&after), 50)
        .await?;
    let connection = h.connection.id.clone();
    let spec = crate::domain::platform(&h.connection.platform_id).ok_or(AppError::Internal)?;
    let base = {
        let mut parts = vec![format!("tab=history")];
        for (k, v) in [
            ("object", &filters.object),
            ("status", &filters.status),
            ("kind", &filters.kind),
            ("range", &filters.range),
            ("from", &filters.from),
            ("to", &filters.to),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", v.trim()));
            }
        }
        format!("/connections/{connection}?{}", parts.join("&"))
    };
    // A platform without sync history has no runs to show, whatever is stored.
    let rows = if spec.supports_sync_history { h.rows } else { vec![] };
    let (newer, older) = if spec.supports_sync_history { (h.newer, h.older) } else { (None, None) };
    Ok(SyncHistoryPage {
        supports_sync_history: spec.supports_sync_history,
        platform_name: spec.name.to_string(),
        objects: spec.integration_type.data_objects().iter().map(|s| s.to_string()).collect(),
        rows: rows.into_iter().map(Into::into).collect(),
        newer: newer.map(|c| format!("{base}&after={c}")),
        older: older.map(|c| format!("{base}&before={c}")),
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRunView {
    pub run: SyncRunItem,
    pub connection_name: String,
    pub platform_name: String,
    /// The run's upstream calls, one line each.
    pub calls: Vec<CallLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallLine {
    pub method: String,
    pub url: String,
    pub status: i64,
    pub records: i64,
    pub latency_ms: i64,
    pub note: Option<String>,
}

#[server(input = GetUrl, endpoint = "get_sync_run")]
pub async fn get_sync_run(id: String) -> Result<SyncRunView, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let (row, conn) = crate::server::sync_runs::get(&state, &Actor::Person(viewer), &id).await?;
    let calls = serde_json::from_str::<Vec<serde_json::Value>>(&row.log)
        .unwrap_or_default()
        .into_iter()
        .map(|c| CallLine {
            method: c["method"].as_str().unwrap_or("GET").to_string(),
            url: c["url"].as_str().unwrap_or("").to_string(),
            status: c["status"].as_i64().unwrap_or(0),
            records: c["records"].as_i64().unwrap_or(0),
            latency_ms: c["latency_ms"].as_i64().unwrap_or(0),
            note: c["note"].as_str().map(str::to_string),
        })
        .collect();
    let platform_name =
        crate::domain::platform(&row.platform_id).map(|p| p.name.to_string()).unwrap_or_default();
    Ok(SyncRunView {
        connection_name: conn.map(|c| c.display_name).unwrap_or_default(),
        platform_name,
        run: row.into(),
        calls,
    })
}

fn duration(r: &SyncRunItem) -> String {
    match (r.started_at, r.finished_at) {
        (Some(s), Some(f)) => {
            let secs = (f - s).max(0) / 1000;
            if secs >= 60 {
                format!("{}m {}s", secs / 60, secs % 60)
            } else {
                format!("{secs}s")
            }
        }
        (Some(_), None) => "running".into(),
        _ => "—".into(),
    }
}

/// The Sync history tab of a connection page.
#[component]
pub fn SyncHistoryTab(connection: String) -> impl IntoView {
    let query = use_query_map();
    let conn = connection.clone();
    let page = Resource::new(
        move || {
            query.with(|q| {
                let g = |k: &str| q.get(k).unwrap_or_default();
                (
                    conn.clone(),
                    [
                        g("object"),
                        g("status"),
                        g("kind"),
                        g("range"),
                        g("from"),
                        g("to"),
                        g("before"),
                        g("after"),
                    ],
                )
            })
        },
        |(c, [o, s, k, r, f, t, b, a])| list_sync_runs(c, o, s, k, r, f, t, b, a),
    );
    let g = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let (object, status, kind, range) = (g("object"), g("status"), g("kind"), g("range"));
    let (from, to) = (g("from"), g("to"));
    view! {
        <crate::features::retention::RetentionNote what="Sync runs" />
        <Suspense fallback=Loading>
            {move || {
                let (object, status, kind, range, connection) = (object.clone(), status.clone(), kind.clone(), range.clone(), connection.clone());
                let (from, to) = (from.clone(), to.clone());
                let export = {
                    let mut q = String::new();
                    for (k, v) in [("object", &object), ("status", &status), ("kind", &kind), ("range", &range), ("from", &from), ("to", &to)] {
                        if !v.trim().is_empty() {
                            q.push_str(&format!("&{k}={}", crate::url::encode_component(v.trim())));
                        }
                    }
                    let href = |format: &str| format!("/connections/{connection}/sync-runs/export?format={format}{q}");
                    view! { <ExportLinks csv=href("csv") ndjson=href("ndjson") /> }
                };
                Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(p) if !p.supports_sync_history => view! {
                        <Card class="p-5"><p class="text-sm text-slate-700" data-testid="no-sync-history">
                            {format!("{} does not report sync history, so Switchboard cannot show runs for this connection. Its data still syncs; check its requests and webhooks instead.", p.platform_name)}
                        </p></Card>
                    }.into_any(),
                    Ok(p) => view! {
                        <Card class="mb-4 p-4">
                            <Form method="GET" action="" attr:aria-label="Filter sync runs" attr:class="flex flex-wrap items-end gap-3 text-sm">
                                <input type="hidden" name="tab" value="history" />
                                <FilterSelect id="h-object" name="object" label="Object" any="Any object" options=p.objects.clone() selected=object.clone() />
                                <FilterSelect id="h-status" name="status" label="Status" any="Any status" options=RUN_STATUSES.iter().map(|s| s.to_string()).collect() selected=status.clone() />
                                <FilterSelect id="h-kind" name="kind" label="Kind" any="Any kind" options=KINDS.iter().map(|s| s.to_string()).collect() selected=kind.clone() />
                                <FilterSelect id="h-range" name="range" label="Time" any="Any time" options=RANGES.iter().map(|r| r.0.to_string()).collect() selected=range.clone() />
                                <label class="flex flex-col text-slate-700">"From (UTC)"
                                    <input type="datetime-local" name="from" value=from.clone() data-testid="h-from" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-slate-900" />
                                </label>
                                <label class="flex flex-col text-slate-700">"To (UTC)"
                                    <input type="datetime-local" name="to" value=to.clone() data-testid="h-to" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-slate-900" />
                                </label>
                                <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Apply"</button>
                                <a class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100" href=format!("/connections/{connection}?tab=history")>"Reset"</a>
                            </Form>
                        </Card>
                        {(!p.rows.is_empty()).then_some(export)}
                        <Card>
                            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Sync runs">
                                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="sync-history">
                                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                        <tr><th class="px-3 py-2">"Object"</th><th class="px-3 py-2">"Status"</th><th class="px-3 py-2">"Kind · trigger"</th><th class="px-3 py-2">"Queued / started / finished"</th><th class="px-3 py-2">"Duration"</th><th class="px-3 py-2 text-right">"Added / updated / deleted"</th><th class="px-3 py-2">"Range"</th></tr>
                                    </thead>
                                    <tbody class="divide-y divide-slate-100">
                                        {if p.rows.is_empty() {
                                            view! { <tr><td colspan="7" class="px-4 py-6 text-center text-slate-600">"No runs match these filters."</td></tr> }.into_any()
                                        } else {
                                            p.rows.into_iter().map(|r| view! { <HistoryRow r /> }).collect_view().into_any()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                            <Pager newer=p.newer older=p.older />
                        </Card>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}

#[component]
pub(crate) fn FilterSelect(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    any: &'static str,
    options: Vec<String>,
    selected: String,
) -> impl IntoView {
    view! {
        <label for=id class="flex flex-col text-slate-700">{label}
            <select id=id name=name class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                <option value="">{any}</option>
                {options.into_iter().map(|o| { let sel = o == selected; view! { <option value=o.clone() selected=sel>{status_label(&o)}</option> } }).collect_view()}
            </select>
        </label>
    }
}

/// One run in a list; `with_connection` adds a column linking its connection (the whole
/// environment's list).
#[component]
pub(crate) fn HistoryRow(r: SyncRunItem, #[prop(optional)] with_connection: bool) -> impl IntoView {
    let failed = r.status == "failed" || r.status == "partial";
    let dur = duration(&r);
    let columns = if with_connection { "8" } else { "7" };
    view! {
        <tr class="align-top" data-run-id=r.id.clone()>
            <td class="px-3 py-2"><a class="font-mono text-xs font-medium text-indigo-700 hover:underline" href=format!("/sync-runs/{}", r.id)>{r.data_object.clone()}</a></td>
            {with_connection.then(|| view! { <td class="px-3 py-2"><a class="font-mono text-xs text-indigo-700 hover:underline" href=format!("/connections/{}?tab=history", r.connection_id)>{r.connection_id.clone()}</a></td> })}
            <td class="px-3 py-2"><StatusBadge status=r.status.clone() /></td>
            <td class="px-3 py-2 text-xs text-slate-700">{r.kind.clone()} " · " {r.trigger.clone()}</td>
            <td class="px-3 py-2 text-xs text-slate-700">
                {format_time_utc(r.queued_at)}<br />
                {r.started_at.map(format_time_utc).unwrap_or_else(|| "not started".into())}<br />
                {r.finished_at.map(format_time_utc).unwrap_or_else(|| "—".into())}
            </td>
            <td class="px-3 py-2 text-xs tabular-nums">{dur}</td>
            <td class="px-3 py-2 text-right text-xs tabular-nums">{format!("{} / {} / {}", r.records_added, r.records_updated, r.records_deleted)}</td>
            <td class="px-3 py-2 text-xs text-slate-700">{match (r.range_from, r.range_to) { (Some(f), Some(t)) => format!("{} – {}", format_time_utc(f), format_time_utc(t)), _ => "—".into() }}</td>
        </tr>
        {failed.then(|| view! {
            <tr class="bg-red-50/40">
                <td colspan=columns class="px-3 pb-3 text-sm">
                    <p class="text-red-800"><span class="font-mono text-xs">{r.error_code.clone().unwrap_or_default()}</span> " " {r.error_message.clone().unwrap_or_default()}</p>
                    {r.next_step.clone().map(|n| view! { <p class="mt-1 text-slate-800" data-testid="run-next-step"><span class="font-medium">"Next step: "</span>{n}</p> })}
                    {r.platform_error.clone().map(|p| view! { <details class="mt-1"><summary class="cursor-pointer text-xs text-slate-700">"Raw platform error"</summary><pre class="mt-1 overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100">{p}</pre></details> })}
                </td>
            </tr>
        })}
    }
}

#[component]
pub fn SyncRunPage() -> impl IntoView {
    let params = use_params_map();
    let run = Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), get_sync_run);
    view! {
        <DetailLoader resource=run title="Sync run" render=|v| view! { <SyncRunBody v /> } />
    }
}

#[component]
fn SyncRunBody(v: SyncRunView) -> impl IntoView {
    let r = v.run.clone();
    let dur = duration(&r);
    view! {
        <PageHeader title=format!("{} sync of {}", status_label(&r.kind), r.data_object) subtitle=format!("Run {} · {} · {}", r.id, v.connection_name, v.platform_name)>
            <StatusBadge status=r.status.clone() />
        </PageHeader>
        <Card class="mb-4 p-5">
            <dl class="grid gap-3 text-sm sm:grid-cols-3">
                <div><dt class="text-slate-600">"Trigger"</dt><dd>{r.trigger.clone()}</dd></div>
                <div><dt class="text-slate-600">"Queued"</dt><dd>{format_time_utc(r.queued_at)}</dd></div>
                <div><dt class="text-slate-600">"Duration"</dt><dd>{dur}</dd></div>
                <div><dt class="text-slate-600">"Records added / updated / deleted"</dt><dd class="tabular-nums">{format!("{} / {} / {}", r.records_added, r.records_updated, r.records_deleted)}</dd></div>
                <div><dt class="text-slate-600">"Fetched so far"</dt><dd class="tabular-nums">{r.progress}</dd></div>
                <div><dt class="text-slate-600">"Connection"</dt><dd><a class="text-indigo-700 underline" href=format!("/connections/{}?tab=history", r.connection_id)>{v.connection_name.clone()}</a></dd></div>
                {r.backfill_id.clone().map(|b| view! { <div><dt class="text-slate-600">"Backfill"</dt><dd><a class="font-mono text-xs text-indigo-700 underline" href=format!("/backfills/{b}")>{b.clone()}</a></dd></div> })}
            </dl>
            {r.error_code.clone().map(|code| view! {
                <div class="mt-4 rounded-md border border-red-200 bg-red-50 p-4 text-sm" data-testid="run-error">
                    <p class="font-medium text-red-900"><span class="font-mono">{code}</span> " " {r.error_message.clone().unwrap_or_default()}</p>
                    {r.diagnosis.clone().map(|d| view! {
                        <dl class="mt-2 grid grid-cols-1 gap-x-6 gap-y-1 sm:grid-cols-2" data-testid="run-diagnosis">
                            <div class="flex gap-2"><dt class="text-red-800">"Cause"</dt><dd class="font-medium text-red-900" data-testid="run-error-cause">{d.cause_label.clone()}</dd></div>
                            {d.field.clone().map(|f| view! { <div class="flex gap-2"><dt class="text-red-800">"Field"</dt><dd class="font-mono text-red-900">{f}</dd></div> })}
                            {d.rule.clone().map(|rule| view! { <div class="flex min-w-0 gap-2"><dt class="text-red-800">"Rule"</dt><dd class="break-all font-mono text-xs leading-5 text-red-900" data-testid="run-error-rule">{rule}</dd></div> })}
                            {r.error_confidence.clone().map(|c| view! { <div class="flex gap-2"><dt class="text-red-800">"Confidence"</dt><dd class="text-red-900">{c}</dd></div> })}
                        </dl>
                        {d.disagrees.then(|| view! {
                            <p class="mt-2 rounded bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-amber-200" data-testid="run-classifier-disagrees">
                                {format!(
                                    "The data plane sent {}; Switchboard's classifier reads this raw error as {} ({}). Check the raw error below.",
                                    r.error_code.clone().unwrap_or_else(|| "no code".into()),
                                    d.classified_code.clone().unwrap_or_else(|| "unknown-error".into()),
                                    d.cause_label.to_lowercase(),
                                )}
                            </p>
                        })}
                    })}
                    {r.next_step.clone().map(|n| view! { <p class="mt-2 text-slate-900"><span class="font-medium">"Next step: "</span>{n}</p> })}
                    {r.platform_error.clone().map(|p| view! { <pre class="mt-2 max-h-72 overflow-auto rounded bg-slate-900 p-2 text-xs text-slate-100" tabindex="0" data-testid="run-platform-error">{p}</pre> })}
                </div>
            })}
        </Card>
        <Card>
            <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold">"Upstream calls"</h2>
            <ul class="divide-y divide-slate-100 text-xs" data-testid="run-calls">
                {if v.calls.is_empty() {
                    view! { <li class="px-5 py-3 text-slate-600">"No calls were made (yet)."</li> }.into_any()
                } else {
                    v.calls.into_iter().map(|c| view! {
                        <li class="px-5 py-2 font-mono">
                            <span class={if c.status >= 400 { "text-red-700" } else { "text-emerald-800" }}>{c.status}</span>
                            " " {c.method} " " <span class="break-all">{c.url}</span>
                            " · " {format!("{} records · {} ms", c.records, c.latency_ms)}
                            {c.note.map(|n| view! { <span class="block font-sans text-amber-800">{n}</span> })}
                        </li>
                    }).collect_view().into_any()
                }}
            </ul>
        </Card>
    }
}
