//! The worker: executes queued sync runs against the sandbox data plane.
//!
//! It runs inside `serve` and as its own process (`switchboard worker`); any number of them can
//! share one database. Each loop it puts back runs whose lease expired (their worker died),
//! claims as many queued runs as it has free slots, and runs each in its own task: page by
//! page, extending the lease and recording progress after every page, stopping when the
//! backfill is cancelled or the lease was lost. A run is finished only by the lease holder
//! (`SyncStore::finish_run`), so a run killed half-way is executed again from the start by
//! someone else, and never ends twice.
//!
//! Concurrency is bounded overall and per platform, as a real data plane must honour each
//! platform's rate limit; a 429 from the platform is waited out (`Retry-After`) and retried.

use super::clock::Clock;
use super::sandbox::{self, SandboxSettings};
use super::store::sync::{ClaimedRun, Heartbeat, RunResult};
use super::store::{Scope, Store};
use crate::domain::{platform, ConnectionStatus, SyncRunStatus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify, Semaphore};

/// How often a running run reports progress and extends its lease.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// How often the retention purge starts.
const PURGE_EVERY_MS: i64 = 60_000;
/// Status changes folded into the hourly counts per transaction.
const FOLD_BATCH: i64 = 5_000;

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Runs executed at once by this process.
    pub concurrency: usize,
    /// Runs of one platform executed at once by this process.
    pub per_platform: usize,
    /// How long a claim lasts without a heartbeat.
    pub lease: Duration,
    /// How often to look for work when there is none.
    pub poll: Duration,
    pub sandbox: SandboxSettings,
    /// Execute runs here. Off when a data plane process executes them over the API (`serve
    /// --demo` runs one in-process); the worker then only requeues runs whose lease expired.
    pub execute_runs: bool,
    /// This machine's name, the first part of the worker's lease owner.
    pub host: String,
}

impl WorkerSettings {
    pub fn demo() -> Self {
        WorkerSettings {
            concurrency: 8,
            per_platform: 3,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(500),
            sandbox: SandboxSettings::demo(),
            execute_runs: true,
            host: "local".into(),
        }
    }
}

/// Reports a run's progress and end straight to the store, under this worker's lease.
struct StoreReporter<'a> {
    worker: &'a Worker,
    run_id: &'a str,
    lease_ms: i64,
}

#[async_trait::async_trait]
impl sandbox::RunReporter for StoreReporter<'_> {
    type Error = super::store::StoreError;

    async fn progress(&self, progress: i64, log: &str) -> Result<Heartbeat, Self::Error> {
        let w = self.worker;
        w.store.heartbeat_run(self.run_id, &w.owner, w.clock.now_ms(), self.lease_ms, progress, log).await
    }

    async fn finish(&self, result: &RunResult) -> Result<(), Self::Error> {
        let w = self.worker;
        if w.store.finish_run(self.run_id, &w.owner, w.clock.now_ms(), result).await? {
            // Finishing a run records its webhook events: deliver them now, not at the next poll.
            super::webhooks::delivery::wake();
        }
        Ok(())
    }
}

/// A handle to wake the worker at once (a backfill was just queued) instead of at its next poll.
#[derive(Clone, Default)]
pub struct WorkerWaker(Arc<Notify>);

impl WorkerWaker {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

pub struct Worker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: WorkerSettings,
    /// This process's name in leases: readable in the database, unique per start.
    owner: String,
    /// When expired leases were last requeued (ms): at most once a second, so a busy worker
    /// does not take SQLite's write lock for it between every claim.
    last_requeue: std::sync::atomic::AtomicI64,
    /// When the retention purge last started (ms), and whether one is running: one at a time
    /// per process, once a minute.
    last_purge: std::sync::atomic::AtomicI64,
    purging: Arc<std::sync::atomic::AtomicBool>,
    slots: Arc<Semaphore>,
    platforms: Mutex<HashMap<String, Arc<Semaphore>>>,
    waker: WorkerWaker,
}

impl Worker {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: WorkerSettings,
        waker: WorkerWaker,
    ) -> Arc<Self> {
        let host = &settings.host;
        let owner = format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>());
        Arc::new(Worker {
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            store,
            clock,
            settings,
            owner,
            last_requeue: std::sync::atomic::AtomicI64::new(i64::MIN),
            last_purge: std::sync::atomic::AtomicI64::new(i64::MIN),
            purging: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            platforms: Mutex::new(HashMap::new()),
            waker,
        })
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    fn platform_slots(&self, platform_id: &str) -> Arc<Semaphore> {
        let mut map = self.platforms.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(platform_id.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_platform.max(1))))
            .clone()
    }

    /// Runs until `shutdown` turns true; then waits for the runs in hand to reach their next
    /// step (a run cut off is requeued when its lease expires).
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, "worker started");
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let claimed = self.clone().tick(&mut tasks).await;
            while tasks.try_join_next().is_some() {}
            if claimed == 0 {
                tokio::select! {
                    _ = self.waker.0.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tasks.shutdown().await;
        tracing::info!(owner = %self.owner, "worker stopped");
    }

    /// Folds the status changes of runs and deliveries into their hourly counts
    /// (`OutcomeStore`), a few batches a round so a burst does not hold the writer for long;
    /// what is left waits for the next round (reads add it in meanwhile).
    async fn fold_outcome_deltas(&self) {
        for _ in 0..10 {
            match self.store.fold_outcome_deltas(FOLD_BATCH).await {
                Ok(r) if (r.deltas as i64) < FOLD_BATCH => break,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "folding run and delivery counts failed");
                    break;
                }
            }
        }
    }

    /// Starts the retention purge (`retention::purge`) beside the runs, at most once a minute
    /// and one at a time: it deletes in small batches, so it may take a while without holding
    /// anyone up.
    fn start_purge(&self, now: i64, tasks: &mut tokio::task::JoinSet<()>) {
        use std::sync::atomic::Ordering;
        let last = self.last_purge.load(Ordering::Relaxed);
        if (now.saturating_sub(last) < PURGE_EVERY_MS && now >= last)
            || self.purging.swap(true, Ordering::SeqCst)
        {
            return;
        }
        self.last_purge.store(now, Ordering::Relaxed);
        let (store, purging) = (self.store.clone(), self.purging.clone());
        tasks.spawn(async move {
            match super::retention::purge(store.as_ref(), now).await {
                Ok(r) if r.total() > 0 => tracing::info!(
                    request_logs = r.request_logs,
                    sync_runs = r.sync_runs,
                    webhook_events = r.webhook_events,
                    rollups = r.rollups,
                    "purged rows past their retention"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the retention purge failed"),
            }
            purging.store(false, Ordering::SeqCst);
        });
    }

    /// One round: requeue expired leases, claim what fits, start it. Returns how many runs
    /// were claimed.
    pub async fn tick(self: Arc<Self>, tasks: &mut tokio::task::JoinSet<()>) -> usize {
        let now = self.clock.now_ms();
        let last = self.last_requeue.load(std::sync::atomic::Ordering::Relaxed);
        if now.saturating_sub(last) >= 1_000 || now < last {
            self.last_requeue.store(now, std::sync::atomic::Ordering::Relaxed);
            match self.store.requeue_expired(now).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(runs = n, "requeued runs whose worker stopped"),
                Err(e) => tracing::warn!(error = %e, "requeueing expired runs failed"),
            }
            self.fold_outcome_deltas().await;
        }
        self.start_purge(now, tasks);
        let free = self.slots.available_permits();
        if free == 0 || !self.settings.execute_runs {
            return 0;
        }
        let claimed = match self
            .store
            .claim_runs(None, &self.owner, now, self.settings.lease.as_millis() as i64, free as i64)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming runs failed");
                return 0;
            }
        };
        let n = claimed.len();
        for run in claimed {
            let Ok(permit) = self.slots.clone().try_acquire_owned() else { break };
            let me = self.clone();
            tasks.spawn(async move {
                let _permit = permit;
                let platform_slots = me.platform_slots(&run.platform_id);
                // Waiting for the platform's turn can outlast the lease: keep it alive meanwhile,
                // or another round would requeue the run while it waits here.
                let lease_ms = me.settings.lease.as_millis() as i64;
                let acquire = platform_slots.acquire_owned();
                tokio::pin!(acquire);
                let _platform_permit = loop {
                    tokio::select! {
                        permit = &mut acquire => match permit {
                            Ok(p) => break p,
                            Err(_) => return,
                        },
                        _ = tokio::time::sleep(me.settings.lease / 3) => {
                            match me.store.heartbeat_run(&run.id, &me.owner, me.clock.now_ms(), lease_ms, 0, "[]").await {
                                Ok(Heartbeat::Continue) => {}
                                Ok(Heartbeat::Cancel) => {
                                    let result = RunResult {
                                        error_message: Some("The backfill was cancelled before this run started.".into()),
                                        log: "[]".into(),
                                        ..RunResult::ended(SyncRunStatus::Cancelled)
                                    };
                                    let _ = me.store.finish_run(&run.id, &me.owner, me.clock.now_ms(), &result).await;
                                    return;
                                }
                                // Lost (another worker has it) or the database is away: the
                                // lease expires and the run is requeued.
                                Ok(Heartbeat::Lost) | Err(_) => return,
                            }
                        }
                    }
                };
                if let Err(e) = me.execute(&run).await {
                    // The lease expires and another round picks the run up again.
                    tracing::warn!(run = %run.id, error = %e, "sync run interrupted");
                }
                // Once half the slots are free, claim the next runs now rather than at the next
                // poll; waiting for half keeps claims batched (one write claims many runs).
                drop(_permit);
                if me.slots.available_permits() >= (me.settings.concurrency / 2).max(1) {
                    me.waker.wake();
                }
            });
        }
        n
    }

    /// Executes one claimed run to its end.
    pub async fn execute(&self, run: &ClaimedRun) -> Result<(), super::store::StoreError> {
        let lease_ms = self.settings.lease.as_millis() as i64;
        let scope = Scope::new(run.organization_id.clone(), run.environment.clone());
        let connection = self.store.get_connection(&scope, &run.connection_id).await?;
        let Some(spec) = platform(&run.platform_id) else {
            let result = RunResult {
                error_code: Some("internal-error".into()),
                error_message: Some(format!("Unknown platform {}", run.platform_id)),
                log: "[]".into(),
                ..RunResult::ended(SyncRunStatus::Failed)
            };
            self.store.finish_run(&run.id, &self.owner, self.clock.now_ms(), &result).await?;
            return Ok(());
        };
        let status = connection.as_ref().map(|c| c.status).unwrap_or(ConnectionStatus::Healthy);
        let kind = run.kind;
        let range_ms = match (run.range_from, run.range_to) {
            (Some(f), Some(t)) => t - f,
            _ => 24 * 30 * 86_400_000,
        };
        let plan = sandbox::plan(
            &sandbox::RunInput {
                run_id: &run.id,
                connection_id: &run.connection_id,
                platform: spec,
                data_object: &run.data_object,
                kind,
                connection_status: status,
                range_ms,
            },
            &self.settings.sandbox,
        );
        let reporter = StoreReporter { worker: self, run_id: &run.id, lease_ms };
        let every = HEARTBEAT_EVERY.min(self.settings.lease / 3);
        let account = connection.as_ref().map(|c| c.platform_account_id.as_str());
        sandbox::execute(&plan, spec, account, &run.data_object, &self.settings.sandbox, every, &reporter)
            .await
    }
}
