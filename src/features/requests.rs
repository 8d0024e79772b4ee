//! Request logs: find any request in one step, see why it failed and what to do next.
//!
//! `list` is the searchable list at `/requests` (its filters are `domain::request_filter`),
//! `detail` the page of one request (its next step comes from `domain::guidance`).

pub mod detail;
pub mod list;
pub mod live;

use crate::domain::request_filter::RequestFilter;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

/// Rows per page; the list never pages with OFFSET, only with the id cursor.
pub const PAGE_SIZE: i64 = 50;

pub use crate::domain::request_list::RequestLogListItem;

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
    /// The environment's newest connections (at most [`PICKER_SIZE`]) plus the selected one, for
    /// the connection picker.
    pub connections: Vec<ConnectionOption>,
    /// The environment has more connections than the picker lists.
    pub more_connections: bool,
    /// How many days the organization keeps requests; every search covers all of them.
    pub retention_days: i64,
}

/// Connections offered in the request-log filter's picker; the list is bounded, so a large
/// environment never loads every connection on each page.
pub const PICKER_SIZE: i64 = 100;

#[server(input = GetUrl, endpoint = "list_request_logs")]
pub async fn list_request_logs(#[server(default)] filter: RequestFilter) -> Result<RequestLogPage, AppError> {
    use crate::domain::platform;
    use crate::server::actor::Actor;
    use crate::server::connections;
    use crate::server::context::session;
    use crate::server::request_logs::{self, RequestLogList};

    let (state, viewer) = session()?;
    let actor = Actor::Person(viewer);
    let RequestLogList { rows, newer, older, query, retention_days } =
        request_logs::list(&state, &actor, &filter, PAGE_SIZE).await?;
    let (mut picker, more_connections) = connections::picker(&state, &actor, PICKER_SIZE).await?;
    // Names of the connections on this page and of the selected one: one bounded lookup.
    let mut wanted: Vec<String> = rows.iter().filter_map(|r| r.connection_id.clone()).collect();
    wanted.extend(query.connection_id.clone());
    wanted.sort();
    wanted.dedup();
    let named = connections::by_ids(&state, &actor, &wanted).await?;
    let names: std::collections::HashMap<&str, &str> =
        named.iter().map(|c| (c.id.as_str(), c.display_name.as_str())).collect();
    let rows = rows.into_iter().map(|r| request_logs::list_item(r, &names)).collect();
    if let Some(selected) = query.connection_id.as_deref() {
        if !picker.iter().any(|c| c.id == selected) {
            picker.extend(named.iter().filter(|c| c.id == selected).cloned());
        }
    }
    let connections = picker
        .into_iter()
        .map(|c| ConnectionOption {
            platform_name: platform(&c.platform_id).map(|p| p.name.to_string()).unwrap_or_default(),
            id: c.id,
            name: c.display_name,
        })
        .collect();
    Ok(RequestLogPage { rows, newer, older, connections, more_connections, retention_days })
}
