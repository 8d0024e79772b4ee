//! Exports of the request log, a connection's sync history and the delivery log: every row the
//! filters match (across pages and scan windows), newest first, only the organization's own,
//! and bad input answered before anything is sent. Compared with what the database holds.

use crate::helpers::{self, TestDb};
use crate::http::{body, get, send, settings, sign_in, HOST};
use axum::http::{header, StatusCode};
use switchboard::server::store::DatabaseUrl;
use switchboard::server::{http, seed};

/// The ids a query selects, straight from the database (the test's ground truth).
async fn ids(db: &TestDb, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    match &db.url {
        DatabaseUrl::Sqlite(url) => {
            let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
        DatabaseUrl::Postgres(url) => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_scalar(sql).fetch_all(&mut c).await.unwrap()
        }
    }
}

struct Download {
    status: StatusCode,
    content_type: String,
    file_name: String,
    text: String,
}

async fn download(app: &axum::Router, path: &str, cookie: &str) -> Download {
    let res = send(app, get(path, Some(cookie))).await;
    let h = |k: header::HeaderName| {
        res.headers().get(k).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
    };
    let content_type = h(header::CONTENT_TYPE);
    let file_name = h(header::CONTENT_DISPOSITION)
        .split("filename=\"")
        .nth(1)
        .map(|s| s.trim_end_matches('"').to_string())
        .unwrap_or_default();
    let status = res.status();
    Download { status, content_type, file_name, text: body(res).await }
}

/// The first field of each CSV record after the header.
fn csv_ids(text: &str, header: &str) -> Vec<String> {
    let mut lines = text.split("\r\n");
    assert_eq!(lines.next(), Some(header));
    lines.filter(|l| !l.is_empty()).map(|l| l.split(',').next().unwrap().to_string()).collect()
}

/// The exported ids are exactly the expected ones, in order (a short message when not).
fn same(got: &[String], want: &[String], what: &str) {
    if got != want {
        let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
        panic!(
            "{what}: exported {} rows, expected {}; first difference at {at}: {:?} vs {:?}",
            got.len(),
            want.len(),
            got.get(at),
            want.get(at)
        );
    }
}

fn ndjson_ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_write_every_matching_row_newest_first_and_only_the_organizations_own() {
    for db in helpers::all().await {
        // More requests than one export page (200) and, for a combination of filters, more than
        // one scan window (5,000 rows) in Acme's environment.
        seed::seed_demo(db.store.as_ref(), 24_000).await.unwrap();
        let app = http::router(http::app_state(settings(&db, &format!("http://{HOST}")), db.store.clone()));
        let owner = sign_in(&app, "owner@acme.test").await;
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();

        // 1. Requests, CSV: a combination of filters (platform drives, status is checked).
        let d = download(&app, "/requests/export?format=csv&platform=xero&status=5xx", &owner).await;
        assert_eq!(d.status, StatusCode::OK, "{}: {}", db.name, d.text);
        assert_eq!(d.content_type, "text/csv; charset=utf-8");
        let env =
            d.file_name.strip_prefix("switchboard-requests-").unwrap().split('-').next().unwrap().to_string();
        assert!(
            d.file_name.contains("-platform-xero-status-5xx-") && d.file_name.ends_with("Z.csv"),
            "{}: {}",
            db.name,
            d.file_name
        );
        let scope = format!("organization_id = '{}' AND environment = '{env}'", acme.id);
        let in_env = ids(&db, &format!("SELECT id FROM request_logs WHERE {scope}")).await.len();
        assert!(
            in_env > 5_000,
            "{}: only {in_env} requests in Acme {env}: no scan window is crossed",
            db.name
        );
        let expected = ids(
            &db,
            &format!(
                "SELECT id FROM request_logs WHERE {scope} AND platform_id = 'xero' AND status_code >= 500 AND status_code < 600 ORDER BY id DESC"
            ),
        )
        .await;
        assert!(!expected.is_empty(), "{}: the demo has Xero 5xx requests", db.name);
        let header = "id,created_at,method,path,status_code,error_code,platform,connection_id,latency_ms";
        same(&csv_ids(&d.text, header), &expected, &format!("{}: xero 5xx", db.name));

        // Compressed for a browser that accepts it (the compression layer polls the stream
        // once more after its end).
        let mut req = get("/requests/export?format=csv&platform=xero&status=5xx", Some(&owner));
        req.headers_mut().insert(header::ACCEPT_ENCODING, "gzip".parse().unwrap());
        let res = send(&app, req).await;
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        let gz = axum::body::to_bytes(res.into_body(), 64 << 20).await.expect("the whole compressed file");
        assert!(gz.len() > 100 && gz.len() < d.text.len(), "{}: {} compressed bytes", db.name, gz.len());

        // 2. Requests, NDJSON, unfiltered: every request of the environment, over many pages.
        let d = download(&app, "/requests/export?format=ndjson", &owner).await;
        assert_eq!(d.content_type, "application/x-ndjson");
        let all = ids(&db, &format!("SELECT id FROM request_logs WHERE {scope} ORDER BY id DESC")).await;
        same(&ndjson_ids(&d.text), &all, &format!("{}: every request", db.name));
        let first: serde_json::Value = serde_json::from_str(d.text.lines().next().unwrap()).unwrap();
        for key in [
            "created_at",
            "method",
            "path",
            "status_code",
            "error_code",
            "platform",
            "connection_id",
            "latency_ms",
        ] {
            assert!(first.get(key).is_some(), "{}: {key} missing from {first}", db.name);
        }

        // 3. A connection's sync history, NDJSON: its busiest connection with sync history.
        let platforms: Vec<String> = switchboard::domain::PLATFORMS
            .iter()
            .filter(|p| p.supports_sync_history)
            .map(|p| format!("'{}'", p.id))
            .collect();
        let busiest = ids(
            &db,
            &format!(
                "SELECT connection_id FROM sync_runs WHERE {scope} AND platform_id IN ({}) GROUP BY connection_id ORDER BY COUNT(*) DESC LIMIT 1",
                platforms.join(",")
            ),
        )
        .await;
        let conn = busiest.first().expect("a connection with sync runs").clone();
        let d = download(
            &app,
            &format!("/connections/{conn}/sync-runs/export?format=ndjson&status=succeeded"),
            &owner,
        )
        .await;
        assert_eq!(d.status, StatusCode::OK, "{}: {}", db.name, d.text);
        let expected =
            ids(&db, &format!("SELECT id FROM sync_runs WHERE connection_id = '{conn}' AND status = 'succeeded' ORDER BY id DESC"))
                .await;
        assert!(!expected.is_empty());
        same(&ndjson_ids(&d.text), &expected, &format!("{}: sync runs", db.name));
        assert!(d
            .file_name
            .starts_with(&format!("switchboard-sync-runs-{env}-connection-{conn}-status-succeeded-")));

        // 4. The delivery log, CSV, by status.
        let d = download(&app, "/webhooks/deliveries/export?format=csv&status=failed", &owner).await;
        assert_eq!(d.status, StatusCode::OK, "{}: {}", db.name, d.text);
        let expected = ids(
            &db,
            &format!(
                "SELECT id FROM webhook_deliveries WHERE {scope} AND status = 'failed' ORDER BY id DESC"
            ),
        )
        .await;
        let header = "id,created_at,event_id,event_type,endpoint_id,endpoint_url,connection_id,status,attempts,last_attempt_at,last_response_status,next_attempt_at,last_failure";
        same(&csv_ids(&d.text, header), &expected, &format!("{}: failed deliveries", db.name));

        // 5. Bad input is named before anything is sent.
        for (path, says) in [
            ("/requests/export?format=xlsx", "format=csv or format=ndjson"),
            ("/requests/export?format=csv&status=6xx", "6xx"),
            ("/requests/export?format=csv&platform=nope", "Unknown platform"),
            ("/connections/conn_nope/sync-runs/export?format=csv", "conn_nope"),
            ("/webhooks/deliveries/export?format=csv&range=2y", "2y"),
        ] {
            let d = download(&app, path, &owner).await;
            assert!(d.status.is_client_error(), "{}: {path} answered {}", db.name, d.status);
            assert!(d.text.contains(says), "{}: {path}: {}", db.name, d.text);
        }
        let res = send(&app, get("/requests/export?format=csv", None)).await;
        assert!(res.status().is_redirection(), "{}: signed out: {}", db.name, res.status());
        assert!(res.headers()[header::LOCATION].to_str().unwrap().starts_with("/sign-in"));

        // 6. Another organization's owner exports only Globex's rows: Acme's connection and
        // endpoint are "not found", and naming them in a filter finds nothing of Acme's.
        let globex = sign_in(&app, "owner@globex.test").await;
        let acme_ids = all.iter().take(50).cloned().collect::<Vec<_>>();
        let d = download(&app, &format!("/requests/export?format=csv&connection={conn}"), &globex).await;
        assert_eq!(d.status, StatusCode::OK);
        assert!(csv_ids(
            &d.text,
            "id,created_at,method,path,status_code,error_code,platform,connection_id,latency_ms"
        )
        .is_empty());
        let d = download(&app, "/requests/export?format=ndjson", &globex).await;
        assert!(
            !d.text.contains(&acme.id) && acme_ids.iter().all(|id| !d.text.contains(id.as_str())),
            "{}",
            db.name
        );
        assert!(!ndjson_ids(&d.text).is_empty(), "{}: Globex has requests of its own", db.name);
        let d = download(&app, &format!("/connections/{conn}/sync-runs/export?format=csv"), &globex).await;
        assert_eq!(d.status, StatusCode::NOT_FOUND, "{}: {}", db.name, d.text);
        let endpoint = ids(
            &db,
            &format!("SELECT id FROM webhook_endpoints WHERE organization_id = '{}' LIMIT 1", acme.id),
        )
        .await;
        let d = download(
            &app,
            &format!("/webhooks/deliveries/export?format=csv&endpoint={}", endpoint[0]),
            &globex,
        )
        .await;
        assert_eq!(d.status, StatusCode::NOT_FOUND, "{}: {}", db.name, d.text);
    }
}
