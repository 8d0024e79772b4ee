//! Connections of the selected organization and environment, and one connection's summary.

use super::ui::{
    format_time_utc, status_tone, Badge, Card, ErrorNotice, Loading, NotFoundNotice, PageHeader, TableHead,
};
use crate::domain::ConnectionStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_params_map;
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

#[server(input = GetUrl)]
pub async fn list_connections() -> Result<Vec<ConnectionSummary>, AppError> {
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let rows = state
        .store
        .list_connections(&viewer.organization_id, viewer.environment.as_str())
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

#[server(input = GetUrl, endpoint = "get_connection")]
pub async fn get_connection(id: String) -> Result<ConnectionSummary, AppError> {
    use crate::ids::{parse_id, prefix};
    use crate::server::auth::audit;
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let id = parse_id(prefix::CONNECTION, &id)
        .map_err(|e| AppError::invalid(format!("{id:?} is not a connection ID: {e}.")))?;
    let not_found = || AppError::not_found(format!("No connection {id} in your organization."));
    let row = state.store.get_connection(&id).await.map_err(internal)?.ok_or_else(not_found)?;
    if !viewer.may_read(&row.organization_id) {
        return Err(not_found());
    }
    if row.organization_id != viewer.organization_id {
        audit(
            state.store.as_ref(),
            Some(&row.organization_id),
            Some(&viewer.user_id),
            &viewer.email,
            "staff.view_connection",
            "connection",
            &row.id,
            viewer.ip.as_deref(),
            serde_json::json!({}),
        )
        .await
        .map_err(internal)?;
    }
    Ok(row.into())
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let connections = Resource::new(|| (), |_| list_connections());
    view! {
        <PageHeader title="Connections" subtitle="Each connection links one of your end customers to one platform." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match connections.await {
                    Ok(list) => view! { <ConnectionsTable list /> }.into_any(),
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
fn ConnectionsTable(list: Vec<ConnectionSummary>) -> impl IntoView {
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

#[component]
fn ConnectionDetail(c: ConnectionSummary) -> impl IntoView {
    let rows: Vec<(&str, String)> = vec![
        ("Connection ID", c.id.clone()),
        ("Platform", format!("{} ({})", c.platform_name, c.integration_type)),
        ("Platform account", c.platform_account_id.clone()),
        ("Environment", c.environment.clone()),
        ("Configuration version", format!("v{}", c.config_version)),
        ("Created", format_time_utc(c.created_at)),
        ("Last successful sync", c.last_synced_at.map(format_time_utc).unwrap_or_else(|| "never".into())),
    ];
    view! {
        <PageHeader title=c.display_name.clone() subtitle=format!("{} connection", c.platform_name)>
            <StatusBadge status=c.status.clone() />
        </PageHeader>
        <Card class="p-5">
            <dl class="grid gap-x-8 gap-y-3 text-sm sm:grid-cols-2">
                {rows.into_iter().map(|(k, v)| view! {
                    <div>
                        <dt class="text-slate-500">{k}</dt>
                        <dd class="mt-0.5 font-medium text-slate-900 break-all">{v}</dd>
                    </div>
                }).collect_view()}
            </dl>
            {(!c.supports_sync_history).then(|| view! {
                <p class="mt-5 rounded-md bg-slate-50 px-4 py-3 text-sm text-slate-600">
                    {format!("{} does not provide sync history, so no per-object sync runs are recorded for this connection.", c.platform_name)}
                </p>
            })}
        </Card>
    }
}
