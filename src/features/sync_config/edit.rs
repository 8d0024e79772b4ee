//! Editing an integration type's configuration: the form, the preview of its diff and impact,
//! and saving it as a new version.

use super::*;

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
    use crate::server::context::session;
    use crate::server::sync_config::{self as svc, settings, EditError};
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let scope = viewer.own_scope();
    let store = state.store.as_ref();
    svc::audit_staff_view(store, state.clock.as_ref(), &viewer, it.as_str()).await?;
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
    use crate::server::context::{session, wants_html};
    use crate::server::sync_config::{self as svc, settings::SettingsForm};
    let (state, viewer) = session()?;
    let it = convert::integration_type(&integration_type)?;
    let form = SettingsForm::parse(&values);
    match svc::save(
        state.store.as_ref(),
        state.clock.as_ref(),
        &viewer,
        &viewer.own_scope(),
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
                                {format!("Impact: {} on {} current version until backfilled", crate::features::ui::plural(p.staying_total, "existing connection stays", "existing connections stay"), if p.staying_total == 1 { "its" } else { "their" })}
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
