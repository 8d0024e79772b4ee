//! `/sync-runs`: every sync run of the environment, newest first, filtered in the URL by data
//! object, status, kind and time. The Overview's sync-run bars link here, filtered to their
//! status and bin, so a bar and the list it opens count the same runs.

use super::sync_runs::{FilterSelect, HistoryRow, SyncRunItem, KINDS, RANGES, RUN_STATUSES};
use crate::error::AppError;
use crate::features::ui::{Card, ErrorNotice, Loading, PageHeader, Pager};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentRunsPage {
    pub objects: Vec<String>,
    pub rows: Vec<SyncRunItem>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// The filters a URL may carry, in the order of the page's form.
#[cfg(feature = "ssr")]
const FIELDS: [&str; 6] = ["object", "status", "kind", "range", "from", "to"];

// Each argument is one field of the URL query, read as a string so a hand-edited link gets a
// message naming the field rather than a decoding error.
#[allow(clippy::too_many_arguments)]
#[server(input = GetUrl, endpoint = "list_environment_runs")]
pub async fn list_environment_runs(
    #[server(default)] object: String,
    #[server(default)] status: String,
    #[server(default)] kind: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<EnvironmentRunsPage, AppError> {
    use crate::server::actor::Actor;
    use crate::server::sync_runs::{all_data_objects, environment_runs, HistoryFilters};
    let (state, viewer) = crate::server::context::session()?;
    let filters = HistoryFilters { object, status, kind, range, from, to };
    let r =
        environment_runs(&state, &Actor::Person(viewer), &filters, Some(&before), Some(&after), 50).await?;
    let base = {
        let parts: Vec<String> = FIELDS
            .iter()
            .zip([
                &filters.object,
                &filters.status,
                &filters.kind,
                &filters.range,
                &filters.from,
                &filters.to,
            ])
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", crate::url::encode_component(v.trim())))
            .collect();
        format!("/sync-runs?{}", parts.join("&"))
    };
    let sep = if base.ends_with('?') { "" } else { "&" };
    Ok(EnvironmentRunsPage {
        objects: all_data_objects().iter().map(|s| s.to_string()).collect(),
        rows: r.rows.into_iter().map(Into::into).collect(),
        newer: r.newer.map(|c| format!("{base}{sep}after={c}")),
        older: r.older.map(|c| format!("{base}{sep}before={c}")),
    })
}

#[component]
pub fn EnvironmentRunsPage() -> impl IntoView {
    let query = use_query_map();
    let page = Resource::new(
        move || {
            query.with(|q| {
                let g = |k: &str| q.get(k).unwrap_or_default();
                [g("object"), g("status"), g("kind"), g("range"), g("from"), g("to"), g("before"), g("after")]
            })
        },
        |[o, s, k, r, f, t, b, a]| list_environment_runs(o, s, k, r, f, t, b, a),
    );
    let g = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let (object, status, kind, range, from, to) =
        (g("object"), g("status"), g("kind"), g("range"), g("from"), g("to"));
    view! {
        <PageHeader title="Sync runs" subtitle="Every sync run of this environment, newest first. A connection's own runs are on its History tab." />
        <crate::features::retention::RetentionNote what="Sync runs" />
        <Suspense fallback=Loading>
            {move || {
                let (object, status, kind, range, from, to) = (object.clone(), status.clone(), kind.clone(), range.clone(), from.clone(), to.clone());
                Suspend::new(async move {
                    match page.await {
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                        Ok(p) => view! {
                            <Card class="mb-4 p-4">
                                <Form method="GET" action="" attr:aria-label="Filter sync runs" attr:class="flex flex-wrap items-end gap-3 text-sm">
                                    <FilterSelect id="r-object" name="object" label="Object" any="Any object" options=p.objects.clone() selected=object.clone() />
                                    <FilterSelect id="r-status" name="status" label="Status" any="Any status" options=RUN_STATUSES.iter().map(|s| s.to_string()).collect() selected=status.clone() />
                                    <FilterSelect id="r-kind" name="kind" label="Kind" any="Any kind" options=KINDS.iter().map(|s| s.to_string()).collect() selected=kind.clone() />
                                    <FilterSelect id="r-range" name="range" label="Time" any="Any time" options=RANGES.iter().map(|r| r.0.to_string()).collect() selected=range.clone() />
                                    <label class="flex flex-col text-slate-700">"From (UTC)"
                                        <input type="datetime-local" name="from" value=from.clone() data-testid="r-from" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-slate-900" />
                                    </label>
                                    <label class="flex flex-col text-slate-700">"To (UTC)"
                                        <input type="datetime-local" name="to" value=to.clone() data-testid="r-to" class="mt-1 rounded-md border border-slate-300 bg-white px-2 py-1.5 text-slate-900" />
                                    </label>
                                    <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Apply"</button>
                                    <a class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100" href="/sync-runs">"Reset"</a>
                                </Form>
                            </Card>
                            <Card>
                                <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Sync runs">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="environment-runs">
                                        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                            <tr><th class="px-3 py-2">"Object"</th><th class="px-3 py-2">"Connection"</th><th class="px-3 py-2">"Status"</th><th class="px-3 py-2">"Kind · trigger"</th><th class="px-3 py-2">"Queued / started / finished"</th><th class="px-3 py-2">"Duration"</th><th class="px-3 py-2 text-right">"Added / updated / deleted"</th><th class="px-3 py-2">"Range"</th></tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {if p.rows.is_empty() {
                                                view! { <tr><td colspan="8" class="px-4 py-6 text-center text-slate-600">"No runs match these filters."</td></tr> }.into_any()
                                            } else {
                                                p.rows.into_iter().map(|r| view! { <HistoryRow r with_connection=true /> }).collect_view().into_any()
                                            }}
                                        </tbody>
                                    </table>
                                </div>
                                <Pager newer=p.newer older=p.older />
                            </Card>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
