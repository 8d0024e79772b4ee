//! Webhook endpoints: the list at `/webhooks`, the create and edit form, and an endpoint's page
//! with its state, signing secret, test event, recovery and recent deliveries. Every form works
//! without JavaScript (posts redirect back to a page that shows the outcome).

pub mod deliveries;
pub mod endpoint;
pub mod form;
pub mod recover;

use super::ui::{
    format_time_utc, Badge, Card, DetailLoader, ErrorNotice, Loading, NotFoundNotice, PageHeader, SlashWrap,
    Time, Tone,
};
use crate::domain::EVENT_TYPES;
use crate::error::AppError;
use deliveries::{failure_label, DeliveryLog};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub id: String,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_kind: Option<String>,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub failing_since: Option<i64>,
    pub deleted: bool,
    pub created_at: i64,
    pub deliveries_24h: i64,
    pub delivered_24h: i64,
    pub failed_24h: i64,
    pub last_attempt_at: Option<i64>,
}

impl EndpointSummary {
    fn state(&self) -> (&'static str, &'static str) {
        if self.deleted {
            ("Deleted", Tone::Neutral.classes())
        } else if self.enabled
            && (self.failing_since.is_some() || (self.deliveries_24h > 0 && self.delivered_24h == 0))
        {
            // Enabled but nothing gets through: green would say all is well.
            ("Enabled \u{b7} failing", Tone::Bad.classes())
        } else if self.enabled {
            ("Enabled", Tone::Good.classes())
        } else if self.disabled_kind.as_deref() == Some("automatic") {
            ("Disabled automatically", Tone::Bad.classes())
        } else {
            ("Disabled", Tone::Neutral.classes())
        }
    }

    /// Delivered out of every delivery of the last 24 hours: one still retrying has not
    /// succeeded yet, and an endpoint that fails everything reads 0%, not "no data".
    fn success_rate(&self) -> String {
        if self.deliveries_24h == 0 {
            "—".into()
        } else {
            format!("{:.1}%", self.delivered_24h as f64 * 100.0 / self.deliveries_24h as f64)
        }
    }

    fn events_label(&self) -> String {
        if self.event_types.iter().any(|t| t == "*") {
            "All events".into()
        } else {
            self.event_types.join(", ")
        }
    }
}

#[cfg(feature = "ssr")]
fn summary(
    e: crate::server::store::webhooks::WebhookEndpointRow,
    stats: &[crate::server::store::webhooks::EndpointStats],
) -> EndpointSummary {
    let s = stats.iter().find(|s| s.endpoint_id == e.id).cloned().unwrap_or_default();
    EndpointSummary {
        event_types: serde_json::from_str(&e.event_types).unwrap_or_default(),
        id: e.id,
        url: e.url,
        description: e.description,
        enabled: e.enabled,
        disabled_kind: e.disabled_kind,
        disabled_reason: e.disabled_reason,
        disabled_at: e.disabled_at,
        failing_since: e.failing_since,
        deleted: e.deleted_at.is_some(),
        created_at: e.created_at,
        deliveries_24h: s.deliveries,
        delivered_24h: s.delivered,
        failed_24h: s.failed,
        last_attempt_at: s.last_attempt_at,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointsView {
    pub environment: String,
    pub can_edit: Result<(), String>,
    pub endpoints: Vec<EndpointSummary>,
}

#[server(input = GetUrl, endpoint = "list_webhook_endpoints")]
pub async fn list_webhook_endpoints() -> Result<EndpointsView, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let (endpoints, stats) = crate::server::webhooks::list(&state, &viewer).await?;
    Ok(EndpointsView {
        environment: viewer.environment.as_str().to_string(),
        can_edit: crate::server::webhooks::may_edit(&viewer),
        endpoints: endpoints.into_iter().map(|e| summary(e, &stats)).collect(),
    })
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| list_webhook_endpoints());
    view! {
        <PageHeader title="Webhooks" subtitle="Endpoints that receive Switchboard's events, signed with Standard Webhooks. Open the delivery log to see every attempt.">
            <div class="flex gap-2">
                <a href="/webhooks/deliveries" class="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-50">"Delivery log"</a>
            </div>
        </PageHeader>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match endpoints.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(v) => view! { <EndpointsBody v /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EndpointsBody(v: EndpointsView) -> impl IntoView {
    view! {
        {match v.can_edit.clone() {
            Ok(()) => view! {
                <p class="mb-4"><a href="/webhooks/new" class="inline-block rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">{format!("Add {} endpoint", v.environment)}</a></p>
            }.into_any(),
            Err(why) => view! { <p data-testid="read-only-note" class="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700">{why}</p> }.into_any(),
        }}
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Webhook endpoints">
                <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="endpoints">
                    <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                        <tr><th class="px-4 py-2">"Endpoint"</th><th class="px-4 py-2">"Events"</th><th class="px-4 py-2">"State"</th><th class="px-4 py-2 text-right">"Success (24 h)"</th><th class="px-4 py-2 text-right">"Deliveries (24 h)"</th><th class="px-4 py-2">"Last attempt"</th></tr>
                    </thead>
                    <tbody class="divide-y divide-slate-100">
                        {if v.endpoints.is_empty() {
                            view! { <tr><td colspan="6" class="px-4 py-6 text-center text-slate-600">"No endpoints in this environment yet. Add one to receive events."</td></tr> }.into_any()
                        } else {
                            v.endpoints.into_iter().map(|e| {
                                let (label, tone) = e.state();
                                view! {
                                    <tr class="align-top" data-endpoint-id=e.id.clone()>
                                        <td class="px-4 py-2">
                                            <a class="wrap-break-word font-medium text-indigo-700 hover:underline" href=format!("/webhooks/{}", e.id)><SlashWrap text=e.url.clone() whole_segments=true /></a>
                                            <p class="text-xs text-slate-600">{e.description.clone()}</p>
                                        </td>
                                        <td class="px-4 py-2 text-xs text-slate-700">{e.events_label()}</td>
                                        <td class="px-4 py-2">
                                            <Badge tone=tone>{label}</Badge>
                                            {(!e.enabled).then(|| e.disabled_reason.clone()).flatten().map(|r| view! { <p class="mt-1 max-w-xs text-xs text-slate-700">{r}</p> })}
                                        </td>
                                        <td class="px-4 py-2 text-right tabular-nums">{e.success_rate()}</td>
                                        <td class="px-4 py-2 text-right tabular-nums">{e.deliveries_24h}</td>
                                        <td class="px-4 py-2 text-xs">{match e.last_attempt_at { Some(t) => view! { <Time ms=t /> }.into_any(), None => view! { <span class="text-slate-500">"Never"</span> }.into_any() }}</td>
                                    </tr>
                                }
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
        </Card>
    }
}
