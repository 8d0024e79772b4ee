//! Alerts (see `server::notifications`): each organization's settings and the outbox of messages
//! to send. Issue notifications are queued by the issue store in the transaction that changes
//! the issue (`queue_for_change` in `notifications/sql.rs`); the notifier claims due messages
//! under a lease, as webhook deliveries are claimed, so a process killed mid-send loses none.

use super::{NewAuditEntry, StoreResult};
use crate::domain::notifications::{
    IssueChangeKind, NotificationChannel, NotificationKind, NotificationStatus,
};
use async_trait::async_trait;

/// An organization's alert settings. `slack_url` is sealed at rest and opened on read.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationSettingsRow {
    pub organization_id: String,
    /// Comma-separated addresses.
    pub email_recipients: String,
    pub slack_url: Option<String>,
    /// What the page shows of the Slack URL: its host and the last characters.
    pub slack_hint: Option<String>,
    /// Comma-separated severities (`critical,error`).
    pub severities: String,
    /// Comma-separated changes (`new,regressed,resolved`).
    pub changes: String,
    pub immediate: bool,
    pub digest: bool,
    pub digest_hour: i64,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

impl NotificationSettingsRow {
    /// The channels these settings send to: email when there is a recipient, Slack when there
    /// is a webhook URL.
    pub fn channels(&self) -> Vec<NotificationChannel> {
        channels(!self.email_recipients.trim().is_empty(), self.slack_url.is_some())
    }
}

/// The channels set up, from whether there are recipients and a Slack URL.
pub fn channels(email: bool, slack: bool) -> Vec<NotificationChannel> {
    let mut c = vec![];
    if email {
        c.push(NotificationChannel::Email);
    }
    if slack {
        c.push(NotificationChannel::Slack);
    }
    c
}

pub const SETTINGS_COLUMNS: &str =
    "organization_id, email_recipients, slack_url, slack_hint, severities, changes, \
     immediate, digest, digest_hour, updated_at, updated_by";

/// What a save does to the Slack URL.
#[derive(Debug, Clone, PartialEq)]
pub enum SlackChange {
    Keep,
    Set { url: String, hint: String },
    Remove,
}

/// A message in the outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: String,
    pub organization_id: String,
    pub environment: Option<String>,
    pub kind: NotificationKind,
    pub issue_id: Option<String>,
    pub change: Option<IssueChangeKind>,
    pub channel: NotificationChannel,
    pub status: NotificationStatus,
    pub digest_day: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

pub const NOTIFICATION_COLUMNS: &str =
    "id, organization_id, environment, kind, issue_id, change, channel, status, \
     digest_day, attempts, next_attempt_at, last_error, created_at, sent_at";

/// A message to queue that is not an issue's change: a test, a digest.
#[derive(Debug, Clone)]
pub struct NewNotification {
    pub id: String,
    pub organization_id: String,
    pub kind: NotificationKind,
    pub channel: NotificationChannel,
    /// A digest's day (`2026-12-06`): one per organization, channel and day.
    pub digest_day: Option<String>,
    pub created_at: i64,
}

/// How a send ended.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    Sent,
    /// Try again at this time.
    Retry {
        error: String,
        at: i64,
    },
    /// Give up: nothing will change by trying again.
    Failed {
        error: String,
    },
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn notification_settings(
        &self,
        organization_id: &str,
    ) -> StoreResult<Option<NotificationSettingsRow>>;
    /// Saves the settings (the Slack URL as `slack` says) with the audit entry, in one
    /// transaction.
    async fn save_notification_settings(
        &self,
        row: &NotificationSettingsRow,
        slack: &SlackChange,
        audit: &NewAuditEntry,
    ) -> StoreResult<()>;
    /// Queues messages; a digest already queued for its day is skipped. Returns how many were
    /// queued.
    async fn queue_notifications(
        &self,
        rows: &[NewNotification],
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<usize>;
    /// Leases up to `limit` due messages, oldest due first.
    async fn claim_notifications(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>>;
    /// Records how a send ended, if the lease is still `owner`'s. Returns whether it was.
    async fn finish_notification(
        &self,
        id: &str,
        owner: &str,
        outcome: &SendOutcome,
        now: i64,
    ) -> StoreResult<bool>;
    /// An organization's newest messages (the settings page's history).
    async fn list_notifications(
        &self,
        organization_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>>;
    /// What a digest reports: the organization's issues unresolved or changed since `since`,
    /// newest first (at most 500).
    async fn digest_issues(
        &self,
        organization_id: &str,
        since: i64,
    ) -> StoreResult<Vec<super::issues::IssueRow>>;
    /// Organizations with the daily digest on (the scheduler's round queues theirs).
    async fn digest_settings(&self) -> StoreResult<Vec<NotificationSettingsRow>>;
}
