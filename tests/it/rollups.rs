//! The hourly rollups behind the charts (issue 21) stay exact: after the demo seed, after
//! batches sent twice (a retry) and by several writers at once, what was maintained equals a
//! rebuild from the rows, on both databases; the latency histogram answers percentiles within 5%.

use crate::helpers::{self, now_ms};
use serde_json::json;
use switchboard::domain::failures::{FailureRange, FailureSort};
use switchboard::ids::{make_id, prefix};
use switchboard::server::actor::Actor;
use switchboard::server::failures;
use switchboard::server::store::rollups::{OutcomeCount, OutcomeKind, RequestRollups};
use switchboard::server::store::{OrganizationRow, Scope};

const HOUR: i64 = 3_600_000;

fn sum(r: &RequestRollups) -> i64 {
    r.counts.iter().map(|c| c.requests).sum()
}

/// The Overview's per-hour tables hold exactly what the detailed rollups add up to.
async fn hourly_tables_agree(db: &helpers::TestDb, scope: &Scope, fine: &RequestRollups) {
    use std::collections::BTreeMap;
    let mut classes: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for c in &fine.counts {
        *classes.entry((c.hour, c.status_code / 100)).or_default() += c.requests;
    }
    let mut buckets: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for l in &fine.latencies {
        *buckets.entry((l.hour, l.bucket)).or_default() += l.requests;
    }
    let got: BTreeMap<(i64, i64), i64> = db
        .store
        .requests_by_class(scope, 0, i64::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|(h, c, n)| ((h, c), n))
        .collect();
    assert_eq!(got, classes, "{}: requests per hour and status class", db.name);
    let got: BTreeMap<(i64, i64), i64> = db
        .store
        .latency_by_bin(scope, 0, i64::MAX, HOUR)
        .await
        .unwrap()
        .into_iter()
        .map(|(h, b, n)| ((h, b), n))
        .collect();
    assert_eq!(got, buckets, "{}: latency per hour", db.name);
    // Every table summed from the detailed rollups, the Errors page's per-day ones included.
    for (table, differing) in db.store.derived_rollup_mismatches(scope).await.unwrap() {
        assert_eq!(differing, 0, "{}: {table} disagrees with request_rollups", db.name);
    }
}

#[tokio::test]
async fn maintained_rollups_equal_a_rebuild_after_retries_and_concurrent_writers() {
    for db in helpers::all().await {
        switchboard::server::seed::seed_demo(db.store.as_ref(), 2_000).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let demo = Scope::new(acme.id.clone(), "production");
        let seeded = db.store.request_rollups(&demo, 0, i64::MAX).await.unwrap();
        hourly_tables_agree(&db, &demo, &seeded).await;
        assert_eq!(
            sum(&seeded),
            helpers::request_count(&db, &demo).await,
            "{}: the demo's rollups count its rows",
            db.name
        );

        let now = now_ms();
        let org = OrganizationRow {
            id: make_id(prefix::ORGANIZATION, now, rand::random()),
            name: "Rollups".into(),
            slug: format!("rollups-{}", rand::random::<u32>()),
            created_at: now,
        };
        db.store.create_organization(&org).await.unwrap();
        let scope = Scope::new(org.id.clone(), "production");
        let conn = helpers::new_connection(&db, &scope, "xero", "Rollups Xero").await;
        // 12 batches of 150 over three hours, four paths (two with ids), statuses and latencies.
        let batches: Vec<String> = (0..12)
            .map(|b| {
                let items: Vec<serde_json::Value> = (0..150)
                    .map(|i| {
                        let at = now - (2 * HOUR) + (b * 150 + i) as i64 * 4_000;
                        let failed = i % 9 == 0;
                        let mut item = json!({
                            "id": make_id(prefix::REQUEST, at, rand::random()),
                            "occurred_at": chrono::DateTime::from_timestamp_millis(at).unwrap().to_rfc3339(),
                            "method": if i % 3 == 0 { "POST" } else { "GET" },
                            "path": match i % 4 { 0 => format!("/accounting/invoices/inv_{i}"), 1 => "/accounting/invoices".to_string(), 2 => format!("/accounting/contacts/{i}"), _ => "/accounting/accounts".to_string() },
                            "status": if failed { 422 } else { 200 },
                            "latency_ms": 20 + (i * 37 % 900) as i64,
                            "connection_id": conn,
                        });
                        if failed {
                            item["error"] = json!({"code": "invalid-params", "message": "The due date is before the issue date."});
                        }
                        item
                    })
                    .collect();
                json!({ "items": items }).to_string()
            })
            .collect();
        // Four writers at once; every batch is sent twice (the second a retry of the first),
        // and writers overlap on the same batches.
        let mut writers = vec![];
        for w in 0..4usize {
            let (store, scope, batches) = (db.store.clone(), scope.clone(), batches.clone());
            writers.push(tokio::spawn(async move {
                for (i, body) in batches.iter().enumerate() {
                    if (i + w) % 2 == 0 {
                        switchboard::server::ingest::request_logs(
                            store.as_ref(),
                            &scope,
                            now,
                            body.clone().into_bytes().into(),
                        )
                        .await
                        .unwrap();
                    }
                }
            }));
        }
        for w in writers {
            w.await.unwrap();
        }
        let maintained = db.store.request_rollups(&scope, 0, i64::MAX).await.unwrap();
        assert_eq!(sum(&maintained), 12 * 150, "{}: each request counted once", db.name);
        assert!(
            maintained.counts.iter().any(|c| c.path_template == "/accounting/invoices/{id}"),
            "{}: ids in paths become a template",
            db.name
        );
        let failed: i64 =
            maintained.counts.iter().filter(|c| c.error_code == "invalid-params").map(|c| c.requests).sum();
        assert_eq!(failed, 12 * 17, "{}: failures by error code", db.name);
        assert!(
            maintained.counts.iter().all(|c| c.hour <= c.first_seen
                && c.first_seen <= c.last_seen
                && c.last_seen < c.hour + HOUR),
            "{}: first and last seen inside their hour",
            db.name
        );
        let latencies: i64 = maintained.latencies.iter().map(|l| l.requests).sum();
        assert_eq!(latencies, 12 * 150, "{}: each request in the histogram once", db.name);
        hourly_tables_agree(&db, &scope, &maintained).await;

        let report = db.store.rebuild_request_rollups().await.unwrap();
        assert!(report.rows_read >= (12 * 150) as u64, "{}: {report:?}", db.name);
        assert_eq!(
            db.store.request_rollups(&scope, 0, i64::MAX).await.unwrap(),
            maintained,
            "{}: rebuild",
            db.name
        );
        assert_eq!(
            db.store.request_rollups(&demo, 0, i64::MAX).await.unwrap(),
            seeded,
            "{}: demo rebuild",
            db.name
        );
        hourly_tables_agree(&db, &scope, &maintained).await;
        hourly_tables_agree(&db, &demo, &seeded).await;
        // The Errors page reads the same counts: four groups of invalid-params (one per path
        // template, all POST), each new against the empty day before; another organization's
        // page shows none of them.
        let state = switchboard::server::http::app_state(
            crate::http::settings(&db, "http://console.test"),
            db.store.clone(),
        );
        let actor = Actor::System { name: "test".into(), scope: scope.clone() };
        let report = failures::report(&state, &actor, FailureRange::Day, FailureSort::Count).await.unwrap();
        let mut counts: Vec<(String, i64)> =
            report.groups.iter().map(|g| (g.path_template.clone(), g.count)).collect();
        assert_eq!(
            counts[0],
            ("/accounting/invoices/{id}".to_string(), 60),
            "{}: the largest group first",
            db.name
        );
        counts.sort();
        assert_eq!(
            counts,
            vec![
                ("/accounting/accounts".to_string(), 48),
                ("/accounting/contacts/{id}".to_string(), 48),
                ("/accounting/invoices".to_string(), 48),
                ("/accounting/invoices/{id}".to_string(), 60),
            ],
            "{}",
            db.name
        );
        assert_eq!(report.groups.len(), 4, "{}: {counts:?}", db.name);
        assert_eq!(report.failed, 12 * 17, "{}", db.name);
        assert_eq!(report.requests, 12 * 150, "{}", db.name);
        for g in &report.groups {
            assert_eq!(
                (g.error_code.as_str(), g.statuses.as_slice(), g.method.as_str()),
                ("invalid-params", &[422][..], "POST")
            );
            assert!(g.endpoint_requests >= g.count && g.previous == 0, "{}: {g:?}", db.name);
            assert_eq!(g.trend.iter().sum::<i64>(), g.count, "{}: the trend adds up", db.name);
            assert!(g.first_seen <= g.last_seen, "{}", db.name);
        }
        let recent = failures::report(&state, &actor, FailureRange::Day, FailureSort::Recent).await.unwrap();
        assert!(recent.groups.windows(2).all(|w| w[0].last_seen >= w[1].last_seen), "{}", db.name);
        // The same organization's other environment, and an organization with no requests.
        for other in [Scope::new(org.id.clone(), "sandbox"), Scope::new("org_none".to_string(), "production")]
        {
            let actor = Actor::System { name: "test".into(), scope: other };
            let theirs =
                failures::report(&state, &actor, FailureRange::Month, FailureSort::Count).await.unwrap();
            assert!(
                theirs.groups.is_empty() && theirs.failed == 0 && theirs.requests == 0,
                "{}: {theirs:?}",
                db.name
            );
        }
        // An hour's window holds only that hour.
        let first = maintained.counts.first().unwrap().hour;
        let one = db.store.request_rollups(&scope, first, first + HOUR).await.unwrap();
        assert!(one.counts.iter().all(|c| c.hour == first) && !one.counts.is_empty(), "{}", db.name);
    }
}

async fn outcomes(db: &helpers::TestDb, scope: &Scope, kind: OutcomeKind) -> Vec<OutcomeCount> {
    let mut v = db.store.outcome_rollups(scope, kind, 0, i64::MAX).await.unwrap();
    v.sort();
    v
}

async fn truth(db: &helpers::TestDb, scope: &Scope, kind: OutcomeKind) -> Vec<OutcomeCount> {
    let mut v = helpers::outcome_truth(db, scope, kind).await;
    v.sort();
    v
}

/// Sync runs and deliveries are counted by status under their hour: every status change moves
/// one count to another, whoever makes it (the store, or a statement on the database),
/// several rows per statement, while several processes fold the changes at once; the counts
/// equal the rows, before and after folding, and a rebuild; a purge keeps the counts.
#[tokio::test]
async fn run_and_delivery_counts_follow_every_status_change() {
    for db in helpers::all().await {
        switchboard::server::seed::seed_demo(db.store.as_ref(), 500).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scopes = [Scope::new(acme.id.clone(), "production"), Scope::new(acme.id.clone(), "sandbox")];
        for scope in &scopes {
            for kind in [OutcomeKind::SyncRun, OutcomeKind::Delivery] {
                let t = truth(&db, scope, kind).await;
                assert!(
                    !t.is_empty() || scope.environment == "sandbox",
                    "{}: the demo has {kind:?}s",
                    db.name
                );
                assert_eq!(outcomes(&db, scope, kind).await, t, "{}: {kind:?} after the seed", db.name);
            }
        }
        // Status changes of many rows per statement.
        let changes = [
            // (At most one queued or running run per connection and object is allowed.)
            "UPDATE sync_runs SET status = 'failed' WHERE status = 'succeeded' AND id LIKE '%1'",
            "UPDATE sync_runs SET status = 'partial' WHERE status = 'failed' AND id LIKE '%2'",
            "UPDATE sync_runs SET status = 'cancelled' WHERE status = 'partial'",
            "UPDATE sync_runs SET status = 'succeeded' WHERE status = 'cancelled' AND id LIKE '%3'",
            "UPDATE webhook_deliveries SET status = 'pending' WHERE status = 'failed'",
            "UPDATE webhook_deliveries SET status = 'retrying' WHERE status = 'pending' AND id LIKE '%3'",
            "UPDATE webhook_deliveries SET status = 'delivered' WHERE status IN ('pending', 'retrying') AND id LIKE '%4'",
            "UPDATE webhook_deliveries SET status = 'failed' WHERE status IN ('pending', 'retrying')",
        ];
        // One writer (two writers' statements over the same rows could deadlock each other on
        // PostgreSQL, which is not what this tests) while four folders fold in small batches.
        let mut tasks = vec![];
        let url = db.url.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..3 {
                for (i, sql) in changes.iter().enumerate() {
                    if (i + round) % 3 != 2 {
                        helpers::execute(&url, sql).await;
                    }
                }
            }
        }));
        for _ in 0..4 {
            let store = db.store.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..30 {
                    store.fold_outcome_deltas(40).await.unwrap();
                    tokio::task::yield_now().await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        for scope in &scopes {
            for kind in [OutcomeKind::SyncRun, OutcomeKind::Delivery] {
                assert_eq!(
                    outcomes(&db, scope, kind).await,
                    truth(&db, scope, kind).await,
                    "{}: {kind:?} after the changes",
                    db.name
                );
            }
        }
        while db.store.fold_outcome_deltas(1_000).await.unwrap().deltas > 0 {}
        let folded: Vec<Vec<OutcomeCount>> = {
            let mut v = vec![];
            for scope in &scopes {
                for kind in [OutcomeKind::SyncRun, OutcomeKind::Delivery] {
                    let o = outcomes(&db, scope, kind).await;
                    assert_eq!(o, truth(&db, scope, kind).await, "{}: {kind:?} folded", db.name);
                    v.push(o);
                }
            }
            v
        };
        let rebuilt = db.store.rebuild_outcome_rollups().await.unwrap();
        assert!(rebuilt.rows_read > 0 && rebuilt.deltas == 0, "{}: {rebuilt:?}", db.name);
        let mut again = vec![];
        for scope in &scopes {
            for kind in [OutcomeKind::SyncRun, OutcomeKind::Delivery] {
                again.push(outcomes(&db, scope, kind).await);
            }
        }
        assert_eq!(again, folded, "{}: a rebuild changes nothing", db.name);
        // A purge of the oldest runs (retention) keeps their counts, and so does a rebuild.
        let production = &scopes[0];
        let before = outcomes(&db, production, OutcomeKind::SyncRun).await;
        let oldest = before.first().unwrap().hour;
        let purged = helpers::execute(
            &db.url,
            &format!(
                "DELETE FROM sync_runs WHERE organization_id = '{}' AND queued_at < {}",
                acme.id,
                oldest + HOUR
            ),
        )
        .await;
        assert!(purged > 0, "{}: the purge removed runs", db.name);
        assert_eq!(outcomes(&db, production, OutcomeKind::SyncRun).await, before, "{}: purged", db.name);
        db.store.rebuild_outcome_rollups().await.unwrap();
        assert_eq!(
            outcomes(&db, production, OutcomeKind::SyncRun).await,
            before,
            "{}: purged, rebuilt",
            db.name
        );
        // Another organization's counts hold none of Acme's.
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let theirs = Scope::new(globex.id.clone(), "production");
        let endpoints: Vec<String> =
            outcomes(&db, production, OutcomeKind::Delivery).await.into_iter().map(|c| c.subject).collect();
        assert!(
            outcomes(&db, &theirs, OutcomeKind::Delivery)
                .await
                .iter()
                .all(|c| !endpoints.contains(&c.subject)),
            "{}",
            db.name
        );
    }
}
