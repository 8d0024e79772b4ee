//! The sync-runs context: a connection's sync history (the History tab and
//! `GET /api/v1/connections/{id}/sync-runs` share one query and its validation), one run with
//! its upstream calls, and each object's latest run behind the Overview tab.

use super::actor::Actor;
use super::service::{page_from_cursors, ServiceError, ServiceResult};
use super::store::sync::{SyncRunDetailRow, SyncRunQuery};
use super::store::{keyset_window, ConnectionRow, Scope};
use super::AppState;
use crate::domain::request_filter::parse_time_range;
use crate::domain::sync_runs::{KINDS, RANGES, RUN_STATUSES};
use crate::domain::{one_of, platform};
use crate::ids::{id_floor, parse_id, prefix};

/// A run counts as "failed in the last 24 h" on the Overview tab within this window.
pub const FAILED_WINDOW_MS: i64 = 86_400_000;

/// The history's filters as typed in the URL; empty means "any".
#[derive(Debug, Clone, Default)]
pub struct HistoryFilters {
    pub object: String,
    pub status: String,
    pub kind: String,
    /// A preset range (`24h`, `7d`, `30d`); a custom `from`/`to` wins over it.
    pub range: String,
    pub from: String,
    pub to: String,
}

/// One page of a connection's runs, newest first, with the cursors of the pages around it.
pub struct History {
    pub connection: ConnectionRow,
    pub rows: Vec<SyncRunDetailRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

/// `limit` runs of the connection matching `filters`, on the page the cursors name.
pub async fn history(
    state: &AppState,
    actor: &Actor,
    connection_id: &str,
    filters: &HistoryFilters,
    before: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ServiceResult<History> {
    let (scope, connection) = super::connections::get(state, actor, connection_id).await?;
    let page = page_from_cursors(prefix::SYNC_RUN, "run", before, after)?;
    let objects: &[&str] =
        platform(&connection.platform_id).map(|p| p.integration_type.data_objects()).unwrap_or_default();
    let q = query(state, filters, objects, page.clone(), limit)?;
    let rows = state.store.list_sync_runs(&scope, Some(&connection.id), &q).await?;
    let (rows, newer, older) = keyset_window(rows, &page, limit, |r| r.id.clone());
    Ok(History { connection, rows, newer, older })
}

/// The store query for `filters` on `page`: validated, with `limit + 1` rows to tell whether
/// an older page exists. `objects` are the data objects the object filter may name.
fn query(
    state: &AppState,
    filters: &HistoryFilters,
    objects: &[&str],
    page: super::store::Page,
    limit: i64,
) -> ServiceResult<SyncRunQuery> {
    let hours = match filters.range.trim() {
        "" => None,
        r => Some(RANGES.iter().find(|x| x.0 == r).map(|x| x.2).ok_or_else(|| {
            ServiceError::invalid(format!("Unknown time range {r:?}: choose 24h, 7d or 30d."))
        })?),
    };
    let (from_ms, to_ms) = parse_time_range(Some(&filters.from), Some(&filters.to))?;
    let from_id = match (from_ms, to_ms) {
        (None, None) => hours.map(|h| id_floor(prefix::SYNC_RUN, state.clock.now_ms() - h * 3_600_000)),
        (f, _) => f.map(|f| id_floor(prefix::SYNC_RUN, f)),
    };
    Ok(SyncRunQuery {
        data_object: one_of("object", &filters.object, objects)?,
        status: one_of("status", &filters.status, RUN_STATUSES)?,
        kind: one_of("kind", &filters.kind, KINDS)?,
        from_id,
        // `to` is inclusive to the millisecond, as in the request log.
        to_id: to_ms.map(|t| id_floor(prefix::SYNC_RUN, t + 1)),
        page,
        limit: limit + 1,
    })
}

/// Every data object of the catalog, once, in the catalog's order.
pub fn all_data_objects() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = vec![];
    for t in crate::domain::IntegrationType::ALL {
        for o in t.data_objects() {
            if !all.contains(o) {
                all.push(o);
            }
        }
    }
    all
}

/// One page of the whole environment's runs, newest first (`/sync-runs`, where the Overview's
/// bars link): the same filters as a connection's history, any data object of the catalog.
pub struct EnvironmentRuns {
    pub rows: Vec<SyncRunDetailRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

pub async fn environment_runs(
    state: &AppState,
    actor: &Actor,
    filters: &HistoryFilters,
    before: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> ServiceResult<EnvironmentRuns> {
    let scope = actor.scope();
    let page = page_from_cursors(prefix::SYNC_RUN, "run", before, after)?;
    let q = query(state, filters, &all_data_objects(), page.clone(), limit)?;
    let rows = state.store.list_sync_runs(&scope, None, &q).await?;
    let (rows, newer, older) = keyset_window(rows, &page, limit, |r| r.id.clone());
    Ok(EnvironmentRuns { rows, newer, older })
}

/// One run of the actor's environment and the connection it belongs to (absent only if that
/// connection was deleted since).
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ServiceResult<(SyncRunDetailRow, Option<ConnectionRow>)> {
    let id = parse_id(prefix::SYNC_RUN, id)
        .map_err(|e| ServiceError::invalid(format!("{id:?} is not a sync run ID: {e}.")))?;
    let scope = actor.scope();
    let row =
        state.store.get_sync_run(&scope, &id).await?.ok_or_else(|| {
            ServiceError::not_found(format!("No sync run {id} was found in this environment."))
        })?;
    let connection = state.store.get_connection(&scope, &row.connection_id).await?;
    Ok((row, connection))
}

/// What the Overview tab shows about a connection's runs.
pub struct ObjectStates {
    /// Each object's latest run with the time of its last success.
    pub latest: Vec<(SyncRunDetailRow, Option<i64>)>,
    /// Runs that failed within [`FAILED_WINDOW_MS`] of `now`.
    pub failed_recently: i64,
}

/// The connection's per-object state, read in the scope it was loaded in.
pub async fn object_states(
    state: &AppState,
    scope: &Scope,
    connection: &ConnectionRow,
    now: i64,
) -> ServiceResult<ObjectStates> {
    let latest = state.store.object_states(scope, &connection.id).await?;
    let failed_recently =
        state.store.failed_runs_since(scope, &connection.id, now - FAILED_WINDOW_MS).await?;
    Ok(ObjectStates { latest, failed_recently })
}
