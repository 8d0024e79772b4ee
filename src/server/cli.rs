//! The `switchboard` command line: serve, migrate, seed-demo, create-user.

use super::actor::Actor;
use super::api_keys;
use super::auth::hash_password;
use super::clock::{Clock, SystemClock};
use super::config::{
    self, database_url, parse_addr, parse_bool, secret_key, ConfigError, PublicUrl, Settings,
};
use super::secrets::Sealer;
use super::store::{self, DatabaseUrl, OrganizationRow, UserRow};
use super::worker::{Worker, WorkerWaker};
use super::{http, seed};
use crate::domain::{KeyScope, Role, StaffRole};
use crate::ids::{self, prefix};
use clap::{Parser, Subcommand};
use std::sync::Arc;

pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/switchboard.db";

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Operations console of a unified API")]
pub struct Cli {
    /// Database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum RollupsAction {
    /// Recompute the request rollups from the stored request logs (hours before an
    /// environment's oldest stored row keep their counts). Writers wait while it runs.
    Rebuild,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console (run from the repository root after a build).
    Serve {
        /// Address to listen on, HOST:PORT.
        #[arg(long, env = "SWITCHBOARD_ADDR", default_value = "127.0.0.1:3000")]
        addr: String,
        /// Seed demo data when the database is empty.
        #[arg(long)]
        demo: bool,
        /// Directory holding the built front-end.
        #[arg(long, env = "SWITCHBOARD_SITE_ROOT", default_value = "target/site")]
        site_root: String,
        /// The origin people use to reach the console, e.g. https://console.example.com
        /// (default: http:// and the listening address). Mutations must come from it, and the
        /// session cookie is Secure when it is https.
        #[arg(long, env = "SWITCHBOARD_PUBLIC_URL")]
        public_url: Option<String>,
        /// Do not run the worker inside the server (run `switchboard worker` processes instead).
        #[arg(long, env = "SWITCHBOARD_NO_WORKER")]
        no_worker: bool,
        /// Allow webhook URLs on loopback and private networks.
        #[arg(long, env = "SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS", default_value = "false")]
        allow_private_webhook_urls: String,
    },
    /// Hourly rollups (the counts behind the charts).
    Rollups {
        #[command(subcommand)]
        action: RollupsAction,
    },
    /// Run only the worker (sync runs and backfills against the sandbox data plane); any number
    /// of workers and servers can share one database.
    Worker,
    /// Run the sandbox data plane as its own process: it claims the sync runs of its key's
    /// environment over the HTTP API, executes them against the simulated platforms, and
    /// reports runs and request logs back over the API. Needs no database.
    Sandbox {
        /// Switchboard's address, such as http://127.0.0.1:3000.
        #[arg(long)]
        url: String,
        /// An ingest key (sb_ingest_...) of the environment to serve.
        #[arg(long, env = "SWITCHBOARD_SANDBOX_API_KEY", hide_env_values = true)]
        api_key: String,
        /// This process's name in leases (default: host and process id).
        #[arg(long)]
        worker: Option<String>,
        /// Runs executed at once.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Seed deterministic demo data into an empty database.
    SeedDemo {
        /// Number of request logs to generate.
        #[arg(long, default_value_t = seed::DEFAULT_REQUEST_LOGS)]
        request_logs: u64,
    },
    /// Benchmark the request-log queries (seeds the database first when it is empty).
    BenchRequestLogs {
        #[arg(long, default_value_t = 10_000_000)]
        request_logs: u64,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Benchmark the worker (bulk backfill at zero latency) and the sync-history and
    /// connections lists (seeds an empty database first).
    BenchSync {
        #[arg(long, default_value_t = 100_000)]
        connections: usize,
        #[arg(long, default_value_t = 1_000)]
        backfill_connections: usize,
        #[arg(long, default_value_t = 1_000_000)]
        history: usize,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Benchmark webhook delivery: throughput to a local receiver, event to first attempt, and
    /// the delivery log's first page on a large table (prints figures).
    BenchWebhooks {
        #[arg(long, default_value_t = 20_000)]
        deliveries: usize,
        #[arg(long, default_value_t = 200)]
        latency_events: usize,
        #[arg(long, default_value_t = 1_000_000)]
        log_rows: usize,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Benchmark ingestion over HTTP: concurrent clients send batches of request logs to a
    /// `serve` process of its own while a reader times the request log's first page.
    BenchIngest {
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long, default_value_t = 200)]
        batches: usize,
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
    },
    /// Benchmark the signed-in console pages over HTTP (a server of its own on the database,
    /// which must hold the demo): each page alone, then `clients` at once for `seconds`.
    BenchPages {
        #[arg(long, default_value_t = 16)]
        clients: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Benchmark the retention purge: ingestion's p50/p95 for another organization alone and
    /// while the purge deletes `rows` request logs past their retention (prints figures).
    BenchPurge {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
    },
    /// Benchmark the issues list: records `issues` issues in an organization of its own (most
    /// resolved) and times the list's first page under each filter (prints figures).
    BenchIssues {
        #[arg(long, default_value_t = 100_000)]
        issues: usize,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Benchmark redaction on crafted input against ordinary request logs, batch for batch
    /// (prints figures; needs no database).
    BenchRedaction {
        #[arg(long, default_value_t = 5)]
        megabytes: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
    },
    /// Classify raw platform errors: reads JSON lines on standard input (platform, http_status,
    /// body, optional headers, method, path) and writes one JSON line per input line (code,
    /// cause, field, confidence, retryable, rule, evidence). Needs no database.
    Classify,
    /// Benchmark the error classifier (classifications per second on one core) and print its
    /// accuracy on the labelled corpus, as the README shows it. Needs no database.
    BenchClassify {
        #[arg(long, default_value_t = 200)]
        rounds: usize,
    },
    /// Create an API key for an organization's environment and print it (it is shown once).
    CreateApiKey {
        /// Organization slug or id.
        #[arg(long)]
        org: String,
        /// sandbox or production.
        #[arg(long, default_value = "sandbox")]
        environment: String,
        /// ingest (the data plane), read (customers' tooling) or backfills (read, and starting
        /// backfills).
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Create a user (and the organization, if it does not exist yet).
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// Organization slug or id; created when missing. Optional for staff.
        #[arg(long)]
        org: Option<String>,
        /// owner, admin, developer or viewer; for staff: support or support_admin.
        #[arg(long)]
        role: String,
        /// The user is Switchboard staff (customer success), not an organization member.
        #[arg(long)]
        staff: bool,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Service(#[from] super::service::ServiceError),
    #[error("{0}")]
    Usage(String),
    #[error("server stopped: {0}")]
    Io(#[from] std::io::Error),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    // The commands that need no database come first, so no database setting can stop them.
    match cli.command {
        Command::Classify => {
            let bad = super::classify::run_lines(std::io::stdin().lock(), std::io::stdout().lock())?;
            if bad > 0 {
                let lines = if bad == 1 { "1 line".to_string() } else { format!("{bad} lines") };
                eprintln!("{lines} could not be read; each has an output line naming the problem");
            }
            return Ok(());
        }
        Command::BenchClassify { rounds } => {
            super::bench::classify::run(rounds.max(1));
            return Ok(());
        }
        _ => {}
    }
    let database_url = database_url("DATABASE_URL (--database-url)", &cli.database_url)?;
    // Webhook signing secrets are sealed at rest under this key (`server::secrets`).
    let key = secret_key(&database_url)?;
    if key.is_none() && matches!(database_url, DatabaseUrl::Postgres(_)) {
        eprintln!("warning: SWITCHBOARD_SECRET_KEY is not set: webhook signing secrets are stored unsealed");
    }
    let sealer = Sealer::new(key);
    match cli.command {
        Command::Serve { addr, demo, site_root, public_url, no_worker, allow_private_webhook_urls } => {
            let addr = parse_addr("SWITCHBOARD_ADDR (--addr)", &addr)?;
            let public_url = match public_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(v) => PublicUrl::parse("SWITCHBOARD_PUBLIC_URL (--public-url)", v)?,
                None => PublicUrl::from_bind(addr)?,
            };
            let allow_private_webhook_urls =
                parse_bool("SWITCHBOARD_ALLOW_PRIVATE_WEBHOOK_URLS", &allow_private_webhook_urls)?;
            if !std::path::Path::new(&site_root).join("pkg").is_dir() {
                eprintln!(
                    "warning: {site_root}/pkg is missing: build the front-end first (see README), \
                     pages will render without styles or interactivity"
                );
            }
            let store = store::open(&database_url, sealer.clone()).await?;
            if demo && store.count_organizations().await? == 0 {
                println!("Seeding demo data (first start)...");
                seed::seed_demo(store.as_ref(), seed::DEFAULT_REQUEST_LOGS).await?;
            }
            let settings = Settings {
                addr,
                database_url: database_url.clone(),
                public_url: public_url.clone(),
                allow_private_webhook_urls,
                delivery: config::delivery_settings(allow_private_webhook_urls)?,
                api_limits: config::api_limits()?,
                site_root,
                trusted_proxies: config::trusted_proxies()?,
                notifications: config::notifier_settings(&public_url.origin, allow_private_webhook_urls)?,
            };
            println!(
                "Switchboard is running at {}  (listening on {addr}, database: {database_url})",
                public_url.origin
            );
            if demo {
                println!("Demo sign-ins (password: {}):", seed::DEMO_PASSWORD);
                for (email, what) in seed::DEMO_USERS {
                    println!("  {email:<28} {what}");
                }
            }
            let state = http::app_state(settings, store.clone());
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker = if no_worker {
                None
            } else {
                if config::scheduler_enabled()? {
                    let (store, clock) = (store.clone(), state.clock.clone());
                    tokio::spawn(super::scheduler::run(store, clock, SCHEDULER_EVERY, stopped.clone()));
                }
                let engine = super::webhooks::delivery::Engine::new(
                    store.clone(),
                    state.clock.clone(),
                    state.webhooks.settings.clone(),
                );
                let deliveries = tokio::spawn(engine.run(stopped.clone()));
                let notifier = super::notifications::Notifier::new(
                    store.clone(),
                    state.clock.clone(),
                    state.settings.notifications.clone(),
                );
                tokio::spawn(notifier.run(stopped.clone()));
                let mut ws = config::worker_settings()?;
                if demo {
                    // The demo's data plane is the sandbox over the HTTP API, as a real deployment's
                    // is: this process's worker only requeues runs whose lease expired.
                    ws.execute_runs = false;
                    let local = format!("http://127.0.0.1:{}", addr.port());
                    for key in demo_plane_keys(store.as_ref()).await? {
                        let settings =
                            plane_settings(local.clone(), key, format!("demo-{}", std::process::id()))?;
                        let plane = super::sandbox::plane::Client::new(settings);
                        let stopped = stopped.clone();
                        tokio::spawn(async move {
                            if let Err(e) = plane.run(stopped).await {
                                tracing::error!(error = %e, "the built-in sandbox data plane stopped");
                            }
                        });
                    }
                }
                let w = Worker::new(store, state.clock.clone(), ws, state.worker_waker.clone());
                Some((tokio::spawn(w.run(stopped)), deliveries))
            };
            let served = http::serve(state).await;
            let _ = stop.send(true);
            if let Some((w, d)) = worker {
                let _ = w.await;
                let _ = d.await;
            }
            served?;
            Ok(())
        }
        Command::Worker => {
            let store = store::open(&database_url, sealer.clone()).await?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            if config::scheduler_enabled()? {
                let clock = Arc::new(SystemClock);
                tokio::spawn(super::scheduler::run(store.clone(), clock, SCHEDULER_EVERY, stopped.clone()));
            }
            let allow_private = config::allow_private_webhook_urls()?;
            let engine = super::webhooks::delivery::Engine::new(
                store.clone(),
                Arc::new(SystemClock),
                config::delivery_settings(allow_private)?,
            );
            let deliveries = tokio::spawn(engine.run(stopped.clone()));
            // Links in alerts point at the console: its public URL, when this process is told it.
            let console = std::env::var("SWITCHBOARD_PUBLIC_URL").unwrap_or_default();
            let console = match console.trim() {
                "" => "http://127.0.0.1:3000".to_string(),
                v => PublicUrl::parse("SWITCHBOARD_PUBLIC_URL", v)?.origin,
            };
            let notifier = super::notifications::Notifier::new(
                store.clone(),
                Arc::new(SystemClock),
                config::notifier_settings(&console, allow_private)?,
            );
            let notifications = tokio::spawn(notifier.run(stopped.clone()));
            let worker =
                Worker::new(store, Arc::new(SystemClock), config::worker_settings()?, WorkerWaker::default());
            println!("Switchboard worker {} is running (database: {database_url}).", worker.owner());
            let handle = tokio::spawn(worker.run(stopped));
            http::shutdown_signal().await;
            let _ = stop.send(true);
            let _ = handle.await;
            let _ = deliveries.await;
            let _ = notifications.await;
            Ok(())
        }
        Command::Sandbox { url, api_key, worker, concurrency } => {
            let host = config::host_name("sandbox");
            let worker = worker.unwrap_or_else(|| {
                format!(
                    "{}-{}",
                    host.chars().filter(|c| c.is_ascii_alphanumeric()).take(40).collect::<String>(),
                    std::process::id()
                )
            });
            let mut settings = plane_settings(url, api_key, worker)?;
            settings.concurrency = concurrency.max(1);
            println!("Sandbox data plane {} serving {} (Ctrl-C to stop).", settings.worker, settings.url);
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let mut plane = tokio::spawn(super::sandbox::plane::Client::new(settings).run(stopped));
            let ended = tokio::select! {
                _ = http::shutdown_signal() => {
                    let _ = stop.send(true);
                    (&mut plane).await
                }
                ended = &mut plane => ended,
            };
            match ended {
                Ok(Err(e)) => Err(CliError::Usage(e.to_string())),
                _ => Ok(()),
            }
        }
        Command::Rollups { action: RollupsAction::Rebuild } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            let started = std::time::Instant::now();
            let r = store.rebuild_request_rollups().await?;
            println!(
                "Rebuilt the request rollups from {} request logs in {:.1} s: {} counts, {} latency buckets.",
                r.rows_read,
                started.elapsed().as_secs_f64(),
                r.counts_written,
                r.latencies_written
            );
            let started = std::time::Instant::now();
            let o = store.rebuild_outcome_rollups().await?;
            println!(
                "Rebuilt the sync-run and delivery counts from {} runs and deliveries in {:.1} s ({} pending changes folded first).",
                o.rows_read,
                started.elapsed().as_secs_f64(),
                o.deltas
            );
            Ok(())
        }
        Command::Migrate => {
            store::open(&database_url, sealer.clone()).await?;
            println!("Database is up to date ({database_url}).");
            Ok(())
        }
        Command::SeedDemo { request_logs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            if store.count_organizations().await? > 0 {
                return Err(CliError::Usage(
                    "the database already has organizations; seed-demo only fills an empty database".into(),
                ));
            }
            let started = std::time::Instant::now();
            seed::seed_demo(store.as_ref(), request_logs).await?;
            println!(
                "Seeded demo data with {request_logs} request logs in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::BenchRequestLogs { request_logs, runs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::request_logs::run(store.as_ref(), request_logs, runs.max(1)).await?;
            Ok(())
        }
        Command::BenchSync { connections, backfill_connections, history, runs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::sync::run(
                store,
                super::bench::sync::BenchSync {
                    connections: connections.max(backfill_connections),
                    backfill_connections,
                    history,
                    runs: runs.max(1),
                },
            )
            .await?;
            Ok(())
        }
        Command::Classify | Command::BenchClassify { .. } => unreachable!("handled above"),
        Command::BenchRedaction { megabytes, runs } => {
            super::bench::redaction::run(megabytes, runs.max(1));
            Ok(())
        }
        Command::BenchIngest { clients, batches, batch_size } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::ingest::run(
                store,
                database_url.as_str(),
                super::bench::ingest::BenchIngest {
                    clients: clients.max(1),
                    batches: batches.max(1),
                    batch_size: batch_size.clamp(1, 1000),
                },
            )
            .await?;
            Ok(())
        }
        Command::BenchPages { clients, seconds, runs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::pages::run(
                store.as_ref(),
                database_url.as_str(),
                super::bench::pages::BenchPages {
                    clients: clients.max(1),
                    seconds: seconds.max(1),
                    runs: runs.max(1),
                },
            )
            .await?;
            Ok(())
        }
        Command::BenchPurge { rows } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::purge::run(store, rows.max(1)).await?;
            Ok(())
        }
        Command::BenchIssues { issues, runs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::issues::run(store.as_ref(), issues.max(1), runs.max(1)).await?;
            Ok(())
        }
        Command::BenchWebhooks { deliveries, latency_events, log_rows, runs } => {
            let store = store::open(&database_url, sealer.clone()).await?;
            super::bench::webhooks::run(
                store,
                super::bench::webhooks::BenchWebhooks {
                    deliveries,
                    latency_events,
                    log_rows,
                    runs: runs.max(1),
                },
            )
            .await?;
            Ok(())
        }
        Command::CreateApiKey { org, environment, scope, name } => {
            let key_scope = KeyScope::from_form(&scope).map_err(|e| CliError::Usage(e.0))?;
            let env = crate::domain::Environment::parse(&environment).ok_or_else(|| {
                CliError::Usage(format!("--environment {environment:?} must be sandbox or production"))
            })?;
            let store = store::open(&database_url, sealer.clone()).await?;
            let organization = store
                .get_organization(&org)
                .await?
                .ok_or_else(|| CliError::Usage(format!("--org {org:?}: no such organization")))?;
            let key = super::api_keys::issue(
                store.as_ref(),
                &store::Scope::new(organization.id, env.as_str()),
                key_scope,
                &name,
                "cli",
            )
            .await?;
            println!("{key}");
            Ok(())
        }
        Command::CreateUser { email, password, org, role, staff, name } => {
            let email = email.trim().to_ascii_lowercase();
            if !email.contains('@') || email.len() < 3 {
                return Err(CliError::Usage(format!("--email {email:?} is not an email address")));
            }
            if password.len() < 10 {
                return Err(CliError::Usage("--password must have at least 10 characters".into()));
            }
            let store = store::open(&database_url, sealer.clone()).await?;
            let now = SystemClock.now_ms();
            let staff_role = if staff {
                Some(StaffRole::parse(&role).ok_or_else(|| {
                    CliError::Usage(format!("--role {role:?} for --staff must be support or support_admin"))
                })?)
            } else {
                None
            };
            let member_role = if staff {
                None
            } else {
                Some(Role::parse(&role).ok_or_else(|| {
                    CliError::Usage(format!("--role {role:?} must be owner, admin, developer or viewer"))
                })?)
            };
            let organization = match (&org, member_role) {
                (Some(org), _) => Some(find_or_create_org(store.as_ref(), org, now).await?),
                (None, Some(_)) => {
                    return Err(CliError::Usage("--org is required for organization members".into()))
                }
                (None, None) => None,
            };
            let user = UserRow {
                id: ids::make_id(prefix::USER, now, rand::random()),
                name: name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string()),
                email: email.clone(),
                password_hash: tokio::task::spawn_blocking(move || hash_password(&password))
                    .await
                    .map_err(|e| CliError::Usage(e.to_string()))?,
                staff_role,
                created_at: now,
            };
            store.create_user(&user).await?;
            if let (Some(o), Some(r)) = (&organization, member_role) {
                store.set_membership(&user.id, &o.id, r, now).await?;
            }
            println!(
                "Created {} {email}{}.",
                if staff { "staff user" } else { "user" },
                organization.map(|o| format!(" in {} as {role}", o.name)).unwrap_or_default()
            );
            Ok(())
        }
    }
}

const SCHEDULER_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The data plane's settings: the worker's sandbox timings (`SWITCHBOARD_SANDBOX_*`) and lease.
fn plane_settings(
    url: String,
    api_key: String,
    worker: String,
) -> Result<super::sandbox::plane::PlaneSettings, CliError> {
    let w = config::worker_settings()?;
    Ok(super::sandbox::plane::PlaneSettings {
        url,
        api_key,
        worker,
        concurrency: w.concurrency,
        lease: w.lease.max(std::time::Duration::from_secs(5)),
        poll: w.poll,
        sandbox: w.sandbox,
    })
}

/// Ingest keys for the built-in data plane of `serve --demo`, one per organization and
/// environment, made at each start (the previous start's are revoked: their secrets were only
/// ever in that process's memory).
async fn demo_plane_keys(store: &dyn store::Store) -> Result<Vec<String>, CliError> {
    const NAME: &str = "Built-in sandbox data plane";
    let mut keys = vec![];
    for org in store.list_organizations(None, 200).await? {
        for env in crate::domain::Environment::ALL {
            let scope = store::Scope::new(org.id.clone(), env.as_str());
            let actor = Actor::System { name: "serve --demo".into(), scope: scope.clone() };
            for old in api_keys::list(store, &actor, &store::Page::First, 200).await? {
                if old.name == NAME && old.revoked_at.is_none() {
                    api_keys::revoke(store, &SystemClock, &actor, &old.id, Some("replaced at start")).await?;
                }
            }
            keys.push(api_keys::issue(store, &scope, KeyScope::Ingest, NAME, "serve --demo").await?);
        }
    }
    Ok(keys)
}

async fn find_or_create_org(
    store: &dyn store::Store,
    org: &str,
    now: i64,
) -> Result<OrganizationRow, CliError> {
    if let Some(found) = store.get_organization(org).await? {
        return Ok(found);
    }
    let slug: String = org
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if slug.trim_matches('-').is_empty() {
        return Err(CliError::Usage(format!("--org {org:?} is not a usable organization name")));
    }
    let row = OrganizationRow {
        id: ids::make_id(prefix::ORGANIZATION, now, rand::random()),
        name: org.trim().to_string(),
        slug: slug.trim_matches('-').to_string(),
        created_at: now,
    };
    store.create_organization(&row).await?;
    println!("Created organization {} ({}).", row.name, row.slug);
    Ok(row)
}
