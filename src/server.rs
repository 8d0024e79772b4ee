//! Everything that only runs on the server: settings, storage, authentication, the HTTP router,
//! demo data and the command line.

pub mod access;
pub mod actor;
pub mod api;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod backfills;
pub mod bench;
pub mod classify;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod connections;
pub mod context;
pub mod export;
pub mod failures;
pub mod hour_walk;
pub mod http;
pub mod ingest;
pub mod issues;
pub mod live;
pub mod notifications;
pub mod overview;
pub mod redact;
pub mod request_logs;
pub mod retention;
pub mod reveal;
pub mod sandbox;
pub mod scheduler;
pub mod secrets;
pub mod seed;
pub mod service;
pub mod store;
pub mod sync_config;
pub mod sync_runs;
pub mod webhooks;
pub mod worker;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Shared by every handler and, through Leptos context, every server function.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn store::Store>,
    pub settings: Arc<config::Settings>,
    pub sign_in_limiter: Arc<auth::SignInLimiter>,
    /// Time, injected so schedules and retries are testable.
    pub clock: Arc<dyn clock::Clock>,
    /// Wakes the in-process worker when work was just queued.
    pub worker_waker: worker::WorkerWaker,
    /// The webhook HTTP client and delivery settings (test events are sent from a page).
    pub webhooks: Arc<webhooks::Webhooks>,
    /// The API's rate limits and key-usage marks.
    pub api: Arc<api::keys::ApiGuards>,
}
