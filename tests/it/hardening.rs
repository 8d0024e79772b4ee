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

/// A NUL character anywhere a caller can type one is a 400 naming the problem, on both
/// databases: in a page's filter, a console form, an API query and an ingested item (only that
/// item is refused; the rest of its batch is stored).
#[tokio::test]
async fn a_nul_character_is_a_clear_400_and_loses_nothing() {
    use crate::api::{log_item, new_req_id};
    use crate::http::{body, get, post_form, send, sign_in, HOST};
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let cookie = sign_in(&app, "owner@acme.test").await;

        let res = send(&app, get("/requests?q=abc%00def", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}: page filter", db.name);
        assert!(body(res).await.contains("NUL character"));

        let origin = format!("http://{HOST}");
        let res = send(
            &app,
            post_form("/api/create_api_key", "name=ci%00key&scope=read", Some(&cookie), Some(&origin)),
        )
        .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{}: console form", db.name);
        assert!(body(res).await.contains("NUL character"));
        let stored = db.store.list_api_keys(&k.scope, &Page::First, 200).await.unwrap();
        assert!(stored.iter().all(|key| !key.name.starts_with("ci")), "{}: no key was created", db.name);

        let (s, v) = json_of(&app, call("GET", "/api/v1/request-logs?path=%00", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{}: API query {v}", db.name);
        assert_eq!(v["error"]["code"], "invalid-params", "{v}");

        let (good, bad) = (new_req_id(), new_req_id());
        let batch = json!({"items": [
            log_item(&good, json!({})),
            log_item(&bad, json!({"error": {"message": "boom\u{0}here"}})),
        ]});
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), Some(batch))).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        assert_eq!(v["accepted"], 1, "{v}");
        assert_eq!(v["rejected"][0]["index"], 1, "{v}");
        assert_eq!(v["rejected"][0]["field"], "error.message", "{v}");
        let (s, _) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{good}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK, "{}: the good item was stored", db.name);
    }
}

/// A time far ahead or far behind the server's clock is refused by field on every ingestion
/// endpoint that takes one, and the items beside it are stored.
#[tokio::test]
async fn ingested_times_far_from_now_are_refused_by_field() {
    use crate::api::{log_item, new_req_id};
    use switchboard::ids::{make_id, prefix};
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conn = db.store.list_connections(&k.scope, &Page::First, 1).await.unwrap().remove(0);
        let now = chrono::Utc::now();
        let times = [
            now + chrono::Duration::days(3650),
            now - chrono::Duration::days(400),
            now + chrono::Duration::minutes(90),
        ];
        let post = |path: &str, items: Vec<serde_json::Value>| {
            call("POST", path, Some(&k.ingest), Some(json!({ "items": items })))
        };
        let check = |v: &serde_json::Value, what: &str| {
            assert_eq!(v["accepted"], 1, "{}: {what}: {v}", db.name);
            let fields: Vec<&str> =
                v["rejected"].as_array().unwrap().iter().map(|r| r["field"].as_str().unwrap()).collect();
            assert_eq!(fields, vec!["occurred_at"; times.len()], "{}: {what}: {v}", db.name);
        };

        let mut logs = vec![log_item(&new_req_id(), json!({}))];
        for t in times {
            // The id carries the same far time, so only the distance from now can refuse it.
            let id = make_id(prefix::REQUEST, t.timestamp_millis(), rand::random());
            logs.push(log_item(&id, json!({"occurred_at": t.to_rfc3339()})));
        }
        let (s, v) = json_of(&app, post("/api/v1/ingest/request-logs", logs)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        check(&v, "request logs");

        let status = |t: chrono::DateTime<chrono::Utc>| json!({"connection_id": conn.id, "status": "healthy", "occurred_at": t.to_rfc3339()});
        let mut items = vec![status(now)];
        items.extend(times.iter().map(|t| status(*t)));
        let (s, v) = json_of(&app, post("/api/v1/ingest/connection-status", items)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        check(&v, "connection status");

        let event = |t: chrono::DateTime<chrono::Utc>| {
            json!({"id": make_id(prefix::EVENT, t.timestamp_millis(), rand::random()), "type": "connection.needs_reauth",
                   "occurred_at": t.to_rfc3339(), "connection_id": conn.id, "data": {"connection_id": conn.id}})
        };
        let mut items = vec![event(now)];
        items.extend(times.iter().map(|t| event(*t)));
        let (s, v) = json_of(&app, post("/api/v1/ingest/events", items)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        check(&v, "events");
        assert!(v["rejected"][0]["reason"].as_str().unwrap().contains("ahead of the server's clock"), "{v}");
    }
}

/// An id that exists in another organization is answered exactly as a new id: no 409 tells the
/// sender it exists, and the owner's item is untouched.
#[tokio::test]
async fn an_id_of_another_organization_is_answered_as_a_new_one() {
    use crate::api::{log_item, new_req_id};
    use switchboard::domain::KeyScope;
    use switchboard::ids::{make_id, prefix};
    use switchboard::server::store::Scope;
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let theirs = switchboard::server::api_keys::issue(
            db.store.as_ref(),
            &Scope::new(globex.id.clone(), "production"),
            KeyScope::Ingest,
            "prober",
            "test",
        )
        .await
        .unwrap();
        let conn = db.store.list_connections(&k.scope, &Page::First, 1).await.unwrap().remove(0);
        let (req, evt) = (new_req_id(), make_id(prefix::EVENT, now_ms(), rand::random()));
        let at = chrono::Utc::now().to_rfc3339();
        let event = |data: serde_json::Value| json!({"items": [{"id": evt, "type": "connection.needs_reauth", "occurred_at": at, "data": data}]});
        // Acme stores them first.
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&k.ingest),
                Some(json!({"items": [log_item(&req, json!({"connection_id": conn.id}))]})),
            ),
        )
        .await;
        assert_eq!((s, v["accepted"].clone()), (StatusCode::OK, json!(1)), "{v}");
        let (s, v) = json_of(
            &app,
            call("POST", "/api/v1/ingest/events", Some(&k.ingest), Some(event(json!({"n": 1})))),
        )
        .await;
        assert_eq!((s, v["accepted"].clone()), (StatusCode::OK, json!(1)), "{v}");
        // Globex sends the same ids with other content: the answer a new id gets.
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&theirs),
                Some(json!({"items": [log_item(&req, json!({"status": 500}))]})),
            ),
        )
        .await;
        assert_eq!((s, v["accepted"].clone()), (StatusCode::OK, json!(1)), "{}: {v}", db.name);
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/ingest/events", Some(&theirs), Some(event(json!({"n": 2})))))
                .await;
        assert_eq!((s, v["accepted"].clone()), (StatusCode::OK, json!(1)), "{}: {v}", db.name);
        // Acme's request is as it sent it.
        let (s, v) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{req}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["status"], 400, "{}: {v}", db.name);
        // The same id with other content from its owner is still a conflict.
        let (s, _) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&k.ingest),
                Some(json!({"items": [log_item(&req, json!({"status": 502}))]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{}", db.name);
    }
}
