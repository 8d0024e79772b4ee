//! Connections of the selected organization and environment, and one connection's summary.

pub mod environment_runs;
pub mod sync_runs;
pub mod tabs;

use super::ui::{
    format_time_utc, status_tone, Badge, Card, CopyButton, DetailLoader, ErrorNotice, FilterPanel, Loading,
    PageHeader, Pager, StatusBadge, TableHead, Time,
};
use crate::domain::connection_filter::ConnectionListQuery;
use crate::domain::ConnectionStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use sync_runs::SyncHistoryTab;
use tabs::{ActivityTab, OverviewTab, WebhooksTab};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionSummary {
    pub id: String,
    pub display_name: String,
    pub platform_id: String,
    pub platform_name: String,
    pub integration_type: String,
    pub platform_account_id: String,
    pub status: String,
    pub config_version: i64,
    pub created_at: i64,
    pub last_synced_at: Option<i64>,
    pub supports_sync_history: bool,
    pub environment: String,
}

#[cfg(feature = "ssr")]
impl From<crate::server::store::ConnectionRow> for ConnectionSummary {
    fn from(c: crate::server::store::ConnectionRow) -> Self {
        let spec = crate::domain::platform(&c.platform_id);
        ConnectionSummary {
            platform_name: spec.map(|p| p.name.to_string()).unwrap_or_else(|| c.platform_id.clone()),
            integration_type: spec.map(|p| p.integration_type.as_str().to_string()).unwrap_or_default(),
            supports_sync_history: spec.is_some_and(|p| p.supports_sync_history),
            id: c.id,
            display_name: c.display_name,
            platform_id: c.platform_id,
            platform_account_id: c.platform_account_id,
            status: c.status.into(),
            config_version: c.config_version,
            created_at: c.created_at,
            last_synced_at: c.last_synced_at,
            environment: c.environment,
        }
    }
}

/// The server stops counting a status here (`store::COUNT_CAP`); beyond it the list says "10,000+".
const COUNT_SHOWN: i64 = 10_000;

/// Connections per page of the list.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionListItem {
    pub c: ConnectionSummary,
    pub current_version: i64,
    pub last_run_status: Option<String>,
    pub failed_24h: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionListPage {
    pub rows: Vec<ConnectionListItem>,
    /// Link to the newer page, when there is one.
    pub newer: Option<String>,
    /// Link to the older page, when there is one.
    pub older: Option<String>,
    /// Matching connections by status (the status filter aside), every status listed.
    pub counts: Vec<(String, i64)>,
    /// The current filters as a query string (for links that keep them).
    pub filter_query: String,
    pub can_backfill: bool,
}

/// One page of the environment's connections matching the filters, newest first (keyset).
#[server(input = GetUrl, endpoint = "list_connections")]
pub async fn list_connections(
    #[server(default)] filter: ConnectionListQuery,
    #[server(default)] before: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<ConnectionListPage, AppError> {
    use crate::ids::prefix;
    use crate::server::context::{internal, session};
    use crate::server::service::page_from_cursors;
    use crate::server::store::keyset_window;
    let (state, viewer) = session()?;
    let page = page_from_cursors(prefix::CONNECTION, "connection", before.as_deref(), after.as_deref())?;
    let f = crate::server::connections::filter(&filter)?;
    let scope = viewer.own_scope();
    let found = crate::server::connections::search(
        state.store.as_ref(),
        &scope,
        &f,
        &page,
        PAGE_SIZE + 1,
        state.clock.now_ms(),
        true,
    )
    .await
    .map_err(internal)?;
    let (rows, newer, older) = keyset_window(found.rows, &page, PAGE_SIZE, |r| r.connection.id.clone());
    let counts = found.counts;
    let counts = ConnectionStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                counts.iter().find(|(k, _)| k == s.as_str()).map(|(_, n)| *n).unwrap_or(0),
            )
        })
        .collect();
    let fq = filter.to_query();
    let link = |k: &str, c: String| {
        if fq.is_empty() {
            format!("/connections?{k}={c}")
        } else {
            format!("/connections?{fq}&{k}={c}")
        }
    };
    Ok(ConnectionListPage {
        rows: rows
            .into_iter()
            .map(|r| ConnectionListItem {
                current_version: r.current_version.unwrap_or(r.connection.config_version),
                last_run_status: r.last_run_status,
                failed_24h: r.failed_24h,
                c: r.connection.into(),
            })
            .collect(),
        newer: newer.map(|c| link("after", c)),
        older: older.map(|c| link("before", c)),
        counts,
        filter_query: fq,
        can_backfill: crate::server::backfills::may_trigger(&viewer).is_ok(),
    })
}

#[server(input = GetUrl, endpoint = "get_connection")]
pub async fn get_connection(id: String) -> Result<ConnectionSummary, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let (_, row) = crate::server::connections::get(&state, &Actor::Person(viewer), &id).await?;
    Ok(row.into())
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let filter = ConnectionListQuery {
                status: q.get_all("status").unwrap_or_default().join(","),
                platform: q.get("platform").unwrap_or_default(),
                r#type: q.get("type").unwrap_or_default(),
                q: q.get("q").unwrap_or_default(),
                behind: q.get("behind").is_some_and(|b| !b.is_empty()),
            };
            (filter, q.get("before"), q.get("after"))
        })
    };
    let connections = Resource::new(args, |(f, before, after)| list_connections(f, before, after));
    view! {
        <PageHeader title="Connections" subtitle="Each connection links one of your end customers to one platform." />
        {move || view! { <ConnectionFilters filter=args().0 /> }}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(page) => view! { <StatusCounts page=page.clone() /> <ConnectionsTable page /> }.into_any(),
                    Err(e) => view! { <div data-testid="filter-error"><ErrorNotice error=e /></div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A plain GET form: the filters live in the URL and work without JavaScript.
#[component]
fn ConnectionFilters(filter: ConnectionListQuery) -> impl IntoView {
    let statuses: Vec<String> =
        filter.status.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let active = filter.to_query().split('&').filter(|p| !p.is_empty()).count();
    view! {
        <FilterPanel active=active>
            <form method="get" action="/connections" aria-label="Filter connections" class="flex flex-wrap items-end gap-4 text-sm">
                <fieldset class="flex flex-wrap items-center gap-3">
                    <legend class="mb-1 text-slate-700">"Status"</legend>
                    {ConnectionStatus::ALL.iter().map(|s| {
                        let id = format!("status-{}", s.as_str());
                        let label_for = id.clone();
                        let checked = statuses.iter().any(|x| x == s.as_str());
                        view! { <label for=label_for class="flex items-center gap-1"><input id=id type="checkbox" name="status" value=s.as_str() checked=checked />{s.label()}</label> }
                    }).collect_view()}
                </fieldset>
                <label class="flex flex-col text-slate-700">"Platform"
                    <select name="platform" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                        <option value="">"Any platform"</option>
                        {crate::domain::PLATFORMS.iter().map(|p| view! { <option value=p.id selected=filter.platform == p.id>{p.name}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-slate-700">"Integration type"
                    <select name="type" class="mt-1 rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8">
                        <option value="">"Any type"</option>
                        {crate::domain::IntegrationType::ALL.iter().map(|t| view! { <option value=t.as_str() selected=filter.r#type == t.as_str()>{t.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="flex flex-col text-slate-700">"Name, connection ID or account ID"
                    <input name="q" value=filter.q.clone() placeholder="Acme Bakery or conn_…" class="mt-1 w-64 rounded-md border border-slate-300 px-2 py-1.5" />
                </label>
                <label class="flex items-center gap-2 text-slate-700"><input type="checkbox" name="behind" value="1" checked=filter.behind />"Behind the current configuration"</label>
                <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Apply filters"</button>
                <a href="/connections" class="rounded-md px-3 py-1.5 text-slate-700 hover:bg-slate-100">"Reset"</a>
            </form>
        </FilterPanel>
    }
}

/// Counts by status above the table, each a link that filters to it.
#[component]
fn StatusCounts(page: ConnectionListPage) -> impl IntoView {
    let base: Vec<String> = page
        .filter_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("status="))
        .map(str::to_string)
        .collect();
    view! {
        <ul class="mb-4 flex flex-wrap gap-2 text-sm" data-testid="status-counts">
            {page.counts.into_iter().map(|(s, n)| {
                let mut parts = base.clone();
                parts.push(format!("status={s}"));
                let label = ConnectionStatus::parse(&s).map(|x| x.label()).unwrap_or("?");
                view! { <li><a class="inline-flex items-center gap-2 rounded-md bg-white px-3 py-1 ring-1 ring-slate-200 hover:bg-slate-50" href=format!("/connections?{}", parts.join("&"))><Badge tone=status_tone(&s)>{label}</Badge><span class="tabular-nums">{if n > COUNT_SHOWN { "10,000+".to_string() } else { n.to_string() }}</span></a></li> }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn ConnectionsTable(page: ConnectionListPage) -> impl IntoView {
    let (newer, older) = (page.newer.clone(), page.older.clone());
    let all_href = format!("/backfills/new?matching={}", crate::url::encode_component(&page.filter_query));
    let can_backfill = page.can_backfill;
    view! {
        // The selection is a GET form to the backfill page: it works without JavaScript.
        <form method="get" action="/backfills/new" aria-label="Backfill selected connections">
            <Card>
                {can_backfill.then(|| view! {
                    <div class="flex flex-wrap items-center gap-3 border-b border-slate-100 px-4 py-3 text-sm">
                        <button class="rounded-md border border-slate-300 px-3 py-1.5 font-medium text-slate-800 hover:bg-slate-50">"Backfill selected\u{2026}"</button>
                        <a class="font-medium text-indigo-700 hover:underline" href=all_href.clone()>"Backfill all matching the filters\u{2026}"</a>
                    </div>
                })}
                <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Connections">
                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="connections-table">
                        <TableHead columns=&["", "Connection", "Platform", "Status", "Health", "Config version", "Last synced", "Created"] />
                        <tbody class="divide-y divide-slate-100">
                            {if page.rows.is_empty() {
                                view! { <tr><td colspan="8" class="px-4 py-6 text-center text-slate-600">"No connections match these filters."</td></tr> }.into_any()
                            } else {
                                page.rows.into_iter().map(|r| {
                                    let c = r.c;
                                    let behind = c.config_version < r.current_version;
                                    let check_label = format!("Select {}", c.display_name);
                                    view! {
                                        <tr class="hover:bg-slate-50">
                                            <td class="px-3 py-2">{can_backfill.then(|| view! { <input type="checkbox" name="connection" value=c.id.clone() aria-label=check_label.clone() /> })}</td>
                                            <td class="px-4 py-2">
                                                <a class="font-medium text-indigo-700 hover:underline" href=format!("/connections/{}", c.id)>{c.display_name.clone()}</a>
                                                <div class="font-mono text-xs text-slate-600">{c.id.clone()}</div>
                                            </td>
                                            <td class="px-4 py-2">{c.platform_name.clone()}<div class="text-xs text-slate-600">{c.integration_type.clone()}</div></td>
                                            <td class="px-4 py-2"><StatusBadge status=c.status.clone() /></td>
                                            <td class="px-4 py-2 text-xs">
                                                {r.last_run_status.clone().map(|s| format!("last sync {}", s.replace('_', " "))).unwrap_or_else(|| if c.supports_sync_history { "no runs yet".into() } else { format!("{} does not report runs", c.platform_name) })}
                                                {(r.failed_24h > 0).then(|| view! { <div class="text-red-700">{format!("{} failed in 24 h", r.failed_24h)}</div> })}
                                            </td>
                                            <td class="px-4 py-2 tabular-nums">{format!("v{}", c.config_version)}{behind.then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900" title=format!("The current configuration is v{}", r.current_version)>"behind"</span> })}</td>
                                            <td class="px-4 py-2 text-slate-700">{c.last_synced_at.map(|t| view! { <Time ms=t /> }.into_any()).unwrap_or_else(|| view! { "never" }.into_any())}</td>
                                            <td class="whitespace-nowrap px-4 py-2 text-xs text-slate-700">{format_time_utc(c.created_at)}</td>
                                        </tr>
                                    }
                                }).collect_view().into_any()
                            }}
                        </tbody>
                    </table>
                </div>
                <Pager newer older />
            </Card>
        </form>
    }
}

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let connection = Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), get_connection);
    view! {
        <DetailLoader resource=connection title="Connection" render=|c| view! { <ConnectionDetail c /> } />
    }
}

/// The tabs of a connection page, each a URL (`?tab=`).
const TABS: &[(&str, &str)] = &[
    ("overview", "Overview"),
    ("history", "Sync history"),
    ("requests", "Requests"),
    ("webhooks", "Webhooks"),
    ("activity", "Activity"),
];

#[component]
fn ConnectionDetail(c: ConnectionSummary) -> impl IntoView {
    let query = use_query_map();
    let tab = move || query.with(|q| q.get("tab").unwrap_or_else(|| "overview".into()));
    // Label, value, and whether people copy it (into tickets and API calls).
    let rows: Vec<(&str, String, bool)> = vec![
        ("Connection ID", c.id.clone(), true),
        ("Platform", format!("{} ({})", c.platform_name, c.integration_type), false),
        ("Platform account", c.platform_account_id.clone(), true),
        ("Environment", c.environment.clone(), false),
        ("Created", format_time_utc(c.created_at), false),
        (
            "Last successful sync",
            c.last_synced_at.map(format_time_utc).unwrap_or_else(|| "never".into()),
            false,
        ),
    ];
    let id = c.id.clone();
    view! {
        <PageHeader title=c.display_name.clone() subtitle=format!("{} connection", c.platform_name)>
            <StatusBadge status=c.status.clone() />
        </PageHeader>
        <Card class="mb-4 p-5">
            <dl class="grid gap-x-8 gap-y-3 text-sm sm:grid-cols-3">
                {rows.into_iter().map(|(k, v, copyable)| {
                    let copy = copyable
                        .then(|| view! { <span class="ml-2 align-middle"><CopyButton text=v.clone() label=format!("Copy {}", k.to_lowercase()) /></span> });
                    view! {
                        <div>
                            <dt class="text-slate-600">{k}</dt>
                            <dd class="mt-0.5 font-medium text-slate-900 wrap-break-word" data-testid=k.to_lowercase().replace(' ', "-")>{v}{copy}</dd>
                        </div>
                    }
                }).collect_view()}
            </dl>
        </Card>
        <crate::features::issues::OpenIssues connection=c.id.clone() />
        <nav aria-label="Connection sections" class="mb-4 flex gap-1 overflow-x-auto border-b border-slate-200">
            {TABS.iter().map(|(key, label)| {
                let key = *key;
                let href = format!("/connections/{}?tab={key}", c.id);
                view! {
                    <a href=href aria-current=move || (tab() == key).then_some("page")
                        class="whitespace-nowrap border-b-2 border-transparent px-3 py-2 text-sm font-medium text-slate-700 hover:text-slate-900 aria-[current=page]:border-indigo-600 aria-[current=page]:text-indigo-800">
                        {*label}
                    </a>
                }
            }).collect_view()}
        </nav>
        {move || {
            let id = id.clone();
            match tab().as_str() {
                "history" => view! { <SyncHistoryTab connection=id /> }.into_any(),
                "requests" => view! { <RequestsTab connection=id /> }.into_any(),
                "webhooks" => view! { <WebhooksTab connection=id /> }.into_any(),
                "activity" => view! { <ActivityTab connection=id /> }.into_any(),
                _ => view! { <OverviewTab connection=id /> }.into_any(),
            }
        }}
    }
}

/// The connection's latest requests, with the way to the full filtered request log.
#[component]
fn RequestsTab(connection: String) -> impl IntoView {
    use crate::domain::request_filter::RequestFilter;
    use crate::features::requests::list_request_logs;
    let c = connection.clone();
    let data = Resource::new(
        move || c.clone(),
        |c| list_request_logs(RequestFilter { connection: Some(c), ..Default::default() }),
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let connection = connection.clone();
                Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(p) => view! {
                        <Card>
                            <ul class="divide-y divide-slate-100 text-sm" data-testid="connection-requests">
                                {if p.rows.is_empty() {
                                    view! { <li class="px-5 py-4 text-slate-600">"No requests through this connection yet."</li> }.into_any()
                                } else {
                                    p.rows.into_iter().take(20).map(|r| view! {
                                        <li class="flex flex-wrap items-center gap-3 px-5 py-2">
                                            <span class="w-40 text-xs text-slate-600">{format_time_utc(r.created_at)}</span>
                                            <a class="font-mono text-xs text-indigo-700 hover:underline" href=format!("/requests/{}", r.id)>{format!("{} {}", r.method, r.path)}</a>
                                            <span class="text-xs tabular-nums">{r.status_code}</span>
                                            <span class="font-mono text-xs text-red-700">{r.error_code.unwrap_or_default()}</span>
                                        </li>
                                    }).collect_view().into_any()
                                }}
                            </ul>
                            <p class="border-t border-slate-100 px-5 py-3 text-sm"><a class="font-medium text-indigo-700 hover:underline" href=format!("/requests?connection={connection}")>"All of this connection's requests in the request log \u{2192}"</a></p>
                        </Card>
                    }.into_any(),
                }
            })}}
        </Suspense>
    }
}
