//! The scheduler: queues each connection's incremental syncs at the frequency its data sync
//! configuration sets, so the demo (and a real deployment) is alive while the console is open.
//!
//! Each round walks the active connections in pages. A connection is due when nothing of it is
//! queued or running and its last scheduled sync was queued at least one period ago (by the
//! configuration version the connection runs, not the newest one: a change applies to existing
//! connections only after they are backfilled). It gets one run per object that its version
//! enables and its platform offers, queued together so `sync.completed` reports them as one.

use super::clock::Clock;
use super::issues::{self, ConnectionCheck};
use super::store::sync::NewSyncRun;
use super::store::{Scope, Store};
use super::sync_config::settings::SyncSettings;
use crate::domain::{platform, IntegrationType, SyncRunKind, TriggerKind};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// One round; returns how many runs it queued.
pub async fn tick(store: &dyn Store, clock: &dyn Clock) -> Result<usize, super::store::StoreError> {
    let now = clock.now_ms();
    let mut after = String::new();
    let mut configs: HashMap<(String, String, IntegrationType, i64), SyncSettings> = HashMap::new();
    let mut queued = 0;
    loop {
        let batch = store.schedule_candidates(&after, 500).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        let mut runs = vec![];
        let mut checks = vec![];
        for c in &batch {
            let Some(spec) = platform(&c.platform_id) else { continue };
            let it: IntegrationType = spec.integration_type;
            let key = (c.organization_id.clone(), c.environment.clone(), it, c.config_version);
            if !configs.contains_key(&key) {
                let stored = store
                    .sync_config_version(&c.organization_id, &c.environment, it, c.config_version)
                    .await?
                    .unwrap_or_default();
                configs.insert(key.clone(), SyncSettings::from_stored(it, &stored));
            }
            // The connection's effective configuration: its platform's override, else the type's.
            let effective = configs[&key].effective(spec);
            let period = effective.frequency.period_ms();
            checks.push(ConnectionCheck {
                scope: Scope::new(c.organization_id.clone(), c.environment.clone()),
                connection_id: c.id.clone(),
                platform_id: c.platform_id.clone(),
                period_ms: period,
                queued_since: c.queued_since,
                behind_since: c.behind_since,
            });
            if c.active > 0 {
                continue;
            }
            if c.last_scheduled.is_some_and(|t| now - t < period) {
                continue;
            }
            // Several processes may schedule at once: the database keeps at most one queued
            // scheduled run per connection and object (a partial unique index), and the insert
            // skips what another process queued first.
            for object in effective.synced_objects() {
                runs.push(
                    NewSyncRun::new(&c.into(), object, SyncRunKind::Incremental, TriggerKind::Schedule, now)
                        .over(c.last_scheduled.unwrap_or(now - period), now),
                );
            }
        }
        if !runs.is_empty() {
            queued += runs.len();
            store.queue_runs(&runs, None).await?;
        }
        issues::check_connections(store, &checks, now).await?;
    }
    // Issues whose quiet period passed resolve; mutes whose time ran out end.
    if !issues::sweep(store, now).await?.is_empty() {
        super::webhooks::delivery::wake();
    }
    // Today's digests, for organizations whose digest hour has come.
    super::notifications::queue_digests(store, now).await?;
    Ok(queued)
}

/// Runs a round every `every` until `shutdown` turns true.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        match tick(store.as_ref(), clock.as_ref()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(runs = n, "scheduled incremental syncs"),
            Err(e) => tracing::warn!(error = %e, "scheduling syncs failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
