//! The HTTP surface: the Leptos pages and server functions, the plain form endpoints that work
//! without JavaScript, static files, and the middleware every request passes through.

use super::auth;
use super::config::Settings;
use super::store::Store;
use super::AppState;
use crate::app::{shell, App};
use crate::ids::{self, prefix};
use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .env(Env::PROD)
        .build()
}

pub fn app_state(settings: Settings, store: Arc<dyn Store>) -> AppState {
    AppState {
        leptos_options: leptos_options(&settings),
        store,
        settings: Arc::new(settings),
        sign_in_limiter: Arc::new(auth::SignInLimiter::default()),
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/auth/sign-in", post(auth::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/switch", post(auth::switch_context))
        .route("/search", get(search))
        .route("/healthz", get(|| async { "ok" }))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(auth::require_sign_in))
        .layer(middleware::from_fn(auth::check_origin))
        .layer(middleware::from_fn_with_state(state.clone(), auth::load_viewer))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn security_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    res
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// GET /search?q=…: the global search box. A pasted request or connection ID (with stray
/// spaces or quotes) opens its page in one step; anything else lands on a page that explains
/// what can be searched. Whether the ID exists, and in which organization, is decided by the
/// detail page, so "not yours" and "does not exist" look the same.
async fn search(Query(query): Query<SearchQuery>) -> Response {
    let raw = query.q.unwrap_or_default();
    let cleaned = ids::clean_pasted(&raw).to_ascii_lowercase();
    if let Ok(id) = ids::parse_id(prefix::REQUEST, &cleaned) {
        return Redirect::to(&format!("/requests/{id}")).into_response();
    }
    if let Ok(id) = ids::parse_id(prefix::CONNECTION, &cleaned) {
        return Redirect::to(&format!("/connections/{id}")).into_response();
    }
    let mut params = HashMap::new();
    params.insert("q", raw);
    let qs = params.iter().map(|(k, v)| format!("{k}={}", auth::urlencode(v))).collect::<Vec<_>>().join("&");
    Redirect::to(&format!("/search/help?{qs}")).into_response()
}

/// Binds, prints where it listens, and serves until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let addr = state.settings.addr;
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
