//! `POST /api/v1/ingest/...`: the data plane's batches, handed to `server::ingest`.

use super::error::{ApiError, ErrorBody};
use super::keys::{ApiCaller, KeyScope};
use crate::server::ingest::{self, Batch, IngestResult, Outcome};
use crate::server::AppState;
use axum::extract::{FromRequest, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

/// A JSON body whose rejections (not JSON, too large, wrong content type) are API errors.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

fn answer(outcome: Outcome) -> Response {
    if outcome.conflicts.is_empty() {
        return Json(outcome.result).into_response();
    }
    let named: Vec<String> =
        outcome.conflicts.iter().take(10).map(|c| format!("item {} ({})", c.index, c.id)).collect();
    let more = outcome.conflicts.len().saturating_sub(named.len());
    ApiError::conflict(format!(
        "{}{} already ingested with different content: an id names one item forever. {} other item(s) of this batch were accepted{}.",
        named.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() },
        outcome.result.accepted,
        if outcome.result.rejected.is_empty() {
            String::new()
        } else {
            format!(" and {} rejected as invalid", outcome.result.rejected.len())
        },
    ))
    .into_response()
}

/// Checks the key and the batch size, runs the ingestion, and retries once when another call
/// inserted one of the same ids in the same instant (the retry then finds it stored).
async fn run<F, Fut>(caller: &ApiCaller, batch: Batch, f: F) -> Result<Response, ApiError>
where
    F: Fn(Batch) -> Fut,
    Fut: std::future::Future<Output = crate::server::store::StoreResult<Outcome>>,
{
    caller.require(KeyScope::Ingest)?;
    ingest::check_batch(&batch).map_err(ApiError::invalid)?;
    let retry = Batch { items: batch.items.clone() };
    match f(batch).await {
        Ok(o) => Ok(answer(o)),
        Err(e) if e.is_unique_violation() => Ok(answer(f(retry).await.map_err(ApiError::store)?)),
        Err(e) => Err(ApiError::store(e)),
    }
}

/// Request logs: what the unified API served.
#[utoipa::path(
    post,
    path = "/api/v1/ingest/request-logs",
    tag = "ingest",
    request_body(content = inline(RequestLogBatch), description = "Up to 1,000 request logs (5 MB)."),
    responses(
        (status = 200, description = "Stored (or already stored with the same content); invalid items listed", body = IngestResult),
        (status = 400, description = "Not a batch: empty, too many items, or not JSON", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key", body = ErrorBody),
        (status = 403, description = "Not an ingest key", body = ErrorBody),
        (status = 409, description = "An item's id was already used with different content; the other items were stored", body = ErrorBody),
        (status = 413, description = "Body over 5 MB", body = ErrorBody),
        (status = 415, description = "Body not sent as application/json", body = ErrorBody),
        (status = 429, description = "Over the key's rate limit; see Retry-After", body = ErrorBody),
    )
)]
pub async fn request_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Response, ApiError> {
    run(&caller, batch, |b| ingest::request_logs(state.store.as_ref(), &caller.scope, b)).await
}

/// Connection status: the data plane's view of each connection's health.
#[utoipa::path(
    post,
    path = "/api/v1/ingest/connection-status",
    tag = "ingest",
    request_body(content = inline(ConnectionStatusBatch)),
    responses(
        (status = 200, description = "Recorded; invalid items listed", body = IngestResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn connection_status(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Response, ApiError> {
    run(&caller, batch, |b| ingest::connection_status(state.store.as_ref(), &caller.scope, b)).await
}

/// Events: delivered to every webhook endpoint subscribed to their type.
#[utoipa::path(
    post,
    path = "/api/v1/ingest/events",
    tag = "ingest",
    request_body(content = inline(EventBatch)),
    responses(
        (status = 200, description = "Recorded and queued for delivery; invalid items listed", body = IngestResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, description = "An event id was already used with different content", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Response, ApiError> {
    run(&caller, batch, |b| ingest::events(state.store.as_ref(), &caller.scope, b)).await
}

// Documentation-only batch shapes: the handlers read `items` loosely so one bad item is reported
// instead of failing the call, but the document says what a good item is.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct RequestLogBatch {
    #[schema(max_items = 1000)]
    items: Vec<ingest::RequestLogItem>,
}
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ConnectionStatusBatch {
    #[schema(max_items = 1000)]
    items: Vec<ingest::ConnectionStatusItem>,
}
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct EventBatch {
    #[schema(max_items = 1000)]
    items: Vec<ingest::EventItem>,
}
