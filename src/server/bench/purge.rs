//! `switchboard bench-purge`: what the retention purge costs the writers. An organization
//! holds `rows` request logs 60 days old under a 7-day retention; another organization's
//! batches of 100 are timed through ingestion alone, then while the purge deletes those rows
//! (in its batches of 1,000). Prints both p50/p95, their ratio, and the purge's rows and time.
//! A benchmark, not a test: it prints figures and never fails on them.

use super::ingest::{batch_at, bench_connection};
use crate::ids::{make_id, prefix};
use crate::server::clock::{Clock, SystemClock};
use crate::server::store::{OrganizationRow, RequestLogRow, Scope, Store, StoreError, StoreResult};
use std::sync::Arc;
use std::time::Instant;

const DAY: i64 = 86_400_000;

async fn organization(store: &dyn Store, name: &str) -> StoreResult<(Scope, String)> {
    let now = SystemClock.now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand::random()),
        name: name.into(),
        slug: format!("{}-{}", name.to_lowercase().replace(' ', "-"), rand::random::<u32>()),
        created_at: now,
    };
    store.create_organization(&org).await?;
    let connection = bench_connection(store, &org.id).await?;
    Ok((Scope::new(org.id, "production"), connection))
}

async fn ingest(store: &dyn Store, scope: &Scope, body: String) -> StoreResult<f64> {
    let t = Instant::now();
    crate::server::ingest::request_logs(store, scope, SystemClock.now_ms(), body.into_bytes().into())
        .await
        .map_err(|e| StoreError::Database(sqlx::Error::Protocol(format!("{e:?}"))))?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// A request log of about 1 KB from `at`.
fn old_row(scope: &Scope, connection: &str, at: i64) -> RequestLogRow {
    RequestLogRow {
        id: make_id(prefix::REQUEST, at, rand::random()),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        connection_id: Some(connection.to_string()),
        platform_id: Some("xero".into()),
        api_key_prefix: Some("sk_live_4x9Q".into()),
        method: "GET".into(),
        path: "/accounting/invoices".into(),
        query: Some("page=2&expand=platform_data".into()),
        status_code: 200,
        status_class: 2,
        latency_ms: 120,
        error_code: None,
        error_message: None,
        platform_error: None,
        error_confidence: None,
        request_headers: r#"{"content-type":"application/json","user-agent":"acme-billing/2.3"}"#.into(),
        request_body: None,
        response_body: Some(format!(r#"{{"data":[{{"id":"inv_{at}","status":"AUTHORISED","total":2120.5,"currency":"EUR","customer":{{"name":"Globex Corporation","email":"ap@globex.test"}},"memo":"Thank you for your business, November consulting and travel."}}],"next_cursor":"c_{at}"}}"#)),
        response_truncated: false,
        upstream_calls: r#"[{"method":"GET","url":"https://api.xero.com/api.xro/2.0/Invoices?page=2","status":200,"latency_ms":90,"response":"{}"}]"#.into(),
        idempotency_key: None,
        user_agent: Some("acme-billing/2.3".into()),
        source_ip: Some("203.0.113.24".into()),
        created_at: at,
        redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
    }
}

fn p50_p95(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.95))
}

pub async fn run(store: Arc<dyn Store>, rows: usize) -> StoreResult<()> {
    store.sync_platform_catalog(crate::domain::PLATFORMS).await?;
    let (old, old_conn) = organization(store.as_ref(), "Purge bench").await?;
    store.set_retention_days(&old.organization_id, 7, None).await?;
    let (quiet, quiet_conn) = organization(store.as_ref(), "Quiet bench").await?;
    // Stored directly: ingestion takes requests as they happen, not two months late.
    let sixty_days_ago = SystemClock.now_ms() - 60 * DAY;
    let started = Instant::now();
    for chunk in 0..rows.div_ceil(1_000) {
        let batch: Vec<RequestLogRow> = (chunk * 1_000..rows.min(chunk * 1_000 + 1_000))
            .map(|i| old_row(&old, &old_conn, sixty_days_ago + i as i64))
            .collect();
        store.insert_request_logs(&batch).await?;
    }
    println!(
        "Loaded {rows} request logs 60 days old in {:.1} s (retention: 7 days)",
        started.elapsed().as_secs_f64()
    );

    let bodies = |from: usize| -> Vec<String> {
        (from..from + 105).map(|i| batch_at(100, i, &quiet_conn, SystemClock.now_ms())).collect()
    };
    let mut alone = vec![];
    for (i, body) in bodies(0).into_iter().enumerate() {
        let ms = ingest(store.as_ref(), &quiet, body).await?;
        if i >= 5 {
            alone.push(ms);
        }
    }
    let alone = p50_p95(alone);
    println!(
        "Another organization's batches of 100, alone:        p50 {:.1} ms, p95 {:.1} ms",
        alone.0, alone.1
    );

    let purge_store = store.clone();
    let purge_started = Instant::now();
    let purge = tokio::spawn(async move {
        let r = crate::server::retention::purge(purge_store.as_ref(), SystemClock.now_ms()).await;
        (r, purge_started.elapsed().as_secs_f64())
    });
    // Timed while the purge runs: at least 100 batches, and on until it ends.
    let mut during = vec![];
    let mut seq = 1_000;
    while during.len() < 100 || !purge.is_finished() {
        let body = batch_at(100, seq, &quiet_conn, SystemClock.now_ms());
        seq += 1;
        let ms = ingest(store.as_ref(), &quiet, body).await?;
        if !purge.is_finished() {
            during.push(ms);
        } else if during.len() < 100 {
            break;
        }
    }
    let (report, took) =
        purge.await.map_err(|e| StoreError::Database(sqlx::Error::Protocol(e.to_string())))?;
    let report = report?;
    println!(
        "Purge: {} request logs deleted in {took:.1} s ({:.0} rows/s), {} batches timed meanwhile",
        report.request_logs,
        report.request_logs as f64 / took.max(0.001),
        during.len()
    );
    if during.len() < 10 {
        println!("  (the purge ended before enough batches were timed: load more rows)");
        return Ok(());
    }
    let during = p50_p95(during);
    println!(
        "Another organization's batches of 100, during purge: p50 {:.1} ms, p95 {:.1} ms",
        during.0, during.1
    );
    println!("  during / alone: p50 {:.2}x, p95 {:.2}x", during.0 / alone.0, during.1 / alone.1);
    Ok(())
}
