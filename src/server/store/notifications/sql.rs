//! Alerts, in SQL. Compiled once per database (see `audit/sql.rs`).

use super::This;
use crate::domain::issues::{IssueEventAction, IssueStatus};
use crate::domain::notifications::{self as n, IssueChangeKind, NOTIFY_EVERY_MS};
use crate::server::store::issues::IssueRow;
use crate::server::store::notifications::*;
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl NotificationStore for This {
    async fn notification_settings(
        &self,
        organization_id: &str,
    ) -> StoreResult<Option<NotificationSettingsRow>> {
        let row: Option<NotificationSettingsRow> = sqlx::query_as(&format!(
            "SELECT {SETTINGS_COLUMNS} FROM notification_settings WHERE organization_id = $1"
        ))
        .bind(organization_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| self.opened(r)))
    }

    async fn save_notification_settings(
        &self,
        row: &NotificationSettingsRow,
        slack: &SlackChange,
        audit: &NewAuditEntry,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO notification_settings (organization_id, email_recipients, severities, changes, immediate, \
             digest, digest_hour, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (organization_id) DO UPDATE SET email_recipients = excluded.email_recipients, \
             severities = excluded.severities, changes = excluded.changes, immediate = excluded.immediate, \
             digest = excluded.digest, digest_hour = excluded.digest_hour, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(&row.organization_id)
        .bind(&row.email_recipients)
        .bind(&row.severities)
        .bind(&row.changes)
        .bind(row.immediate)
        .bind(row.digest)
        .bind(row.digest_hour)
        .bind(row.updated_at)
        .bind(&row.updated_by)
        .execute(&mut *tx)
        .await?;
        let (url, hint) = match slack {
            SlackChange::Keep => (None, None),
            SlackChange::Set { url, hint } => (Some(self.sealer.seal(url)), Some(hint.clone())),
            SlackChange::Remove => (None, None),
        };
        if *slack != SlackChange::Keep {
            sqlx::query(
                "UPDATE notification_settings SET slack_url = $1, slack_hint = $2 WHERE organization_id = $3",
            )
            .bind(url)
            .bind(hint)
            .bind(&row.organization_id)
            .execute(&mut *tx)
            .await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn queue_notifications(
        &self,
        rows: &[NewNotification],
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<usize> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut queued = 0;
        for r in rows {
            queued += sqlx::query(
                "INSERT INTO notifications (id, organization_id, kind, channel, status, digest_day, next_attempt_at, \
                 created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $6, $6) ON CONFLICT DO NOTHING",
            )
            .bind(&r.id)
            .bind(&r.organization_id)
            .bind(r.kind)
            .bind(r.channel)
            .bind(&r.digest_day)
            .bind(r.created_at)
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        }
        if let Some(a) = audit {
            super::audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(queued)
    }

    async fn claim_notifications(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let rows: Vec<NotificationRow> = sqlx::query_as(&format!(
            "UPDATE notifications SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND (lease_expires_at IS NULL OR lease_expires_at <= $3) ORDER BY next_attempt_at LIMIT $4 {}) \
             RETURNING {NOTIFICATION_COLUMNS}",
            skip_locked!()
        ))
        .bind(owner)
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit.clamp(1, 100))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn finish_notification(
        &self,
        id: &str,
        owner: &str,
        outcome: &SendOutcome,
        now: i64,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let q = match outcome {
            SendOutcome::Sent => sqlx::query(
                "UPDATE notifications SET status = 'sent', sent_at = $3, last_error = NULL, lease_owner = NULL, \
                 lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(owner)
            .bind(now),
            SendOutcome::Retry { error, at } => sqlx::query(
                "UPDATE notifications SET next_attempt_at = $3, last_error = $4, lease_owner = NULL, \
                 lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(owner)
            .bind(*at)
            .bind(error),
            SendOutcome::Failed { error } => sqlx::query(
                "UPDATE notifications SET status = 'failed', last_error = $3, lease_owner = NULL, \
                 lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
            )
            .bind(id)
            .bind(owner)
            .bind(error),
        };
        Ok(q.execute(&self.pool).await?.rows_affected() == 1)
    }

    async fn list_notifications(
        &self,
        organization_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE organization_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(organization_id)
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn digest_issues(&self, organization_id: &str, since: i64) -> StoreResult<Vec<IssueRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM issues i WHERE i.organization_id = $1 \
             AND (i.status IN ('open', 'acknowledged') OR i.updated_at >= $2) ORDER BY i.id DESC LIMIT 500",
            crate::server::store::issues::ISSUE_COLUMNS
        ))
        .bind(organization_id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn digest_settings(&self) -> StoreResult<Vec<NotificationSettingsRow>> {
        let rows: Vec<NotificationSettingsRow> = sqlx::query_as(&format!(
            "SELECT {SETTINGS_COLUMNS} FROM notification_settings WHERE digest = TRUE"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| self.opened(r)).collect())
    }
}

impl This {
    fn opened(&self, mut r: NotificationSettingsRow) -> NotificationSettingsRow {
        r.slack_url = r.slack_url.as_deref().map(|v| self.sealer.open(v));
        r
    }
}

/// Queues the notifications an issue's change calls for, on the transaction that changed it,
/// so the change and its alerts commit together. Muted issues notify nobody, a reopening by a
/// person is not a regression, and an issue that had a message on a channel within the hour
/// gets a `held` row there instead (shown in the history, listed by the digest).
pub(super) async fn queue_for_change(
    conn: &mut super::Conn,
    issue: &IssueRow,
    action: IssueEventAction,
    now: i64,
) -> StoreResult<()> {
    let change = match action {
        IssueEventAction::Opened => IssueChangeKind::New,
        IssueEventAction::Reopened if issue.regressed => IssueChangeKind::Regressed,
        IssueEventAction::Resolved => IssueChangeKind::Resolved,
        _ => return Ok(()),
    };
    if issue.status == IssueStatus::Muted || issue.mute_mode.is_some() {
        return Ok(());
    }
    let settings: Option<(String, bool, String, String, bool)> = sqlx::query_as(
        "SELECT email_recipients, slack_url IS NOT NULL, severities, changes, immediate \
         FROM notification_settings WHERE organization_id = $1",
    )
    .bind(&issue.organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((recipients, slack, severities, changes, immediate)) = settings else { return Ok(()) };
    let wanted = immediate
        && n::split(&severities, crate::domain::issues::IssueSeverity::parse).contains(&issue.severity)
        && n::split(&changes, IssueChangeKind::parse).contains(&change);
    if !wanted {
        return Ok(());
    }
    for channel in channels(!recipients.trim().is_empty(), slack) {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(created_at) FROM notifications WHERE issue_id = $1 AND channel = $2 AND status <> 'held'",
        )
        .bind(&issue.id)
        .bind(channel)
        .fetch_one(&mut *conn)
        .await?;
        let held = last.is_some_and(|t| now - t < NOTIFY_EVERY_MS);
        sqlx::query(
            "INSERT INTO notifications (id, organization_id, environment, kind, issue_id, change, channel, status, \
             next_attempt_at, created_at, last_error) VALUES ($1, $2, $3, 'issue', $4, $5, $6, $7, $8, $8, $9)",
        )
        .bind(crate::ids::make_id(crate::ids::prefix::NOTIFICATION, now, rand::random()))
        .bind(&issue.organization_id)
        .bind(&issue.environment)
        .bind(&issue.id)
        .bind(change)
        .bind(channel)
        .bind(if held { "held" } else { "pending" })
        .bind(now)
        .bind(held.then_some("Held back: this issue had a notification on this channel within the hour."))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
