//! The access sweep: every registered server function and every HTTP route, called as a
//! signed-in member of another organization with the first organization's ids, and as a
//! signed-out client. Any answer that carries the first organization's data, and any 5xx,
//! fails the test.
//!
//! New code cannot skip it: the server functions come from Leptos's registry and the pages from
//! the router, so a new one is swept automatically; and a server function missing from
//! `ARGUMENTS` below fails the test until someone says which arguments it takes.

use crate::helpers;
use crate::http::{app, body, get, post_form, send, sign_in, HOST};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use switchboard::server::store::{Page, RequestLogQuery, Scope};

/// Every server function by path, with the names of the arguments that can carry an id.
/// Adding a server function means adding it here: the test fails on one it does not know.
pub(crate) const ARGUMENTS: &[(&str, &[&str])] = &[
    ("/api/get_viewer", &[]),
    ("/api/get_overview", &[]),
    (
        "/api/list_request_logs",
        &["filter[connection]", "filter[request_id]", "filter[before]", "filter[after]"],
    ),
    ("/api/get_request_log", &["id"]),
    ("/api/list_connections", &["before", "after"]),
    ("/api/get_connection", &["id"]),
    ("/api/list_api_keys", &["before", "after"]),
    ("/api/create_api_key", &["name"]),
    ("/api/revoke_api_key", &["id"]),
    ("/api/new_backfill", &["connections", "objects"]),
    ("/api/start_backfill", &["connections", "key"]),
    ("/api/sync_now", &["connection", "object"]),
    ("/api/cancel_backfill", &["id"]),
    ("/api/list_backfills", &["before", "after"]),
    ("/api/get_backfill", &["id", "after"]),
    ("/api/list_sync_runs", &["connection", "before", "after"]),
    ("/api/get_sync_run", &["id"]),
    ("/api/connection_overview", &["id"]),
    ("/api/connection_events", &["id"]),
    ("/api/connection_activity", &["id"]),
    ("/api/sync_config_page", &["integration_type"]),
    ("/api/sync_config_edit", &["integration_type", "search"]),
    ("/api/save_sync_config", &["integration_type", "values"]),
    ("/api/sync_config_history", &["integration_type", "before"]),
    ("/api/sync_config_version", &["integration_type", "version"]),
    ("/api/restore_sync_config", &["integration_type", "version"]),
    ("/api/sync_config_apply_review", &["integration_type", "connections"]),
    ("/api/apply_sync_config", &["integration_type", "connections", "key"]),
    ("/api/audit_log", &["actor", "before", "after"]),
    ("/api/list_webhook_endpoints", &[]),
    ("/api/webhook_endpoint_form", &["id"]),
    ("/api/save_webhook_endpoint", &["id"]),
    ("/api/get_webhook_endpoint", &["id", "test"]),
    ("/api/set_webhook_endpoint_enabled", &["id"]),
    ("/api/delete_webhook_endpoint", &["id"]),
    ("/api/rotate_webhook_secret", &["id"]),
    ("/api/reveal_webhook_secret", &["id"]),
    ("/api/send_webhook_test", &["id"]),
    ("/api/webhook_recover_preview", &["id"]),
    ("/api/recover_webhook_endpoint", &["id"]),
    ("/api/list_webhook_deliveries", &["filters[endpoint]", "filters[connection]", "before", "after"]),
    ("/api/get_webhook_delivery", &["id"]),
    ("/api/resend_webhook_delivery", &["id"]),
    ("/api/list_issues", &["filters[connection]", "before", "after"]),
    ("/api/list_failures", &[]),
    ("/api/get_issue", &["id"]),
    ("/api/issue_action", &["id"]),
    ("/api/notification_settings", &[]),
    ("/api/save_notification_settings", &[]),
    ("/api/send_test_notification", &[]),
    ("/api/list_environment_runs", &["before", "after"]),
    ("/api/retention_settings", &[]),
    ("/api/save_retention", &[]),
    ("/api/retention_days", &[]),
];

struct Victim {
    /// Ids to plant in arguments and URLs.
    ids: Vec<String>,
    /// Strings that only the victim organization's data contains.
    markers: Vec<String>,
}

async fn victim(db: &helpers::TestDb, app: &axum::Router) -> Victim {
    use switchboard::ids::{make_id, prefix};
    let acme = db.store.get_organization("acme").await.unwrap().unwrap();
    // Planted ids are echoed back in "not found" messages and form fields, which is no leak: the
    // markers are data the attacker did not send.
    let mut ids = vec![acme.id.clone()];
    let mut markers = vec![acme.name.clone(), "@acme.test".to_string()];
    let now = crate::helpers::now_ms();
    for (n, env) in ["production", "sandbox"].into_iter().enumerate() {
        let scope = Scope::new(acme.id.clone(), env);
        let conns = db.store.list_connections(&scope, &Page::First, 200).await.unwrap();
        markers.extend(conns.iter().map(|c| c.platform_account_id.clone()));
        markers.extend(conns.iter().skip(1).map(|c| c.id.clone()));
        ids.push(conns[0].id.clone());
        let q = RequestLogQuery {
            organization_id: acme.id.clone(),
            environment: env.into(),
            limit: 50,
            ..Default::default()
        };
        markers.extend(db.store.list_request_logs(&q).await.unwrap().into_iter().map(|r| r.id));
        // A request of theirs whose body only they know.
        let secret_body = format!("{{\"note\":\"acme-only-{n}-{now}\"}}");
        let row = switchboard::server::store::RequestLogRow {
            id: make_id(prefix::REQUEST, now - 1_000, 900 + n as u128),
            organization_id: acme.id.clone(),
            environment: env.into(),
            connection_id: Some(conns[0].id.clone()),
            platform_id: Some(conns[0].platform_id.clone()),
            api_key_prefix: None,
            method: "GET".into(),
            path: "/accounting/invoices".into(),
            query: None,
            status_code: 200,
            status_class: 2,
            latency_ms: 10,
            error_code: None,
            error_message: None,
            platform_error: None,
            error_confidence: None,
            request_headers: "{}".into(),
            request_body: None,
            response_body: Some(secret_body),
            response_truncated: false,
            upstream_calls: "[]".into(),
            idempotency_key: None,
            user_agent: Some(format!("acme-agent-{n}-{now}")),
            source_ip: None,
            created_at: now - 1_000,
            redacted_fields: "[]".into(),
            content_hash: None,
            error_cause: None,
            error_field: None,
            error_rule: None,
            classified_code: None,
        };
        db.store.insert_request_logs(std::slice::from_ref(&row)).await.unwrap();
        ids.push(row.id.clone());
        markers.push(format!("acme-only-{n}-{now}"));
        markers.push(format!("acme-agent-{n}-{now}"));
    }
    // Demo account ids come from a small pool: a value another organization also has is no marker.
    let mut shared = std::collections::HashSet::new();
    for org in db.store.list_organizations(None, 100).await.unwrap().into_iter().filter(|o| o.id != acme.id) {
        for env in ["production", "sandbox"] {
            let conns =
                db.store.list_connections(&Scope::new(org.id.clone(), env), &Page::First, 200).await.unwrap();
            shared.extend(conns.into_iter().map(|c| c.platform_account_id));
        }
    }
    markers.retain(|m| !shared.contains(m));
    // An API key of theirs, created through the page.
    let owner = sign_in(app, "owner@acme.test").await;
    let mut req =
        post_form("/api/create_api_key", "name=victim-key", Some(&owner), Some(&format!("http://{HOST}")));
    req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    assert!(send(app, req).await.status().is_success());
    let keys =
        db.store.list_api_keys(&Scope::new(acme.id.clone(), "production"), &Page::First, 10).await.unwrap();
    ids.push(keys[0].id.clone());
    markers.push("victim-key".into());
    markers.push(keys[0].prefix.clone());
    // A backfill of theirs, with a reason only they know.
    let scope = Scope::new(acme.id.clone(), "production");
    let conn = db.store.list_connections(&scope, &Page::First, 1).await.unwrap().remove(0);
    let backfill_id = make_id(prefix::BACKFILL, now, 4242);
    let run = switchboard::server::store::sync::NewSyncRun {
        id: make_id(prefix::SYNC_RUN, now, 4243),
        connection_id: conn.id.clone(),
        organization_id: acme.id.clone(),
        environment: "production".into(),
        platform_id: conn.platform_id.clone(),
        data_object: "invoices".into(),
        kind: switchboard::domain::SyncRunKind::Backfill,
        queued_at: now,
        range_from: Some(now - 86_400_000),
        range_to: Some(now),
        trigger_kind: switchboard::domain::TriggerKind::Backfill,
        backfill_id: Some(backfill_id.clone()),
        triggered_by: None,
    };
    let reason = format!("acme-backfill-reason-{now}");
    db.store
        .create_backfill(
            &switchboard::server::store::sync::NewBackfill {
                id: backfill_id.clone(),
                organization_id: acme.id.clone(),
                environment: "production".into(),
                data_objects: "[\"invoices\"]".into(),
                range_from: run.range_from,
                range_to: run.range_to,
                config_version: 2,
                created_by: None,
                created_by_email: Some("owner@acme.test".into()),
                created_at: now,
                idempotency_key: "sweep".into(),
                reason: Some(reason.clone()),
                connection_ids: vec![conn.id.clone()],
                move_at_once: vec![],
            },
            std::slice::from_ref(&run),
            &switchboard::server::audit::Audit::new(
                switchboard::domain::AuditAction::BackfillCreate,
                "backfill",
                &backfill_id,
                crate::helpers::now_ms(),
            )
            .by(&switchboard::server::actor::Author::system("t"))
            .of_organization(&acme.id)
            .entry(),
        )
        .await
        .unwrap();
    ids.push(backfill_id);
    ids.push(run.id.clone());
    markers.push(reason);
    // Their webhook endpoints (URLs and secrets) and deliveries.
    for env in ["production", "sandbox"] {
        let scope = Scope::new(acme.id.clone(), env);
        for e in db.store.list_endpoints(&scope, true).await.unwrap() {
            ids.push(e.id.clone());
            markers.push(e.url.clone());
            markers.push(e.secret.clone());
        }
        let q = switchboard::server::store::webhooks::DeliveryQuery::new(scope.clone(), 2);
        ids.extend(db.store.list_deliveries(&q).await.unwrap().into_iter().map(|d| d.delivery.id));
    }
    // An issue of theirs, whose summary only they know.
    let scope = Scope::new(acme.id.clone(), "production");
    let marker = format!("acme-issue-{now}");
    let mut o = switchboard::server::store::issues::Observation::new(
        switchboard::domain::issues::IssueKind::MissingPermission,
        conn.id.clone(),
        marker.clone(),
        now,
    );
    o.connection_ids = vec![conn.id.clone()];
    db.store.observe_issues(&scope, &[o]).await.unwrap();
    let q = switchboard::server::store::issues::IssueQuery {
        scope: Some(scope),
        limit: 10,
        ..Default::default()
    };
    let issues = db.store.list_issues(&q).await.unwrap();
    ids.extend(issues.iter().map(|i| i.id.clone()));
    markers.push(marker);
    Victim { ids, markers }
}

fn leak<'a>(text: &str, markers: &'a [String]) -> Option<&'a String> {
    markers.iter().find(|m| text.contains(m.as_str()))
}

pub(crate) fn server_fn_request(
    path: &str,
    method: &Method,
    params: &str,
    cookie: Option<&str>,
) -> Request<Body> {
    let mut b = if *method == Method::GET {
        Request::get(if params.is_empty() { path.to_string() } else { format!("{path}?{params}") })
    } else {
        Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, format!("http://{HOST}"))
    };
    b = b.header(header::HOST, HOST).header(header::ACCEPT, "application/json");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(if *method == Method::GET { Body::empty() } else { Body::from(params.to_string()) }).unwrap()
}

#[tokio::test]
async fn no_route_or_server_function_crosses_organizations() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let v = victim(&db, &app).await;
        let mut attacker = sign_in(&app, "owner@globex.test").await;
        let acme_owner = sign_in(&app, "owner@acme.test").await;

        // 1. Server functions, from the registry.
        let registered: Vec<(&'static str, Method)> = leptos::server_fn::axum::server_fn_paths().collect();
        assert!(
            registered.len() >= ARGUMENTS.len(),
            "{}: the registry is incomplete: {registered:?}",
            db.name
        );
        let mut calls = 0;
        for (path, method) in &registered {
            let Some((_, args)) = ARGUMENTS.iter().find(|(p, _)| p == path) else {
                panic!(
                    "server function {path} is not in the access sweep: add it to ARGUMENTS in \
                     tests/it/sweep.rs with the arguments that can carry an id"
                );
            };
            let mut param_sets: Vec<String> = vec![String::new()];
            for arg in *args {
                for id in &v.ids {
                    param_sets.push(format!("{arg}={id}"));
                }
            }
            for params in &param_sets {
                for cookie in [Some(attacker.as_str()), None] {
                    let res = send(&app, server_fn_request(path, method, params, cookie)).await;
                    let status = res.status();
                    let text = body(res).await;
                    calls += 1;
                    assert!(
                        !status.is_server_error(),
                        "{}: {method} {path}?{params} answered {status}: {text}",
                        db.name
                    );
                    if let Some(m) = leak(&text, &v.markers) {
                        panic!("{}: {method} {path}?{params} as {cookie:?} leaked {m}: {text}", db.name);
                    }
                    if cookie.is_none() {
                        // 400 when the arguments cannot even be read (nothing ran); 401 otherwise.
                        assert!(
                            matches!(status, StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST),
                            "{}: {path}?{params} signed out answered {status}",
                            db.name
                        );
                    }
                }
            }
        }
        // The markers do catch data: the victim's own owner sees it through the same calls.
        for (path, id) in [("/api/get_request_log", &v.ids[2]), ("/api/get_connection", &v.ids[1])] {
            let res =
                send(&app, server_fn_request(path, &Method::GET, &format!("id={id}"), Some(&acme_owner)))
                    .await;
            let text = body(res).await;
            assert!(
                leak(&text, &v.markers).is_some(),
                "{}: control call {path} found no marker: {text}",
                db.name
            );
        }
        // The attacker's revoke did not touch the victim's key.
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let keys = db
            .store
            .list_api_keys(&Scope::new(acme.id.clone(), "production"), &Page::First, 10)
            .await
            .unwrap();
        assert!(keys.iter().all(|k| k.revoked_at.is_none()), "{}: a foreign revoke went through", db.name);

        // 2. Pages, from the router, with every victim id in every path parameter.
        let routes = switchboard::server::http::routes();
        for route in &routes {
            let path = route.path().to_string();
            let mut urls = vec![];
            if path.contains(':') || path.contains('{') {
                for id in &v.ids {
                    let filled: Vec<String> = path
                        .split('/')
                        .map(|seg| {
                            if seg.starts_with(':') || seg.starts_with('{') {
                                id.clone()
                            } else {
                                seg.to_string()
                            }
                        })
                        .collect();
                    urls.push(filled.join("/"));
                }
            } else {
                urls.push(path.clone());
                for id in &v.ids {
                    urls.push(format!(
                        "{path}?connection={id}&before={id}&after={id}&request_id={id}&id={id}"
                    ));
                }
            }
            for url in urls {
                for cookie in [Some(attacker.as_str()), None] {
                    let res = send(&app, get(&url, cookie)).await;
                    let status = res.status();
                    let text = body(res).await;
                    calls += 1;
                    assert!(!status.is_server_error(), "{}: GET {url} answered {status}", db.name);
                    if let Some(m) = leak(&text, &v.markers) {
                        panic!("{}: GET {url} as {cookie:?} leaked {m}", db.name);
                    }
                }
            }
        }

        // 3. The plain routes outside Leptos (forms, search, health).
        for (path, method, _) in switchboard::server::http::plain_routes() {
            for id in &v.ids {
                let mut params = format!("organization_id={id}&environment=production&q={id}&next=/&email=owner@acme.test&password=x");
                // The exports: the victim's id in the path and in the filter that names its kind.
                let path = &path.replace("{id}", id);
                if path.ends_with("/export") {
                    params.push_str("&format=csv");
                    for (kind, key) in [("req_", "request_id"), ("conn_", "connection"), ("ep_", "endpoint")]
                    {
                        if id.starts_with(kind) {
                            params.push_str(&format!("&{key}={id}"));
                        }
                    }
                }
                for cookie in [Some(attacker.clone()), None] {
                    let req = if method == Method::GET {
                        get(&format!("{path}?{params}"), cookie.as_deref())
                    } else {
                        post_form(path, &params, cookie.as_deref(), Some(&format!("http://{HOST}")))
                    };
                    let res = send(&app, req).await;
                    let status = res.status();
                    // The live tail streams until told to stop: read what it sends until it has
                    // caught up (or it ends, refused).
                    let text = if path == "/requests/live" {
                        crate::http::body_until(res, "event: ready", std::time::Duration::from_secs(20)).await
                    } else {
                        body(res).await
                    };
                    calls += 1;
                    assert!(
                        !status.is_server_error()
                            || status == StatusCode::SERVICE_UNAVAILABLE && path == "/auth/sign-in",
                        "{}: {method} {path} answered {status}",
                        db.name
                    );
                    if let Some(m) = leak(&text, &v.markers) {
                        panic!("{}: {method} {path} leaked {m}", db.name);
                    }
                    // Still Globex afterwards: the switch into Acme was refused.
                    if path == "/auth/switch" && cookie.is_some() {
                        assert!(
                            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
                            "{}: switching into {id} answered {status}",
                            db.name
                        );
                    }
                }
                if path == "/auth/sign-out" {
                    attacker = sign_in(&app, "owner@globex.test").await;
                }
            }
        }
        let viewer = body(send(&app, get("/api/get_viewer", Some(&attacker))).await).await;
        assert!(viewer.contains("Globex") && leak(&viewer, &v.markers).is_none(), "{}: {viewer}", db.name);
        eprintln!("{}: access sweep made {calls} calls", db.name);
    }
}

/// What staff may do inside a customer's organization, swept: every registered server function
/// called as `support` and as `support_admin` with the customer's ids (and a key name) must not
/// create or revoke a key, reveal or rotate a secret, change an endpoint or the configuration,
/// or answer 5xx; what staff may do (resend a delivery, sync a connection) works; and every
/// entry their acts leave in the customer's audit log is a `staff.*` action.
#[tokio::test]
async fn staff_rights() {
    use switchboard::domain::IntegrationType;
    use switchboard::server::store::AuditQuery;
    for db in helpers::all().await {
        let app = app(&db).await;
        let v = victim(&db, &app).await;
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let origin = format!("http://{HOST}");
        let keys = |db: &helpers::TestDb| {
            let scope = scope.clone();
            let store = db.store.clone();
            async move {
                let mut out = vec![];
                for env in ["production", "sandbox"] {
                    let s = Scope::new(scope.organization_id.clone(), env);
                    for k in store.list_api_keys(&s, &Page::First, 500).await.unwrap() {
                        out.push((k.id, k.revoked_at));
                    }
                }
                out.sort();
                out
            }
        };
        let endpoints = |db: &helpers::TestDb| {
            let store = db.store.clone();
            let org = scope.organization_id.clone();
            async move {
                let mut out = vec![];
                for env in ["production", "sandbox"] {
                    let s = Scope::new(org.clone(), env);
                    for e in store.list_endpoints(&s, true).await.unwrap() {
                        out.push(format!(
                            "{} {} {} {} {} {:?} {:?}",
                            e.id, e.url, e.enabled, e.secret, e.event_types, e.previous_secret, e.deleted_at
                        ));
                    }
                }
                out.sort();
                out
            }
        };
        let versions = |db: &helpers::TestDb| {
            let store = db.store.clone();
            let org = scope.organization_id.clone();
            async move {
                let mut out = vec![];
                for env in ["production", "sandbox"] {
                    for t in IntegrationType::ALL {
                        let s = Scope::new(org.clone(), env);
                        let rows = store.sync_config_versions(&s, *t, None, 500).await.unwrap();
                        out.push(rows.len());
                    }
                }
                out
            }
        };
        let (keys_before, endpoints_before, versions_before) =
            (keys(&db).await, endpoints(&db).await, versions(&db).await);
        // A delivery on an enabled endpoint, to resend; a healthy connection, to sync.
        let enabled: Vec<String> = db
            .store
            .list_endpoints(&scope, false)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.enabled)
            .map(|e| e.id)
            .collect();
        let q = switchboard::server::store::webhooks::DeliveryQuery::new(scope.clone(), 200);
        let delivery = db
            .store
            .list_deliveries(&q)
            .await
            .unwrap()
            .into_iter()
            .find(|d| enabled.contains(&d.delivery.endpoint_id))
            .expect("a delivery to an enabled endpoint")
            .delivery
            .id;
        let conn = db
            .store
            .list_connections(&scope, &Page::First, 200)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.status == switchboard::domain::ConnectionStatus::Healthy)
            .unwrap();
        let object =
            switchboard::domain::platform(&conn.platform_id).unwrap().integration_type.data_objects()[0];

        let registered: Vec<(&'static str, Method)> = leptos::server_fn::axum::server_fn_paths().collect();
        for email in ["support@switchboard.test", "support-admin@switchboard.test"] {
            let cookie = sign_in(&app, email).await;
            let res = send(
                &app,
                post_form(
                    "/auth/switch",
                    &format!("organization_id={}&environment=production&next=/", acme.id),
                    Some(&cookie),
                    Some(&origin),
                ),
            )
            .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}: {email} opens Acme", db.name);

            let mut calls = 0;
            for (path, method) in &registered {
                let args = ARGUMENTS.iter().find(|(p, _)| p == path).map(|(_, a)| *a).unwrap_or(&[]);
                let mut param_sets = vec![String::new(), "name=staff-key&scope=read".to_string()];
                for arg in args {
                    for id in &v.ids {
                        param_sets.push(format!("{arg}={id}"));
                    }
                }
                for params in &param_sets {
                    let res = send(&app, server_fn_request(path, method, params, Some(&cookie))).await;
                    let status = res.status();
                    calls += 1;
                    assert!(
                        !status.is_server_error(),
                        "{}: {email} {method} {path}?{params} answered {status}: {}",
                        db.name,
                        body(res).await
                    );
                }
            }
            eprintln!("{}: {email} made {calls} calls", db.name);

            // Refused outright, with a 403 that says why.
            for (path, params) in [
                ("/api/create_api_key", "name=staff-key&scope=read".to_string()),
                ("/api/revoke_api_key", format!("id={}", keys_before[0].0)),
                ("/api/reveal_webhook_secret", format!("id={}", enabled[0])),
                ("/api/rotate_webhook_secret", format!("id={}", enabled[0])),
                ("/api/delete_webhook_endpoint", format!("id={}", enabled[0])),
                ("/api/audit_log", String::new()),
            ] {
                let method = registered.iter().find(|(p, _)| *p == path).unwrap().1.clone();
                let res = send(&app, server_fn_request(path, &method, &params, Some(&cookie))).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}: {email} {path}", db.name);
            }
            // Allowed: resending a delivery and syncing a connection.
            for (path, params) in [
                ("/api/resend_webhook_delivery", format!("id={delivery}")),
                ("/api/sync_now", format!("connection={}&object={object}", conn.id)),
            ] {
                let res = send(&app, server_fn_request(path, &Method::POST, &params, Some(&cookie))).await;
                let status = res.status();
                assert!(
                    status.is_success(),
                    "{}: {email} {path} answered {status}: {}",
                    db.name,
                    body(res).await
                );
            }

            // The customer's log shows the staff member's acts as staff acts, and only those.
            let entries = db
                .store
                .audit_page(&AuditQuery {
                    organization_id: acme.id.clone(),
                    action: None,
                    actor_email: Some(email.to_string()),
                    page: Page::First,
                    limit: 10_000,
                })
                .await
                .unwrap();
            let actions: std::collections::BTreeSet<&str> =
                entries.iter().map(|e| e.action.as_str()).collect();
            assert!(
                actions.iter().all(|a| a.starts_with("staff.")),
                "{}: {email}'s acts in Acme are recorded as staff acts: {actions:?}",
                db.name
            );
            for needed in
                ["staff.webhook_delivery.resend", "staff.connection.sync_now", "staff.switch_organization"]
            {
                assert!(actions.contains(needed), "{}: {email}: {needed} in {actions:?}", db.name);
            }
        }
        assert_eq!(keys(&db).await, keys_before, "{}: staff created or revoked no key", db.name);
        assert_eq!(
            endpoints(&db).await,
            endpoints_before,
            "{}: staff changed no endpoint or secret",
            db.name
        );
        assert_eq!(versions(&db).await, versions_before, "{}: staff saved no configuration", db.name);
    }
}
