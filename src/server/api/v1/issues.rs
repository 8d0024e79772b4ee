//! `GET /api/v1/issues` and one issue with its timeline: what customers' own tooling shows of
//! the problems Switchboard detected.

use super::extract::{read_key, ApiPath, ApiQuery};
use crate::domain::issues::IssueFilters;
use crate::server::actor::{Actor, ApiCaller};
use crate::server::api::error::{ApiError, ErrorBody};
use crate::server::api::{page_limit, rfc3339};
use crate::server::store::issues::IssueRow;
use crate::server::AppState;
use axum::extract::State;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssueParams {
    /// `unresolved` (the default: open and acknowledged), `open`, `acknowledged`, `muted`,
    /// `resolved` or `all`.
    pub status: Option<String>,
    /// `credentials`, `missing_permission`, `rate_limited`, `object_failing`, `sync_overdue`,
    /// `endpoint_failing`, `config_behind` or `error_spike`.
    pub kind: Option<String>,
    /// `critical`, `error` or `warning`.
    pub severity: Option<String>,
    /// A platform id, such as `xero`.
    pub platform: Option<String>,
    /// A connection id (`conn_...`): the issues affecting it.
    pub connection: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Rows per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Issue {
    pub id: String,
    /// What went wrong (see `kind` in the parameters).
    pub kind: String,
    pub title: String,
    /// `critical`, `error` or `warning`.
    pub severity: String,
    /// `open`, `acknowledged`, `muted` or `resolved`.
    pub status: String,
    /// Reopened because it came back within 7 days of being resolved.
    pub regressed: bool,
    /// What was last seen, in one sentence.
    pub summary: String,
    pub platform: Option<String>,
    pub connection_id: Option<String>,
    pub data_object: Option<String>,
    pub endpoint_id: Option<String>,
    /// `METHOD /path/{id}` for an error-rate spike.
    pub api_path: Option<String>,
    /// The newest request (`req_`), sync run (`run_`) or delivery (`dlv_`) that showed it.
    pub evidence_id: Option<String>,
    pub occurrences: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<String>,
    /// Who resolved it; none when it resolved by itself.
    pub resolved_by: Option<String>,
    pub next_step: String,
}

impl From<IssueRow> for Issue {
    fn from(r: IssueRow) -> Self {
        Issue {
            kind: r.kind.as_str().to_string(),
            title: r.kind.title().to_string(),
            severity: r.severity.as_str().to_string(),
            status: r.status.as_str().to_string(),
            regressed: r.regressed,
            summary: r.summary,
            platform: r.platform_id,
            connection_id: r.connection_id,
            data_object: r.data_object,
            endpoint_id: r.endpoint_id,
            api_path: r.api_path,
            evidence_id: r.evidence_id,
            occurrences: r.occurrences,
            first_seen: rfc3339(r.first_seen),
            last_seen: rfc3339(r.last_seen),
            acknowledged_by: r.acknowledged_by,
            resolved_at: r.resolved_at.map(rfc3339),
            resolved_by: r.resolved_by,
            next_step: r.kind.next_step().to_string(),
            id: r.id,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssueList {
    pub data: Vec<Issue>,
    pub next_cursor: Option<String>,
    pub previous_cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssueTimelineEntry {
    pub at: String,
    /// `opened`, `escalated`, `acknowledged`, `muted`, `unmuted`, `resolved` or `reopened`.
    pub action: String,
    /// The person, for their actions; none for Switchboard's own.
    pub actor: Option<String>,
    pub detail: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IssueDetail {
    #[serde(flatten)]
    pub issue: Issue,
    /// Every connection it affects (at most 100).
    pub connection_ids: Vec<String>,
    pub timeline: Vec<IssueTimelineEntry>,
}

/// List issues, newest first; unresolved ones unless `status` says otherwise.
#[utoipa::path(
    get,
    path = "/api/v1/issues",
    tag = "read",
    params(IssueParams),
    responses(
        (status = 200, body = IssueList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn list_issues(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiQuery(p): ApiQuery<IssueParams>,
) -> Result<Json<IssueList>, ApiError> {
    read_key(&caller)?;
    let limit = page_limit(p.limit)?;
    let filters = IssueFilters {
        status: p.status.unwrap_or_default(),
        kind: p.kind.unwrap_or_default(),
        severity: p.severity.unwrap_or_default(),
        platform: p.platform.unwrap_or_default(),
        connection: p.connection.unwrap_or_default(),
    };
    let page = crate::server::issues::list(
        &state,
        &Actor::Key(caller),
        &filters,
        p.before.as_deref(),
        p.after.as_deref(),
        limit,
    )
    .await?;
    Ok(Json(IssueList {
        data: page.rows.into_iter().map(Into::into).collect(),
        next_cursor: page.older,
        previous_cursor: page.newer,
    }))
}

/// One issue, with the connections it affects and its timeline.
#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}",
    tag = "read",
    params(("id" = String, Path, description = "The issue id, `iss_...`")),
    responses(
        (status = 200, body = IssueDetail),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 429, body = ErrorBody),
    )
)]
pub async fn get_issue(
    State(state): State<AppState>,
    Extension(caller): Extension<ApiCaller>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IssueDetail>, ApiError> {
    read_key(&caller)?;
    let d = crate::server::issues::get(&state, &Actor::Key(caller), &id).await?;
    Ok(Json(IssueDetail {
        issue: d.issue.into(),
        connection_ids: d.connections,
        timeline: d
            .events
            .into_iter()
            .map(|e| IssueTimelineEntry {
                at: rfc3339(e.at),
                action: e.action.as_str().to_string(),
                actor: e.actor_email,
                detail: e.detail,
            })
            .collect(),
    }))
}
