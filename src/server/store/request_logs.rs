//! Request logs: every call through the unified API, redacted on the way in, and the overview
//! counted from them.

use super::{Page, Scope, StoreResult};
use async_trait::async_trait;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub api_key_prefix: Option<String>,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status_code: i64,
    pub status_class: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub platform_error: Option<String>,
    pub error_confidence: Option<String>,
    pub request_headers: String,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub response_truncated: bool,
    pub upstream_calls: String,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub source_ip: Option<String>,
    pub created_at: i64,
    /// JSON array of the paths whose values the redaction replaced; set by the store on insert.
    pub redacted_fields: String,
    /// SHA-256 of the redacted content, for idempotent ingestion (set by the store; `None` for
    /// rows the seed and the built-in data plane write).
    #[sqlx(default)]
    pub content_hash: Option<String>,
    /// The classifier's conclusion on `platform_error` (set by the store, see `classify`).
    #[sqlx(default)]
    pub error_cause: Option<String>,
    #[sqlx(default)]
    pub error_field: Option<String>,
    #[sqlx(default)]
    pub error_rule: Option<String>,
    #[sqlx(default)]
    pub classified_code: Option<String>,
}

impl RequestLogRow {
    /// SHA-256 of everything an ingested item carries, after redaction: two deliveries of the
    /// same item hash the same, and the hash is never derived from a secret.
    pub fn content_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let opt = |h: &mut Sha256, v: Option<&str>| match v {
            Some(s) => {
                h.update(b"\x01");
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            None => h.update(b"\x00"),
        };
        for v in [
            &self.organization_id,
            &self.environment,
            &self.method,
            &self.path,
            &self.request_headers,
            &self.upstream_calls,
        ] {
            opt(&mut h, Some(v));
        }
        for v in [
            &self.connection_id,
            &self.api_key_prefix,
            &self.query,
            &self.error_code,
            &self.error_message,
            &self.platform_error,
            &self.error_confidence,
            &self.request_body,
            &self.response_body,
            &self.idempotency_key,
            &self.user_agent,
            &self.source_ip,
        ] {
            opt(&mut h, v.as_deref());
        }
        for n in [self.status_code, self.latency_ms, self.created_at, self.response_truncated as i64] {
            h.update(n.to_le_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Classifies the raw platform error (`crate::classify`) of a failed request. The store
    /// calls this on every insert path, after redaction, so no writer stores an error
    /// unexamined: a row sent without a code takes the classifier's code and confidence; one
    /// sent with a code keeps it, and the classifier's own code is kept beside it.
    pub fn classify(&mut self) {
        if self.status_code < 400 {
            return;
        }
        let Some(body) = self.platform_error.clone() else { return };
        // The platform's own answer: the last upstream call that failed, else the request's.
        let upstream_status = serde_json::from_str::<Vec<serde_json::Value>>(&self.upstream_calls)
            .ok()
            .and_then(|calls| calls.iter().rev().find_map(|c| c["status"].as_u64().filter(|s| *s >= 400)));
        let raw = crate::classify::RawError {
            platform: self.platform_id.clone().unwrap_or_default(),
            http_status: Some(upstream_status.unwrap_or(self.status_code as u64) as u16),
            headers: Vec::new(),
            body,
            method: Some(self.method.clone()),
            path: Some(self.path.clone()),
        };
        let c = crate::classify::classify(&raw);
        if self.error_code.is_none() {
            self.error_code = Some(c.code.to_string());
            self.error_confidence = Some(c.confidence.as_str().to_string());
        }
        self.error_cause = Some(c.cause.as_str().to_string());
        self.error_field = c.field.map(|f| f.chars().take(200).collect());
        self.error_rule = Some(c.rule);
        self.classified_code = Some(c.code.to_string());
    }

    /// Replaces every secret in the row before it is stored (`server::redact`). The store calls
    /// this on every insert path; callers never need to.
    pub fn redact(&mut self) {
        let mut paths = crate::server::redact::request_log(crate::server::redact::RequestLogFields {
            request_headers: &mut self.request_headers,
            query: &mut self.query,
            request_body: &mut self.request_body,
            response_body: &mut self.response_body,
            platform_error: &mut self.platform_error,
            error_message: &mut self.error_message,
            upstream_calls: &mut self.upstream_calls,
        });
        // Values a writer already redacted stay listed.
        if let Ok(prior) = serde_json::from_str::<Vec<String>>(&self.redacted_fields) {
            for p in prior {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        self.redacted_fields = serde_json::to_string(&paths).unwrap_or_else(|_| "[]".into());
    }
}

/// The columns a list of request logs shows; the bodies stay in the table.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RequestLogSummaryRow {
    pub id: String,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status_code: i64,
    pub latency_ms: i64,
    pub error_code: Option<String>,
    pub created_at: i64,
}

/// A request-log list query: every filter is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct RequestLogQuery {
    pub organization_id: String,
    pub environment: String,
    pub request_id: Option<String>,
    pub connection_id: Option<String>,
    pub platform_id: Option<String>,
    pub status_class: Option<i64>,
    pub status_code: Option<i64>,
    pub error_code: Option<String>,
    pub method: Option<String>,
    /// Path prefix as `[from, to)`: callers pass the prefix and its successor.
    pub path_range: Option<(String, String)>,
    /// Time range as ids: `from_id <= id < to_id`.
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub page: Page,
    pub limit: i64,
    /// Read only these id ranges (`[from, to)`, disjoint, any order): the hours the rollups say
    /// hold matches (`server::request_logs::list`). Empty: read the filters' index as it comes.
    pub id_ranges: Vec<(String, String)>,
}

impl RequestLogQuery {
    /// The filter whose index the query reads in id order: a request id (the primary key) or a
    /// connection (its own index). Every other filter is checked on the entries of the list's
    /// index (`request_logs_list` carries status, platform, method and error code after the id),
    /// and the path prefix on the row.
    pub fn driving_filter(&self) -> Option<&'static str> {
        if self.request_id.is_some() {
            Some("id")
        } else if self.connection_id.is_some() {
            Some("connection_id")
        } else {
            None
        }
    }

    /// Whether some filter is checked entry by entry beside the driving one: then matches can be
    /// rare in the index read, and `server::request_logs::find` narrows the read to the hours
    /// that hold them.
    pub fn has_residual_filters(&self) -> bool {
        let filters = [
            self.connection_id.is_some(),
            self.error_code.is_some(),
            self.status_code.is_some(),
            self.platform_id.is_some(),
            self.status_class.is_some(),
            self.method.is_some(),
            self.path_range.is_some(),
        ];
        self.request_id.is_none()
            && filters.iter().filter(|f| **f).count() > usize::from(self.driving_filter().is_some())
    }
}

/// Request logs.
#[async_trait]
pub trait RequestLogStore: Send + Sync {
    /// Inserts request logs in one transaction, each redacted first (`RequestLogRow::redact`).
    async fn insert_request_logs(&self, rows: &[RequestLogRow]) -> StoreResult<()>;
    /// Ingestion: redacts each row, hashes its content, and inserts those whose id is new, in one
    /// transaction. Returns the positions of rows whose id was already stored with another
    /// content (or in another environment): the conflicts. Rows stored before with the same
    /// content are neither inserted again nor conflicts. With them, what issue detection reads
    /// in the rows as stored (redacted and classified), the error-rate counters updated in the
    /// same transaction (`server::issues`).
    async fn ingest_request_logs(&self, rows: Vec<RequestLogRow>)
        -> StoreResult<super::issues::IngestReport>;
    /// Up to `limit` rows in the query's page, always returned newest first.
    async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>>;
    /// The ids of the environment's oldest and newest stored requests (two index probes).
    async fn request_log_span(&self, scope: &Scope) -> StoreResult<Option<(String, String)>>;
    async fn get_request_log(&self, scope: &Scope, id: &str) -> StoreResult<Option<RequestLogRow>>;
}
