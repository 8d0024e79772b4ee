//! Backfills: choose connections, objects and a range, review how many runs it queues, confirm,
//! then watch the worker execute it. Also "Sync now" for one object of one connection.
//!
//! The form is two plain steps so it works without JavaScript: a GET to `/backfills/new` with
//! the choices in the URL shows the review (or what is wrong), and the confirm button posts.

use super::ui::{
    format_time_utc, Badge, Card, DetailLoader, ErrorNotice, Loading, PageHeader, Pager, TableHead,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectChoice {
    pub name: String,
    /// Why it cannot be chosen (no chosen connection's platform offers it), if so.
    pub unavailable: Option<String>,
    pub checked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionChoice {
    pub id: String,
    pub name: String,
    pub platform_name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackfillReview {
    pub runs: usize,
    pub connections: usize,
    pub range_label: String,
    pub skipped: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewBackfillView {
    pub connections: Vec<ConnectionChoice>,
    pub integration_type: Option<String>,
    pub objects: Vec<ObjectChoice>,
    /// `Err(why)` when this viewer may not start backfills.
    pub allowed: Result<(), String>,
    /// The review of the current choices, or what is wrong with them.
    pub review: Option<Result<BackfillReview, AppError>>,
    /// Fresh per page load: a double submit of the confirm form creates one backfill.
    pub submission_key: String,
}

/// The ids of a comma- (or space-) separated form value.
#[cfg(feature = "ssr")]
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

#[cfg(feature = "ssr")]
fn parse_range(range: &str, from: &str, to: &str) -> Result<crate::server::backfills::RangeChoice, AppError> {
    use crate::server::backfills::RangeChoice;
    let parse = |label: &str, v: &str| -> Result<i64, AppError> {
        let v = v.trim();
        chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
            })
            .map(|t| t.and_utc().timestamp_millis())
            .map_err(|_| {
                AppError::invalid(format!(
                    "{label} {v:?} is not a date and time such as 2026-11-01T00:00 (UTC)."
                ))
            })
    };
    match range {
        "" | "full" => Ok(RangeChoice::FullHistory),
        "30d" => Ok(RangeChoice::Last30Days),
        "custom" => {
            if from.trim().is_empty() || to.trim().is_empty() {
                return Err(AppError::invalid("A custom range needs both a start and an end."));
            }
            Ok(RangeChoice::Custom { from_ms: parse("The start", from)?, to_ms: parse("The end", to)? })
        }
        other => Err(AppError::invalid(format!(
            "Unknown range {other:?}: choose full history, last 30 days or custom."
        ))),
    }
}

#[server(input = GetUrl, endpoint = "new_backfill")]
pub async fn new_backfill(
    #[server(default)] connections: String,
    #[server(default)] objects: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] review: bool,
    #[server(default)] matching: String,
) -> Result<NewBackfillView, AppError> {
    use crate::domain::platform;
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::backfills::{may_trigger, plan, BackfillRequest};
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let scope = own_scope(&viewer);
    let mut ids = vec![];
    for raw in split_list(&connections) {
        ids.push(
            parse_id(prefix::CONNECTION, &raw)
                .map_err(|e| AppError::invalid(format!("{raw:?} is not a connection ID: {e}.")))?,
        );
    }
    if !matching.trim().is_empty() {
        // "All matching the filters": the connections list's query, resolved to its connections.
        let filter = crate::server::connections::filter(
            &crate::domain::connection_filter::ConnectionListQuery::from_query(&matching),
        )?;
        let max = crate::server::backfills::MAX_CONNECTIONS as i64;
        let found = crate::server::connections::search(
            state.store.as_ref(),
            &scope,
            &filter,
            &crate::server::store::Page::First,
            max + 1,
            state.clock.now_ms(),
            false,
        )
        .await
        .map_err(internal)?
        .rows;
        if found.len() as i64 > max {
            return Err(AppError::invalid(format!(
                "More than {max} connections match these filters; narrow them so one backfill covers at most {max}."
            )));
        }
        ids.extend(found.into_iter().map(|r| r.connection.id));
    }
    if ids.len() > crate::server::backfills::MAX_CONNECTIONS {
        return Err(AppError::invalid("A backfill covers at most 1,000 connections."));
    }
    let rows = state.store.connections_by_ids(&scope, &ids).await.map_err(internal)?;
    let chosen_objects = split_list(&objects);
    let specs: Vec<_> = rows.iter().filter_map(|c| platform(&c.platform_id)).collect();
    let integration_type = specs.first().map(|p| p.integration_type);
    let object_choices = integration_type
        .map(|it| {
            it.data_objects()
                .iter()
                .map(|o| {
                    let offered = specs.iter().filter(|p| p.supported_objects().any(|s| s == *o)).count();
                    let unavailable = (offered == 0).then(|| {
                        let names: Vec<&str> = specs
                            .iter()
                            .map(|p| p.name)
                            .collect::<std::collections::BTreeSet<_>>()
                            .into_iter()
                            .collect();
                        format!("{} does not offer it", names.join(" and "))
                    });
                    ObjectChoice {
                        name: o.to_string(),
                        checked: chosen_objects.iter().any(|c| c == o),
                        unavailable,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let review = if review {
        let req = BackfillRequest {
            connection_ids: ids.clone(),
            data_objects: chosen_objects.clone(),
            range: match parse_range(&range, &from, &to) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(NewBackfillView {
                        connections: choices(&rows),
                        integration_type: integration_type.map(|t| t.as_str().to_string()),
                        objects: object_choices,
                        allowed: may_trigger(&viewer),
                        review: Some(Err(e)),
                        submission_key: crate::server::auth::random_token(12),
                    })
                }
            },
            reason: None,
            idempotency_key: String::new(),
        };
        Some(
            plan(state.store.as_ref(), state.clock.as_ref(), &scope, &req)
                .await
                .map(|p| BackfillReview {
                    runs: p.runs.len(),
                    connections: p.connections.len(),
                    range_label: format!(
                        "{} to {}",
                        format_time_utc(p.range_from),
                        format_time_utc(p.range_to)
                    ),
                    skipped: p.skipped,
                })
                .map_err(AppError::from),
        )
    } else {
        None
    };
    let _ = internal;
    Ok(NewBackfillView {
        connections: choices(&rows),
        integration_type: integration_type.map(|t| t.as_str().to_string()),
        objects: object_choices,
        allowed: may_trigger(&viewer),
        review,
        submission_key: crate::server::auth::random_token(12),
    })
}

#[cfg(feature = "ssr")]
fn choices(rows: &[crate::server::store::ConnectionRow]) -> Vec<ConnectionChoice> {
    rows.iter()
        .map(|c| ConnectionChoice {
            id: c.id.clone(),
            name: c.display_name.clone(),
            platform_name: crate::domain::platform(&c.platform_id)
                .map(|p| p.name.to_string())
                .unwrap_or_default(),
            status: c.status.into(),
        })
        .collect()
}

#[server(endpoint = "start_backfill")]
pub async fn start_backfill(
    connections: String,
    #[server(default)] objects: String,
    #[server(default)] range: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] reason: String,
    key: String,
) -> Result<String, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::backfills::{create, BackfillRequest};
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let mut ids = vec![];
    for raw in split_list(&connections) {
        ids.push(
            parse_id(prefix::CONNECTION, &raw)
                .map_err(|e| AppError::invalid(format!("{raw:?} is not a connection ID: {e}.")))?,
        );
    }
    let req = BackfillRequest {
        connection_ids: ids,
        data_objects: split_list(&objects),
        range: parse_range(&range, &from, &to)?,
        reason: Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
        idempotency_key: key,
    };
    let (id, _) =
        create(state.store.as_ref(), state.clock.as_ref(), &viewer, &own_scope(&viewer), &req).await?;
    state.worker_waker.wake();
    leptos_axum::redirect(&format!("/backfills/{id}"));
    Ok(id)
}

#[server(endpoint = "sync_now")]
pub async fn sync_now(connection: String, object: String) -> Result<String, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let connection = parse_id(prefix::CONNECTION, &connection)
        .map_err(|e| AppError::invalid(format!("{connection:?} is not a connection ID: {e}.")))?;
    let run = crate::server::backfills::sync_now(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &own_scope(&viewer),
        &connection,
        object.trim(),
    )
    .await?;
    state.worker_waker.wake();
    leptos_axum::redirect(&format!("/connections/{connection}?tab=history"));
    Ok(run)
}

#[server(endpoint = "cancel_backfill")]
pub async fn cancel_backfill(id: String) -> Result<(), AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let id = parse_id(prefix::BACKFILL, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a backfill ID: {e}.")))?;
    crate::server::backfills::cancel(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &own_scope(&viewer),
        &id,
    )
    .await?;
    leptos_axum::redirect(&format!("/backfills/{id}"));
    Ok(())
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

pub const STATUSES: &[&str] = &["queued", "running", "succeeded", "partial", "failed", "cancelled"];

#[server(input = GetUrl, endpoint = "list_backfills")]
pub async fn list_backfills(
    #[server(default)] status: String,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<BackfillList, AppError> {
    use crate::ids::prefix;
    use crate::server::access::own_scope;
    use crate::server::context::{internal, session};
    use crate::server::service::page_from_cursors;
    use crate::server::store::keyset_window;
    let (state, viewer) = session()?;
    let status = Some(status.trim()).filter(|s| !s.is_empty());
    if let Some(s) = status {
        if !STATUSES.contains(&s) {
            return Err(AppError::invalid(format!(
                "Unknown status {s:?}: choose one of {}.",
                STATUSES.join(", ")
            )));
        }
    }
    let page = page_from_cursors(prefix::BACKFILL, "backfill", Some(&before), Some(&after))?;
    let rows = state.store.list_backfills(&own_scope(&viewer), status, &page, 51).await.map_err(internal)?;
    let (rows, newer, older) = keyset_window(rows, &page, 50, |b| b.id.clone());
    let link = |k: &str, c: String| match status {
        Some(s) => format!("/backfills?status={s}&{k}={c}"),
        None => format!("/backfills?{k}={c}"),
    };
    Ok(BackfillList {
        rows: rows.into_iter().map(Into::into).collect(),
        newer: newer.map(|c| link("after", c)),
        older: older.map(|c| link("before", c)),
    })
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
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let id = parse_id(prefix::BACKFILL, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a backfill ID: {e}.")))?;
    let scope = own_scope(&viewer);
    let summary: BackfillSummary = state
        .store
        .get_backfill(&scope, &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| AppError::not_found(format!("No backfill {id} was found in this environment.")))?
        .into();
    let after = Some(after.trim()).filter(|a| !a.is_empty());
    let runs = state.store.backfill_runs(&scope, &id, after, MATRIX_PAGE + 1).await.map_err(internal)?;
    let mut ids: Vec<String> = runs.iter().map(|r| r.connection_id.clone()).collect();
    ids.dedup();
    let more_after = (ids.len() as i64 > MATRIX_PAGE).then(|| ids[MATRIX_PAGE as usize - 1].clone());
    ids.truncate(MATRIX_PAGE as usize);
    let conns = state.store.connections_by_ids(&scope, &ids).await.map_err(internal)?;
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

pub fn run_status_tone(status: &str) -> &'static str {
    match status {
        "succeeded" => "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
        "partial" => "bg-amber-50 text-amber-800 ring-amber-600/20",
        "failed" => "bg-red-50 text-red-800 ring-red-600/20",
        "running" => "bg-sky-50 text-sky-800 ring-sky-600/20",
        "queued" => "bg-slate-100 text-slate-700 ring-slate-500/20",
        "cancelled" => "bg-slate-100 text-slate-700 ring-slate-500/20",
        _ => "bg-slate-100 text-slate-700 ring-slate-500/20",
    }
}

pub fn status_label(status: &str) -> String {
    match status {
        "not_supported" => "Not supported".into(),
        s => {
            let mut c = s.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        }
    }
}

#[component]
pub fn RunStatus(#[prop(into)] status: String) -> impl IntoView {
    view! { <Badge tone=run_status_tone(&status)>{status_label(&status)}</Badge> }
}

#[component]
pub fn NewBackfillPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let list = |k: &str| q.get_all(k).unwrap_or_default().join(",");
            (
                list("connection"),
                list("object"),
                q.get("range").unwrap_or_default(),
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
                q.get("review").is_some(),
                q.get("matching").unwrap_or_default(),
            )
        })
    };
    let data = Resource::new(args, |(c, o, r, f, t, review, m)| new_backfill(c, o, r, f, t, review, m));
    let start = ServerAction::<StartBackfill>::new();
    view! {
        <PageHeader title="New backfill" subtitle="Re-fetch data objects over a time range, under the current data sync configuration." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <NewBackfillForm v start /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewBackfillForm(v: NewBackfillView, start: ServerAction<StartBackfill>) -> impl IntoView {
    let query = use_query_map();
    let range = query.with_untracked(|q| q.get("range").unwrap_or_else(|| "full".into()));
    let from = query.with_untracked(|q| q.get("from").unwrap_or_default());
    let to = query.with_untracked(|q| q.get("to").unwrap_or_default());
    let conn_ids: Vec<String> = v.connections.iter().map(|c| c.id.clone()).collect();
    let chosen: Vec<String> = v.objects.iter().filter(|o| o.checked).map(|o| o.name.clone()).collect();
    let disabled = v.allowed.is_err();
    let (conn_ids2, range2, from2, to2) = (conn_ids.clone(), range.clone(), from.clone(), to.clone());
    if v.connections.is_empty() {
        return view! {
            <Card class="p-5 text-sm text-slate-700">
                <p>"Choose connections to backfill: open a connection and use \u{201c}Backfill\u{201d}, or select several on the "
                    <a class="font-medium text-indigo-700 underline" href="/connections">"connections list"</a>"."</p>
            </Card>
        }.into_any();
    }
    view! {
        {v.allowed.clone().err().map(|why| view! {
            <p role="note" data-testid="backfill-not-allowed" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">{why}</p>
        })}
        <Card class="mb-4 p-5">
            <h2 class="text-sm font-semibold text-slate-900">{format!("{} connection(s)", v.connections.len())}</h2>
            <ul class="mt-2 flex flex-wrap gap-2 text-sm" data-testid="backfill-connections">
                {v.connections.iter().take(20).map(|c| view! {
                    <li class="rounded-md bg-slate-100 px-2 py-1">{c.name.clone()} " · " {c.platform_name.clone()}</li>
                }).collect_view()}
                {(v.connections.len() > 20).then(|| view! { <li class="px-2 py-1 text-slate-600">{format!("and {} more", v.connections.len() - 20)}</li> })}
            </ul>
        </Card>
        <Card class="mb-4 p-5">
            // Step 1: a GET, so the review works without JavaScript and can be linked.
            <form method="get" action="/backfills/new" aria-label="Choose what to backfill">
                {conn_ids.iter().map(|id| view! { <input type="hidden" name="connection" value=id.clone() /> }).collect_view()}
                <input type="hidden" name="review" value="1" />
                <fieldset disabled=disabled>
                    <legend class="text-sm font-semibold text-slate-900">"Data objects"</legend>
                    <div class="mt-2 grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
                        {v.objects.iter().map(|o| {
                            let id = format!("object-{}", o.name);
                            let label_for = id.clone();
                            view! {
                                <label for=label_for class="flex items-start gap-2 text-sm">
                                    <input id=id type="checkbox" name="object" value=o.name.clone() checked=o.checked disabled=o.unavailable.is_some() class="mt-0.5" />
                                    <span>
                                        <span class="font-mono">{o.name.clone()}</span>
                                        {o.unavailable.clone().map(|why| view! { <span class="block text-xs text-slate-600">{format!("Unavailable: {why}")}</span> })}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <legend class="mt-5 block text-sm font-semibold text-slate-900">"Range"</legend>
                    <div class="mt-2 flex flex-wrap gap-4 text-sm">
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="full" checked=range == "full" />"Full history (the configuration's lookback)"</label>
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="30d" checked=range == "30d" />"Last 30 days"</label>
                        <label class="flex items-center gap-2"><input type="radio" name="range" value="custom" checked=range == "custom" />"Custom"</label>
                    </div>
                    <div class="mt-3 flex flex-wrap gap-4 text-sm">
                        <label class="flex flex-col">"From (UTC)"<input name="from" type="datetime-local" value=from.clone() class="mt-1 rounded-md border border-slate-300 px-2 py-1" /></label>
                        <label class="flex flex-col">"To (UTC)"<input name="to" type="datetime-local" value=to.clone() class="mt-1 rounded-md border border-slate-300 px-2 py-1" /></label>
                    </div>
                    <button class="mt-5 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">"Review backfill"</button>
                </fieldset>
            </form>
        </Card>
        {v.review.clone().map(|r| match r {
            Err(e) => view! { <div data-testid="backfill-error" class="mb-4"><ErrorNotice error=e /></div> }.into_any(),
            Ok(review) => view! {
                <Card class="mb-4 p-5">
                    <p class="text-sm text-slate-900" data-testid="backfill-review">
                        {format!("This queues {} run(s) for {} connection(s), {}.", review.runs, review.connections, review.range_label)}
                    </p>
                    {(!review.skipped.is_empty()).then(|| view! {
                        <ul class="mt-2 list-disc pl-5 text-sm text-slate-700">
                            {review.skipped.iter().map(|(name, why)| view! { <li>{format!("{name} is left out: {why}.")}</li> }).collect_view()}
                        </ul>
                    })}
                    // Step 2: confirm.
                    <ActionForm action=start attr:class="mt-4 space-y-3" attr:aria-label="Confirm backfill">
                        <input type="hidden" name="connections" value=conn_ids2.join(",") />
                        <input type="hidden" name="objects" value=chosen.join(",") />
                        <input type="hidden" name="range" value=range2.clone() />
                        <input type="hidden" name="from" value=from2.clone() />
                        <input type="hidden" name="to" value=to2.clone() />
                        <input type="hidden" name="key" value=v.submission_key.clone() />
                        <label class="block text-sm text-slate-800">"Reason (optional)"
                            <input name="reason" maxlength="500" placeholder="Ticket 4521: invoices missing since October" class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                        </label>
                        <button disabled=disabled class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
                            {format!("Queue {} run(s)", review.runs)}
                        </button>
                    </ActionForm>
                    {move || start.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3" data-testid="backfill-error"><ErrorNotice error=e /></div> })}
                    {move || start.value().get().and_then(|r| r.ok()).map(|id| {
                        let href = format!("/backfills/{id}");
                        view! { <p class="mt-3 text-sm">"Queued. " <a class="font-medium text-indigo-700 underline" href=href>"Follow its progress \u{2192}"</a></p> }
                    })}
                </Card>
            }.into_any(),
        })}
    }.into_any()
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
            {STATUSES.iter().map(|s| {
                let s = *s;
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
            <div class="overflow-x-auto">
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
                                        <td class="px-4 py-2"><a class="font-mono text-xs font-medium text-indigo-700 hover:underline" href=format!("/backfills/{}", b.id)>{b.id.clone()}</a><div class="text-xs text-slate-600">{format_time_utc(b.created_at)}</div></td>
                                        <td class="px-4 py-2"><RunStatus status=b.status.clone() /></td>
                                        <td class="px-4 py-2 tabular-nums">{b.connections}</td>
                                        <td class="px-4 py-2 font-mono text-xs">{b.data_objects.join(", ")}</td>
                                        <td class="px-4 py-2 text-xs text-slate-700">{range_text(b.range_from, b.range_to)}</td>
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

fn range_text(from: Option<i64>, to: Option<i64>) -> String {
    match (from, to) {
        (Some(f), Some(t)) => format!("{} – {}", format_time_utc(f), format_time_utc(t)),
        _ => "—".into(),
    }
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
            <span data-testid="backfill-status"><RunStatus status=s.status.clone() /></span>
        </PageHeader>
        <Card class="mb-4 p-5">
            <div class="flex flex-wrap items-center justify-between gap-3 text-sm">
                <p data-testid="backfill-progress">
                    {format!("{} of {} runs done ({pct}%), {} failed", s.runs_done, s.runs_total, s.runs_failed)}
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
                <div><dt class="text-slate-600">"Range"</dt><dd>{range_text(s.range_from, s.range_to)}</dd></div>
                <div><dt class="text-slate-600">"Reason"</dt><dd>{s.reason.clone().unwrap_or_else(|| "—".into())}</dd></div>
            </dl>
            {move || (active && !hydrated.get()).then(|| view! {
                <p class="mt-4 text-sm text-slate-700" data-testid="snapshot-note">"This is a snapshot of a running backfill. " <a class="font-medium text-indigo-700 underline" href="">"Refresh"</a> " to see its progress."</p>
            })}
            {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3"><ErrorNotice error=e /></div> })}
        </Card>
        <Card>
            <div class="overflow-x-auto">
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
                                                    <RunStatus status=c.status.clone() />
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
