//! API keys of the selected organization and environment. Owners and admins create them; the
//! secret is shown once and only its SHA-256 and prefix are stored. A key's scope says what it
//! may call: `ingest` keys are the data plane's (`/api/v1/ingest/...`), `read` keys are for
//! customers' own tooling (`GET /api/v1/...`).

use super::ui::{
    format_time_utc, Badge, Card, CopyButton, ErrorNotice, Loading, PageHeader, Pager, TableHead,
};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scope: crate::domain::KeyScope,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeysView {
    pub environment: String,
    pub can_create: bool,
    pub keys: Vec<ApiKeySummary>,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// A key created by a form post without JavaScript, shown on this one page load.
    pub just_created: Option<CreatedKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub name: String,
    pub secret: String,
}

/// Keys per page.
pub const PAGE_SIZE: i64 = 50;
#[cfg(feature = "ssr")]
const PAGE_PATH: &str = "/settings/api-keys";

#[server(input = GetUrl, endpoint = "list_api_keys")]
pub async fn list_api_keys(
    #[server(default)] before: Option<String>,
    #[server(default)] after: Option<String>,
) -> Result<ApiKeysView, AppError> {
    use crate::ids::prefix;
    use crate::server::actor::Actor;
    use crate::server::auth::cookie_value;
    use crate::server::context::{internal, session};
    use crate::server::reveal;
    use crate::server::service::page_from_cursors;
    use crate::server::store::keyset_window;
    let (state, viewer) = session()?;
    let page = page_from_cursors(prefix::API_KEY, "key", before.as_deref(), after.as_deref())?;
    let actor = Actor::Person(viewer.clone());
    let rows = crate::server::api_keys::list(state.store.as_ref(), &actor, &page, PAGE_SIZE + 1).await?;
    let (rows, newer, older) = keyset_window(rows, &page, PAGE_SIZE, |k| k.id.clone());
    let keys = rows
        .into_iter()
        .map(|k| ApiKeySummary {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scope: k.scope,
            created_by: k.created_by_email,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked: k.revoked_at.is_some(),
        })
        .collect();
    // A key created without JavaScript: its pad is in this request's cookie, its ciphertext in
    // the database until this read deletes it.
    let parts = use_context::<http::request::Parts>();
    let pad_cookie =
        parts.as_ref().and_then(|p| cookie_value(&p.headers, reveal::COOKIE).map(str::to_string));
    let just_created = match pad_cookie {
        Some(cookie) => {
            let secure = state.settings.public_url.https;
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                if let Ok(v) = http::HeaderValue::from_str(&reveal::clear_cookie_header(PAGE_PATH, secure)) {
                    res.append_header(http::header::SET_COOKIE, v);
                }
            }
            reveal::open(state.store.as_ref(), state.clock.now_ms(), &viewer.token_hash, &cookie)
                .await
                .map_err(internal)?
                .and_then(|json| serde_json::from_str(&json).ok())
        }
        None => None,
    };
    Ok(ApiKeysView {
        environment: viewer.environment.as_str().to_string(),
        can_create: viewer.can_administer(),
        keys,
        newer: newer.map(|c| format!("{PAGE_PATH}?after={c}")),
        older: older.map(|c| format!("{PAGE_PATH}?before={c}")),
        just_created,
    })
}

#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String, #[server(default)] scope: String) -> Result<CreatedKey, AppError> {
    use crate::domain::KeyScope;
    use crate::server::actor::Actor;
    use crate::server::context::{internal, session};
    use crate::server::{api_keys, reveal};
    let (state, viewer) = session()?;
    let key_scope = KeyScope::from_form(&scope)?;
    let actor = Actor::Person(viewer.clone());
    let key = api_keys::create(state.store.as_ref(), state.clock.as_ref(), &actor, &name, key_scope).await?;
    let created = CreatedKey { name: name.trim().to_string(), secret: key.secret };
    if crate::server::context::wants_html() {
        // Without JavaScript the browser is redirected back to the list, which shows the key
        // once (see `server::reveal`): never in the URL, never in plain text in the database.
        let json = serde_json::to_string(&created).map_err(|_| AppError::Internal)?;
        let cookie = reveal::seal(state.store.as_ref(), state.clock.now_ms(), &viewer.token_hash, &json)
            .await
            .map_err(internal)?;
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            let header = reveal::cookie_header(&cookie, PAGE_PATH, state.settings.public_url.https);
            if let Ok(v) = http::HeaderValue::from_str(&header) {
                res.append_header(http::header::SET_COOKIE, v);
            }
        }
        leptos_axum::redirect(PAGE_PATH);
    }
    Ok(created)
}

/// Revokes a key of the selected environment: calls with it fail from then on.
#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<String, AppError> {
    use crate::server::actor::Actor;
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let actor = Actor::Person(viewer);
    let id = crate::server::api_keys::revoke(state.store.as_ref(), state.clock.as_ref(), &actor, &id, None)
        .await?;
    if crate::server::context::wants_html() {
        leptos_axum::redirect(PAGE_PATH);
    }
    Ok(id)
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let query = use_query_map();
    let keys = Resource::new(
        move || {
            (
                create.version().get(),
                revoke.version().get(),
                query.with(|q| (q.get("before"), q.get("after"))),
            )
        },
        |(_, _, (before, after))| list_api_keys(before, after),
    );
    view! {
        <PageHeader title="API keys" subtitle="Keys authenticate calls to the Switchboard API: ingest keys for your data plane, read keys for your own tooling, backfills keys for tooling that also starts backfills. Each key belongs to one environment." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(v) => view! { <ApiKeysBody v create revoke /> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn NewKeyNotice(key: CreatedKey) -> impl IntoView {
    view! {
        <div role="status" data-testid="new-api-key" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 p-4 text-sm text-emerald-900">
            <p class="font-medium">"Key \u{201c}" {key.name} "\u{201d} created. Copy it now: it will not be shown again."</p>
            <div class="mt-2 flex items-center gap-2">
                <code class="block min-w-0 flex-1 select-all break-all rounded bg-white px-3 py-2 font-mono text-sm text-slate-900 ring-1 ring-emerald-200">{key.secret.clone()}</code>
                <CopyButton text=key.secret label="Copy the key" />
            </div>
        </div>
    }
}

#[component]
fn ApiKeysBody(
    v: ApiKeysView,
    create: ServerAction<CreateApiKey>,
    revoke: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let env = v.environment.clone();
    let can_revoke = v.can_create;
    let (newer, older) = (v.newer.clone(), v.older.clone());
    view! {
        {v.just_created.map(|k| view! { <NewKeyNotice key=k /> })}
        {move || create.value().get().map(|r| match r {
            Ok(k) => view! { <NewKeyNotice key=k /> }.into_any(),
            Err(e) => view! { <div class="mb-4"><ErrorNotice error=e /></div> }.into_any(),
        })}
        {move || revoke.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice error=e /></div> })}
        {if v.can_create {
            view! {
                <Card class="mb-6 p-5">
                    <ActionForm action=create attr:class="flex flex-wrap items-end gap-3">
                        <div class="min-w-[16rem] flex-1">
                            <label for="key-name" class="block text-sm font-medium text-slate-700">"New key name"</label>
                            <input id="key-name" name="name" required maxlength="80" placeholder="billing-service"
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                        </div>
                        <div>
                            <label for="key-scope" class="block text-sm font-medium text-slate-700">"Scope"</label>
                            <select id="key-scope" name="scope" class="mt-1 block w-full max-w-full rounded-md sm:w-auto border border-slate-300 bg-white px-3 py-2 text-sm">
                                <option value="read" selected>"read: request logs, connections, syncs, deliveries"</option>
                                <option value="backfills">"backfills: everything read does, and starting backfills"</option>
                                <option value="ingest">"ingest: the data plane sends logs, runs and events"</option>
                            </select>
                        </div>
                        <button class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500">
                            {format!("Create {env} key")}
                        </button>
                    </ActionForm>
                </Card>
            }.into_any()
        } else {
            view! {
                <p data-testid="admin-only-note" class="mb-6 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-600">
                    "Only owners and admins can create API keys. Ask an owner of your organization if you need one."
                </p>
            }.into_any()
        }}
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="API keys">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <TableHead columns=&["Name", "Key", "Scope", "Created", "Created by", "Last used", "Status", ""] />
                    <tbody class="divide-y divide-slate-100">
                        {if v.keys.is_empty() {
                            view! { <tr><td colspan="8" class="px-4 py-6 text-center text-slate-600">"No API keys in this environment yet."</td></tr> }.into_any()
                        } else {
                            v.keys.into_iter().map(|k| {
                                let label = format!("Revoke {}", k.name);
                                view! {
                                <tr>
                                    <td class="whitespace-nowrap px-4 py-2 font-medium">{k.name}</td>
                                    <td class="px-4 py-2 font-mono text-xs">{k.prefix} "…"</td>
                                    <td class="px-4 py-2">{k.scope.as_str()}</td>
                                    <td class="whitespace-nowrap px-4 py-2 text-slate-600">{format_time_utc(k.created_at)}</td>
                                    <td class="px-4 py-2 text-slate-600">{k.created_by.unwrap_or_else(|| "—".into())}</td>
                                    <td class="whitespace-nowrap px-4 py-2 text-slate-600">{k.last_used_at.map(format_time_utc).unwrap_or_else(|| "never".into())}</td>
                                    <td class="px-4 py-2">
                                        {if k.revoked {
                                            view! { <Badge tone=crate::features::ui::Tone::Neutral.classes()>"Revoked"</Badge> }.into_any()
                                        } else {
                                            view! { <Badge tone=crate::features::ui::Tone::Good.classes()>"Active"</Badge> }.into_any()
                                        }}
                                    </td>
                                    <td class="px-4 py-2 text-right">
                                        {(can_revoke && !k.revoked).then(|| {
                                            view! {
                                                // A <details> confirmation: works without JavaScript.
                                                <details class="inline-block text-left">
                                                    <summary class="cursor-pointer list-none rounded-md px-2 py-1 text-sm font-medium text-red-700 hover:bg-red-50">"Revoke"</summary>
                                                    <ActionForm action=revoke attr:class="mt-2 flex items-center gap-2">
                                                        <input type="hidden" name="id" value=k.id.clone() />
                                                        <span class="text-xs text-slate-700">"Calls with this key will fail."</span>
                                                        <button aria-label=label class="rounded-md bg-red-600 px-3 py-1 text-xs font-semibold text-white hover:bg-red-500">"Revoke key"</button>
                                                    </ActionForm>
                                                </details>
                                            }
                                        })}
                                    </td>
                                </tr>
                            }}).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
            <Pager newer older />
        </Card>
    }
}
