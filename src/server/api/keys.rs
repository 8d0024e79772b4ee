//! The middleware that turns `Authorization: Bearer <key>` into the calling key's organization,
//! environment and scope (keys themselves are made by `server::api_keys`). Key material never
//! reaches a log: the middleware reads the header and keeps only the hash.

use super::error::ApiError;
use super::limits::RateLimiter;
use crate::server::actor::ApiCaller;
use crate::server::api_keys::well_formed;
use crate::server::auth::hash_token;
use crate::server::store::Scope;
use crate::server::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;

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
    /// Two ingestion batches per core at once, shared fairly between organizations (see
    /// `api::v1::ingest::run`).
    pub ingest: std::sync::Arc<super::fair::FairGate>,
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
            "That is not a Switchboard API key: keys look like sb_read_..., sb_backfills_... or sb_ingest_... (create one at /settings/api-keys).",
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
    let key_scope = row.scope;
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
