//! `switchboard bench-sync`: how fast the worker executes a bulk backfill against the sandbox at
//! zero latency, and how fast the sync-history and connections lists answer on large tables.
//! A benchmark, not a test: it prints figures and never fails on them.
//!
//! Run it on an empty database: it seeds the demo, adds `connections` QuickBooks connections to
//! Acme's production environment, backfills 5 objects of `backfill_connections` of them, then
//! grows the sync history to `history` runs and the environment to `connections` connections.

use super::time_runs;
use crate::domain::AuditAction;
use crate::domain::{SyncRunKind, TriggerKind};
use crate::ids::{make_id, prefix};
use crate::server::actor::Author;
use crate::server::audit::Audit;
use crate::server::clock::{Clock, SystemClock};
use crate::server::sandbox::SandboxSettings;
use crate::server::store::sync::{NewBackfill, NewSyncRun, RunTarget, SyncRunQuery};
use crate::server::store::{
    ConnectionFilter, ConnectionRow, Page, Scope, SeedBatch, Store, StoreResult, SyncRunRow,
};
use crate::server::worker::{Worker, WorkerSettings, WorkerWaker};
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BenchSync {
    pub connections: usize,
    pub backfill_connections: usize,
    pub history: usize,
    pub runs: usize,
}

const OBJECTS: [&str; 5] = ["accounts", "customers", "invoices", "bills", "journal_entries"];

pub async fn run(store: Arc<dyn Store>, b: BenchSync) -> StoreResult<()> {
    if store.count_organizations().await? == 0 {
        crate::server::seed::seed_demo(store.as_ref(), 1_000).await?;
    }
    let acme = store.get_organization("acme").await?.expect("demo organization acme");
    let scope = Scope::new(acme.id.clone(), "production");
    let now = SystemClock.now_ms();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);

    // 1. Connections, in batches.
    let t = Instant::now();
    let mut ids = Vec::with_capacity(b.connections);
    for chunk_start in (0..b.connections).step_by(10_000) {
        let mut batch = SeedBatch::default();
        for i in chunk_start..(chunk_start + 10_000).min(b.connections) {
            let created = now - 400 * 86_400_000 + i as i64 * 1_000;
            let row = ConnectionRow {
                id: make_id(prefix::CONNECTION, created, rng.gen()),
                organization_id: acme.id.clone(),
                environment: "production".into(),
                platform_id: "quickbooks_online".into(),
                display_name: format!("Bench customer {i}"),
                platform_account_id: format!("realm-bench-{i}"),
                status: if i % 10 == 0 {
                    crate::domain::ConnectionStatus::Degraded
                } else {
                    crate::domain::ConnectionStatus::Healthy
                },
                config_version: 1 + (i % 2) as i64,
                created_at: created,
                last_synced_at: Some(now - 3_600_000),
                status_reason: None,
                status_since: None,
                rate_limited_until: None,
            };
            ids.push(row.id.clone());
            batch.connections.push(row);
        }
        store.insert_seed_batch(&batch).await?;
    }
    println!("added {} connections in {:.1} s", b.connections, t.elapsed().as_secs_f64());

    // 2. A bulk backfill, executed by an in-process worker at zero latency.
    let backfill_id = make_id(prefix::BACKFILL, now, rng.gen());
    let targets: Vec<String> = ids.iter().take(b.backfill_connections).cloned().collect();
    let runs: Vec<NewSyncRun> = targets
        .iter()
        .flat_map(|c| {
            let target = RunTarget {
                connection_id: c.clone(),
                organization_id: acme.id.clone(),
                environment: "production".into(),
                platform_id: "quickbooks_online".into(),
            };
            let backfill_id = &backfill_id;
            OBJECTS.iter().map(move |o| NewSyncRun {
                backfill_id: Some(backfill_id.clone()),
                ..NewSyncRun::new(&target, o, SyncRunKind::Backfill, TriggerKind::Backfill, now)
                    .over(now - 30 * 86_400_000, now)
            })
        })
        .collect();
    let total = runs.len();
    let backfill = NewBackfill {
        id: backfill_id.clone(),
        organization_id: acme.id.clone(),
        environment: "production".into(),
        data_objects: serde_json::to_string(&OBJECTS).unwrap_or_default(),
        range_from: Some(now - 30 * 86_400_000),
        range_to: Some(now),
        config_version: 2,
        created_by: None,
        created_by_email: Some("bench".into()),
        created_at: now,
        idempotency_key: format!("bench-{now}"),
        reason: None,
        connection_ids: targets,
        move_at_once: vec![],
    };
    let audit = Audit::new(AuditAction::BackfillCreate, "backfill", &backfill_id, now)
        .by(&Author::system("bench"))
        .of_organization(&acme.id)
        .entry();
    store.create_backfill(&backfill, &runs, &audit).await?;
    let settings = WorkerSettings {
        concurrency: 32,
        per_platform: 32,
        lease: Duration::from_secs(30),
        poll: Duration::from_millis(20),
        sandbox: SandboxSettings { page_delay: Duration::ZERO, retry_after_scale: 0.0, failures: true },
        execute_runs: true,
        host: "bench".into(),
    };
    let worker = Worker::new(store.clone(), Arc::new(SystemClock), settings, WorkerWaker::default());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let t = Instant::now();
    let handle = tokio::spawn(worker.run(stopped));
    loop {
        let b = store.get_backfill(&scope, &backfill_id).await?.expect("the backfill");
        if !matches!(b.status.as_str(), "queued" | "running") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = handle.await;
    println!(
        "bulk backfill: {} connections x {} objects = {total} runs in {secs:.2} s: {:.0} runs/s",
        b.backfill_connections,
        OBJECTS.len(),
        total as f64 / secs
    );

    // 3. Sync history of the environment grown to `history` runs.
    let t = Instant::now();
    let mut written = total;
    while written < b.history {
        let mut batch = SeedBatch::default();
        for _ in 0..50_000.min(b.history - written) {
            let c = &ids[rng.gen_range(0..ids.len())];
            let at = now - rng.gen_range(0..365 * 86_400_000i64);
            let failed = rng.gen_bool(0.03);
            batch.sync_runs.push(SyncRunRow {
                id: make_id(prefix::SYNC_RUN, at, rng.gen()),
                connection_id: c.clone(),
                platform_id: "quickbooks_online".into(),
                organization_id: acme.id.clone(),
                environment: "production".into(),
                data_object: OBJECTS[rng.gen_range(0..OBJECTS.len())].into(),
                kind: crate::domain::SyncRunKind::Incremental,
                status: if failed {
                    crate::domain::SyncRunStatus::Failed
                } else {
                    crate::domain::SyncRunStatus::Succeeded
                },
                queued_at: at,
                started_at: Some(at + 1_000),
                finished_at: Some(at + 20_000),
                records_added: rng.gen_range(0..50),
                records_updated: rng.gen_range(0..50),
                records_deleted: 0,
                range_from: Some(at - 3_600_000),
                range_to: Some(at),
                error_code: failed.then(|| "platform-unavailable".into()),
                platform_error: None,
                log: "[]".into(),
                error_message: failed.then(|| "QuickBooks Online returned 503".into()),
                trigger_kind: crate::domain::TriggerKind::Schedule,
                backfill_id: None,
                triggered_by: None,
            });
            written += 1;
        }
        store.insert_seed_batch(&batch).await?;
    }
    store.analyze().await?;
    println!("sync history grown to {written} runs in {:.0} s", t.elapsed().as_secs_f64());

    println!("\n{:?}: p50 / p95 over {} runs, server-side (store call)", store.backend(), b.runs);
    println!("{:<52} {:>9} {:>9}", "query", "p50 ms", "p95 ms");
    let pick = rand::rngs::SmallRng::seed_from_u64(11);
    let history = |q: SyncRunQuery| {
        let store = store.clone();
        let scope = scope.clone();
        let ids = ids.clone();
        let mut pick = pick.clone();
        move || {
            let store = store.clone();
            let scope = scope.clone();
            let c = ids[pick.gen_range(0..ids.len())].clone();
            let q = q.clone();
            async move { store.list_sync_runs(&scope, Some(&c), &q).await.map(|_| ()) }
        }
    };
    for (name, q) in [
        ("sync history, first page (random connection)", SyncRunQuery { limit: 51, ..Default::default() }),
        (
            "sync history, failed runs",
            SyncRunQuery { status: Some("failed".into()), limit: 51, ..Default::default() },
        ),
        (
            "sync history, one object",
            SyncRunQuery { data_object: Some("invoices".into()), limit: 51, ..Default::default() },
        ),
    ] {
        let (p50, p95) = time_runs(b.runs, history(q)).await?;
        println!("{name:<52} {p50:>9.2} {p95:>9.2}");
    }
    for (name, f) in [
        ("connections list, first page", ConnectionFilter::default()),
        (
            "connections list, status degraded",
            ConnectionFilter { statuses: vec!["degraded".into()], ..Default::default() },
        ),
        (
            "connections list, behind the configuration",
            ConnectionFilter { behind: true, ..Default::default() },
        ),
        (
            "connections list, platform + accounting",
            ConnectionFilter {
                platform_id: Some("quickbooks_online".into()),
                integration_type: Some("accounting".into()),
                ..Default::default()
            },
        ),
        (
            "connections list, search by account ID",
            ConnectionFilter {
                text: Some(format!("realm-bench-{}", b.connections / 2)),
                ..Default::default()
            },
        ),
    ] {
        let (p50, p95) = time_runs(b.runs, || {
            let f = f.clone();
            let store = store.clone();
            let scope = scope.clone();
            async move {
                crate::server::connections::search(store.as_ref(), &scope, &f, &Page::First, 51, now, false)
                    .await
                    .map(|_| ())
            }
        })
        .await?;
        println!("{name:<52} {p50:>9.2} {p95:>9.2}");
    }
    let (p50, p95) = time_runs(b.runs, || {
        let store = store.clone();
        let scope = scope.clone();
        async move { store.connection_status_counts(&scope, &ConnectionFilter::default()).await.map(|_| ()) }
    })
    .await?;
    println!("{:<52} {p50:>9.2} {p95:>9.2}", "connections, counts by status");
    Ok(())
}
