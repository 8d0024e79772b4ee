//! The sandbox data plane as a separate process (`switchboard sandbox --url --api-key`): it talks
//! to Switchboard only over the HTTP API, as a real data plane does. It claims the queued sync
//! runs of its key's environment (`/api/v1/ingest/sync-runs/claim`), executes each with the
//! sandbox's simulated platforms (`sandbox::execute`, the same code the in-process worker runs),
//! reports progress and the end on `/api/v1/ingest/sync-runs`, and posts the unified-API
//! requests its customers made while it synced (`/api/v1/ingest/request-logs`).
//!
//! Every call is retried until it is acknowledged, with the same ids, so a Switchboard restart
//! loses nothing: a run whose reports stopped is requeued by its lease and executed again.

use super::{execute, plan, RunInput, RunReporter, SandboxSettings};
use crate::domain::{platform, ConnectionStatus, SyncRunKind};
use crate::server::store::sync::{Heartbeat, RunResult};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

#[derive(Debug, Clone)]
pub struct PlaneSettings {
    /// Switchboard's address, such as `http://127.0.0.1:3000`.
    pub url: String,
    /// An ingest key (`sb_ingest_...`) of the environment to serve.
    pub api_key: String,
    /// This process's name in leases.
    pub worker: String,
    /// Runs executed at once.
    pub concurrency: usize,
    /// How long a claimed run is held without a report.
    pub lease: Duration,
    /// How often to ask for work when there was none.
    pub poll: Duration,
    pub sandbox: SandboxSettings,
}

/// A failed call, after its retries (only a refused key or a malformed answer end the plane).
#[derive(Debug, thiserror::Error)]
pub enum PlaneError {
    #[error("Switchboard refused the API key ({0}): use an ingest key of the environment to serve")]
    Refused(String),
    #[error("unexpected answer from Switchboard: {0}")]
    Answer(String),
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    settings: Arc<PlaneSettings>,
}

impl Client {
    pub fn new(settings: PlaneSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Client { http, settings: Arc::new(settings) }
    }

    /// POSTs `body` until Switchboard answers; retries network failures, 429 (after its
    /// Retry-After) and 5xx with the same body, so the call's ids make the retry harmless.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, PlaneError> {
        let url = format!("{}{path}", self.settings.url.trim_end_matches('/'));
        let mut wait = Duration::from_millis(200);
        loop {
            let sent = self
                .http
                .post(&url)
                .bearer_auth(&self.settings.api_key)
                .header("content-type", "application/json")
                .body(body.to_string())
                .send()
                .await;
            match sent {
                Ok(res) if res.status().is_success() => {
                    let text = res.text().await.map_err(|e| PlaneError::Answer(e.to_string()))?;
                    return serde_json::from_str(&text).map_err(|e| PlaneError::Answer(e.to_string()));
                }
                Ok(res) if res.status() == 401 || res.status() == 403 => {
                    let text = res.text().await.unwrap_or_default();
                    return Err(PlaneError::Refused(text));
                }
                Ok(res) if res.status() == 429 => {
                    let secs = res
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(1);
                    tokio::time::sleep(Duration::from_secs(secs)).await;
                }
                Ok(res) if res.status().is_client_error() => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    return Err(PlaneError::Answer(format!("{status}: {text}")));
                }
                Ok(_) | Err(_) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), PlaneError> {
        tracing::info!(worker = %self.settings.worker, url = %self.settings.url, "sandbox data plane started");
        let slots = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            let free = slots.available_permits();
            let mut claimed = 0;
            if free > 0 {
                let answer = self
                    .post(
                        "/api/v1/ingest/sync-runs/claim",
                        &json!({"worker": self.settings.worker, "limit": free.min(100),
                                "lease_seconds": self.settings.lease.as_secs().clamp(5, 600)}),
                    )
                    .await?;
                let runs = answer["runs"].as_array().cloned().unwrap_or_default();
                claimed = runs.len();
                for run in runs {
                    let permit =
                        slots.clone().acquire_owned().await.map_err(|e| PlaneError::Answer(e.to_string()))?;
                    let me = self.clone();
                    tasks.spawn(async move {
                        if let Err(e) = me.execute(&run).await {
                            tracing::warn!(error = %e, "a sandbox run could not be reported");
                        }
                        drop(permit);
                    });
                }
            }
            if claimed == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tasks.shutdown().await;
        Ok(())
    }

    /// Executes one claimed run and posts the customer requests made meanwhile.
    async fn execute(&self, run: &Value) -> Result<(), PlaneError> {
        let text = |k: &str| run[k].as_str().unwrap_or_default().to_string();
        let (id, connection_id, data_object) = (text("id"), text("connection_id"), text("data_object"));
        let Some(spec) = platform(&text("platform")) else {
            return Err(PlaneError::Answer(format!("run {id}: unknown platform")));
        };
        let kind = SyncRunKind::parse(&text("kind")).unwrap_or(SyncRunKind::Incremental);
        let time = |k: &str| {
            run[k]
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.timestamp_millis())
        };
        let range_ms = match (time("range_from"), time("range_to")) {
            (Some(f), Some(t)) => t - f,
            _ => 24 * 30 * 86_400_000,
        };
        let planned = plan(
            &RunInput {
                run_id: &id,
                connection_id: &connection_id,
                platform: spec,
                data_object: &data_object,
                kind,
                connection_status: ConnectionStatus::Healthy,
                range_ms,
            },
            &self.settings.sandbox,
        );
        self.report(json!({"id": id, "event": "started", "worker": self.settings.worker})).await?;
        let reporter = ApiReporter { client: self, run_id: &id };
        let every = Duration::from_secs(1).min(self.settings.lease / 3);
        execute(&planned, spec, None, &data_object, &self.settings.sandbox, every, &reporter).await?;
        self.post_requests(&connection_id, spec.id, &data_object, &planned.outcome).await
    }

    async fn report(&self, item: Value) -> Result<Value, PlaneError> {
        let answer = self.post("/api/v1/ingest/sync-runs", &json!({ "items": [item] })).await?;
        match answer["rejected"].as_array().and_then(|r| r.first()) {
            Some(r) => Err(PlaneError::Answer(format!("report refused: {r}"))),
            None => Ok(answer),
        }
    }

    /// The unified-API calls the connection's customer made for this object meanwhile: a list
    /// call, and when the sync failed for lost credentials, the 401 their next call got.
    async fn post_requests(
        &self,
        connection_id: &str,
        platform_id: &str,
        data_object: &str,
        outcome: &super::Outcome,
    ) -> Result<(), PlaneError> {
        let now = chrono::Utc::now();
        let integration = platform(platform_id).map(|p| p.integration_type.as_str()).unwrap_or("accounting");
        let path = format!("/{integration}/{data_object}");
        let host = crate::server::seed::platform_host(platform_id, None);
        let upstream = crate::server::seed::upstream_path(platform_id, data_object, &path, None);
        let mut items = vec![];
        let mut item = |status: i64, error: Value, response: Value| {
            items.push(json!({
                "id": crate::ids::make_id(crate::ids::prefix::REQUEST, now.timestamp_millis(), rand::random()),
                "occurred_at": now.to_rfc3339(),
                "method": "GET",
                "path": path,
                "query": "limit=50&expand=platform_data",
                "status": status,
                "latency_ms": 80 + rand::random::<u8>() as i64,
                "connection_id": connection_id,
                "request_headers": {"Authorization": format!("Bearer sk_test_{:x}", rand::random::<u64>()), "Accept": "application/json"},
                "response_body": response.to_string(),
                "error": error,
                "upstream_calls": [{"method": "GET", "url": format!("https://{host}{upstream}?limit=50"), "status": status, "latency_ms": 60, "response": "{}"}],
                "user_agent": "sandbox-customer/1.0",
                "source_ip": "198.51.100.7",
            }));
        };
        match outcome {
            super::Outcome::Failed { needs_reauth: true, platform_error, .. } => item(
                401,
                // No code: Switchboard's classifier reads the platform's own error, as it does for
                // any data plane that leaves the mapping to it.
                json!({"message": "The connection's credentials were revoked on the platform.",
                       "platform_error": platform_error}),
                json!({"error": {"code": "unauthorized"}}),
            ),
            _ => item(200, Value::Null, json!({"data": [], "next_cursor": null})),
        }
        self.post("/api/v1/ingest/request-logs", &json!({ "items": items })).await.map(|_| ())
    }
}

/// Reports a run over the ingestion API.
struct ApiReporter<'a> {
    client: &'a Client,
    run_id: &'a str,
}

#[async_trait::async_trait]
impl RunReporter for ApiReporter<'_> {
    type Error = PlaneError;

    async fn progress(&self, progress: i64, log: &str) -> Result<Heartbeat, PlaneError> {
        let log: Value = serde_json::from_str(log).unwrap_or(Value::Array(vec![]));
        let answer = self
            .client
            .report(json!({"id": self.run_id, "event": "progress", "worker": self.client.settings.worker,
                           "records_processed": progress, "log": log}))
            .await?;
        let named = |k: &str| answer[k].as_array().is_some_and(|a| a.iter().any(|v| v == self.run_id));
        Ok(if named("lost") {
            Heartbeat::Lost
        } else if named("cancel") {
            Heartbeat::Cancel
        } else {
            Heartbeat::Continue
        })
    }

    async fn finish(&self, r: &RunResult) -> Result<(), PlaneError> {
        let item = crate::server::ingest::SyncRunItem::finished(self.run_id, &self.client.settings.worker, r);
        self.client.report(serde_json::to_value(item).unwrap_or_default()).await.map(|_| ())
    }
}
