//! `POST /api/v1/backfills` and `GET /api/v1/backfills/{id}`: queued by `server::backfills`,
//! the service the backfill form calls.

use super::extract::{read_key, ApiJson, ApiPath};
use crate::domain::KeyScope;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::api::rfc3339;
use crate::server::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A backfill to queue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBackfillRequest {
    /// Connections of one integration type, 1 to 1,000.
    pub connection_ids: Vec<String>,
    /// Data objects of that type, such as `invoices`.
    pub data_objects: Vec<String>,
    /// `full_history` (default), `last_30_days`, or `custom` with `from` and `to`.
    pub range: Option<String>,
    /// Start of a custom range, RFC 3339.
    pub from: Option<String>,
    /// End of a custom range, RFC 3339.
    pub to: Option<String>,
    /// Why, for the audit log and the backfill page.
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Backfill {
    pub id: String,
    /// `queued`, `running`, `succeeded`, `partial`, `failed` or `cancelled`.
    pub status: String,
    pub data_objects: Vec<String>,
    pub range_from: Option<String>,
    pub range_to: Option<String>,
    pub created_by: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub connections: i64,
    /// Runs (one per connection and data object), finished runs, failed runs.
    pub runs_total: i64,
    pub runs_done: i64,
    pub runs_failed: i64,
}

impl From<crate::server::store::sync::BackfillSummaryRow> for Backfill {
    fn from(b: crate::server::store::sync::BackfillSummaryRow) -> Self {
        Backfill {
            status: b.status.as_str().to_string(),
            data_objects: serde_json::from_str(&b.data_objects).unwrap_or_default(),
            range_from: b.range_from.map(rfc3339),
            range_to: b.range_to.map(rfc3339),
            created_by: b.created_by_email,
            reason: b.reason,
            created_at: rfc3339(b.created_at),
            started_at: b.started_at.map(rfc3339),
            finished_at: b.finished_at.map(rfc3339),
            connections: b.connections,
            runs_total: b.runs_total,
            runs_done: b.runs_done,
            runs_failed: b.runs_failed,
            id: b.id,
        }
    }
}

/// Queue a backfill. Send an `Idempotency-Key` header to make retries safe: the same key
/// returns the backfill it created.
#[utoipa::path(
    post,
    path = "/api/v1/backfills",
    tag = "backfills",
    request_body = NewBackfillRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 100 characters; a retry with the same key returns the same backfill")),
    responses(
        (status = 201, description = "Queued", body = Backfill),
        (status = 200, description = "Already queued with this Idempotency-Key", body = Backfill),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "A connection is not in this environment", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn create_backfill(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewBackfillRequest>,
) -> Result<(axum::http::StatusCode, Json<Backfill>), ApiError> {
    use crate::server::backfills::{self, BackfillRequest, RangeChoice};
    caller.require(KeyScope::Backfills)?;
    let time = |name: &str, v: &Option<String>| -> Result<i64, ApiError> {
        let v = v.as_deref().ok_or_else(|| ApiError::invalid(format!("A custom range needs {name}.")))?;
        chrono::DateTime::parse_from_rfc3339(v)
            .map(|t| t.timestamp_millis())
            .map_err(|_| ApiError::invalid(format!("{name} {v:?} is not an RFC 3339 time.")))
    };
    let range = match body.range.as_deref().unwrap_or("full_history") {
        "full_history" => RangeChoice::FullHistory,
        "last_30_days" => RangeChoice::Last30Days,
        "custom" => RangeChoice::Custom { from_ms: time("from", &body.from)?, to_ms: time("to", &body.to)? },
        other => {
            return Err(ApiError::invalid(format!(
                "range {other:?} is not one of full_history, last_30_days, custom."
            )))
        }
    };
    let connection_ids = backfills::connection_ids(body.connection_ids.iter().map(String::as_str))?;
    let idempotency_key = match headers.get("idempotency-key") {
        Some(v) => v
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|k| !k.is_empty() && k.len() <= 100)
            .ok_or_else(|| ApiError::invalid("Idempotency-Key must be 1 to 100 visible characters."))?
            .to_string(),
        None => crate::server::auth::random_token(16),
    };
    let req = BackfillRequest {
        connection_ids,
        data_objects: body.data_objects,
        range,
        reason: body.reason,
        idempotency_key,
    };
    let actor = Actor::Key(caller.clone());
    let (id, created) = backfills::create_as(
        state.store.as_ref(),
        state.clock.as_ref(),
        &actor.author(),
        &caller.scope,
        &req,
    )
    .await?;
    state.worker_waker.wake();
    let b = backfills::get(&state, &actor, &id).await?;
    let status = if created { axum::http::StatusCode::CREATED } else { axum::http::StatusCode::OK };
    Ok((status, Json(b.into())))
}

/// A backfill and its progress.
#[utoipa::path(
    get,
    path = "/api/v1/backfills/{id}",
    tag = "read",
    params(("id" = String, Path, description = "The backfill id, `bf_...`")),
    responses(
        (status = 200, body = Backfill),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_backfill(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Backfill>, ApiError> {
    read_key(&caller)?;
    let b = crate::server::backfills::get(&state, &Actor::Key(caller), &id).await?;
    Ok(Json(b.into()))
}
