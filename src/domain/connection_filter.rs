//! The connections list's filters as they appear in a URL (`/connections?status=...`), shared
//! by the list, "backfill all matching" and links between pages. The connections service
//! (`server::connections`) checks them.

use serde::{Deserialize, Serialize};

/// The list's filters as they appear in the URL.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConnectionListQuery {
    /// Comma-separated statuses.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub r#type: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub behind: bool,
}

impl ConnectionListQuery {
    /// Reads what [`ConnectionListQuery::to_query`] wrote (repeated `status`, URL-encoded values).
    pub fn from_query(query: &str) -> Self {
        let mut q = ConnectionListQuery::default();
        let mut statuses = vec![];
        for (k, v) in crate::url::query_pairs(query) {
            match k.as_str() {
                "status" => statuses.push(v),
                "platform" => q.platform = v,
                "type" => q.r#type = v,
                "q" => q.q = v,
                "behind" => q.behind = !v.is_empty(),
                _ => {}
            }
        }
        q.status = statuses.join(",");
        q
    }

    /// `status=a&status=b&platform=…` for links.
    pub fn to_query(&self) -> String {
        let mut parts: Vec<String> =
            self.status.split(',').filter(|s| !s.is_empty()).map(|s| format!("status={s}")).collect();
        for (k, v) in [("platform", &self.platform), ("type", &self.r#type), ("q", &self.q)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", crate::url::encode_component(v)));
            }
        }
        if self.behind {
            parts.push("behind=1".into());
        }
        parts.join("&")
    }
}
