//! The extractors every `/api/v1` handler uses, defined once: their rejections are API errors
//! (`{"error": {...}}` with a status that names the problem), never axum's plain-text ones.

use crate::domain::KeyScope;
use crate::server::actor::ApiCaller;
use crate::server::api::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query strings whose rejections are API errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose rejections are API errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A JSON body whose rejections (not JSON, too large, wrong content type) are API errors.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// Refuses a key without the `read` scope.
pub fn read_key(caller: &ApiCaller) -> Result<(), ApiError> {
    Ok(caller.require(KeyScope::Read)?)
}

/// A JSON body kept as its bytes: a request-log batch is megabytes of JSON, read item by item
/// off the async threads (`ingest::request_logs`) rather than into a tree here.
pub struct RawJson(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // As axum's `Json`: application/json, or any application/...+json.
        let mime = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
            .unwrap_or_default();
        let json =
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"));
        if !json {
            return Err(ApiError::not_json());
        }
        Bytes::from_request(req, state).await.map(RawJson).map_err(|_| ApiError::too_large())
    }
}

/// Keyset paging of a list.
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
