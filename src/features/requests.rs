//! Request logs: find any request in one step, see why it failed and what to do next.
//!
//! `filter` parses and validates the URL's filters, `list` is the searchable list at
//! `/requests`, `detail` the page of one request, `guidance` the plain next step for a failure.

pub mod detail;
pub mod filter;
pub mod guidance;
pub mod list;

use crate::error::AppError;
use filter::RequestFilter;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

/// Rows per page; the list never pages with OFFSET, only with the id cursor.
pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLogListItem {
    pub id: String,
    pub created_at: i64,
    pub method: String,
    pub path: String,
    pub status_code: i64,
    pub error_code: Option<String>,
    pub connection_id: Option<String>,
    pub connection_name: Option<String>,
    pub platform_name: Option<String>,
    pub latency_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionOption {
    pub id: String,
    pub name: String,
    pub platform_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestLogPage {
    pub rows: Vec<RequestLogListItem>,
    /// Cursor for the newer page (`after=`), when there is one.
    pub newer: Option<String>,
    /// Cursor for the older page (`before=`), when there is one.
    pub older: Option<String>,
    /// The environment's connections, for the connection picker.
    pub connections: Vec<ConnectionOption>,
}

#[server(input = GetUrl, endpoint = "list_request_logs")]
pub async fn list_request_logs(#[server(default)] filter: RequestFilter) -> Result<RequestLogPage, AppError> {
    use crate::domain::platform;
    use crate::server::context::{internal, session};
    use crate::server::store::Page;
    let (state, viewer) = session()?;
    let mut query = filter.to_store_query(&viewer.organization_id, viewer.environment.as_str())?;
    query.limit = PAGE_SIZE + 1;
    let connections = state
        .store
        .list_connections(&viewer.organization_id, viewer.environment.as_str())
        .await
        .map_err(internal)?;
    let mut rows = state.store.list_request_logs(&query).await.map_err(internal)?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    if has_more {
        // For "newer" pages the extra row is the newest one; otherwise the oldest.
        if matches!(query.page, Page::After(_)) {
            rows.remove(0);
        } else {
            rows.pop();
        }
    }
    let (newer, older) = match &query.page {
        Page::First => (None, has_more.then(|| rows.last().map(|r| r.id.clone())).flatten()),
        Page::Before(_) => (
            rows.first().map(|r| r.id.clone()),
            has_more.then(|| rows.last().map(|r| r.id.clone())).flatten(),
        ),
        Page::After(_) => (
            has_more.then(|| rows.first().map(|r| r.id.clone())).flatten(),
            rows.last().map(|r| r.id.clone()),
        ),
    };
    let names: std::collections::HashMap<&str, &str> =
        connections.iter().map(|c| (c.id.as_str(), c.display_name.as_str())).collect();
    let rows = rows
        .into_iter()
        .map(|r| RequestLogListItem {
            connection_name: r.connection_id.as_deref().and_then(|id| names.get(id)).map(|s| s.to_string()),
            platform_name: r.platform_id.as_deref().and_then(platform).map(|p| p.name.to_string()),
            id: r.id,
            created_at: r.created_at,
            method: r.method,
            path: r.path,
            status_code: r.status_code,
            error_code: r.error_code,
            connection_id: r.connection_id,
            latency_ms: r.latency_ms,
        })
        .collect();
    let connections = connections
        .into_iter()
        .map(|c| ConnectionOption {
            platform_name: platform(&c.platform_id).map(|p| p.name.to_string()).unwrap_or_default(),
            id: c.id,
            name: c.display_name,
        })
        .collect();
    Ok(RequestLogPage { rows, newer, older, connections })
}
