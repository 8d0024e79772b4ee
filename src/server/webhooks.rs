//! Webhooks: endpoint configuration, signing secrets, test events, resend and recovery, and the
//! delivery log (`delivery_log`). The operations behind the webhook pages and the HTTP API: each
//! checks who may do it,
//! validates with messages that name the field, writes the change with its audit entry in one
//! transaction, and wakes the delivery engine (`delivery`) when something became due.

pub mod delivery;
pub mod delivery_log;
pub mod destination;
pub mod payloads;
pub mod signing;

use super::audit::Audit;
use super::auth::Viewer;
use super::service::{ServiceError, ServiceResult};
use super::store::webhooks::{
    ClaimedDelivery, DeliveryOutcome, EndpointChange, NewEvent, WebhookEndpointRow,
};
use super::store::Scope;
use super::AppState;
use crate::domain::{AuditAction, Role, StaffRole, EVENT_TYPES};
use crate::ids::{make_id, prefix};
use delivery::DeliverySettings;

/// The old secret keeps signing this long after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3_600_000;
/// At most this many deliveries are queued by one recovery.
pub const MAX_RECOVER: i64 = 10_000;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 200;

/// What every process that delivers or sends test events shares.
pub struct Webhooks {
    pub settings: DeliverySettings,
    pub client: reqwest::Client,
}

impl Webhooks {
    pub fn new(settings: DeliverySettings) -> Self {
        Webhooks { client: delivery::http_client(&settings), settings }
    }
}

/// Whether this viewer may create and change endpoints, and if not, why.
pub fn may_edit(viewer: &Viewer) -> Result<(), String> {
    match (viewer.role, viewer.staff_role) {
        (Some(Role::Owner | Role::Admin | Role::Developer), _) => Ok(()),
        (Some(Role::Viewer), _) => Err("Viewers can read webhook configuration and deliveries but not change them. Ask a developer, admin or owner of your organization.".into()),
        (None, Some(_)) => Err("Staff can read this organization's webhooks but not change its endpoints.".into()),
        _ => Err("You cannot change webhooks in this organization.".into()),
    }
}

/// Whether this viewer may resend deliveries and recover an endpoint's failed deliveries.
pub fn may_resend(viewer: &Viewer) -> Result<(), String> {
    match (viewer.role, viewer.staff_role) {
        (Some(Role::Owner | Role::Admin | Role::Developer), _) => Ok(()),
        (_, Some(StaffRole::Support | StaffRole::SupportAdmin)) => Ok(()),
        (Some(Role::Viewer), _) => {
            Err("Viewers cannot resend webhooks. Ask a developer, admin or owner of your organization."
                .into())
        }
        _ => Err("You cannot resend webhooks in this organization.".into()),
    }
}

/// Only owners and admins of the organization see signing secrets; never staff or viewers.
pub fn may_reveal(viewer: &Viewer) -> Result<(), String> {
    match viewer.role {
        Some(Role::Owner | Role::Admin) => Ok(()),
        Some(_) => Err("Only owners and admins can see or rotate the signing secret.".into()),
        None => Err("Staff never see customers' signing secrets.".into()),
    }
}

/// An endpoint as typed in the form.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    /// Catalog event types, or `*` for all.
    pub event_types: Vec<String>,
}

/// Validates the form; every problem is named with its field.
/// Endpoints one environment may have (deleted ones do not count). Each endpoint gets its own
/// share of delivery slots; a bound keeps one organization from multiplying its share.
pub const MAX_ENDPOINTS: usize = 50;

pub fn validate(input: &EndpointInput, allow_private: bool) -> ServiceResult<EndpointChange> {
    let url = destination::check_url(&input.url, allow_private)
        .map_err(|e| ServiceError::invalid(format!("URL: {e}")))?;
    let description = input.description.trim().to_string();
    crate::domain::check_text("Description", &description)?;
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(ServiceError::invalid(format!(
            "Description: at most {MAX_DESCRIPTION} characters ({} given).",
            description.chars().count()
        )));
    }
    let mut types: Vec<String> =
        input.event_types.iter().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect();
    types.sort();
    types.dedup();
    if types.is_empty() {
        return Err(ServiceError::invalid("Event types: choose at least one event type, or all events."));
    }
    if let Some(bad) =
        types.iter().find(|t| t.as_str() != "*" && !EVENT_TYPES.iter().any(|e| e.0 == t.as_str()))
    {
        return Err(ServiceError::invalid(format!(
            "Event types: {bad:?} is not an event Switchboard sends. Choose from: {}.",
            EVENT_TYPES.iter().map(|e| e.0).collect::<Vec<_>>().join(", ")
        )));
    }
    if types.iter().any(|t| t == "*") {
        types = vec!["*".into()];
    }
    Ok(EndpointChange {
        url: url.to_string(),
        description,
        event_types: serde_json::to_string(&types).unwrap_or_else(|_| "[\"*\"]".into()),
    })
}

/// An entry of `action` on endpoint `id` by the viewer, now.
fn audit(
    state: &AppState,
    viewer: &Viewer,
    action: AuditAction,
    id: &str,
    details: serde_json::Value,
) -> super::store::NewAuditEntry {
    Audit::new(action, "webhook_endpoint", id, state.clock.now_ms())
        .by_viewer(viewer)
        .details(details)
        .entry()
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::not_found(format!("No webhook endpoint {id} was found in this environment."))
}

/// A live endpoint of the viewer's own scope.
pub async fn own_endpoint(state: &AppState, viewer: &Viewer, id: &str) -> ServiceResult<WebhookEndpointRow> {
    let id = crate::ids::parse_id(prefix::WEBHOOK_ENDPOINT, id)
        .map_err(|e| ServiceError::invalid(format!("{id:?} is not a webhook endpoint ID: {e}.")))?;
    state
        .store
        .get_endpoint(&viewer.own_scope(), &id)
        .await?
        .filter(|e| e.deleted_at.is_none())
        .ok_or_else(|| not_found(&id))
}

/// The environment's endpoints (deleted ones left out) and every endpoint's last 24 hours.
pub async fn list(
    state: &AppState,
    viewer: &Viewer,
) -> ServiceResult<(Vec<WebhookEndpointRow>, Vec<super::store::webhooks::EndpointStats>)> {
    let scope = viewer.own_scope();
    let since = state.clock.now_ms() - 86_400_000;
    let stats = state.store.endpoint_stats(&scope, since).await?;
    let endpoints = state.store.list_endpoints(&scope, false).await?;
    Ok((endpoints, stats))
}

/// Every endpoint of `scope`, deleted ones too (the delivery log names the endpoint of each
/// delivery, including those of deleted endpoints). `scope` is one a list was already read in.
pub async fn all_endpoints(state: &AppState, scope: &Scope) -> ServiceResult<Vec<WebhookEndpointRow>> {
    Ok(state.store.list_endpoints(scope, true).await?)
}

/// Every endpoint's deliveries since `since` (the recovery page's summary).
pub async fn stats_since(
    state: &AppState,
    viewer: &Viewer,
    since: i64,
) -> ServiceResult<Vec<super::store::webhooks::EndpointStats>> {
    Ok(state.store.endpoint_stats(&viewer.own_scope(), since).await?)
}

/// One endpoint as its page shows it (deleted ones too, with their history).
pub struct EndpointDetail {
    pub scope: Scope,
    pub row: WebhookEndpointRow,
    /// Every endpoint's last 24 hours (the page picks its own).
    pub stats: Vec<super::store::webhooks::EndpointStats>,
    /// Deliveries waiting for this endpoint (up to 10,000).
    pub queued: i64,
    /// The last attempt of the test delivery `test`, when it was this endpoint's.
    pub test: Option<(String, super::store::WebhookAttemptRow)>,
    /// The newest delivery's last attempt, when it failed: why the endpoint is failing now
    /// (a DNS failure, a timeout, a 500), on the endpoint's own page.
    pub last_failure: Option<super::store::WebhookAttemptRow>,
}

/// An endpoint by id for a person who may see it (staff look in from outside, audited), with
/// the outcome of the test event `test` when one was just sent.
pub async fn detail(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    test: &str,
) -> ServiceResult<EndpointDetail> {
    let id = crate::ids::parse_id(prefix::WEBHOOK_ENDPOINT, id)
        .map_err(|e| ServiceError::invalid(format!("{id:?} is not a webhook endpoint ID: {e}.")))?;
    let scope =
        super::access::scope_for(state, viewer, super::store::ObjectKind::WebhookEndpoint, &id).await?;
    let row = state.store.get_endpoint(&scope, &id).await?.ok_or_else(|| {
        ServiceError::not_found(format!("No webhook endpoint {id} was found in your organization."))
    })?;
    let now = state.clock.now_ms();
    let stats = state.store.endpoint_stats(&scope, now - 86_400_000).await?;
    let queued = state.store.queued_deliveries(&scope, &id, 10_000).await?;
    let test = if test.trim().is_empty() {
        None
    } else {
        let tid = crate::ids::parse_id(prefix::DELIVERY, test.trim())
            .map_err(|e| ServiceError::invalid(format!("{test:?} is not a webhook delivery ID: {e}.")))?;
        match state.store.get_delivery(&scope, &tid).await? {
            Some(d) if d.delivery.endpoint_id == id => {
                state.store.delivery_attempts(&tid).await?.pop().map(|a| (tid, a))
            }
            _ => None,
        }
    };
    let newest = state
        .store
        .list_deliveries(&super::store::webhooks::DeliveryQuery {
            endpoint_id: Some(id.clone()),
            ..super::store::webhooks::DeliveryQuery::new(scope.clone(), 1)
        })
        .await?;
    let last_failure = match newest.first() {
        Some(d) if d.delivery.last_failure.is_some() => {
            state.store.delivery_attempts(&d.delivery.id).await?.pop().filter(|a| a.failure.is_some())
        }
        _ => None,
    };
    Ok(EndpointDetail { scope, row, stats, queued, test, last_failure })
}

pub async fn create(state: &AppState, viewer: &Viewer, input: &EndpointInput) -> ServiceResult<String> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let change = validate(input, state.webhooks.settings.allow_private)?;
    let existing = state.store.list_endpoints(&viewer.own_scope(), false).await?.len();
    if existing >= MAX_ENDPOINTS {
        return Err(ServiceError::invalid(format!(
            "This environment already has {existing} webhook endpoints, the most it can have: delete one it no longer needs, or subscribe an existing endpoint to more event types."
        )));
    }
    let now = state.clock.now_ms();
    let row = WebhookEndpointRow {
        id: make_id(prefix::WEBHOOK_ENDPOINT, now, rand::random()),
        organization_id: viewer.organization_id.clone(),
        environment: viewer.environment.as_str().to_string(),
        url: change.url.clone(),
        description: change.description.clone(),
        event_types: change.event_types.clone(),
        enabled: true,
        secret: signing::generate_secret(),
        previous_secret: None,
        previous_secret_expires_at: None,
        disabled_reason: None,
        disabled_kind: None,
        disabled_at: None,
        failing_since: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let entry = audit(
        state,
        viewer,
        AuditAction::WebhookEndpointCreate,
        &row.id,
        serde_json::json!({"url": row.url, "event_types": serde_json::from_str::<serde_json::Value>(&row.event_types).ok(), "environment": row.environment}),
    );
    state.store.create_endpoint(&row, &entry).await?;
    Ok(row.id)
}

pub async fn update(state: &AppState, viewer: &Viewer, id: &str, input: &EndpointInput) -> ServiceResult<()> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let before = own_endpoint(state, viewer, id).await?;
    let change = validate(input, state.webhooks.settings.allow_private)?;
    let entry = audit(
        state,
        viewer,
        AuditAction::WebhookEndpointUpdate,
        &before.id,
        serde_json::json!({
            "before": {"url": before.url, "description": before.description, "event_types": serde_json::from_str::<serde_json::Value>(&before.event_types).ok()},
            "after": {"url": change.url, "description": change.description, "event_types": serde_json::from_str::<serde_json::Value>(&change.event_types).ok()},
        }),
    );
    let done = state
        .store
        .update_endpoint(&viewer.own_scope(), &before.id, &change, state.clock.now_ms(), &entry)
        .await?;
    if !done {
        return Err(not_found(&before.id));
    }
    Ok(())
}

/// Enables or disables an endpoint. Enabling an endpoint that was disabled automatically is
/// the moment to recover what it missed: the page offers it.
pub async fn set_enabled(state: &AppState, viewer: &Viewer, id: &str, enabled: bool) -> ServiceResult<()> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    let (action, reason) = if enabled {
        (AuditAction::WebhookEndpointEnable, None)
    } else {
        (AuditAction::WebhookEndpointDisable, Some(format!("Disabled by {}.", viewer.email)))
    };
    let entry = audit(
        state,
        viewer,
        action,
        &ep.id,
        serde_json::json!({"url": ep.url, "was_disabled": ep.disabled_reason}),
    );
    let changed = state
        .store
        .set_endpoint_enabled(
            &viewer.own_scope(),
            &ep.id,
            enabled,
            reason.as_deref(),
            state.clock.now_ms(),
            &entry,
        )
        .await?;
    if !changed {
        return Err(ServiceError::Conflict(format!(
            "The endpoint is already {}.",
            if enabled { "enabled" } else { "disabled" }
        )));
    }
    Ok(())
}

pub async fn delete(state: &AppState, viewer: &Viewer, id: &str) -> ServiceResult<()> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    let entry =
        audit(state, viewer, AuditAction::WebhookEndpointDelete, &ep.id, serde_json::json!({"url": ep.url}));
    if !state.store.delete_endpoint(&viewer.own_scope(), &ep.id, state.clock.now_ms(), &entry).await? {
        return Err(not_found(&ep.id));
    }
    Ok(())
}

/// A new secret; the old one keeps signing for 24 hours so receivers can switch without
/// losing a message.
pub async fn rotate(state: &AppState, viewer: &Viewer, id: &str) -> ServiceResult<()> {
    may_reveal(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    let now = state.clock.now_ms();
    let expires = now + ROTATION_OVERLAP_MS;
    let entry = audit(
        state,
        viewer,
        AuditAction::WebhookEndpointRotateSecret,
        &ep.id,
        serde_json::json!({"previous_secret_valid_until": chrono::DateTime::from_timestamp_millis(expires).map(|d| d.to_rfc3339())}),
    );
    let secret = signing::generate_secret();
    if !state.store.rotate_secret(&viewer.own_scope(), &ep.id, &secret, expires, now, &entry).await? {
        return Err(not_found(&ep.id));
    }
    Ok(())
}

/// The endpoint's current signing secret, for owners and admins; every reveal is audited.
pub async fn reveal(state: &AppState, viewer: &Viewer, id: &str) -> ServiceResult<String> {
    may_reveal(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    state
        .store
        .insert_audit(&audit(
            state,
            viewer,
            AuditAction::WebhookEndpointRevealSecret,
            &ep.id,
            serde_json::json!({}),
        ))
        .await?;
    Ok(ep.secret)
}

/// What a test event got, shown on the endpoint page.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub delivery_id: String,
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub body: Option<String>,
    pub failure: Option<(String, String)>,
}

/// Sends a `webhook.test` event to one endpoint now and waits for the answer. It is recorded
/// like any delivery (visible in the log) but never retried.
pub async fn send_test(state: &AppState, viewer: &Viewer, id: &str) -> ServiceResult<TestOutcome> {
    may_edit(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    let now = state.clock.now_ms();
    let event_id = make_id(prefix::EVENT, now, rand::random());
    let payload =
        payloads::envelope(&event_id, "webhook.test", now, payloads::webhook_test(&ep.id, &viewer.email));
    let owner = format!("test:{}", viewer.user_id);
    let lease_until = now + state.webhooks.settings.lease.as_millis() as i64;
    let event = NewEvent {
        id: event_id.clone(),
        organization_id: ep.organization_id.clone(),
        environment: ep.environment.clone(),
        event_type: "webhook.test".into(),
        connection_id: None,
        payload: payload.clone(),
        created_at: now,
        only_endpoint: Some(ep.id.clone()),
        lease: Some((owner.clone(), lease_until)),
    };
    let ids = state.store.record_event(&event).await?;
    let delivery_id = ids.into_iter().next().ok_or_else(|| not_found(&ep.id))?;
    let claimed = ClaimedDelivery {
        id: delivery_id.clone(),
        event_id,
        organization_id: ep.organization_id.clone(),
        endpoint_id: ep.id.clone(),
        url: ep.url.clone(),
        secret: ep.secret.clone(),
        previous_secret: ep.previous_secret.clone(),
        previous_secret_expires_at: ep.previous_secret_expires_at,
        payload,
        attempt_count: 0,
        round_attempts: 0,
    };
    let hooks = &state.webhooks;
    let result = delivery::attempt(&hooks.client, hooks.settings.allow_private, &claimed, now).await;
    let at = state.clock.now_ms();
    let (status, next, _) = delivery::decide(&result, 0, &hooks.settings, at, Some(1));
    let outcome = DeliveryOutcome {
        delivery_id: delivery_id.clone(),
        endpoint_id: ep.id.clone(),
        owner,
        attempt: delivery::attempt_row(&delivery_id, &result, at),
        status,
        next_attempt_at: next,
        // A test never disables the endpoint: the person is trying it out.
        gone: false,
    };
    state
        .store
        .complete_deliveries(
            std::slice::from_ref(&outcome),
            at,
            hooks.settings.disable_after.as_millis() as i64,
        )
        .await?;
    Ok(TestOutcome {
        delivery_id,
        status: result.status,
        latency_ms: result.latency_ms,
        body: result.body,
        failure: result.failure.map(|(k, d)| (k.to_string(), d)),
    })
}

/// Queues one delivery for an attempt now (its retry schedule starts over).
pub async fn resend(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    delivery_id: &str,
) -> ServiceResult<()> {
    may_resend(viewer).map_err(ServiceError::Forbidden)?;
    let d = state.store.get_delivery(scope, delivery_id).await?.ok_or_else(|| {
        ServiceError::not_found(format!("No webhook delivery {delivery_id} was found in this environment."))
    })?;
    let ep = state.store.get_endpoint(scope, &d.delivery.endpoint_id).await?;
    match ep {
        Some(e) if e.deleted_at.is_some() => {
            return Err(ServiceError::invalid(
                "The endpoint of this delivery was deleted: there is nowhere to resend it.",
            ))
        }
        Some(e) if !e.enabled => {
            return Err(ServiceError::invalid("The endpoint is disabled: enable it first, then resend."))
        }
        None => return Err(ServiceError::not_found(format!("No webhook delivery {delivery_id} was found."))),
        Some(_) => {}
    }
    // The entry goes to the delivery's organization (staff resend from outside it; `by` names
    // the action `staff.*` then).
    let entry =
        Audit::new(AuditAction::WebhookDeliveryResend, "webhook_delivery", delivery_id, state.clock.now_ms())
            .by(&super::actor::Author::person(viewer))
            .of_organization(&scope.organization_id)
            .details(
                serde_json::json!({"event_id": d.delivery.event_id, "endpoint_id": d.delivery.endpoint_id}),
            )
            .entry();
    if !state.store.resend_delivery(scope, delivery_id, state.clock.now_ms(), &entry).await? {
        return Err(ServiceError::not_found(format!("No webhook delivery {delivery_id} was found.")));
    }
    delivery::wake();
    Ok(())
}

/// What recovering an endpoint since `since` would queue: failed deliveries and missed events.
pub async fn recover_preview(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    since: i64,
) -> ServiceResult<(i64, i64)> {
    may_resend(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    check_since(state, since)?;
    Ok(state.store.recoverable(&viewer.own_scope(), &ep.id, since, MAX_RECOVER).await?)
}

fn check_since(state: &AppState, since: i64) -> ServiceResult<()> {
    let now = state.clock.now_ms();
    if since > now {
        return Err(ServiceError::invalid("Since: the time is in the future; choose a time in the past."));
    }
    if since < now - 30 * 86_400_000 {
        return Err(ServiceError::invalid("Since: recovery reaches back at most 30 days."));
    }
    Ok(())
}

/// Queues the endpoint's failed deliveries and missed events since `since` (at most
/// [`MAX_RECOVER`] of each). Returns how many were queued.
pub async fn recover(state: &AppState, viewer: &Viewer, id: &str, since: i64) -> ServiceResult<i64> {
    may_resend(viewer).map_err(ServiceError::Forbidden)?;
    let ep = own_endpoint(state, viewer, id).await?;
    check_since(state, since)?;
    if !ep.enabled {
        return Err(ServiceError::invalid(
            "The endpoint is disabled: enable it first, then recover what it missed.",
        ));
    }
    let entry = audit(
        state,
        viewer,
        AuditAction::WebhookEndpointRecover,
        &ep.id,
        serde_json::json!({"since": chrono::DateTime::from_timestamp_millis(since).map(|d| d.to_rfc3339())}),
    );
    let n = state
        .store
        .recover(&viewer.own_scope(), &ep.id, since, state.clock.now_ms(), MAX_RECOVER, &entry)
        .await?;
    delivery::wake();
    Ok(n)
}
