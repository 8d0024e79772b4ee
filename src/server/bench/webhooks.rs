//! `switchboard bench-webhooks`: webhook delivery throughput to a local receiver that answers
//! 200 at once, the time from an event being recorded to its first attempt, and the delivery
//! log's first page on a large table. A benchmark, not a test: it prints figures and never fails
//! on them. Run it on an empty database; it creates its own organization.

use super::time_runs;
use crate::domain::DeliveryStatus;
use crate::ids::{make_id, prefix};
use crate::server::clock::{Clock, SystemClock};
use crate::server::store::webhooks::{DeliveryQuery, NewEvent, WebhookEndpointRow};
use crate::server::store::{
    OrganizationRow, Scope, SeedBatch, Store, StoreResult, WebhookDeliveryRow, WebhookEventRow,
};
use crate::server::webhooks::delivery::{self, DeliverySettings, Engine};
use crate::server::webhooks::delivery_log::find;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct BenchWebhooks {
    /// Deliveries for the throughput run.
    pub deliveries: usize,
    /// Events recorded one by one for the latency run.
    pub latency_events: usize,
    /// Rows in the delivery log for the list timing.
    pub log_rows: usize,
    pub runs: usize,
}

/// Endpoints the throughput run spreads over (each with its own concurrency limit).
const ENDPOINTS: usize = 8;

pub async fn run(store: Arc<dyn Store>, b: BenchWebhooks) -> StoreResult<()> {
    let now = SystemClock.now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand::random()),
        name: "Webhook bench".into(),
        slug: format!("webhook-bench-{}", rand::random::<u32>()),
        created_at: now,
    };
    store.create_organization(&org).await?;
    let scope = Scope::new(org.id.clone(), "production");

    // The receiver: answers 200 at once and notes when each event first arrived.
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let received = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| crate::server::store::StoreError::Database(sqlx::Error::Io(e)))?;
    let addr =
        listener.local_addr().map_err(|e| crate::server::store::StoreError::Database(sqlx::Error::Io(e)))?;
    let (a, r) = (arrivals.clone(), received.clone());
    let app = axum::Router::new()
        // An endpoint that accepts and never answers: each attempt holds its slot until the
        // engine's timeout.
        .route(
            "/tarpit/{n}",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(3_600)).await;
                "late"
            }),
        )
        .route(
            "/{n}",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let (a, r) = (a.clone(), r.clone());
                async move {
                    r.fetch_add(1, Ordering::Relaxed);
                    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
                        a.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .entry(id.to_string())
                            .or_insert_with(Instant::now);
                    }
                    "ok"
                }
            }),
        );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut endpoints = vec![];
    for n in 0..ENDPOINTS {
        endpoints.push(endpoint(store.as_ref(), &org.id, format!("http://{addr}/{n}"), now).await?);
    }
    let settings = DeliverySettings {
        concurrency: 256,
        per_endpoint: 32,
        per_organization: 256,
        poll: Duration::from_millis(50),
        ..DeliverySettings::standard(true)
    };
    println!("Backend: {:?}; receiver http://{addr}; {} endpoints", store.backend(), ENDPOINTS);

    // 1. Throughput: events recorded up front (each fans out to every endpoint), then drained.
    let events = (b.deliveries / ENDPOINTS).max(1);
    let t = Instant::now();
    let mut batch = SeedBatch::default();
    for i in 0..events {
        let at = now + i as i64;
        let id = make_id(prefix::EVENT, at, rand::random());
        batch.webhook_events.push(WebhookEventRow {
            payload: serde_json::json!({"id": id, "type": "sync.completed", "data": {"connection_id": "conn_bench", "objects": [{"name": "invoices", "status": "SUCCEEDED"}]}}).to_string(),
            id: id.clone(),
            organization_id: org.id.clone(),
            environment: "production".into(),
            event_type: "sync.completed".into(),
            connection_id: None,
            created_at: at,
        });
        for e in &endpoints {
            batch.webhook_deliveries.push(delivery_row(&id, &e.id, &org.id, at, "pending", Some(at)));
        }
        if batch.webhook_deliveries.len() >= 20_000 {
            store.insert_seed_batch(&std::mem::take(&mut batch)).await?;
        }
    }
    store.insert_seed_batch(&batch).await?;
    let total = events * ENDPOINTS;
    println!("Queued {total} deliveries in {:.1} s.", t.elapsed().as_secs_f64());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), settings.clone());
    let t = Instant::now();
    let handle = tokio::spawn(engine.run(stopped.clone()));
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let left = store.queued_deliveries(&scope, &endpoints[0].id, 1).await?
            + store.queued_deliveries(&scope, &endpoints[ENDPOINTS - 1].id, 1).await?;
        if left == 0 && received.load(Ordering::Relaxed) >= total {
            // Outcomes are written in batches: wait for the last ones.
            let mut pending = 0;
            for e in &endpoints {
                pending += store.queued_deliveries(&scope, &e.id, 1).await?;
            }
            if pending == 0 {
                break;
            }
        }
        if t.elapsed() > Duration::from_secs(600) {
            println!("Gave up after 10 minutes.");
            break;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "Throughput: {total} deliveries recorded as delivered in {secs:.2} s = {:.0} deliveries/s (goal >= 2,000/s on SQLite)",
        total as f64 / secs
    );

    // 2. Event to first attempt, with the engine idle and waiting: one event at a time.
    let ids: Vec<String> = endpoints.iter().map(|e| e.id.clone()).collect();
    let latencies = first_attempts(store.as_ref(), &org.id, &ids, &arrivals, b.latency_events).await?;
    println!(
        "Event recorded to first attempt ({} events): p50 {:.1} ms, p95 {:.1} ms (goal p95 <= 50 ms)",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.95)
    );
    let _ = stop.send(true);
    let _ = handle.await;

    tarpit(store.clone(), addr, &arrivals, b.latency_events).await?;

    // 3. The delivery log's first page on a large table.
    let have = total + b.latency_events;
    let add = b.log_rows.saturating_sub(have);
    let t = Instant::now();
    let mut batch = SeedBatch::default();
    let statuses = ["delivered", "delivered", "delivered", "delivered", "failed", "retrying"];
    for i in 0..add {
        let at = now - 30 * 86_400_000 + (i as i64 * 2_000);
        let id = make_id(prefix::EVENT, at, rand::random());
        batch.webhook_events.push(WebhookEventRow {
            payload: "{}".into(),
            id: id.clone(),
            organization_id: org.id.clone(),
            environment: "production".into(),
            event_type: if i % 7 == 0 { "backfill.completed" } else { "sync.completed" }.into(),
            connection_id: None,
            created_at: at,
        });
        let e = &endpoints[i % ENDPOINTS];
        let status = statuses[i % statuses.len()];
        batch.webhook_deliveries.push(delivery_row(&id, &e.id, &org.id, at, status, None));
        if batch.webhook_deliveries.len() >= 20_000 {
            store.insert_seed_batch(&std::mem::take(&mut batch)).await?;
        }
    }
    store.insert_seed_batch(&batch).await?;
    // What the worker does every second: fold the status counts' deltas into the rollups.
    while store.fold_outcome_deltas(5_000).await?.deltas > 0 {}
    store.analyze().await?;
    println!("Delivery log grown to about {} rows in {:.0} s.", have + add, t.elapsed().as_secs_f64());
    let base = DeliveryQuery::new(scope.clone(), 51);
    println!(
        "{:<40} {:>9} {:>9} {:>6}   {:>9} {:>9}",
        "delivery log first page (exact search)", "p50 ms", "p95 ms", "rows", "scan p50", "scan p95"
    );
    let shapes = [
        ("no filter", base.clone()),
        ("endpoint", DeliveryQuery { endpoint_id: Some(endpoints[3].id.clone()), ..base.clone() }),
        ("event type", DeliveryQuery { event_types: vec!["backfill.completed".into()], ..base.clone() }),
        ("status failed", DeliveryQuery { status: Some(DeliveryStatus::Failed), ..base.clone() }),
        (
            "endpoint + failed",
            DeliveryQuery {
                endpoint_id: Some(endpoints[3].id.clone()),
                status: Some(DeliveryStatus::Failed),
                ..base.clone()
            },
        ),
        (
            "endpoint + delivered",
            DeliveryQuery {
                endpoint_id: Some(endpoints[3].id.clone()),
                status: Some(DeliveryStatus::Delivered),
                ..base.clone()
            },
        ),
        (
            "backfill.completed + failed",
            DeliveryQuery {
                event_types: vec!["backfill.completed".into()],
                status: Some(DeliveryStatus::Failed),
                ..base.clone()
            },
        ),
    ];
    for (name, q) in &shapes {
        let rows = find(store.as_ref(), q).await?.len();
        let (p50, p95) = time_runs(b.runs, || async { find(store.as_ref(), q).await.map(|_| ()) }).await?;
        // The same page read straight from the driving index, without the rollups.
        let (s50, s95) = time_runs(b.runs, || async { store.list_deliveries(q).await.map(|_| ()) }).await?;
        println!("{name:<40} {p50:>9.2} {p95:>9.2} {rows:>6}   {s50:>9.2} {s95:>9.2}");
    }
    Ok(())
}

/// Times `n` events, one at a time, from being recorded to their first attempt arriving at the
/// receiver (the engine must be running); in ms, sorted.
async fn first_attempts(
    store: &dyn Store,
    org: &str,
    endpoints: &[String],
    arrivals: &Mutex<HashMap<String, Instant>>,
    n: usize,
) -> StoreResult<Vec<f64>> {
    let mut latencies = vec![];
    for i in 0..n {
        let at = SystemClock.now_ms();
        let id = make_id(prefix::EVENT, at, rand::random());
        let started = Instant::now();
        store
            .record_event(&NewEvent {
                payload: format!(
                    "{{\"id\":\"{id}\",\"type\":\"backfill.completed\",\"data\":{{\"n\":{i}}}}}"
                ),
                id: id.clone(),
                organization_id: org.to_string(),
                environment: "production".into(),
                event_type: "backfill.completed".into(),
                connection_id: None,
                created_at: at,
                only_endpoint: Some(endpoints[i % endpoints.len()].clone()),
                lease: None,
            })
            .await?;
        delivery::wake();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(arrived) = arrivals.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
                latencies.push(arrived.duration_since(started).as_secs_f64() * 1000.0);
                break;
            }
            if Instant::now() > deadline {
                // Counted as the deadline: a lost attempt must not vanish from the figure.
                latencies.push(5_000.0);
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(latencies)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(f64::NAN)
}

/// Fairness under a tarpit: one organization's event-to-first-attempt latency with the engine's
/// production limits, alone and while another organization's endpoints (as many as an
/// environment may have) accept connections and never answer, with thousands of deliveries
/// queued for them. The tarpit may hold its organization's share of the slots, not the others'.
async fn tarpit(
    store: Arc<dyn Store>,
    addr: std::net::SocketAddr,
    arrivals: &Mutex<HashMap<String, Instant>>,
    events: usize,
) -> StoreResult<()> {
    let now = SystemClock.now_ms();
    let mut orgs = vec![];
    for name in ["Quiet webhooks", "Tarpit webhooks"] {
        let org = OrganizationRow {
            id: make_id(prefix::ORGANIZATION, now, rand::random()),
            name: name.into(),
            slug: format!("bench-{}", rand::random::<u32>()),
            created_at: now,
        };
        store.create_organization(&org).await?;
        orgs.push(org);
    }
    let quiet = endpoint(store.as_ref(), &orgs[0].id, format!("http://{addr}/quiet"), now).await?;
    let mut tarpits = vec![];
    for n in 0..crate::server::webhooks::MAX_ENDPOINTS {
        tarpits.push(endpoint(store.as_ref(), &orgs[1].id, format!("http://{addr}/tarpit/{n}"), now).await?);
    }
    let settings = DeliverySettings { timeout: Duration::from_secs(5), ..DeliverySettings::standard(true) };
    println!(
        "Tarpit: {} endpoints of one organization never answer ({} s timeout); another's events, alone and during it (limits: {} attempts in flight, {} per organization, {} per endpoint)",
        tarpits.len(),
        settings.timeout.as_secs(),
        settings.concurrency,
        settings.per_organization,
        settings.per_endpoint
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), settings);
    let handle = tokio::spawn(engine.run(stopped));
    let quiet_ids = [quiet.id.clone()];
    let alone = first_attempts(store.as_ref(), &orgs[0].id, &quiet_ids, arrivals, events).await?;
    let mut batch = SeedBatch::default();
    for i in 0..40 {
        let at = SystemClock.now_ms() + i;
        let id = make_id(prefix::EVENT, at, rand::random());
        batch.webhook_events.push(WebhookEventRow {
            payload: format!("{{\"id\":\"{id}\",\"type\":\"sync.completed\",\"data\":{{}}}}"),
            id: id.clone(),
            organization_id: orgs[1].id.clone(),
            environment: "production".into(),
            event_type: "sync.completed".into(),
            connection_id: None,
            created_at: at,
        });
        for e in &tarpits {
            batch.webhook_deliveries.push(delivery_row(&id, &e.id, &orgs[1].id, at, "pending", Some(at)));
        }
    }
    let queued = batch.webhook_deliveries.len();
    store.insert_seed_batch(&batch).await?;
    delivery::wake();
    // The tarpit takes its slots before the quiet organization is timed.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = first_attempts(store.as_ref(), &orgs[0].id, &quiet_ids, arrivals, events).await?;
    let _ = stop.send(true);
    // Attempts in hand end at their timeout.
    let _ = handle.await;
    println!("  {queued} deliveries queued for the tarpit");
    let (a50, a95, d50, d95) = (
        percentile(&alone, 0.5),
        percentile(&alone, 0.95),
        percentile(&during, 0.5),
        percentile(&during, 0.95),
    );
    println!("  alone:            p50 {a50:.1} ms, p95 {a95:.1} ms ({} events)", alone.len());
    println!("  during the tarpit: p50 {d50:.1} ms, p95 {d95:.1} ms");
    println!("  during / alone:   p50 {:.2}x, p95 {:.2}x", d50 / a50, d95 / a95);
    Ok(())
}

/// A webhook endpoint of `org` at `url`, subscribed to every event.
async fn endpoint(store: &dyn Store, org: &str, url: String, now: i64) -> StoreResult<WebhookEndpointRow> {
    let row = WebhookEndpointRow {
        id: make_id(prefix::WEBHOOK_ENDPOINT, now, rand::random()),
        organization_id: org.to_string(),
        environment: "production".into(),
        url,
        description: "bench".into(),
        event_types: "[\"*\"]".into(),
        enabled: true,
        secret: crate::server::webhooks::signing::generate_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        disabled_reason: None,
        disabled_kind: None,
        disabled_at: None,
        failing_since: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let audit = crate::server::audit::Audit::new(
        crate::domain::AuditAction::WebhookEndpointCreate,
        "webhook_endpoint",
        &row.id,
        now,
    )
    .by(&crate::server::actor::Author::system("bench"))
    .of_organization(org)
    .entry();
    store.create_endpoint(&row, &audit).await?;
    Ok(row)
}

fn delivery_row(
    event: &str,
    endpoint: &str,
    org: &str,
    at: i64,
    status: &str,
    next: Option<i64>,
) -> WebhookDeliveryRow {
    let done = status != "pending";
    WebhookDeliveryRow {
        id: make_id(prefix::DELIVERY, at, rand::random()),
        event_id: event.to_string(),
        endpoint_id: endpoint.to_string(),
        organization_id: org.to_string(),
        environment: "production".into(),
        event_type: "sync.completed".into(),
        connection_id: None,
        created_at: at,
        status: DeliveryStatus::parse(status).expect("a delivery status"),
        attempt_count: done as i64,
        round_attempts: done as i64,
        next_attempt_at: next.or(if status == "retrying" { Some(at + 86_400_000 * 365) } else { None }),
        last_attempt_at: done.then_some(at + 500),
        last_status: done.then_some(if status == "delivered" { 200 } else { 500 }),
        status_class: done.then(|| if status == "delivered" { "2xx" } else { "5xx" }.to_string()),
        last_failure: (status != "delivered" && done).then(|| "non_2xx".to_string()),
    }
}
