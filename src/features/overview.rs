//! Overview: the health of the selected organization and environment at a glance.

use super::ui::{format_count, status_tone, Badge, Card, ErrorNotice, Loading, PageHeader};
use crate::domain::ConnectionStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub organization_name: String,
    pub environment: String,
    pub requests_24h: i64,
    pub failed_requests_24h: i64,
    /// Every status, in lifecycle order, with its count (zero included).
    pub connections_by_status: Vec<(String, i64)>,
    pub failed_syncs_24h: i64,
}

impl Overview {
    pub fn error_rate_percent(&self) -> Option<f64> {
        (self.requests_24h > 0).then(|| self.failed_requests_24h as f64 * 100.0 / self.requests_24h as f64)
    }
}

#[server(input = GetUrl, endpoint = "get_overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let counts =
        crate::server::request_logs::overview(&state, &crate::server::actor::Actor::Person(viewer.clone()))
            .await?;
    let connections_by_status = ConnectionStatus::ALL
        .iter()
        .map(|s| {
            let n = counts
                .connections_by_status
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map(|(_, n)| *n)
                .unwrap_or(0);
            (s.as_str().to_string(), n)
        })
        .collect();
    Ok(Overview {
        organization_name: viewer.organization_name.clone(),
        environment: viewer.environment.as_str().to_string(),
        requests_24h: counts.requests,
        failed_requests_24h: counts.failed_requests,
        connections_by_status,
        failed_syncs_24h: counts.failed_syncs,
    })
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <OverviewBody o /> }.into_any(),
                    Err(e) => view! { <PageHeader title="Overview" /> <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Stat(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(into)] hint: String,
    #[prop(into)] testid: String,
    #[prop(optional)] alert: bool,
) -> impl IntoView {
    view! {
        <Card class="p-5">
            <p class="text-sm font-medium text-slate-500">{label}</p>
            <p data-testid=testid class=if alert { "mt-2 text-3xl font-semibold text-red-600" } else { "mt-2 text-3xl font-semibold text-slate-900" }>{value}</p>
            <p class="mt-1 text-xs text-slate-500">{hint}</p>
        </Card>
    }
}

#[component]
fn OverviewBody(o: Overview) -> impl IntoView {
    let env_label = if o.environment == "production" { "Production" } else { "Sandbox" };
    let rate = o.error_rate_percent();
    let total_connections: i64 = o.connections_by_status.iter().map(|(_, n)| n).sum();
    view! {
        <PageHeader title="Overview" subtitle=format!("{} · {} · last 24 hours", o.organization_name, env_label) />
        <crate::features::issues::OverviewIssues />
        <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <Stat label="Requests" value=format_count(o.requests_24h) hint="API requests in the last 24 h" testid="stat-requests" />
            <Stat
                label="Error rate"
                value=rate.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
                hint=format!("{} failed (4xx and 5xx)", format_count(o.failed_requests_24h))
                testid="stat-error-rate"
                alert=rate.is_some_and(|r| r >= 5.0)
            />
            <Stat label="Connections" value=format_count(total_connections) hint="in this environment" testid="stat-connections" />
            <Stat label="Failed syncs" value=format_count(o.failed_syncs_24h) hint="sync runs failed in the last 24 h" testid="stat-failed-syncs" alert={o.failed_syncs_24h > 0} />
        </div>
        <Card class="mt-6">
            <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold text-slate-900">"Connections by status"</h2>
            <ul class="divide-y divide-slate-100" data-testid="connections-by-status">
                {o.connections_by_status.into_iter().map(|(status, n)| {
                    let label = ConnectionStatus::parse(&status).map(|s| s.label()).unwrap_or("Unknown");
                    view! {
                        <li class="flex items-center justify-between px-5 py-2.5 text-sm">
                            <Badge tone=status_tone(&status)>{label}</Badge>
                            <span class="font-medium tabular-nums" data-status=status.clone()>{format_count(n)}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Card>
    }
}
