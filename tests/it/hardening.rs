//! Hardening, each fix with the test that failed before it: leases kept as claimed, bad input
//! answered with a 4xx naming the problem.

use crate::api::{call, json_of, keys};
use crate::helpers::{self, now_ms};
use crate::http::app;
use axum::http::StatusCode;
use serde_json::json;
use switchboard::domain::{ConnectionStatus, SyncRunKind, TriggerKind};
use switchboard::server::store::sync::NewSyncRun;
use switchboard::server::store::Page;

/// A data plane that claimed runs for ten minutes and reports every few minutes keeps them: a
/// progress report extends the lease by the claim's length, not by a fixed minute.
#[tokio::test]
async fn a_progress_report_keeps_the_lease_the_claim_asked_for() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conn = db
            .store
            .list_connections(&k.scope, &Page::First, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == ConnectionStatus::Healthy)
            .unwrap();
        let object =
            switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.data_objects()[0];
        let run =
            NewSyncRun::new(&(&conn).into(), object, SyncRunKind::Incremental, TriggerKind::User, now_ms());
        db.store.queue_runs(std::slice::from_ref(&run), None).await.unwrap();
        let post = |path: &str, body: serde_json::Value| call("POST", path, Some(&k.ingest), Some(body));
        let mut held = false;
        for _ in 0..50 {
            let (s, got) = json_of(
                &app,
                post(
                    "/api/v1/ingest/sync-runs/claim",
                    json!({"worker": "w1", "limit": 100, "lease_seconds": 600}),
                ),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{got}");
            let got = got["runs"].as_array().unwrap().clone();
            held = got.iter().any(|r| r["id"] == run.id.as_str());
            if held || got.is_empty() {
                break;
            }
        }
        assert!(held, "{}: the run was claimed", db.name);
        let items = json!([{"id": run.id, "event": "progress", "worker": "w1", "records_processed": 10}]);
        let (s, v) = json_of(&app, post("/api/v1/ingest/sync-runs", json!({ "items": items }))).await;
        assert_eq!((s, v["accepted"].clone()), (StatusCode::OK, json!(1)), "{v}");
        // Five minutes later the lease still holds; eleven minutes later it has lapsed.
        let later = now_ms() + 5 * 60_000;
        db.store.requeue_expired(later).await.unwrap();
        let r = db.store.get_sync_run(&k.scope, &run.id).await.unwrap().unwrap();
        assert_eq!(
            r.status.as_str(),
            "running",
            "{}: a report must not shorten the lease to a minute",
            db.name
        );
        db.store.requeue_expired(now_ms() + 11 * 60_000).await.unwrap();
        let r = db.store.get_sync_run(&k.scope, &run.id).await.unwrap().unwrap();
        assert_eq!(r.status.as_str(), "queued", "{}: the lease lapses after its length", db.name);
    }
}
