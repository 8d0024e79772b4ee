//! Retention (issue 21): each organization keeps its request logs, sync runs and webhook events
//! 7, 30 or 90 days (30 until an owner or admin chooses, audited); the worker purges what is
//! older in batches of [`BATCH`] rows, each a short transaction of its own, so ingestion waits
//! at most one batch; hourly rollups are kept 13 months.

use super::actor::Viewer;
use super::audit::Audit;
use super::service::{ServiceError, ServiceResult};
use super::store::retention::{PurgeReport, ROLLUP_KEEP_MS};
use super::store::{Store, StoreResult};
use super::AppState;
use crate::domain::retention::{parse_days, DEFAULT_DAYS};
use crate::domain::{AuditAction, Role};

/// Rows deleted per statement: a writer waits behind at most one such statement.
pub const BATCH: i64 = 250;
const DAY: i64 = 86_400_000;

/// Who may change it: owners and admins (it deletes the organization's data).
pub fn may_manage(viewer: &Viewer) -> Result<(), String> {
    match viewer.role {
        Some(Role::Owner | Role::Admin) => Ok(()),
        Some(_) => Err("Only owners and admins change how long data is kept. Ask one of them.".into()),
        None => Err("Staff can read this organization's retention but not change it.".into()),
    }
}

/// The viewer's organization's retention in days.
pub async fn days(state: &AppState, viewer: &Viewer) -> ServiceResult<i64> {
    Ok(state.store.retention_days(&viewer.organization_id).await?.unwrap_or(DEFAULT_DAYS))
}

/// Sets it, audited with the period before and after. Returns the new period.
pub async fn set(state: &AppState, viewer: &Viewer, days_text: &str) -> ServiceResult<i64> {
    may_manage(viewer).map_err(ServiceError::Forbidden)?;
    let new = parse_days(days_text).map_err(|e| ServiceError::invalid(e.0))?;
    let old = days(state, viewer).await?;
    let audit = Audit::new(
        AuditAction::RetentionUpdate,
        "organization",
        &viewer.organization_id,
        state.clock.now_ms(),
    )
    .by_viewer(viewer)
    .details(serde_json::json!({ "from_days": old, "to_days": new }))
    .entry();
    state.store.set_retention_days(&viewer.organization_id, new, Some(&audit)).await?;
    Ok(new)
}

/// Deletes everything older than each organization's retention, and rollups older than 13
/// months, batch by batch, yielding between batches. Safe to run in several processes at once:
/// each batch deletes what is still there.
pub async fn purge(store: &dyn Store, now: i64) -> StoreResult<PurgeReport> {
    let mut total = PurgeReport::default();
    let mut after = String::new();
    loop {
        let orgs = store.retention_of_organizations(&after, 100).await?;
        let Some(last) = orgs.last() else { break };
        after = last.0.clone();
        for (org, days) in &orgs {
            loop {
                let started = std::time::Instant::now();
                let r = store.purge_organization(org, now - days * DAY, BATCH).await?;
                total.add(&r);
                // A duty cycle: rest as long as the batch took, so the purge takes at most half
                // of the database's (and, here, the machine's) time from the writers.
                if r.total() > 0 {
                    tokio::time::sleep(started.elapsed()).await;
                }
                if r.request_logs < BATCH as u64
                    && r.sync_runs < BATCH as u64
                    && r.webhook_events < BATCH as u64
                {
                    break;
                }
            }
        }
    }
    loop {
        // Whole UTC days, so the per-day tables and the hours they sum go together.
        let before = super::store::rollups::day_of(now - ROLLUP_KEEP_MS);
        let n = store.purge_rollups(before, BATCH).await?;
        total.rollups += n;
        tokio::task::yield_now().await;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(total)
}
