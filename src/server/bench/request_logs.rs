//! `switchboard bench-request-logs`: server-side timings of the request-log queries on a large
//! table. A benchmark, not a test: it prints figures and never fails on them.

use super::time_runs;
use crate::ids::{id_floor, prefix};
use crate::server::clock::{Clock, SystemClock};
use crate::server::request_logs::find;
use crate::server::seed;
use crate::server::store::{Page, RequestLogQuery, Store, StoreResult};
use std::time::Instant;

pub async fn run(store: &dyn Store, request_logs: u64, runs: usize) -> StoreResult<()> {
    if store.count_organizations().await? == 0 {
        println!("Seeding {request_logs} request logs (one-off)...");
        let t = Instant::now();
        seed::seed_demo(store, request_logs).await?;
        println!("Seeded in {:.0} s.", t.elapsed().as_secs_f64());
    }
    store.analyze().await?;
    super::ingest::print_storage(store).await?;
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
    let day_ago = id_floor(prefix::REQUEST, SystemClock.now_ms() - 86_400_000);
    let hour_ago = id_floor(prefix::REQUEST, SystemClock.now_ms() - 3_600_000);
    let mut scenarios: Vec<(String, RequestLogQuery)> = vec![
        ("no filter".into(), base.clone()),
        ("last 1 h".into(), RequestLogQuery { from_id: Some(hour_ago), ..base.clone() }),
        (
            "5xx + last 24 h".into(),
            RequestLogQuery { status_class: Some(5), from_id: Some(day_ago), ..base.clone() },
        ),
    ];
    // Every filter alone, every pair and the common triples. The values are those people use;
    // several combinations match nothing at all (a payments platform has no accounting paths,
    // Xero answers PUT with 429 rarely or never), which is the worst case: without a bound the
    // query reads every row of its driving index.
    type Set = fn(&mut RequestLogQuery, &str, &str);
    let filters: Vec<(&str, Set)> = vec![
        ("connection", |q, c, _| q.connection_id = Some(c.to_string())),
        ("platform", |q, _, p| q.platform_id = Some(p.to_string())),
        ("5xx", |q, _, _| q.status_class = Some(5)),
        ("429", |q, _, _| q.status_code = Some(429)),
        ("invalid-params", |q, _, _| q.error_code = Some("invalid-params".into())),
        ("PUT", |q, _, _| q.method = Some("PUT".into())),
        ("/accounting", |q, _, _| q.path_range = Some(("/accounting".into(), "/accountinh".into()))),
    ];
    let pick = |names: &[usize], platform: &str| {
        let mut q = base.clone();
        for i in names {
            (filters[*i].1)(&mut q, &conn.id, platform);
        }
        let label =
            names
                .iter()
                .map(|i| {
                    if filters[*i].0 == "platform" {
                        platform.to_string()
                    } else {
                        filters[*i].0.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" + ");
        (label, q)
    };
    for i in 0..filters.len() {
        scenarios.push(pick(&[i], &conn.platform_id));
    }
    for i in 0..filters.len() {
        for j in i + 1..filters.len() {
            scenarios.push(pick(&[i, j], &conn.platform_id));
        }
    }
    for triple in [[1, 2, 5], [0, 2, 6], [1, 4, 5], [3, 5, 6], [0, 3, 5], [1, 2, 6]] {
        scenarios.push(pick(&triple, &conn.platform_id));
    }
    scenarios.push(pick(&[1, 6], "stripe"));
    scenarios.push(pick(&[1, 5, 3], "xero"));
    scenarios.push(pick(&[1, 2, 6], "stripe"));
    println!(
        "\n{:?}: p50 / p95 over {runs} runs, server-side (the exact search the page runs: \
         `request_logs::find`, which reads the rollups' hours for several filters), 50-row pages",
        store.backend()
    );
    println!("{:<44} {:>9} {:>9} {:>6}", "query", "p50 ms", "p95 ms", "rows");
    let mut worst: (f64, String) = (0.0, String::new());
    for (name, q) in &scenarios {
        let rows = find(store, q).await?.len();
        let (p50, p95) = time_runs(runs, || async { find(store, q).await.map(|_| ()) }).await?;
        if p95 > worst.0 {
            worst = (p95, name.clone());
        }
        println!("{name:<44} {p50:>9.2} {p95:>9.2} {rows:>6}");
    }
    println!("worst p95: {:.2} ms ({})", worst.0, worst.1);
    // The two worst cases of the issue read straight from the driving index, without the
    // rollups, for comparison (fewer runs: slow).
    for (name, q) in scenarios.iter().filter(|(n, _)| n == "stripe + /accounting" || n == "xero + PUT + 429")
    {
        let (p50, p95) = time_runs(5, || async { store.list_request_logs(q).await.map(|_| ()) }).await?;
        println!("{:<44} {p50:>9.2} {p95:>9.2}", format!("{name} (index scan, no rollups)"));
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
