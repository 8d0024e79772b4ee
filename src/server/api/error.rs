//! The API's error type: every failure of `/api/v1` answers with the unified API's error body,
//! `{"error": {"code", "message", "platform_error", "request_id"}}`, and the status that goes
//! with its code. Internal details are logged, never sent.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A failed API call.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before retrying (429).
    pub retry_after: Option<u64>,
}

/// The error body (documented in the OpenAPI document).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable, machine-readable code: `unauthorized`, `forbidden`, `not-found`,
    /// `invalid-params`, `missing-params`, `conflict`, `payload-too-large`, `rate-limited`,
    /// `internal-error`.
    pub code: String,
    /// What went wrong and how to fix it, for a person.
    pub message: String,
    /// Always null here: Switchboard's own errors have no platform behind them.
    pub platform_error: Option<String>,
    /// This call's id (also in the `x-request-id` header): quote it to support.
    pub request_id: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid-params", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("Too many requests with this API key. Retry after {retry_after} s."),
            )
        }
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-error",
            "Something went wrong on our side. Retry; if it keeps happening, contact support with the request_id.",
        )
    }
    /// A store failure: logged here, answered with a generic message.
    pub fn store(e: crate::server::store::StoreError) -> Self {
        tracing::error!(error = %e, "API call failed in the store");
        Self::internal()
    }
}

impl From<crate::error::AppError> for ApiError {
    fn from(e: crate::error::AppError) -> Self {
        use crate::error::AppError as E;
        match e {
            E::Unauthorized => ApiError::unauthorized("A valid API key is required."),
            E::Forbidden(m) => ApiError::forbidden(m),
            E::NotFound(m) => ApiError::not_found(m),
            E::Invalid(m) | E::Transport(m) => ApiError::invalid(m),
            E::Conflict(m) => ApiError::conflict(m),
            E::Internal => ApiError::internal(),
        }
    }
}

impl From<crate::server::service::ServiceError> for ApiError {
    fn from(e: crate::server::service::ServiceError) -> Self {
        use crate::server::service::ServiceError as E;
        match e {
            E::Invalid(m) => ApiError::invalid(m),
            E::NotFound(m) => ApiError::not_found(m),
            E::Forbidden(m) => ApiError::forbidden(m),
            E::Conflict(m) => ApiError::conflict(m),
            E::Store(e) => ApiError::store(e),
            E::Internal(why) => {
                tracing::error!(%why, "API call failed");
                ApiError::internal()
            }
        }
    }
}

/// The body to fill in with the request id once it is known (see [`super::request_id`]).
#[derive(Debug, Clone)]
pub struct PendingErrorBody(pub ErrorBody);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                platform_error: None,
                request_id: None,
            },
        };
        let mut res = (self.status, axum::Json(body.clone())).into_response();
        if let Some(s) = self.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res.extensions_mut().insert(PendingErrorBody(body));
        res
    }
}

impl ApiError {
    pub fn not_json() -> Self {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid-params",
            "Send the body as JSON with `Content-Type: application/json`.",
        )
    }

    pub fn too_large() -> Self {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!(
                "The body is larger than {} MB: send fewer items per batch.",
                super::MAX_BODY_BYTES >> 20
            ),
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::not_json(),
            JsonRejection::BytesRejection(_) => ApiError::too_large(),
            other => ApiError::invalid(format!("The body is not valid: {}", other.body_text())),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::invalid(format!("The query string is not valid: {}", r.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::invalid(format!("The path is not valid: {}", r.body_text()))
    }
}
