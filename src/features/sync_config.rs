//! The data sync configuration pages: the current version per integration type with its drift,
//! the edit form with a preview of the diff and its impact, the version history with diffs and
//! restore, and "apply to existing connections".
//!
//! Every step is a plain GET or a form post so it works without JavaScript: the edit form's
//! values travel in the URL (`/sync-configuration/{type}/edit?base=N&preview=1&object=…`), the
//! preview's save form carries them on, and a refused save comes back to that URL, so nothing
//! typed is lost.

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
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = own_scope(&viewer);
    svc::audit_staff_view(state.store.as_ref(), &viewer, it.as_str()).await?;
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlatformChoice {
    pub id: String,
    pub name: String,
    pub not_offered: Vec<String>,
    /// The override's frequency, "" for the type's.
    pub frequency: String,
    /// The override's own objects, if it has them.
    pub own_objects: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewView {
    pub changes: Vec<String>,
    /// Existing connections that stay on their version, by platform name.
    pub staying: Vec<(String, i64)>,
    pub staying_total: i64,
    /// An object just enabled and the platforms that cannot sync it.
    pub unsupported: Vec<(String, Vec<String>)>,
    pub next_version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditView {
    pub integration_type: String,
    pub can_edit: Result<(), String>,
    /// The version the form edits now (after a conflict, the newest one).
    pub base: i64,
    pub catalog: Vec<String>,
    pub objects: Vec<String>,
    pub first_link: Vec<String>,
    pub months: String,
    pub frequency: String,
    pub platforms: Vec<PlatformChoice>,
    pub errors: Vec<FieldMessage>,
    /// Someone saved since the version this edit started from: what they changed.
    pub conflict: Option<String>,
    pub preview: Option<PreviewView>,
    /// The form's values as a query string, carried by the save form.
    pub values: String,
    pub comment: String,
}

/// The edit page: the form (from the URL's values, else the current version), and with
/// `preview=1` the diff and impact or what is wrong.
#[server(input = GetUrl, endpoint = "sync_config_edit")]
pub async fn sync_config_edit(
    integration_type: String,
    #[server(default)] search: String,
) -> Result<EditView, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config::{self as svc, settings, EditError};
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = own_scope(&viewer);
    let store = state.store.as_ref();
    svc::audit_staff_view(store, &viewer, it.as_str()).await?;
    let cur = svc::current(store, &scope, it).await?;
    let q: Vec<(String, String)> = crate::url::query_pairs(&search).collect();
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let mut form = if get("months").is_some() {
        settings::SettingsForm::parse(&search)
    } else {
        settings::SettingsForm::from_settings(&cur.settings)
    };
    let base = match get("base") {
        Some(b) => b.trim().parse::<i64>().map_err(|_| {
            AppError::invalid(format!(
                "The edited version {b:?} is not a version number; reload the edit page."
            ))
        })?,
        None => cur.row.version,
    };
    let comment = get("comment").unwrap_or_default();
    let mut errors = vec![];
    let mut conflict = None;
    let mut preview = None;
    let mut edits = base;
    if get("preview").is_some() {
        match svc::preview(store, &scope, it, base, &form).await {
            Ok(p) => {
                if get("attempt").is_some() {
                    errors.extend(svc::comment_error(&comment));
                }
                let staying_total = p.staying.iter().map(|s| s.1).sum();
                preview = Some(PreviewView {
                    changes: p.changes.iter().map(|c| c.text.clone()).collect(),
                    staying: p
                        .staying
                        .iter()
                        .map(|(id, n)| {
                            (crate::domain::platform(id).map(|s| s.name).unwrap_or(id).to_string(), *n)
                        })
                        .collect(),
                    staying_total,
                    unsupported: p
                        .unsupported
                        .iter()
                        .map(|(o, ps)| (o.clone(), ps.iter().map(|p| p.to_string()).collect()))
                        .collect(),
                    next_version: base + 1,
                });
            }
            Err(EditError::Invalid(e)) => errors = e,
            Err(EditError::Conflict(c)) => {
                conflict = Some(c.message());
                // The form now edits the newest version, with this person's changes kept.
                form = svc::rebase_form(store, &scope, it, &c, &form).await?;
                edits = c.current.row.version;
            }
            Err(EditError::Other(e)) => return Err(e.into()),
        }
    }
    let platforms = settings::platforms_of(it)
        .map(|p| {
            let ov = form.overrides.get(p.id);
            PlatformChoice {
                id: p.id.to_string(),
                name: p.name.to_string(),
                not_offered: p.unsupported_objects.iter().map(|o| o.to_string()).collect(),
                frequency: ov.map(|o| o.0.clone()).unwrap_or_default(),
                own_objects: ov.and_then(|o| o.1.clone()),
            }
        })
        .collect();
    Ok(EditView {
        integration_type: it.as_str().to_string(),
        can_edit: svc::may_edit(&viewer),
        base: edits,
        catalog: it.data_objects().iter().map(|o| o.to_string()).collect(),
        values: form.to_query(),
        objects: form.objects,
        first_link: form.first_link,
        months: form.months,
        frequency: form.frequency,
        platforms,
        errors: errors.into_iter().map(|e| FieldMessage { field: e.field, message: e.message }).collect(),
        conflict,
        preview,
        comment,
    })
}

/// The edit page with a refused save's values and comment, which shows the conflict or the
/// field's message: where a refused save goes, with JavaScript and without.
fn edit_url(it: &str, base: i64, values: &str, comment: &str) -> String {
    format!(
        "/sync-configuration/{it}/edit?base={base}&preview=1&attempt=1&{values}&comment={}",
        crate::url::encode_component(comment)
    )
}

/// Saves the previewed values as the next version. A refused save (someone saved first, or a
/// field is wrong) without JavaScript goes back to the edit page with everything typed.
#[server(endpoint = "save_sync_config")]
pub async fn save_sync_config(
    integration_type: String,
    base: i64,
    values: String,
    #[server(default)] comment: String,
) -> Result<i64, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::{session, wants_html};
    use crate::server::sync_config::{self as svc, settings::SettingsForm};
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let form = SettingsForm::parse(&values);
    match svc::save(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &own_scope(&viewer),
        it,
        base,
        &form,
        &comment,
    )
    .await
    {
        Ok(v) => {
            leptos_axum::redirect(&format!("/sync-configuration/{}/versions/{v}?saved=1", it.as_str()));
            Ok(v)
        }
        Err(e) => {
            if wants_html()
                && !matches!(e, svc::EditError::Other(crate::server::service::ServiceError::Forbidden(_)))
            {
                leptos_axum::redirect(&edit_url(it.as_str(), base, &form.to_query(), &comment));
            }
            Err(crate::server::service::ServiceError::from(e).into())
        }
    }
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
                            <td class="px-3 py-2 text-xs">{if o.fetch_on_first_link { "yes" } else { "no: incremental only" }}</td>
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
    let applies_note = format!("Changes apply to new connections and to backfills. Existing connections keep syncing under their version until a backfill brings them forward: {} of {} {} connection(s) in {} are on an older version.", d.behind, d.total, it, v.environment);
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
                view! { <p class="mt-2 text-sm text-slate-700" data-testid="drift-count">{format!("All {} connection(s) run version {}.", d.total, current_version)}</p> }.into_any()
            } else {
                view! {
                    <p class="mt-2 text-sm text-slate-700" data-testid="drift-count">
                        <a class="font-medium text-indigo-700 underline" href=d.connections_href.clone()>{format!("{} connection(s)", d.behind)}</a>
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

fn field_error(errors: &[FieldMessage], field: &str) -> Option<String> {
    let m: Vec<&str> = errors.iter().filter(|e| e.field == field).map(|e| e.message.as_str()).collect();
    (!m.is_empty()).then(|| m.join(" "))
}

#[component]
pub fn EditSyncConfigPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let args = move || (params.with(|p| p.get("type").unwrap_or_default()), location.search.get());
    let data = Resource::new(args, |(t, s)| sync_config_edit(t, s));
    let save = ServerAction::<SaveSyncConfig>::new();
    view! {
        <PageHeader title="Edit sync configuration" subtitle="Preview the changes and their impact, then save them as a new version with a comment." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <EditForm v save /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EditForm(v: EditView, save: ServerAction<SaveSyncConfig>) -> impl IntoView {
    let it = v.integration_type.clone();
    let action = format!("/sync-configuration/{it}/edit");
    let disabled = v.can_edit.is_err();
    let errors = v.errors.clone();
    let err = move |f: &str| field_error(&errors, f);
    let objects_error = err("objects");
    let months_error = err("months");
    let frequency_error = err("frequency");
    let first_link_error = err("first_link");
    let comment_error = err("comment");
    let carried_comment = (!v.comment.is_empty()).then(|| v.comment.clone());
    let editing_line = format!("Editing version {} of the {} configuration.", v.base, it);
    let override_errors: Vec<String> = v
        .errors
        .iter()
        .filter(|e| e.field == "overrides" || e.field.contains('.'))
        .map(|e| e.message.clone())
        .collect();
    view! {
        <TypeTabs current=it.clone() path="/sync-configuration/{type}/edit" />
        {v.can_edit.clone().err().map(|why| view! {
            <p role="note" data-testid="config-read-only" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">{format!("Read-only. {why}")}</p>
        })}
        {v.conflict.clone().map(|c| view! {
            <div role="alert" data-testid="config-conflict" class="mb-4 rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900">
                <p class="font-medium">{c}</p>
            </div>
        })}
        {(!v.errors.is_empty()).then(|| view! {
            <div role="alert" data-testid="config-errors" class="mb-4 rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900">
                <p class="font-medium">"Fix these fields:"</p>
                <ul class="mt-1 list-disc pl-5">{v.errors.iter().map(|e| view! { <li>{e.message.clone()}</li> }).collect_view()}</ul>
            </div>
        })}
        <Card class="mb-4 p-5">
            <form method="get" action=action aria-label="Edit sync configuration">
                <input type="hidden" name="base" value=v.base.to_string() />
                <input type="hidden" name="preview" value="1" />
                // A comment typed before a refused save rides along to the next preview.
                {carried_comment.map(|c| view! { <input type="hidden" name="comment" value=c /> })}
                <fieldset disabled=disabled class="space-y-5">
                    <div>
                        <p class="text-sm text-slate-700">{editing_line}</p>
                    </div>
                    <ObjectsField catalog=v.catalog.clone() objects=v.objects.clone() first_link=v.first_link.clone() error=objects_error.clone() first_link_error=first_link_error.clone() />
                    <div class="flex flex-wrap gap-6">
                        <label class="block text-sm font-semibold text-slate-900">"Initial lookback (months, 1\u{2013}120)"
                            <input name="months" value=v.months.clone() inputmode="numeric" aria-invalid=months_error.is_some().then_some("true") aria-describedby=months_error.as_ref().map(|_| "months-error")
                                class="mt-1 block w-32 rounded-md border border-slate-300 px-2 py-1.5 font-normal" />
                            {months_error.clone().map(|m| view! { <span id="months-error" class="mt-1 block max-w-sm text-sm font-normal text-red-800">{m}</span> })}
                        </label>
                        <label class="block text-sm font-semibold text-slate-900">"Incremental sync frequency"
                            <select name="frequency" aria-invalid=frequency_error.is_some().then_some("true") class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 font-normal">
                                {Frequency::ALL.iter().map(|f| view! { <option value=f.as_str() selected=f.as_str() == v.frequency>{f.label()}</option> }).collect_view()}
                                {(Frequency::parse(&v.frequency).is_none() && !v.frequency.is_empty()).then(|| view! { <option value=v.frequency.clone() selected=true>{v.frequency.clone()}</option> })}
                            </select>
                            {frequency_error.clone().map(|m| view! { <span class="mt-1 block max-w-sm text-sm font-normal text-red-800">{m}</span> })}
                        </label>
                    </div>
                    <OverridesField platforms=v.platforms.clone() catalog=v.catalog.clone() errors=override_errors />
                    <button class="rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">"Preview changes"</button>
                </fieldset>
            </form>
        </Card>
        {v.preview.clone().map(|p| view! {
            <PreviewPanel p it=it.clone() base=v.base values=v.values.clone() comment=v.comment.clone() comment_error=comment_error.clone() disabled save />
        })}
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn PreviewPanel(
    p: PreviewView,
    it: String,
    base: i64,
    values: String,
    comment: String,
    comment_error: Option<String>,
    disabled: bool,
    save: ServerAction<SaveSyncConfig>,
) -> impl IntoView {
    let comment_input = NodeRef::<leptos::html::Input>::new();
    // With JavaScript a refused save goes where it goes without: back to the edit page with the
    // values and the comment, which shows the conflict or the field's message.
    {
        let navigate = use_navigate();
        let (it, values) = (it.clone(), values.clone());
        Effect::new(move |_| {
            if let Some(Err(_)) = save.value().get() {
                let comment = comment_input.get_untracked().map(|el| el.value()).unwrap_or_default();
                navigate(&edit_url(&it, base, &values, &comment), Default::default());
            }
        });
    }
    let it2 = it;
    view! {
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">{format!("Preview of version {}", p.next_version)}</h2>
                    {if p.changes.is_empty() {
                        view! { <p class="mt-2 text-sm text-slate-700" data-testid="config-preview">"Nothing changed: these are the current settings."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="mt-2 list-disc pl-5 text-sm text-slate-900" data-testid="config-preview">
                                {p.changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}
                            </ul>
                            <p class="mt-3 text-sm text-slate-700" data-testid="config-impact">
                                {format!("Impact: {} existing connection(s) stay on their current version until backfilled", p.staying_total)}
                                {(!p.staying.is_empty()).then(|| format!(" ({})", p.staying.iter().map(|(n, c)| format!("{n}: {c}")).collect::<Vec<_>>().join(", ")))}
                                ". New connections get the new version."
                            </p>
                            {(!p.unsupported.is_empty()).then(|| view! {
                                <ul class="mt-2 list-disc pl-5 text-sm text-amber-900" data-testid="config-unsupported">
                                    {p.unsupported.iter().map(|(o, ps)| view! { <li>{format!("{o} was enabled, but {} cannot sync it.", ps.join(", "))}</li> }).collect_view()}
                                </ul>
                            })}
                            <ActionForm action=save attr:class="mt-4 space-y-3" attr:aria-label="Save configuration">
                                <input type="hidden" name="integration_type" value=it2.clone() />
                                <input type="hidden" name="base" value=base.to_string() />
                                <input type="hidden" name="values" value=values.clone() />
                                <label class="block text-sm font-semibold text-slate-900">"Comment (required)"
                                    <input node_ref=comment_input name="comment" required maxlength="500" value=comment.clone() placeholder="Ticket 4521: Xero invoices every hour"
                                        aria-invalid=comment_error.is_some().then_some("true")
                                        class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm font-normal" />
                                    {comment_error.clone().map(|m| view! { <span class="mt-1 block text-sm font-normal text-red-800">{m}</span> })}
                                </label>
                                <button disabled=disabled class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
                                    {format!("Save as version {}", p.next_version)}
                                </button>
                            </ActionForm>
                        }.into_any()
                    }}
                </Card>
    }
}

#[component]
fn ObjectsField(
    catalog: Vec<String>,
    objects: Vec<String>,
    first_link: Vec<String>,
    error: Option<String>,
    first_link_error: Option<String>,
) -> impl IntoView {
    view! {
                    <fieldset aria-describedby=error.as_ref().map(|_| "objects-error")>
                        <legend class="text-sm font-semibold text-slate-900">"Data objects"</legend>
                        <p class="text-xs text-slate-600">"Synced: the scheduler syncs it. Fetched on first link: a new connection's initial sync pulls its history."</p>
                        {error.clone().map(|m| view! { <p id="objects-error" class="mt-1 text-sm text-red-800">{m}</p> })}
                        {first_link_error.clone().map(|m| view! { <p class="mt-1 text-sm text-red-800">{m}</p> })}
                        <table class="mt-2 text-sm">
                            <thead class="text-left text-xs text-slate-600"><tr><th class="py-1 pr-6 font-medium">"Object"</th><th class="py-1 pr-6 font-medium">"Synced"</th><th class="py-1 font-medium">"Fetched on first link"</th></tr></thead>
                            <tbody>
                                {catalog.iter().map(|o| {
                                    let (id1, id2) = (format!("object-{o}"), format!("first-{o}"));
                                    view! {
                                        <tr>
                                            <td class="py-1 pr-6 font-mono text-xs">{o.clone()}</td>
                                            <td class="py-1 pr-6"><input id=id1 type="checkbox" name="object" value=o.clone() checked=objects.contains(o) aria-label=format!("Sync {o}") /></td>
                                            <td class="py-1"><input id=id2 type="checkbox" name="first_link" value=o.clone() checked=first_link.contains(o) aria-label=format!("Fetch {o} on first link") /></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </fieldset>
    }
}

#[component]
fn OverridesField(
    platforms: Vec<PlatformChoice>,
    catalog: Vec<String>,
    errors: Vec<String>,
) -> impl IntoView {
    view! {
                    <fieldset>
                        <legend class="text-sm font-semibold text-slate-900">"Platform overrides"</legend>
                        <p class="text-xs text-slate-600">"For one platform, a different frequency or its own list of objects. Versioned with the rest."</p>
                        {errors.iter().map(|m| view! { <p class="mt-1 text-sm text-red-800">{m.clone()}</p> }).collect_view()}
                        <div class="mt-2 space-y-2">
                            {platforms.iter().map(|p| {
                                let open = !p.frequency.is_empty() || p.own_objects.is_some();
                                let own = p.own_objects.clone();
                                let pid = p.id.clone();
                                view! {
                                    <details open=open class="rounded-md border border-slate-200 px-3 py-2" data-testid=format!("override-{}", p.id)>
                                        <summary class="cursor-pointer text-sm font-medium text-slate-900">{p.name.clone()}{open.then_some(" (overridden)")}</summary>
                                        <div class="mt-2 space-y-2 text-sm">
                                            <label class="block">"Frequency "
                                                <select name=format!("{pid}.frequency") class="ml-1 rounded-md border border-slate-300 px-2 py-1">
                                                    <option value="" selected=p.frequency.is_empty()>"Type default"</option>
                                                    {Frequency::ALL.iter().map(|f| view! { <option value=f.as_str() selected=f.as_str() == p.frequency>{f.label()}</option> }).collect_view()}
                                                </select>
                                            </label>
                                            <label class="flex items-center gap-2"><input type="checkbox" name=format!("{pid}.own_objects") value="1" checked=own.is_some() />{format!("{} syncs its own objects:", p.name)}</label>
                                            <div class="flex flex-wrap gap-3 pl-6">
                                                {catalog.iter().map(|o| {
                                                    let offered = !p.not_offered.contains(o);
                                                    let checked = own.as_ref().is_some_and(|l| l.contains(o));
                                                    view! {
                                                        <label class="flex items-center gap-1 text-xs">
                                                            <input type="checkbox" name=format!("{pid}.object") value=o.clone() checked=checked disabled=!offered />
                                                            <span class="font-mono">{o.clone()}</span>{(!offered).then_some(" (not offered)")}
                                                        </label>
                                                    }
                                                }).collect_view()}
                                            </div>
                                        </div>
                                    </details>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub version: VersionInfo,
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryView {
    pub integration_type: String,
    pub current_version: i64,
    pub items: Vec<HistoryItem>,
    pub older: Option<String>,
    pub newer: Option<String>,
}

/// Versions per page of the history.
pub const HISTORY_PAGE: i64 = 25;

#[server(input = GetUrl, endpoint = "sync_config_history")]
pub async fn sync_config_history(
    integration_type: String,
    #[server(default)] before: String,
) -> Result<HistoryView, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = own_scope(&viewer);
    let store = state.store.as_ref();
    svc::audit_staff_view(store, &viewer, &format!("{}/versions", it.as_str())).await?;
    let before = match before.trim() {
        "" => None,
        b => Some(
            b.parse::<i64>()
                .map_err(|_| AppError::invalid(format!("The page cursor {b:?} is not a version number.")))?,
        ),
    };
    let cur = svc::current(store, &scope, it).await?;
    let items = svc::history(store, &scope, it, before, HISTORY_PAGE).await?;
    let base = format!("/sync-configuration/{}/versions", it.as_str());
    let older = items
        .last()
        .filter(|(v, _)| v.row.version > 1)
        .map(|(v, _)| format!("{base}?before={}", v.row.version));
    let newer = before.filter(|b| *b <= cur.row.version).map(|b| {
        let next = b + HISTORY_PAGE;
        if next > cur.row.version {
            base.clone()
        } else {
            format!("{base}?before={next}")
        }
    });
    Ok(HistoryView {
        integration_type: it.as_str().to_string(),
        current_version: cur.row.version,
        items: items
            .iter()
            .map(|(v, changes)| HistoryItem {
                version: convert::version_info(v),
                changes: changes.iter().map(|c| c.text.clone()).collect(),
            })
            .collect(),
        older,
        newer,
    })
}

#[component]
pub fn SyncConfigHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params.with(|p| p.get("type").unwrap_or_default()),
            query.with(|q| q.get("before").unwrap_or_default()),
        )
    };
    let data = Resource::new(args, |(t, b)| sync_config_history(t, b));
    view! {
        <PageHeader title="Configuration history" subtitle="Every saved version with who saved it, when, why and what changed. Restoring an old version saves it as a new one; history is never rewritten." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(h) => {
                        let it = h.integration_type.clone();
                        view! {
                            <TypeTabs current=it.clone() path="/sync-configuration/{type}/versions" />
                            <Card>
                                <ol class="divide-y divide-slate-100" data-testid="config-history">
                                    {h.items.into_iter().map(|item| {
                                        let href = format!("/sync-configuration/{it}/versions/{}", item.version.version);
                                        let current = item.version.version == h.current_version;
                                        view! {
                                            <li class="px-5 py-4">
                                                <div class="flex flex-wrap items-baseline gap-2">
                                                    <a href=href class="font-semibold text-indigo-700 underline">{format!("Version {}", item.version.version)}</a>
                                                    {current.then(|| view! { <span class="rounded bg-emerald-50 px-1.5 py-0.5 text-xs font-medium text-emerald-800">"current"</span> })}
                                                    <span class="text-sm text-slate-700">{format!("{} · {}", item.version.author.clone().unwrap_or_else(|| "unknown".into()), format_time_utc(item.version.created_at))}</span>
                                                </div>
                                                {(!item.version.comment.is_empty()).then(|| view! { <p class="mt-1 text-sm italic text-slate-700">{format!("\u{201c}{}\u{201d}", item.version.comment)}</p> })}
                                                {if item.changes.is_empty() {
                                                    view! { <p class="mt-1 text-xs text-slate-600">{if item.version.version == 1 { "The first version." } else { "No changes from the version before." }}</p> }.into_any()
                                                } else {
                                                    view! { <ul class="mt-1 list-disc pl-5 text-sm text-slate-900" data-testid="version-diff">{item.changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul> }.into_any()
                                                }}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                                <Pager newer=h.newer.clone() older=h.older.clone() />
                            </Card>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub integration_type: String,
    pub version: VersionInfo,
    pub settings: SettingsView,
    pub changes: Vec<String>,
    pub current_version: i64,
    pub can_edit: Result<(), String>,
    /// A restore of this version was refused: why.
    pub restore_error: Option<String>,
}

#[server(input = GetUrl, endpoint = "sync_config_version")]
pub async fn sync_config_version(
    integration_type: String,
    version: String,
    #[server(default)] restore_base: String,
) -> Result<VersionView, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let v: i64 = version
        .trim()
        .parse()
        .map_err(|_| AppError::not_found(format!("{version:?} is not a version number.")))?;
    let scope = own_scope(&viewer);
    let store = state.store.as_ref();
    svc::audit_staff_view(store, &viewer, &format!("{}/versions/{v}", it.as_str())).await?;
    let cur = svc::current(store, &scope, it).await?;
    let this = svc::version(store, &scope, it, v).await?;
    let changes = if v > 1 {
        let prev = svc::version(store, &scope, it, v - 1).await?;
        svc::settings::diff(it, &prev.settings, &this.settings).into_iter().map(|c| c.text).collect()
    } else {
        vec![]
    };
    // A restore refused without JavaScript comes back here with the version it was based on.
    let restore_error = match restore_base.trim().parse::<i64>() {
        Ok(b) => match svc::check_base(store, &scope, it, b).await {
            Err(svc::EditError::Conflict(c)) => Some(c.message()),
            _ => None,
        },
        Err(_) => None,
    };
    Ok(VersionView {
        integration_type: it.as_str().to_string(),
        version: convert::version_info(&this),
        settings: convert::settings_view(it, &this.settings),
        changes,
        current_version: cur.row.version,
        can_edit: svc::may_edit(&viewer),
        restore_error,
    })
}

/// Saves a new version equal to an old one.
#[server(endpoint = "restore_sync_config")]
pub async fn restore_sync_config(integration_type: String, version: i64, base: i64) -> Result<i64, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::{session, wants_html};
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    match svc::restore(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &own_scope(&viewer),
        it,
        version,
        base,
    )
    .await
    {
        Ok(v) => {
            leptos_axum::redirect(&format!("/sync-configuration/{}/versions/{v}?saved=1", it.as_str()));
            Ok(v)
        }
        Err(e) => {
            if wants_html() && matches!(e, svc::EditError::Conflict(_)) {
                leptos_axum::redirect(&format!(
                    "/sync-configuration/{}/versions/{version}?restore_base={base}",
                    it.as_str()
                ));
            }
            Err(crate::server::service::ServiceError::from(e).into())
        }
    }
}

#[component]
pub fn SyncConfigVersionPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params.with(|p| (p.get("type").unwrap_or_default(), p.get("version").unwrap_or_default())),
            query.with(|q| (q.get("restore_base").unwrap_or_default(), q.get("saved").is_some())),
        )
    };
    let data = Resource::new(args, |((t, v), (b, _))| sync_config_version(t, v, b));
    let restore = ServerAction::<RestoreSyncConfig>::new();
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let saved = query.with_untracked(|q| q.get("saved").is_some());
                match data.await {
                    Err(e) => view! { <PageHeader title="Configuration version" /><ErrorNotice error=e /> }.into_any(),
                    Ok(v) => {
                        let it = v.integration_type.clone();
                        let is_current = v.version.version == v.current_version;
                        let title = format!("{} configuration, version {}", crate::domain::IntegrationType::parse(&it).map(|t| t.label()).unwrap_or("Sync"), v.version.version);
                        let all_href = format!("/sync-configuration/{it}/versions");
                        view! {
                            <PageHeader title=title>
                                <a href=all_href class="text-sm font-medium text-indigo-700 underline">"All versions"</a>
                            </PageHeader>
                            {saved.then(|| view! { <p role="status" data-testid="config-saved" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">{format!("Saved as version {}. New connections and backfills use it; existing connections stay on their version until backfilled.", v.version.version)}</p> })}
                            {v.restore_error.clone().map(|m| view! { <div role="alert" data-testid="config-conflict" class="mb-4 rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-900">{m}</div> })}
                            <Card class="mb-4 p-5">
                                <VersionLine v=v.version.clone() />
                                {(!v.changes.is_empty()).then(|| view! {
                                    <h2 class="mt-3 text-sm font-semibold text-slate-900">{format!("Changes from version {}", v.version.version - 1)}</h2>
                                    <ul class="mt-1 list-disc pl-5 text-sm text-slate-900" data-testid="version-diff">{v.changes.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
                                })}
                                {if is_current {
                                    view! { <p class="mt-3 text-sm text-slate-700">"This is the current version."</p> }.into_any()
                                } else if v.can_edit.is_ok() {
                                    view! {
                                        <ActionForm action=restore attr:class="mt-4" attr:aria-label="Restore this version">
                                            <input type="hidden" name="integration_type" value=it.clone() />
                                            <input type="hidden" name="version" value=v.version.version.to_string() />
                                            <input type="hidden" name="base" value=v.current_version.to_string() />
                                            <button class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">{format!("Restore as version {}", v.current_version + 1)}</button>
                                        </ActionForm>
                                        {move || restore.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3" data-testid="config-conflict"><ErrorNotice error=e /></div> })}
                                    }.into_any()
                                } else {
                                    view! { <p class="mt-3 text-sm text-slate-700" data-testid="config-read-only">{format!("Read-only. {}", v.can_edit.clone().err().unwrap_or_default())}</p> }.into_any()
                                }}
                            </Card>
                            <Card class="p-5"><SettingsTable s=v.settings.clone() /></Card>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyConnection {
    pub id: String,
    pub name: String,
    pub platform: String,
    pub version: i64,
    pub status: String,
    pub objects: Vec<String>,
    pub chosen: bool,
    /// Its last backfill to a newer version failed: that backfill and why.
    pub failed: Option<(String, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyView {
    pub integration_type: String,
    pub current_version: i64,
    pub history_months: i64,
    pub connections: Vec<ApplyConnection>,
    pub truncated: bool,
    /// Runs the chosen connections need, and how many of them move without any.
    pub runs: usize,
    pub moves: usize,
    pub can_edit: Result<(), String>,
    pub submission_key: String,
}

#[server(input = GetUrl, endpoint = "sync_config_apply_review")]
pub async fn sync_config_apply_review(
    integration_type: String,
    #[server(default)] connections: String,
) -> Result<ApplyView, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = own_scope(&viewer);
    let chosen: Vec<String> = super::backfills::split_list(&connections);
    let plan = svc::apply_plan(state.store.as_ref(), state.clock.as_ref(), &scope, it, &[]).await?;
    let is_chosen = |id: &str| chosen.is_empty() || chosen.iter().any(|c| c == id);
    if let Some(bad) = chosen.iter().find(|c| !plan.connections.iter().any(|b| &b.row.connection.id == *c)) {
        return Err(AppError::invalid(format!(
            "Connection {bad} is not behind the current {} configuration (or is not in this environment).",
            it.as_str()
        )));
    }
    let picked = plan.connections.iter().filter(|c| is_chosen(&c.row.connection.id));
    let runs = picked.clone().filter(|c| c.fetches()).map(|c| c.objects.len()).sum();
    let moves = picked.filter(|c| c.moves_at_once()).count();
    Ok(ApplyView {
        integration_type: it.as_str().to_string(),
        current_version: plan.current.row.version,
        history_months: plan.current.settings.history_months,
        connections: plan
            .connections
            .iter()
            .map(|c| ApplyConnection {
                id: c.row.connection.id.clone(),
                name: c.row.connection.display_name.clone(),
                platform: crate::domain::platform(&c.row.connection.platform_id)
                    .map(|p| p.name)
                    .unwrap_or("?")
                    .to_string(),
                version: c.row.connection.config_version,
                status: c.row.connection.status.as_str().to_string(),
                objects: c.objects.iter().map(|o| o.to_string()).collect(),
                chosen: is_chosen(&c.row.connection.id),
                failed: c.row.failed_backfill.clone().map(|b| (b, c.row.failure.clone())),
            })
            .collect(),
        truncated: plan.truncated,
        runs,
        moves,
        can_edit: svc::may_edit(&viewer),
        submission_key: crate::server::auth::random_token(16),
    })
}

/// Queues the backfill bringing the chosen connections to the current version.
#[server(endpoint = "apply_sync_config")]
pub async fn apply_sync_config(
    integration_type: String,
    #[server(default)] connections: String,
    key: String,
) -> Result<Option<String>, AppError> {
    use crate::server::access::own_scope;
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let chosen: Vec<String> = super::backfills::split_list(&connections);
    let applied = svc::apply(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &own_scope(&viewer),
        it,
        &chosen,
        &key,
    )
    .await?;
    state.worker_waker.wake();
    match &applied.backfill_id {
        Some(id) => leptos_axum::redirect(&format!("/backfills/{id}")),
        None => leptos_axum::redirect(&format!("/sync-configuration?type={}", it.as_str())),
    }
    Ok(applied.backfill_id)
}

#[component]
pub fn ApplySyncConfigPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params.with(|p| p.get("type").unwrap_or_default()),
            query.with(|q| q.get_all("connection").unwrap_or_default().join(",")),
        )
    };
    let data = Resource::new(args, |(t, c)| sync_config_apply_review(t, c));
    let apply = ServerAction::<ApplySyncConfig>::new();
    view! {
        <PageHeader title="Apply to existing connections" subtitle="One backfill brings the connections behind the current version forward: it fetches only what each one's version lacks, over the configured lookback. Each connection moves to the current version when its part succeeds." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <div data-testid="apply-error"><ErrorNotice error=e /></div> }.into_any(),
                    Ok(v) => view! { <ApplyForm v apply /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ApplyForm(v: ApplyView, apply: ServerAction<ApplySyncConfig>) -> impl IntoView {
    let it = v.integration_type.clone();
    if v.connections.is_empty() {
        return view! {
            <Card class="p-5"><p class="text-sm text-slate-700" data-testid="apply-nothing">{format!("Every {it} connection runs version {}: nothing to apply.", v.current_version)}</p>
            <a class="mt-2 inline-block text-sm font-medium text-indigo-700 underline" href=format!("/sync-configuration?type={it}")>"Back to the configuration"</a></Card>
        }.into_any();
    }
    let chosen: Vec<String> = v.connections.iter().filter(|c| c.chosen).map(|c| c.id.clone()).collect();
    let all_chosen = chosen.len() == v.connections.len();
    let behind_line = format!(
        "{} connection(s) are behind version {}{}.",
        v.connections.len(),
        v.current_version,
        if v.truncated { " (the first 1,000 are listed; apply again for the rest)" } else { "" }
    );
    let review_line = format!(
        "{} of {} chosen: queues {} run(s) over the last {} months",
        chosen.len(),
        v.connections.len(),
        v.runs,
        v.history_months
    );
    let choose_action = format!("/sync-configuration/{it}/apply");
    view! {
        {v.can_edit.clone().err().map(|why| view! { <p role="note" data-testid="config-read-only" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">{format!("Read-only. {why}")}</p> })}
        <Card class="mb-4 p-5">
            <form method="get" action=choose_action aria-label="Choose connections">
                <p class="text-sm text-slate-700">{behind_line}</p>
                <div class="mt-3 overflow-x-auto" tabindex="0" role="region" aria-label="Connections behind">
                    <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="apply-connections">
                        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-600">
                            <tr><th class="px-3 py-2"><span class="sr-only">"Include"</span></th><th class="px-3 py-2">"Connection"</th><th class="px-3 py-2">"Platform"</th><th class="px-3 py-2">"Version"</th><th class="px-3 py-2">"Fetches"</th></tr>
                        </thead>
                        <tbody class="divide-y divide-slate-100">
                            {v.connections.iter().map(|c| view! {
                                <tr>
                                    <td class="px-3 py-2"><input type="checkbox" name="connection" value=c.id.clone() checked=c.chosen aria-label=format!("Include {}", c.name) /></td>
                                    <td class="px-3 py-2"><a class="font-medium text-indigo-700 underline" href=format!("/connections/{}", c.id)>{c.name.clone()}</a>
                                        {c.failed.clone().map(|(bf, why)| view! { <span class="block text-xs text-red-800">"Last apply failed"{why.map(|w| format!(": {w}"))}" ("<a class="underline" href=format!("/backfills/{bf}")>"backfill"</a>")"</span> })}
                                        {(c.status == "disabled").then(|| view! { <span class="block text-xs text-slate-600">"Disabled: stays behind until re-enabled"</span> })}
                                    </td>
                                    <td class="px-3 py-2">{c.platform.clone()}</td>
                                    <td class="px-3 py-2 tabular-nums">{format!("v{}", c.version)}</td>
                                    <td class="px-3 py-2 text-xs">{if c.objects.is_empty() { "nothing: moves to the current version at once".to_string() } else { c.objects.join(", ") }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <button class="mt-3 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 hover:bg-slate-50">"Update the count"</button>
            </form>
        </Card>
        <Card class="p-5">
            <p class="text-sm text-slate-900" data-testid="apply-review">
                {review_line}
                {(v.moves > 0).then(|| format!("; {} connection(s) need nothing fetched and move at once", v.moves))}
                "."
            </p>
            <ActionForm action=apply attr:class="mt-3" attr:aria-label="Apply configuration">
                <input type="hidden" name="integration_type" value=it.clone() />
                <input type="hidden" name="connections" value=if all_chosen { String::new() } else { chosen.join(",") } />
                <input type="hidden" name="key" value=v.submission_key.clone() />
                <button disabled=v.can_edit.is_err() || chosen.is_empty() class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">
                    {format!("Apply version {} to {} connection(s)", v.current_version, chosen.len())}
                </button>
            </ActionForm>
            {move || apply.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mt-3" data-testid="apply-error"><ErrorNotice error=e /></div> })}
        </Card>
    }.into_any()
}
