//! Webhook endpoints, events and their deliveries: what the console shows and the delivery
//! engine's queue.
//!
//! Recording an event inserts it and one delivery per enabled endpoint subscribed to its type,
//! in the caller's transaction, so an event is never recorded without its deliveries. The queue
//! is the deliveries table itself: a due delivery (`pending` or `retrying`, `next_attempt_at`
//! passed) is claimed by setting a lease in one statement (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL); its outcome is written only while the lease is still held. A process killed
//! mid-attempt leaves a lease that expires, and the delivery is claimed again: delivery is at
//! least once, and the same event id goes out on every attempt so receivers can deduplicate.

use super::{NewAuditEntry, Page, Scope, StoreResult};
use async_trait::async_trait;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEndpointRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub url: String,
    pub description: String,
    /// JSON array of event types; `["*"]` is every type.
    pub event_types: String,
    pub enabled: bool,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub disabled_reason: Option<String>,
    /// `manual` (a person) or `automatic` (410 Gone, or failing for days).
    pub disabled_kind: Option<String>,
    pub disabled_at: Option<i64>,
    /// The first failed attempt since the last successful one.
    pub failing_since: Option<i64>,
    pub deleted_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookEndpointRow {
    /// The row with its secrets opened (`server::secrets`): how every read returns it.
    pub fn opened(mut self, sealer: &crate::server::secrets::Sealer) -> Self {
        self.secret = sealer.open(&self.secret);
        self.previous_secret = self.previous_secret.as_deref().map(|v| sealer.open(v));
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEventRow {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookDeliveryRow {
    pub id: String,
    pub event_id: String,
    pub endpoint_id: String,
    pub organization_id: String,
    pub environment: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub created_at: i64,
    pub status: crate::domain::DeliveryStatus,
    pub attempt_count: i64,
    pub round_attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_status: Option<i64>,
    /// `2xx` … `5xx` of the last response, or `error` when the last attempt got none.
    pub status_class: Option<String>,
    pub last_failure: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookAttemptRow {
    pub id: String,
    pub delivery_id: String,
    pub attempt_number: i64,
    pub attempted_at: i64,
    pub response_status: Option<i64>,
    pub latency_ms: Option<i64>,
    pub response_body: Option<String>,
    /// The kind of failure (`timeout`, `dns`, `tls`, `connection_refused`, `connection`,
    /// `non_2xx`, `blocked`), none for a 2xx.
    pub failure: Option<String>,
    pub failure_detail: Option<String>,
    /// JSON object of the headers sent.
    pub request_headers: Option<String>,
}

/// An event to record; `only_endpoint` directs it to one endpoint (a test event) instead of
/// every subscribed one, already leased to `lease` (the caller attempts it at once).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub organization_id: String,
    pub environment: String,
    pub event_type: String,
    pub connection_id: Option<String>,
    pub payload: String,
    pub created_at: i64,
    pub only_endpoint: Option<String>,
    pub lease: Option<(String, i64)>,
}

impl NewEvent {
    /// SHA-256 of what an ingested event carries (see `RequestLogRow::content_digest`).
    pub fn content_digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for part in [&self.organization_id, &self.environment, &self.event_type, &self.payload] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(self.connection_id.as_deref().unwrap_or("").as_bytes());
        hex::encode(h.finalize())
    }
}

/// A delivery a process holds the lease of, with what it needs to attempt it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: String,
    pub event_id: String,
    pub organization_id: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
    pub payload: String,
    pub attempt_count: i64,
    pub round_attempts: i64,
}

/// How much one claim of deliveries may take. One endpoint that times out (a tarpit), or one
/// organization with many such endpoints, must not hold every slot of a process: each gets a
/// share of a claim, and those already at their share in this process get none.
#[derive(Debug, Clone)]
pub struct ClaimLimits {
    pub limit: i64,
    pub per_endpoint: i64,
    pub per_organization: i64,
    /// Endpoints at their limit in this process.
    pub busy_endpoints: Vec<String>,
    /// Organizations at their limit in this process.
    pub busy_organizations: Vec<String>,
}

impl ClaimLimits {
    /// Up to `limit`, `per_endpoint` of one endpoint, no organization limit beyond `limit`.
    pub fn new(limit: i64, per_endpoint: i64) -> Self {
        ClaimLimits {
            limit,
            per_endpoint,
            per_organization: limit,
            busy_endpoints: vec![],
            busy_organizations: vec![],
        }
    }
}

/// The outcome of one attempt, as the delivery engine reports it.
#[derive(Debug, Clone)]
pub struct DeliveryOutcome {
    pub delivery_id: String,
    pub endpoint_id: String,
    pub owner: String,
    pub attempt: WebhookAttemptRow,
    /// `delivered`, `retrying` or `failed`.
    pub status: crate::domain::DeliveryStatus,
    pub next_attempt_at: Option<i64>,
    /// The endpoint answered 410 Gone: disable it.
    pub gone: bool,
}

/// An endpoint disabled automatically while outcomes were written.
#[derive(Debug, Clone)]
pub struct DisabledEndpoint {
    pub endpoint_id: String,
    pub organization_id: String,
    pub environment: String,
    pub url: String,
    pub reason: String,
}

/// Per endpoint: deliveries since a time and how they ended, and the last attempt.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct EndpointStats {
    pub endpoint_id: String,
    pub deliveries: i64,
    pub delivered: i64,
    pub failed: i64,
    pub pending: i64,
    pub last_attempt_at: Option<i64>,
}

/// The delivery log's filters; all optional, combined with AND.
#[derive(Debug, Clone)]
pub struct DeliveryQuery {
    pub scope: Scope,
    pub endpoint_id: Option<String>,
    /// Any of these event types.
    pub event_types: Vec<String>,
    pub connection_id: Option<String>,
    pub status: Option<crate::domain::DeliveryStatus>,
    pub status_class: Option<String>,
    /// Id range of the time filter: `from_id <= id < to_id`.
    pub from_id: Option<String>,
    pub to_id: Option<String>,
    pub page: Page,
    pub limit: i64,
    /// Read only these id ranges (`[from, to)`, disjoint): the hours the rollups say hold
    /// matches (`webhooks::delivery_log::find`). Empty: read the filters' index as it comes.
    pub id_ranges: Vec<(String, String)>,
}

impl DeliveryQuery {
    /// The first `limit` rows of the scope's whole log; set the filters a caller needs.
    pub fn new(scope: Scope, limit: i64) -> Self {
        DeliveryQuery {
            scope,
            endpoint_id: None,
            event_types: vec![],
            connection_id: None,
            status: None,
            status_class: None,
            from_id: None,
            to_id: None,
            page: Page::First,
            limit,
            id_ranges: vec![],
        }
    }
}

/// A delivery as the log lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryListRow {
    #[sqlx(flatten)]
    pub delivery: WebhookDeliveryRow,
    pub endpoint_url: String,
}

/// A delivery with its event and endpoint, for its page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryDetailRow {
    #[sqlx(flatten)]
    pub delivery: WebhookDeliveryRow,
    pub endpoint_url: String,
    pub endpoint_deleted_at: Option<i64>,
    pub payload: String,
}

/// The changes an endpoint edit writes.
#[derive(Debug, Clone)]
pub struct EndpointChange {
    pub url: String,
    pub description: String,
    pub event_types: String,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// The scope's endpoints, deleted ones too when asked, oldest first (at most 200).
    async fn list_endpoints(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> StoreResult<Vec<WebhookEndpointRow>>;
    /// Deliveries per endpoint of the scope created since `since`, with their outcome.
    async fn endpoint_stats(&self, scope: &Scope, since: i64) -> StoreResult<Vec<EndpointStats>>;
    async fn get_endpoint(&self, scope: &Scope, id: &str) -> StoreResult<Option<WebhookEndpointRow>>;
    async fn create_endpoint(&self, row: &WebhookEndpointRow, audit: &NewAuditEntry) -> StoreResult<()>;
    /// `false` when the scope has no such live endpoint.
    async fn update_endpoint(
        &self,
        scope: &Scope,
        id: &str,
        change: &EndpointChange,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Enables, or disables with a reason (`kind` `manual`); disabling ends the endpoint's
    /// queued deliveries as failed. `false` when nothing changed.
    async fn set_endpoint_enabled(
        &self,
        scope: &Scope,
        id: &str,
        enabled: bool,
        reason: Option<&str>,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Deletes an endpoint: it stops receiving, its queued deliveries fail, its history stays.
    async fn delete_endpoint(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Replaces the secret; the old one keeps signing until `previous_expires_at`.
    async fn rotate_secret(
        &self,
        scope: &Scope,
        id: &str,
        secret: &str,
        previous_expires_at: i64,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// Records an event with its deliveries (module docs); returns the deliveries' ids.
    async fn record_event(&self, event: &NewEvent) -> StoreResult<Vec<String>>;
    /// Ingestion: records each event whose id is new (with its deliveries) in one transaction.
    /// Returns the positions of events whose id was already recorded with other content.
    async fn ingest_events(&self, events: &[NewEvent]) -> StoreResult<Vec<usize>>;
    /// Leases up to `limits.limit` due deliveries, oldest due first, within the claim's
    /// per-endpoint and per-organization shares and none of its busy endpoints and
    /// organizations.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limits: &ClaimLimits,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Writes attempts' outcomes in one transaction (those whose lease was lost are skipped),
    /// with what follows for their endpoints: failing since when, and disabling after a 410 or
    /// `disable_after_ms` of failures (with an `endpoint.disabled` event). Returns the endpoints
    /// disabled.
    async fn complete_deliveries(
        &self,
        outcomes: &[DeliveryOutcome],
        now: i64,
        disable_after_ms: i64,
    ) -> StoreResult<Vec<DisabledEndpoint>>;
    /// A page of the delivery log, newest first.
    async fn list_deliveries(&self, q: &DeliveryQuery) -> StoreResult<Vec<DeliveryListRow>>;
    /// The ids of the environment's oldest and newest deliveries (two index probes).
    async fn delivery_span(&self, scope: &Scope) -> StoreResult<Option<(String, String)>>;
    async fn get_delivery(&self, scope: &Scope, id: &str) -> StoreResult<Option<DeliveryDetailRow>>;
    /// Attempts of a delivery in order (at most 100, the newest).
    async fn delivery_attempts(&self, delivery_id: &str) -> StoreResult<Vec<WebhookAttemptRow>>;
    /// Queues the delivery for an attempt now, its retry schedule started over.
    async fn resend_delivery(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool>;
    /// What a recovery since `since` would queue for the endpoint: its failed deliveries, and
    /// the subscribed events it has no delivery for (missed while it was disabled), each
    /// counted up to `limit`.
    async fn recoverable(
        &self,
        scope: &Scope,
        endpoint_id: &str,
        since: i64,
        limit: i64,
    ) -> StoreResult<(i64, i64)>;
    /// Queues what [`WebhookStore::recoverable`] counts (at most `limit` of each); returns how
    /// many deliveries were queued.
    async fn recover(
        &self,
        scope: &Scope,
        endpoint_id: &str,
        since: i64,
        now: i64,
        limit: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<i64>;
    /// Deliveries of the endpoint still queued (pending or retrying), up to `limit`.
    async fn queued_deliveries(&self, scope: &Scope, endpoint_id: &str, limit: i64) -> StoreResult<i64>;
}

/// The columns of [`WebhookDeliveryRow`] as `d`.
pub(crate) const DELIVERY_COLUMNS: &str = "d.id, d.event_id, d.endpoint_id, d.organization_id, d.environment, \
    d.event_type, d.connection_id, d.created_at, d.status, d.attempt_count, d.round_attempts, d.next_attempt_at, \
    d.last_attempt_at, d.last_status, d.status_class, d.last_failure";

pub(crate) const ENDPOINT_COLUMNS: &str = "id, organization_id, environment, url, description, event_types, enabled, \
    secret, previous_secret, previous_secret_expires_at, disabled_reason, disabled_kind, disabled_at, failing_since, \
    deleted_at, created_at, updated_at";

/// The class a delivery log filters on, from the last attempt's status (`None`: no response).
pub fn status_class(status: Option<i64>) -> &'static str {
    match status {
        None => "error",
        Some(s) if s >= 500 => "5xx",
        Some(s) if s >= 400 => "4xx",
        Some(s) if s >= 300 => "3xx",
        Some(_) => "2xx",
    }
}

/// The `LIKE` pattern matching an event type inside an endpoint's JSON array of types.
pub fn type_pattern(event_type: &str) -> String {
    let escaped = event_type.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%\"{escaped}\"%")
}
