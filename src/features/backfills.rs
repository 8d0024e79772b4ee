//! Backfills: choose connections, objects and a range, review how many runs it queues, confirm,
//! then watch the worker execute it. Also "Sync now" for one object of one connection.
//!
//! The form is two plain steps so it works without JavaScript: a GET to `/backfills/new` with
//! the choices in the URL shows the review (or what is wrong), and the confirm button posts.

pub mod detail;
pub mod new;

use super::ui::{
    format_time_utc, status_label, Card, DetailLoader, ErrorNotice, Loading, PageHeader, Pager, StatusBadge,
    TableHead, UtcTime,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[server(endpoint = "sync_now")]
pub async fn sync_now(connection: String, object: String) -> Result<String, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let connection = parse_id(prefix::CONNECTION, &connection)
        .map_err(|e| AppError::invalid(format!("{connection:?} is not a connection ID: {e}.")))?;
    let run = crate::server::backfills::sync_now(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &viewer.own_scope(),
        &connection,
        object.trim(),
    )
    .await?;
    state.worker_waker.wake();
    leptos_axum::redirect(&format!("/connections/{connection}?tab=history"));
    Ok(run)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillSummary {
    pub id: String,
    pub status: String,
    pub data_objects: Vec<String>,
    pub range_from: Option<i64>,
    pub range_to: Option<i64>,
    pub created_by: Option<String>,
    pub reason: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub cancelled: bool,
    pub connections: i64,
    pub runs_total: i64,
    pub runs_done: i64,
    pub runs_failed: i64,
}

#[cfg(feature = "ssr")]
impl From<crate::server::store::sync::BackfillSummaryRow> for BackfillSummary {
    fn from(b: crate::server::store::sync::BackfillSummaryRow) -> Self {
        BackfillSummary {
            data_objects: serde_json::from_str(&b.data_objects).unwrap_or_default(),
            id: b.id,
            status: b.status.into(),
            range_from: b.range_from,
            range_to: b.range_to,
            created_by: b.created_by_email,
            reason: b.reason,
            created_at: b.created_at,
            started_at: b.started_at,
            finished_at: b.finished_at,
            cancelled: b.cancelled_at.is_some(),
            connections: b.connections,
            runs_total: b.runs_total,
            runs_done: b.runs_done,
            runs_failed: b.runs_failed,
        }
    }
}

impl BackfillSummary {
    pub fn percent(&self) -> i64 {
        if self.runs_total == 0 {
            100
        } else {
            self.runs_done * 100 / self.runs_total
        }
    }
    pub fn active(&self) -> bool {
        self.status == "queued" || self.status == "running"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillList {
    pub rows: Vec<BackfillSummary>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

#[server(input = GetUrl, endpoint = "list_backfills")]
pub async fn list_backfills(
    #[server(default)] status: String,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<BackfillList, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let crate::server::backfills::BackfillPage { rows, newer, older, status } =
        crate::server::backfills::list(
            state.store.as_ref(),
            &viewer.own_scope(),
            &status,
            &before,
            &after,
            50,
        )
        .await?;
    let link = |k: &str, c: String| match &status {
        Some(s) => format!("/backfills?status={s}&{k}={c}"),
        None => format!("/backfills?{k}={c}"),
    };
    Ok(BackfillList {
        rows: rows.into_iter().map(Into::into).collect(),
        newer: newer.map(|c| link("after", c)),
        older: older.map(|c| link("before", c)),
    })
}

#[component]
pub fn BackfillsPage() -> impl IntoView {
    let query = use_query_map();
    let list = Resource::new(
        move || {
            query.with(|q| {
                (
                    q.get("status").unwrap_or_default(),
                    q.get("before").unwrap_or_default(),
                    q.get("after").unwrap_or_default(),
                )
            })
        },
        |(s, b, a)| list_backfills(s, b, a),
    );
    let current = move || query.with(|q| q.get("status").unwrap_or_default());
    view! {
        <PageHeader title="Backfills" subtitle="Re-fetches of data objects, executed by the worker." />
        <nav aria-label="Filter by status" class="mb-4 flex flex-wrap gap-2 text-sm">
            <a href="/backfills" class="rounded-md px-3 py-1 ring-1 ring-slate-300" aria-current=move || (current().is_empty()).then_some("page")>"All"</a>
            {crate::domain::BackfillStatus::ALL.iter().map(|s| {
                let s = s.as_str();
                view! { <a href=format!("/backfills?status={s}") class="rounded-md px-3 py-1 ring-1 ring-slate-300 aria-[current=page]:bg-slate-900 aria-[current=page]:text-white" aria-current=move || (current() == s).then_some("page")>{status_label(s)}</a> }
            }).collect_view()}
        </nav>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) => view! { <BackfillTable l /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn BackfillTable(l: BackfillList) -> impl IntoView {
    view! {
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Backfills">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="backfills-table">
                    <TableHead columns=&["Backfill", "Status", "Connections", "Objects", "Range", "Requested by", "Progress"] />
                    <tbody class="divide-y divide-slate-100">
                        {if l.rows.is_empty() {
                            view! { <tr><td colspan="7" class="px-4 py-6 text-center text-slate-600">"No backfills match."</td></tr> }.into_any()
                        } else {
                            l.rows.into_iter().map(|b| {
                                let pct = b.percent();
                                view! {
                                    <tr>
                                        <td class="px-4 py-2"><a class="font-mono text-xs font-medium text-indigo-700 hover:underline" href=format!("/backfills/{}", b.id)>{b.id.clone()}</a><div class="text-xs text-slate-600"><UtcTime ms=b.created_at /></div></td>
                                        <td class="px-4 py-2"><StatusBadge status=b.status.clone() /></td>
                                        <td class="px-4 py-2 tabular-nums">{b.connections}</td>
                                        <td class="px-4 py-2 font-mono text-xs">{b.data_objects.join(", ")}</td>
                                        <td class="px-4 py-2 text-xs text-slate-700">{match (b.range_from, b.range_to) {
                                            (Some(f), Some(t)) => view! { <UtcTime ms=f />" – "<UtcTime ms=t /> }.into_any(),
                                            _ => view! { "—" }.into_any(),
                                        }}</td>
                                        <td class="px-4 py-2 text-slate-700">{b.created_by.clone().unwrap_or_else(|| "—".into())}</td>
                                        <td class="px-4 py-2 tabular-nums">{format!("{}/{} runs ({pct}%)", b.runs_done, b.runs_total)}</td>
                                    </tr>
                                }
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
            <Pager newer=l.newer older=l.older />
        </Card>
    }
}
