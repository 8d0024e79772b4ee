//! `switchboard bench-pages`: the signed-in console pages as a browser asks for them, over
//! HTTP from a `switchboard serve` process of its own on the database: each page alone (one
//! client, one request at a time: its latency) and under load (16 clients at once for a few
//! seconds: pages per second and p50/p95/p99). The pages are the Overview in its three ranges,
//! the Errors page, the request log (plain and filtered), a request, the connections list and a
//! connection, the delivery log and the sync configuration.
//! A benchmark, not a test: it prints figures and never fails on them.

use crate::server::store::{StoreError, StoreResult};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BenchPages {
    pub clients: usize,
    pub seconds: u64,
    pub runs: usize,
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(e.to_string()))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

/// The first `prefix…"` token of a page: an id the page links to.
fn first_id(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    let rest = &html[at..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    Some(rest[..end].to_string())
}

pub async fn run(
    store: &dyn crate::server::store::Store,
    database_url: &str,
    b: BenchPages,
) -> StoreResult<()> {
    // The server runs without a worker (its work would share the cores with the pages), so the
    // run and delivery counts' pending changes are folded first, as a running worker keeps them.
    {
        let mut folded = 0;
        loop {
            let n = store.fold_outcome_deltas(5_000).await?.deltas;
            if n == 0 {
                break;
            }
            folded += n;
        }
        if folded > 0 {
            println!("Folded {folded} pending run and delivery count changes before measuring.");
        }
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(io)?.port();
    let exe = std::env::current_exe().map_err(io)?;
    let mut server = std::process::Command::new(exe)
        .args([
            "--database-url",
            database_url,
            "serve",
            "--no-worker",
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("SWITCHBOARD_SCHEDULER", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(io)?;
    let result = measure(port, &b).await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn measure(port: u16, b: &BenchPages) -> StoreResult<()> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .map_err(io)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        if Instant::now() > deadline {
            return Err(io("the server did not start"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Signed in as the demo's owner, as a person opening the console.
    let res = client
        .post(format!("{base}/auth/sign-in"))
        .header("Origin", &base)
        .form(&[("email", "owner@acme.test"), ("password", crate::server::seed::DEMO_PASSWORD)])
        .send()
        .await
        .map_err(io)?;
    let cookie: Vec<String> = res
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_string))
        .collect();
    if cookie.is_empty() {
        return Err(io(format!("sign-in as owner@acme.test failed: {}", res.status())));
    }
    let cookie = Arc::new(cookie.join("; "));
    let get = {
        let (client, base) = (client.clone(), base.clone());
        move |path: String| {
            let (client, base, cookie) = (client.clone(), base.clone(), cookie.clone());
            async move {
                let t = Instant::now();
                let res = client.get(format!("{base}{path}")).header("Cookie", cookie.as_str()).send().await;
                let ok = match res {
                    Ok(r) if r.status().is_success() => r.text().await.ok(),
                    _ => None,
                };
                (t.elapsed().as_secs_f64() * 1000.0, ok)
            }
        }
    };
    let requests = get("/requests".into()).await.1.unwrap_or_default();
    let connections = get("/connections".into()).await.1.unwrap_or_default();
    let mut pages: Vec<String> = vec![
        "/".into(),
        "/?range=7d".into(),
        "/?range=30d".into(),
        "/errors?range=7d".into(),
        "/requests".into(),
        "/requests?status=5xx&platform=stripe".into(),
    ];
    pages.extend(first_id(&requests, "data-request-id=\"").map(|id| format!("/requests/{id}")));
    pages.push("/connections".into());
    pages.extend(first_id(&connections, "href=\"/connections/").map(|id| format!("/connections/{id}")));
    pages.push("/webhooks/deliveries".into());
    pages.push("/sync-configuration".into());

    println!(
        "Pages, signed in as the demo's owner over HTTP: alone ({} sequential loads after a warm-up), \
         then {} clients at once for {} s",
        b.runs, b.clients, b.seconds
    );
    println!(
        "{:<40} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "page", "p50 ms", "p95 ms", "pages/s", "p50 ms", "p95 ms", "p99 ms", "errors"
    );
    for page in &pages {
        for _ in 0..3 {
            get(page.clone()).await;
        }
        let mut alone = vec![];
        let mut failed = 0usize;
        for _ in 0..b.runs {
            let (ms, ok) = get(page.clone()).await;
            failed += usize::from(ok.is_none());
            alone.push(ms);
        }
        alone.sort_by(|a, b| a.total_cmp(b));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let mut tasks = vec![];
        for _ in 0..b.clients {
            let (stop, page, get) = (stop.clone(), page.clone(), get.clone());
            tasks.push(tokio::spawn(async move {
                let mut ms = vec![];
                let mut failed = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    let (t, ok) = get(page.clone()).await;
                    failed += usize::from(ok.is_none());
                    ms.push(t);
                }
                (ms, failed)
            }));
        }
        tokio::time::sleep(Duration::from_secs(b.seconds)).await;
        stop.store(true, Ordering::Relaxed);
        let mut loaded = vec![];
        for t in tasks {
            if let Ok((ms, f)) = t.await {
                loaded.extend(ms);
                failed += f;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        loaded.sort_by(|a, b| a.total_cmp(b));
        let label: String = page.chars().take(40).collect();
        println!(
            "{label:<40} {:>8.2} {:>8.2} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {failed:>7}",
            percentile(&alone, 0.5),
            percentile(&alone, 0.95),
            loaded.len() as f64 / elapsed,
            percentile(&loaded, 0.5),
            percentile(&loaded, 0.95),
            percentile(&loaded, 0.99),
        );
    }
    Ok(())
}
