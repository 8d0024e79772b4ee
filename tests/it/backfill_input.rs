//! A backfill's input is bounded and exact on both databases: connection ids and objects are
//! deduplicated, objects are checked against the integration type's catalog, more than 1,000
//! connections is a clear error, and a backfill of 501 to 1,000 connections finds every one of
//! them (the store once bound only the first 500 ids, so larger backfills failed as "not found").

use crate::helpers::{self, now_ms};
use rand::Rng;
use switchboard::domain::ConnectionStatus;
use switchboard::ids::{make_id, prefix};
use switchboard::server::actor::Author;
use switchboard::server::backfills::{self, BackfillRequest, RangeChoice};
use switchboard::server::clock::ManualClock;
use switchboard::server::seed;
use switchboard::server::store::admin::SeedBatch;
use switchboard::server::store::{ConnectionRow, Scope};

/// `n` healthy QuickBooks connections in Acme's production environment.
async fn add_connections(db: &helpers::TestDb, scope: &Scope, n: usize) -> Vec<String> {
    let now = now_ms();
    let mut rng = rand::thread_rng();
    let mut batch = SeedBatch::default();
    for i in 0..n {
        let created = now - 86_400_000 + i as i64;
        batch.connections.push(ConnectionRow {
            id: make_id(prefix::CONNECTION, created, rng.gen()),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            platform_id: "quickbooks_online".into(),
            display_name: format!("Input test {i}"),
            platform_account_id: format!("realm-input-{i}"),
            status: ConnectionStatus::Healthy,
            config_version: 1,
            created_at: created,
            last_synced_at: None,
            status_reason: None,
            status_since: None,
            rate_limited_until: None,
        });
    }
    let ids = batch.connections.iter().map(|c| c.id.clone()).collect();
    db.store.insert_seed_batch(&batch).await.unwrap();
    ids
}

fn request(ids: Vec<String>, objects: &[&str]) -> BackfillRequest {
    BackfillRequest {
        connection_ids: ids,
        data_objects: objects.iter().map(|o| o.to_string()).collect(),
        range: RangeChoice::Last30Days,
        reason: None,
        idempotency_key: format!("input-test-{}", rand::random::<u64>()),
    }
}

#[tokio::test]
async fn backfill_input_is_deduplicated_capped_and_covers_a_thousand_connections() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 50).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let clock = ManualClock::new(now_ms());
        let ids = add_connections(&db, &scope, 1_001).await;

        // 1,000 connections, each named twice, and objects repeated with stray spaces: one run per
        // (connection, object).
        let thousand: Vec<String> = ids[..1_000].iter().chain(ids[..1_000].iter()).cloned().collect();
        let raw: Vec<&str> = thousand.iter().map(String::as_str).collect();
        let parsed = backfills::connection_ids(raw).expect("repeats are not counted twice");
        assert_eq!(parsed.len(), 1_000, "{}", db.name);
        let req = request(thousand.clone(), &["invoices", "invoices", " customers", "customers"]);
        let plan = backfills::plan(db.store.as_ref(), &clock, &scope, &req)
            .await
            .unwrap_or_else(|e| panic!("{}: a backfill of 1,000 connections is planned: {e:?}", db.name));
        assert_eq!(plan.connections.len(), 1_000, "{}", db.name);
        assert_eq!(plan.data_objects, vec!["invoices".to_string(), "customers".to_string()], "{}", db.name);
        assert_eq!(plan.runs.len(), 2_000, "{}", db.name);

        let (id, created) =
            backfills::create_as(db.store.as_ref(), &clock, &Author::system("test"), &scope, &req)
                .await
                .unwrap();
        assert!(created);
        let b = db.store.get_backfill(&scope, &id).await.unwrap().expect("the backfill");
        assert_eq!(b.runs_total, 2_000, "{}: one run per (backfill, connection, object)", db.name);
        // Every run, a page of connections at a time (the store caps a page).
        let mut keys: Vec<(String, String)> = vec![];
        let mut after: Option<String> = None;
        loop {
            let runs = db.store.backfill_runs(&scope, &id, after.as_deref(), 100).await.unwrap();
            let Some(last) = runs.last() else { break };
            after = Some(last.connection_id.clone());
            keys.extend(runs.iter().map(|r| (r.connection_id.clone(), r.data_object.clone())));
        }
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 2_000, "{}", db.name);

        // 1,001 distinct connections: refused with the limit named, before anything is read.
        let raw: Vec<&str> = ids.iter().map(String::as_str).collect();
        let err = backfills::connection_ids(raw).expect_err("1,001 connections are too many");
        assert!(format!("{err:?}").contains("at most 1000 connections; 1001 were chosen"), "{err:?}");
        let err = backfills::plan(db.store.as_ref(), &clock, &scope, &request(ids.clone(), &["invoices"]))
            .await
            .expect_err("1,001 connections are too many");
        assert!(format!("{err:?}").contains("1001 were chosen"), "{err:?}");

        // An object outside the catalog is named in the error.
        let err =
            backfills::plan(db.store.as_ref(), &clock, &scope, &request(ids[..2].to_vec(), &["orders"]))
                .await
                .expect_err("orders is a commerce object");
        assert!(format!("{err:?}").contains("\\\"orders\\\" is not a accounting data object"), "{err:?}");
    }
}
