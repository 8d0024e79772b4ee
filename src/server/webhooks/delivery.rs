//! The delivery engine. It runs inside `serve` and in every `switchboard worker` process; any
//! number of them share one database (see `store::webhooks` for the queue and its leases).
//!
//! One loop claims due deliveries while it has free slots and attempts each in its own task. A
//! delivery waits for its endpoint's turn (at most `per_endpoint` attempts to one endpoint at
//! once per process, and an endpoint at that limit is left out of the next claims), and the same
//! for its organization (`per_organization`), so one slow or failing endpoint holds a few slots
//! and one organization's tarpits a quarter of them, never all. Outcomes go to a single writer task
//! that records them in batches, one transaction per batch: with SQLite's single writer, a
//! transaction per attempt would cap throughput far below what endpoints can take.

use super::destination::{BlockedAddress, DnsFailure, GuardedResolver};
use super::signing::signature_header;
use crate::domain::DeliveryStatus;
use crate::server::clock::Clock;
use crate::server::store::webhooks::{ClaimLimits, ClaimedDelivery, DeliveryOutcome, WebhookAttemptRow};
use crate::server::store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Notify, Semaphore};

/// Response bodies are kept up to this size.
pub const BODY_LIMIT: usize = 4_096;
/// `Retry-After` is honoured up to this long.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);
const DAY: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Waits before the 2nd, 3rd, … attempt; the first is immediate. Its length + 1 attempts in all.
    pub schedule: Vec<Duration>,
    /// Each wait is multiplied by a random factor in `1 ± jitter`.
    pub jitter: f64,
    pub timeout: Duration,
    /// Attempts in flight in this process.
    pub concurrency: usize,
    /// Attempts in flight to one endpoint in this process.
    pub per_endpoint: usize,
    /// Attempts in flight to one organization's endpoints in this process, so an organization
    /// whose endpoints all time out holds a quarter of the slots, not all of them.
    pub per_organization: usize,
    /// How long a claim lasts: it must outlast a wait for the endpoint's turn plus a timeout.
    pub lease: Duration,
    /// How often to look for due deliveries when nothing woke the loop.
    pub poll: Duration,
    pub allow_private: bool,
    /// An endpoint failing this long without a success is disabled.
    pub disable_after: Duration,
    /// This machine's name, the first part of the engine's lease owner.
    pub host: String,
    /// An outbound proxy named in the configuration (`SWITCHBOARD_WEBHOOK_PROXY`). Without one,
    /// `HTTP(S)_PROXY` in the environment is ignored: through a proxy the proxy resolves the
    /// name, and the guarded resolver's check of the address would never run.
    pub proxy: Option<String>,
}

impl DeliverySettings {
    /// The production schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    pub fn standard(allow_private: bool) -> Self {
        let m = |mins: u64| Duration::from_secs(mins * 60);
        DeliverySettings {
            schedule: vec![Duration::from_secs(5), m(5), m(30), m(120), m(300), m(600), m(600)],
            jitter: 0.1,
            timeout: Duration::from_secs(15),
            concurrency: 64,
            per_endpoint: 8,
            per_organization: 16,
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(200),
            allow_private,
            disable_after: 5 * DAY,
            host: "local".into(),
            proxy: None,
        }
    }

    /// Parses `SWITCHBOARD_WEBHOOK_RETRY_SCHEDULE` (waits such as `1s,2s,500ms`; tests shorten
    /// the schedule with it).
    pub fn parse_schedule(raw: &str) -> Result<Vec<Duration>, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                let (num, unit) =
                    s.find(|c: char| !c.is_ascii_digit()).map(|i| s.split_at(i)).unwrap_or((s, "ms"));
                let n: u64 =
                    num.parse().map_err(|_| format!("{s:?} is not a duration such as 500ms, 5s or 2m"))?;
                Ok(match unit {
                    "ms" => Duration::from_millis(n),
                    "s" => Duration::from_secs(n),
                    "m" => Duration::from_secs(n * 60),
                    "h" => Duration::from_secs(n * 3600),
                    _ => return Err(format!("{s:?} is not a duration such as 500ms, 5s or 2m")),
                })
            })
            .collect()
    }
}

/// Wakes the engines of this process at once (an event was just recorded, a delivery resent)
/// instead of at their next poll. Process-wide, because events are recorded in many places
/// (finishing a sync run, cancelling a backfill, an endpoint disabled) that have no handle on
/// the engine; engines in other processes find the work at their next poll.
static WAKE: std::sync::LazyLock<Notify> = std::sync::LazyLock::new(Notify::new);

pub fn wake() {
    WAKE.notify_one();
}

/// The HTTP client every attempt uses: no redirects followed (a redirect is a failed attempt,
/// and following it could reach an internal address), the guarded resolver, the timeout.
pub fn http_client(settings: &DeliverySettings) -> reqwest::Client {
    let builder = match settings.proxy.as_deref().map(reqwest::Proxy::all) {
        Some(Ok(proxy)) => reqwest::Client::builder().proxy(proxy),
        // Checked when the configuration was read; never fall back to the environment's.
        Some(Err(_)) | None => reqwest::Client::builder().no_proxy(),
    };
    builder
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
        .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
        .user_agent("Switchboard-Webhooks/1.0")
        .pool_max_idle_per_host(settings.per_endpoint.max(1))
        .build()
        .expect("the webhook HTTP client's settings are valid")
}

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub body: Option<String>,
    /// Failure kind and detail; `None` for a 2xx.
    pub failure: Option<(&'static str, String)>,
    pub retry_after: Option<Duration>,
    pub headers: serde_json::Value,
}

impl AttemptResult {
    pub fn succeeded(&self) -> bool {
        self.failure.is_none()
    }
}

/// Sends one signed attempt. `now_ms` decides whether the previous secret still signs; the
/// `webhook-timestamp` is the wall clock, which receivers check against theirs.
pub async fn attempt(
    client: &reqwest::Client,
    allow_private: bool,
    d: &ClaimedDelivery,
    now_ms: i64,
) -> AttemptResult {
    let timestamp = chrono::Utc::now().timestamp();
    let body = d.payload.as_bytes();
    let previous = match (&d.previous_secret, d.previous_secret_expires_at) {
        (Some(s), Some(exp)) => Some((s.as_str(), exp)),
        _ => None,
    };
    let signature = signature_header(&d.secret, previous, now_ms, &d.event_id, timestamp, body);
    let headers = serde_json::json!({
        "content-type": "application/json",
        "user-agent": "Switchboard-Webhooks/1.0",
        "webhook-id": d.event_id,
        "webhook-timestamp": timestamp.to_string(),
        "webhook-signature": signature,
    });
    let failed = |kind: &'static str, detail: String, latency_ms: i64| AttemptResult {
        status: None,
        latency_ms,
        body: None,
        failure: Some((kind, detail)),
        retry_after: None,
        headers: headers.clone(),
    };
    // Literal addresses never reach the resolver: check them (and the scheme) here, at every
    // attempt, since the rule may have changed since the URL was saved.
    if let Err(why) = super::destination::check_url(&d.url, allow_private) {
        return failed("blocked", why, 0);
    }
    let started = Instant::now();
    let sent = client
        .post(&d.url)
        .header("content-type", "application/json")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", &signature)
        .body(d.payload.clone())
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => {
            let (kind, detail) = classify(&e);
            return failed(kind, detail, started.elapsed().as_millis() as i64);
        }
    };
    let status = response.status();
    let retry_after =
        response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
    let mut kept = Vec::new();
    let mut body_error = None;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = BODY_LIMIT.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if kept.len() >= BODY_LIMIT {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                body_error = Some(e);
                break;
            }
        }
    }
    let latency_ms = started.elapsed().as_millis() as i64;
    let text = String::from_utf8_lossy(&kept).into_owned();
    let failure = if let Some(e) = body_error.filter(|_| status.is_success()) {
        let (kind, detail) = classify(&e);
        Some((kind, format!("The response body could not be read: {detail}")))
    } else if status.is_success() {
        None
    } else if status.is_redirection() {
        let to = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("?").to_string();
        Some((
            "non_2xx",
            format!("{status}: redirects are not followed (Location: {to}). Update the endpoint URL."),
        ))
    } else {
        Some(("non_2xx", format!("The endpoint answered {status}.")))
    };
    AttemptResult {
        status: Some(status.as_u16()),
        latency_ms,
        body: Some(text),
        failure,
        retry_after: if matches!(status.as_u16(), 429 | 503) { retry_after } else { None },
        headers,
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(RETRY_AFTER_CAP));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.timestamp_millis() - chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(wait.max(0) as u64).min(RETRY_AFTER_CAP))
}

/// A readable failure kind and detail of a request that got no response.
pub fn classify(e: &reqwest::Error) -> (&'static str, String) {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut chain = String::new();
    while let Some(s) = source {
        if let Some(b) = s.downcast_ref::<BlockedAddress>() {
            return ("blocked", b.to_string());
        }
        if let Some(d) = s.downcast_ref::<DnsFailure>() {
            return ("dns", d.to_string());
        }
        if !chain.is_empty() {
            chain.push_str(": ");
        }
        chain.push_str(&s.to_string());
        source = s.source();
    }
    let lower = chain.to_ascii_lowercase();
    if e.is_timeout() {
        ("timeout", "No response within the timeout.".to_string())
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        ("tls", chain)
    } else if lower.contains("connection refused") {
        (
            "connection_refused",
            "Connection refused: nothing is listening at that address and port.".to_string(),
        )
    } else if lower.contains("dns") {
        ("dns", chain)
    } else {
        ("connection", chain)
    }
}

/// What follows from an attempt: the delivery's new status, its next attempt, and whether the
/// endpoint asked to be disabled (410). `round_attempts` counts the attempts of this round
/// before this one; `max_attempts` of 1 is a test event, never retried.
pub fn decide(
    result: &AttemptResult,
    round_attempts: i64,
    settings: &DeliverySettings,
    now_ms: i64,
    max_attempts: Option<usize>,
) -> (DeliveryStatus, Option<i64>, bool) {
    if result.succeeded() {
        return (DeliveryStatus::Delivered, None, false);
    }
    if result.status == Some(410) {
        return (DeliveryStatus::Failed, None, true);
    }
    let made = round_attempts as usize + 1;
    let max = max_attempts.unwrap_or(settings.schedule.len() + 1);
    if made >= max || made > settings.schedule.len() {
        return (DeliveryStatus::Failed, None, false);
    }
    let base = settings.schedule[made - 1].as_millis() as f64;
    let factor =
        if settings.jitter > 0.0 { 1.0 + settings.jitter * (rand::random::<f64>() * 2.0 - 1.0) } else { 1.0 };
    let mut wait = (base * factor) as i64;
    if let Some(ra) = result.retry_after {
        wait = wait.max(ra.as_millis() as i64);
    }
    (DeliveryStatus::Retrying, Some(now_ms + wait), false)
}

/// The attempt row of a result.
pub fn attempt_row(delivery_id: &str, result: &AttemptResult, at: i64) -> WebhookAttemptRow {
    WebhookAttemptRow {
        id: crate::ids::make_id(crate::ids::prefix::ATTEMPT, at, rand::random()),
        delivery_id: delivery_id.to_string(),
        attempt_number: 0,
        attempted_at: at,
        response_status: result.status.map(i64::from),
        latency_ms: Some(result.latency_ms),
        response_body: result.body.clone(),
        failure: result.failure.as_ref().map(|f| f.0.to_string()),
        failure_detail: result.failure.as_ref().map(|f| f.1.clone()),
        request_headers: Some(result.headers.to_string()),
    }
}

pub struct Engine {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: DeliverySettings,
    client: reqwest::Client,
    owner: String,
    slots: Arc<Semaphore>,
    endpoints: Turns,
    organizations: Turns,
}

/// Attempts in flight per endpoint or per organization in this process: a delivery waits for
/// its turn, and a key at its limit is left out of the next claims.
struct Turns {
    limit: usize,
    map: Mutex<HashMap<String, (Arc<Semaphore>, usize)>>,
}

impl Turns {
    fn new(limit: usize) -> Self {
        Turns { limit: limit.max(1), map: Mutex::new(HashMap::new()) }
    }

    fn busy(&self) -> Vec<String> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().filter(|(_, (_, n))| *n >= self.limit).map(|(k, _)| k.clone()).collect()
    }

    fn turn(&self, key: &str) -> Arc<Semaphore> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(key.to_string()).or_insert_with(|| (Arc::new(Semaphore::new(self.limit)), 0));
        entry.1 += 1;
        entry.0.clone()
    }

    fn done(&self, key: &str) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = map.get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
            if entry.1 == 0 {
                map.remove(key);
            }
        }
    }
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: DeliverySettings) -> Arc<Self> {
        let host = &settings.host;
        let owner = format!("{host}:{}:{:08x}:webhooks", std::process::id(), rand::random::<u32>());
        Arc::new(Engine {
            client: http_client(&settings),
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            endpoints: Turns::new(settings.per_endpoint),
            organizations: Turns::new(settings.per_organization),
            store,
            clock,
            settings,
            owner,
        })
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Runs until `shutdown` turns true, then lets the attempts in hand finish and their
    /// outcomes be written (an attempt cut off is retried when its lease expires).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "webhook delivery started");
        let (done_tx, done_rx) = mpsc::channel::<DeliveryOutcome>(4_096);
        let writer = tokio::spawn(self.clone().write_outcomes(done_rx));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let claimed = self.clone().tick(&mut tasks, &done_tx).await;
            while tasks.try_join_next().is_some() {}
            if claimed == 0 {
                tokio::select! {
                    _ = WAKE.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        while tasks.join_next().await.is_some() {}
        drop(done_tx);
        let _ = writer.await;
        tracing::info!(owner = %self.owner, "webhook delivery stopped");
    }

    /// Claims what fits in the free slots and starts an attempt for each; returns how many.
    pub async fn tick(
        self: Arc<Self>,
        tasks: &mut tokio::task::JoinSet<()>,
        done: &mpsc::Sender<DeliveryOutcome>,
    ) -> usize {
        let free = self.slots.available_permits();
        if free == 0 {
            return 0;
        }
        let now = self.clock.now_ms();
        let claimed = match self
            .store
            .claim_deliveries(
                &self.owner,
                now,
                self.settings.lease.as_millis() as i64,
                &ClaimLimits {
                    limit: free as i64,
                    per_endpoint: self.settings.per_endpoint as i64,
                    per_organization: self.settings.per_organization as i64,
                    busy_endpoints: self.endpoints.busy(),
                    busy_organizations: self.organizations.busy(),
                },
            )
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries failed");
                return 0;
            }
        };
        let n = claimed.len();
        for d in claimed {
            let Ok(permit) = self.slots.clone().try_acquire_owned() else { break };
            let me = self.clone();
            let done = done.clone();
            let org_turn = me.organizations.turn(&d.organization_id);
            let turn = me.endpoints.turn(&d.endpoint_id);
            tasks.spawn(async move {
                let _permit = permit;
                if let (Ok(_org), Ok(_turn)) = (org_turn.acquire_owned().await, turn.acquire_owned().await) {
                    let outcome = me.deliver(&d).await;
                    let _ = done.send(outcome).await;
                }
                me.endpoints.done(&d.endpoint_id);
                me.organizations.done(&d.organization_id);
                drop(_permit);
                if me.slots.available_permits() >= (me.settings.concurrency / 4).max(1) {
                    wake();
                }
            });
        }
        n
    }

    async fn deliver(&self, d: &ClaimedDelivery) -> DeliveryOutcome {
        let result = attempt(&self.client, self.settings.allow_private, d, self.clock.now_ms()).await;
        let now = self.clock.now_ms();
        let (status, next, gone) = decide(&result, d.round_attempts, &self.settings, now, None);
        DeliveryOutcome {
            delivery_id: d.id.clone(),
            endpoint_id: d.endpoint_id.clone(),
            owner: self.owner.clone(),
            attempt: attempt_row(&d.id, &result, now),
            status,
            next_attempt_at: next,
            gone,
        }
    }

    /// Writes outcomes as they come, everything waiting in one transaction.
    async fn write_outcomes(self: Arc<Self>, mut rx: mpsc::Receiver<DeliveryOutcome>) {
        let mut batch = Vec::with_capacity(512);
        while let Some(first) = rx.recv().await {
            batch.push(first);
            while batch.len() < 512 {
                match rx.try_recv() {
                    Ok(o) => batch.push(o),
                    Err(_) => break,
                }
            }
            let disable_after = self.settings.disable_after.as_millis() as i64;
            match self.store.complete_deliveries(&batch, self.clock.now_ms(), disable_after).await {
                Ok(disabled) => {
                    for d in &disabled {
                        tracing::warn!(endpoint = %d.endpoint_id, reason = %d.reason, "webhook endpoint disabled automatically");
                    }
                    if !disabled.is_empty() {
                        // Their `endpoint.disabled` events are due now.
                        wake();
                    }
                }
                // The leases expire and the deliveries are attempted again: at least once.
                Err(e) => {
                    tracing::warn!(error = %e, outcomes = batch.len(), "recording webhook attempts failed")
                }
            }
            batch.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `decide` with the status as its text, as the assertions below spell it.
    fn decide_text(
        result: &AttemptResult,
        round_attempts: i64,
        settings: &DeliverySettings,
        now_ms: i64,
        max_attempts: Option<usize>,
    ) -> (&'static str, Option<i64>, bool) {
        let (status, next, gone) = super::decide(result, round_attempts, settings, now_ms, max_attempts);
        (status.as_str(), next, gone)
    }

    fn result(status: Option<u16>, failure: Option<&'static str>) -> AttemptResult {
        AttemptResult {
            status,
            latency_ms: 1,
            body: None,
            failure: failure.map(|k| (k, String::new())),
            retry_after: None,
            headers: serde_json::json!({}),
        }
    }

    #[test]
    fn the_schedule_decides_the_next_attempt() {
        let s = DeliverySettings { jitter: 0.0, ..DeliverySettings::standard(false) };
        assert_eq!(decide_text(&result(Some(200), None), 0, &s, 0, None), ("delivered", None, false));
        assert_eq!(
            decide_text(&result(Some(500), Some("non_2xx")), 0, &s, 0, None),
            ("retrying", Some(5_000), false)
        );
        assert_eq!(
            decide_text(&result(None, Some("timeout")), 1, &s, 0, None),
            ("retrying", Some(300_000), false)
        );
        assert_eq!(
            decide_text(&result(None, Some("timeout")), 6, &s, 0, None),
            ("retrying", Some(36_000_000), false)
        );
        assert_eq!(
            decide_text(&result(None, Some("timeout")), 7, &s, 0, None),
            ("failed", None, false),
            "8 attempts in all"
        );
        assert_eq!(decide_text(&result(Some(410), Some("non_2xx")), 0, &s, 0, None), ("failed", None, true));
        assert_eq!(
            decide_text(&result(Some(500), Some("non_2xx")), 0, &s, 0, Some(1)),
            ("failed", None, false)
        );
        let mut limited = result(Some(429), Some("non_2xx"));
        limited.retry_after = Some(Duration::from_secs(60));
        assert_eq!(
            decide_text(&limited, 0, &s, 0, None),
            ("retrying", Some(60_000), false),
            "Retry-After wins when longer"
        );
        let jittered = DeliverySettings::standard(false);
        for _ in 0..100 {
            let (_, next, _) = decide_text(&result(Some(500), Some("non_2xx")), 1, &jittered, 0, None);
            assert!((270_000..=330_000).contains(&next.unwrap()));
        }
    }

    #[test]
    fn retry_after_and_schedules_parse() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(
            DeliverySettings::parse_schedule("100ms, 1s,2m").unwrap(),
            vec![Duration::from_millis(100), Duration::from_secs(1), Duration::from_secs(120)]
        );
        assert!(DeliverySettings::parse_schedule("1 fortnight").unwrap_err().contains("fortnight"));
    }
}
