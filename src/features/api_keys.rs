//! API keys of the selected organization and environment. Owners and admins create them; the
//! secret is shown once and only its SHA-256 and prefix are stored.

use super::ui::{format_time_utc, Badge, Card, ErrorNotice, Loading, PageHeader, TableHead};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeySummary {
    pub id: String,
    pub name: String,
    pub prefix: String,
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
    /// A key created by a form post without JavaScript, shown on this one page load.
    pub just_created: Option<CreatedKey>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub name: String,
    pub secret: String,
}

#[server(input = GetUrl)]
pub async fn list_api_keys() -> Result<ApiKeysView, AppError> {
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let keys = state
        .store
        .list_api_keys(&viewer.organization_id, viewer.environment.as_str())
        .await
        .map_err(internal)?
        .into_iter()
        .map(|k| ApiKeySummary {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_by: k.created_by_email,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked: k.revoked_at.is_some(),
        })
        .collect();
    let just_created = match state.store.take_session_flash(&viewer.token_hash).await.map_err(internal)? {
        Some(flash) => serde_json::from_str(&flash).ok(),
        None => None,
    };
    Ok(ApiKeysView {
        environment: viewer.environment.as_str().to_string(),
        can_create: viewer.can_administer(),
        keys,
        just_created,
    })
}

#[server(endpoint = "create_api_key")]
pub async fn create_api_key(name: String) -> Result<CreatedKey, AppError> {
    use crate::ids::{make_id, prefix};
    use crate::server::auth::{audit, hash_token, now_ms, random_token};
    use crate::server::context::{internal, session};
    use crate::server::store::NewApiKey;
    let (state, viewer) = session()?;
    let plain_form_post = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if !viewer.can_administer() {
        return Err(AppError::forbidden("Only owners and admins can create API keys."));
    }
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(AppError::invalid(
            "Give the key a name of 1 to 80 characters, such as \"billing-service\".",
        ));
    }
    let kind = if viewer.environment.as_str() == "production" { "live" } else { "test" };
    let secret = format!("sk_{kind}_{}", random_token(20));
    let now = now_ms();
    let key = NewApiKey {
        id: make_id(prefix::API_KEY, now, rand::random()),
        organization_id: viewer.organization_id.clone(),
        environment: viewer.environment.as_str().to_string(),
        name: name.clone(),
        prefix: secret[..12].to_string(),
        key_hash: hash_token(&secret),
        created_by: Some(viewer.user_id.clone()),
        created_at: now,
    };
    state.store.create_api_key(&key).await.map_err(internal)?;
    audit(
        state.store.as_ref(),
        Some(&viewer.organization_id),
        Some(&viewer.user_id),
        &viewer.email,
        "api_key.create",
        "api_key",
        &key.id,
        viewer.ip.as_deref(),
        serde_json::json!({"name": name, "prefix": key.prefix, "environment": key.environment}),
    )
    .await
    .map_err(internal)?;
    let created = CreatedKey { name, secret };
    if plain_form_post {
        // Without JavaScript the browser is redirected back to the list; the secret waits in
        // the session for that one page load instead of travelling in the URL.
        let flash = serde_json::to_string(&created).map_err(|_| AppError::Internal)?;
        state.store.set_session_flash(&viewer.token_hash, Some(&flash)).await.map_err(internal)?;
        leptos_axum::redirect("/settings/api-keys");
    }
    Ok(created)
}

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let keys = Resource::new(move || create.version().get(), |_| list_api_keys());
    view! {
        <PageHeader title="API keys" subtitle="Keys authenticate your calls to the unified API. Each key belongs to one environment." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match keys.await {
                    Ok(v) => view! { <ApiKeysBody v create /> }.into_any(),
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
            <code class="mt-2 block select-all break-all rounded bg-white px-3 py-2 font-mono text-sm text-slate-900 ring-1 ring-emerald-200">{key.secret}</code>
        </div>
    }
}

#[component]
fn ApiKeysBody(v: ApiKeysView, create: ServerAction<CreateApiKey>) -> impl IntoView {
    let env = v.environment.clone();
    view! {
        {v.just_created.map(|k| view! { <NewKeyNotice key=k /> })}
        {move || create.value().get().map(|r| match r {
            Ok(k) => view! { <NewKeyNotice key=k /> }.into_any(),
            Err(e) => view! { <div class="mb-4"><ErrorNotice error=e /></div> }.into_any(),
        })}
        {if v.can_create {
            view! {
                <Card class="mb-6 p-5">
                    <ActionForm action=create attr:class="flex flex-wrap items-end gap-3">
                        <div class="min-w-[16rem] flex-1">
                            <label for="key-name" class="block text-sm font-medium text-slate-700">"New key name"</label>
                            <input id="key-name" name="name" required maxlength="80" placeholder="billing-service"
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
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
            <div class="overflow-x-auto">
                <table class="min-w-full divide-y divide-slate-200 text-sm">
                    <TableHead columns=&["Name", "Key", "Created", "Created by", "Status"] />
                    <tbody class="divide-y divide-slate-100">
                        {if v.keys.is_empty() {
                            view! { <tr><td colspan="5" class="px-4 py-6 text-center text-slate-500">"No API keys in this environment yet."</td></tr> }.into_any()
                        } else {
                            v.keys.into_iter().map(|k| view! {
                                <tr>
                                    <td class="px-4 py-2 font-medium">{k.name}</td>
                                    <td class="px-4 py-2 font-mono text-xs">{k.prefix} "…"</td>
                                    <td class="px-4 py-2 text-slate-600">{format_time_utc(k.created_at)}</td>
                                    <td class="px-4 py-2 text-slate-600">{k.created_by.unwrap_or_else(|| "—".into())}</td>
                                    <td class="px-4 py-2">
                                        {if k.revoked {
                                            view! { <Badge tone="bg-slate-100 text-slate-600 ring-slate-500/20">"Revoked"</Badge> }.into_any()
                                        } else {
                                            view! { <Badge tone="bg-emerald-50 text-emerald-700 ring-emerald-600/20">"Active"</Badge> }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }).collect_view().into_any()
                        }}
                    </tbody>
                </table>
            </div>
        </Card>
    }
}
