//! The webhook delivery log's filters as they arrive in a URL (`/webhooks/deliveries?...`, an
//! endpoint's page, a connection's Webhooks tab). They stay strings here, so a hand-edited link
//! gets a message naming the field rather than a decoding error; the webhooks service
//! (`server::webhooks::deliveries`) checks them.

use serde::{Deserialize, Serialize};

/// The last response's class.
pub const CLASSES: &[(&str, &str)] =
    &[("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx"), ("error", "No response")];
/// Time ranges, in hours back from now.
pub const RANGES: &[(&str, &str, i64)] = &[
    ("1h", "Last hour", 1),
    ("24h", "Last 24 hours", 24),
    ("7d", "Last 7 days", 168),
    ("30d", "Last 30 days", 720),
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeliveryFilters {
    pub endpoint: String,
    /// Comma-separated event types.
    pub types: String,
    pub connection: String,
    pub status: String,
    pub class: String,
    pub range: String,
    pub from: String,
    pub to: String,
}

impl DeliveryFilters {
    /// The filters as a query string (without cursors).
    pub fn to_query(&self) -> String {
        let mut parts = vec![];
        for t in self.types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            parts.push(format!("type={}", crate::url::encode_component(t)));
        }
        for (k, v) in [
            ("endpoint", &self.endpoint),
            ("connection", &self.connection),
            ("status", &self.status),
            ("class", &self.class),
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", crate::url::encode_component(v.trim())));
            }
        }
        parts.join("&")
    }
}
