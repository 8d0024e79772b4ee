//! Webhook delivery against a real receiver on loopback that verifies every request with the
//! official Standard Webhooks library (`standardwebhooks`), on both databases: fan-out to the
//! subscribed endpoints, signatures across a secret rotation, retries while the receiver is
//! down or failing, 410 and five days of failures disabling the endpoint, leases that never let
//! two processes take one delivery, and `kill -9` of the serving process losing nothing.

use crate::helpers::now_ms;
use crate::helpers::{self, wait_until, TestDb};
use crate::http::{app, body, post_form, send, sign_in, HOST};
use axum::http::{header, HeaderMap, StatusCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use switchboard::ids::{make_id, prefix};
use switchboard::server::clock::{Clock, ManualClock, SystemClock};
use switchboard::server::store::webhooks::{ClaimLimits, DeliveryQuery, NewEvent, WebhookEndpointRow};
use switchboard::server::store::{OrganizationRow, Page, Scope};
use switchboard::server::webhooks::delivery::{DeliverySettings, Engine};
use switchboard::server::webhooks::signing;

/// What the receiver answers.
const OK: u8 = 0;
const FAIL_500: u8 = 1;
const SLOW: u8 = 2;
const GONE: u8 = 3;

#[derive(Default)]
struct Received {
    /// Event id → how many times it arrived, per path.
    by_path: HashMap<String, HashMap<String, usize>>,
    /// Requests whose signature no known secret verified.
    unverified: Vec<String>,
    /// Per request: which of the receiver's secrets verified it.
    verified_with: Vec<Vec<usize>>,
    /// A verified request, kept to tamper with.
    sample: Option<(HeaderMap, Vec<u8>)>,
}

struct Receiver {
    addr: SocketAddr,
    mode: Arc<AtomicU8>,
    secrets: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<Received>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(addr: Option<SocketAddr>, secrets: Vec<String>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mode = Arc::new(AtomicU8::new(OK));
        let secrets = Arc::new(Mutex::new(secrets));
        let received = Arc::new(Mutex::new(Received::default()));
        let (m, s, r) = (mode.clone(), secrets.clone(), received.clone());
        let app = axum::Router::new().route(
            "/{path}",
            axum::routing::post(
                move |axum::extract::Path(path): axum::extract::Path<String>,
                      headers: HeaderMap,
                      body: axum::body::Bytes| {
                    let (m, s, r) = (m.clone(), s.clone(), r.clone());
                    async move {
                        let mode = m.load(Ordering::SeqCst);
                        let id =
                            headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                        let secrets = s.lock().unwrap().clone();
                        let with: Vec<usize> = secrets
                            .iter()
                            .enumerate()
                            .filter(|(_, sec)| {
                                standardwebhooks::Webhook::new(sec.as_str())
                                    .unwrap()
                                    .verify(&body, &headers)
                                    .is_ok()
                            })
                            .map(|(i, _)| i)
                            .collect();
                        {
                            // Noted on arrival: a slow answer may be cut off by the sender's timeout.
                            let mut rec = r.lock().unwrap();
                            if with.is_empty() {
                                rec.unverified.push(id.clone());
                            } else if rec.sample.is_none() && path == "all" {
                                rec.sample = Some((headers.clone(), body.to_vec()));
                            }
                            rec.verified_with.push(with);
                            if mode == OK || mode == SLOW {
                                *rec.by_path.entry(path).or_default().entry(id).or_default() += 1;
                            }
                        }
                        if mode == SLOW {
                            tokio::time::sleep(Duration::from_millis(1_500)).await;
                        }
                        match mode {
                            FAIL_500 => (StatusCode::INTERNAL_SERVER_ERROR, "<h1>boom</h1>"),
                            GONE => (StatusCode::GONE, "gone"),
                            _ => (StatusCode::OK, "{\"received\":true}"),
                        }
                    }
                },
            ),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, mode, secrets, received, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    fn count(&self, path: &str) -> usize {
        self.received.lock().unwrap().by_path.get(path).map(|m| m.len()).unwrap_or(0)
    }
}

fn settings(schedule_ms: &[u64]) -> DeliverySettings {
    DeliverySettings {
        schedule: schedule_ms.iter().map(|ms| Duration::from_millis(*ms)).collect(),
        jitter: 0.0,
        timeout: Duration::from_millis(400),
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(3),
        ..DeliverySettings::standard(true)
    }
}

async fn org(db: &TestDb) -> Scope {
    let now = now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand::random()),
        name: "Hooks Inc".into(),
        slug: format!("hooks-{}", rand::random::<u32>()),
        created_at: now,
    };
    db.store.create_organization(&org).await.unwrap();
    Scope::new(org.id, "production")
}

pub(crate) async fn endpoint(
    db: &TestDb,
    scope: &Scope,
    url: &str,
    types: &[&str],
    enabled: bool,
) -> WebhookEndpointRow {
    let now = now_ms();
    let row = WebhookEndpointRow {
        id: make_id(prefix::WEBHOOK_ENDPOINT, now, rand::random()),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        url: url.into(),
        description: "test".into(),
        event_types: serde_json::to_string(types).unwrap(),
        enabled,
        secret: signing::generate_secret(),
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
    let audit = switchboard::server::audit::Audit::new(
        switchboard::domain::AuditAction::WebhookEndpointCreate,
        "webhook_endpoint",
        &row.id,
        crate::helpers::now_ms(),
    )
    .by(&switchboard::server::actor::Author::system("test"))
    .of_organization(&scope.organization_id)
    .entry();
    db.store.create_endpoint(&row, &audit).await.unwrap();
    row
}

async fn event(db: &TestDb, scope: &Scope, event_type: &str, at: i64) -> (String, Vec<String>) {
    let id = make_id(prefix::EVENT, at, rand::random());
    let payload =
        serde_json::json!({"id": id, "type": event_type, "data": {"n": rand::random::<u32>()}}).to_string();
    let deliveries = db
        .store
        .record_event(&NewEvent {
            id: id.clone(),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            event_type: event_type.into(),
            connection_id: None,
            payload,
            created_at: at,
            only_endpoint: None,
            lease: None,
        })
        .await
        .unwrap();
    (id, deliveries)
}

fn query(scope: &Scope) -> DeliveryQuery {
    DeliveryQuery::new(scope.clone(), 200)
}

async fn count_status(db: &TestDb, scope: &Scope, endpoint: &str, status: &str) -> usize {
    let q = DeliveryQuery {
        endpoint_id: Some(endpoint.into()),
        status: Some(switchboard::domain::DeliveryStatus::parse(status).expect("a delivery status")),
        ..query(scope)
    };
    db.store.list_deliveries(&q).await.unwrap().len()
}

/// Polls `check` every 25 ms until it holds, or fails after `limit`.
fn run_engine(
    db: &TestDb,
    clock: Arc<dyn Clock>,
    s: DeliverySettings,
) -> (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let engine = Engine::new(db.store.clone(), clock, s);
    (stop, tokio::spawn(engine.run(stopped)))
}

#[tokio::test]
async fn events_reach_subscribed_endpoints_signed_and_verified_across_a_rotation() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        let all = endpoint(&db, &scope, &rx.url("all"), &["*"], true).await;
        let syncs = endpoint(&db, &scope, &rx.url("syncs"), &["sync.completed"], true).await;
        let off = endpoint(&db, &scope, &rx.url("off"), &["*"], false).await;
        rx.secrets.lock().unwrap().extend([all.secret.clone(), syncs.secret.clone()]);
        let now = now_ms();
        for i in 0..5 {
            let (_, d) = event(&db, &scope, "sync.completed", now + i).await;
            assert_eq!(d.len(), 2, "{}: sync.completed goes to both subscribed endpoints", db.name);
        }
        for i in 0..3 {
            let (_, d) = event(&db, &scope, "backfill.completed", now + 10 + i).await;
            assert_eq!(d.len(), 1, "{}: only the all-events endpoint takes backfill.completed", db.name);
        }
        assert_eq!(
            count_status(&db, &scope, &off.id, "pending").await,
            0,
            "{}: disabled gets nothing",
            db.name
        );

        let (stop, engine) = run_engine(&db, Arc::new(SystemClock), settings(&[50, 50, 50]));
        wait_until("13 deliveries", Duration::from_secs(30), || async {
            count_status(&db, &scope, &all.id, "delivered").await == 8
                && count_status(&db, &scope, &syncs.id, "delivered").await == 5
        })
        .await;
        assert_eq!((rx.count("all"), rx.count("syncs")), (8, 5), "{}", db.name);
        {
            let rec = rx.received.lock().unwrap();
            assert!(rec.unverified.is_empty(), "{}: unverified {:?}", db.name, rec.unverified);
        }
        // Every attempt is recorded with the headers that were sent.
        let rows = db
            .store
            .list_deliveries(&DeliveryQuery { endpoint_id: Some(all.id.clone()), ..query(&scope) })
            .await
            .unwrap();
        let attempts = db.store.delivery_attempts(&rows[0].delivery.id).await.unwrap();
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].response_status, Some(200));
        assert!(attempts[0].request_headers.as_deref().unwrap().contains("v1,"));
        assert_eq!(rows[0].delivery.status_class.as_deref(), Some("2xx"));

        // Rotate: for 24 hours both secrets sign, so a receiver that knows either verifies.
        let new_secret = signing::generate_secret();
        let audit = switchboard::server::audit::Audit::new(
            switchboard::domain::AuditAction::WebhookEndpointUpdate,
            "webhook_endpoint",
            "x",
            crate::helpers::now_ms(),
        )
        .by(&switchboard::server::actor::Author::system("t"))
        .of_organization(&scope.organization_id)
        .entry();
        assert!(db
            .store
            .rotate_secret(&scope, &all.id, &new_secret, now_ms() + 86_400_000, now_ms(), &audit)
            .await
            .unwrap());
        *rx.secrets.lock().unwrap() = vec![all.secret.clone(), new_secret.clone()];
        rx.received.lock().unwrap().verified_with.clear();
        event(&db, &scope, "backfill.completed", now_ms()).await;
        wait_until("the delivery after rotation", Duration::from_secs(30), || async {
            count_status(&db, &scope, &all.id, "delivered").await == 9
        })
        .await;
        assert_eq!(
            rx.received.lock().unwrap().verified_with,
            vec![vec![0, 1]],
            "{}: both secrets verify",
            db.name
        );

        // The library refuses a tampered body and an old timestamp.
        let (headers, body) = rx.received.lock().unwrap().sample.clone().unwrap();
        let wh = standardwebhooks::Webhook::new(&all.secret).unwrap();
        assert!(wh.verify(&body, &headers).is_ok());
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        assert!(wh.verify(&tampered, &headers).is_err(), "a tampered body fails");
        let id = headers["webhook-id"].to_str().unwrap().to_string();
        let old = chrono::Utc::now().timestamp() - 600;
        let mut stale = headers.clone();
        stale.insert("webhook-timestamp", old.to_string().parse().unwrap());
        stale.insert("webhook-signature", signing::sign(&all.secret, &id, old, &body).parse().unwrap());
        assert!(wh.verify(&body, &stale).is_err(), "a timestamp ten minutes old fails");

        let _ = stop.send(true);
        engine.await.unwrap();
        rx.task.abort();
    }
}

#[tokio::test]
async fn a_receiver_that_is_down_failing_or_slow_gets_every_event_once_it_recovers() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        // Reserve a port and leave it closed: connection refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let url = format!("http://{port}/in");
        // Not `*`: its failures open an issue, whose `issue.*` events would be delivered too.
        let ep = endpoint(&db, &scope, &url, &["sync.completed"], true).await;
        let now = now_ms();
        let mut ids = vec![];
        for i in 0..10 {
            ids.push(event(&db, &scope, "sync.completed", now + i).await.0);
        }
        let (stop, engine) = run_engine(&db, Arc::new(SystemClock), settings(&[150; 40]));
        wait_until("refused attempts", Duration::from_secs(30), || async {
            count_status(&db, &scope, &ep.id, "retrying").await == 10
        })
        .await;
        // Up, but answering 500, then too slowly (timeouts), then fine.
        let rx = Receiver::start(Some(port), vec![ep.secret.clone()]).await;
        rx.mode.store(FAIL_500, Ordering::SeqCst);
        wait_until("500s", Duration::from_secs(30), || async {
            rx.received.lock().unwrap().verified_with.len() >= 10
        })
        .await;
        rx.mode.store(SLOW, Ordering::SeqCst);
        wait_until("timeouts", Duration::from_secs(30), || async {
            rx.received.lock().unwrap().verified_with.len() >= 20
        })
        .await;
        rx.mode.store(OK, Ordering::SeqCst);
        wait_until("every event delivered", Duration::from_secs(60), || async {
            count_status(&db, &scope, &ep.id, "delivered").await == 10
        })
        .await;
        let _ = stop.send(true);
        engine.await.unwrap();
        {
            let rec = rx.received.lock().unwrap();
            assert!(rec.unverified.is_empty(), "{}", db.name);
            let got = &rec.by_path["in"];
            for id in &ids {
                assert!(got.contains_key(id), "{}: {id} never arrived", db.name);
            }
        }
        // The attempts tell the story: refused, 500, timeout, then 200.
        let rows = db.store.list_deliveries(&query(&scope)).await.unwrap();
        let mut kinds = std::collections::BTreeSet::new();
        for r in &rows {
            let attempts = db.store.delivery_attempts(&r.delivery.id).await.unwrap();
            assert!(attempts.len() >= 2, "{}: {} had {} attempts", db.name, r.delivery.id, attempts.len());
            assert_eq!(attempts.last().unwrap().response_status, Some(200));
            kinds.extend(attempts.iter().filter_map(|a| a.failure.clone()));
            let numbers: Vec<i64> = attempts.iter().map(|a| a.attempt_number).collect();
            assert_eq!(
                numbers,
                (1..=attempts.len() as i64).collect::<Vec<_>>(),
                "{}: numbered in order",
                db.name
            );
        }
        for k in ["connection_refused", "non_2xx", "timeout"] {
            assert!(kinds.contains(k), "{}: no {k} attempt among {kinds:?}", db.name);
        }
        rx.task.abort();
    }
}

#[tokio::test]
async fn gone_or_five_days_of_failures_disable_the_endpoint_with_an_event() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        rx.mode.store(GONE, Ordering::SeqCst);
        let watcher =
            endpoint(&db, &scope, "https://watcher.example.com/in", &["endpoint.disabled"], true).await;
        let gone = endpoint(&db, &scope, &rx.url("gone"), &["sync.completed"], true).await;
        event(&db, &scope, "sync.completed", now_ms()).await;
        let clock = Arc::new(ManualClock::new(now_ms()));
        let (stop, engine) = run_engine(&db, clock.clone(), settings(&[50, 50]));
        wait_until("410 to disable the endpoint", Duration::from_secs(30), || async {
            !db.store.get_endpoint(&scope, &gone.id).await.unwrap().unwrap().enabled
        })
        .await;
        let row = db.store.get_endpoint(&scope, &gone.id).await.unwrap().unwrap();
        assert_eq!(row.disabled_kind.as_deref(), Some("automatic"));
        assert!(row.disabled_reason.unwrap().contains("410"));
        // The watcher was told (its delivery is queued; its host does not resolve here).
        let told = db
            .store
            .list_deliveries(&DeliveryQuery { endpoint_id: Some(watcher.id.clone()), ..query(&scope) })
            .await
            .unwrap();
        assert_eq!(told.len(), 1, "{}", db.name);
        assert_eq!(told[0].delivery.event_type, "endpoint.disabled");

        // Failing for five days: 500s, time moves on, and the next failure disables it.
        rx.mode.store(FAIL_500, Ordering::SeqCst);
        let failing = endpoint(&db, &scope, &rx.url("failing"), &["sync.completed"], true).await;
        event(&db, &scope, "sync.completed", clock.now_ms()).await;
        wait_until("a failed attempt", Duration::from_secs(30), || async {
            db.store.get_endpoint(&scope, &failing.id).await.unwrap().unwrap().failing_since.is_some()
        })
        .await;
        assert!(db.store.get_endpoint(&scope, &failing.id).await.unwrap().unwrap().enabled);
        clock.advance(5 * 86_400_000 + 1_000);
        event(&db, &scope, "sync.completed", clock.now_ms()).await;
        wait_until("five days of failures to disable it", Duration::from_secs(30), || async {
            !db.store.get_endpoint(&scope, &failing.id).await.unwrap().unwrap().enabled
        })
        .await;
        let row = db.store.get_endpoint(&scope, &failing.id).await.unwrap().unwrap();
        assert!(row.disabled_reason.unwrap().contains("5 days"), "{}", db.name);
        // Its queued deliveries ended with it; nothing more is attempted.
        assert_eq!(count_status(&db, &scope, &failing.id, "retrying").await, 0);
        assert_eq!(count_status(&db, &scope, &failing.id, "pending").await, 0);
        let _ = stop.send(true);
        engine.await.unwrap();
        rx.task.abort();
    }
}

#[tokio::test]
async fn leases_give_each_delivery_to_one_process_and_busy_endpoints_never_fill_the_slots() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        let busy = endpoint(&db, &scope, "https://busy.example.com/in", &["sync.completed"], true).await;
        let quiet =
            endpoint(&db, &scope, "https://quiet.example.com/in", &["backfill.completed"], true).await;
        let now = now_ms();
        for i in 0..40 {
            event(&db, &scope, "sync.completed", now - 1_000 + i).await;
        }
        event(&db, &scope, "backfill.completed", now).await;
        let t = now + 1;
        // At most 4 of one endpoint per claim; with that endpoint busy (left out), the next
        // claim reaches the quiet endpoint behind its backlog.
        let a = db.store.claim_deliveries("a", t, 60_000, &ClaimLimits::new(10, 4)).await.unwrap();
        assert_eq!(a.iter().filter(|d| d.endpoint_id == busy.id).count(), 4, "{}", db.name);
        let a2 = db
            .store
            .claim_deliveries(
                "a",
                t,
                60_000,
                &ClaimLimits { busy_endpoints: vec![busy.id.clone()], ..ClaimLimits::new(10, 4) },
            )
            .await
            .unwrap();
        assert_eq!(a2.len(), 1, "{}", db.name);
        assert_eq!(a2[0].endpoint_id, quiet.id, "{}", db.name);
        // Another process never gets what "a" holds.
        let b = db.store.claim_deliveries("b", t, 60_000, &ClaimLimits::new(100, 100)).await.unwrap();
        assert_eq!(b.len(), 36, "{}", db.name);
        assert!(b.iter().all(|d| !a.iter().any(|x| x.id == d.id)));
        assert!(db
            .store
            .claim_deliveries("c", t, 60_000, &ClaimLimits::new(100, 100))
            .await
            .unwrap()
            .is_empty());
        // A lease that expired is taken over; the old holder's outcome is then ignored.
        let c =
            db.store.claim_deliveries("c", t + 60_001, 60_000, &ClaimLimits::new(100, 100)).await.unwrap();
        assert_eq!(c.len(), 41, "{}", db.name);
        let result = switchboard::server::webhooks::delivery::AttemptResult {
            status: Some(200),
            latency_ms: 1,
            body: None,
            failure: None,
            retry_after: None,
            headers: serde_json::json!({}),
        };
        let outcome =
            |owner: &str, id: &str, endpoint: &str| switchboard::server::store::webhooks::DeliveryOutcome {
                delivery_id: id.into(),
                endpoint_id: endpoint.into(),
                owner: owner.into(),
                attempt: switchboard::server::webhooks::delivery::attempt_row(id, &result, t),
                status: switchboard::domain::DeliveryStatus::Delivered,
                next_attempt_at: None,
                gone: false,
            };
        let stale = outcome("a", &a[0].id, &a[0].endpoint_id);
        let fresh = outcome("c", &a[1].id, &a[1].endpoint_id);
        db.store.complete_deliveries(&[stale, fresh], t + 60_002, 5 * 86_400_000).await.unwrap();
        assert!(
            db.store.delivery_attempts(&a[0].id).await.unwrap().is_empty(),
            "{}: lost lease writes nothing",
            db.name
        );
        assert_eq!(db.store.delivery_attempts(&a[1].id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn recovery_requeues_failed_deliveries_and_events_missed_while_disabled() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        let ep = endpoint(&db, &scope, "https://r.example.com/in", &["sync.completed"], true).await;
        let now = now_ms();
        let (_, d) = event(&db, &scope, "sync.completed", now - 5_000).await;
        // It failed for good.
        let claimed = db.store.claim_deliveries("p", now, 60_000, &ClaimLimits::new(10, 10)).await.unwrap();
        let failed = switchboard::server::webhooks::delivery::AttemptResult {
            status: Some(500),
            latency_ms: 3,
            body: Some("boom".into()),
            failure: Some(("non_2xx", "The endpoint answered 500.".into())),
            retry_after: None,
            headers: serde_json::json!({}),
        };
        db.store
            .complete_deliveries(
                &[switchboard::server::store::webhooks::DeliveryOutcome {
                    delivery_id: d[0].clone(),
                    endpoint_id: ep.id.clone(),
                    owner: "p".into(),
                    attempt: switchboard::server::webhooks::delivery::attempt_row(&d[0], &failed, now),
                    status: switchboard::domain::DeliveryStatus::Failed,
                    next_attempt_at: None,
                    gone: false,
                }],
                now,
                5 * 86_400_000,
            )
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        // Disabled, it misses two events; a third type it never subscribed to does not count.
        let audit = || {
            switchboard::server::audit::Audit::new(
                switchboard::domain::AuditAction::WebhookEndpointUpdate,
                "webhook_endpoint",
                "x",
                crate::helpers::now_ms(),
            )
            .by(&switchboard::server::actor::Author::system("t"))
            .of_organization(&scope.organization_id)
            .entry()
        };
        assert!(db
            .store
            .set_endpoint_enabled(&scope, &ep.id, false, Some("maintenance"), now, &audit())
            .await
            .unwrap());
        event(&db, &scope, "sync.completed", now + 10).await;
        event(&db, &scope, "sync.completed", now + 20).await;
        event(&db, &scope, "backfill.completed", now + 30).await;
        assert!(db.store.set_endpoint_enabled(&scope, &ep.id, true, None, now, &audit()).await.unwrap());
        let since = now - 60_000;
        assert_eq!(db.store.recoverable(&scope, &ep.id, since, 10_000).await.unwrap(), (1, 2), "{}", db.name);
        assert_eq!(
            db.store.recoverable(&scope, &ep.id, since, 1).await.unwrap(),
            (1, 1),
            "{}: bounded",
            db.name
        );
        let n = db.store.recover(&scope, &ep.id, since, now, 10_000, &audit()).await.unwrap();
        assert_eq!(n, 3, "{}", db.name);
        assert_eq!(db.store.queued_deliveries(&scope, &ep.id, 100).await.unwrap(), 3);
        assert_eq!(
            db.store.recoverable(&scope, &ep.id, since, 10_000).await.unwrap(),
            (0, 0),
            "{}: nothing twice",
            db.name
        );
    }
}

/// `switchboard serve`, which delivers webhooks beside serving pages.
fn spawn_server(db: &TestDb) -> std::process::Child {
    let env = [
        ("SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS", "true"),
        ("SWITCHBOARD_WEBHOOK_LEASE_MS", "1500"),
        ("SWITCHBOARD_WEBHOOK_TIMEOUT_MS", "3000"),
        ("SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE", "100ms,100ms,100ms,100ms,100ms"),
    ];
    helpers::spawn_switchboard(db, &["serve"], &env).0
}

#[tokio::test]
async fn kill_9_with_deliveries_in_flight_loses_no_event() {
    for db in helpers::all().await {
        let scope = org(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        rx.mode.store(SLOW, Ordering::SeqCst); // 1.5 s per answer: many in flight at the kill
        let ep = endpoint(&db, &scope, &rx.url("in"), &["*"], true).await;
        rx.secrets.lock().unwrap().push(ep.secret.clone());
        let now = now_ms();
        let mut ids = vec![];
        for i in 0..300 {
            ids.push(event(&db, &scope, "sync.completed", now + i).await.0);
        }
        let mut first = spawn_server(&db);
        wait_until("deliveries in flight", Duration::from_secs(60), || async {
            rx.received.lock().unwrap().verified_with.len() >= 20
        })
        .await;
        first.kill().unwrap(); // SIGKILL: leases and unwritten outcomes left behind.
        first.wait().unwrap();
        let delivered = count_status(&db, &scope, &ep.id, "delivered").await;
        assert!(delivered < 300, "{}: the kill came too late to prove anything", db.name);
        rx.mode.store(OK, Ordering::SeqCst);
        let mut second = spawn_server(&db);
        wait_until("every delivery", Duration::from_secs(120), || async {
            db.store.queued_deliveries(&scope, &ep.id, 1_000).await.unwrap() == 0
        })
        .await;
        second.kill().unwrap();
        second.wait().unwrap();
        {
            let rec = rx.received.lock().unwrap();
            assert!(rec.unverified.is_empty(), "{}", db.name);
            let got = &rec.by_path["in"];
            let missing: Vec<_> = ids.iter().filter(|id| !got.contains_key(*id)).collect();
            assert!(missing.is_empty(), "{}: {} events never arrived", db.name, missing.len());
        }
        let mut all = vec![];
        let mut q = DeliveryQuery { endpoint_id: Some(ep.id.clone()), ..query(&scope) };
        loop {
            let page = db.store.list_deliveries(&q).await.unwrap();
            let last = page.last().map(|r| r.delivery.id.clone());
            let more = page.len() == 200;
            all.extend(page);
            match (last, more) {
                (Some(l), true) => q.page = Page::Before(l),
                _ => break,
            }
        }
        assert_eq!(all.len(), 300, "{}: one delivery per event", db.name);
        assert!(all.iter().all(|r| r.delivery.status == "delivered"), "{}", db.name);
        rx.task.abort();
    }
}

async fn call(app: &axum::Router, path: &str, form: &str, cookie: &str) -> (StatusCode, String) {
    let mut req = post_form(path, form, Some(cookie), Some(&format!("http://{HOST}")));
    req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = send(app, req).await;
    let status = res.status();
    (status, body(res).await)
}

#[tokio::test]
async fn endpoint_changes_follow_roles_and_name_the_problem() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        let url = switchboard::url::encode_component(&rx.url("hook"));
        let viewer = sign_in(&app, "viewer@acme.test").await;
        let dev = sign_in(&app, "dev@acme.test").await;
        let admin = sign_in(&app, "admin@acme.test").await;
        let staff = sign_in(&app, "support@switchboard.test").await;
        let create =
            format!("url={url}&description=orders&types[0]=sync.completed&types[5]=backfill.completed");

        let (s, b) = call(&app, "/api/save_webhook_endpoint", &create, &viewer).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}: {b}", db.name);
        assert!(b.contains("Viewers"), "{b}");
        for (form, needle) in [
            ("url=ftp%3A%2F%2Fx.example.com&all=1", "URL:"),
            ("url=not+a+url&all=1", "not a URL"),
            (&*format!("url={url}"), "Event types:"),
            (&*format!("url={url}&types[0]=sync.exploded"), "sync.exploded"),
            (&*format!("url={url}&all=1&description={}", "d".repeat(201)), "Description:"),
        ] {
            let (s, b) = call(&app, "/api/save_webhook_endpoint", form, &dev).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{}: {form}: {b}", db.name);
            assert!(b.contains(needle), "{}: {form}: {b}", db.name);
        }
        let (s, id) = call(&app, "/api/save_webhook_endpoint", &create, &dev).await;
        assert_eq!(s, StatusCode::OK, "{}: {id}", db.name);
        let id: String = serde_json::from_str(&id).unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let row = db.store.get_endpoint(&scope, &id).await.unwrap().unwrap();
        assert_eq!(row.event_types, r#"["backfill.completed","sync.completed"]"#);
        rx.secrets.lock().unwrap().push(row.secret.clone());

        // Secrets: owners and admins only, audited; never developers or staff.
        let (s, _) = call(&app, "/api/reveal_webhook_secret", &format!("id={id}"), &dev).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, b) = call(&app, "/api/reveal_webhook_secret", &format!("id={id}"), &staff).await;
        assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{}: staff {s} {b}", db.name);
        assert!(!b.contains(&row.secret));
        let (s, b) = call(&app, "/api/reveal_webhook_secret", &format!("id={id}"), &admin).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert!(b.contains(&row.secret));
        let audit = db.store.list_audit(&acme.id, 20).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.action == "webhook_endpoint.reveal_secret" && a.actor_email == "admin@acme.test"));

        // A test event: sent now, verified by the receiver, its result returned.
        let (s, b) = call(&app, "/api/send_webhook_test", &format!("id={id}"), &dev).await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        assert!(b.contains("\"status\":200"), "{b}");
        assert_eq!(rx.count("hook"), 1);
        assert!(rx.received.lock().unwrap().unverified.is_empty());
        // A private address is refused when the server does not allow them: checked by
        // `destination` unit tests; here the endpoint's URL is loopback, allowed in tests.

        // Viewers and staff cannot resend; developers can.
        let delivery = db
            .store
            .list_deliveries(&DeliveryQuery { endpoint_id: Some(id.clone()), ..query(&scope) })
            .await
            .unwrap()
            .remove(0);
        let (s, _) =
            call(&app, "/api/resend_webhook_delivery", &format!("id={}", delivery.delivery.id), &viewer)
                .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, b) =
            call(&app, "/api/resend_webhook_delivery", &format!("id={}", delivery.delivery.id), &dev).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(db.store.queued_deliveries(&scope, &id, 10).await.unwrap(), 1);

        // Disable, enable, delete: each audited; the history stays readable.
        for (path, form) in [
            ("/api/set_webhook_endpoint_enabled", format!("id={id}&enabled=false")),
            ("/api/set_webhook_endpoint_enabled", format!("id={id}&enabled=true")),
            ("/api/rotate_webhook_secret", format!("id={id}")),
            ("/api/delete_webhook_endpoint", format!("id={id}")),
        ] {
            let who = if path.contains("rotate") { &admin } else { &dev };
            let (s, b) = call(&app, path, &form, who).await;
            assert_eq!(s, StatusCode::OK, "{}: {path}: {b}", db.name);
        }
        let row = db.store.get_endpoint(&scope, &id).await.unwrap().unwrap();
        assert!(row.deleted_at.is_some() && row.previous_secret.is_some());
        assert!(db.store.get_delivery(&scope, &delivery.delivery.id).await.unwrap().is_some());
        let actions: Vec<String> = db
            .store
            .list_audit(&acme.id, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action.to_string())
            .collect();
        for a in [
            "webhook_endpoint.create",
            "webhook_endpoint.disable",
            "webhook_endpoint.enable",
            "webhook_endpoint.rotate_secret",
            "webhook_endpoint.delete",
            "webhook_delivery.resend",
        ] {
            assert!(actions.iter().any(|x| x == a), "{}: {a} not audited", db.name);
        }
        rx.task.abort();
    }
}

#[tokio::test]
async fn private_destinations_are_refused_unless_allowed() {
    use switchboard::server::store::webhooks::ClaimedDelivery;
    use switchboard::server::webhooks::delivery::attempt;
    let rx = Receiver::start(None, vec![]).await;
    let strict = DeliverySettings::standard(false);
    let client = switchboard::server::webhooks::delivery::http_client(&strict);
    let d = ClaimedDelivery {
        id: "dlv_x".into(),
        event_id: "evt_x".into(),
        organization_id: "org_x".into(),
        endpoint_id: "ep_x".into(),
        url: rx.url("in"),
        secret: signing::generate_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        payload: "{}".into(),
        attempt_count: 0,
        round_attempts: 0,
    };
    let r = attempt(&client, false, &d, now_ms()).await;
    assert_eq!(r.failure.as_ref().map(|f| f.0), Some("blocked"), "{:?}", r.failure);
    // So is a host name for loopback.
    let by_name = ClaimedDelivery { url: format!("https://localhost.:{}/in", rx.addr.port()), ..d.clone() };
    let r = attempt(&client, false, &by_name, now_ms()).await;
    assert!(matches!(r.failure.as_ref().map(|f| f.0), Some("blocked")), "{:?}", r.failure);
    assert_eq!(rx.count("in"), 0);
    let open = switchboard::server::webhooks::delivery::http_client(&DeliverySettings::standard(true));
    let r = attempt(&open, true, &d, now_ms()).await;
    assert_eq!(r.status, Some(200));
    rx.task.abort();
}

#[tokio::test]
async fn signing_secrets_are_sealed_at_rest() {
    // Every test store seals with `helpers::TEST_KEY`.
    for db in helpers::all().await {
        let scope = org(&db).await;
        let ep = endpoint(&db, &scope, "https://sealed.example.com/in", &["*"], true).await;
        let rotated = signing::generate_secret();
        let audit = switchboard::server::audit::Audit::new(
            switchboard::domain::AuditAction::WebhookEndpointUpdate,
            "webhook_endpoint",
            "x",
            crate::helpers::now_ms(),
        )
        .by(&switchboard::server::actor::Author::system("t"))
        .of_organization(&scope.organization_id)
        .entry();
        db.store.rotate_secret(&scope, &ep.id, &rotated, now_ms() + 1_000, now_ms(), &audit).await.unwrap();
        let raw = helpers::raw_contents(&db).await;
        for secret in [&ep.secret, &rotated] {
            let body = secret.trim_start_matches("whsec_");
            assert!(!raw.contains(body), "{}: a signing secret is stored in plain text", db.name);
        }
        let row = db.store.get_endpoint(&scope, &ep.id).await.unwrap().unwrap();
        assert_eq!(
            (row.secret.as_str(), row.previous_secret.as_deref()),
            (rotated.as_str(), Some(ep.secret.as_str()))
        );
        event(&db, &scope, "sync.completed", now_ms()).await;
        let claimed =
            db.store.claim_deliveries("s", now_ms() + 1, 1_000, &ClaimLimits::new(10, 10)).await.unwrap();
        assert_eq!(claimed[0].secret, rotated, "{}: the engine signs with the opened secret", db.name);
    }
}

/// One organization's endpoints are tarpits (they accept the connection and never answer);
/// another organization's delivery still goes out at once, because the first holds at most its
/// share of the slots. Without the share, the tarpits would hold every slot until the timeout
/// (a minute here), and the check below would run out of time.
#[tokio::test]
async fn an_organization_of_tarpits_holds_its_share_of_the_slots_not_all() {
    for db in helpers::all().await {
        let tarpit = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tarpit_addr = tarpit.local_addr().unwrap();
        let held = Arc::new(Mutex::new(vec![]));
        let hold = held.clone();
        let tarpit_task = tokio::spawn(async move {
            while let Ok((conn, _)) = tarpit.accept().await {
                hold.lock().unwrap().push(conn);
            }
        });
        let flood = org(&db).await;
        let quiet = org(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        let now = now_ms();
        for n in 0..6 {
            endpoint(&db, &flood, &format!("http://{tarpit_addr}/t{n}"), &["sync.completed"], true).await;
        }
        for i in 0..60 {
            event(&db, &flood, "sync.completed", now - 10_000 + i).await;
        }
        let (settings_concurrency, per_organization) = (8, 4);
        let s = DeliverySettings {
            concurrency: settings_concurrency,
            per_endpoint: 8,
            per_organization,
            timeout: Duration::from_secs(60),
            lease: Duration::from_secs(120),
            ..settings(&[1_000])
        };
        let (stop, engine) = run_engine(&db, Arc::new(SystemClock), s);
        // The flood's attempts are in flight (held by the tarpit) before the quiet one's event.
        wait_until("the tarpit holds the flood's attempts", Duration::from_secs(20), || {
            let held = held.clone();
            async move { held.lock().unwrap().len() >= per_organization }
        })
        .await;
        let quiet_ep = endpoint(&db, &quiet, &rx.url("quiet"), &["sync.completed"], true).await;
        let (id, _) = event(&db, &quiet, "sync.completed", now_ms()).await;
        switchboard::server::webhooks::delivery::wake();
        wait_until("the quiet organization's delivery arrives", Duration::from_secs(20), || {
            let n = rx
                .received
                .lock()
                .unwrap()
                .by_path
                .get("quiet")
                .map(|m| m.contains_key(&id))
                .unwrap_or(false);
            async move { n }
        })
        .await;
        assert_eq!(count_status(&db, &quiet, &quiet_ep.id, "delivered").await, 1, "{}", db.name);
        assert!(
            held.lock().unwrap().len() <= per_organization,
            "{}: the flood held {} connections at once, more than its share",
            db.name,
            held.lock().unwrap().len()
        );
        let _ = stop.send(true);
        engine.abort();
        tarpit_task.abort();
        rx.task.abort();
    }
}

#[tokio::test]
async fn an_endpoint_is_an_issue_at_its_fourth_failure_in_a_row_and_resolves_at_its_next_success() {
    use switchboard::domain::issues::{IssueKind, IssueSeverity, IssueStatus};
    use switchboard::server::store::issues::IssueQuery;
    for db in helpers::all().await {
        let scope = org(&db).await;
        let rx = Receiver::start(None, vec![]).await;
        rx.mode.store(FAIL_500, Ordering::SeqCst);
        let ep = endpoint(&db, &scope, &rx.url("flaky"), &["sync.completed"], true).await;
        let issues = || async {
            let q = IssueQuery { scope: Some(scope.clone()), limit: 50, ..Default::default() };
            db.store.list_issues(&q).await.unwrap()
        };
        let clock = Arc::new(ManualClock::new(now_ms()));
        // Long retry intervals: each event gets its first attempt only.
        let (stop, engine) = run_engine(&db, clock.clone(), settings(&[3_600_000]));
        for n in 1..=3 {
            event(&db, &scope, "sync.completed", clock.now_ms()).await;
            wait_until("a failed attempt", Duration::from_secs(30), || async {
                count_status(&db, &scope, &ep.id, "retrying").await == n
            })
            .await;
        }
        assert!(issues().await.is_empty(), "{}: three failures are not an issue yet", db.name);
        event(&db, &scope, "sync.completed", clock.now_ms()).await;
        wait_until("the fourth failure", Duration::from_secs(30), || async { !issues().await.is_empty() })
            .await;
        let issue = issues().await.remove(0);
        assert_eq!(
            (issue.kind, issue.severity),
            (IssueKind::EndpointFailing, IssueSeverity::Error),
            "{}",
            db.name
        );
        assert_eq!(issue.endpoint_id.as_deref(), Some(ep.id.as_str()));
        assert!(
            issue.summary.contains("keep failing")
                && issue.summary.contains("HTTP 500")
                && issue.occurrences == 4,
            "{}",
            issue.summary
        );
        // The receiver recovers; the retries succeed; the issue resolves by itself.
        rx.mode.store(OK, Ordering::SeqCst);
        clock.advance(3_600_000 + 1_000);
        wait_until("a delivered retry", Duration::from_secs(30), || async {
            count_status(&db, &scope, &ep.id, "delivered").await > 0
        })
        .await;
        wait_until("the issue to resolve", Duration::from_secs(30), || async {
            issues().await[0].status == IssueStatus::Resolved
        })
        .await;
        let _ = stop.send(true);
        engine.await.unwrap();
        rx.task.abort();
    }
}
