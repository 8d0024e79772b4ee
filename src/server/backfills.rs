//! Backfills and "sync now": the operations behind the connection page, the connections list's
//! bulk action, applying a configuration to existing connections, and the HTTP API. Each checks who may do it, validates the request with
//! messages that name the problem, writes the change with its audit entry in one transaction,
//! and wakes the worker.

use super::actor::Actor;
use super::actor::Author;
use super::audit::Audit;
use super::auth::Viewer;
use super::clock::Clock;
use super::service::{parse_id_param, ServiceError, ServiceResult};
use super::store::sync::{NewBackfill, NewSyncRun};
use super::store::{ConnectionRow, Page, Scope, Store};
use super::AppState;
use crate::domain::connection_filter::ConnectionListQuery;
use crate::domain::{
    platform, AuditAction, BackfillStatus, ConnectionStatus, IntegrationType, Role, StaffRole, SyncRunKind,
    TriggerKind,
};
use crate::ids::{make_id, prefix};

/// Connections one backfill may cover.
pub const MAX_CONNECTIONS: usize = 1_000;
const DAY_MS: i64 = 86_400_000;

/// Whether this viewer may start backfills and syncs, and if not, why (shown beside the
/// disabled form).
pub fn may_trigger(viewer: &Viewer) -> Result<(), String> {
    match (viewer.role, viewer.staff_role) {
        (Some(Role::Owner | Role::Admin | Role::Developer), _) => Ok(()),
        // Support staff re-run a customer's syncs while working a ticket (audited as staff.*).
        (None, Some(StaffRole::Support | StaffRole::SupportAdmin)) => Ok(()),
        (Some(Role::Viewer), _) => Err("Viewers can read sync history but not start backfills. Ask a developer, admin or owner of your organization.".into()),
        _ => Err("You cannot start backfills in this organization.".into()),
    }
}

/// The time range a backfill covers.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeChoice {
    /// As far back as the configuration's initial lookback for each object.
    FullHistory,
    Last30Days,
    Custom {
        from_ms: i64,
        to_ms: i64,
    },
}

#[derive(Debug, Clone)]
pub struct BackfillRequest {
    pub connection_ids: Vec<String>,
    pub data_objects: Vec<String>,
    pub range: RangeChoice,
    pub reason: Option<String>,
    /// From the form, so a double submit creates one backfill.
    pub idempotency_key: String,
}

/// What a backfill will do, shown before confirming.
#[derive(Debug, Clone)]
pub struct BackfillPlan {
    pub runs: Vec<NewSyncRun>,
    /// The objects asked for, each once.
    pub data_objects: Vec<String>,
    pub connections: Vec<ConnectionRow>,
    pub integration_type: IntegrationType,
    pub config_version: i64,
    pub range_from: i64,
    pub range_to: i64,
    /// Connections left out, with why.
    pub skipped: Vec<(String, String)>,
}

/// Drops repeats, keeping the first occurrence's place.
fn dedup(items: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items.iter().map(|s| s.trim()).filter(|s| seen.insert(*s)).map(str::to_string).collect()
}

fn too_many(n: usize) -> ServiceError {
    ServiceError::invalid(format!(
        "A backfill covers at most {MAX_CONNECTIONS} connections; {n} were chosen. Narrow the filters or split it."
    ))
}

/// The connection ids a backfill was asked for, as typed (the form's fields, the API's array):
/// each checked, repeats dropped, at most [`MAX_CONNECTIONS`].
pub fn connection_ids<'a>(raw: impl IntoIterator<Item = &'a str>) -> ServiceResult<Vec<String>> {
    let raw: Vec<String> = raw.into_iter().map(str::to_string).collect();
    let ids = dedup(&raw);
    if ids.len() > MAX_CONNECTIONS {
        return Err(too_many(ids.len()));
    }
    ids.iter().map(|id| parse_id_param(prefix::CONNECTION, "a connection", id)).collect()
}

/// The connections a new backfill's form offers: those chosen by id and, when `matching` holds
/// the connections list's query ("backfill all matching"), every connection it matches. Ids not
/// in the actor's environment are left out.
pub async fn choose(
    state: &AppState,
    actor: &Actor,
    mut ids: Vec<String>,
    matching: &str,
) -> ServiceResult<Vec<ConnectionRow>> {
    let scope = actor.scope();
    if !matching.trim().is_empty() {
        let filter = super::connections::filter(&ConnectionListQuery::from_query(matching))?;
        let max = MAX_CONNECTIONS as i64;
        let found = super::connections::search(
            state.store.as_ref(),
            &scope,
            &filter,
            &Page::First,
            max + 1,
            state.clock.now_ms(),
            false,
        )
        .await?
        .rows;
        if found.len() as i64 > max {
            return Err(ServiceError::invalid(format!(
                "More than {max} connections match these filters; narrow them so one backfill covers at most {max}."
            )));
        }
        ids.extend(found.into_iter().map(|r| r.connection.id));
    }
    let ids = dedup(&ids);
    if ids.len() > MAX_CONNECTIONS {
        return Err(too_many(ids.len()));
    }
    Ok(state.store.connections_by_ids(&scope, &ids).await?)
}

/// The review before confirming: what [`create`] would queue for this viewer. Computes nothing
/// for a viewer who may not start backfills.
pub async fn review(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    req: &BackfillRequest,
) -> ServiceResult<BackfillPlan> {
    may_trigger(viewer).map_err(ServiceError::Forbidden)?;
    plan(state.store.as_ref(), state.clock.as_ref(), scope, req).await
}

/// Validates a request and works out the runs it would queue, without writing anything: one run
/// per connection and object, however often either was named.
pub async fn plan(
    store: &dyn Store,
    clock: &dyn Clock,
    scope: &Scope,
    req: &BackfillRequest,
) -> ServiceResult<BackfillPlan> {
    let now = clock.now_ms();
    let connection_ids = dedup(&req.connection_ids);
    let data_objects = dedup(&req.data_objects);
    if connection_ids.is_empty() {
        return Err(ServiceError::invalid("Choose at least one connection to backfill."));
    }
    if connection_ids.len() > MAX_CONNECTIONS {
        return Err(too_many(connection_ids.len()));
    }
    if data_objects.is_empty() {
        return Err(ServiceError::invalid("Choose at least one data object to backfill."));
    }
    if let Some(r) = &req.reason {
        if r.chars().count() > 500 {
            return Err(ServiceError::invalid("Keep the reason under 500 characters."));
        }
        crate::domain::check_text("Reason", r)?;
    }
    let mut connections = store.connections_by_ids(scope, &connection_ids).await?;
    if connections.len() != connection_ids.len() {
        return Err(ServiceError::not_found(
            "One of the chosen connections was not found in this environment.",
        ));
    }
    connections.sort_by(|a, b| a.id.cmp(&b.id));
    let types: std::collections::HashSet<IntegrationType> =
        connections.iter().filter_map(|c| platform(&c.platform_id)).map(|p| p.integration_type).collect();
    let Some(integration_type) =
        connections.first().and_then(|c| platform(&c.platform_id)).map(|p| p.integration_type)
    else {
        return Err(ServiceError::invalid("The chosen connections are on unknown platforms."));
    };
    if types.len() > 1 {
        return Err(ServiceError::invalid(
            "A backfill covers connections of one integration type (accounting, commerce or payments), whose data objects it names. Choose connections of one type.",
        ));
    }
    for object in &data_objects {
        if !integration_type.data_objects().contains(&object.as_str()) {
            return Err(ServiceError::invalid(format!(
                "{object:?} is not a {} data object. Choose from: {}.",
                integration_type.as_str(),
                integration_type.data_objects().join(", ")
            )));
        }
    }
    let (config_version, settings) =
        store.current_sync_config(scope, integration_type).await?.unwrap_or((1, serde_json::json!({})));
    let (range_from, range_to) = match &req.range {
        RangeChoice::Last30Days => (now - 30 * DAY_MS, now),
        RangeChoice::FullHistory => {
            let months = data_objects
                .iter()
                .filter_map(|o| settings["objects"][o.as_str()]["history"]["months"].as_i64())
                .max()
                .unwrap_or(24);
            (now - months * 30 * DAY_MS, now)
        }
        RangeChoice::Custom { from_ms, to_ms } => {
            if from_ms >= to_ms {
                return Err(ServiceError::invalid("The range's start must be before its end."));
            }
            if *from_ms > now {
                return Err(ServiceError::invalid(
                    "The range is in the future: there is no data to fetch yet.",
                ));
            }
            if *to_ms > now + 60_000 {
                return Err(ServiceError::invalid(
                    "The range ends in the future: choose an end no later than now.",
                ));
            }
            (*from_ms, *to_ms)
        }
    };
    let single = connections.len() == 1;
    let mut runs = vec![];
    let mut kept = vec![];
    let mut skipped = vec![];
    for c in connections {
        let spec = platform(&c.platform_id).expect("known platform");
        if c.status == ConnectionStatus::Disabled {
            if single {
                return Err(ServiceError::invalid(format!(
                    "{} is disabled: its credentials are not used, so there is nothing to backfill. Re-enable it first.",
                    c.display_name
                )));
            }
            skipped.push((c.display_name.clone(), "disabled".to_string()));
            continue;
        }
        let supported: Vec<&String> =
            data_objects.iter().filter(|o| spec.supported_objects().any(|s| s == o.as_str())).collect();
        if single {
            if let Some(o) = data_objects.iter().find(|o| !supported.contains(o)) {
                return Err(ServiceError::invalid(format!(
                    "{} does not offer {o}: it cannot be backfilled.",
                    spec.name
                )));
            }
        }
        if supported.is_empty() {
            skipped
                .push((c.display_name.clone(), format!("{} offers none of the chosen objects", spec.name)));
            continue;
        }
        for o in supported {
            runs.push(
                NewSyncRun::new(&(&c).into(), o, SyncRunKind::Backfill, TriggerKind::Backfill, now)
                    .over(range_from, range_to),
            );
        }
        kept.push(c);
    }
    if runs.is_empty() {
        return Err(ServiceError::invalid(
            "None of the chosen connections can be backfilled with these objects.",
        ));
    }
    Ok(BackfillPlan {
        runs,
        data_objects,
        connections: kept,
        integration_type,
        config_version,
        range_from,
        range_to,
        skipped,
    })
}

/// Queues a backfill. Returns its id and whether it was created now (`false`: this form was
/// already submitted, and that backfill is returned).
pub async fn create(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    req: &BackfillRequest,
) -> ServiceResult<(String, bool)> {
    may_trigger(viewer).map_err(ServiceError::Forbidden)?;
    create_as(store, clock, &Author::person(viewer), scope, req).await
}

/// Queues a backfill for an actor already allowed to (the API checks its key's scope).
pub async fn create_as(
    store: &dyn Store,
    clock: &dyn Clock,
    actor: &Author,
    scope: &Scope,
    req: &BackfillRequest,
) -> ServiceResult<(String, bool)> {
    check_submission_key(&req.idempotency_key)?;
    let plan = plan(store, clock, scope, req).await?;
    let reason = req.reason.clone().filter(|r| !r.trim().is_empty());
    let connection_ids: Vec<String> = plan.connections.iter().map(|c| c.id.clone()).collect();
    let details = serde_json::json!({
        "connections": connection_ids,
        "objects": plan.data_objects,
        "range_from": plan.range_from,
        "range_to": plan.range_to,
        "runs": plan.runs.len(),
        "reason": reason,
    });
    let backfill = Queued {
        runs: plan.runs,
        data_objects: plan.data_objects,
        connection_ids,
        range_from: plan.range_from,
        range_to: plan.range_to,
        config_version: plan.config_version,
        reason,
        action: AuditAction::BackfillCreate,
        move_at_once: vec![],
    };
    queue(store, clock, actor, scope, &req.idempotency_key, backfill, |_| details).await
}

/// A backfill ready to be written: its runs (one per connection and object) and how it is
/// recorded.
pub struct Queued {
    pub runs: Vec<NewSyncRun>,
    /// The objects asked for, as the backfill's page lists them.
    pub data_objects: Vec<String>,
    pub connection_ids: Vec<String>,
    pub range_from: i64,
    pub range_to: i64,
    pub config_version: i64,
    pub reason: Option<String>,
    /// The audit entry's action (`backfill.create`, `sync_config.apply`).
    pub action: AuditAction,
    /// Connections moved to `config_version` with the backfill, in its transaction.
    pub move_at_once: Vec<String>,
}

fn check_submission_key(key: &str) -> ServiceResult<()> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(ServiceError::invalid(
            "The form is missing its submission key; reload the page and try again.",
        ));
    }
    Ok(())
}

/// Writes a backfill, its runs and its audit entry in one transaction: the one place every
/// backfill is created (the form, the API, applying a configuration to existing connections).
/// `details` makes the audit entry's details from the new backfill's id. Returns its id and
/// whether it was created now (`false`: this submission was already written, and that backfill
/// is returned).
pub async fn queue(
    store: &dyn Store,
    clock: &dyn Clock,
    author: &Author,
    scope: &Scope,
    submission_key: &str,
    mut b: Queued,
    details: impl FnOnce(&str) -> serde_json::Value,
) -> ServiceResult<(String, bool)> {
    check_submission_key(submission_key)?;
    let now = clock.now_ms();
    let id = make_id(prefix::BACKFILL, now, rand::random());
    for r in &mut b.runs {
        r.backfill_id = Some(id.clone());
        r.triggered_by = author.user_id.clone();
    }
    let backfill = NewBackfill {
        id: id.clone(),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        data_objects: serde_json::to_string(&b.data_objects).unwrap_or_else(|_| "[]".into()),
        range_from: Some(b.range_from),
        range_to: Some(b.range_to),
        config_version: b.config_version,
        created_by: author.user_id.clone(),
        created_by_email: Some(author.email.clone()),
        created_at: now,
        idempotency_key: format!("{}:{}", author.idempotency_scope, submission_key.trim()),
        reason: b.reason,
        connection_ids: b.connection_ids,
        move_at_once: b.move_at_once,
    };
    let audit = Audit::new(b.action, "backfill", &id, clock.now_ms())
        .by(author)
        .of_organization(&scope.organization_id)
        .details(details(&id))
        .entry();
    Ok(store.create_backfill(&backfill, &b.runs, &audit).await?)
}

/// Queues one run of one object now (trigger `user`).
pub async fn sync_now(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    connection_id: &str,
    data_object: &str,
) -> ServiceResult<String> {
    may_trigger(viewer).map_err(ServiceError::Forbidden)?;
    let c = store.get_connection(scope, connection_id).await?.ok_or_else(|| {
        ServiceError::not_found(format!("No connection {connection_id} was found in your organization."))
    })?;
    let spec = platform(&c.platform_id).ok_or_else(|| ServiceError::invalid("Unknown platform."))?;
    if !spec.supported_objects().any(|o| o == data_object) {
        return Err(ServiceError::invalid(format!(
            "{} does not offer {data_object}: it cannot be synced.",
            spec.name
        )));
    }
    if c.status == ConnectionStatus::Disabled {
        return Err(ServiceError::invalid(format!(
            "{} is disabled: re-enable it before syncing.",
            c.display_name
        )));
    }
    let now = clock.now_ms();
    let run = NewSyncRun {
        triggered_by: Some(viewer.user_id.clone()),
        ..NewSyncRun::new(&(&c).into(), data_object, SyncRunKind::Incremental, TriggerKind::User, now)
            .over(c.last_synced_at.unwrap_or(now - DAY_MS), now)
    };
    let audit = Audit::new(AuditAction::ConnectionSyncNow, "connection", &c.id, clock.now_ms())
        .by(&Author::person(viewer))
        .of_organization(&scope.organization_id)
        .details(serde_json::json!({"object": data_object, "run": run.id}))
        .entry();
    store.queue_runs(std::slice::from_ref(&run), Some(&audit)).await?;
    Ok(run.id)
}

/// Cancels a backfill that has not ended.
pub async fn cancel(
    store: &dyn Store,
    clock: &dyn Clock,
    viewer: &Viewer,
    scope: &Scope,
    backfill_id: &str,
) -> ServiceResult<()> {
    may_trigger(viewer).map_err(ServiceError::Forbidden)?;
    let audit = Audit::new(AuditAction::BackfillCancel, "backfill", backfill_id, clock.now_ms())
        .by(&Author::person(viewer))
        .of_organization(&scope.organization_id)
        .entry();
    if store.cancel_backfill(scope, backfill_id, clock.now_ms(), &audit).await? {
        Ok(())
    } else {
        Err(ServiceError::invalid(format!(
            "Backfill {backfill_id} has already ended (or does not exist here): nothing to cancel."
        )))
    }
}
/// A page of the environment's backfills, newest first, optionally of one status.
pub async fn list(
    store: &dyn Store,
    scope: &Scope,
    status: &str,
    before: &str,
    after: &str,
    limit: i64,
) -> ServiceResult<BackfillPage> {
    let status = Some(status.trim()).filter(|s| !s.is_empty());
    if let Some(s) = status {
        if BackfillStatus::parse(s).is_none() {
            let all: Vec<&str> = BackfillStatus::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ServiceError::invalid(format!(
                "Unknown status {s:?}: choose one of {}.",
                all.join(", ")
            )));
        }
    }
    let page = super::service::page_from_cursors(prefix::BACKFILL, "backfill", Some(before), Some(after))?;
    let rows = store.list_backfills(scope, status, &page, limit + 1).await?;
    let (rows, newer, older) = super::store::keyset_window(rows, &page, limit, |b| b.id.clone());
    Ok(BackfillPage { rows, newer, older, status: status.map(str::to_string) })
}

/// A page of backfills and the cursors around it.
pub struct BackfillPage {
    pub rows: Vec<super::store::sync::BackfillSummaryRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// The status filter, as checked.
    pub status: Option<String>,
}

/// One backfill of the actor's environment with its progress.
pub async fn get(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ServiceResult<super::store::sync::BackfillSummaryRow> {
    let id = parse_id_param(prefix::BACKFILL, "a backfill", id)?;
    state
        .store
        .get_backfill(&actor.scope(), &id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("No backfill {id} in this environment.")))
}

/// One backfill with the runs of up to `limit` of its connections after `after` (its matrix,
/// one page of connections at a time).
pub struct BackfillMatrix {
    pub summary: super::store::sync::BackfillSummaryRow,
    pub runs: Vec<super::store::sync::SyncRunDetailRow>,
    /// The page's connections, in order, and their rows (names and platforms).
    pub connection_ids: Vec<String>,
    pub connections: Vec<ConnectionRow>,
    /// Where the next page of connections starts, when there is one.
    pub more_after: Option<String>,
}

pub async fn matrix(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
    after: &str,
    limit: i64,
) -> ServiceResult<BackfillMatrix> {
    let id = crate::ids::parse_id(prefix::BACKFILL, id)
        .map_err(|e| ServiceError::invalid(format!("{id:?} is not a backfill ID: {e}.")))?;
    let summary = store
        .get_backfill(scope, &id)
        .await?
        .ok_or_else(|| ServiceError::not_found(format!("No backfill {id} was found in this environment.")))?;
    let after = Some(after.trim()).filter(|a| !a.is_empty());
    let runs = store.backfill_runs(scope, &id, after, limit + 1).await?;
    let mut ids: Vec<String> = runs.iter().map(|r| r.connection_id.clone()).collect();
    ids.dedup();
    let more_after = (ids.len() as i64 > limit).then(|| ids[limit as usize - 1].clone());
    ids.truncate(limit as usize);
    let connections = store.connections_by_ids(scope, &ids).await?;
    Ok(BackfillMatrix { summary, runs, connection_ids: ids, connections, more_after })
}
