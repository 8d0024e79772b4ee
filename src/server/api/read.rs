//! The read endpoints (`read` keys): request logs, connections and their sync runs, backfills
//! and webhook deliveries of the key's organization and environment. Every list is keyset-paginated
//! by id, newest first: `next_cursor` goes into `before` for the next (older) page. An id of
//! another organization or environment is answered exactly like one that does not exist.

use super::error::{ApiError, ErrorBody};
use super::{page_limit, rfc3339};
use crate::domain::delivery_filter::DeliveryFilters;
use crate::domain::request_filter::RequestFilter;
use crate::domain::KeyScope;
use crate::ids::prefix;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::service::{page_from_cursors, parse_id_param};
use crate::server::store::keyset_window;
use crate::server::webhooks::delivery_log::{self, DeliveryList};
use crate::server::AppState;
use crate::server::{connections, request_logs};
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// Query strings whose rejections are API errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose rejections are API errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

fn read_key(caller: &ApiCaller) -> Result<(), ApiError> {
    Ok(caller.require(KeyScope::Read)?)
}

// ---------------------------------------------------------------- request logs

/// A request in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestLogSummary {
    pub id: String,
    pub occurred_at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub latency_ms: i64,
    pub connection_id: Option<String>,
    pub platform: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestLogList {
    pub data: Vec<RequestLogSummary>,
    /// Pass as `before` for older requests; null on the last page.
    pub next_cursor: Option<String>,
    /// Set when several filters were checked on a bounded number of recent rows (5,000 of the
    /// most selective filter's) and the page came back short: how far back the search went.
    /// `next_cursor` continues from there; the page is not necessarily the last.
    pub searched_until: Option<String>,
    /// Pass as `after` for newer requests; null on the first page.
    pub previous_cursor: Option<String>,
}

/// The normalized error of a failed request, beside the platform's raw error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestLogError {
    pub code: Option<String>,
    pub message: Option<String>,
    /// The platform's raw error (JSON when it was JSON), redacted.
    pub platform_error: Value,
    /// How sure the mapping from the raw error to `code` is.
    pub confidence: Option<String>,
}

/// One request with everything the data plane recorded (secrets redacted).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestLog {
    pub id: String,
    pub occurred_at: String,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: i64,
    pub latency_ms: i64,
    pub connection_id: Option<String>,
    pub platform: Option<String>,
    pub error: Option<RequestLogError>,
    pub request_headers: Value,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub upstream_calls: Value,
    pub idempotency_key: Option<String>,
    pub api_key_prefix: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    /// Paths of the values replaced by `[REDACTED]` before storage.
    pub redacted_fields: Vec<String>,
}

/// List request logs, newest first, with the console's filters.
#[utoipa::path(
    get,
    path = "/api/v1/request-logs",
    tag = "read",
    params(RequestFilter),
    responses(
        (status = 200, body = RequestLogList),
        (status = 400, description = "A filter or cursor is not valid; the message names it", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn list_request_logs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiQuery(filter): ApiQuery<RequestFilter>,
) -> Result<Json<RequestLogList>, ApiError> {
    read_key(&caller)?;
    let limit = page_limit(filter.limit)?;
    let list = request_logs::list(&state, &Actor::Key(caller), &filter, limit).await?;
    let (rows, older, newer) = (list.rows, list.older, list.newer);
    let searched_until = list.window.map(|w| rfc3339(w.until_ms));
    Ok(Json(RequestLogList {
        searched_until,
        data: rows
            .into_iter()
            .map(|r| RequestLogSummary {
                occurred_at: rfc3339(r.created_at),
                id: r.id,
                method: r.method,
                path: r.path,
                status: r.status_code,
                latency_ms: r.latency_ms,
                connection_id: r.connection_id,
                platform: r.platform_id,
                error_code: r.error_code,
            })
            .collect(),
        next_cursor: older,
        previous_cursor: newer,
    }))
}

/// One request by its id: what a support script calls with the `req_...` from a ticket.
#[utoipa::path(
    get,
    path = "/api/v1/request-logs/{id}",
    tag = "read",
    params(("id" = String, Path, description = "The request id, `req_...`")),
    responses(
        (status = 200, body = RequestLog),
        (status = 400, description = "Not a request id", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "No such request in this key's organization and environment", body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn get_request_log(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RequestLog>, ApiError> {
    read_key(&caller)?;
    let r = request_logs::get(&state, &Actor::Key(caller), &id).await?;
    let json_or_text =
        |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_string()));
    Ok(Json(RequestLog {
        occurred_at: rfc3339(r.created_at),
        error: r.error_code.is_some().then(|| RequestLogError {
            code: r.error_code.clone(),
            message: r.error_message.clone(),
            platform_error: r.platform_error.as_deref().map(json_or_text).unwrap_or(Value::Null),
            confidence: r.error_confidence.clone(),
        }),
        request_headers: serde_json::from_str(&r.request_headers)
            .unwrap_or_else(|_| Value::Object(Default::default())),
        upstream_calls: serde_json::from_str(&r.upstream_calls).unwrap_or_else(|_| Value::Array(vec![])),
        redacted_fields: serde_json::from_str(&r.redacted_fields).unwrap_or_default(),
        id: r.id,
        method: r.method,
        path: r.path,
        query: r.query,
        status: r.status_code,
        latency_ms: r.latency_ms,
        connection_id: r.connection_id,
        platform: r.platform_id,
        request_body: r.request_body,
        response_body: r.response_body,
        response_truncated: r.response_truncated,
        idempotency_key: r.idempotency_key,
        api_key_prefix: r.api_key_prefix,
        user_agent: r.user_agent,
        source_ip: r.source_ip,
    }))
}

// ---------------------------------------------------------------- connections and sync runs

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Older than this id (the previous page's `next_cursor`).
    pub before: Option<String>,
    /// Newer than this id (the previous page's `previous_cursor`).
    pub after: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Connection {
    pub id: String,
    pub platform: String,
    pub display_name: String,
    pub platform_account_id: String,
    /// `initializing`, `healthy`, `degraded`, `needs_reauth` or `disabled`.
    pub status: String,
    pub status_reason: Option<String>,
    pub status_since: Option<String>,
    pub created_at: String,
    pub last_synced_at: Option<String>,
}

impl From<crate::server::store::ConnectionRow> for Connection {
    fn from(c: crate::server::store::ConnectionRow) -> Self {
        Connection {
            platform: c.platform_id,
            display_name: c.display_name,
            platform_account_id: c.platform_account_id,
            status: c.status.as_str().to_string(),
            status_reason: c.status_reason,
            status_since: c.status_since.map(rfc3339),
            created_at: rfc3339(c.created_at),
            last_synced_at: c.last_synced_at.map(rfc3339),
            id: c.id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConnectionList {
    pub data: Vec<Connection>,
    pub next_cursor: Option<String>,
    pub previous_cursor: Option<String>,
}

/// List connections, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/connections",
    tag = "read",
    params(PageParams),
    responses(
        (status = 200, body = ConnectionList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_connections(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<ConnectionList>, ApiError> {
    read_key(&caller)?;
    let limit = page_limit(p.limit)?;
    let page = page_from_cursors(prefix::CONNECTION, "connection", p.before.as_deref(), p.after.as_deref())?;
    let rows =
        state.store.list_connections(&caller.scope, &page, limit + 1).await.map_err(ApiError::store)?;
    let (rows, newer, older) = keyset_window(rows, &page, limit, |c| c.id.clone());
    Ok(Json(ConnectionList {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor: older,
        previous_cursor: newer,
    }))
}

/// One connection.
#[utoipa::path(
    get,
    path = "/api/v1/connections/{id}",
    tag = "read",
    params(("id" = String, Path, description = "The connection id, `conn_...`")),
    responses(
        (status = 200, body = Connection),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_connection(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Connection>, ApiError> {
    read_key(&caller)?;
    let (_, c) = connections::get(&state, &Actor::Key(caller), &id).await?;
    Ok(Json(c.into()))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncRun {
    pub id: String,
    pub connection_id: String,
    pub platform: String,
    pub data_object: String,
    /// `initial`, `incremental` or `backfill`.
    pub kind: String,
    /// `queued`, `running`, `succeeded`, `partial`, `failed`, `not_supported` or `cancelled`.
    pub status: String,
    pub queued_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub records_added: i64,
    pub records_updated: i64,
    pub records_deleted: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// The platform's raw error (JSON when it was JSON).
    pub platform_error: Value,
    pub backfill_id: Option<String>,
    /// What started it: `schedule`, `user`, `backfill`, ...
    pub trigger: String,
}

impl From<crate::server::store::sync::SyncRunDetailRow> for SyncRun {
    fn from(r: crate::server::store::sync::SyncRunDetailRow) -> Self {
        SyncRun {
            platform: r.platform_id,
            data_object: r.data_object,
            kind: r.kind.as_str().to_string(),
            status: r.status.as_str().to_string(),
            queued_at: rfc3339(r.queued_at),
            started_at: r.started_at.map(rfc3339),
            finished_at: r.finished_at.map(rfc3339),
            records_added: r.records_added,
            records_updated: r.records_updated,
            records_deleted: r.records_deleted,
            error_code: r.error_code,
            error_message: r.error_message,
            platform_error: r
                .platform_error
                .as_deref()
                .map(|s| serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string())))
                .unwrap_or(Value::Null),
            backfill_id: r.backfill_id,
            trigger: r.trigger_kind.into(),
            connection_id: r.connection_id,
            id: r.id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncRunList {
    pub data: Vec<SyncRun>,
    pub next_cursor: Option<String>,
    pub previous_cursor: Option<String>,
}

/// A connection's sync runs, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/connections/{id}/sync-runs",
    tag = "read",
    params(("id" = String, Path, description = "The connection id, `conn_...`"), PageParams),
    responses(
        (status = 200, body = SyncRunList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn list_sync_runs(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Json<SyncRunList>, ApiError> {
    read_key(&caller)?;
    let id = parse_id_param(prefix::CONNECTION, "a connection", &id)?;
    let limit = page_limit(p.limit)?;
    let page = page_from_cursors(prefix::SYNC_RUN, "run", p.before.as_deref(), p.after.as_deref())?;
    if state.store.get_connection(&caller.scope, &id).await.map_err(ApiError::store)?.is_none() {
        return Err(ApiError::not_found(format!("No connection {id} in this environment.")));
    }
    let q = crate::server::store::sync::SyncRunQuery {
        page: page.clone(),
        limit: limit + 1,
        ..Default::default()
    };
    let rows = state.store.list_sync_runs(&caller.scope, &id, &q).await.map_err(ApiError::store)?;
    let (rows, newer, older) = keyset_window(rows, &page, limit, |r| r.id.clone());
    Ok(Json(SyncRunList {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor: older,
        previous_cursor: newer,
    }))
}

// ---------------------------------------------------------------- backfills

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
    tag = "read",
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
    read_key(&caller)?;
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
    let mut connection_ids = vec![];
    for c in &body.connection_ids {
        connection_ids.push(parse_id_param(prefix::CONNECTION, "a connection", c)?);
    }
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
    let actor = Actor::Key(caller.clone()).author();
    let (id, created) =
        backfills::create_as(state.store.as_ref(), state.clock.as_ref(), &actor, &caller.scope, &req).await?;
    state.worker_waker.wake();
    let b = state
        .store
        .get_backfill(&caller.scope, &id)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(ApiError::internal)?;
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
    let id = parse_id_param(prefix::BACKFILL, "a backfill", &id)?;
    let b = state
        .store
        .get_backfill(&caller.scope, &id)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| ApiError::not_found(format!("No backfill {id} in this environment.")))?;
    Ok(Json(b.into()))
}

// ---------------------------------------------------------------- webhook deliveries

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryParams {
    /// An endpoint id (`ep_...`).
    pub endpoint: Option<String>,
    /// Event types, comma-separated (`sync.completed,connection.needs_reauth`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub types: Option<String>,
    /// A connection id (`conn_...`).
    pub connection: Option<String>,
    /// `pending`, `retrying`, `delivered` or `failed`.
    pub status: Option<String>,
    /// The last response: `2xx`, `3xx`, `4xx`, `5xx` or `error` (no response).
    pub class: Option<String>,
    /// `1h`, `24h`, `7d` or `30d`.
    pub range: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub endpoint_id: String,
    pub endpoint_url: String,
    pub connection_id: Option<String>,
    /// `pending`, `retrying`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub created_at: String,
    pub last_attempt_at: Option<String>,
    pub last_response_status: Option<i64>,
    pub last_failure: Option<String>,
    pub next_attempt_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub data: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
    pub previous_cursor: Option<String>,
}

/// The webhook delivery log, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/webhook-deliveries",
    tag = "read",
    params(DeliveryParams),
    responses(
        (status = 200, body = WebhookDeliveryList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_webhook_deliveries(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiQuery(p): ApiQuery<DeliveryParams>,
) -> Result<Json<WebhookDeliveryList>, ApiError> {
    read_key(&caller)?;
    let limit = page_limit(p.limit)?;
    let filters = DeliveryFilters {
        endpoint: p.endpoint.unwrap_or_default(),
        types: p.types.unwrap_or_default(),
        connection: p.connection.unwrap_or_default(),
        status: p.status.unwrap_or_default(),
        class: p.class.unwrap_or_default(),
        range: p.range.unwrap_or_default(),
        from: p.from.unwrap_or_default(),
        to: p.to.unwrap_or_default(),
    };
    let page = page_from_cursors(prefix::DELIVERY, "delivery", p.before.as_deref(), p.after.as_deref())?;
    let DeliveryList { rows, newer, older, .. } =
        delivery_log::list(&state, &Actor::Key(caller), &filters, page, limit).await?;
    Ok(Json(WebhookDeliveryList {
        data: rows
            .into_iter()
            .map(|r| {
                let d = r.delivery;
                WebhookDelivery {
                    endpoint_url: r.endpoint_url,
                    event_type: d.event_type,
                    endpoint_id: d.endpoint_id,
                    connection_id: d.connection_id,
                    status: d.status,
                    attempts: d.attempt_count,
                    created_at: rfc3339(d.created_at),
                    last_attempt_at: d.last_attempt_at.map(rfc3339),
                    last_response_status: d.last_status,
                    last_failure: d.last_failure,
                    next_attempt_at: d.next_attempt_at.map(rfc3339),
                    event_id: d.event_id,
                    id: d.id,
                }
            })
            .collect(),
        next_cursor: older,
        previous_cursor: newer,
    }))
}
