//! The tabs of a connection page besides the sync history: Overview (status with its reason,
//! per-object state, the next step, backfill and sync-now), Requests, Webhooks and Activity.
//! Tabs are URLs (`?tab=`), so a support person can paste the exact view into a ticket.

use crate::error::AppError;
use crate::features::backfills::SyncNow;
use crate::features::ui::{format_time_utc, Card, ErrorNotice, Loading};
use crate::features::ui::{status_label, StatusBadge};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectRow {
    pub object: String,
    pub enabled: bool,
    /// Whether `enabled` comes from the platform's override rather than the type's setting.
    pub from_override: bool,
    pub supported: bool,
    pub last_success: Option<i64>,
    pub last_status: Option<String>,
    pub last_run_id: Option<String>,
    pub added: i64,
    pub updated: i64,
    pub deleted: i64,
    pub next_sync: Option<i64>,
    /// The next sync's time has passed: the scheduler queues it on its next pass.
    pub next_due: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionOverviewView {
    pub status: String,
    pub status_reason: Option<String>,
    pub status_since: Option<i64>,
    pub failed_runs_24h: i64,
    /// The version the connection runs and the newest one.
    pub config_version: i64,
    pub current_config_version: i64,
    pub integration_type: String,
    pub platform_name: String,
    pub frequency: String,
    pub frequency_from_override: bool,
    pub history_months: i64,
    /// Behind after an apply's backfill failed for it: that backfill and the failure.
    pub failed_apply: Option<(String, Option<String>)>,
    pub objects: Vec<ObjectRow>,
    pub next_step: Option<String>,
    /// `Err(why)` when this viewer may not start syncs or backfills.
    pub allowed: Result<(), String>,
}

#[server(input = GetUrl, endpoint = "connection_overview")]
pub async fn connection_overview(id: String) -> Result<ConnectionOverviewView, AppError> {
    use crate::domain::platform;
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let (scope, c) = crate::server::connections::get(&state, &Actor::Person(viewer.clone()), &id).await?;
    let spec = platform(&c.platform_id).ok_or(AppError::Internal)?;
    let now = state.clock.now_ms();
    let config = crate::server::sync_config::for_connection(state.store.as_ref(), &scope, &c).await?;
    let effective = &config.effective;
    let period = effective.frequency.period_ms();
    let crate::server::sync_runs::ObjectStates { latest: states, failed_recently: failed_runs_24h } =
        crate::server::sync_runs::object_states(&state, &scope, &c, now).await?;
    let objects = effective
        .objects
        .iter()
        .map(|eo| {
            let o = eo.name;
            let st = states.iter().find(|(r, _)| r.data_object == o);
            let last = st.map(|(r, _)| r);
            let next = (eo.enabled && eo.supported && matches!(c.status.as_str(), "healthy" | "degraded"))
                .then(|| last.map(|r| r.queued_at).unwrap_or(now) + period);
            ObjectRow {
                object: o.to_string(),
                enabled: eo.enabled,
                from_override: eo.source == crate::server::sync_config::settings::Source::PlatformOverride,
                supported: eo.supported,
                last_success: st.and_then(|(_, s)| *s),
                last_status: last.map(|r| r.status.into()),
                last_run_id: last.map(|r| r.id.clone()),
                added: last.map(|r| r.records_added).unwrap_or(0),
                updated: last.map(|r| r.records_updated).unwrap_or(0),
                deleted: last.map(|r| r.records_deleted).unwrap_or(0),
                next_sync: next,
                next_due: next.is_some_and(|t| t <= now),
            }
        })
        .collect();
    let next_step = match c.status.as_str() {
        "needs_reauth" => Some(format!(
            "{} no longer accepts this connection's credentials. Send the end customer your reconnect link for {} ({}); syncs fail until they reconnect, then backfill what was missed.",
            spec.name, c.display_name, c.platform_account_id
        )),
        "degraded" => Some("Some objects failed recently: open the failed runs in Sync history for the cause, then backfill those objects once it is fixed.".to_string()),
        "disabled" => Some("This connection is disabled: nothing syncs. Re-enable it to resume.".to_string()),
        "initializing" => Some("The initial sync is running; objects appear as each finishes.".to_string()),
        _ => c.rate_limited_until.filter(|t| *t > now).map(|t| format!("{} is rate-limiting this connection until {}.", spec.name, format_time_utc(t))),
    };
    Ok(ConnectionOverviewView {
        status: c.status.into(),
        status_reason: c.status_reason,
        status_since: c.status_since,
        failed_runs_24h,
        config_version: config.version,
        current_config_version: config.current_version,
        integration_type: spec.integration_type.as_str().to_string(),
        platform_name: spec.name.to_string(),
        frequency: effective.frequency.label().to_string(),
        frequency_from_override: effective.frequency_source
            == crate::server::sync_config::settings::Source::PlatformOverride,
        history_months: effective.history_months,
        failed_apply: config.failed_apply,
        objects,
        next_step,
        allowed: crate::server::backfills::may_trigger(&viewer),
    })
}

#[component]
pub fn OverviewTab(connection: String) -> impl IntoView {
    let id = connection.clone();
    let data = Resource::new(move || id.clone(), connection_overview);
    let sync = ServerAction::<SyncNow>::new();
    view! {
        <Suspense fallback=Loading>
            {move || {
                let connection = connection.clone();
                Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(o) => {
                        let allowed = o.allowed.is_ok();
                        let backfill_href = format!("/backfills/new?connection={connection}");
                        let config_version = o.config_version;
                        let behind = config_version < o.current_config_version;
                        let source = {
                            let (p, t) = (o.platform_name.clone(), o.integration_type.clone());
                            move |from_override: bool| if from_override { format!("{p} override") } else { format!("{t} default") }
                        };
                        let frequency_source = format!(" ({})", source(o.frequency_from_override));
                        let lookback_source = format!(" ({})", source(false));
                        let config_href = format!("/sync-configuration?type={}", o.integration_type);
                        let version_href = format!("/sync-configuration/{}/versions/{config_version}", o.integration_type);
                        view! {
                            {o.next_step.clone().map(|n| view! {
                                <div role="note" data-testid="connection-next-step" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-950">
                                    <p class="font-medium">"What to do"</p><p class="mt-1">{n}</p>
                                </div>
                            })}
                            <Card class="mb-4 p-5">
                                <dl class="grid gap-3 text-sm sm:grid-cols-3">
                                    <div><dt class="text-slate-600">"Status"</dt><dd data-testid="status-reason">{status_label(&o.status)}{o.status_reason.clone().map(|r| format!(": {r}"))}{o.status_since.map(|t| format!(" (since {})", format_time_utc(t)))}</dd></div>
                                    <div><dt class="text-slate-600">"Failed runs, last 24 h"</dt><dd class="tabular-nums">{o.failed_runs_24h}</dd></div>
                                    <div><dt class="text-slate-600">"Configuration"</dt><dd data-testid="connection-config">
                                        <a class="font-medium text-indigo-700 underline" href=version_href>{format!("v{config_version}")}</a>
                                        {format!(" of the {} configuration (current ", o.integration_type)}
                                        <a class="text-indigo-700 underline" href=config_href>{format!("v{}", o.current_config_version)}</a>")"
                                        {behind.then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-medium text-amber-900">"behind"</span> })}
                                    </dd></div>
                                    <div><dt class="text-slate-600">"Sync frequency"</dt><dd data-testid="effective-frequency">{o.frequency.clone()}<span class="text-xs text-slate-600">{frequency_source}</span></dd></div>
                                    <div><dt class="text-slate-600">"Initial lookback"</dt><dd>{format!("{} months", o.history_months)}<span class="text-xs text-slate-600">{lookback_source}</span></dd></div>
                                </dl>
                                {behind.then(|| view! {
                                    <p class="mt-3 text-sm text-slate-700" data-testid="behind-note">
                                        {format!("This connection syncs under v{config_version}: changes since then apply to it only after a backfill. ")}
                                        {match o.failed_apply.clone() {
                                            Some((bf, why)) => view! { <span class="text-red-800">"Its last backfill to the current version failed"{why.map(|w| format!(": {w}"))}". "<a class="underline" href=format!("/backfills/{bf}")>"Open the backfill"</a></span> }.into_any(),
                                            None => view! { <a class="font-medium text-indigo-700 underline" href=format!("/sync-configuration?type={}#drift", o.integration_type)>"Apply the current version"</a> }.into_any(),
                                        }}
                                    </p>
                                })}
                                <div class="mt-4 flex flex-wrap items-center gap-3">
                                    {if allowed {
                                        view! { <a href=backfill_href.clone() class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">"Backfill\u{2026}"</a> }.into_any()
                                    } else {
                                        view! { <p class="text-sm text-slate-700" data-testid="backfill-not-allowed">{o.allowed.clone().err()}</p> }.into_any()
                                    }}
                                </div>
                            </Card>
                            <Card>
                                <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Data objects">
                                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="object-table">
                                        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                                            <tr><th class="px-3 py-2">"Object"</th><th class="px-3 py-2">"In configuration"</th><th class="px-3 py-2">"Last successful sync"</th><th class="px-3 py-2">"Last run"</th><th class="px-3 py-2 text-right">"Added / updated / deleted"</th><th class="px-3 py-2">"Next scheduled"</th><th class="px-3 py-2"></th></tr>
                                        </thead>
                                        <tbody class="divide-y divide-slate-100">
                                            {o.objects.into_iter().map(|r| {
                                                let connection = connection.clone();
                                                view! {
                                                <tr>
                                                    <td class="px-3 py-2 font-mono text-xs">{r.object.clone()}</td>
                                                    <td class="px-3 py-2 text-xs">{if !r.supported { "not offered by the platform".to_string() } else { format!("{} ({})", if r.enabled { "enabled" } else { "disabled" }, source(r.from_override)) }}</td>
                                                    <td class="px-3 py-2 text-xs">{r.last_success.map(format_time_utc).unwrap_or_else(|| "never".into())}</td>
                                                    <td class="px-3 py-2">{match (r.last_status.clone(), r.last_run_id.clone()) {
                                                        (Some(s), Some(run)) => view! { <a href=format!("/sync-runs/{run}")><StatusBadge status=s /></a> }.into_any(),
                                                        _ => view! { <span class="text-xs text-slate-600">"—"</span> }.into_any(),
                                                    }}</td>
                                                    <td class="px-3 py-2 text-right text-xs tabular-nums">{format!("{} / {} / {}", r.added, r.updated, r.deleted)}</td>
                                                    <td class="px-3 py-2 text-xs">{if r.next_due { "Due now".to_string() } else { r.next_sync.map(format_time_utc).unwrap_or_else(|| "—".into()) }}</td>
                                                    <td class="px-3 py-2 text-right">
                                                        {(allowed && r.supported).then(|| view! {
                                                            <ActionForm action=sync>
                                                                <input type="hidden" name="connection" value=connection.clone() />
                                                                <input type="hidden" name="object" value=r.object.clone() />
                                                                <button aria-label=format!("Sync now: {}", r.object) class="rounded-md border border-slate-300 px-2 py-1 text-xs font-medium text-slate-800 hover:bg-slate-50">"Sync now"</button>
                                                            </ActionForm>
                                                        })}
                                                    </td>
                                                </tr>
                                            }}).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            </Card>
                            {move || sync.value().get().map(|r| match r {
                                Ok(_) => view! { <p role="status" class="mt-3 text-sm text-emerald-800">"Queued. It appears in Sync history."</p> }.into_any(),
                                Err(e) => view! { <div class="mt-3"><ErrorNotice error=e /></div> }.into_any(),
                            })}
                        }.into_any()
                    }
                }
            })}}
        </Suspense>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventItem {
    pub id: String,
    pub event_type: String,
    pub created_at: i64,
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub action: crate::domain::AuditAction,
    pub actor: String,
    pub at: i64,
    pub details: String,
}

/// The connection's latest webhook events (50), for its Webhooks tab.
#[server(input = GetUrl, endpoint = "connection_events")]
pub async fn connection_events(id: String) -> Result<Vec<EventItem>, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let events = crate::server::connections::recent_events(&state, &Actor::Person(viewer), &id, 50).await?;
    Ok(events
        .into_iter()
        .map(|e| EventItem {
            payload: serde_json::from_str::<serde_json::Value>(&e.payload)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(e.payload),
            id: e.id,
            event_type: e.event_type,
            created_at: e.created_at,
        })
        .collect())
}

/// The audit entries about the connection (50), for its Activity tab.
#[server(input = GetUrl, endpoint = "connection_activity")]
pub async fn connection_activity(id: String) -> Result<Vec<ActivityItem>, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let activity = crate::server::connections::activity(&state, &Actor::Person(viewer), &id, 50).await?;
    Ok(activity
        .into_iter()
        .map(|a| ActivityItem {
            action: a.action,
            actor: a.actor_email,
            at: a.created_at,
            details: a.details,
        })
        .collect())
}

#[component]
pub fn WebhooksTab(connection: String) -> impl IntoView {
    let base = format!("/connections/{connection}?tab=webhooks");
    let fixed = connection.clone();
    let data = Resource::new(move || connection.clone(), connection_events);
    view! {
        <h2 class="mb-2 text-sm font-semibold text-slate-900">"Deliveries to your endpoints"</h2>
        <crate::features::webhooks::deliveries::DeliveryLog base fixed_connection=fixed hidden=("tab", "webhooks") />
        <h2 class="mb-2 mt-6 text-sm font-semibold text-slate-900">"Events of this connection"</h2>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(events) => view! {
                        <Card>
                            <ul class="divide-y divide-slate-100" data-testid="connection-events">
                                {if events.is_empty() {
                                    view! { <li class="px-5 py-4 text-sm text-slate-600">"No webhook events for this connection yet."</li> }.into_any()
                                } else {
                                    events.into_iter().map(|e| view! {
                                        <li class="px-5 py-3 text-sm">
                                            <details>
                                                <summary class="cursor-pointer"><span class="font-mono font-medium">{e.event_type}</span> " · " {format_time_utc(e.created_at)} " · " <span class="font-mono text-xs text-slate-600">{e.id}</span></summary>
                                                <pre class="mt-2 overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100">{e.payload}</pre>
                                            </details>
                                        </li>
                                    }).collect_view().into_any()
                                }}
                            </ul>
                        </Card>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn ActivityTab(connection: String) -> impl IntoView {
    let data = Resource::new(move || connection.clone(), connection_activity);
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(activity) => view! {
                        <Card>
                            <ul class="divide-y divide-slate-100 text-sm" data-testid="connection-activity">
                                {if activity.is_empty() {
                                    view! { <li class="px-5 py-4 text-slate-600">"No recorded activity for this connection yet."</li> }.into_any()
                                } else {
                                    activity.into_iter().map(|a| view! {
                                        <li class="px-5 py-3"><span class="font-mono text-xs font-medium">{a.action.as_str()}</span> " by " {a.actor} " · " {format_time_utc(a.at)}</li>
                                    }).collect_view().into_any()
                                }}
                            </ul>
                        </Card>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
