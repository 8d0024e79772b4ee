//! An integration type's version history, one version with its diff, and restoring it.

use super::*;

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
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = viewer.own_scope();
    let store = state.store.as_ref();
    svc::audit_staff_view(store, state.clock.as_ref(), &viewer, &format!("{}/versions", it.as_str())).await?;
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
    use crate::server::context::session;
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let v: i64 = version
        .trim()
        .parse()
        .map_err(|_| AppError::not_found(format!("{version:?} is not a version number.")))?;
    let scope = viewer.own_scope();
    let store = state.store.as_ref();
    svc::audit_staff_view(store, state.clock.as_ref(), &viewer, &format!("{}/versions/{v}", it.as_str()))
        .await?;
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
    use crate::server::context::{session, wants_html};
    use crate::server::sync_config as svc;
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    match svc::restore(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &viewer.own_scope(),
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
