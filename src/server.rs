//! Everything that only runs on the server: settings, storage, authentication, the HTTP router,
//! demo data and the command line.

pub mod access;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod context;
pub mod http;
pub mod redact;
pub mod reveal;
pub mod seed;
pub mod store;

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
}
