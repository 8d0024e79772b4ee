//! API keys on the wire: their format, and the middleware that turns `Authorization: Bearer`
//! into the calling key's organization, environment and scope.
//!
//! A key is `sb_<scope>_<40 base62 characters>` (238 random bits). Only its SHA-256 is stored,
//! with a display prefix (`sb_read_Ab12Cd34`); the full key is shown once, at creation. Key
//! material never reaches a log: the middleware reads the header and keeps only the hash.

use super::error::ApiError;
use super::limits::RateLimiter;
use crate::server::auth::hash_token;
use crate::server::store::Scope;
use crate::server::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::collections::HashMap;
use std::sync::Mutex;

/// What a key may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyScope {
    /// The data plane: `POST /api/v1/ingest/...`.
    Ingest,
    /// Customers' tooling: the read endpoints (and creating backfills).
    Read,
}

impl KeyScope {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyScope::Ingest => "ingest",
            KeyScope::Read => "read",
        }
    }

    /// The create form's `scope` field; empty means `read`, the narrower one.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "read" => Ok(KeyScope::Read),
            "ingest" => Ok(KeyScope::Ingest),
            other => Err(format!("Unknown scope \u{201c}{other}\u{201d}: choose read or ingest.")),
        }
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SECRET_CHARS: usize = 40;
/// Characters of the secret part kept in the display prefix.
const PREFIX_CHARS: usize = 8;

/// A new key and its display prefix.
pub fn generate(scope: KeyScope) -> (String, String) {
    let mut rng = rand::rngs::OsRng;
    let secret: String = (0..SECRET_CHARS).map(|_| BASE62[rng.gen_range(0..BASE62.len())] as char).collect();
    let key = format!("sb_{}_{secret}", scope.as_str());
    let prefix = format!("sb_{}_{}", scope.as_str(), &secret[..PREFIX_CHARS]);
    (key, prefix)
}

/// Whether a string has the shape of a key (checked before hashing, so a malformed header gets
/// a precise message).
fn well_formed(key: &str) -> bool {
    let Some(rest) = key.strip_prefix("sb_") else { return false };
    let Some((scope, secret)) = rest.split_once('_') else { return false };
    KeyScope::parse(scope).is_ok()
        && !scope.is_empty()
        && secret.len() >= 32
        && secret.len() <= 128
        && secret.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The key a call was made with, for the handlers downstream.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub key_id: String,
    pub key_prefix: String,
    pub key_scope: KeyScope,
    pub scope: Scope,
}

impl ApiCaller {
    /// Refuses a key of the other scope, saying which one the call needs.
    pub fn require(&self, needed: KeyScope) -> Result<(), ApiError> {
        if self.key_scope == needed {
            return Ok(());
        }
        Err(ApiError::forbidden(match needed {
            KeyScope::Ingest => "This endpoint needs an ingest key (sb_ingest_...); this is a read key.",
            KeyScope::Read => "This endpoint needs a read key (sb_read_...); this is an ingest key.",
        }))
    }
}

/// When each key last had its `last_used_at` written: at most once a minute per key, so a busy
/// data plane does not add a write to every call.
#[derive(Default)]
pub struct UsageMarks(Mutex<HashMap<String, i64>>);

impl UsageMarks {
    fn due(&self, key_id: &str, now: i64) -> bool {
        let mut m = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match m.get(key_id) {
            Some(t) if now - t < 60_000 => false,
            _ => {
                if m.len() > 100_000 {
                    m.clear();
                }
                m.insert(key_id.to_string(), now);
                true
            }
        }
    }
}

/// Shared state of the API middleware.
pub struct ApiGuards {
    pub limiter: RateLimiter,
    pub usage: UsageMarks,
    /// Two ingestion batches per core at once (see `api::ingest::run`).
    pub ingest: tokio::sync::Semaphore,
}

/// Middleware: authenticates the bearer key, applies its rate limit and records its use.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match caller(&state, req.headers()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

async fn caller(state: &AppState, headers: &axum::http::HeaderMap) -> Result<ApiCaller, ApiError> {
    let raw = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("Send an API key as `Authorization: Bearer sb_...`."))?;
    let raw = raw.to_str().unwrap_or("");
    let key = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("The Authorization header must be `Bearer <API key>`."))?;
    if !well_formed(key) {
        return Err(ApiError::unauthorized(
            "That is not a Switchboard API key: keys look like sb_read_... or sb_ingest_... (create one at /settings/api-keys).",
        ));
    }
    let row =
        state.store.api_key_by_hash(&hash_token(key)).await.map_err(ApiError::store)?.ok_or_else(|| {
            ApiError::unauthorized("This API key is not valid. Check that it was copied whole.")
        })?;
    if row.revoked_at.is_some() {
        return Err(ApiError::unauthorized(format!(
            "The API key {}... was revoked. Create a new one at /settings/api-keys.",
            row.prefix
        )));
    }
    let key_scope = KeyScope::parse(&row.scope).map_err(|_| ApiError::internal())?;
    state.api.limiter.check(&row.id, key_scope)?;
    let now = state.clock.now_ms();
    if state.api.usage.due(&row.id, now) {
        if let Err(e) = state.store.touch_api_key(&row.id, now).await {
            tracing::warn!(error = %e, key = %row.prefix, "recording API key use failed");
        }
    }
    Ok(ApiCaller {
        key_id: row.id,
        key_prefix: row.prefix,
        key_scope,
        scope: Scope::new(row.organization_id, row.environment),
    })
}

/// Creates a key outside the console (the CLI, `serve --demo`'s data plane, tests and
/// benchmarks), audited like one made on the page. Returns the full key; only its hash is kept.
pub async fn issue(
    store: &dyn crate::server::store::Store,
    scope: &Scope,
    key_scope: KeyScope,
    name: &str,
    actor: &str,
) -> crate::server::store::StoreResult<String> {
    use crate::ids::{make_id, prefix};
    let (secret, key_prefix) = generate(key_scope);
    let now = crate::server::auth::now_ms();
    let key = crate::server::store::NewApiKey {
        id: make_id(prefix::API_KEY, now, rand::random()),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        name: name.to_string(),
        prefix: key_prefix,
        scope: key_scope.as_str().to_string(),
        key_hash: hash_token(&secret),
        created_by: None,
        created_at: now,
    };
    let audit = crate::server::auth::audit_entry(
        Some(&scope.organization_id),
        None,
        actor,
        "api_key.create",
        "api_key",
        &key.id,
        None,
        serde_json::json!({"name": name, "prefix": key.prefix, "scope": key.scope, "environment": key.environment}),
    );
    store.create_api_key(&key, &audit).await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        for scope in [KeyScope::Ingest, KeyScope::Read] {
            let (key, prefix) = generate(scope);
            assert!(well_formed(&key), "{key}");
            assert!(key.starts_with(&prefix));
            assert!(key.starts_with(&format!("sb_{}_", scope.as_str())));
            assert_eq!(key.len(), format!("sb_{}_", scope.as_str()).len() + SECRET_CHARS);
        }
        assert_ne!(generate(KeyScope::Read).0, generate(KeyScope::Read).0);
        assert!(!well_formed("sb_write_0123456789012345678901234567890123"));
        assert!(!well_formed("sb_read_short"));
        assert!(!well_formed("sk_live_0123456789012345678901234567890123"));
        assert!(!well_formed("sb_read_01234567890123456789012345678901-3"));
    }
}
