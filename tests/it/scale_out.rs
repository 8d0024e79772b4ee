//! Scale-out on PostgreSQL, with real processes: two `serve --no-worker` answer the API, two
//! `switchboard worker` execute a bulk backfill and deliver webhook events, one worker is
//! killed with `kill -9` midway, and every run and every delivery still ends exactly once.

use crate::helpers::{self, wait_for, TestDb};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::domain::SyncRunStatus;
use switchboard::ids::{make_id, prefix};
use switchboard::server::store::rollups::OutcomeKind;
use switchboard::server::store::webhooks::DeliveryQuery;
use switchboard::server::store::Page;

/// Counts deliveries by `webhook-id` (the event id) and answers 200.
async fn receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(HashMap::new()));
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let s = s.clone();
            async move {
                let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                *s.lock().unwrap().entry(id).or_insert(0) += 1;
                "ok"
            }
        }),
    );
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen, task)
}

fn worker(db: &TestDb) -> std::process::Child {
    let env = [
        ("SWITCHBOARD_SANDBOX_PAGE_DELAY_MS", "40"),
        ("SWITCHBOARD_SANDBOX_RETRY_AFTER_SCALE", "0.02"),
        ("SWITCHBOARD_WORKER_LEASE_MS", "1500"),
        ("SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS", "true"),
        ("SWITCHBOARD_WEBHOOK_LEASE_MS", "1500"),
        ("SWITCHBOARD_WEBHOOK_TIMEOUT_MS", "3000"),
        ("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms,100ms,100ms"),
    ];
    helpers::spawn_switchboard(db, &["worker"], &env).0
}

#[tokio::test]
async fn two_servers_and_two_workers_on_one_postgres_survive_a_kill_9() {
    let Some(db) = helpers::postgres().await else {
        eprintln!("scale-out: skipped, it needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    };
    let (scope, backfill_id, total) = crate::worker::queue_backfill(&db).await;
    let keys = crate::api::keys(&db).await;
    let (url, seen, rx_task) = receiver().await;
    let endpoint = crate::webhooks::endpoint(&db, &scope, &url, &["*"], true).await;

    let (mut server_a, url_a) = helpers::spawn_switchboard(&db, &["serve", "--no-worker"], &[]);
    let (mut server_b, url_b) = helpers::spawn_switchboard(&db, &["serve", "--no-worker"], &[]);
    let mut worker_1 = worker(&db);
    let mut worker_2 = worker(&db);
    let http = reqwest::Client::new();
    for base in [&url_a, &url_b] {
        wait_for("the server to answer", Duration::from_secs(60), || async {
            let r = http.get(format!("{base}/healthz")).send().await.ok()?;
            r.status().is_success().then_some(())
        })
        .await;
    }

    // A stream of events, half through each server, while the backfill runs.
    let conn = db.store.list_connections(&scope, &Page::First, 1).await.unwrap().remove(0);
    let mut sent = vec![];
    let send_batches = |range: std::ops::Range<usize>, sent: &mut Vec<String>| {
        let mut requests = vec![];
        for batch in range {
            let base = if batch % 2 == 0 { &url_a } else { &url_b };
            let at = chrono::Utc::now();
            let items: Vec<serde_json::Value> = (0..10)
                .map(|_| {
                    let id = make_id(prefix::EVENT, at.timestamp_millis(), rand::random());
                    sent.push(id.clone());
                    serde_json::json!({"id": id, "type": "connection.needs_reauth", "occurred_at": at.to_rfc3339(),
                                       "connection_id": conn.id, "data": {"connection_id": conn.id}})
                })
                .collect();
            requests.push(
                http.post(format!("{base}/api/v1/ingest/events"))
                    .bearer_auth(&keys.ingest)
                    .header("content-type", "application/json")
                    .body(serde_json::json!({ "items": items }).to_string()),
            );
        }
        requests
    };
    for r in send_batches(0..10, &mut sent) {
        let r = r.send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    }
    // Midway: kill one worker while runs are in flight.
    wait_for("runs in progress", Duration::from_secs(90), || async {
        let b = db.store.get_backfill(&scope, &backfill_id).await.unwrap().unwrap();
        let running = db
            .store
            .backfill_runs(&scope, &backfill_id, None, 500)
            .await
            .unwrap()
            .iter()
            .any(|r| r.status == SyncRunStatus::Running);
        (b.runs_done >= 1 && running && b.runs_done < b.runs_total).then_some(())
    })
    .await;
    worker_1.kill().unwrap(); // SIGKILL: leases and unwritten outcomes left behind.
    worker_1.wait().unwrap();
    let b = db.store.get_backfill(&scope, &backfill_id).await.unwrap().unwrap();
    assert!(b.runs_done < b.runs_total, "the kill came too late to prove anything");
    for r in send_batches(10..20, &mut sent) {
        let r = r.send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap_or_default());
    }

    let b = wait_for("the backfill to end", Duration::from_secs(240), || async {
        let b = db.store.get_backfill(&scope, &backfill_id).await.unwrap().unwrap();
        (!matches!(b.status.as_str(), "queued" | "running")).then_some(b)
    })
    .await;
    wait_for("every delivery to the endpoint", Duration::from_secs(120), || async {
        (db.store.queued_deliveries(&scope, &endpoint.id, 10_000).await.unwrap() == 0).then_some(())
    })
    .await;
    for child in [&mut server_a, &mut server_b, &mut worker_2] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
    rx_task.abort();

    // The hourly counts of runs and deliveries by status survived the kill exactly: a fold cut
    // off midway left its changes to be folded again, never twice.
    for kind in [OutcomeKind::SyncRun, OutcomeKind::Delivery] {
        let truth = {
            let mut t = helpers::outcome_truth(&db, &scope, kind).await;
            t.sort();
            t
        };
        let mut counted = db.store.outcome_rollups(&scope, kind, 0, i64::MAX).await.unwrap();
        counted.sort();
        assert_eq!(counted, truth, "{kind:?} counts after the kill");
        while db.store.fold_outcome_deltas(1_000).await.unwrap().deltas > 0 {}
        let mut folded = db.store.outcome_rollups(&scope, kind, 0, i64::MAX).await.unwrap();
        folded.sort();
        assert_eq!(folded, truth, "{kind:?} counts folded after the kill");
    }

    // Runs: one per (connection, object), each ended once.
    assert_eq!(b.runs_total as usize, total, "no run was added");
    assert_eq!(b.runs_done as usize, total, "every run ended");
    let runs = db.store.backfill_runs(&scope, &backfill_id, None, 500).await.unwrap();
    let mut pairs: Vec<(String, String)> =
        runs.iter().map(|r| (r.connection_id.clone(), r.data_object.clone())).collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), runs.len(), "one run per connection and object");
    for r in &runs {
        assert!(
            ["succeeded", "partial", "failed", "not_supported"].contains(&r.status.as_str()),
            "run {} ended {}",
            r.id,
            r.status
        );
    }
    let events = helpers::events(&db, &scope).await;
    let completed =
        events.iter().filter(|(t, p)| t == "backfill.completed" && p.contains(&backfill_id)).count();
    assert_eq!(completed, 1, "backfill.completed once");

    // Deliveries: one per event to the endpoint, each delivered, with one successful attempt.
    let mut deliveries = vec![];
    let mut q =
        DeliveryQuery { endpoint_id: Some(endpoint.id.clone()), ..DeliveryQuery::new(scope.clone(), 200) };
    loop {
        let page = db.store.list_deliveries(&q).await.unwrap();
        let last = page.last().map(|r| r.delivery.id.clone());
        let more = page.len() == 200;
        deliveries.extend(page);
        match (last, more) {
            (Some(l), true) => q.page = Page::Before(l),
            _ => break,
        }
    }
    let mut by_event: HashMap<String, usize> = HashMap::new();
    for d in &deliveries {
        *by_event.entry(d.delivery.event_id.clone()).or_default() += 1;
    }
    assert!(by_event.values().all(|n| *n == 1), "one delivery per event");
    for id in &sent {
        assert!(by_event.contains_key(id), "event {id} has its delivery");
    }
    let seen = seen.lock().unwrap().clone();
    for d in &deliveries {
        assert_eq!(d.delivery.status, "delivered", "delivery {} ended delivered", d.delivery.id);
        let ok = db
            .store
            .delivery_attempts(&d.delivery.id)
            .await
            .unwrap()
            .iter()
            .filter(|a| a.response_status.is_some_and(|s| (200..300).contains(&s)))
            .count();
        assert_eq!(ok, 1, "delivery {} has exactly one successful attempt recorded", d.delivery.id);
        assert!(
            seen.contains_key(&d.delivery.event_id),
            "event {} reached the receiver",
            d.delivery.event_id
        );
    }
    // An attempt cut off by the kill after the receiver answered is sent again (webhooks are
    // at least once; the receiver deduplicates by webhook-id): only those few may repeat.
    let repeated = seen.values().filter(|n| **n > 1).count();
    eprintln!(
        "scale-out: {} runs, {} deliveries, {} repeated after the kill",
        runs.len(),
        deliveries.len(),
        repeated
    );
    assert!(repeated <= 64, "{repeated} events arrived more than once");
}
