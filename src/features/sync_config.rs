//! The data sync configuration pages: the current version per integration type with its drift,
//! the edit form with a preview of the diff and its impact, the version history with diffs and
//! restore, and "apply to existing connections".
//!
//! Every step is a plain GET or a form post so it works without JavaScript: the edit form's
//! values travel in the URL (`/sync-configuration/{type}/edit?base=N&preview=1&object=…`), the
//! preview's save form carries them on, and a refused save comes back to that URL, so nothing
//! typed is lost.

pub mod apply;
pub mod edit;
pub mod history;

use super::ui::{format_time_utc, Card, ErrorNotice, Loading, PageHeader, Pager};
use crate::domain::{Frequency, IntegrationType};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_location, use_navigate, use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: i64,
    pub author: Option<String>,
    pub created_at: i64,
    pub comment: String,
    pub restored_from: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectView {
    pub name: String,
    pub enabled: bool,
    pub fetch_on_first_link: bool,
    pub offered_by: Vec<String>,
    pub not_offered_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverrideView {
    pub platform: String,
    pub frequency: Option<String>,
    pub objects: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub frequency: String,
    pub history_months: i64,
    pub objects: Vec<ObjectView>,
    pub overrides: Vec<OverrideView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformDrift {
    pub name: String,
    pub current: i64,
    pub behind: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftView {
    pub behind: i64,
    pub total: i64,
    pub by_platform: Vec<PlatformDrift>,
    pub connections_href: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncConfigView {
    pub integration_type: String,
    pub environment: String,
    pub version: VersionInfo,
    pub settings: SettingsView,
    pub drift: DriftView,
    /// `Err(why)` when this viewer may not change it.
    pub can_edit: Result<(), String>,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use crate::server::sync_config::{settings, Drift, Version};

    pub fn integration_type(s: &str) -> Result<IntegrationType, AppError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(IntegrationType::Accounting);
        }
        IntegrationType::parse(s).ok_or_else(|| {
            AppError::not_found(format!(
                "There is no {s:?} integration type: choose accounting, commerce or payments."
            ))
        })
    }

    pub fn version_info(v: &Version) -> VersionInfo {
        VersionInfo {
            version: v.row.version,
            author: v.row.author_email.clone(),
            created_at: v.row.created_at,
            comment: v.row.comment.clone(),
            restored_from: v.row.restored_from,
        }
    }

    pub fn settings_view(it: IntegrationType, s: &settings::SyncSettings) -> SettingsView {
        let platforms: Vec<_> = settings::platforms_of(it).collect();
        SettingsView {
            frequency: s.frequency.label().to_string(),
            history_months: s.history_months,
            objects: it
                .data_objects()
                .iter()
                .map(|o| {
                    let x = s
                        .objects
                        .get(*o)
                        .copied()
                        .unwrap_or(settings::ObjectSettings { enabled: false, fetch_on_first_link: false });
                    ObjectView {
                        name: o.to_string(),
                        enabled: x.enabled,
                        fetch_on_first_link: x.fetch_on_first_link,
                        offered_by: platforms
                            .iter()
                            .filter(|p| !p.unsupported_objects.contains(o))
                            .map(|p| p.name.to_string())
                            .collect(),
                        not_offered_by: platforms
                            .iter()
                            .filter(|p| p.unsupported_objects.contains(o))
                            .map(|p| p.name.to_string())
                            .collect(),
                    }
                })
                .collect(),
            overrides: s
                .overrides
                .iter()
                .map(|(p, o)| OverrideView {
                    platform: crate::domain::platform(p).map(|s| s.name).unwrap_or(p).to_string(),
                    frequency: o.frequency.map(|f| f.label().to_string()),
                    objects: o.objects.clone(),
                })
                .collect(),
        }
    }

    pub fn drift_view(it: IntegrationType, d: &Drift) -> DriftView {
        DriftView {
            behind: d.behind(),
            total: d.total(),
            by_platform: d
                .by_platform
                .iter()
                .map(|(p, on, behind)| PlatformDrift {
                    name: crate::domain::platform(p).map(|s| s.name).unwrap_or(p).to_string(),
                    current: *on,
                    behind: *behind,
                })
                .collect(),
            connections_href: format!("/connections?type={}&behind=1", it.as_str()),
        }
    }
}

#[server(input = GetUrl, endpoint = "sync_config_page")]
pub async fn sync_config_page(
    #[server(default)] integration_type: String,
) -> Result<SyncConfigView, AppError> {
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = viewer.own_scope();
    svc::audit_staff_view(state.store.as_ref(), state.clock.as_ref(), &viewer, it.as_str()).await?;
    let cur = svc::current(state.store.as_ref(), &scope, it).await?;
    let drift = svc::drift(state.store.as_ref(), &scope, it, cur.row.version).await?;
    Ok(SyncConfigView {
        integration_type: it.as_str().to_string(),
        environment: viewer.environment.as_str().to_string(),
        version: convert::version_info(&cur),
        settings: convert::settings_view(it, &cur.settings),
        drift: convert::drift_view(it, &drift),
        can_edit: svc::may_edit(&viewer),
    })
}

#[component]
pub fn SyncConfigPage() -> impl IntoView {
    let query = use_query_map();
    let it = move || query.with(|q| q.get("type").unwrap_or_default());
    let data = Resource::new(it, sync_config_page);
    view! {
        <PageHeader title="Sync Configuration" subtitle="Which data objects sync, how much history a new connection fetches, and how often. Saved per environment and integration type; every save is a new version." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <ConfigView v /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
/// Tabs per integration type; `path` is each tab's address with `{type}` in place of the type.
fn TypeTabs(current: String, path: &'static str) -> impl IntoView {
    view! {
        <nav aria-label="Integration types" class="mb-4 flex gap-1 border-b border-slate-200">
            {IntegrationType::ALL.iter().map(|t| {
                let active = t.as_str() == current;
                let href = path.replace("{type}", t.as_str());
                view! {
                    <a href=href aria-current=active.then_some("page")
                        class=if active { "-mb-px border-b-2 border-indigo-600 px-4 py-2 text-sm font-semibold text-indigo-700" } else { "px-4 py-2 text-sm font-medium text-slate-600 hover:text-slate-900" }>
                        {t.label()}
                    </a>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
fn VersionLine(v: VersionInfo) -> impl IntoView {
    view! {
        <p class="text-sm text-slate-700" data-testid="version-line">
            <span class="font-semibold text-slate-900">{format!("Version {}", v.version)}</span>
            {format!(" · saved by {} · {}", v.author.clone().unwrap_or_else(|| "unknown".into()), format_time_utc(v.created_at))}
            {v.restored_from.map(|r| format!(" · restored from version {r}"))}
        </p>
        {(!v.comment.is_empty()).then(|| view! { <p class="mt-1 text-sm italic text-slate-700">{format!("\u{201c}{}\u{201d}", v.comment)}</p> })}
    }
}

#[component]
fn SettingsTable(s: SettingsView) -> impl IntoView {
    view! {
        <dl class="grid gap-4 text-sm sm:grid-cols-2">
            <div><dt class="text-slate-600">"Incremental sync frequency"</dt><dd class="font-medium" data-testid="config-frequency">{s.frequency.clone()}</dd></div>
            <div><dt class="text-slate-600">"Initial lookback"</dt><dd class="font-medium" data-testid="config-lookback">{format!("{} months of history at first sync", s.history_months)}</dd></div>
        </dl>
        <div class="mt-4 overflow-x-auto" tabindex="0" role="region" aria-label="Data objects">
            <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="config-objects">
                <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                    <tr><th class="px-3 py-2">"Data object"</th><th class="px-3 py-2">"Synced"</th><th class="px-3 py-2">"Fetched on first link"</th><th class="px-3 py-2">"Platforms"</th></tr>
                </thead>
                <tbody class="divide-y divide-slate-100">
                    {s.objects.into_iter().map(|o| view! {
                        <tr>
                            <td class="px-3 py-2 font-mono text-xs">{o.name.clone()}</td>
                            <td class="px-3 py-2">{if o.enabled { view! { <span class="font-medium text-emerald-800">"enabled"</span> }.into_any() } else { view! { <span class="text-slate-600">"disabled"</span> }.into_any() }}</td>
                            <td class="px-3 py-2 text-xs">{if !o.enabled { "\u{2014} (not synced)" } else if o.fetch_on_first_link { "yes" } else { "no: incremental only" }}</td>
                            <td class="px-3 py-2 text-xs text-slate-700">
                                {o.offered_by.join(", ")}
                                {(!o.not_offered_by.is_empty()).then(|| view! { <span class="block text-amber-900">{format!("Not offered by {}", o.not_offered_by.join(", "))}</span> })}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        {(!s.overrides.is_empty()).then(|| view! {
            <div class="mt-4">
                <h3 class="text-sm font-semibold text-slate-900">"Platform overrides"</h3>
                <ul class="mt-2 space-y-1 text-sm text-slate-700" data-testid="config-overrides">
                    {s.overrides.into_iter().map(|o| view! {
                        <li>
                            <span class="font-medium text-slate-900">{o.platform.clone()}</span>
                            {o.frequency.clone().map(|f| format!(": syncs {f}"))}
                            {o.objects.clone().map(|l| format!("; objects: {}", if l.is_empty() { "none".to_string() } else { l.join(", ") }))}
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        })}
    }
}

#[component]
fn ConfigView(v: SyncConfigView) -> impl IntoView {
    let it = v.integration_type.clone();
    let edit_href = format!("/sync-configuration/{it}/edit");
    let history_href = format!("/sync-configuration/{it}/versions");
    let apply_href = format!("/sync-configuration/{it}/apply");
    let d = v.drift.clone();
    let (version, can_edit, can_edit2) = (v.version.clone(), v.can_edit.clone(), v.can_edit.clone());
    let current_version = v.version.version;
    let applies_note = format!("Changes apply to new connections and to backfills. Existing connections keep syncing under their version until a backfill brings them forward: {} of {} {} {} in {} {} on an older version.", d.behind, d.total, it, if d.total == 1 { "connection" } else { "connections" }, v.environment, if d.behind == 1 { "is" } else { "are" });
    let settings = v.settings.clone();
    let empty_note =
        format!("No {it} connections in this environment yet: new ones get version {current_version}.");
    view! {
        <TypeTabs current=it.clone() path="/sync-configuration?type={type}" />
        <Card class="mb-4 p-5">
            <div class="flex flex-wrap items-start justify-between gap-4">
                <div><VersionLine v=version /></div>
                <div class="flex gap-2">
                    <a href=history_href class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">"History"</a>
                    {match can_edit.clone() {
                        Ok(()) => view! { <a href=edit_href data-testid="edit-config" class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Edit"</a> }.into_any(),
                        Err(_) => view! { <a href=edit_href class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50">"View form"</a> }.into_any(),
                    }}
                </div>
            </div>
            {can_edit.clone().err().map(|why| view! { <p role="note" data-testid="config-read-only" class="mt-3 rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm text-slate-700">{format!("Read-only. {why}")}</p> })}
            <p class="mt-3 rounded-md border border-indigo-100 bg-indigo-50 px-3 py-2 text-sm text-indigo-950" data-testid="applies-note">
                {applies_note}
            </p>
        </Card>
        <Card class="mb-4 p-5"><SettingsTable s=settings /></Card>
        <Card class="p-5">
            <h2 id="drift" class="text-sm font-semibold text-slate-900">"Configuration drift"</h2>
            {if d.total == 0 {
                view! { <p class="mt-2 text-sm text-slate-700" data-testid="drift-count">{empty_note.clone()}</p> }.into_any()
            } else if d.behind == 0 {
                view! { <p class="mt-2 text-sm text-slate-700" data-testid="drift-count">{format!("{} version {}.", if d.total == 1 { "The one connection runs".to_string() } else { format!("All {} connections run", d.total) }, current_version)}</p> }.into_any()
            } else {
                view! {
                    <p class="mt-2 text-sm text-slate-700" data-testid="drift-count">
                        <a class="font-medium text-indigo-700 underline" href=d.connections_href.clone()>{crate::features::ui::plural(d.behind, "connection", "connections")}</a>
                        {format!(" behind version {}.", current_version)}
                    </p>
                    <ul class="mt-2 flex flex-wrap gap-2 text-xs">
                        {d.by_platform.iter().filter(|p| p.behind > 0).map(|p| view! {
                            <li class="rounded-md bg-amber-50 px-2 py-1 text-amber-950">{format!("{}: {} behind, {} current", p.name, p.behind, p.current)}</li>
                        }).collect_view()}
                    </ul>
                    {can_edit2.is_ok().then(|| view! {
                        <a href=apply_href.clone() data-testid="apply-link" class="mt-3 inline-block rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Apply to existing connections\u{2026}"</a>
                    })}
                }.into_any()
            }}
        </Card>
    }
}
