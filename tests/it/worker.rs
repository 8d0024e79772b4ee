//! The worker against real processes: a backfill survives `kill -9` of the serving process,
//! and every (backfill, connection, object) ends with exactly one terminal run, once.

use crate::helpers::now_ms;
use crate::helpers::{self, wait_for, TestDb};
use std::process::Child;
use std::time::Duration;
use switchboard::domain::{ConnectionStatus, SyncRunKind, SyncRunStatus};
use switchboard::ids::{make_id, prefix};
use switchboard::server::store::sync::{NewBackfill, NewSyncRun};
use switchboard::server::store::{Page, Scope};

/// `switchboard serve` or `switchboard worker` on the test's database, executing runs with a
/// fast sandbox and short leases.
fn spawn(db: &TestDb, command: &str) -> Child {
    let env = [
        ("SWITCHBOARD_SANDBOX_PAGE_DELAY_MS", "40"),
        ("SWITCHBOARD_SANDBOX_RETRY_AFTER_SCALE", "0.02"),
        ("SWITCHBOARD_WORKER_LEASE_MS", "1500"),
    ];
    helpers::spawn_switchboard(db, &[command], &env).0
}

pub(crate) async fn queue_backfill(db: &TestDb) -> (Scope, String, usize) {
    switchboard::server::seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
    let acme = db.store.get_organization("acme").await.unwrap().unwrap();
    let scope = Scope::new(acme.id.clone(), "production");
    let conns: Vec<_> = db
        .store
        .list_connections(&scope, &Page::First, 200)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| {
            c.platform_id == "quickbooks_online" || c.platform_id == "xero" || c.platform_id == "netsuite"
        })
        .filter(|c| c.status != ConnectionStatus::Disabled)
        .collect();
    assert!(!conns.is_empty());
    let now = now_ms();
    let id = make_id(prefix::BACKFILL, now, 1);
    let objects = ["invoices", "customers", "accounts", "bills", "balance_sheets"];
    let mut runs = vec![];
    for c in &conns {
        for o in objects {
            runs.push(NewSyncRun {
                id: make_id(prefix::SYNC_RUN, now, rand_u128()),
                connection_id: c.id.clone(),
                organization_id: c.organization_id.clone(),
                environment: c.environment.clone(),
                platform_id: c.platform_id.clone(),
                data_object: o.into(),
                kind: SyncRunKind::Backfill,
                queued_at: now,
                range_from: Some(now - 2 * 365 * 86_400_000),
                range_to: Some(now),
                trigger_kind: switchboard::domain::TriggerKind::Backfill,
                backfill_id: Some(id.clone()),
                triggered_by: None,
            });
        }
    }
    let n = runs.len();
    let backfill = NewBackfill {
        id: id.clone(),
        organization_id: acme.id.clone(),
        environment: "production".into(),
        data_objects: serde_json::to_string(&objects).unwrap(),
        range_from: runs[0].range_from,
        range_to: runs[0].range_to,
        config_version: 2,
        created_by: None,
        created_by_email: Some("test@switchboard.test".into()),
        created_at: now,
        idempotency_key: "kill-test".into(),
        reason: Some("kill -9 test".into()),
        connection_ids: conns.iter().map(|c| c.id.clone()).collect(),
        move_at_once: vec![],
    };
    let audit = switchboard::server::audit::Audit::new(
        switchboard::domain::AuditAction::BackfillCreate,
        "backfill",
        &id,
        crate::helpers::now_ms(),
    )
    .by(&switchboard::server::actor::Author::system("test"))
    .of_organization(&acme.id)
    .entry();
    let (created, fresh) = db.store.create_backfill(&backfill, &runs, &audit).await.unwrap();
    assert!(fresh);
    // A double submit creates nothing more.
    let (again, fresh) = db
        .store
        .create_backfill(&NewBackfill { id: make_id(prefix::BACKFILL, now, 2), ..backfill }, &runs, &audit)
        .await
        .unwrap();
    assert_eq!((again.as_str(), fresh), (created.as_str(), false));
    (scope, id, n)
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ms() as u64);
    ((h.finish() as u128) << 64) | h.finish() as u128
}

#[tokio::test]
async fn a_backfill_survives_kill_9_with_nothing_lost_or_doubled() {
    for db in helpers::all().await {
        let (scope, id, total) = queue_backfill(&db).await;
        let mut first = spawn(&db, "serve");
        // Wait until the worker is mid-way: some runs done, some running.
        wait_for("runs in progress", Duration::from_secs(90), || async {
            let b = db.store.get_backfill(&scope, &id).await.unwrap().unwrap();
            let running = db
                .store
                .backfill_runs(&scope, &id, None, 200)
                .await
                .unwrap()
                .iter()
                .any(|r| r.status == SyncRunStatus::Running);
            (b.runs_done >= 1 && running && b.runs_done < b.runs_total).then_some(())
        })
        .await;
        first.kill().unwrap(); // SIGKILL: no shutdown, leases left behind.
        first.wait().unwrap();
        let b = db.store.get_backfill(&scope, &id).await.unwrap().unwrap();
        assert!(b.runs_done < b.runs_total, "{}: the kill came too late to prove anything", db.name);

        let mut second = spawn(&db, "serve");
        let b = wait_for("the backfill to end", Duration::from_secs(180), || async {
            let b = db.store.get_backfill(&scope, &id).await.unwrap().unwrap();
            (!matches!(b.status.as_str(), "queued" | "running")).then_some(b)
        })
        .await;
        second.kill().unwrap();
        second.wait().unwrap();

        assert_eq!(b.runs_total as usize, total, "{}: no run was added", db.name);
        assert_eq!(b.runs_done as usize, total, "{}: every run ended", db.name);
        let runs = db.store.backfill_runs(&scope, &id, None, 200).await.unwrap();
        let mut keys: Vec<(String, String)> =
            runs.iter().map(|r| (r.connection_id.clone(), r.data_object.clone())).collect();
        keys.sort();
        let before = keys.len();
        keys.dedup();
        assert_eq!(before, keys.len(), "{}: one run per connection and object", db.name);
        for r in &runs {
            assert!(
                ["succeeded", "partial", "failed", "not_supported"].contains(&r.status.as_str()),
                "{}: run {} ended {}",
                db.name,
                r.id,
                r.status
            );
        }
        // NetSuite offers no balance sheets: those runs say so.
        assert!(runs
            .iter()
            .filter(|r| r.data_object == "balance_sheets" && r.platform_id == "netsuite")
            .all(|r| r.status == SyncRunStatus::NotSupported));
        // Each effect happened once: one backfill.completed, one sync.completed per connection.
        let events = helpers::events(&db, &scope).await;
        let completed = events.iter().filter(|(t, p)| t == "backfill.completed" && p.contains(&id)).count();
        assert_eq!(completed, 1, "{}: backfill.completed once", db.name);
        let syncs = events.iter().filter(|(t, p)| t == "sync.completed" && p.contains(&id)).count();
        assert_eq!(syncs as i64, b.connections, "{}: sync.completed once per connection", db.name);
        // Connections that succeeded moved to the backfill's configuration version.
        for c in db
            .store
            .connections_by_ids(&scope, &runs.iter().map(|r| r.connection_id.clone()).collect::<Vec<_>>())
            .await
            .unwrap()
        {
            let failed = runs.iter().any(|r| r.connection_id == c.id && r.status == SyncRunStatus::Failed);
            if !failed {
                assert_eq!(c.config_version, 2, "{}: {} stays behind", db.name, c.display_name);
            }
        }
    }
}

#[tokio::test]
async fn the_scheduler_queues_what_each_connections_configuration_enables_once_per_period() {
    use switchboard::server::clock::ManualClock;
    use switchboard::server::scheduler;
    for db in helpers::all().await {
        switchboard::server::seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
        // Far enough after the seed that every active connection is due.
        let clock = ManualClock::new(now_ms() + 2 * 86_400_000);
        let first = scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        assert!(first > 0, "{}: nothing was scheduled", db.name);
        // Everything due is now queued: a second round adds nothing.
        assert_eq!(scheduler::tick(db.store.as_ref(), &clock).await.unwrap(), 0, "{}", db.name);
        // Each scheduled run is an object its connection's version enables and its platform offers.
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        for c in db.store.list_connections(&scope, &Page::First, 200).await.unwrap() {
            let spec = switchboard::domain::platform(&c.platform_id).unwrap();
            let settings = db
                .store
                .sync_config_version(&acme.id, "production", spec.integration_type, c.config_version)
                .await
                .unwrap()
                .unwrap();
            let q = switchboard::server::store::sync::SyncRunQuery {
                status: Some("queued".into()),
                kind: Some("incremental".into()),
                limit: 50,
                ..Default::default()
            };
            for r in db.store.list_sync_runs(&scope, Some(&c.id), &q).await.unwrap() {
                assert!(
                    spec.supported_objects().any(|o| o == r.data_object),
                    "{}: {} not offered",
                    db.name,
                    r.data_object
                );
                assert_ne!(
                    settings["objects"][&r.data_object]["enabled"].as_bool(),
                    Some(false),
                    "{}: {} is disabled in v{}",
                    db.name,
                    r.data_object,
                    c.config_version
                );
            }
        }
    }
}
