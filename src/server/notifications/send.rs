//! The notifier: claims due messages from the outbox under a lease and sends them, by SMTP
//! (lettre) or to a Slack incoming webhook (Slack's message format, through the webhook HTTP
//! client, so the same rules against internal addresses hold at send time, after DNS).
//! Runs in `serve` and every `switchboard worker`; a process killed mid-send leaves its claims
//! to expire and another process sends them.

use crate::domain::issues::{IssueSeverity, IssueStatus};
use crate::domain::notifications::{IssueChangeKind, NotificationChannel, NotificationKind};
use crate::server::clock::Clock;
use crate::server::store::issues::IssueRow;
use crate::server::store::notifications::{NotificationRow, NotificationSettingsRow, SendOutcome};
use crate::server::store::{Scope, Store, StoreResult};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How the notifier sends. `smtp_url` holds the SMTP password when there is one: never logged
/// (the `Debug` form leaves it out).
#[derive(Clone)]
pub struct NotifierSettings {
    /// `SWITCHBOARD_SMTP_URL`: `smtp://user:pass@host:587?tls=required`, `smtps://…`, or
    /// `smtp://host:port` for a local relay. No email is sent without it.
    pub smtp_url: Option<String>,
    /// `SWITCHBOARD_SMTP_FROM`: the sender address.
    pub from: String,
    /// Where links in messages point (the console's public URL).
    pub console_url: String,
    pub allow_private: bool,
    /// Lease owner prefix (this machine's name).
    pub host: String,
    /// How often to look for due messages when nothing woke the notifier.
    pub poll: Duration,
    /// Waits before the 2nd, 3rd, … attempt; after the last, the message is marked failed.
    pub retries: Vec<Duration>,
    pub timeout: Duration,
}

impl std::fmt::Debug for NotifierSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifierSettings")
            .field("smtp", &self.smtp_url.as_ref().map(|_| "set"))
            .field("from", &self.from)
            .field("console_url", &self.console_url)
            .finish_non_exhaustive()
    }
}

impl NotifierSettings {
    pub fn standard(console_url: &str, allow_private: bool) -> Self {
        let m = |mins: u64| Duration::from_secs(mins * 60);
        NotifierSettings {
            smtp_url: None,
            from: "Switchboard <alerts@switchboard.invalid>".into(),
            console_url: console_url.trim_end_matches('/').to_string(),
            allow_private,
            host: "local".into(),
            poll: Duration::from_secs(1),
            retries: vec![m(1), m(5), m(30), m(120)],
            timeout: Duration::from_secs(15),
        }
    }

    /// Checks an SMTP URL the way the transport will read it; the message names the form.
    pub fn check_smtp_url(raw: &str) -> Result<(), String> {
        use lettre::{AsyncSmtpTransport, Tokio1Executor};
        AsyncSmtpTransport::<Tokio1Executor>::from_url(raw)
            .map(|_| ())
            .map_err(|e| format!("an SMTP URL such as smtp://user:password@mail.example.com:587?tls=required or smtps://mail.example.com ({e})"))
    }
}

/// Wakes this process's notifiers at once (a test message was just queued); other processes
/// find work at their next poll.
static WAKE: std::sync::LazyLock<Notify> = std::sync::LazyLock::new(Notify::new);

pub fn wake() {
    WAKE.notify_one();
}

pub struct Notifier {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: NotifierSettings,
    owner: String,
    http: reqwest::Client,
}

impl Notifier {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: NotifierSettings) -> Self {
        let owner = format!("{}-notify-{}-{:x}", settings.host, std::process::id(), rand::random::<u32>());
        let delivery = crate::server::webhooks::delivery::DeliverySettings {
            timeout: settings.timeout,
            ..crate::server::webhooks::delivery::DeliverySettings::standard(settings.allow_private)
        };
        let http = crate::server::webhooks::delivery::http_client(&delivery);
        Notifier { store, clock, settings, owner, http }
    }

    /// Claims and sends until `stopped`.
    pub async fn run(self, mut stopped: watch::Receiver<bool>) {
        loop {
            if *stopped.borrow() {
                return;
            }
            let sent = match self.round().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "notifier round failed");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            tokio::select! {
                _ = WAKE.notified() => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
                _ = stopped.changed() => {}
            }
        }
    }

    /// One claim and its sends; returns how many messages were handled.
    pub async fn round(&self) -> StoreResult<usize> {
        let now = self.clock.now_ms();
        let lease = (self.settings.timeout.as_millis() as i64) * 3 + 30_000;
        let claimed = self.store.claim_notifications(&self.owner, now, lease, 10).await?;
        for row in &claimed {
            let outcome = self.send(row).await;
            if let SendOutcome::Failed { error } | SendOutcome::Retry { error, .. } = &outcome {
                tracing::warn!(notification = %row.id, channel = %row.channel, error = %error, "notification not sent");
            }
            self.store.finish_notification(&row.id, &self.owner, &outcome, self.clock.now_ms()).await?;
        }
        Ok(claimed.len())
    }

    async fn send(&self, row: &NotificationRow) -> SendOutcome {
        let message = match self.compose(row).await {
            Ok(Some(m)) => m,
            Ok(None) => {
                return SendOutcome::Failed { error: "The issue or the settings no longer exist.".into() }
            }
            Err(e) => return self.retry(row, format!("Could not read the issue: {e}")),
        };
        let (settings, message) = message;
        let result = match row.channel {
            NotificationChannel::Email => self.email(&settings, &message).await,
            NotificationChannel::Slack => self.slack(&settings, &message).await,
        };
        match result {
            Ok(()) => SendOutcome::Sent,
            Err(Failure::Permanent(e)) => SendOutcome::Failed { error: e },
            Err(Failure::Passing(e)) => self.retry(row, e),
        }
    }

    fn retry(&self, row: &NotificationRow, error: String) -> SendOutcome {
        match self.settings.retries.get((row.attempts - 1).max(0) as usize) {
            Some(wait) => SendOutcome::Retry { error, at: self.clock.now_ms() + wait.as_millis() as i64 },
            None => {
                SendOutcome::Failed { error: format!("{error} (gave up after {} attempts)", row.attempts) }
            }
        }
    }

    async fn compose(
        &self,
        row: &NotificationRow,
    ) -> StoreResult<Option<(NotificationSettingsRow, Message)>> {
        let Some(settings) = self.store.notification_settings(&row.organization_id).await? else {
            return Ok(None);
        };
        let base = &self.settings.console_url;
        let message = match row.kind {
            NotificationKind::Test => Message::test(base),
            NotificationKind::Issue => {
                let (Some(issue_id), Some(env)) = (&row.issue_id, &row.environment) else { return Ok(None) };
                let scope = Scope { organization_id: row.organization_id.clone(), environment: env.clone() };
                let Some(issue) = self.store.get_issue(&scope, issue_id).await? else { return Ok(None) };
                Message::issue(base, &issue, row.change.unwrap_or(IssueChangeKind::New))
            }
            NotificationKind::Digest => {
                let since = row.created_at - 86_400_000;
                let issues = self.store.digest_issues(&row.organization_id, since).await?;
                let severities =
                    crate::domain::notifications::split(&settings.severities, IssueSeverity::parse);
                Message::digest(base, &issues, &severities, since, row.digest_day.as_deref().unwrap_or(""))
            }
        };
        Ok(Some((settings, message)))
    }

    async fn email(&self, settings: &NotificationSettingsRow, m: &Message) -> Result<(), Failure> {
        use lettre::message::header::ContentType;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
        let Some(url) = &self.settings.smtp_url else {
            return Err(Failure::Permanent(
                "Email is not set up on this server: SWITCHBOARD_SMTP_URL is not set.".into(),
            ));
        };
        let from = self.settings.from.parse().map_err(|e| {
            Failure::Permanent(format!(
                "SWITCHBOARD_SMTP_FROM {:?} is not an address ({e}).",
                self.settings.from
            ))
        })?;
        let mut builder = lettre::Message::builder().from(from).subject(&m.subject);
        for r in settings.email_recipients.split(',').filter(|s| !s.is_empty()) {
            let to = r.parse().map_err(|e| Failure::Permanent(format!("{r:?} is not an address ({e}).")))?;
            builder = builder.to(to);
        }
        let email = builder
            .header(ContentType::TEXT_PLAIN)
            .body(m.text.clone())
            .map_err(|e| Failure::Permanent(format!("The message could not be built: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Failure::Permanent(format!("SWITCHBOARD_SMTP_URL is not usable: {e}")))?
            .timeout(Some(self.settings.timeout))
            .build();
        match transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => {
                Err(Failure::Permanent(format!("The mail server refused the message: {e}")))
            }
            Err(e) => Err(Failure::Passing(format!("The mail server could not be reached or failed: {e}"))),
        }
    }

    async fn slack(&self, settings: &NotificationSettingsRow, m: &Message) -> Result<(), Failure> {
        let Some(url) = &settings.slack_url else {
            return Err(Failure::Permanent("The Slack webhook URL was removed.".into()));
        };
        let res = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(m.slack.to_string())
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                let status = r.status();
                let body: String = r.text().await.unwrap_or_default().chars().take(200).collect();
                let what = format!("Slack answered {status} {body}");
                if status.as_u16() == 429 || status.is_server_error() {
                    Err(Failure::Passing(what))
                } else {
                    Err(Failure::Permanent(format!(
                        "{what}: the webhook URL was revoked or is wrong; paste a new one."
                    )))
                }
            }
            Err(e) => match crate::server::webhooks::delivery::classify(&e) {
                ("blocked", why) => Err(Failure::Permanent(why)),
                (_, why) => Err(Failure::Passing(format!("Slack could not be reached: {why}"))),
            },
        }
    }
}

enum Failure {
    /// Trying again will not help (a refused address, a revoked webhook).
    Permanent(String),
    /// It may pass (a timeout, a 5xx, a 429).
    Passing(String),
}

/// One message, as text (email) and in Slack's format.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub slack: serde_json::Value,
}

/// Slack's escaping for text in `mrkdwn`: `&`, `<` and `>`.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

impl Message {
    pub fn test(base: &str) -> Self {
        let link = format!("{base}/settings/notifications");
        let text = format!(
            "This is a test notification from Switchboard. Alerts for your organization's issues will arrive here.\n\nSettings: {link}\n"
        );
        Message {
            subject: "[Switchboard] Test notification".into(),
            slack: serde_json::json!({
                "text": "Test notification from Switchboard",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": format!(
                    "*Test notification from Switchboard.* Alerts for your organization's issues will arrive here. <{link}|Notification settings>"
                )}}],
            }),
            text,
        }
    }

    pub fn issue(base: &str, issue: &IssueRow, change: IssueChangeKind) -> Self {
        let link = format!("{base}/issues/{}", issue.id);
        let kind = issue.kind;
        let subject = format!(
            "[Switchboard] {} ({}, {}): {}",
            change.label(),
            issue.severity,
            issue.environment,
            issue.summary.chars().take(120).collect::<String>()
        );
        let mut lines = vec![
            format!("{}: {}", change.label(), issue.summary),
            String::new(),
            format!("Kind: {} ({})", kind.title(), issue.severity),
            format!("Environment: {}", issue.environment),
        ];
        if let Some(c) = &issue.connection_id {
            lines.push(format!("Connection: {c}"));
        }
        if let Some(p) = &issue.platform_id {
            lines.push(format!("Platform: {p}"));
        }
        lines.push(format!("First seen: {}", when(issue.first_seen)));
        lines.push(format!("Last seen: {} ({} occurrences)", when(issue.last_seen), issue.occurrences));
        if change == IssueChangeKind::Resolved {
            if let Some(at) = issue.resolved_at {
                lines.push(format!(
                    "Resolved: {}{}",
                    when(at),
                    issue
                        .resolved_by
                        .as_ref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_else(|| " (by itself)".into())
                ));
            }
        } else {
            lines.push(String::new());
            lines.push(format!("What to do: {}", kind.next_step()));
        }
        lines.push(String::new());
        lines.push(format!("Open the issue: {link}"));
        let text = lines.join("\n") + "\n";
        let mut fields = vec![
            serde_json::json!({"type": "mrkdwn", "text": format!("*Severity*\n{}", issue.severity)}),
            serde_json::json!({"type": "mrkdwn", "text": format!("*Environment*\n{}", issue.environment)}),
        ];
        if let Some(c) = &issue.connection_id {
            fields.push(
                serde_json::json!({"type": "mrkdwn", "text": format!("*Connection*\n{}", slack_escape(c))}),
            );
        }
        let mut blocks = vec![
            serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": format!(
                "*{}*: <{link}|{}>", change.label(), slack_escape(&issue.summary)
            )}}),
            serde_json::json!({"type": "section", "fields": fields}),
        ];
        if change != IssueChangeKind::Resolved {
            blocks.push(serde_json::json!({"type": "context", "elements": [
                {"type": "mrkdwn", "text": format!("What to do: {}", slack_escape(kind.next_step()))}
            ]}));
        }
        Message {
            subject,
            slack: serde_json::json!({
                "text": format!("{}: {}", change.label(), issue.summary),
                "blocks": blocks,
            }),
            text,
        }
    }

    /// The daily digest: what opened, regressed and resolved in the day, and what is still open,
    /// of the chosen severities.
    pub fn digest(
        base: &str,
        issues: &[IssueRow],
        severities: &[IssueSeverity],
        since: i64,
        day: &str,
    ) -> Self {
        let chosen: Vec<&IssueRow> = issues.iter().filter(|i| severities.contains(&i.severity)).collect();
        let unresolved = |i: &&&IssueRow| matches!(i.status, IssueStatus::Open | IssueStatus::Acknowledged);
        let new: Vec<&&IssueRow> = chosen.iter().filter(|i| i.first_seen >= since && !i.regressed).collect();
        let regressed: Vec<&&IssueRow> =
            chosen.iter().filter(|i| i.regressed && i.updated_at >= since && unresolved(i)).collect();
        let resolved: Vec<&&IssueRow> =
            chosen.iter().filter(|i| i.resolved_at.is_some_and(|r| r >= since)).collect();
        let open: Vec<&&IssueRow> = chosen.iter().filter(unresolved).collect();
        let subject = format!(
            "[Switchboard] Daily digest {day}: {} open, {} new, {} regressed, {} resolved",
            open.len(),
            new.len(),
            regressed.len(),
            resolved.len()
        );
        let mut text = format!("Issues of your organization in the 24 hours before this digest ({day}).\n");
        let mut slack = format!(
            "*Switchboard daily digest {day}*: {} open, {} new, {} regressed, {} resolved",
            open.len(),
            new.len(),
            regressed.len(),
            resolved.len()
        );
        for (title, list) in
            [("New", &new), ("Regressed", &regressed), ("Resolved", &resolved), ("Still open", &open)]
        {
            text.push_str(&format!("\n{title} ({}):\n", list.len()));
            if list.is_empty() {
                text.push_str("  none\n");
            }
            for i in list.iter().take(20) {
                text.push_str(&format!(
                    "  - [{}] {} ({})  {base}/issues/{}\n",
                    i.severity, i.summary, i.environment, i.id
                ));
            }
            if list.len() > 20 {
                text.push_str(&format!("  … and {} more: {base}/issues\n", list.len() - 20));
            }
            if !list.is_empty() {
                slack.push_str(&format!("\n*{title}* ({})", list.len()));
                for i in list.iter().take(10) {
                    slack.push_str(&format!(
                        "\n• [{}] <{base}/issues/{}|{}>",
                        i.severity,
                        i.id,
                        slack_escape(&i.summary)
                    ));
                }
            }
        }
        text.push_str(&format!("\nAll issues: {base}/issues\n"));
        // A section's text holds at most 3,000 characters in Slack.
        if slack.chars().count() > 2_900 {
            slack = slack.chars().take(2_900).collect::<String>() + "…";
        }
        Message {
            subject,
            slack: serde_json::json!({
                "text": format!("Switchboard daily digest {day}"),
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": slack}}],
            }),
            text,
        }
    }
}
