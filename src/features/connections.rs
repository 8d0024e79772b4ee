//! Connections of the selected organization and environment, and one connection's summary.

use super::connection_tabs::{ActivityTab, OverviewTab, WebhooksTab};
use super::sync_runs::SyncHistoryTab;
use super::ui::{
    format_time_utc, status_tone, Badge, Card, ErrorNotice, Loading, NotFoundNotice, PageHeader, Pager,
    TableHead,
};
use crate::domain::ConnectionStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

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
            status: c.status,
            config_version: c.config_version,
            created_at: c.created_at,
            last_synced_at: c.last_synced_at,
            environment: c.environment,
        }
    }
}

/// Connections per page of the list.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionListPage {
    pub rows: Vec<ConnectionSummary>,
    /// Cursor for the newer page (`after=`), when there is one.
    pub newer: Option<String>,
    /// Cursor for the older page (`before=`), when there is one.
    pub older: Option<String>,
}

/// One page of the environment's connections, newest first (keyset on the id).
#[server(input = GetUrl, endpoint = "list_connections")]
pub async fn list_connections(
    #[server(default)] before: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<ConnectionListPage, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::own_scope;
    use crate::server::context::{internal, session};
    use crate::server::store::{keyset_window, Page};
    let (state, viewer) = session()?;
    let cursor = |v: &str| {
        parse_id(prefix::CONNECTION, v)
            .map_err(|e| AppError::invalid(format!("The page cursor {v:?} is not a connection ID: {e}.")))
    };
    let page = match (before.as_deref().filter(|s| !s.is_empty()), after.as_deref().filter(|s| !s.is_empty()))
    {
        (Some(b), _) => Page::Before(cursor(b)?),
        (None, Some(a)) => Page::After(cursor(a)?),
        (None, None) => Page::First,
    };
    let rows =
        state.store.list_connections(&own_scope(&viewer), &page, PAGE_SIZE + 1).await.map_err(internal)?;
    let (rows, newer, older) = keyset_window(rows, &page, PAGE_SIZE, |r| r.id.clone());
    Ok(ConnectionListPage { rows: rows.into_iter().map(Into::into).collect(), newer, older })
}

#[server(input = GetUrl, endpoint = "get_connection")]
pub async fn get_connection(id: String) -> Result<ConnectionSummary, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::access::scope_for;
    use crate::server::context::{internal, session};
    use crate::server::store::ObjectKind;
    let (state, viewer) = session()?;
    let id = parse_id(prefix::CONNECTION, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a connection ID: {e}.")))?;
    let scope = scope_for(&state, &viewer, ObjectKind::Connection, &id).await?;
    let row =
        state.store.get_connection(&scope, &id).await.map_err(internal)?.ok_or_else(|| {
            AppError::not_found(format!("No connection {id} was found in your organization."))
        })?;
    Ok(row.into())
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let query = use_query_map();
    let connections = Resource::new(
        move || query.with(|q| (q.get("before"), q.get("after"))),
        |(before, after)| list_connections(before, after),
    );
    view! {
        <PageHeader title="Connections" subtitle="Each connection links one of your end customers to one platform." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(page) => view! { <ConnectionsTable page /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let label = ConnectionStatus::parse(&status).map(|s| s.label()).unwrap_or("Unknown");
    view! { <Badge tone=status_tone(&status)>{label}</Badge> }
}

#[component]
fn ConnectionsTable(page: ConnectionListPage) -> impl IntoView {
    let list = page.rows;
    let newer = page.newer.map(|c| format!("/connections?after={c}"));
    let older = page.older.map(|c| format!("/connections?before={c}"));
    view! {
        <Card>
            <div class="overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="connections-table">
                    <TableHead columns=&["Connection", "Platform", "Status", "Config version", "Last successful sync"] />
                    <tbody class="divide-y divide-slate-100">
                        {if list.is_empty() {
                            view! { <tr><td colspan="5" class="px-4 py-6 text-center text-slate-500">"No connections in this environment."</td></tr> }.into_any()
                        } else {
                            list.into_iter().map(|c| view! {
                                <tr class="hover:bg-slate-50">
                                    <td class="px-4 py-2">
                                        <a class="font-medium text-indigo-700 hover:underline" href=format!("/connections/{}", c.id)>{c.display_name}</a>
                                        <div class="font-mono text-xs text-slate-500">{c.id.clone()}</div>
                                    </td>
                                    <td class="px-4 py-2">{c.platform_name}</td>
                                    <td class="px-4 py-2"><StatusBadge status=c.status /></td>
                                    <td class="px-4 py-2 tabular-nums">{format!("v{}", c.config_version)}</td>
                                    <td class="px-4 py-2 text-slate-600">{c.last_synced_at.map(format_time_utc).unwrap_or_else(|| "never".into())}</td>
                                </tr>
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
            <Pager newer older />
        </Card>
    }
}

#[component]
pub fn ConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let connection = Resource::new(move || params.with(|p| p.get("id").unwrap_or_default()), get_connection);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match connection.await {
                    Ok(c) => view! { <ConnectionDetail c /> }.into_any(),
                    Err(AppError::NotFound(msg)) => view! { <NotFoundNotice what=msg /> }.into_any(),
                    Err(e) => view! { <PageHeader title="Connection" /> <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
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
    let rows: Vec<(&str, String)> = vec![
        ("Connection ID", c.id.clone()),
        ("Platform", format!("{} ({})", c.platform_name, c.integration_type)),
        ("Platform account", c.platform_account_id.clone()),
        ("Environment", c.environment.clone()),
        ("Created", format_time_utc(c.created_at)),
        ("Last successful sync", c.last_synced_at.map(format_time_utc).unwrap_or_else(|| "never".into())),
    ];
    let id = c.id.clone();
    let version = c.config_version;
    view! {
        <PageHeader title=c.display_name.clone() subtitle=format!("{} connection", c.platform_name)>
            <StatusBadge status=c.status.clone() />
        </PageHeader>
        <Card class="mb-4 p-5">
            <dl class="grid gap-x-8 gap-y-3 text-sm sm:grid-cols-3">
                {rows.into_iter().map(|(k, v)| view! {
                    <div>
                        <dt class="text-slate-600">{k}</dt>
                        <dd class="mt-0.5 font-medium text-slate-900 break-all">{v}</dd>
                    </div>
                }).collect_view()}
            </dl>
        </Card>
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
                _ => view! { <OverviewTab connection=id config_version=version /> }.into_any(),
            }
        }}
    }
}

/// The connection's latest requests, with the way to the full filtered request log.
#[component]
fn RequestsTab(connection: String) -> impl IntoView {
    use crate::features::requests::filter::RequestFilter;
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
