//! The HTTP surface: the Leptos pages and server functions, the plain form endpoints that work
//! without JavaScript, static files, and the middleware every request passes through.

use super::auth;
use super::config::Settings;
use super::store::Store;
use super::AppState;
use crate::app::{shell, App};
use crate::error::AppError;
use crate::ids::{self, prefix};
use axum::extract::Query;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
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
        webhooks: Arc::new(super::webhooks::Webhooks::new(settings.delivery.clone())),
        api: Arc::new(super::api::keys::ApiGuards {
            limiter: super::api::limits::RateLimiter::new(settings.api_limits),
            usage: Default::default(),
            // Two batches per core: while one waits for the database, the other is read.
            ingest: super::api::fair::FairGate::new(
                2 * std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            ),
        }),
        settings: Arc::new(settings),
        sign_in_limiter: Arc::new(auth::SignInLimiter::default()),
        clock: Arc::new(super::clock::SystemClock),
        worker_waker: super::worker::WorkerWaker::default(),
    }
}

/// The routes outside Leptos: plain form endpoints that work without JavaScript, the search
/// redirect and the health check. Listed in one place so the access sweep test
/// (`tests/it/sweep.rs`) calls every one of them.
pub fn plain_routes() -> Vec<(&'static str, axum::http::Method, axum::routing::MethodRouter<AppState>)> {
    use axum::http::Method;
    vec![
        ("/auth/sign-in", Method::POST, post(auth::sign_in)),
        ("/auth/sign-out", Method::POST, post(auth::sign_out)),
        ("/auth/switch", Method::POST, post(auth::switch_context)),
        ("/search", Method::GET, get(search)),
        ("/requests/export", Method::GET, get(export_requests)),
        ("/requests/live", Method::GET, get(live_requests)),
        ("/connections/{id}/sync-runs/export", Method::GET, get(export_sync_runs)),
        ("/webhooks/deliveries/export", Method::GET, get(export_deliveries)),
        ("/healthz", Method::GET, get(|| async { "ok" })),
    ]
}

/// The console's page routes, generated once per process. Generating them runs the whole app
/// with resource loading switched off by a process-wide flag (leptos_server's
/// `SuppressResourceLoad`): a page render whose resource first polls while any thread is
/// generating waits forever (leptos-rs/leptos#4773). So this runs once, before any router exists
/// to render a page, and everything that wants the list (every router, the sweep and fuzz tests)
/// takes it from here.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = routes();
    let mut router = Router::new();
    for (path, _, handler) in plain_routes() {
        router = router.route(path, handler);
    }
    // The console: cookie sessions, the origin check and the sign-in redirect. The HTTP API is
    // nested beside it with its own authentication (bearer keys), so neither sees the other's.
    let console = router
        .leptos_routes_with_context(&state, routes, provide_request_nonce, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            provide_request_nonce,
            shell,
        ))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(deadline))
        .layer(middleware::from_fn(auth::require_sign_in))
        .layer(middleware::from_fn_with_state(state.clone(), auth::check_origin))
        .layer(middleware::from_fn_with_state(state.clone(), auth::load_viewer));
    Router::new()
        .nest("/api/v1", super::api::router(state.clone()))
        .merge(console)
        .layer(middleware::from_fn(refuse_nul))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(CompressionLayer::new())
        // The access log names the client (behind a trusted proxy, the one it forwarded) and the
        // path only: a query string may carry what should not be logged.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let client = super::client_addr::of(req.extensions()).unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), client = %client)
        }))
        .layer(middleware::from_fn_with_state(
            state.settings.trusted_proxies.clone(),
            super::client_addr::resolve,
        ))
        .with_state(state)
}

/// How long a page or server function may take before it is stopped.
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Stops a console request that has not answered within [`DEADLINE`] with a 503 that says so.
/// A page render waits for every resource it reads; one that never resolves (its task died)
/// would otherwise hold the request, and the person's tab, forever.
async fn deadline(req: axum::extract::Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    match tokio::time::timeout(DEADLINE, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(path = %path, "a console request did not answer within {DEADLINE:?}");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "This page took longer than 60 seconds to prepare and was stopped. Try again; if it keeps happening, narrow the filters or tell your Switchboard operator.",
            )
                .into_response()
        }
    }
}

/// Refuses a NUL character (`%00`) in the address or in a form's fields with a 400 that says
/// so: PostgreSQL text cannot hold one, and a filter or form field carrying it would otherwise
/// fail deep in a query. The HTTP API gets its error body, a server function its error, a page
/// the message. (Ingested JSON items are checked one by one: `ingest`.)
async fn refuse_nul(req: axum::extract::Request, next: Next) -> Response {
    fn has_nul(bytes: &[u8]) -> bool {
        bytes.windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    }
    let path = req.uri().path().to_string();
    let refuse = |what: &str| -> Response {
        let message = format!(
            "The {what} contains a NUL character (%00), which cannot be stored or searched for; remove it."
        );
        if path.starts_with("/api/v1/") {
            super::api::error::ApiError::invalid(message).into_response()
        } else if path.starts_with("/api/") {
            let body = serde_json::to_string(&AppError::invalid(message)).unwrap_or_default();
            (
                axum::http::StatusCode::BAD_REQUEST,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        } else {
            (axum::http::StatusCode::BAD_REQUEST, message).into_response()
        }
    };
    if has_nul(req.uri().path().as_bytes()) || req.uri().query().is_some_and(|q| has_nul(q.as_bytes())) {
        return refuse("address");
    }
    let form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // The sign-in form checks its own fields: a bad `next` falls back to the home page rather
    // than failing the sign-in.
    if !form || path == "/auth/sign-in" {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 4 << 20).await else {
        return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "The form is too large.").into_response();
    };
    if has_nul(&bytes) {
        return refuse("form");
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// Leptos answers every failed server function with 500. This gives each [`AppError`] its
/// status, in one place: 401 signed out, 403 not allowed, 404 not found (or not yours), 400 for
/// input the caller can fix; only `Internal` stays 500.
async fn server_fn_status(req: axum::extract::Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "The answer could not be read.")
            .into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = err.status();
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The Content-Security-Policy of a page: only this origin's scripts and styles, plus the one
/// inline hydration script that carries this response's nonce. `wasm-unsafe-eval` lets the
/// browser compile the app's WebAssembly and allows no JavaScript `eval`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The CSP nonce of one response, chosen by [`security_headers`] before the page renders, so the
/// header and the nonce Leptos writes on its inline scripts are always the same value.
#[derive(Clone)]
pub struct CspNonce(pub String);

/// Gives Leptos this request's nonce (it would otherwise draw its own).
fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(n) =
        use_context::<axum::http::request::Parts>().and_then(|p| p.extensions.get::<CspNonce>().cloned())
    {
        provide_context(leptos::nonce::Nonce::from_value(n.0));
    }
}

/// For responses that did not set their own (server-function answers, redirects, files).
const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    // Everything but the built front-end may carry an organization's data: never cache it, in
    // the browser or on the way.
    let cacheable = req.uri().path().starts_with("/pkg/") || req.uri().path() == "/favicon.ico";
    let nonce = super::auth::random_token(16);
    let mut req = req;
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_CSP));
    }
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.settings.public_url.https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
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
    let qs = params
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::url::encode_path(v)))
        .collect::<Vec<_>>()
        .join("&");
    Redirect::to(&format!("/search/help?{qs}")).into_response()
}

/// A list's query string as pairs, in order (a repeated `type` stays repeated).
type Pairs = Query<Vec<(String, String)>>;

fn pair<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()).unwrap_or("")
}

/// The signed-in person (the sign-in middleware has sent everyone else to sign in).
fn person(req_viewer: Option<axum::Extension<auth::CurrentViewer>>) -> Result<super::actor::Actor, AppError> {
    req_viewer
        .and_then(|axum::Extension(v)| v.0)
        .map(super::actor::Actor::Person)
        .ok_or(AppError::Unauthorized)
}

/// A download, or the error that stopped it before anything was sent (a bad filter, an id that
/// is not found) with its status and message.
fn download(export: Result<super::export::Export, AppError>) -> Response {
    match export {
        Ok(e) => (
            [
                (header::CONTENT_TYPE, e.format.content_type().to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", e.file_name)),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            axum::body::Body::from_stream(e.body),
        )
            .into_response(),
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

/// `GET /requests/export?format=csv&status=5xx…`: the request log with the list's filters.
async fn export_requests(
    axum::extract::State(state): axum::extract::State<AppState>,
    viewer: Option<axum::Extension<auth::CurrentViewer>>,
    Query(pairs): Pairs,
) -> Response {
    download(
        async {
            let actor = person(viewer)?;
            let format = super::export::Format::parse(pair(&pairs, "format"))?;
            let filter = crate::domain::request_filter::RequestFilter::from_pairs(pairs.clone());
            Ok(super::export::request_logs(&state, &actor, &filter, format).await?)
        }
        .await,
    )
}

/// `GET /requests/live?status=5xx…&after=req_…`: the live tail of the request log with the
/// list's filters, as server-sent events (`server::live`). `after` is the newest request the
/// page shows. A bad filter is refused with 400 and its message before anything streams.
async fn live_requests(
    axum::extract::State(state): axum::extract::State<AppState>,
    viewer: Option<axum::Extension<auth::CurrentViewer>>,
    Query(pairs): Pairs,
) -> Response {
    let actor = match person(viewer) {
        Ok(a) => a,
        Err(e) => return (e.status(), e.to_string()).into_response(),
    };
    let filter = crate::domain::request_filter::RequestFilter::from_pairs(pairs);
    let now = state.clock.now_ms();
    let after = match filter.after.as_deref().map(|a| ids::parse_id(prefix::REQUEST, a)) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            let e = AppError::invalid(format!("after: not a request ID: {e}."));
            return (e.status(), e.to_string()).into_response();
        }
    };
    if let Err(e) = super::request_logs::query(&filter, &actor.scope(), now) {
        let e = AppError::from(e);
        return (e.status(), e.to_string()).into_response();
    }
    let events = super::live::events(state, actor, filter, after, now);
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::sse::Sse::new(events).keep_alive(axum::response::sse::KeepAlive::default()),
    )
        .into_response()
}

/// `GET /connections/{id}/sync-runs/export?format=csv&object=invoices…`: a connection's sync
/// history with its tab's filters.
async fn export_sync_runs(
    axum::extract::State(state): axum::extract::State<AppState>,
    viewer: Option<axum::Extension<auth::CurrentViewer>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    Query(pairs): Pairs,
) -> Response {
    download(
        async {
            let actor = person(viewer)?;
            let format = super::export::Format::parse(pair(&pairs, "format"))?;
            let g = |k: &str| pair(&pairs, k).to_string();
            let filters = super::sync_runs::HistoryFilters {
                object: g("object"),
                status: g("status"),
                kind: g("kind"),
                range: g("range"),
                from: g("from"),
                to: g("to"),
            };
            Ok(super::export::sync_runs(&state, &actor, &id, &filters, format).await?)
        }
        .await,
    )
}

/// `GET /webhooks/deliveries/export?format=csv&status=failed…`: the delivery log with its
/// filters (also an endpoint's or a connection's, through `endpoint=` and `connection=`).
async fn export_deliveries(
    axum::extract::State(state): axum::extract::State<AppState>,
    viewer: Option<axum::Extension<auth::CurrentViewer>>,
    Query(pairs): Pairs,
) -> Response {
    download(
        async {
            let actor = person(viewer)?;
            let format = super::export::Format::parse(pair(&pairs, "format"))?;
            let g = |k: &str| pair(&pairs, k).to_string();
            let filters = crate::domain::delivery_filter::DeliveryFilters {
                endpoint: g("endpoint"),
                types: pairs
                    .iter()
                    .filter(|(k, _)| k == "type")
                    .map(|(_, v)| v.trim())
                    .collect::<Vec<_>>()
                    .join(","),
                connection: g("connection"),
                status: g("status"),
                class: g("class"),
                range: g("range"),
                from: g("from"),
                to: g("to"),
            };
            Ok(super::export::deliveries(&state, &actor, &filters, format).await?)
        }
        .await,
    )
}

/// Binds, prints where it listens, and serves until Ctrl-C or SIGTERM.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let addr = state.settings.addr;
    tokio::spawn(auth::purge_sessions_periodically(
        state.store.clone(),
        state.clock.clone(),
        std::time::Duration::from_secs(300),
    ));
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening");
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

pub async fn shutdown_signal() {
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
