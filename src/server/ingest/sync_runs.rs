//! `POST /api/v1/ingest/sync-runs` and `/claim`: the data plane claims queued runs under a lease,
//! then reports them queued, alive (heartbeat) and finished.

use super::*;

/// Leases the data plane may ask for.
pub const MIN_LEASE_SECONDS: i64 = 5;
pub const MAX_LEASE_SECONDS: i64 = 600;

/// The error a run ended with. A code sent is kept as sent (sync errors have codes of their own,
/// such as `not_supported`); without one, Switchboard's classifier assigns it from
/// `platform_error` (one of the two is required). A failed run's raw error is classified
/// either way, and the run's page shows both readings when they differ.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunErrorItem {
    #[serde(default)]
    pub code: Option<String>,
    pub message: Option<String>,
    /// The platform's raw error: a JSON value or text, stored as sent (after redaction).
    #[schema(value_type = Object, nullable)]
    #[serde(default)]
    pub platform_error: Option<Value>,
    /// How sure the mapping from the raw error to `code` is: `high`, `medium` or `low`.
    pub confidence: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimRequest {
    /// The data plane process asking (1 to 64 letters, digits, `-`, `_`, `.`); its reports on
    /// the runs it gets must name it.
    pub worker: String,
    /// Runs to take, 1 to 100 (default 10).
    pub limit: Option<i64>,
    /// How long the runs are held without a report, 5 to 600 s (default 60); each `started` or
    /// `progress` report extends the lease by as much. A run whose worker stops reporting goes
    /// back to the queue for another.
    pub lease_seconds: Option<i64>,
}

/// A run to execute.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimedRunItem {
    pub id: String,
    pub connection_id: String,
    pub platform: String,
    pub data_object: String,
    /// `initial`, `incremental` or `backfill`.
    pub kind: String,
    /// The time range to fetch (backfills), RFC 3339.
    pub range_from: Option<String>,
    pub range_to: Option<String>,
    pub backfill_id: Option<String>,
    /// Earlier tries of this run (a worker that stopped reporting).
    pub attempt: i64,
    /// Report before this time, RFC 3339, or the run goes back to the queue.
    pub lease_expires_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimResult {
    pub runs: Vec<ClaimedRunItem>,
}

/// A report on a sync run. `queued` registers a run the data plane scheduled itself (it can
/// then be claimed); `started` and `progress` extend the lease of a claimed run; `finished`
/// ends it, with its counts and error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRunItem {
    /// `run_` followed by a ULID.
    pub id: String,
    /// `queued`, `started`, `progress` or `finished`.
    pub event: String,
    /// The worker that claimed the run (`started`, `progress`, `finished`).
    pub worker: Option<String>,
    /// `queued`: the connection, the data object and `initial` or `incremental`.
    pub connection_id: Option<String>,
    pub data_object: Option<String>,
    pub kind: Option<String>,
    /// `progress`: records fetched so far.
    pub records_processed: Option<i64>,
    /// `finished`: `succeeded`, `partial`, `failed`, `not_supported` or `cancelled`.
    pub status: Option<String>,
    pub records_added: Option<i64>,
    pub records_updated: Option<i64>,
    pub records_deleted: Option<i64>,
    pub error: Option<RunErrorItem>,
    /// `finished`: the platform refused the connection's credentials.
    pub needs_reauth: Option<bool>,
    /// The platform calls the run made, for the run's page (JSON array, at most 256 KB).
    #[schema(value_type = Vec<Object>)]
    pub log: Option<Vec<Value>>,
}

/// The answer to sync-run reports: what was recorded, and what the worker must stop.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SyncRunResult {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    /// Runs whose backfill was cancelled: stop them and report them `finished` as `cancelled`.
    pub cancel: Vec<String>,
    /// Runs this worker no longer holds (the lease expired and the run went back to the
    /// queue, or it was never claimed by this worker): stop them without reporting.
    pub lost: Vec<String>,
}

fn worker_name(field: &str, w: Option<&str>) -> Result<String, Bad> {
    let w = w.ok_or_else(|| bad(field, "name the worker that claimed the run"))?;
    if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(bad(field, "1 to 64 letters, digits, -, _ or ."));
    }
    Ok(w.to_string())
}

/// The lease owner a key's worker holds runs under: two keys (two organizations) never share one.
pub fn lease_owner(key_id: &str, worker: &str) -> String {
    format!("api:{key_id}:{worker}")
}

/// `POST /api/v1/ingest/sync-runs/claim`: claims queued runs (backfills, "sync now", the
/// scheduler's) of the key's environment for the key's data plane to execute.
pub async fn claim(
    store: &dyn Store,
    scope: &Scope,
    key_id: &str,
    now: i64,
    req: &ClaimRequest,
) -> Result<ClaimResult, crate::error::AppError> {
    use crate::error::AppError;
    let worker = worker_name("worker", Some(&req.worker))
        .map_err(|b| AppError::invalid(format!("{}: {}", b.field, b.reason)))?;
    let limit = req.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit: take 1 to 100 runs at a time."));
    }
    let lease = req.lease_seconds.unwrap_or(60);
    if !(MIN_LEASE_SECONDS..=MAX_LEASE_SECONDS).contains(&lease) {
        return Err(AppError::invalid(format!("lease_seconds: {MIN_LEASE_SECONDS} to {MAX_LEASE_SECONDS}.")));
    }
    let lease_ms = lease * 1000;
    let runs = store
        .claim_runs(Some(scope), &lease_owner(key_id, &worker), now, lease_ms, limit)
        .await
        .map_err(crate::server::context::internal)?;
    let at =
        |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default();
    Ok(ClaimResult {
        runs: runs
            .into_iter()
            .map(|r| ClaimedRunItem {
                id: r.id,
                connection_id: r.connection_id,
                platform: r.platform_id,
                data_object: r.data_object,
                kind: r.kind.as_str().to_string(),
                range_from: r.range_from.map(at),
                range_to: r.range_to.map(at),
                backfill_id: r.backfill_id,
                attempt: r.attempts,
                lease_expires_at: at(now + lease_ms),
            })
            .collect(),
    })
}

impl SyncRunItem {
    /// The `finished` report of a run's result, as a data plane sends it (the sandbox's client).
    pub fn finished(id: &str, worker: &str, r: &crate::server::store::sync::RunResult) -> Self {
        SyncRunItem {
            id: id.to_string(),
            event: "finished".into(),
            worker: Some(worker.to_string()),
            connection_id: None,
            data_object: None,
            kind: None,
            records_processed: None,
            status: Some(r.status.as_str().to_string()),
            records_added: Some(r.records_added),
            records_updated: Some(r.records_updated),
            records_deleted: Some(r.records_deleted),
            error: (r.error_code.is_some() || r.platform_error.is_some() || r.error_message.is_some()).then(
                || RunErrorItem {
                    code: r.error_code.clone(),
                    message: r.error_message.clone(),
                    // Sent as JSON when it is JSON, so the console can show it structured.
                    platform_error: r
                        .platform_error
                        .as_deref()
                        .map(|p| serde_json::from_str(p).unwrap_or_else(|_| Value::String(p.to_string()))),
                    confidence: None,
                },
            ),
            needs_reauth: Some(r.needs_reauth),
            log: serde_json::from_str(&r.log).ok(),
        }
    }

    /// The worker and the result a `finished` report carries, checked.
    fn run_result(&self) -> Result<(String, crate::server::store::sync::RunResult), Bad> {
        use crate::domain::SyncRunStatus;
        let worker = worker_name("worker", self.worker.as_deref())?;
        let status = self
            .status
            .as_deref()
            .and_then(SyncRunStatus::parse)
            .filter(|s| crate::server::store::sync::TERMINAL.contains(&s.as_str()))
            .ok_or_else(|| bad("status", "succeeded, partial, failed, not_supported or cancelled"))?;
        let count = |field: &str, v: Option<i64>| match v {
            Some(n) if n < 0 => Err(bad(field, "must not be negative")),
            other => Ok(other.unwrap_or(0)),
        };
        // Sync errors have their own vocabulary (`platform-unavailable`, `not_supported`, ...):
        // any short code is kept as sent.
        if let Some(e) = &self.error {
            if let Some(code) = &e.code {
                let code_ok = !code.is_empty()
                    && code.len() <= 64
                    && code.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                if !code_ok {
                    return Err(bad("error.code", "1 to 64 letters, digits, -, _ or ."));
                }
            }
            let raw = !matches!(e.platform_error, None | Some(Value::Null));
            if e.code.is_none() && !raw {
                return Err(bad(
                    "error",
                    "give a code, or the platform_error for Switchboard to classify (or both)",
                ));
            }
            if let Some(c) = &e.confidence {
                if e.code.is_none() {
                    return Err(bad("error.confidence", "the confidence of a code: send it with the code"));
                }
                if !["high", "medium", "low"].contains(&c.as_str()) {
                    return Err(bad("error.confidence", "high, medium or low"));
                }
            }
        }
        let error = self.error.as_ref();
        Ok((
            worker,
            crate::server::store::sync::RunResult {
                status,
                records_added: count("records_added", self.records_added)?,
                records_updated: count("records_updated", self.records_updated)?,
                records_deleted: count("records_deleted", self.records_deleted)?,
                error_code: error.and_then(|e| e.code.clone()),
                error_message: error.and_then(|e| e.message.clone()),
                platform_error: error.and_then(|e| match &e.platform_error {
                    None | Some(Value::Null) => None,
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(v) => Some(v.to_string()),
                }),
                log: run_log(&self.log)?,
                progress: self.records_added.unwrap_or(0) + self.records_updated.unwrap_or(0),
                needs_reauth: self.needs_reauth.unwrap_or(false),
                reading: crate::server::store::sync::ErrorReading {
                    confidence: error.and_then(|e| e.confidence.clone()),
                    ..Default::default()
                },
            },
        ))
    }
}

/// A run's log as stored: a JSON array of at most 256 KB.
fn run_log(log: &Option<Vec<Value>>) -> Result<String, Bad> {
    let log =
        log.as_ref().map(|l| serde_json::to_string(l).unwrap_or_default()).unwrap_or_else(|| "[]".into());
    if log.len() > 256 * 1024 {
        return Err(bad("log", "larger than 256 KB"));
    }
    Ok(log)
}

/// What one report did.
enum Reported {
    Accepted,
    /// Accepted, and the run's backfill was cancelled: the worker must stop it.
    Cancel,
    /// The worker no longer holds the run.
    Lost,
}

/// Applies sync-run reports in order. Each `started`/`progress` extends the lease by
/// `lease_ms`. A `finished` report retried after it was recorded is accepted again.
pub async fn sync_runs(
    store: &dyn Store,
    scope: &Scope,
    key_id: &str,
    now: i64,
    lease_ms: i64,
    batch: Batch,
) -> StoreResult<SyncRunResult> {
    let mut out = SyncRunResult::default();
    for (index, v) in batch.items.into_iter().enumerate() {
        let read =
            read_item::<SyncRunItem>(v).and_then(|item| Ok((id_of("id", prefix::SYNC_RUN, &item.id)?, item)));
        let reported = match read {
            Err(b) => Err(b),
            Ok((id, item)) => match item.event.as_str() {
                "queued" => queued(store, scope, now, &id, &item).await?,
                "started" | "progress" => heartbeat(store, key_id, now, lease_ms, &id, &item).await?,
                "finished" => finished(store, scope, key_id, now, &id, &item).await?,
                other => Err(bad(
                    "event",
                    format!("\u{201c}{other}\u{201d}: use queued, started, progress or finished"),
                )),
            }
            .map(|r| (id, r)),
        };
        match reported {
            Ok((_, Reported::Accepted)) => out.accepted += 1,
            Ok((id, Reported::Cancel)) => {
                out.accepted += 1;
                out.cancel.push(id);
            }
            Ok((id, Reported::Lost)) => out.lost.push(id),
            Err(b) => out.rejected.push(Rejection { index, field: b.field, reason: b.reason }),
        }
    }
    Ok(out)
}

/// `queued`: a run the data plane scheduled itself.
async fn queued(
    store: &dyn Store,
    scope: &Scope,
    now: i64,
    id: &str,
    item: &SyncRunItem,
) -> StoreResult<Result<Reported, Bad>> {
    use crate::domain::SyncRunKind;
    let parsed = (|| {
        let conn = id_of("connection_id", prefix::CONNECTION, item.connection_id.as_deref().unwrap_or(""))?;
        let kind = item.kind.as_deref().and_then(SyncRunKind::parse).filter(|k| *k != SyncRunKind::Backfill).ok_or_else(
            || bad("kind", "initial or incremental (backfills are created in the console or with POST /api/v1/backfills)"),
        )?;
        let object = item
            .data_object
            .clone()
            .ok_or_else(|| bad("data_object", "name the data object, such as invoices"))?;
        Ok::<_, Bad>((conn, kind, object))
    })();
    let (conn, kind, object) = match parsed {
        Ok(p) => p,
        Err(b) => return Ok(Err(b)),
    };
    if store.get_sync_run(scope, id).await?.is_some() {
        return Ok(Ok(Reported::Accepted)); // Already registered: a retry.
    }
    let Some(c) = store.get_connection(scope, &conn).await? else {
        return Ok(Err(bad("connection_id", format!("no connection {conn} in this environment"))));
    };
    let supported = crate::domain::platform(&c.platform_id)
        .map(|p| p.integration_type.data_objects().contains(&object.as_str()))
        .unwrap_or(false);
    if !supported {
        return Ok(Err(bad("data_object", format!("{object} is not a data object of {}", c.platform_id))));
    }
    // The data plane names its own run: the id it registers is the one it reports on.
    let run = crate::server::store::sync::NewSyncRun {
        id: id.to_string(),
        ..crate::server::store::sync::NewSyncRun::new(
            &(&c).into(),
            &object,
            kind,
            crate::domain::TriggerKind::Schedule,
            now,
        )
    };
    match store.queue_runs(&[run], None).await {
        Ok(()) => Ok(Ok(Reported::Accepted)),
        Err(e) if e.is_unique_violation() => Ok(Err(bad("id", "this run id is already used"))),
        Err(e) => Err(e),
    }
}

/// `started` and `progress`: the worker still holds the run; its lease is extended.
async fn heartbeat(
    store: &dyn Store,
    key_id: &str,
    now: i64,
    lease_ms: i64,
    id: &str,
    item: &SyncRunItem,
) -> StoreResult<Result<Reported, Bad>> {
    use crate::server::store::sync::Heartbeat;
    let parsed = (|| {
        let worker = worker_name("worker", item.worker.as_deref())?;
        let records = item.records_processed.unwrap_or(0);
        if records < 0 {
            return Err(bad("records_processed", "must not be negative"));
        }
        Ok((worker, records, run_log(&item.log)?))
    })();
    let (worker, records, log) = match parsed {
        Ok(p) => p,
        Err(b) => return Ok(Err(b)),
    };
    Ok(Ok(
        match store.heartbeat_run(id, &lease_owner(key_id, &worker), now, lease_ms, records, &log).await? {
            Heartbeat::Continue => Reported::Accepted,
            Heartbeat::Cancel => Reported::Cancel,
            Heartbeat::Lost => Reported::Lost,
        },
    ))
}

/// `finished`: the run's result; a retry of a recorded result is accepted again.
async fn finished(
    store: &dyn Store,
    scope: &Scope,
    key_id: &str,
    now: i64,
    id: &str,
    item: &SyncRunItem,
) -> StoreResult<Result<Reported, Bad>> {
    let (worker, result) = match item.run_result() {
        Ok(p) => p,
        Err(b) => return Ok(Err(b)),
    };
    if store.finish_run(id, &lease_owner(key_id, &worker), now, &result).await? {
        crate::server::webhooks::delivery::wake();
        return Ok(Ok(Reported::Accepted));
    }
    // Not held: already finished by this report (a retry), or lost.
    Ok(Ok(match store.get_sync_run(scope, id).await? {
        Some(r) if r.status == result.status => Reported::Accepted,
        _ => Reported::Lost,
    }))
}
