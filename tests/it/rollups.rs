//! The hourly rollups behind the charts (issue 21) stay exact: after the demo seed, after
//! batches sent twice (a retry) and by several writers at once, what was maintained equals a
//! rebuild from the rows, on both databases; the latency histogram answers percentiles within 5%.

use crate::helpers::{self, now_ms};
use serde_json::json;
use switchboard::domain::failures::{FailureRange, FailureSort};
use switchboard::ids::{make_id, prefix};
use switchboard::server::actor::Actor;
use switchboard::server::failures;
use switchboard::server::store::rollups::RequestRollups;
use switchboard::server::store::{OrganizationRow, Scope};

const HOUR: i64 = 3_600_000;

fn sum(r: &RequestRollups) -> i64 {
    r.counts.iter().map(|c| c.requests).sum()
}

#[tokio::test]
async fn maintained_rollups_equal_a_rebuild_after_retries_and_concurrent_writers() {
    for db in helpers::all().await {
        switchboard::server::seed::seed_demo(db.store.as_ref(), 2_000).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let demo = Scope::new(acme.id.clone(), "production");
        let seeded = db.store.request_rollups(&demo, 0, i64::MAX).await.unwrap();
        assert_eq!(
            sum(&seeded),
            db.store.overview(&demo, 0).await.unwrap().requests,
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
