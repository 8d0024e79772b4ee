//! No writer stores a secret: a corpus of secret shapes goes through every way text reaches the
//! database (the ingestion API's request logs, events, connection status and sync-run reports;
//! the worker's path that the sandbox data plane takes; the demo seed), and the raw database
//! (SQLite file and WAL, every PostgreSQL row) is scanned for each planted secret.

use crate::api::{call, json_of, keys, log_item, new_req_id, now_rfc3339};
use crate::helpers::{self, now_ms};
use crate::http::app;
use axum::http::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::{ConnectionStatus, SyncRunKind, SyncRunStatus, TriggerKind};
use switchboard::ids::{make_id, prefix};
use switchboard::server::store::sync::{NewSyncRun, RunResult};
use switchboard::server::store::Page;

const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJQTEFOVEVEMTcifQ.c2lnbmF0dXJlUExBTlRFRDE3eHh4";

/// Secret shapes, each carrying one planted marker (`PLANTEDnn`), as a platform or a data plane
/// might send them: JSON keys, XML and SOAP elements, URLs, headers, forms and free text.
fn corpus(tag: &str) -> Vec<(String, String)> {
    let m = |n: u32| format!("PLANTED{tag}{n:02}");
    vec![
        (m(1), json!({"password": m(1)}).to_string()),
        (m(2), json!({"auth": {"pwd": m(2)}}).to_string()),
        (m(3), json!({"pass": m(3), "user": "ops"}).to_string()),
        (m(4), json!({"passcode": m(4)}).to_string()),
        (m(5), json!({"session": m(5)}).to_string()),
        (m(6), json!({"client_assertion": m(6)}).to_string()),
        (m(7), json!({"error": {"refresh_token": m(7)}}).to_string()),
        (m(8), format!("<login><userid>ops</userid><password>{}</password></login>", m(8))),
        (
            m(9),
            format!(
                r#"<soap:Envelope><wsse:Password Type="PasswordText">{}</wsse:Password></soap:Envelope>"#,
                m(9)
            ),
        ),
        (
            m(10),
            format!(
                "<auth><token>{}</token><client_secret><![CDATA[x{}]]></client_secret></auth>",
                m(10),
                m(10)
            ),
        ),
        (m(11), format!("https://api.example/v1/x?access_token={}&page=2", m(11))),
        (m(12), format!("https://admin:{}@api.example/v1/x", m(12))),
        (m(13), format!("Authorization: Bearer {}", m(13))),
        (m(14), format!("Login failed: the password is {}. Reconnect.", m(14))),
        (m(15), format!("grant_type=refresh_token&client_secret={}", m(15))),
        (m(16), format!("token: \"{}\"", m(16))),
        ("PLANTED17".into(), format!("upstream rejected {JWT}")),
        (m(18), json!({"detail": format!("<password>{}</password>", m(18))}).to_string()),
    ]
}

#[tokio::test]
async fn no_writer_stores_a_planted_secret() {
    for db in helpers::all().await {
        let app = app(&db).await; // The demo seed is the first writer.
        let k = keys(&db).await;
        let conns = db.store.list_connections(&k.scope, &Page::First, 50).await.unwrap();
        let conn = conns.iter().find(|c| c.status == ConnectionStatus::Healthy).unwrap().clone();
        let reauth = conns.iter().filter(|c| c.status == ConnectionStatus::Healthy).nth(1).unwrap().clone();
        let mut planted: Vec<String> = vec![];
        let post = |path: &str, body: Value| call("POST", path, Some(&k.ingest), Some(body));

        // 1. Request logs: every field that carries text.
        let c = corpus("A");
        planted.extend(c.iter().map(|(m, _)| m.clone()));
        let items: Vec<Value> = c
            .iter()
            .map(|(_, text)| {
                log_item(
                    &new_req_id(),
                    json!({
                        "request_body": text, "response_body": text,
                        "request_headers": {"X-Note": text, "Cf-Access-Jwt-Assertion": JWT, "DPoP": text},
                        "error": {"code": "invalid-params", "message": text, "platform_error": text},
                        "upstream_calls": [{"method": "GET", "url": "https://api.example/x", "status": 400, "latency_ms": 80,
                                            "response": text}],
                    }),
                )
            })
            .collect();
        let n = items.len();
        let (s, v) = json_of(&app, post("/api/v1/ingest/request-logs", json!({ "items": items }))).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        assert_eq!(v["accepted"], n, "{}: {v}", db.name);

        // 2. Events: their data, as strings and as objects.
        let c = corpus("B");
        planted.extend(c.iter().map(|(m, _)| m.clone()));
        let items: Vec<Value> = c
            .iter()
            .map(|(_, text)| {
                let data = serde_json::from_str::<Value>(text).unwrap_or_else(|_| json!({ "detail": text }));
                json!({"id": make_id(prefix::EVENT, now_ms(), rand::random()), "type": "sync.completed",
                       "occurred_at": now_rfc3339(), "connection_id": conn.id, "data": data})
            })
            .collect();
        let n = items.len();
        let (s, v) = json_of(&app, post("/api/v1/ingest/events", json!({ "items": items }))).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        assert_eq!(v["accepted"], n, "{}: {v}", db.name);

        // 3. Connection status reasons (each report newer than the last, so each is written).
        let c = corpus("C");
        planted.extend(c.iter().map(|(m, _)| m.clone()));
        for (i, (_, text)) in c.iter().enumerate() {
            let at = chrono::Utc::now() + chrono::Duration::milliseconds(i as i64);
            let item = json!({"connection_id": conn.id, "status": "degraded", "reason": text,
                              "occurred_at": at.to_rfc3339()});
            let (s, v) =
                json_of(&app, post("/api/v1/ingest/connection-status", json!({ "items": [item] }))).await;
            assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        }

        // 4. Sync-run reports over the API: progress logs, then the failure with its raw error,
        //    one run per shape.
        let c = corpus("D");
        planted.extend(c.iter().map(|(m, _)| m.clone()));
        let now = now_ms();
        let object =
            switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.data_objects()[0];
        // One run at a time (a connection's object is never run twice at once), claimed oldest
        // first a hundred at a time until it is held.
        for (_, text) in &c {
            let run = NewSyncRun::new(
                &(&conn).into(),
                object,
                SyncRunKind::Incremental,
                TriggerKind::Schedule,
                now,
            );
            db.store.queue_runs(std::slice::from_ref(&run), None).await.unwrap();
            let mut held = false;
            for _ in 0..50 {
                let (s, got) = json_of(
                    &app,
                    post(
                        "/api/v1/ingest/sync-runs/claim",
                        json!({"worker": "w1", "limit": 100, "lease_seconds": 60}),
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
            assert!(held, "{}: run {} was claimed", db.name, run.id);
            let log = json!([{"method": "GET", "url": text, "status": 401, "note": text}]);
            let items = json!([
                {"id": run.id, "event": "started", "worker": "w1"},
                {"id": run.id, "event": "progress", "worker": "w1", "records_processed": 1, "log": log},
                {"id": run.id, "event": "finished", "worker": "w1", "status": "failed",
                 "error": {"code": "unauthorized", "message": text, "platform_error": text},
                 "needs_reauth": false, "log": log},
            ]);
            let (s, v) = json_of(&app, post("/api/v1/ingest/sync-runs", json!({ "items": items }))).await;
            assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
            assert_eq!(v["accepted"], 3, "{}: {v}", db.name);
        }

        // 5. The worker's path (the sandbox data plane's): heartbeat logs and a run that ends
        //    with the connection needing re-authentication, whose reason and
        //    `connection.needs_reauth` payload come from the run's error.
        let c = corpus("E");
        planted.extend(c.iter().map(|(m, _)| m.clone()));
        for (i, (_, text)) in c.iter().enumerate() {
            let target = if i == 0 { &reauth } else { &conn };
            let run =
                NewSyncRun::new(&target.into(), object, SyncRunKind::Incremental, TriggerKind::Schedule, now);
            db.store.queue_runs(std::slice::from_ref(&run), None).await.unwrap();
            let mut got = vec![];
            for _ in 0..100 {
                got = db.store.claim_runs(None, "sandbox", now_ms(), 60_000, 1000).await.unwrap();
                if got.iter().any(|r| r.id == run.id) {
                    break;
                }
            }
            assert!(got.iter().any(|r| r.id == run.id), "{}: the worker claimed its run", db.name);
            let log = json!([{"method": "GET", "url": text, "status": 401, "response": text}]).to_string();
            db.store.heartbeat_run(&run.id, "sandbox", now_ms(), 60_000, 1, &log).await.unwrap();
            let result = RunResult {
                error_code: Some("unauthorized".into()),
                error_message: Some(text.clone()),
                platform_error: Some(text.clone()),
                log,
                needs_reauth: i == 0,
                ..RunResult::ended(SyncRunStatus::Failed)
            };
            assert!(db.store.finish_run(&run.id, "sandbox", now_ms(), &result).await.unwrap());
        }
        let reauth_now = db.store.get_connection(&k.scope, &reauth.id).await.unwrap().unwrap();
        assert_eq!(reauth_now.status, ConnectionStatus::NeedsReauth, "{}", db.name);

        // Nothing planted is anywhere in the database; ordinary words around it are.
        let raw = helpers::raw_contents(&db).await;
        let found: Vec<&String> = planted.iter().filter(|m| raw.contains(m.as_str())).collect();
        assert!(found.is_empty(), "{}: {} planted secrets were stored: {found:?}", db.name, found.len());
        assert!(!raw.contains("eyJhbGciOiJSUzI1NiJ9"), "{}: a JWT was stored", db.name);
        assert!(!raw.contains("Bearer sk_"), "{}: a seeded Authorization header was stored", db.name);
        assert!(raw.contains("Reconnect."), "{}: the text around a secret stays", db.name);
    }
}
