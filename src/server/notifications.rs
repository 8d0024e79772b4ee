//! Alerts: new, regressed and resolved issues sent to email recipients and a Slack incoming
//! webhook, as they happen (at most one message per issue and channel an hour) and as a daily
//! digest. The settings belong to an organization and are changed by its owners and admins.
//!
//! Messages go through an outbox (`store::notifications`): an issue's change queues its messages
//! in the same transaction, the scheduler's round queues digests (one per organization, channel
//! and day, whichever process comes first), and the notifier (`send`) in `serve` and every
//! `switchboard worker` claims and sends them under a lease, retrying what failed for a reason
//! that may pass.

pub mod send;

use super::actor::Viewer;
use super::audit::Audit;
use super::service::{ServiceError, ServiceResult};
use super::store::notifications::{NewNotification, NotificationRow, NotificationSettingsRow, SlackChange};
use super::store::{Store, StoreResult};
use super::AppState;
use crate::domain::issues::IssueSeverity;
use crate::domain::notifications::{
    self as n, IssueChangeKind, NotificationChannel, NotificationChoices, NotificationKind,
};
use crate::domain::{AuditAction, Role};
use crate::ids::{make_id, prefix};
pub use send::{Notifier, NotifierSettings};

/// Who may change where alerts go: owners and admins (the recipients and the Slack channel are
/// the organization's, like its members).
pub fn may_manage(viewer: &Viewer) -> Result<(), String> {
    match viewer.role {
        Some(Role::Owner | Role::Admin) => Ok(()),
        Some(_) => Err("Only owners and admins change where alerts go. Ask one of them.".into()),
        None => Err("Staff can read this organization's alert settings but not change them.".into()),
    }
}

/// An organization's settings as the page shows them (defaults when never saved).
#[derive(Debug, Clone)]
pub struct SettingsState {
    pub choices: NotificationChoices,
    pub slack_hint: Option<String>,
    pub saved: Option<(i64, Option<String>)>,
    pub history: Vec<NotificationRow>,
    /// Whether this server can send email (`SWITCHBOARD_SMTP_URL`).
    pub email_ready: bool,
}

/// The defaults before anything is saved: nothing is sent (no recipient, no Slack URL), and once
/// a destination is added, critical and error issues as they happen.
pub fn default_choices() -> NotificationChoices {
    NotificationChoices {
        recipients: vec![],
        severities: vec![IssueSeverity::Critical, IssueSeverity::Error],
        changes: IssueChangeKind::ALL.to_vec(),
        immediate: true,
        digest: false,
        digest_hour: 8,
    }
}

fn choices_of(row: &NotificationSettingsRow) -> NotificationChoices {
    NotificationChoices {
        recipients: row.email_recipients.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
        severities: n::split(&row.severities, IssueSeverity::parse),
        changes: n::split(&row.changes, IssueChangeKind::parse),
        immediate: row.immediate,
        digest: row.digest,
        digest_hour: row.digest_hour.clamp(0, 23) as u8,
    }
}

/// The settings page: the organization's settings and its newest messages. Every member reads
/// them (they say who gets told about what); staff too.
pub async fn settings(state: &AppState, viewer: &Viewer) -> ServiceResult<SettingsState> {
    let row = state.store.notification_settings(&viewer.organization_id).await?;
    let history = state.store.list_notifications(&viewer.organization_id, 50).await?;
    Ok(SettingsState {
        choices: row.as_ref().map(choices_of).unwrap_or_else(default_choices),
        slack_hint: row.as_ref().and_then(|r| r.slack_hint.clone()),
        saved: row.as_ref().map(|r| (r.updated_at, r.updated_by.clone())),
        history,
        email_ready: state.settings.notifications.smtp_url.is_some(),
    })
}

/// What the settings form sends.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub recipients: String,
    /// A new Slack incoming-webhook URL; empty keeps the saved one.
    pub slack_url: String,
    pub remove_slack: bool,
    pub severities: Vec<String>,
    pub changes: Vec<String>,
    pub immediate: bool,
    pub digest: bool,
    pub digest_hour: String,
}

/// Saves the settings, audited. The Slack URL follows the webhook destination rules (https on
/// the public internet unless private addresses are allowed) and is sealed at rest.
pub async fn save(state: &AppState, viewer: &Viewer, input: &SettingsInput) -> ServiceResult<()> {
    may_manage(viewer).map_err(ServiceError::Forbidden)?;
    let choices = NotificationChoices::parse(
        &input.recipients,
        &input.severities,
        &input.changes,
        input.immediate,
        input.digest,
        &input.digest_hour,
    )
    .map_err(|e| ServiceError::invalid(e.0))?;
    let raw = input.slack_url.trim();
    let slack = if input.remove_slack {
        SlackChange::Remove
    } else if raw.is_empty() {
        SlackChange::Keep
    } else {
        let url = super::webhooks::destination::check_url(raw, state.webhooks.settings.allow_private)
            .map_err(|e| ServiceError::invalid(format!("Slack webhook URL: {e}")))?;
        SlackChange::Set { url: url.to_string(), hint: slack_hint(&url) }
    };
    let now = state.clock.now_ms();
    let row = NotificationSettingsRow {
        organization_id: viewer.organization_id.clone(),
        email_recipients: choices.recipients.join(","),
        slack_url: None,
        slack_hint: None,
        severities: n::join(&choices.severities, IssueSeverity::as_str),
        changes: n::join(&choices.changes, IssueChangeKind::as_str),
        immediate: choices.immediate,
        digest: choices.digest,
        digest_hour: choices.digest_hour as i64,
        updated_at: now,
        updated_by: Some(viewer.email.clone()),
    };
    let details = serde_json::json!({
        "recipients": choices.recipients,
        "slack": match &slack { SlackChange::Keep => "kept", SlackChange::Set { .. } => "set", SlackChange::Remove => "removed" },
        "severities": row.severities,
        "changes": row.changes,
        "immediate": choices.immediate,
        "digest": choices.digest,
        "digest_hour": choices.digest_hour,
    });
    let audit = Audit::new(AuditAction::NotificationsUpdate, "organization", &viewer.organization_id, now)
        .by_viewer(viewer)
        .details(details)
        .entry();
    state.store.save_notification_settings(&row, &slack, &audit).await?;
    Ok(())
}

/// What the page shows of a Slack URL: enough to recognise it, not enough to post to it (the
/// path's last part is the credential).
pub fn slack_hint(url: &reqwest::Url) -> String {
    let path = url.path();
    let tail: String = path.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}://{}/…{tail}", url.scheme(), url.host_str().unwrap_or(""))
}

/// Queues a test message on every channel that is set up, audited. Returns the channels.
pub async fn send_test(state: &AppState, viewer: &Viewer) -> ServiceResult<Vec<NotificationChannel>> {
    may_manage(viewer).map_err(ServiceError::Forbidden)?;
    let Some(row) = state.store.notification_settings(&viewer.organization_id).await? else {
        return Err(ServiceError::invalid("Add an email recipient or a Slack webhook URL and save first."));
    };
    let channels = row.channels();
    if channels.is_empty() {
        return Err(ServiceError::invalid("Add an email recipient or a Slack webhook URL and save first."));
    }
    let now = state.clock.now_ms();
    let rows: Vec<NewNotification> = channels
        .iter()
        .map(|c| NewNotification {
            id: make_id(prefix::NOTIFICATION, now, rand::random()),
            organization_id: viewer.organization_id.clone(),
            kind: NotificationKind::Test,
            channel: *c,
            digest_day: None,
            created_at: now,
        })
        .collect();
    let audit = Audit::new(AuditAction::NotificationsTest, "organization", &viewer.organization_id, now)
        .by_viewer(viewer)
        .details(serde_json::json!({ "channels": channels.iter().map(|c| c.as_str()).collect::<Vec<_>>() }))
        .entry();
    state.store.queue_notifications(&rows, Some(&audit)).await?;
    send::wake();
    Ok(channels)
}

/// The scheduler's part: queues today's digest for each organization whose digest hour (UTC)
/// has come, on each channel it set up. The outbox's unique key makes this once a day whatever
/// the number of processes and rounds.
pub async fn queue_digests(store: &dyn Store, now: i64) -> StoreResult<usize> {
    let Some(at) = chrono::DateTime::from_timestamp_millis(now) else { return Ok(0) };
    let day = at.format("%Y-%m-%d").to_string();
    let hour = chrono::Timelike::hour(&at) as i64;
    let mut rows = vec![];
    for s in store.digest_settings().await? {
        if hour < s.digest_hour {
            continue;
        }
        for c in s.channels() {
            rows.push(NewNotification {
                id: make_id(prefix::NOTIFICATION, now, rand::random()),
                organization_id: s.organization_id.clone(),
                kind: NotificationKind::Digest,
                channel: c,
                digest_day: Some(day.clone()),
                created_at: now,
            });
        }
    }
    if rows.is_empty() {
        return Ok(0);
    }
    let queued = store.queue_notifications(&rows, None).await?;
    if queued > 0 {
        send::wake();
    }
    Ok(queued)
}
