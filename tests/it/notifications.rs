//! Alerts on both databases, with a local SMTP sink and a local Slack receiver: settings follow
//! roles and stay inside their organization; an issue's change reaches email and Slack once an
//! hour at most; tests and daily digests arrive; a server without SMTP says so per message; the
//! Slack URL is sealed at rest.

use crate::helpers::{self, raw_contents};
use crate::http::{app, body, post_form, send, sign_in, HOST};
use axum::http::{header, StatusCode};
use std::sync::{Arc, Mutex};
use switchboard::domain::notifications::{NotificationChannel, NotificationKind, NotificationStatus};
use switchboard::server::clock::{Clock, ManualClock};
use switchboard::server::notifications::{self, Notifier, NotifierSettings};
use switchboard::server::store::issues::{Clearance, Observation};
use switchboard::server::store::Scope;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A local SMTP server that accepts every message and keeps it (envelope recipients and the
/// raw text).
/// A received message: its envelope recipients and its text.
pub type Mail = (Vec<String>, String);

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub messages: Arc<Mutex<Vec<Mail>>>,
    pub url: String,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let sink = SmtpSink { messages: Default::default(), url };
        let messages = sink.messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let mut rcpt = vec![];
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                            b"250 sink\r\n"
                        } else if upper.starts_with("RCPT TO:") {
                            rcpt.push(line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string());
                            b"250 OK\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go on\r\n").await;
                            let mut text = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                text.push_str(&l);
                                text.push('\n');
                            }
                            // Long lines come quoted-printable: undo the soft breaks and `=3D`.
                            if text.contains("Content-Transfer-Encoding: quoted-printable") {
                                text = text.replace("=\n", "").replace("=3D", "=");
                            }
                            messages.lock().unwrap().push((std::mem::take(&mut rcpt), text));
                            b"250 OK queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"250 OK\r\n"
                        };
                        let _ = write.write_all(reply).await;
                    }
                });
            }
        });
        sink
    }

    pub fn count(&self) -> usize {
        self.messages.lock().unwrap().len()
    }
}

/// A local stand-in for Slack's incoming webhooks: keeps each JSON body posted to `/slack/...`.
#[derive(Clone, Default)]
pub struct SlackReceiver {
    pub posts: Arc<Mutex<Vec<serde_json::Value>>>,
    pub base: String,
}

impl SlackReceiver {
    pub async fn start() -> SlackReceiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let rx = SlackReceiver { posts: Default::default(), base };
        let posts = rx.posts.clone();
        let app = axum::Router::new().route(
            "/slack/{*rest}",
            axum::routing::post(move |b: axum::body::Bytes| {
                let posts = posts.clone();
                async move {
                    posts.lock().unwrap().push(serde_json::from_slice(&b).unwrap_or(serde_json::Value::Null));
                    "ok"
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        rx
    }

    pub fn count(&self) -> usize {
        self.posts.lock().unwrap().len()
    }
}

async fn call(app: &axum::Router, path: &str, form: &str, cookie: &str) -> (StatusCode, String) {
    let mut req = post_form(path, form, Some(cookie), Some(&format!("http://{HOST}")));
    req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = send(app, req).await;
    let status = res.status();
    (status, body(res).await)
}

fn notifier(db: &helpers::TestDb, clock: Arc<ManualClock>, smtp: Option<&str>) -> Notifier {
    let mut s = NotifierSettings::standard("http://console.test", true);
    s.smtp_url = smtp.map(str::to_string);
    s.timeout = std::time::Duration::from_secs(5);
    Notifier::new(db.store.clone(), clock, s)
}

const HOUR: i64 = 3_600_000;

#[tokio::test]
async fn issue_changes_reach_email_and_slack_at_most_hourly_per_issue() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let sink = SmtpSink::start().await;
        let slack = SlackReceiver::start().await;
        let owner = sign_in(&app, "owner@acme.test").await;
        let token = "T0001/B0002/s3cr3tSlackToken";
        let form = format!(
            "recipients=oncall%40acme.test%2C+lead%40acme.test&slack_url={}&severities[0]=critical&severities[1]=error\
             &changes[0]=new&changes[1]=regressed&changes[2]=resolved&immediate=1",
            switchboard::url::encode_component(&format!("{}/slack/{token}", slack.base))
        );
        let (s, b) = call(&app, "/api/save_notification_settings", &form, &owner).await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        // Sealed at rest: the token is nowhere in the database.
        assert!(
            !raw_contents(&db).await.contains("s3cr3tSlackToken"),
            "{}: the Slack URL is stored in clear",
            db.name
        );

        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        // A connection of its own, so no issue the demo seed opened is in the way.
        let conn = helpers::new_connection(&db, &scope, "xero", "Alerts test").await;
        let t0 = helpers::now_ms();
        let clock = Arc::new(ManualClock::new(t0));
        let n = notifier(&db, clock.clone(), Some(&sink.url));

        // A new critical issue: one email (to both recipients) and one Slack post.
        let obs = Observation::credentials(&conn, Some("xero"), Some("invalid_grant"), t0);
        let changes = db.store.observe_issues(&scope, std::slice::from_ref(&obs)).await.unwrap();
        assert_eq!(changes.len(), 1, "{}", db.name);
        assert_eq!(n.round().await.unwrap(), 2, "{}", db.name);
        assert_eq!((sink.count(), slack.count()), (1, 1), "{}", db.name);
        {
            let (rcpt, text) = sink.messages.lock().unwrap()[0].clone();
            assert_eq!(rcpt, vec!["oncall@acme.test", "lead@acme.test"], "{}", db.name);
            assert!(
                text.contains("Subject: [Switchboard] New issue (critical, production)"),
                "{}: {text}",
                db.name
            );
            assert!(text.contains("http://console.test/issues/iss_"), "{}: {text}", db.name);
            let post = slack.posts.lock().unwrap()[0].clone();
            assert!(post["text"].as_str().unwrap().starts_with("New issue:"), "{post}");
            assert!(
                post["blocks"][0]["text"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("<http://console.test/issues/iss_"),
                "{post}"
            );
        }

        // Resolved 10 minutes later: within the hour, so held on both channels, nothing sent.
        clock.advance(10 * 60_000);
        let resolved = db
            .store
            .clear_issues(
                &scope,
                &[Clearance {
                    kind: switchboard::domain::issues::IssueKind::Credentials,
                    scope_id: conn.clone(),
                    why: "the connection reported healthy".into(),
                    at: clock.now_ms(),
                }],
            )
            .await
            .unwrap();
        assert_eq!(resolved.len(), 1, "{}", db.name);
        assert_eq!(n.round().await.unwrap(), 0, "{}", db.name);
        assert_eq!((sink.count(), slack.count()), (1, 1), "{}", db.name);
        let history = db.store.list_notifications(&acme.id, 10).await.unwrap();
        assert_eq!(history.iter().filter(|r| r.status == NotificationStatus::Held).count(), 2, "{}", db.name);

        // It comes back 2 hours later: regressed, and sent again.
        clock.advance(2 * HOUR);
        let mut again = obs.clone();
        again.at = clock.now_ms();
        again.since = None;
        db.store.observe_issues(&scope, &[again]).await.unwrap();
        assert_eq!(n.round().await.unwrap(), 2, "{}", db.name);
        assert_eq!((sink.count(), slack.count()), (2, 2), "{}", db.name);
        assert!(sink.messages.lock().unwrap()[1].1.contains("Issue regressed"), "{}", db.name);

        // A warning is not among the chosen severities: nothing is queued for it.
        let before = db.store.list_notifications(&acme.id, 50).await.unwrap().len();
        let mut rl = Observation::new(
            switchboard::domain::issues::IssueKind::RateLimited,
            &conn,
            "429s",
            clock.now_ms(),
        );
        rl.connection_ids = vec![conn.clone()];
        db.store.observe_issues(&scope, &[rl]).await.unwrap();
        assert_eq!(db.store.list_notifications(&acme.id, 50).await.unwrap().len(), before, "{}", db.name);

        // A test message from the page arrives on both channels.
        let (s, b) = call(&app, "/api/send_test_notification", "", &owner).await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        assert!(b.contains("email and slack"), "{}: {b}", db.name);
        n.round().await.unwrap();
        assert_eq!((sink.count(), slack.count()), (3, 3), "{}", db.name);
        assert!(sink.messages.lock().unwrap()[2].1.contains("Test notification"), "{}", db.name);

        // The daily digest: queued once per channel and day however many rounds and processes.
        let (s, b) = call(
            &app,
            "/api/save_notification_settings",
            &format!(
                "{}&digest=1&digest_hour=0",
                form.replace(
                    &format!(
                        "slack_url={}",
                        switchboard::url::encode_component(&format!("{}/slack/{token}", slack.base))
                    ),
                    "slack_url="
                )
            ),
            &owner,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        let now = clock.now_ms();
        let first = notifications::queue_digests(db.store.as_ref(), now).await.unwrap();
        let second = notifications::queue_digests(db.store.as_ref(), now).await.unwrap();
        assert_eq!((first, second), (2, 0), "{}", db.name);
        n.round().await.unwrap();
        assert_eq!((sink.count(), slack.count()), (4, 4), "{}", db.name);
        let digest = sink.messages.lock().unwrap()[3].1.clone();
        assert!(digest.contains("Daily digest"), "{}: {digest}", db.name);
        assert!(digest.contains("Regressed (1)"), "{}: {digest}", db.name);

        // A server without SMTP: the email fails with the reason, Slack still goes out.
        let no_smtp = notifier(&db, clock.clone(), None);
        call(&app, "/api/send_test_notification", "", &owner).await;
        no_smtp.round().await.unwrap();
        let history = db.store.list_notifications(&acme.id, 50).await.unwrap();
        let email = history
            .iter()
            .filter(|r| r.kind == NotificationKind::Test && r.channel == NotificationChannel::Email)
            .max_by_key(|r| r.created_at)
            .unwrap();
        assert_eq!(email.status, NotificationStatus::Failed, "{}", db.name);
        assert!(email.last_error.as_deref().unwrap().contains("SWITCHBOARD_SMTP_URL"), "{}", db.name);
        assert_eq!(slack.count(), 5, "{}", db.name);
        let audit = db.store.list_audit(&acme.id, 20).await.unwrap();
        assert!(audit
            .iter()
            .any(|a| a.action.as_str() == "notifications.update" && a.actor_email == "owner@acme.test"));
        assert!(audit.iter().any(|a| a.action.as_str() == "notifications.test"));
    }
}

#[tokio::test]
async fn notification_settings_follow_roles_and_stay_inside_their_organization() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let owner = sign_in(&app, "owner@acme.test").await;
        let dev = sign_in(&app, "dev@acme.test").await;
        let globex = sign_in(&app, "owner@globex.test").await;
        let form = "recipients=oncall%40acme.test&severities[0]=critical&changes[0]=new&immediate=1";
        let (s, b) = call(&app, "/api/save_notification_settings", form, &dev).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}: {b}", db.name);
        assert!(b.contains("owners and admins"), "{b}");
        for (bad, needle) in [
            (
                "recipients=not-an-address&severities[0]=error&changes[0]=new&immediate=1",
                "is not an email address",
            ),
            ("severities[0]=fatal&immediate=1&changes[0]=new", "not a severity"),
            ("severities[0]=error&immediate=1&changes[0]=new&digest=1&digest_hour=25", "0 to 23"),
            (
                "severities[0]=error&immediate=1&changes[0]=new&slack_url=http%3A%2F%2F10.0.0.1%2Fhook",
                "Slack webhook URL",
            ),
            (
                "severities[0]=error&immediate=1&changes[0]=new&slack_url=ftp%3A%2F%2Fhooks.slack.com%2Fx",
                "Slack webhook URL",
            ),
        ] {
            let (s, b) = call(&app, "/api/save_notification_settings", bad, &owner).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{}: {bad}: {b}", db.name);
            assert!(b.contains(needle), "{}: {bad}: {b}", db.name);
        }
        let (s, b) = call(&app, "/api/save_notification_settings", form, &owner).await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        // Another organization's owner sees its own (default) settings and changes only them.
        let read = |cookie: String| {
            let app = app.clone();
            async move {
                let res = send(&app, crate::http::get("/api/notification_settings", Some(&cookie))).await;
                body(res).await
            }
        };
        let theirs = read(globex.clone()).await;
        assert!(!theirs.contains("oncall@acme.test"), "{}: {theirs}", db.name);
        let (s, _) = call(
            &app,
            "/api/save_notification_settings",
            "recipients=ops%40globex.test&severities[0]=error&changes[0]=new&immediate=1",
            &globex,
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}", db.name);
        let ours = read(owner.clone()).await;
        assert!(ours.contains("oncall@acme.test") && !ours.contains("globex"), "{}: {ours}", db.name);
        // A test message needs a destination of one's own organization.
        let (s, b) = call(&app, "/api/send_test_notification", "", &dev).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}: {b}", db.name);
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let globex_org = db.store.get_organization("globex").await.unwrap().unwrap();
        call(&app, "/api/send_test_notification", "", &globex).await;
        assert!(db.store.list_notifications(&acme.id, 10).await.unwrap().is_empty(), "{}", db.name);
        assert_eq!(db.store.list_notifications(&globex_org.id, 10).await.unwrap().len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn a_message_claimed_by_a_process_that_died_is_sent_once_by_another() {
    use switchboard::server::store::notifications::{NewNotification, SendOutcome};
    for db in helpers::all().await {
        let app = app(&db).await;
        let sink = SmtpSink::start().await;
        let owner = sign_in(&app, "owner@acme.test").await;
        let form = "recipients=oncall%40acme.test&severities[0]=critical&changes[0]=new&immediate=1";
        assert_eq!(call(&app, "/api/save_notification_settings", form, &owner).await.0, StatusCode::OK);
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let t0 = helpers::now_ms();
        let row = NewNotification {
            id: switchboard::ids::make_id(switchboard::ids::prefix::NOTIFICATION, t0, rand::random()),
            organization_id: acme.id.clone(),
            kind: NotificationKind::Test,
            channel: NotificationChannel::Email,
            digest_day: None,
            created_at: t0,
        };
        db.store.queue_notifications(std::slice::from_ref(&row), None).await.unwrap();
        // A process claims it and is killed before it sends: its lease holds the message...
        let claimed = db.store.claim_notifications("dead-process", t0, 30_000, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{}", db.name);
        let clock = Arc::new(ManualClock::new(t0 + 1_000));
        let n = notifier(&db, clock.clone(), Some(&sink.url));
        assert_eq!(n.round().await.unwrap(), 0, "{}", db.name);
        // ... until it expires; then another process sends it, once.
        clock.advance(30_000);
        assert_eq!(n.round().await.unwrap(), 1, "{}", db.name);
        assert_eq!(n.round().await.unwrap(), 0, "{}", db.name);
        assert_eq!(sink.count(), 1, "{}", db.name);
        // The dead process's late answer changes nothing.
        let late = db
            .store
            .finish_notification(&row.id, "dead-process", &SendOutcome::Sent, t0 + 40_000)
            .await
            .unwrap();
        assert!(!late, "{}", db.name);
        let history = db.store.list_notifications(&acme.id, 10).await.unwrap();
        assert_eq!(history[0].status, NotificationStatus::Sent, "{}", db.name);
        assert_eq!(history[0].attempts, 2, "{}: one claim by each process", db.name);
    }
}
