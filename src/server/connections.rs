//! The connections context: finding connections by the list's filters, for the connections page,
//! the "backfill all matching" action and (later) the HTTP API, so all three match the same rows.

use super::store::{ConnectionFilter, ConnectionListRow, Page, Scope, Store, StoreResult};

/// Runs within this window count as "failed in the last 24 h" in the list's health column.
pub const HEALTH_WINDOW_MS: i64 = 86_400_000;

/// One page of connections and, when asked, the counts by status for the same filters.
pub struct ConnectionSearch {
    pub rows: Vec<ConnectionListRow>,
    /// `(status, count)` for every status, the filter's own status choice ignored; empty when
    /// counts were not asked for.
    pub counts: Vec<(String, i64)>,
}

/// Connections matching `filter` in `scope`, `limit` rows of `page`, newest first. A text that is
/// exactly a connection ID or platform account ID is resolved once, here, into an index lookup
/// that both the page and the counts use.
pub async fn search(
    store: &dyn Store,
    scope: &Scope,
    filter: &ConnectionFilter,
    page: &Page,
    limit: i64,
    now_ms: i64,
    with_counts: bool,
) -> StoreResult<ConnectionSearch> {
    let filter = store.exact_text_match(scope, filter).await?;
    let rows = store.search_connections(scope, &filter, page, limit, now_ms - HEALTH_WINDOW_MS).await?;
    let counts = if with_counts { store.connection_status_counts(scope, &filter).await? } else { Vec::new() };
    Ok(ConnectionSearch { rows, counts })
}
