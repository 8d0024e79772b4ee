//! The HTTP API under `/api/v1`: ingestion for the data plane (`ingest` keys) and reads for
//! customers' tooling (`read` keys), documented by an OpenAPI 3.1 document generated from these
//! handlers and their types (`/api/v1/openapi.json`, readable at `/api/v1/reference`).
//!
//! Handlers are thin: they check the key's scope, parse, call the same services and store
//! methods the pages use (`server::ingest`, `server::backfills`, the store's list queries), and
//! map the result. Authentication, rate limits and the request id are middleware here; the
//! console's cookie session, origin check and sign-in redirect never see these routes.

pub mod error;
pub mod examples;
pub mod fair;
pub mod keys;
pub mod limits;
pub mod reference;
pub mod v1;

use super::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use error::{ApiError, PendingErrorBody};
use utoipa::OpenApi;
use v1::{backfills, connections, ingest, issues, request_logs, webhook_deliveries};

/// Largest body a call may send (a batch of 1,000 items with realistic bodies fits).
pub const MAX_BODY_BYTES: usize = 5 << 20;

/// Default and largest page of every list.
pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The `/api/v1` routes, nested by the app router.
pub fn router(state: AppState) -> Router<AppState> {
    let authed = Router::new()
        .route("/ingest/request-logs", post(ingest::request_logs))
        .route("/ingest/connection-status", post(ingest::connection_status))
        .route("/ingest/events", post(ingest::events))
        .route("/ingest/sync-runs", post(ingest::sync_runs))
        .route("/ingest/sync-runs/claim", post(ingest::claim_sync_runs))
        .route("/request-logs", get(request_logs::list_request_logs))
        .route("/request-logs/{id}", get(request_logs::get_request_log))
        .route("/connections", get(connections::list_connections))
        .route("/connections/{id}", get(connections::get_connection))
        .route("/connections/{id}/sync-runs", get(connections::list_sync_runs))
        .route("/backfills", post(backfills::create_backfill))
        .route("/backfills/{id}", get(backfills::get_backfill))
        .route("/webhook-deliveries", get(webhook_deliveries::list_webhook_deliveries))
        .route("/issues", get(issues::list_issues))
        .route("/issues/{id}", get(issues::get_issue))
        .layer(middleware::from_fn_with_state(state.clone(), keys::authenticate));
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/reference", get(reference::page))
        .merge(authed)
        .fallback(|| async {
            ApiError::not_found("No such API endpoint. The reference is at /api/v1/reference.")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state, request_id))
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives every call an id (`x-request-id`), and puts it in the error body when the call failed,
/// so what a customer quotes to support leads to the call.
async fn request_id(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let id = crate::ids::make_id(crate::ids::prefix::REQUEST, state.clock.now_ms(), rand::random());
    let mut res = next.run(req).await;
    if let Some(PendingErrorBody(mut body)) = res.extensions_mut().remove::<PendingErrorBody>() {
        body.error.request_id = Some(id.clone());
        let (parts, _) = res.into_parts();
        let mut with_id = axum::Json(body).into_response();
        *with_id.status_mut() = parts.status;
        for (name, value) in parts.headers.iter() {
            if name != axum::http::header::CONTENT_LENGTH {
                with_id.headers_mut().insert(name.clone(), value.clone());
            }
        }
        res = with_id;
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID.clone(), v);
    }
    res
}

/// The OpenAPI document as served: the generated one with every operation's worked example and
/// this console's origin as the server, so a curl line copied from it runs as it is.
pub fn document(state: &AppState) -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(serde_json::Value::Null);
    examples::annotate(&mut doc, &state.settings.public_url.origin);
    doc
}

/// `GET /api/v1/openapi.json`.
async fn openapi_json(State(state): State<AppState>) -> Response {
    match serde_json::to_string_pretty(&document(&state)) {
        Ok(json) => ([(axum::http::header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(_) => ApiError::internal().into_response(),
    }
}

/// A key's limit per page: default 50, at most 200.
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::invalid(format!("limit {n} is out of range: use 1 to {MAX_LIMIT}."))),
    }
}

/// RFC 3339 in UTC with milliseconds, as every API time is written.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sb_<scope>_<key>")
                    .description(Some("An API key from /settings/api-keys: `ingest` keys for /ingest, `backfills` keys to start backfills, `read` (or `backfills`) keys for the rest."))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document, generated from the handlers' annotations and the wire types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        version = "1",
        description = "Ingestion for the unified API's data plane, and read access for customers' tooling. \
            Authenticate with `Authorization: Bearer <API key>`. Lists are keyset-paginated: pass \
            `next_cursor` as `before` for older rows. Errors have the body \
            `{\"error\": {\"code\", \"message\", \"platform_error\", \"request_id\"}}`."
    ),
    paths(
        ingest::request_logs,
        ingest::connection_status,
        ingest::events,
        ingest::sync_runs,
        ingest::claim_sync_runs,
        request_logs::list_request_logs,
        request_logs::get_request_log,
        connections::list_connections,
        connections::get_connection,
        connections::list_sync_runs,
        backfills::create_backfill,
        backfills::get_backfill,
        webhook_deliveries::list_webhook_deliveries,
        issues::list_issues,
        issues::get_issue,
    ),
    modifiers(&SecurityAddon),
    security(("bearer" = [])),
    tags(
        (name = "ingest", description = "The data plane sends what it did. `ingest` keys."),
        (name = "read", description = "Customers' tooling reads logs, connections, syncs, deliveries and issues. `read` keys."),
        (name = "backfills", description = "Customers' tooling starts backfills. `backfills` keys, which may also do everything a `read` key does."),
    )
)]
pub struct ApiDoc;
