//! One backfill: its progress per connection and object, and cancelling it.

use super::*;

#[server(endpoint = "cancel_backfill")]
pub async fn cancel_backfill(id: String) -> Result<(), AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let id = parse_id(prefix::BACKFILL, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a backfill ID: {e}.")))?;
    crate::server::backfills::cancel(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &viewer.own_scope(),
        &id,
    )
    .await?;
    leptos_axum::redirect(&format!("/backfills/{id}"));
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixCell {
    pub run_id: String,
    pub status: String,
    pub records: i64,
    pub progress: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub connection_id: String,
    pub connection_name: String,
    pub platform_name: String,
    /// One cell per object of the backfill, `None` where the platform does not offer it.
    pub cells: Vec<Option<MatrixCell>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillDetail {
    pub summary: BackfillSummary,
    pub rows: Vec<MatrixRow>,
    /// Cursor of the next page of connections.
    pub more_after: Option<String>,
    pub can_cancel: bool,
}

#[cfg(feature = "ssr")]
const MATRIX_PAGE: i64 = 50;

#[server(input = GetUrl, endpoint = "get_backfill")]
pub async fn get_backfill(id: String, #[server(default)] after: String) -> Result<BackfillDetail, AppError> {
    use crate::domain::platform;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let crate::server::backfills::BackfillMatrix {
        summary,
        runs,
        connection_ids: ids,
        connections: conns,
        more_after,
    } = crate::server::backfills::matrix(state.store.as_ref(), &viewer.own_scope(), &id, &after, MATRIX_PAGE)
        .await?;
    let summary: BackfillSummary = summary.into();
    let rows = ids
        .iter()
        .map(|cid| {
            let c = conns.iter().find(|c| &c.id == cid);
            MatrixRow {
                connection_id: cid.clone(),
                connection_name: c.map(|c| c.display_name.clone()).unwrap_or_else(|| cid.clone()),
                platform_name: c
                    .and_then(|c| platform(&c.platform_id))
                    .map(|p| p.name.to_string())
                    .unwrap_or_default(),
                cells: summary
                    .data_objects
                    .iter()
                    .map(|o| {
                        runs.iter().find(|r| &r.connection_id == cid && &r.data_object == o).map(|r| {
                            MatrixCell {
                                run_id: r.id.clone(),
                                status: r.status.into(),
                                records: r.records_added + r.records_updated,
                                progress: r.progress,
                                error_code: r.error_code.clone(),
                                error_message: r.error_message.clone(),
                            }
                        })
                    })
                    .collect(),
            }
        })
        .collect();
    Ok(BackfillDetail {
        can_cancel: summary.active()
            && !summary.cancelled
            && crate::server::backfills::may_trigger(&viewer).is_ok(),
        summary,
        rows,
        more_after,
    })
}

#[component]
pub fn BackfillPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // With JavaScript the page refreshes itself every two seconds while the backfill runs;
    // the table keeps its place because only the cells' contents change.
    let tick = RwSignal::new(0u32);
    let detail = Resource::new(
        move || {
            (
                params.with(|p| p.get("id").unwrap_or_default()),
                query.with(|q| q.get("after").unwrap_or_default()),
                tick.get(),
            )
        },
        |(id, after, _)| get_backfill(id, after),
    );
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| {
        hydrated.set(true);
        #[cfg(feature = "hydrate")]
        {
            let handle = set_interval_with_handle(
                move || {
                    let active =
                        detail.get_untracked().and_then(|d| d.ok()).is_none_or(|d| d.summary.active());
                    if active {
                        tick.update(|t| *t += 1);
                    }
                },
                std::time::Duration::from_secs(2),
            );
            if let Ok(h) = handle {
                on_cleanup(move || h.clear());
            }
        }
    });
    let cancel = ServerAction::<CancelBackfill>::new();
    Effect::new(move |_| {
        if cancel.version().get() > 0 {
            tick.update(|t| *t += 1);
        }
    });
    view! {
        <DetailLoader resource=detail title="Backfill" render=move |d| view! { <BackfillBody d cancel hydrated /> } />
    }
}

#[component]
fn BackfillBody(
    d: BackfillDetail,
    cancel: ServerAction<CancelBackfill>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let s = d.summary.clone();
    let pct = s.percent();
    let active = s.active();
    let objects = s.data_objects.clone();
    let head_objects = objects.clone();
    let (cancel_id, more_id) = (s.id.clone(), s.id.clone());
    view! {
        <PageHeader title=format!("Backfill {}", s.id) subtitle=format!("Requested by {} on {}", s.created_by.clone().unwrap_or_else(|| "—".into()), format_time_utc(s.created_at))>
            <span data-testid="backfill-status"><StatusBadge status=s.status.clone() /></span>
        </PageHeader>
        <Card class="mb-4 p-5">
            <div class="flex flex-wrap items-center justify-between gap-3 text-sm">
                <p data-testid="backfill-progress">
                    {format!("{} of {} done ({pct}%), {} failed", s.runs_done, crate::features::ui::plural(s.runs_total, "run", "runs"), s.runs_failed)}
                    {(s.cancelled && active).then_some(". Cancelling: runs in progress stop at their next page.")}
                </p>
                {d.can_cancel.then(|| view! {
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=cancel_id.clone() />
                        <button class="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50">"Cancel backfill"</button>
                    </ActionForm>
                })}
            </div>
            <div class="mt-3 h-3 w-full overflow-hidden rounded-full bg-slate-100" role="progressbar" aria-label="Backfill progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow=pct>
                <div class=format!("h-3 bg-indigo-600 {}", width_class(pct))></div>
            </div>
            <dl class="mt-4 grid gap-3 text-sm sm:grid-cols-3">
                <div><dt class="text-slate-600">"Objects"</dt><dd class="font-mono text-xs">{objects.join(", ")}</dd></div>
                <div><dt class="text-slate-600">"Range"</dt><dd>{match (s.range_from, s.range_to) {
                    (Some(f), Some(t)) => view! { <UtcTime ms=f />" – "<UtcTime ms=t /> }.into_any(),
                    _ => view! { "—" }.into_any(),
                }}</dd></div>
                <div><dt class="text-slate-600">"Reason"</dt><dd>{s.reason.clone().unwrap_or_else(|| "—".into())}</dd></div>
            </dl>
            {move || (active && !hydrated.get()).then(|| view! {
                <p class="mt-4 text-sm text-slate-700" data-testid="snapshot-note">"This is a snapshot of a running backfill. " <a class="font-medium text-indigo-700 underline" href="">"Refresh"</a> " to see its progress."</p>
            })}
            {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3"><ErrorNotice error=e /></div> })}
        </Card>
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Runs by connection and object">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="backfill-matrix">
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr>
                            <th class="px-4 py-2">"Connection"</th>
                            {head_objects.iter().map(|o| view! { <th class="px-4 py-2 font-mono normal-case">{o.clone()}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {d.rows.into_iter().map(|r| view! {
                            <tr>
                                <td class="px-4 py-2"><a class="font-medium text-indigo-700 hover:underline" href=format!("/connections/{}?tab=history", r.connection_id)>{r.connection_name}</a><div class="text-xs text-slate-600">{r.platform_name}</div></td>
                                {r.cells.into_iter().map(|c| view! {
                                    <td class="px-4 py-2 align-top">
                                        {match c {
                                            None => view! { <span class="text-xs text-slate-600">"not offered"</span> }.into_any(),
                                            Some(c) => view! {
                                                <a href=format!("/sync-runs/{}", c.run_id) class="block">
                                                    <StatusBadge status=c.status.clone() />
                                                    <span class="mt-1 block text-xs tabular-nums text-slate-700">{if c.status == "running" { format!("{} fetched", c.progress) } else { format!("{} records", c.records) }}</span>
                                                    {c.error_code.clone().map(|code| view! { <span class="block text-xs text-red-700" title=c.error_message.clone().unwrap_or_default()>{code}</span> })}
                                                </a>
                                            }.into_any(),
                                        }}
                                    </td>
                                }).collect_view()}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {d.more_after.map(|a| view! {
                <p class="border-t border-slate-100 px-4 py-3 text-sm"><a class="font-medium text-indigo-700 hover:underline" href=format!("/backfills/{more_id}?after={a}")>"Next connections \u{2192}"</a></p>
            })}
        </Card>
    }
}

/// Tailwind needs whole class names in the source: the bar's width in steps of 5%.
fn width_class(pct: i64) -> &'static str {
    const W: [&str; 21] = [
        "w-0", "w-[5%]", "w-[10%]", "w-[15%]", "w-[20%]", "w-[25%]", "w-[30%]", "w-[35%]", "w-[40%]",
        "w-[45%]", "w-[50%]", "w-[55%]", "w-[60%]", "w-[65%]", "w-[70%]", "w-[75%]", "w-[80%]", "w-[85%]",
        "w-[90%]", "w-[95%]", "w-full",
    ];
    W[(pct.clamp(0, 100) / 5) as usize]
}
