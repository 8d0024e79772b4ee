//! The demo is one consistent model (issue 22): what one screen says about a request, a
//! connection or a configuration, another must not contradict. These invariants are checked
//! over every row the demo seeds, on both databases.

use crate::helpers;
use serde_json::Value;
use switchboard::domain::{ConnectionStatus, IntegrationType, SyncRunStatus};
use switchboard::server::seed;
use switchboard::server::store::sync::SyncRunQuery;
use switchboard::server::store::{Page, RequestLogQuery, Scope};
use switchboard::server::sync_config::settings::SyncSettings;

/// The record id a unified-API path names (`/accounting/vendors/89292`), if any.
fn path_id(path: &str) -> Option<&str> {
    path.rsplit('/').next().filter(|s| s.chars().any(|c| c.is_ascii_digit()))
}

#[tokio::test]
async fn the_demo_tells_one_story() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 3_000).await.unwrap();
        let orgs = db.store.list_organizations(None, 100).await.unwrap();
        let mut checked = 0;
        for org in &orgs {
            for env in ["production", "sandbox"] {
                let scope = Scope::new(org.id.clone(), env);
                let connections = db.store.list_connections(&scope, &Page::First, 500).await.unwrap();
                let q = RequestLogQuery {
                    organization_id: org.id.clone(),
                    environment: env.into(),
                    limit: 100_000,
                    ..Default::default()
                };
                for summary in db.store.list_request_logs(&q).await.unwrap() {
                    let r = db.store.get_request_log(&scope, &summary.id).await.unwrap().unwrap();
                    let conn = r.connection_id.as_ref().and_then(|c| connections.iter().find(|x| &x.id == c));
                    let calls: Vec<Value> = serde_json::from_str(&r.upstream_calls).unwrap();
                    let at = format!("{}: {} {} {} ({})", db.name, r.method, r.path, r.status_code, r.id);

                    // The attempts fit in the request's own latency.
                    let spent: i64 = calls.iter().map(|c| c["latency_ms"].as_i64().unwrap_or(0)).sum();
                    assert!(spent <= r.latency_ms, "{at}: attempts take {spent} ms of {} ms", r.latency_ms);
                    for c in &calls {
                        let url = c["url"].as_str().unwrap_or("");
                        // An attempt's badge and its body say the same status.
                        let body: Value =
                            serde_json::from_str(c["response"].as_str().unwrap_or("")).unwrap_or(Value::Null);
                        if let Some(said) = body.get("status").and_then(Value::as_i64) {
                            assert_eq!(
                                said,
                                c["status"].as_i64().unwrap(),
                                "{at}: attempt {url} says {body}"
                            );
                        }
                        assert!(!url.contains(".json/"), "{at}: {url} is not a platform path");
                        // The host names the connection's own account where hosts name accounts.
                        if let Some(conn) = conn {
                            let host = url.trim_start_matches("https://").split('/').next().unwrap_or("");
                            match conn.platform_id.as_str() {
                                "shopify" => assert_eq!(host, conn.platform_account_id, "{at}"),
                                "netsuite" => assert!(
                                    host.starts_with(
                                        conn.platform_account_id.trim_start_matches("netsuite-")
                                    ),
                                    "{at}: {host} is not account {}",
                                    conn.platform_account_id
                                ),
                                "quickbooks_online" => assert!(
                                    url.contains(&format!(
                                        "/company/{}/",
                                        conn.platform_account_id.trim_start_matches("realm-")
                                    )),
                                    "{at}: {url} is not realm {}",
                                    conn.platform_account_id
                                ),
                                _ => {}
                            }
                        }
                    }
                    // A request for one record answers with that record.
                    if let (Some(id), true) = (path_id(&r.path), r.status_code < 300) {
                        if let Some(body) =
                            r.response_body.as_deref().and_then(|b| serde_json::from_str::<Value>(b).ok())
                        {
                            if let Some(got) = body.get("id").and_then(Value::as_str) {
                                assert_eq!(got, id, "{at}: answered with another record");
                            }
                        }
                    }
                    // A read is never told to add an idempotency key.
                    if let Some(step) = switchboard::server::request_logs::next_step(&r, None) {
                        if r.method == "GET" {
                            assert!(!step.contains("dempotency"), "{at}: {step}");
                        }
                    }
                    checked += 1;
                }

                // A healthy connection's latest run of each object did not fail, and a platform
                // that keeps no sync history has no runs.
                for c in &connections {
                    let states = db.store.object_states(&scope, &c.id).await.unwrap();
                    for (run, _) in states.iter().filter(|_| c.status == ConnectionStatus::Healthy) {
                        assert_ne!(
                            run.status,
                            SyncRunStatus::Failed,
                            "{}: healthy {} ({}) last failed for {}",
                            db.name,
                            c.display_name,
                            c.id,
                            run.data_object
                        );
                    }
                    let runs = db
                        .store
                        .list_sync_runs(
                            &scope,
                            Some(&c.id),
                            &SyncRunQuery { limit: 1, page: Page::First, ..Default::default() },
                        )
                        .await
                        .unwrap();
                    if !switchboard::domain::platform(&c.platform_id).is_some_and(|p| p.supports_sync_history)
                    {
                        assert!(runs.is_empty(), "{}: {} keeps no history but has runs", db.name, c.id);
                    }
                }

                // No object is "disabled" yet "fetched on first link".
                for it in [IntegrationType::Accounting, IntegrationType::Commerce, IntegrationType::Payments]
                {
                    for v in db.store.sync_config_versions(&scope, it, None, 100).await.unwrap() {
                        let s = SyncSettings::from_stored_text(it, &v.settings);
                        for (name, o) in &s.objects {
                            assert!(
                                o.enabled || !o.fetch_on_first_link,
                                "{}: {} v{} {name} is disabled but fetched on first link",
                                db.name,
                                it.as_str(),
                                v.version
                            );
                        }
                    }
                }
            }
        }
        assert!(checked > 2_000, "{}: only {checked} requests checked", db.name);
    }
}
