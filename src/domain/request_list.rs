//! A request as the request log's rows show it: the page's server function and the live tail
//! (`GET /requests/live`, server-sent events) send the same shape, so a row that arrives live
//! looks exactly like one the page loaded.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// One row of the request log.
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
