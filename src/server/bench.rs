//! `switchboard bench-request-logs`: server-side timings of the request-log queries on a large
//! table. A benchmark, not a test: it prints figures and never fails on them.

use super::auth::now_ms;
use super::seed;
use super::store::{Page, RequestLogQuery, Store, StoreResult};
use crate::ids::{id_floor, prefix};
use std::time::Instant;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

pub(crate) async fn time_runs<F, Fut>(runs: usize, mut f: F) -> StoreResult<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<()>>,
{
    f().await?; // warm-up
    let mut ms = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.95)))
}

pub async fn run(store: &dyn Store, request_logs: u64, runs: usize) -> StoreResult<()> {
    if store.count_organizations().await? == 0 {
        println!("Seeding {request_logs} request logs (one-off)...");
        let t = Instant::now();
        seed::seed_demo(store, request_logs).await?;
        println!("Seeded in {:.0} s.", t.elapsed().as_secs_f64());
    }
    store.analyze().await?;
    let acme = store.get_organization("acme").await?.expect("demo organization acme");
    let conn = store
        .list_connections(
            &crate::server::store::Scope::new(acme.id.clone(), "production"),
            &crate::server::store::Page::First,
            200,
        )
        .await?
        .into_iter()
        .find(|c| c.status == crate::domain::ConnectionStatus::Healthy)
        .expect("a healthy connection");
    let base = RequestLogQuery {
        organization_id: acme.id.clone(),
        environment: "production".into(),
        limit: 51,
        ..Default::default()
    };
    let day_ago = id_floor(prefix::REQUEST, now_ms() - 86_400_000);
    let hour_ago = id_floor(prefix::REQUEST, now_ms() - 3_600_000);
    let scenarios: Vec<(&str, RequestLogQuery)> = vec![
        ("no filter", base.clone()),
        ("connection", RequestLogQuery { connection_id: Some(conn.id.clone()), ..base.clone() }),
        ("platform", RequestLogQuery { platform_id: Some(conn.platform_id.clone()), ..base.clone() }),
        ("status class 5xx", RequestLogQuery { status_class: Some(5), ..base.clone() }),
        ("exact status 429", RequestLogQuery { status_code: Some(429), ..base.clone() }),
        (
            "error code invalid-params",
            RequestLogQuery { error_code: Some("invalid-params".into()), ..base.clone() },
        ),
        ("method DELETE", RequestLogQuery { method: Some("DELETE".into()), ..base.clone() }),
        (
            "path prefix /accounting/invoices",
            RequestLogQuery {
                path_range: Some(("/accounting/invoices".into(), "/accounting/invoicet".into())),
                ..base.clone()
            },
        ),
        ("last 1 h", RequestLogQuery { from_id: Some(hour_ago), ..base.clone() }),
        (
            "combo: connection + 4xx",
            RequestLogQuery { connection_id: Some(conn.id.clone()), status_class: Some(4), ..base.clone() },
        ),
        (
            "combo: 5xx + last 24 h",
            RequestLogQuery { status_class: Some(5), from_id: Some(day_ago), ..base.clone() },
        ),
        (
            "combo: platform + error code + POST",
            RequestLogQuery {
                platform_id: Some(conn.platform_id.clone()),
                error_code: Some("invalid-params".into()),
                method: Some("POST".into()),
                ..base.clone()
            },
        ),
    ];
    println!("\n{:?}: p50 / p95 over {runs} runs, server-side (store call), 50-row pages", store.backend());
    println!("{:<40} {:>9} {:>9} {:>6}", "query", "p50 ms", "p95 ms", "rows");
    for (name, q) in &scenarios {
        let rows = store.list_request_logs(q).await?.len();
        let (p50, p95) = time_runs(runs, || async { store.list_request_logs(q).await.map(|_| ()) }).await?;
        println!("{name:<40} {p50:>9.2} {p95:>9.2} {rows:>6}");
    }
    let sample = store.list_request_logs(&base).await?;
    let scope = crate::server::store::Scope::new(base.organization_id.clone(), base.environment.clone());
    let id = sample.last().map(|r| r.id.clone()).unwrap_or_default();
    let (p50, p95) =
        time_runs(runs, || async { store.get_request_log(&scope, &id).await.map(|_| ()) }).await?;
    println!("{:<40} {p50:>9.2} {p95:>9.2} {:>6}", "request ID lookup", 1);

    // Walk to page 1,000 through the cursor, then time fetching it.
    let mut q = base.clone();
    for _ in 0..999 {
        let page = store.list_request_logs(&q).await?;
        match page.get(49) {
            Some(last) => q.page = Page::Before(last.id.clone()),
            None => break,
        }
    }
    let rows = store.list_request_logs(&q).await?.len();
    let (p50, p95) = time_runs(runs, || async { store.list_request_logs(&q).await.map(|_| ()) }).await?;
    println!("{:<40} {p50:>9.2} {p95:>9.2} {rows:>6}", "page 1,000 via cursor");
    Ok(())
}
