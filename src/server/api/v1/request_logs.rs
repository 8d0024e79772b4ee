//! `GET /api/v1/request-logs` and `GET /api/v1/request-logs/{id}`: the request log, read by
//! `server::request_logs` as the console reads it.

use super::extract::{read_key, ApiPath, ApiQuery};
use crate::domain::request_filter::RequestFilter;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::api::{page_limit, rfc3339};
use crate::server::request_logs;
use crate::server::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

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
    /// Pass as `before` for older requests; null on the last page (every stored request was
    /// searched: the filters are exact however rare or old the match).
    pub next_cursor: Option<String>,
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
    /// What Switchboard's classifier read in `platform_error`: the cause (`missing_field`,
    /// `state_conflict`, ...), null when there was no raw error to read.
    pub cause: Option<String>,
    /// The field the raw error names, spelled as the platform spells it.
    pub field: Option<String>,
    /// The classifier rule that decided, such as `quickbooks_online.fault.6240`.
    pub rule: Option<String>,
    /// The classifier's code; differs from `code` when the data plane sent its own.
    pub classified_code: Option<String>,
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
    /// The body as sent: a JSON value when it is JSON, otherwise its text; null when none.
    pub request_body: Option<Value>,
    /// As `request_body`. A truncated body (`response_truncated`) is not valid JSON: its text.
    pub response_body: Option<Value>,
    pub response_truncated: bool,
    pub upstream_calls: Value,
    pub idempotency_key: Option<String>,
    pub api_key_prefix: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    /// Paths of the values replaced by `[REDACTED]` before storage.
    pub redacted_fields: Vec<String>,
    /// For a failed request (status 400 or above), what to do next: the console's advice for
    /// this request, from its code, the platform's raw error and the classifier's reading.
    pub next_step: Option<String>,
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
    Ok(Json(RequestLogList {
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
    let scope = caller.scope.clone();
    let r = request_logs::get(&state, &Actor::Key(caller), &id).await?;
    let connection = match &r.connection_id {
        Some(c) => {
            state.store.get_connection(&scope, c).await.map_err(crate::server::service::ServiceError::from)?
        }
        None => None,
    };
    let next_step = request_logs::next_step(&r, connection.as_ref().map(|c| c.display_name.as_str()));
    let json_or_text =
        |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|_| Value::String(s.to_string()));
    Ok(Json(RequestLog {
        occurred_at: rfc3339(r.created_at),
        error: r.error_code.is_some().then(|| RequestLogError {
            code: r.error_code.clone(),
            message: r.error_message.clone(),
            platform_error: r.platform_error.as_deref().map(json_or_text).unwrap_or(Value::Null),
            confidence: r.error_confidence.clone(),
            cause: r.error_cause.clone(),
            field: r.error_field.clone(),
            rule: r.error_rule.clone(),
            classified_code: r.classified_code.clone(),
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
        request_body: r.request_body.as_deref().map(json_or_text),
        response_body: r.response_body.as_deref().map(json_or_text),
        next_step,
        response_truncated: r.response_truncated,
        idempotency_key: r.idempotency_key,
        api_key_prefix: r.api_key_prefix,
        user_agent: r.user_agent,
        source_ip: r.source_ip,
    }))
}
