//! The connections context: finding connections by the list's filters (the connections page and
//! "backfill all matching" match the same rows), and loading one connection by id for every
//! page, tab and API route that shows one.

use super::actor::Actor;
use super::service::{parse_id_param, ServiceError, ServiceResult};
use super::store::{
    ConnectionFilter, ConnectionListRow, ConnectionRow, ObjectKind, Page, Scope, Store, StoreResult,
};
use super::AppState;
use crate::domain::connection_filter::ConnectionListQuery;
use crate::domain::{platform, ConnectionStatus, IntegrationType};
use crate::ids::prefix;

/// Runs within this window count as "failed in the last 24 h" in the list's health column.
pub const HEALTH_WINDOW_MS: i64 = 86_400_000;

/// One page of connections and, when asked, the counts by status for the same filters.
pub struct ConnectionSearch {
    pub rows: Vec<ConnectionListRow>,
    /// `(status, count)` for every status, the filter's own status choice ignored; empty when
    /// counts were not asked for.
    pub counts: Vec<(String, i64)>,
}

/// Connections matching `filter` in `scope`, `limit` rows of `page`, newest first. A text that is
/// exactly a connection ID or platform account ID is resolved once, here, into an index lookup
/// that both the page and the counts use.
pub async fn search(
    store: &dyn Store,
    scope: &Scope,
    filter: &ConnectionFilter,
    page: &Page,
    limit: i64,
    now_ms: i64,
    with_counts: bool,
) -> StoreResult<ConnectionSearch> {
    let filter = store.exact_text_match(scope, filter).await?;
    let rows = store.search_connections(scope, &filter, page, limit, now_ms - HEALTH_WINDOW_MS).await?;
    let counts = if with_counts { store.connection_status_counts(scope, &filter).await? } else { Vec::new() };
    Ok(ConnectionSearch { rows, counts })
}

/// Validates the list's URL filters into the store's.
pub fn filter(q: &ConnectionListQuery) -> ServiceResult<ConnectionFilter> {
    let mut statuses = vec![];
    for s in q.status.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if ConnectionStatus::parse(s).is_none() {
            return Err(ServiceError::invalid(format!(
                "Unknown status {s:?}: choose from initializing, healthy, degraded, needs_reauth, disabled."
            )));
        }
        statuses.push(s.to_string());
    }
    let platform_id = Some(q.platform.trim()).filter(|p| !p.is_empty()).map(str::to_string);
    if let Some(p) = &platform_id {
        if platform(p).is_none() {
            return Err(ServiceError::invalid(format!("Unknown platform {p:?}.")));
        }
    }
    let integration_type = Some(q.r#type.trim()).filter(|t| !t.is_empty()).map(str::to_string);
    if let Some(t) = &integration_type {
        if IntegrationType::parse(t).is_none() {
            return Err(ServiceError::invalid(format!(
                "Unknown integration type {t:?}: choose accounting, commerce or payments."
            )));
        }
    }
    let text = Some(q.q.trim()).filter(|q| !q.is_empty()).map(str::to_string);
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ServiceError::invalid("Search text is limited to 200 characters."));
    }
    Ok(ConnectionFilter { statuses, platform_id, integration_type, text, behind: q.behind, ids: vec![] })
}

/// A connection id as typed, checked and resolved to the scope the actor may read it in.
pub async fn resolve(state: &AppState, actor: &Actor, id: &str) -> ServiceResult<(Scope, String)> {
    let id = parse_id_param(prefix::CONNECTION, "a connection", id)?;
    let scope = actor.scope_for(state, ObjectKind::Connection, &id).await?;
    Ok((scope, id))
}

/// One connection by id, with the scope it was read in (the actor's own, or for staff the
/// organization they were allowed to look into).
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ServiceResult<(Scope, ConnectionRow)> {
    let (scope, id) = resolve(state, actor, id).await?;
    let row = state
        .store
        .get_connection(&scope, &id)
        .await?
        .ok_or_else(|| actor.not_found(ObjectKind::Connection, &id))?;
    Ok((scope, row))
}

/// The connection's latest webhook events, newest first (its Webhooks tab).
pub async fn recent_events(
    state: &AppState,
    actor: &Actor,
    id: &str,
    limit: i64,
) -> ServiceResult<Vec<super::store::WebhookEventRow>> {
    let (scope, id) = resolve(state, actor, id).await?;
    Ok(state.store.list_events(&scope, Some(&id), &Page::First, limit).await?)
}

/// The audit entries about the connection, newest first (its Activity tab).
pub async fn activity(
    state: &AppState,
    actor: &Actor,
    id: &str,
    limit: i64,
) -> ServiceResult<Vec<super::store::AuditRow>> {
    let (scope, id) = resolve(state, actor, id).await?;
    Ok(state.store.audit_for_target(&scope.organization_id, &id, limit).await?)
}

/// `limit` connections of the actor's environment on `page`, newest first.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    page: &Page,
    limit: i64,
) -> ServiceResult<Vec<ConnectionRow>> {
    Ok(state.store.list_connections(&actor.scope(), page, limit).await?)
}

/// Up to `limit` connections of the actor's environment, newest first, and whether there are
/// more (the request log's connection picker).
pub async fn picker(
    state: &AppState,
    actor: &Actor,
    limit: i64,
) -> ServiceResult<(Vec<ConnectionRow>, bool)> {
    let mut rows = state.store.list_connections(&actor.scope(), &Page::First, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// These connections of the actor's environment (one bounded lookup; ids of other
/// environments are simply absent).
pub async fn by_ids(state: &AppState, actor: &Actor, ids: &[String]) -> ServiceResult<Vec<ConnectionRow>> {
    Ok(state.store.connections_by_ids(&actor.scope(), ids).await?)
}
