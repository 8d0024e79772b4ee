//! `GET /api/v1/connections`, one connection, and its sync runs.

use super::extract::{read_key, ApiPath, ApiQuery, PageParams};
use crate::ids::prefix;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::api::{page_limit, rfc3339};
use crate::server::connections;
use crate::server::service::page_from_cursors;
use crate::server::store::keyset_window;
use crate::server::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

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
    let rows = connections::list(&state, &Actor::Key(caller), &page, limit + 1).await?;
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
    /// How sure the mapping from the raw error to `error_code` is, when the classifier
    /// assigned it or the data plane said.
    pub error_confidence: Option<String>,
    /// What Switchboard's classifier read in a failed run's `platform_error`: the cause
    /// (`credentials_invalid`, `platform_outage`, ...), null when there was none to read.
    pub error_cause: Option<String>,
    /// The field the raw error names, spelled as the platform spells it.
    pub error_field: Option<String>,
    /// The classifier rule that decided, such as `xero.identity.invalid_grant`.
    pub error_rule: Option<String>,
    /// The classifier's code; differs from `error_code` when the data plane sent its own.
    pub classified_code: Option<String>,
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
            error_confidence: r.error_confidence,
            error_cause: r.error_cause,
            error_field: r.error_field,
            error_rule: r.error_rule,
            classified_code: r.classified_code,
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
    let limit = page_limit(p.limit)?;
    let h = crate::server::sync_runs::history(
        &state,
        &Actor::Key(caller),
        &id,
        &Default::default(),
        p.before.as_deref(),
        p.after.as_deref(),
        limit,
    )
    .await?;
    let (rows, newer, older) = (h.rows, h.newer, h.older);
    Ok(Json(SyncRunList {
        data: rows.into_iter().map(Into::into).collect(),
        next_cursor: older,
        previous_cursor: newer,
    }))
}
