//! `GET /api/v1/webhook-deliveries`: the delivery log, read by `server::webhooks::delivery_log`
//! as the console reads it.

use super::extract::{read_key, ApiQuery};
use crate::domain::delivery_filter::DeliveryFilters;
use crate::ids::prefix;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::api::{page_limit, rfc3339};
use crate::server::service::page_from_cursors;
use crate::server::webhooks::delivery_log::{self, DeliveryList};
use crate::server::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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
    #[schema(value_type = String)]
    pub status: crate::domain::DeliveryStatus,
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
