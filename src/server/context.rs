//! What a server function needs from its request: the shared state and the signed-in viewer.
//! Both are read from Leptos context before the first `.await`, so they are always present.

use super::auth::{CurrentViewer, Viewer};
use super::AppState;
use crate::error::AppError;
use leptos::prelude::use_context;
use std::sync::Arc;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// The signed-in viewer, or `Unauthorized`.
pub fn viewer() -> Result<Arc<Viewer>, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentViewer>().cloned())
        .and_then(|v| v.0)
        .ok_or(AppError::Unauthorized)
}

/// Both at once, the usual first line of a server function.
pub fn session() -> Result<(AppState, Arc<Viewer>), AppError> {
    Ok((state()?, viewer()?))
}

pub use super::service::internal;

/// Whether this server function call is a plain form post (no JavaScript): its answer is then
/// a redirect to a page, since the browser would show a bare JSON body.
pub fn wants_html() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers.get(http::header::ACCEPT).and_then(|v| v.to_str().ok()).map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}
