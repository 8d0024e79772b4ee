//! The HTTP API (`/api/v1`) end to end, in process, on both databases: keys and scopes,
//! ingestion (idempotency, per-item rejections, conflicts, redaction on the way in), every read
//! endpoint (and that another organization's key reaches none of it), rate limits, and the
//! OpenAPI document covering every route.

use crate::helpers::{self, TestDb};
use crate::http::{app, body, send, HOST};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use switchboard::domain::KeyScope;
use switchboard::ids::{make_id, prefix};
use switchboard::server::api_keys::issue;
use switchboard::server::store::{Page, Scope};

pub(crate) struct Keys {
    pub ingest: String,
    pub read: String,
    /// May also start backfills.
    pub backfills: String,
    /// Globex's read key: must never see Acme's data.
    pub other_read: String,
    /// Globex's backfills key: must never start a backfill of Acme's connections.
    pub other_backfills: String,
    pub scope: Scope,
}

pub(crate) async fn keys(db: &TestDb) -> Keys {
    let org = |slug: &'static str| async move { db.store.get_organization(slug).await.unwrap().unwrap().id };
    let acme = Scope::new(org("acme").await, "production");
    let globex = Scope::new(org("globex").await, "production");
    let s = db.store.as_ref();
    Keys {
        ingest: issue(s, &acme, KeyScope::Ingest, "data plane", "test").await.unwrap(),
        read: issue(s, &acme, KeyScope::Read, "support script", "test").await.unwrap(),
        backfills: issue(s, &acme, KeyScope::Backfills, "ops script", "test").await.unwrap(),
        other_read: issue(s, &globex, KeyScope::Read, "theirs", "test").await.unwrap(),
        other_backfills: issue(s, &globex, KeyScope::Backfills, "theirs too", "test").await.unwrap(),
        scope: acme,
    }
}

pub(crate) fn call(method: &str, path: &str, key: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut b = Request::builder().method(method).uri(path).header(header::HOST, HOST);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    match body {
        Some(v) => {
            b.header(header::CONTENT_TYPE, "application/json").body(Body::from(v.to_string())).unwrap()
        }
        None => b.body(Body::empty()).unwrap(),
    }
}

pub(crate) async fn json_of(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let res = send(app, req).await;
    let status = res.status();
    let text = body(res).await;
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

/// Asserts the unified API's error body with its code and a request id.
fn assert_error(v: &Value, code: &str) {
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    assert!(v["error"]["request_id"].as_str().is_some_and(|r| r.starts_with("req_")), "{v}");
    assert!(v["error"].get("platform_error").is_some(), "{v}");
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339()
}

pub(crate) fn log_item(id: &str, extra: Value) -> Value {
    let mut item = json!({
        "id": id,
        "occurred_at": now_rfc3339(),
        "method": "POST",
        "path": "/accounting/invoices",
        "status": 400,
        "latency_ms": 231,
    });
    for (k, v) in extra.as_object().unwrap() {
        item[k] = v.clone();
    }
    item
}

pub(crate) fn new_req_id() -> String {
    make_id(prefix::REQUEST, chrono::Utc::now().timestamp_millis(), rand::random())
}

#[tokio::test]
async fn keys_are_checked_and_errors_have_the_documented_body() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let (s, v) = json_of(&app, call("GET", "/api/v1/request-logs", None, None)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{}", db.name);
        assert_error(&v, "unauthorized");
        let (s, v) = json_of(&app, call("GET", "/api/v1/request-logs", Some("sb_read_nope"), None)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_error(&v, "unauthorized");
        let last = if k.read.ends_with('x') { 'y' } else { 'x' };
        let wrong = format!("{}{last}", &k.read[..k.read.len() - 1]);
        let (s, _) = json_of(&app, call("GET", "/api/v1/request-logs", Some(&wrong), None)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Wrong scope either way.
        let (s, v) = json_of(&app, call("GET", "/api/v1/request-logs", Some(&k.ingest), None)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert_error(&v, "forbidden");
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&k.read),
                Some(json!({"items": [log_item(&new_req_id(), json!({}))]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(v["error"]["message"].as_str().unwrap().contains("ingest key"), "{v}");
        // A working key, then revoked.
        let (s, _) = json_of(&app, call("GET", "/api/v1/connections?limit=1", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        let keys = db.store.list_api_keys(&k.scope, &Page::First, 50).await.unwrap();
        let read_key = keys.iter().find(|r| k.read.starts_with(&r.prefix)).unwrap();
        assert!(read_key.last_used_at.is_some(), "{}: use is recorded", db.name);
        assert_eq!(read_key.scope, "read");
        let audit = switchboard::server::audit::Audit::new(
            switchboard::domain::AuditAction::ApiKeyRevoke,
            "api_key",
            &read_key.id,
            crate::helpers::now_ms(),
        )
        .by(&switchboard::server::actor::Author::system("t"))
        .of_organization(&k.scope.organization_id)
        .entry();
        assert!(db.store.revoke_api_key(&k.scope, &read_key.id, 1, &audit).await.unwrap());
        let (s, v) = json_of(&app, call("GET", "/api/v1/connections", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(v["error"]["message"].as_str().unwrap().contains("revoked"), "{v}");
        // Unknown routes under /api/v1 answer with the same body, not the console's page.
        let (s, v) = json_of(&app, call("GET", "/api/v1/nothing-here", Some(&k.ingest), None)).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_error(&v, "not-found");
        // No key material in the database: only hashes.
        let raw = helpers::raw_contents(&db).await;
        assert!(
            !raw.contains(&k.ingest) && !raw.contains(&k.other_read),
            "{}: a full key was stored",
            db.name
        );
    }
}

#[tokio::test]
async fn request_logs_are_ingested_idempotently_item_by_item_and_redacted() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conn = db.store.list_connections(&k.scope, &Page::First, 1).await.unwrap().remove(0);
        let (a, b, c) = (new_req_id(), new_req_id(), new_req_id());
        let secret = "sk_live_SECRETvalue0123456789";
        let good_a = log_item(
            &a,
            json!({
                "connection_id": conn.id,
                "query": format!("expand=platform_data&access_token={secret}"),
                "request_headers": {"Authorization": format!("Bearer {secret}"), "Content-Type": "application/json"},
                "request_body": json!({"customer": "c_1", "password": secret}).to_string(),
                "response_body": "{\"error\": \"bad\"}",
                "error": {"code": "invalid-params", "message": "due_date is invalid", "platform_error": {"Detail": "bad date"}, "confidence": "high"},
                "upstream_calls": [{"method": "POST", "url": format!("https://api.xero.com/x?token={secret}"), "status": 400, "latency_ms": 200, "response": "{}"}],
                "idempotency_key": "idem-1",
                "api_key_prefix": "sk_live_abcd",
                "user_agent": "curl/8",
                "source_ip": "203.0.113.9"
            }),
        );
        let batch = json!({"items": [
            good_a,
            log_item(&b, json!({"status": 200})),
            {"id": "req_bad", "occurred_at": now_rfc3339(), "method": "GET", "path": "/x", "status": 200, "latency_ms": 1},
            log_item(&c, json!({"status": "200"})),
            log_item(&c, json!({"method": "BREW"})),
            log_item(&new_req_id(), json!({"connection_id": make_id(prefix::CONNECTION, 1, 1)})),
            log_item(&new_req_id(), json!({"error": {"code": "no-such-code"}})),
            "not an object",
        ]});
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), Some(batch.clone())))
                .await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        assert_eq!(v["accepted"], 2, "{v}");
        let rejected: Vec<(u64, String)> = v["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["index"].as_u64().unwrap(), r["field"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            rejected,
            vec![
                (2, "id".into()),
                (3, "status".into()),
                (4, "method".into()),
                (5, "connection_id".into()),
                (6, "error.code".into()),
                (7, "".into())
            ],
            "{v}"
        );
        // The same batch again: accepted again, stored once.
        let (s, v2) =
            json_of(&app, call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), Some(batch.clone())))
                .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v2, v, "a retried batch gets the same answer");
        let (_, list) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs?request_id={a}"), Some(&k.read), None))
                .await;
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
        // The same id with different content: 409 naming it; the good item beside it is kept.
        let d = new_req_id();
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&k.ingest),
                Some(json!({"items": [log_item(&b, json!({"status": 201})), log_item(&d, json!({}))]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_error(&v, "conflict");
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(msg.contains("item 0") && msg.contains(&b), "{msg}");
        let (s, _) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{d}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK, "the good item of a conflicting batch is stored");
        let (_, kept) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{b}"), Some(&k.read), None)).await;
        assert_eq!(kept["status"], 200, "the first content stays");

        // Read back: redacted, with the connection's platform filled in.
        let (s, r) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{a}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["platform"], conn.platform_id.as_str());
        assert_eq!(r["error"]["code"], "invalid-params");
        assert_eq!(r["error"]["platform_error"]["Detail"], "bad date");
        assert_eq!(r["request_headers"]["content-type"], "application/json");
        assert!(r["request_headers"]["authorization"].as_str().unwrap().starts_with("Bearer "), "{r}");
        assert!(!r.to_string().contains(secret), "{}: secret in {r}", db.name);
        assert!(!r["redacted_fields"].as_array().unwrap().is_empty());
        // Bodies that are JSON come back as JSON values, redacted; the next step is the console's.
        assert_eq!(r["request_body"]["customer"], "c_1", "{r}");
        assert_eq!(r["request_body"]["password"], "[REDACTED]", "{r}");
        assert_eq!(r["response_body"]["error"], "bad", "{r}");
        assert!(r["next_step"].as_str().is_some_and(|s| s.len() > 20), "{r}");
        let (_, ok) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{b}"), Some(&k.read), None)).await;
        assert!(ok["next_step"].is_null(), "a request that succeeded has no next step: {ok}");
        let raw = helpers::raw_contents(&db).await;
        assert!(!raw.contains(secret), "{}: the secret reached the database", db.name);

        // Batches that are not batches.
        let too_many: Vec<Value> = (0..1001).map(|_| json!({})).collect();
        for (body, status) in [
            (json!({"items": []}), StatusCode::BAD_REQUEST),
            (json!({"items": too_many}), StatusCode::BAD_REQUEST),
            (json!({"things": []}), StatusCode::BAD_REQUEST),
        ] {
            let (s, v) =
                json_of(&app, call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), Some(body))).await;
            assert_eq!(s, status, "{v}");
            assert_error(&v, "invalid-params");
        }
        let mut req = call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), None);
        *req.body_mut() = Body::from("{\"items\": [");
        req.headers_mut().insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let (s, v) = json_of(&app, req).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_error(&v, "invalid-params");
        let mut req = call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), None);
        *req.body_mut() = Body::from("{}");
        let (s, _) = json_of(&app, req).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let huge = "x".repeat(6 << 20);
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/request-logs",
                Some(&k.ingest),
                Some(json!({"items": [log_item(&new_req_id(), json!({"request_body": huge}))]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        assert_error(&v, "payload-too-large");
    }
}

#[tokio::test]
async fn status_and_events_are_ingested() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conn = db.store.list_connections(&k.scope, &Page::First, 1).await.unwrap().remove(0);
        let at = chrono::Utc::now();
        let status = |s: &str, t: chrono::DateTime<chrono::Utc>| json!({"connection_id": conn.id, "status": s, "reason": format!("reported {s}"), "occurred_at": t.to_rfc3339()});
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/connection-status",
                Some(&k.ingest),
                Some(json!({"items": [status("needs_reauth", at), status("broken", at), status("healthy", at - chrono::Duration::minutes(5))]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], 2);
        assert_eq!(v["rejected"][0]["field"], "status");
        let (_, c) =
            json_of(&app, call("GET", &format!("/api/v1/connections/{}", conn.id), Some(&k.read), None))
                .await;
        assert_eq!(
            c["status"], "needs_reauth",
            "{}: an older report does not overwrite a newer one",
            db.name
        );
        assert_eq!(c["status_reason"], "reported needs_reauth");

        let evt = make_id(prefix::EVENT, at.timestamp_millis(), rand::random());
        let item = json!({"id": evt, "type": "connection.needs_reauth", "occurred_at": at.to_rfc3339(), "connection_id": conn.id, "data": {"connection_id": conn.id}});
        let batch = json!({"items": [item, {"id": make_id(prefix::EVENT, 1, 2), "type": "no.such", "occurred_at": at.to_rfc3339(), "data": {}}]});
        for _ in 0..2 {
            let (s, v) =
                json_of(&app, call("POST", "/api/v1/ingest/events", Some(&k.ingest), Some(batch.clone())))
                    .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            assert_eq!(v["accepted"], 1);
            assert_eq!(v["rejected"][0]["field"], "type");
        }
        let events = helpers::events(&db, &k.scope).await;
        assert_eq!(
            events.iter().filter(|(_, payload)| payload.contains(&evt)).count(),
            1,
            "{}: one event, however often sent",
            db.name
        );
        let changed = json!({"items": [{"id": evt, "type": "connection.needs_reauth", "occurred_at": at.to_rfc3339(), "data": {"other": 1}}]});
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/ingest/events", Some(&k.ingest), Some(changed))).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
    }
}

#[tokio::test]
async fn every_read_endpoint_pages_and_stays_inside_its_organization() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        // Request logs: keyset pages of 2 cover distinct rows, newest first.
        let (s, p1) = json_of(&app, call("GET", "/api/v1/request-logs?limit=2", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK, "{p1}");
        let cursor = p1["next_cursor"].as_str().expect("more than one page").to_string();
        let (_, p2) = json_of(
            &app,
            call("GET", &format!("/api/v1/request-logs?limit=2&before={cursor}"), Some(&k.read), None),
        )
        .await;
        let ids = |p: &Value| {
            p["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        let (i1, i2) = (ids(&p1), ids(&p2));
        assert_eq!(i1.len(), 2);
        assert!(i1[1] > i2[0], "{i1:?} then {i2:?}");
        let (_, back) = json_of(
            &app,
            call("GET", &format!("/api/v1/request-logs?limit=2&after={}", i2[0]), Some(&k.read), None),
        )
        .await;
        assert_eq!(ids(&back), i1);
        // Filters as in the console, and their errors.
        let (s, f) = json_of(
            &app,
            call("GET", "/api/v1/request-logs?status=4xx&method=post&limit=5", Some(&k.read), None),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        for r in f["data"].as_array().unwrap() {
            assert!(r["status"].as_i64().unwrap() / 100 == 4 && r["method"] == "POST", "{r}");
        }
        for bad in [
            "status=7xx",
            "platform=nope",
            "limit=0",
            "limit=201",
            "before=xyz",
            "limit=abc",
            "before=req_x&after=req_y",
        ] {
            let (s, v) =
                json_of(&app, call("GET", &format!("/api/v1/request-logs?{bad}"), Some(&k.read), None)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
            assert_error(&v, "invalid-params");
        }
        let one = &i1[0];
        let (s, r) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{one}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(&r["id"], one);
        let (s, _) = json_of(&app, call("GET", "/api/v1/request-logs/not-an-id", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        // Connections and a connection's sync runs.
        let (s, cl) = json_of(&app, call("GET", "/api/v1/connections?limit=3", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(cl["data"].as_array().unwrap().len(), 3);
        let conn = cl["data"][0]["id"].as_str().unwrap().to_string();
        let (s, _) =
            json_of(&app, call("GET", &format!("/api/v1/connections/{conn}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, runs) = json_of(
            &app,
            call("GET", &format!("/api/v1/connections/{conn}/sync-runs?limit=2"), Some(&k.read), None),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{runs}");

        // A backfill: created (201), the same Idempotency-Key returns it (200), then read.
        let backfill = json!({"connection_ids": [conn], "data_objects": ["invoices"], "range": "last_30_days", "reason": "API test"});
        let platform = cl["data"][0]["platform"].as_str().unwrap();
        let object = switchboard::domain::platform(platform).unwrap().integration_type.data_objects()[0];
        let backfill = json!({"connection_ids": backfill["connection_ids"], "data_objects": [object], "range": "last_30_days"});
        // A read key may not start one; a backfills key may.
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/backfills", Some(&k.read), Some(backfill.clone()))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("backfills key (sb_backfills_...); this is a read key"),
            "{v}"
        );
        let mut req = call("POST", "/api/v1/backfills", Some(&k.backfills), Some(backfill.clone()));
        req.headers_mut().insert("idempotency-key", "bf-1".parse().unwrap());
        let (s, b) = json_of(&app, req).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(b["runs_total"], 1);
        assert!(b["created_by"].as_str().unwrap().starts_with("API key sb_backfills_"), "{b}");
        let mut req = call("POST", "/api/v1/backfills", Some(&k.backfills), Some(backfill.clone()));
        req.headers_mut().insert("idempotency-key", "bf-1".parse().unwrap());
        let (s, again) = json_of(&app, req).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(again["id"], b["id"]);
        let bf = b["id"].as_str().unwrap().to_string();
        let (s, _) =
            json_of(&app, call("GET", &format!("/api/v1/backfills/{bf}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/backfills",
                Some(&k.backfills),
                Some(json!({"connection_ids": [], "data_objects": ["invoices"]})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

        // Deliveries.
        let (s, d) = json_of(
            &app,
            call("GET", "/api/v1/webhook-deliveries?limit=2&status=delivered", Some(&k.read), None),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        for r in d["data"].as_array().unwrap() {
            assert_eq!(r["status"], "delivered");
        }
        let (s, _) =
            json_of(&app, call("GET", "/api/v1/webhook-deliveries?status=lost", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);

        // Another organization's key: every one of Acme's ids is "not found", and its lists hold
        // none of Acme's rows.
        let o = Some(k.other_read.as_str());
        for path in [
            format!("/api/v1/request-logs/{one}"),
            format!("/api/v1/connections/{conn}"),
            format!("/api/v1/connections/{conn}/sync-runs"),
            format!("/api/v1/backfills/{bf}"),
        ] {
            let (s, v) = json_of(&app, call("GET", &path, o, None)).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{}: {path} with another organization's key: {v}", db.name);
            assert_error(&v, "not-found");
        }
        let o_bf = Some(k.other_backfills.as_str());
        let (s, v) = json_of(&app, call("POST", "/api/v1/backfills", o_bf, Some(backfill))).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        for path in [
            format!("/api/v1/request-logs?request_id={one}"),
            format!("/api/v1/request-logs?connection={conn}"),
            format!("/api/v1/webhook-deliveries?connection={conn}"),
            "/api/v1/connections?limit=200".to_string(),
            "/api/v1/request-logs?limit=200".to_string(),
        ] {
            let (s, v) = json_of(&app, call("GET", &path, o, None)).await;
            assert_eq!(s, StatusCode::OK);
            let text = v.to_string();
            assert!(!text.contains(one.as_str()) && !text.contains(conn.as_str()), "{path}: {text}");
        }
    }
}

#[tokio::test]
async fn issues_are_listed_filtered_and_shown_to_their_organization_only() {
    use switchboard::domain::issues::IssueKind;
    use switchboard::server::store::issues::Observation;
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conn = db.store.list_connections(&k.scope, &Page::First, 1).await.unwrap().remove(0);
        let now = chrono::Utc::now().timestamp_millis();
        let mut o = Observation::new(IssueKind::RateLimited, conn.id.clone(), "429s from Xero", now);
        o.connection_ids = vec![conn.id.clone()];
        o.platform_id = Some(conn.platform_id.clone());
        o.occurrences = 7;
        db.store.observe_issues(&k.scope, &[o]).await.unwrap();

        let (s, v) = json_of(
            &app,
            call("GET", &format!("/api/v1/issues?connection={}", conn.id), Some(&k.read), None),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "{}: {v}", db.name);
        let issue = &data[0];
        assert_eq!(
            (issue["kind"].as_str(), issue["status"].as_str(), issue["occurrences"].as_i64()),
            (Some("rate_limited"), Some("open"), Some(7))
        );
        assert!(issue["next_step"].as_str().is_some_and(|n| n.contains("Retry-After")), "{issue}");
        let id = issue["id"].as_str().unwrap().to_string();
        let (s, v) = json_of(&app, call("GET", &format!("/api/v1/issues/{id}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["timeline"][0]["action"], "opened", "{v}");
        assert_eq!(v["connection_ids"][0], conn.id.as_str());
        // Filters that name nothing the list offers are refused by name.
        for (q, word) in [
            ("status=lost", "status"),
            ("kind=broken", "kind"),
            ("severity=meh", "severity"),
            ("connection=nope", "connection"),
        ] {
            let (s, v) =
                json_of(&app, call("GET", &format!("/api/v1/issues?{q}"), Some(&k.read), None)).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
            assert!(v["error"]["message"].as_str().unwrap().to_lowercase().contains(word), "{q}: {v}");
        }
        let (s, v) = json_of(&app, call("GET", "/api/v1/issues?status=resolved", Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(v["data"].as_array().unwrap().iter().all(|i| i["id"] != id.as_str()));
        // Another organization's key finds nothing.
        let (s, v) =
            json_of(&app, call("GET", &format!("/api/v1/issues/{id}"), Some(&k.other_read), None)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        assert_error(&v, "not-found");
        let (_, v) =
            json_of(&app, call("GET", "/api/v1/issues?status=all&limit=200", Some(&k.other_read), None))
                .await;
        assert!(!v.to_string().contains(&id), "{}", db.name);
    }
}

#[tokio::test]
async fn a_key_over_its_rate_limit_is_told_when_to_retry() {
    let db = helpers::sqlite().await;
    switchboard::server::seed::seed_demo(db.store.as_ref(), 50).await.unwrap();
    let mut settings = crate::http::settings(&db, &format!("http://{HOST}"));
    settings.api_limits.read_per_second = 1.0;
    let app =
        switchboard::server::http::router(switchboard::server::http::app_state(settings, db.store.clone()));
    let k = keys(&db).await;
    let mut limited = None;
    for _ in 0..5 {
        let res = send(&app, call("GET", "/api/v1/connections?limit=1", Some(&k.read), None)).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the fifth call within a second is over a limit of 1/s with bursts of 2");
    let retry: u64 = res.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry));
    let v: Value = serde_json::from_str(&body(res).await).unwrap();
    assert_error(&v, "rate-limited");
    // Another key is not slowed by this one.
    let (s, _) = json_of(&app, call("GET", "/api/v1/connections?limit=1", Some(&k.other_read), None)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_the_reference_renders_it() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    let (s, doc) = json_of(&app, call("GET", "/api/v1/openapi.json", None, None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/ingest/request-logs", "post"),
        ("/api/v1/ingest/connection-status", "post"),
        ("/api/v1/ingest/events", "post"),
        ("/api/v1/ingest/sync-runs", "post"),
        ("/api/v1/ingest/sync-runs/claim", "post"),
        ("/api/v1/request-logs", "get"),
        ("/api/v1/request-logs/{id}", "get"),
        ("/api/v1/connections", "get"),
        ("/api/v1/connections/{id}", "get"),
        ("/api/v1/connections/{id}/sync-runs", "get"),
        ("/api/v1/backfills", "post"),
        ("/api/v1/backfills/{id}", "get"),
        ("/api/v1/webhook-deliveries", "get"),
        ("/api/v1/issues", "get"),
        ("/api/v1/issues/{id}", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is not documented");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // The served document names this console as the server, and the curl lines run against it.
    let base = doc["servers"][0]["url"].as_str().unwrap().to_string();
    assert!(base.starts_with("http"), "{base}");
    let curl = doc["paths"]["/api/v1/backfills"]["post"]["x-codeSamples"][0]["source"].as_str().unwrap();
    assert!(
        curl.contains(&format!("{base}/api/v1/backfills")) && curl.contains("$SWITCHBOARD_BACKFILLS_KEY"),
        "{curl}"
    );
    assert_eq!(doc["paths"]["/api/v1/backfills"]["post"]["tags"][0], "backfills");
    let res = send(&app, call("GET", "/api/v1/reference", None, None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body(res).await;
    assert!(
        html.contains("/<wbr>api/<wbr>v1/<wbr>request-logs/<wbr>{id}")
            && html.contains("RequestLogItem")
            && html.contains("data-testid=\"curl\"")
            && html.contains("Example response")
            && html.contains(&format!(
                "data-testid=\"base-url\" class=\"rounded bg-slate-100 px-1 font-mono\">{base}<"
            )),
        "{}",
        &html[..500]
    );
}

/// `switchboard serve` as its own process on the test's database: the API only.
fn spawn_server(db: &TestDb) -> (std::process::Child, String) {
    helpers::spawn_switchboard(db, &["serve", "--no-worker"], &[("SWITCHBOARD_API_INGEST_RATE", "100000")])
}

/// A batch acknowledged with 2xx is committed; batches cut off by `kill -9` are sent again with
/// the same ids after the restart; in the end every item is stored exactly once.
#[tokio::test]
async fn batches_survive_kill_9_and_retries_store_each_item_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;
    const BATCHES: usize = 80;
    const PER_BATCH: usize = 250;
    for db in helpers::all().await {
        // An organization of its own, so its request count is exactly what the test sent.
        let now = chrono::Utc::now().timestamp_millis();
        let org = switchboard::server::store::OrganizationRow {
            id: make_id(prefix::ORGANIZATION, now, rand::random()),
            name: "Durable".into(),
            slug: format!("durable-{}", rand::random::<u32>()),
            created_at: now,
        };
        db.store.create_organization(&org).await.unwrap();
        let scope = Scope::new(org.id.clone(), "production");
        let key = issue(db.store.as_ref(), &scope, KeyScope::Ingest, "plane", "test").await.unwrap();
        // Every item through one connection, the first of each batch refused as forbidden: the
        // issue it opens and the error-rate counters must count each item once too.
        let conn = helpers::new_connection(&db, &scope, "xero", "Durable Xero").await;
        let batches: Vec<Value> = (0..BATCHES)
            .map(|_| {
                let items: Vec<Value> = (0..PER_BATCH)
                    .map(|j| {
                        let mut extra = json!({"connection_id": conn, "request_body": "{\"customer\": \"c_1\", \"amount\": 1250}", "response_body": "{\"id\": \"inv_1\"}"});
                        if j == 0 {
                            extra["status"] = json!(403);
                            extra["error"] = json!({"code": "forbidden", "message": "The app lacks the invoices scope."});
                        }
                        log_item(&new_req_id(), extra)
                    })
                    .collect();
                json!({ "items": items })
            })
            .collect();
        let (first, url) = spawn_server(&db);
        let base = Arc::new(Mutex::new(url));
        let first = Arc::new(Mutex::new(Some(first)));
        let acked = Arc::new(AtomicUsize::new(0));
        let next = Arc::new(AtomicUsize::new(0));
        let failures = Arc::new(AtomicUsize::new(0));
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        let mut senders = vec![];
        for _ in 0..4 {
            let (batches, base, acked, next, failures, client, key) = (
                batches.clone(),
                base.clone(),
                acked.clone(),
                next.clone(),
                failures.clone(),
                client.clone(),
                key.clone(),
            );
            senders.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= BATCHES {
                        return;
                    }
                    // Until acknowledged: the same batch, the same ids.
                    helpers::wait_until("the batch acknowledged", Duration::from_secs(120), || {
                        let url = format!("{}/api/v1/ingest/request-logs", base.lock().unwrap());
                        let req = client
                            .post(url)
                            .bearer_auth(&key)
                            .header("content-type", "application/json")
                            .body(batches[i].to_string());
                        let (acked, failures) = (acked.clone(), failures.clone());
                        async move {
                            match req.send().await {
                                Ok(r) if r.status().is_success() => {
                                    let v: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
                                    assert_eq!(v["accepted"], PER_BATCH as u64, "{v}");
                                    acked.fetch_add(1, Ordering::SeqCst);
                                    true
                                }
                                Ok(r) => panic!("unexpected answer {}", r.status()),
                                Err(_) => {
                                    failures.fetch_add(1, Ordering::SeqCst);
                                    false
                                }
                            }
                        }
                    })
                    .await;
                }
            }));
        }
        helpers::wait_until("a few batches acknowledged", Duration::from_secs(60), || {
            let n = acked.load(Ordering::SeqCst);
            async move { n >= 10 }
        })
        .await;
        let mut child = first.lock().unwrap().take().unwrap();
        child.kill().unwrap(); // SIGKILL, with batches in flight.
        child.wait().unwrap();
        let at_kill = acked.load(Ordering::SeqCst);
        assert!(at_kill < BATCHES, "{}: the kill came too late to prove anything", db.name);
        let (second, url) = spawn_server(&db);
        *base.lock().unwrap() = url;
        for s in senders {
            s.await.unwrap();
        }
        let mut second = second;
        second.kill().unwrap();
        second.wait().unwrap();
        assert!(failures.load(Ordering::SeqCst) > 0, "{}: no call was cut off by the kill", db.name);
        let stored = helpers::request_count(&db, &scope).await;
        assert_eq!(stored, (BATCHES * PER_BATCH) as i64, "{}: every item exactly once", db.name);
        // Detection too: the requests and what they show commit together.
        let q = switchboard::server::store::issues::IssueQuery {
            scope: Some(scope.clone()),
            limit: 50,
            ..Default::default()
        };
        let issues = db.store.list_issues(&q).await.unwrap();
        let perm = issues
            .iter()
            .find(|i| i.kind == switchboard::domain::issues::IssueKind::MissingPermission)
            .expect("the refusals opened an issue");
        assert_eq!(perm.occurrences, BATCHES as i64, "{}: each refusal counted once", db.name);
        let hour = 3_600_000;
        let totals = db
            .store
            .error_rate_between(
                &scope,
                "xero",
                "POST /accounting/invoices",
                (now / hour - 1) * hour,
                now + 2 * hour,
            )
            .await
            .unwrap();
        assert_eq!(totals.total, (BATCHES * PER_BATCH) as i64, "{}: each request counted once", db.name);
        // The hourly rollups too, and a rebuild from the rows finds the same counts.
        let maintained = db.store.request_rollups(&scope, 0, i64::MAX).await.unwrap();
        let counted: i64 = maintained.counts.iter().map(|c| c.requests).sum();
        assert_eq!(counted, (BATCHES * PER_BATCH) as i64, "{}: each request in the rollups once", db.name);
        db.store.rebuild_request_rollups().await.unwrap();
        let rebuilt = db.store.request_rollups(&scope, 0, i64::MAX).await.unwrap();
        assert_eq!(rebuilt, maintained, "{}: the rollups equal a rebuild", db.name);
    }
}

/// The data plane's side of a backfill over the API: claim its runs, report progress, finish
/// them; the backfill completes. Another organization's key claims none of them and cannot
/// report on them; a retried `finished` is accepted again.
#[tokio::test]
async fn sync_runs_are_claimed_and_reported_over_the_api() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let other_ingest = issue(
            db.store.as_ref(),
            &Scope::new(globex.id, "production"),
            KeyScope::Ingest,
            "theirs",
            "test",
        )
        .await
        .unwrap();
        let conn = db
            .store
            .list_connections(&k.scope, &Page::First, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == switchboard::domain::ConnectionStatus::Healthy)
            .unwrap();
        let object =
            switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.data_objects()[0];
        let (s, b) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/backfills",
                Some(&k.backfills),
                Some(json!({"connection_ids": [conn.id], "data_objects": [object], "range": "last_30_days"})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        // A worker of another organization gets nothing of Acme's.
        let (s, theirs) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/sync-runs/claim",
                Some(&other_ingest),
                Some(json!({"worker": "w1", "limit": 100})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        assert!(!theirs.to_string().contains(conn.id.as_str()), "{theirs}");
        // Acme's data plane claims everything queued in its environment, including our run.
        let mut ours = None;
        for _ in 0..50 {
            let (s, got) = json_of(
                &app,
                call(
                    "POST",
                    "/api/v1/ingest/sync-runs/claim",
                    Some(&k.ingest),
                    Some(json!({"worker": "w1", "limit": 100, "lease_seconds": 60})),
                ),
            )
            .await;
            assert_eq!(s, StatusCode::OK, "{got}");
            let runs = got["runs"].as_array().unwrap().clone();
            if let Some(r) = runs.iter().find(|r| r["backfill_id"] == b["id"]) {
                ours = Some(r.clone());
            }
            if runs.is_empty() {
                break;
            }
        }
        let run = ours.expect("the backfill's run was claimed");
        let id = run["id"].as_str().unwrap().to_string();
        assert_eq!(run["connection_id"], conn.id.as_str());
        assert!(run["range_from"].as_str().is_some());
        let report = |items: Value, key: &str| {
            call("POST", "/api/v1/ingest/sync-runs", Some(key), Some(json!({ "items": items })))
        };
        let (s, v) = json_of(&app, report(json!([{"id": id, "event": "started", "worker": "w1"}, {"id": id, "event": "progress", "worker": "w1", "records_processed": 120}]), &k.ingest)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], 2, "{v}");
        // Another worker name, or another organization's key, does not hold it.
        let (_, v) =
            json_of(&app, report(json!([{"id": id, "event": "progress", "worker": "w2"}]), &k.ingest)).await;
        assert_eq!(v["lost"][0], id.as_str(), "{v}");
        let (_, v) =
            json_of(&app, report(json!([{"id": id, "event": "progress", "worker": "w1"}]), &other_ingest))
                .await;
        assert_eq!(v["lost"][0], id.as_str(), "{v}");
        let finished = json!([{"id": id, "event": "finished", "worker": "w1", "status": "succeeded", "records_added": 90, "records_updated": 30, "records_deleted": 0,
                               "log": [{"method": "GET", "url": "https://api.example/invoices?page=1", "status": 200}]}]);
        for _ in 0..2 {
            let (s, v) = json_of(&app, report(finished.clone(), &k.ingest)).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(v["accepted"], 1, "{}: finished, and finished again on a retry: {v}", db.name);
        }
        let (_, bf) = json_of(
            &app,
            call("GET", &format!("/api/v1/backfills/{}", b["id"].as_str().unwrap()), Some(&k.read), None),
        )
        .await;
        assert_eq!(bf["status"], "succeeded", "{bf}");
        assert_eq!(bf["runs_done"], 1);
        let (_, runs) = json_of(
            &app,
            call("GET", &format!("/api/v1/connections/{}/sync-runs?limit=5", conn.id), Some(&k.read), None),
        )
        .await;
        let r = runs["data"].as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).unwrap().clone();
        assert_eq!(r["status"], "succeeded");
        assert_eq!(r["records_added"], 90);
        // Invalid reports are named; a run the data plane schedules itself can be registered.
        let new_run = make_id(prefix::SYNC_RUN, chrono::Utc::now().timestamp_millis(), rand::random());
        let (s, v) = json_of(
            &app,
            report(
                json!([
                    {"id": new_run, "event": "queued", "connection_id": conn.id, "data_object": object, "kind": "incremental"},
                    {"id": new_run, "event": "queued", "connection_id": conn.id, "data_object": object, "kind": "incremental"},
                    {"id": "run_nope", "event": "started", "worker": "w1"},
                    {"id": id, "event": "exploded", "worker": "w1"},
                    {"id": id, "event": "finished", "worker": "w1", "status": "great"},
                    {"id": make_id(prefix::SYNC_RUN, 1, 1), "event": "queued", "connection_id": conn.id, "data_object": "spaceships", "kind": "incremental"}
                ]),
                &k.ingest,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], 2, "{v}");
        let fields: Vec<&str> =
            v["rejected"].as_array().unwrap().iter().map(|r| r["field"].as_str().unwrap()).collect();
        assert_eq!(fields, vec!["id", "event", "status", "data_object"], "{v}");
        let (_, got) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/sync-runs/claim",
                Some(&k.ingest),
                Some(json!({"worker": "w1", "limit": 100})),
            ),
        )
        .await;
        assert!(got.to_string().contains(&new_run), "{}: a registered run is claimable: {got}", db.name);
        // A failed run reported with the platform's raw error and no code: the classifier
        // assigns the code and its reading is stored beside it. Neither code nor raw error is
        // refused by name.
        let (s, v) = json_of(
            &app,
            report(
                json!([
                    {"id": new_run, "event": "started", "worker": "w1"},
                    {"id": new_run, "event": "finished", "worker": "w1", "status": "failed", "error": {"message": "nothing to read"}},
                    {"id": new_run, "event": "finished", "worker": "w1", "status": "failed", "needs_reauth": true,
                     "error": {"message": "The refresh token expired.", "platform_error": {"error": "invalid_grant", "error_description": "Refresh token has expired"}},
                     "log": [{"method": "POST", "url": "https://identity.example/connect/token", "status": 400}]}
                ]),
                &k.ingest,
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["accepted"], 2, "{}: {v}", db.name);
        assert_eq!(v["rejected"][0]["field"], "error", "{v}");
        let (_, runs) = json_of(
            &app,
            call("GET", &format!("/api/v1/connections/{}/sync-runs?limit=20", conn.id), Some(&k.read), None),
        )
        .await;
        let r =
            runs["data"].as_array().unwrap().iter().find(|r| r["id"] == new_run.as_str()).unwrap().clone();
        assert_eq!(r["status"], "failed", "{r}");
        assert_eq!(
            (&r["error_code"], &r["classified_code"], &r["error_cause"], &r["error_confidence"]),
            (&json!("unauthorized"), &json!("unauthorized"), &json!("credentials_invalid"), &json!("high")),
            "{}: {r}",
            db.name
        );
        assert!(r["error_rule"].as_str().is_some_and(|rule| rule.ends_with("invalid_grant")), "{r}");
        let (s, v) = json_of(
            &app,
            call(
                "POST",
                "/api/v1/ingest/sync-runs/claim",
                Some(&k.ingest),
                Some(json!({"worker": "bad name!"})),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    }
}

/// `switchboard sandbox` is a data plane that talks only HTTP: started as its own process with
/// an ingest key, it executes a backfill queued through the API and reports every run, and the
/// requests its customers made show up in the request log.
#[tokio::test]
async fn the_sandbox_data_plane_runs_a_backfill_over_http() {
    use std::time::Duration;
    for db in helpers::all().await {
        switchboard::server::seed::seed_demo(db.store.as_ref(), 200).await.unwrap();
        let k = keys(&db).await;
        let (mut server, url) = spawn_server(&db);
        let client = reqwest::Client::new();
        helpers::wait_until("the server", Duration::from_secs(30), || {
            let r = client.get(format!("{url}/healthz")).send();
            async move { r.await.is_ok() }
        })
        .await;
        let conn = db
            .store
            .list_connections(&k.scope, &Page::First, 50)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == switchboard::domain::ConnectionStatus::Healthy)
            .unwrap();
        let objects =
            switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.data_objects();
        let body =
            json!({"connection_ids": [conn.id], "data_objects": &objects[..2], "range": "last_30_days"});
        let res = client
            .post(format!("{url}/api/v1/backfills"))
            .bearer_auth(&k.backfills)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let b: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        let mut plane = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["sandbox", "--url", &url, "--worker", "it-plane", "--concurrency", "4"])
            .env("SWITCHBOARD_SANDBOX_API_KEY", &k.ingest)
            .env("SWITCHBOARD_SANDBOX_PAGE_DELAY_MS", "2")
            .env("SWITCHBOARD_SANDBOX_RETRY_AFTER_SCALE", "0")
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let done = helpers::wait_for("the backfill to end", Duration::from_secs(120), || {
            let r = client
                .get(format!("{url}/api/v1/backfills/{}", b["id"].as_str().unwrap()))
                .bearer_auth(&k.read)
                .send();
            async move {
                let v: Value = serde_json::from_str(&r.await.ok()?.text().await.ok()?).ok()?;
                (!matches!(v["status"].as_str(), Some("queued" | "running"))).then_some(v)
            }
        })
        .await;
        assert_eq!(done["runs_done"], 2, "{}: {done}", db.name);
        let runs = db.store.backfill_runs(&k.scope, b["id"].as_str().unwrap(), None, 10).await.unwrap();
        assert!(runs.iter().all(|r| r.finished_at.is_some()), "{}", db.name);
        assert!(runs.iter().any(|r| r.records_added > 0), "{}: the runs report their counts", db.name);
        // The plane posts its customers' requests after it reports a run finished: wait for
        // them (the backfill may read as ended first), then stop the processes.
        let integration = switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.as_str();
        let wanted = [format!("/{integration}/{}", objects[0]), format!("/{integration}/{}", objects[1])];
        helpers::wait_until(
            "the data plane to post its customers' requests",
            Duration::from_secs(60),
            || {
                let (store, scope, conn, wanted) =
                    (db.store.clone(), k.scope.clone(), conn.id.clone(), wanted.clone());
                async move {
                    let logs = store
                        .list_request_logs(&switchboard::server::store::RequestLogQuery {
                            organization_id: scope.organization_id.clone(),
                            environment: scope.environment.clone(),
                            connection_id: Some(conn),
                            limit: 50,
                            ..Default::default()
                        })
                        .await
                        .unwrap();
                    logs.iter().any(|l| wanted.contains(&l.path))
                }
            },
        )
        .await;
        plane.kill().unwrap();
        plane.wait().unwrap();
        server.kill().unwrap();
        server.wait().unwrap();
    }
}

/// A failed request sent without a code takes the classifier's; one sent with a code keeps it,
/// with the classifier's reading stored beside it; the read API returns both.
#[tokio::test]
async fn raw_platform_errors_are_classified_on_the_way_in() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let k = keys(&db).await;
        let conns = db.store.list_connections(&k.scope, &Page::First, 200).await.unwrap();
        let qbo =
            conns.iter().find(|c| c.platform_id == "quickbooks_online").expect("a QuickBooks connection");
        // QuickBooks' documented Fault for a name another customer already has.
        let fault = r#"<IntuitResponse xmlns="http://schema.intuit.com/finance/v3"><Fault type="ValidationFault"><Error code="6240" element="DisplayName"><Message>Duplicate Name Exists Error</Message><Detail>The name supplied already exists. : Another customer, vendor or employee is already using this name.</Detail></Error></Fault></IntuitResponse>"#;
        let (a, b) = (new_req_id(), new_req_id());
        let upstream = json!([{"method": "POST", "url": "https://quickbooks.api.intuit.com/v3/company/1/customer", "status": 400, "latency_ms": 90, "response": fault}]);
        let batch = json!({"items": [
            log_item(&a, json!({"connection_id": qbo.id, "upstream_calls": upstream, "error": {"platform_error": fault}})),
            log_item(&b, json!({"connection_id": qbo.id, "error": {"code": "operation-denied", "platform_error": fault, "confidence": "high"}})),
            log_item(&new_req_id(), json!({"connection_id": qbo.id, "error": {"message": "nothing to read"}})),
            log_item(&new_req_id(), json!({"connection_id": qbo.id, "error": {"platform_error": fault, "confidence": "high"}})),
        ]});
        let (s, v) =
            json_of(&app, call("POST", "/api/v1/ingest/request-logs", Some(&k.ingest), Some(batch))).await;
        assert_eq!(s, StatusCode::OK, "{}: {v}", db.name);
        assert_eq!(v["accepted"], 2, "{v}");
        let rejected: Vec<(u64, &str)> = v["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["index"].as_u64().unwrap(), r["field"].as_str().unwrap()))
            .collect();
        assert_eq!(rejected, vec![(2, "error"), (3, "error.confidence")], "{v}");

        let (s, v) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{a}"), Some(&k.read), None)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let e = &v["error"];
        assert_eq!(e["code"], "record-already-exists", "{}: {e}", db.name);
        assert_eq!(e["confidence"], "high", "{e}");
        assert_eq!(e["cause"], "duplicate_record", "{e}");
        assert_eq!(e["field"], "DisplayName", "{e}");
        assert_eq!(e["rule"], "quickbooks_online.fault.6240", "{e}");
        assert_eq!(e["classified_code"], "record-already-exists", "{e}");

        // Sent with a code: the code stays, the classifier's reading is beside it.
        let (_, v) =
            json_of(&app, call("GET", &format!("/api/v1/request-logs/{b}"), Some(&k.read), None)).await;
        let e = &v["error"];
        assert_eq!(
            (e["code"].as_str(), e["classified_code"].as_str()),
            (Some("operation-denied"), Some("record-already-exists")),
            "{e}"
        );
    }
}
