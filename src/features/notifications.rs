//! `/settings/notifications`: where alerts about issues go (email recipients, a Slack incoming
//! webhook), about which severities and changes, as they happen and/or in a daily digest, with
//! the newest messages and how each went. Every member reads it; owners and admins change it.
//! Plain forms: saving and sending a test work without JavaScript.

use super::issues::SeverityBadge;
use super::ui::{
    format_time_utc, status_label, Badge, Card, DetailLoader, ErrorNotice, PageHeader, TableHead, Tone,
};
use crate::domain::issues::IssueSeverity;
use crate::domain::notifications::IssueChangeKind;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub can_manage: Result<(), String>,
    /// Whether this server has an SMTP server (`SWITCHBOARD_SMTP_URL`).
    pub email_ready: bool,
    pub recipients: Vec<String>,
    pub severities: Vec<IssueSeverity>,
    pub changes: Vec<IssueChangeKind>,
    pub immediate: bool,
    pub digest: bool,
    pub digest_hour: u8,
    /// What is shown of the saved Slack URL.
    pub slack_hint: Option<String>,
    /// When and by whom the settings were last saved.
    pub saved: Option<(i64, Option<String>)>,
    pub history: Vec<NotificationItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationItem {
    pub id: String,
    pub at: i64,
    pub what: String,
    pub href: Option<String>,
    pub channel: String,
    pub status: String,
    pub error: Option<String>,
    pub sent_at: Option<i64>,
}

#[server(input = GetUrl, endpoint = "notification_settings")]
pub async fn notification_settings() -> Result<NotificationsView, AppError> {
    use crate::domain::notifications::NotificationKind;
    use crate::server::notifications as svc;
    let (state, viewer) = crate::server::context::session()?;
    let s = svc::settings(&state, &viewer).await?;
    let history = s
        .history
        .into_iter()
        .map(|r| {
            let (what, href) = match r.kind {
                NotificationKind::Test => ("Test message".to_string(), None),
                NotificationKind::Digest => {
                    (format!("Daily digest {}", r.digest_day.clone().unwrap_or_default()), None)
                }
                NotificationKind::Issue => (
                    format!(
                        "{}{}",
                        r.change.map(|c| c.label()).unwrap_or("Issue"),
                        r.environment.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
                    ),
                    r.issue_id.as_ref().map(|i| format!("/issues/{i}")),
                ),
            };
            NotificationItem {
                id: r.id,
                at: r.created_at,
                what,
                href,
                channel: r.channel.as_str().to_string(),
                status: r.status.as_str().to_string(),
                error: r.last_error,
                sent_at: r.sent_at,
            }
        })
        .collect();
    Ok(NotificationsView {
        can_manage: svc::may_manage(&viewer),
        email_ready: s.email_ready,
        recipients: s.choices.recipients,
        severities: s.choices.severities,
        changes: s.choices.changes,
        immediate: s.choices.immediate,
        digest: s.choices.digest,
        digest_hour: s.choices.digest_hour,
        slack_hint: s.slack_hint,
        saved: s.saved,
        history,
    })
}

#[cfg(feature = "ssr")]
const PAGE_PATH: &str = "/settings/notifications";

/// Saves the settings. Severities and changes arrive as `severities[0]`, … (one per checkbox).
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "save_notification_settings")]
pub async fn save_notification_settings(
    #[server(default)] recipients: String,
    #[server(default)] slack_url: String,
    #[server(default)] remove_slack: String,
    #[server(default)] severities: Vec<String>,
    #[server(default)] changes: Vec<String>,
    #[server(default)] immediate: String,
    #[server(default)] digest: String,
    #[server(default)] digest_hour: String,
) -> Result<(), AppError> {
    use crate::server::notifications::{save, SettingsInput};
    use crate::url::encode_component as enc;
    let (state, viewer) = crate::server::context::session()?;
    let input = SettingsInput {
        recipients: recipients.clone(),
        slack_url,
        remove_slack: !remove_slack.is_empty(),
        severities: severities.clone(),
        changes: changes.clone(),
        immediate: !immediate.is_empty(),
        digest: !digest.is_empty(),
        digest_hour: digest_hour.clone(),
    };
    let result = save(&state, &viewer, &input).await.map_err(AppError::from);
    if crate::server::context::wants_html() {
        match &result {
            Ok(()) => leptos_axum::redirect(&format!("{PAGE_PATH}?saved=1")),
            Err(AppError::Unauthorized) => {}
            // What was typed comes back (but the Slack URL, a credential, never goes in an address).
            Err(e) => {
                let mut q = vec![format!("error={}", enc(&e.to_string())), "typed=1".to_string()];
                q.push(format!("recipients={}", enc(&recipients.chars().take(4_000).collect::<String>())));
                q.extend(severities.iter().take(10).map(|s| format!("severity={}", enc(s))));
                q.extend(changes.iter().take(10).map(|c| format!("change={}", enc(c))));
                if !immediate.is_empty() {
                    q.push("immediate=1".into());
                }
                if !digest.is_empty() {
                    q.push("digest=1".into());
                }
                q.push(format!("digest_hour={}", enc(&digest_hour.chars().take(10).collect::<String>())));
                leptos_axum::redirect(&format!("{PAGE_PATH}?{}", q.join("&")));
            }
        }
    }
    result
}

/// Queues a test message on each channel set up; returns the channels, in words.
#[server(endpoint = "send_test_notification")]
pub async fn send_test_notification() -> Result<String, AppError> {
    use crate::url::encode_component as enc;
    let (state, viewer) = crate::server::context::session()?;
    let result = crate::server::notifications::send_test(&state, &viewer)
        .await
        .map_err(AppError::from)
        .map(|channels| channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" and "));
    if crate::server::context::wants_html() {
        match &result {
            Ok(channels) => leptos_axum::redirect(&format!("{PAGE_PATH}?tested={}", enc(channels))),
            Err(AppError::Unauthorized) => {}
            Err(e) => leptos_axum::redirect(&format!("{PAGE_PATH}?error={}", enc(&e.to_string()))),
        }
    }
    result
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let save = ServerAction::<SaveNotificationSettings>::new();
    let test = ServerAction::<SendTestNotification>::new();
    // Read again after a save or a test that worked; after a refused one the form keeps what
    // was typed.
    let refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            refresh.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(test.value().get(), Some(Ok(_))) {
            refresh.update(|n| *n += 1);
        }
    });
    let data = Resource::new(move || refresh.get(), |_| notification_settings());
    view! {
        <DetailLoader resource=data title="Notifications" render=move |v| view! { <NotificationsBody v save test /> } />
    }
}

const CHECK: &str = "rounded border-slate-300";

#[component]
fn NotificationsBody(
    v: NotificationsView,
    save: ServerAction<SaveNotificationSettings>,
    test: ServerAction<SendTestNotification>,
) -> impl IntoView {
    let query = use_query_map();
    let g = |k: &str| query.with_untracked(|q| q.get(k)).filter(|s| !s.is_empty());
    // After a refused save without JavaScript, the form shows what was typed.
    let typed = g("typed").is_some();
    let (recipients, severities, changes, immediate, digest, hour) = if typed {
        let all = |k: &str| query.with_untracked(|q| q.get_all(k).unwrap_or_default());
        (
            g("recipients").unwrap_or_default(),
            all("severity"),
            all("change"),
            g("immediate").is_some(),
            g("digest").is_some(),
            g("digest_hour").unwrap_or_default(),
        )
    } else {
        (
            v.recipients.join(", "),
            v.severities.iter().map(|s| s.as_str().to_string()).collect(),
            v.changes.iter().map(|c| c.as_str().to_string()).collect(),
            v.immediate,
            v.digest,
            v.digest_hour.to_string(),
        )
    };
    let error = g("error");
    let saved_flash = g("saved").is_some();
    let tested_flash = g("tested");
    let disabled = v.can_manage.is_err();
    let has_destination = !v.recipients.is_empty() || v.slack_hint.is_some();
    view! {
        <PageHeader title="Notifications" subtitle="Tell your team about issues where they look: new, regressed and resolved issues, as they happen or once a day." />
        {(!v.email_ready).then(|| view! {
            <p data-testid="email-not-set-up" class="mb-4 rounded-md border border-amber-200 bg-amber-50 px-4 py-3 text-sm text-amber-900">
                "Email is not set up on this server: its operator sets SWITCHBOARD_SMTP_URL (and SWITCHBOARD_SMTP_FROM) and restarts it. Until then, messages to email recipients fail; Slack works without it."
            </p>
        })}
        {v.can_manage.clone().err().map(|why| view! { <p data-testid="read-only-note" class="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm text-slate-700">{why}</p> })}
        {error.map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=AppError::Invalid(e) /></div> })}
        {move || save.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=e /></div> })}
        {move || test.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4" data-testid="form-error"><ErrorNotice error=e /></div> })}
        {move || {
            let saved_now = matches!(save.value().get(), Some(Ok(())));
            (saved_flash || saved_now).then(|| view! { <p data-testid="saved" role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">"Notification settings saved."</p> })
        }}
        {move || {
            let channels = test.value().get().and_then(|r| r.ok()).or(tested_flash.clone());
            channels.map(|c| view! { <p data-testid="tested" role="status" class="mb-4 rounded-md border border-emerald-200 bg-emerald-50 px-4 py-3 text-sm text-emerald-900">{format!("A test message was queued for {c}; how it went shows in the history below within seconds.")}</p> })
        }}
        <div class="grid gap-4 lg:grid-cols-3">
            <Card class="p-5 lg:col-span-2">
                <ActionForm action=save attr:class="space-y-5" attr:aria-label="Notification settings">
                    <label class="block text-sm font-medium text-slate-800">"Email recipients"
                        <textarea name="recipients" rows="2" disabled=disabled placeholder="oncall@example.com, lead@example.com"
                            class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm">{recipients}</textarea>
                        <span class="mt-1 block text-xs font-normal text-slate-600">"Separated by commas or lines; at most 20."</span>
                    </label>
                    <div>
                        <label class="block text-sm font-medium text-slate-800">"Slack incoming webhook URL"
                            <input name="slack_url" type="text" autocomplete="off" disabled=disabled
                                placeholder="https://hooks.slack.com/services/T000/B000/XXXX"
                                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-sm" />
                        </label>
                        <p class="mt-1 text-xs text-slate-600" data-testid="slack-saved">{match v.slack_hint.clone() {
                            Some(h) => format!("Saved: {h}. Paste a new URL to replace it; it is stored encrypted and never shown again."),
                            None => "None saved. Create one in Slack (Apps > Incoming Webhooks) for the channel to post to.".to_string(),
                        }}</p>
                        {v.slack_hint.is_some().then(|| view! {
                            <label class="mt-2 flex items-center gap-2 text-sm text-slate-800">
                                <input type="checkbox" name="remove_slack" value="1" disabled=disabled class=CHECK />"Remove the Slack webhook"
                            </label>
                        })}
                    </div>
                    <fieldset class="text-sm">
                        <legend class="font-medium text-slate-800">"Severities"</legend>
                        <div class="mt-2 flex flex-wrap gap-4">
                            {IssueSeverity::ALL.iter().enumerate().map(|(i, s)| {
                                let checked = severities.iter().any(|x| x == s.as_str());
                                view! { <label class="flex items-center gap-2">
                                    <input type="checkbox" name=format!("severities[{i}]") value=s.as_str() checked=checked disabled=disabled class=CHECK />
                                    <SeverityBadge severity=*s />
                                </label> }
                            }).collect_view()}
                        </div>
                    </fieldset>
                    <fieldset class="text-sm">
                        <legend class="font-medium text-slate-800">"As they happen"</legend>
                        <label class="mt-2 flex items-center gap-2">
                            <input type="checkbox" name="immediate" value="1" checked=immediate disabled=disabled class=CHECK />
                            "Send each change right away (at most one message per issue an hour on each channel)"
                        </label>
                        <div class="mt-2 flex flex-wrap gap-4 pl-6">
                            {IssueChangeKind::ALL.iter().enumerate().map(|(i, c)| {
                                let checked = changes.iter().any(|x| x == c.as_str());
                                view! { <label class="flex items-center gap-2">
                                    <input type="checkbox" name=format!("changes[{i}]") value=c.as_str() checked=checked disabled=disabled class=CHECK />
                                    {c.label()}
                                </label> }
                            }).collect_view()}
                        </div>
                    </fieldset>
                    <fieldset class="text-sm">
                        <legend class="font-medium text-slate-800">"Daily digest"</legend>
                        <div class="mt-2 flex flex-wrap items-center gap-2">
                            <label class="flex items-center gap-2">
                                <input type="checkbox" name="digest" value="1" checked=digest disabled=disabled class=CHECK />
                                "Send a summary every day at"
                            </label>
                            <select name="digest_hour" disabled=disabled aria-label="Digest hour (UTC)" class="rounded-md border border-slate-300 px-2 py-1 text-sm">
                                {(0..24).map(|h| {
                                    let value = h.to_string();
                                    let selected = value == hour;
                                    view! { <option value=value selected=selected>{format!("{h:02}:00")}</option> }
                                }).collect_view()}
                            </select>
                            <span>"UTC: what opened, regressed and resolved in the day, and what is still open."</span>
                        </div>
                    </fieldset>
                    <div class="flex flex-wrap items-center gap-3">
                        <button disabled=disabled data-testid="save-notifications" class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-500 disabled:opacity-50">"Save"</button>
                        {v.saved.clone().map(|(at, by)| view! {
                            <span class="text-xs text-slate-600">{format!("Last saved {}{}", format_time_utc(at), by.map(|b| format!(" by {b}")).unwrap_or_default())}</span>
                        })}
                    </div>
                </ActionForm>
            </Card>
            <Card class="p-5">
                <h2 class="text-sm font-semibold text-slate-900">"Check the destinations"</h2>
                <p class="mt-2 text-sm text-slate-700">"Sends a test message to every saved recipient and the Slack channel now."</p>
                <ActionForm action=test attr:class="mt-3">
                    <button disabled=disabled || !has_destination data-testid="send-test" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50 disabled:opacity-50">"Send a test message"</button>
                </ActionForm>
                {(!has_destination).then(|| view! { <p class="mt-2 text-xs text-slate-600">"Save an email recipient or a Slack webhook URL first."</p> })}
            </Card>
        </div>
        <h2 class="mb-2 mt-8 text-base font-semibold text-slate-900">"Recent messages"</h2>
        <Card>
            {if v.history.is_empty() {
                view! { <p class="p-4 text-sm text-slate-600" data-testid="notification-history-empty">"No messages yet."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Recent messages">
                    <table class="min-w-full text-sm" data-testid="notification-history">
                        <TableHead columns=&["Queued", "Message", "Channel", "Status", "Detail"] />
                        <tbody class="divide-y divide-slate-100">
                            {v.history.clone().into_iter().map(|n| {
                                // `sent` is the good end of a message, as `delivered` is of a webhook.
                                let tone = if n.status == "sent" { Tone::Good.classes() } else { Tone::of_status(&n.status).classes() };
                                let label = status_label(&n.status);
                                let detail = match (&n.error, n.sent_at) {
                                    (Some(e), _) => e.clone(),
                                    (None, Some(at)) => format!("Sent {}", format_time_utc(at)),
                                    (None, None) => String::new(),
                                };
                                view! {
                                    <tr data-testid="notification-row" data-status=n.status.clone() data-channel=n.channel.clone()>
                                        <td class="whitespace-nowrap px-4 py-2 text-slate-700">{format_time_utc(n.at)}</td>
                                        <td class="px-4 py-2">{match n.href.clone() {
                                            Some(h) => view! { <a class="text-indigo-700 underline" href=h>{n.what.clone()}</a> }.into_any(),
                                            None => view! { <span>{n.what.clone()}</span> }.into_any(),
                                        }}</td>
                                        <td class="px-4 py-2">{if n.channel == "slack" { "Slack" } else { "Email" }}</td>
                                        <td class="px-4 py-2"><Badge tone=tone>{label}</Badge></td>
                                        <td class="max-w-md break-words px-4 py-2 text-slate-700">{detail}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any()
            }}
        </Card>
    }
}
