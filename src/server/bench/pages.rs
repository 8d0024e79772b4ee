//! `switchboard bench-pages`: the signed-in console pages as a browser asks for them, over
//! HTTP from a `switchboard serve` process of its own on the database: each page alone (one
//! client, one request at a time: its latency) and under load (16 clients at once for a few
//! seconds: pages per second and p50/p95/p99). The pages are the Overview in its three ranges,
//! the Errors page, the request log (plain and filtered), a request, the connections list and a
//! connection, the delivery log and the sync configuration. Last, the live tail: how long a
//! request ingested through the API takes to reach a browser's open `/requests/live` stream.
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
    // An ingest key of the signed-in person's organization and environment, for the live tail.
    let acme = store
        .get_organization("acme")
        .await?
        .ok_or_else(|| io("the demo organization acme is missing: seed the demo first"))?;
    let ingest_key = crate::server::api_keys::issue(
        store,
        &crate::server::store::Scope::new(acme.id, "production"),
        crate::domain::KeyScope::Ingest,
        "bench-pages live tail",
        "bench",
    )
    .await
    .map_err(io)?;
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
    let result = measure(port, &b, &ingest_key).await;
    let _ = server.kill();
    let _ = server.wait();
    result
}

async fn measure(port: u16, b: &BenchPages, ingest_key: &str) -> StoreResult<()> {
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
    let live_cookie = cookie.clone();
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
    live_tail(&client, &base, &live_cookie, ingest_key, b.runs.clamp(5, 40)).await
}

/// The live tail's delivery time: a browser's stream is open on the request log (caught up);
/// a request is ingested through the API; the time from the ingest call's answer to the
/// request's event arriving on the stream. The stream looks every 400 ms, so about 200 ms is
/// expected on average and 400 ms plus a look's cost at worst.
async fn live_tail(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    ingest_key: &str,
    samples: usize,
) -> StoreResult<()> {
    let mut stream = client
        .get(format!("{base}/requests/live"))
        .header("Cookie", cookie)
        .header("Accept", "text/event-stream")
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .map_err(io)?;
    if !stream.status().is_success() {
        return Err(io(format!("GET /requests/live answered {}", stream.status())));
    }
    let mut buffer = String::new();
    // Reads events until one whose text holds `needle`; false when the deadline passes first.
    async fn wait_for(
        stream: &mut reqwest::Response,
        buffer: &mut String,
        needle: &str,
    ) -> StoreResult<bool> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(at) = buffer.find(needle) {
                // Keep what follows the event that held it.
                let end = buffer[at..].find("\n\n").map(|e| at + e + 2).unwrap_or(buffer.len());
                buffer.drain(..end);
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            match tokio::time::timeout(left, stream.chunk()).await {
                Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) => return Err(io("the live stream ended")),
                Ok(Err(e)) => return Err(io(e)),
                Err(_) => return Ok(false),
            }
        }
    }
    if !wait_for(&mut stream, &mut buffer, "event: ready").await? {
        return Err(io("the live stream never said it had caught up"));
    }
    buffer.clear();
    let mut times = vec![];
    let mut missed = 0usize;
    for i in 0..samples {
        let now = chrono::Utc::now();
        let id = crate::ids::make_id(crate::ids::prefix::REQUEST, now.timestamp_millis(), rand::random());
        let body = serde_json::json!({"items": [{
            "id": id,
            "occurred_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "method": "GET",
            "path": format!("/accounting/invoices/bench-live-{i}"),
            "status": 200,
            "latency_ms": 42
        }]});
        let res = client
            .post(format!("{base}/api/v1/ingest/request-logs"))
            .bearer_auth(ingest_key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(io)?;
        if !res.status().is_success() {
            return Err(io(format!("ingesting a request answered {}", res.status())));
        }
        let stored = Instant::now();
        if wait_for(&mut stream, &mut buffer, &id).await? {
            times.push(stored.elapsed().as_secs_f64() * 1000.0);
        } else {
            missed += 1;
        }
        // Ingest at a different point of the stream's 400 ms cycle each time.
        tokio::time::sleep(Duration::from_millis(137)).await;
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "Live tail: {} requests ingested through the API, each seen on an open /requests/live stream \
         after p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms (from the ingest call's answer); {missed} not seen within 10 s",
        samples,
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().copied().unwrap_or(f64::NAN),
    );
    Ok(())
}
