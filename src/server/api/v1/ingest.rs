//! `POST /api/v1/ingest/...`: the data plane's batches, handed to `server::ingest`.

use super::extract::{ApiJson, RawJson};
use crate::domain::KeyScope;
use crate::server::actor::ApiCaller;
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::ingest::{self, Batch, BatchError, IngestResult, Outcome};
use crate::server::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

fn answer(outcome: Outcome) -> Response {
    if outcome.conflicts.is_empty() {
        return Json(outcome.result).into_response();
    }
    let named: Vec<String> =
        outcome.conflicts.iter().take(10).map(|c| format!("item {} ({})", c.index, c.id)).collect();
    let more = outcome.conflicts.len().saturating_sub(named.len());
    ApiError::conflict(format!(
        "{}{} already ingested with different content: an id names one item forever. {} of this batch {} accepted{}.",
        named.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() },
        match outcome.result.accepted {
            1 => "1 other item".to_string(),
            n => format!("{n} other items"),
        },
        if outcome.result.accepted == 1 { "was" } else { "were" },
        if outcome.result.rejected.is_empty() {
            String::new()
        } else {
            format!(" and {} rejected as invalid", outcome.result.rejected.len())
        },
    ))
    .into_response()
}

/// Checks the key and the batch size of a batch read as JSON.
fn check(caller: &ApiCaller, batch: &Batch) -> Result<(), ApiError> {
    caller.require(KeyScope::Ingest)?;
    ingest::check_batch(batch).map_err(ApiError::invalid)
}

/// Runs an ingestion when its turn comes: at most two batches per core at once
/// (`ApiGuards::ingest`), so batches queue here rather than all competing for the CPU and the
/// database writer, while one batch's reading overlaps another's writing. Turns rotate between
/// organizations, so one that floods waits behind its own batches, not others behind them.
async fn run<E: Into<BatchError>>(
    state: &AppState,
    caller: &ApiCaller,
    work: impl std::future::Future<Output = Result<Outcome, E>>,
) -> Result<Response, ApiError> {
    let _turn = state.api.ingest.enter(&caller.scope.organization_id).await;
    match work.await.map_err(Into::into) {
        Ok(o) => Ok(answer(o)),
        Err(BatchError::Invalid(m)) => Err(ApiError::invalid(m)),
        // Another call stored one of these ids in the same instant: retrying finds it stored.
        Err(BatchError::Store(e)) if e.is_unique_violation() => Err(ApiError {
            retry_after: Some(1),
            ..ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "conflict-retry",
                "Another call stored some of these ids at the same moment. Retry this call: items already stored are accepted again, none is stored twice.",
            )
        }),
        Err(BatchError::Store(e)) => Err(ApiError::store(e)),
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
        (status = 503, description = "A concurrent call stored some of the same ids; retry", body = ErrorBody),
    )
)]
pub async fn request_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    RawJson(body): RawJson,
) -> Result<Response, ApiError> {
    caller.require(KeyScope::Ingest)?;
    run(
        &state,
        &caller,
        ingest::request_logs(state.store.as_ref(), &caller.scope, state.clock.now_ms(), body),
    )
    .await
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
    check(&caller, &batch)?;
    run(
        &state,
        &caller,
        ingest::connection_status(state.store.as_ref(), &caller.scope, state.clock.now_ms(), batch),
    )
    .await
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
        (status = 503, description = "A concurrent call stored some of the same ids; retry", body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Response, ApiError> {
    check(&caller, &batch)?;
    run(&state, &caller, ingest::events(state.store.as_ref(), &caller.scope, state.clock.now_ms(), batch))
        .await
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

/// How long a run's lease lasts after a `started` or `progress` report when its claim recorded
/// none (runs claimed before leases were remembered); otherwise the claim's `lease_seconds`.
const REPORT_LEASE_MS: i64 = 60_000;

/// Claim queued sync runs (backfills, "sync now", scheduled syncs) of the key's environment.
#[utoipa::path(
    post,
    path = "/api/v1/ingest/sync-runs/claim",
    tag = "ingest",
    request_body = ingest::ClaimRequest,
    responses(
        (status = 200, description = "The runs now held by this worker (possibly none)", body = ingest::ClaimResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn claim_sync_runs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(req): ApiJson<ingest::ClaimRequest>,
) -> Result<Json<ingest::ClaimResult>, ApiError> {
    caller.require(KeyScope::Ingest)?;
    let now = state.clock.now_ms();
    Ok(Json(ingest::claim(state.store.as_ref(), &caller.scope, &caller.key_id, now, &req).await?))
}

/// Sync runs: registered (`queued`), started, progressing and finished with counts and errors.
#[utoipa::path(
    post,
    path = "/api/v1/ingest/sync-runs",
    tag = "ingest",
    request_body(content = inline(SyncRunBatch)),
    responses(
        (status = 200, description = "Recorded; invalid items listed; runs to stop named", body = ingest::SyncRunResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn sync_runs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiJson(batch): ApiJson<Batch>,
) -> Result<Json<ingest::SyncRunResult>, ApiError> {
    caller.require(KeyScope::Ingest)?;
    ingest::check_batch(&batch).map_err(ApiError::invalid)?;
    let now = state.clock.now_ms();
    let out =
        ingest::sync_runs(state.store.as_ref(), &caller.scope, &caller.key_id, now, REPORT_LEASE_MS, batch)
            .await
            .map_err(ApiError::store)?;
    Ok(Json(out))
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct SyncRunBatch {
    #[schema(max_items = 1000)]
    items: Vec<ingest::SyncRunItem>,
}
