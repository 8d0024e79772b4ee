//! Issues: `/issues` lists the problems Switchboard detected (filters in the URL, keyset pages),
//! `/issues/:id` shows one with why it was opened, its evidence, its timeline and what to do,
//! and lets developers, admins and owners acknowledge, mute and resolve it. Every form is a
//! plain GET or POST, so both pages work before the WebAssembly has loaded.

use super::ui::{
    format_count, format_time_utc, Badge, Card, DetailLoader, ErrorNotice, FilterPanel, Loading, PageHeader,
    Pager, Time, Tone,
};
use crate::domain::issues::{IssueFilters, IssueKind, IssueSeverity, IssueStatus, STATUS_CHOICES};
use crate::domain::PLATFORMS;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

/// Issues per page.
pub const PAGE_SIZE: i64 = 50;

/// An issue as lists show it (the issues list, a connection's page, the Overview).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueItem {
    pub id: String,
    pub kind: IssueKind,
    pub severity: IssueSeverity,
    pub status: IssueStatus,
    pub regressed: bool,
    pub summary: String,
    /// What it is about: a connection's name, `connection · object`, an endpoint's URL, a path.
    pub subject: String,
    pub platform: Option<String>,
    pub first_seen: i64,
    pub last_seen: i64,
    pub occurrences: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuesView {
    pub items: Vec<IssueItem>,
    pub newer: Option<String>,
    pub older: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineItem {
    pub at: i64,
    pub action: String,
    pub actor: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueView {
    pub item: IssueItem,
    pub title: String,
    pub next_step: String,
    pub resolves_when: String,
    /// Where to see the evidence: (label, link).
    pub evidence: Vec<(String, String)>,
    /// The connections it affects: (id, name).
    pub connections: Vec<(String, String)>,
    pub acknowledged: Option<(String, i64)>,
    pub muted: Option<String>,
    pub resolved: Option<(Option<String>, i64)>,
    pub timeline: Vec<TimelineItem>,
    /// Why this viewer may not act on it; `None` when they may.
    pub cannot_act: Option<String>,
}

/// The tone of a severity: critical and error red, warning amber.
pub fn severity_tone(s: IssueSeverity) -> &'static str {
    match s {
        IssueSeverity::Critical | IssueSeverity::Error => Tone::Bad.classes(),
        IssueSeverity::Warning => Tone::Warning.classes(),
    }
}

pub fn status_tone(s: IssueStatus) -> &'static str {
    match s {
        IssueStatus::Open => Tone::Bad.classes(),
        IssueStatus::Acknowledged => Tone::Active.classes(),
        IssueStatus::Muted => Tone::Neutral.classes(),
        IssueStatus::Resolved => Tone::Good.classes(),
    }
}

#[cfg(feature = "ssr")]
mod build {
    use super::*;
    use crate::server::store::issues::IssueRow;
    use crate::server::AppState;
    use std::collections::HashMap;

    /// The display names of the connections the rows name, in one query.
    pub async fn names(
        state: &AppState,
        scope: &crate::server::store::Scope,
        ids: Vec<String>,
    ) -> Result<HashMap<String, String>, AppError> {
        let mut ids = ids;
        ids.sort();
        ids.dedup();
        let rows =
            state.store.connections_by_ids(scope, &ids).await.map_err(crate::server::context::internal)?;
        Ok(rows.into_iter().map(|c| (c.id, c.display_name)).collect())
    }

    pub fn item(r: &IssueRow, names: &HashMap<String, String>) -> IssueItem {
        let connection = r.connection_id.as_ref().map(|c| names.get(c).cloned().unwrap_or_else(|| c.clone()));
        let subject = match (r.kind, &connection) {
            (IssueKind::ObjectFailing, Some(c)) => {
                format!("{c} · {}", r.data_object.clone().unwrap_or_default())
            }
            (IssueKind::ErrorSpike, _) => r.api_path.clone().unwrap_or_default(),
            (IssueKind::EndpointFailing, _) => r.endpoint_id.clone().unwrap_or_default(),
            (_, Some(c)) => c.clone(),
            _ => String::new(),
        };
        IssueItem {
            id: r.id.clone(),
            kind: r.kind,
            severity: r.severity,
            status: r.status,
            regressed: r.regressed,
            summary: r.summary.clone(),
            subject,
            platform: r.platform_id.as_deref().and_then(crate::domain::platform).map(|p| p.name.to_string()),
            first_seen: r.first_seen,
            last_seen: r.last_seen,
            occurrences: r.occurrences,
        }
    }

    /// Where the evidence is: the filtered request log, the sync history, the delivery log.
    pub fn evidence(r: &IssueRow) -> Vec<(String, String)> {
        let from = chrono::DateTime::from_timestamp_millis(r.first_seen - 60_000)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default();
        let enc = crate::url::encode_component;
        let mut out = vec![];
        let conn = r.connection_id.clone().unwrap_or_default();
        match r.kind {
            IssueKind::Credentials => {
                out.push(("The connection's status".into(), format!("/connections/{conn}")));
                out.push((
                    "Its refused requests (401)".into(),
                    format!("/requests?connection={conn}&status=401&from={from}"),
                ));
                out.push(("Its sync history".into(), format!("/connections/{conn}?tab=history")));
            }
            IssueKind::MissingPermission => {
                out.push((
                    "Its refused requests (forbidden)".into(),
                    format!("/requests?connection={conn}&error_code=forbidden&from={from}"),
                ));
            }
            IssueKind::RateLimited => {
                out.push((
                    "Its 429 responses".into(),
                    format!("/requests?connection={conn}&status=429&from={from}"),
                ));
            }
            IssueKind::ObjectFailing => {
                let object = r.data_object.clone().unwrap_or_default();
                out.push((
                    format!("The failed runs of {object}"),
                    format!("/connections/{conn}?tab=history&object={}&status=failed", enc(&object)),
                ));
            }
            IssueKind::SyncOverdue => {
                out.push(("Its sync history".into(), format!("/connections/{conn}?tab=history")));
            }
            IssueKind::EndpointFailing => {
                let ep = r.endpoint_id.clone().unwrap_or_default();
                out.push(("The endpoint".into(), format!("/webhooks/{ep}")));
                out.push((
                    "Its failed deliveries".into(),
                    format!("/webhooks/deliveries?endpoint={ep}&status=retrying"),
                ));
            }
            IssueKind::ConfigBehind => {
                out.push(("The data sync configuration".into(), "/sync-configuration".into()));
                out.push(("The connection".into(), format!("/connections/{conn}")));
            }
            IssueKind::ErrorSpike => {
                let (method, path) =
                    r.api_path.as_deref().and_then(|p| p.split_once(' ')).unwrap_or(("", ""));
                let prefix = path.split("{id}").next().unwrap_or(path);
                out.push((
                    "The failed requests on this path".into(),
                    format!(
                        "/requests?platform={}&method={method}&path={}&status=5xx&from={from}",
                        r.platform_id.clone().unwrap_or_default(),
                        enc(prefix)
                    ),
                ));
            }
        }
        if let Some(e) = &r.evidence_id {
            let link = if e.starts_with("req_") {
                Some(("The latest request".to_string(), format!("/requests/{e}")))
            } else if e.starts_with("run_") {
                Some(("The latest failed run".to_string(), format!("/sync-runs/{e}")))
            } else if e.starts_with("dlv_") {
                Some(("The latest failed delivery".to_string(), format!("/webhooks/deliveries/{e}")))
            } else {
                None
            };
            out.extend(link);
        }
        out
    }

    pub async fn list_view(
        state: &AppState,
        actor: &crate::server::actor::Actor,
        filters: &IssueFilters,
        before: &str,
        after: &str,
        base: &str,
    ) -> Result<IssuesView, AppError> {
        let page =
            crate::server::issues::list(state, actor, filters, Some(before), Some(after), PAGE_SIZE).await?;
        let names =
            names(state, &actor.scope(), page.rows.iter().filter_map(|r| r.connection_id.clone()).collect())
                .await?;
        let q = filters.to_query();
        let sep = if q.is_empty() { String::new() } else { format!("{q}&") };
        Ok(IssuesView {
            items: page.rows.iter().map(|r| item(r, &names)).collect(),
            newer: page.newer.map(|c| format!("{base}?{sep}after={c}")),
            older: page.older.map(|c| format!("{base}?{sep}before={c}")),
        })
    }
}

#[server(input = GetUrl, endpoint = "list_issues")]
pub async fn list_issues(
    #[server(default)] filters: IssueFilters,
    #[server(default)] before: String,
    #[server(default)] after: String,
) -> Result<IssuesView, AppError> {
    use crate::server::actor::Actor;
    let (state, viewer) = crate::server::context::session()?;
    build::list_view(&state, &Actor::Person(viewer), &filters, &before, &after, "/issues").await
}

#[server(input = GetUrl, endpoint = "get_issue")]
pub async fn get_issue(id: String) -> Result<IssueView, AppError> {
    use crate::server::actor::Actor;
    let (state, viewer) = crate::server::context::session()?;
    let actor = Actor::Person(viewer.clone());
    let d = crate::server::issues::get(&state, &actor, &id).await?;
    let r = &d.issue;
    let mut ids = d.connections.clone();
    ids.extend(r.connection_id.clone());
    let names = build::names(&state, &actor.scope(), ids).await?;
    Ok(IssueView {
        item: build::item(r, &names),
        title: r.kind.title().to_string(),
        next_step: r.kind.next_step().to_string(),
        resolves_when: r.kind.resolves_when().to_string(),
        evidence: build::evidence(r),
        connections: d
            .connections
            .iter()
            .map(|c| (c.clone(), names.get(c).cloned().unwrap_or_else(|| c.clone())))
            .collect(),
        acknowledged: r.acknowledged_by.clone().zip(r.acknowledged_at),
        muted: (r.status == IssueStatus::Muted).then(|| {
            let how = match (r.mute_mode, r.muted_until, r.mute_threshold) {
                (Some(crate::domain::issues::MuteMode::Until), Some(t), _) => {
                    format!("until {}", format_time_utc(t))
                }
                (Some(crate::domain::issues::MuteMode::Worse), _, Some(n)) => {
                    format!("until it reaches {} occurrences", format_count(n))
                }
                _ => "for good".to_string(),
            };
            format!(
                "Muted {how} by {}: {}",
                r.muted_by.clone().unwrap_or_default(),
                r.mute_reason.clone().unwrap_or_default()
            )
        }),
        resolved: r.resolved_at.map(|t| (r.resolved_by.clone(), t)),
        timeline: d
            .events
            .iter()
            .map(|e| TimelineItem {
                at: e.at,
                action: e.action.as_str().to_string(),
                actor: e.actor_email.clone(),
                detail: e.detail.clone(),
            })
            .collect(),
        cannot_act: crate::server::issues::may_act(&viewer).err(),
    })
}

/// Acknowledge, mute, unmute, resolve or reopen; without JavaScript the browser comes back to the
/// issue page (with the message when it was refused).
#[server(endpoint = "issue_action")]
pub async fn issue_action(
    id: String,
    action: String,
    #[server(default)] mode: String,
    #[server(default)] hours: String,
    #[server(default)] factor: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::issues::{act, Act};
    let (state, viewer) = crate::server::context::session()?;
    let id = id.trim().to_string();
    let result: Result<(), AppError> = async {
        let a = match action.trim() {
            "acknowledge" => Act::Acknowledge,
            "mute" => Act::Mute(
                crate::domain::issues::MuteRequest::parse(&mode, &hours, &factor, &reason)
                    .map_err(|e| AppError::Invalid(e.0))?,
            ),
            "unmute" => Act::Unmute,
            "resolve" => Act::Resolve,
            "reopen" => Act::Reopen,
            other => {
                return Err(AppError::invalid(format!(
                    "Unknown action \u{201c}{other}\u{201d}: acknowledge, mute, unmute, resolve or reopen."
                )))
            }
        };
        Ok(act(&state, &viewer, &id, a).await?)
    }
    .await;
    if crate::server::context::wants_html() {
        let safe = crate::ids::parse_id(crate::ids::prefix::ISSUE, &id).ok();
        match (&result, safe) {
            (Err(AppError::Unauthorized), _) => {}
            (Err(e), Some(id)) => leptos_axum::redirect(&format!(
                "/issues/{id}?error={}",
                crate::url::encode_component(&e.to_string())
            )),
            (Ok(()), Some(id)) => leptos_axum::redirect(&format!("/issues/{id}")),
            _ => {}
        }
    }
    result
}

/// A severity as a badge.
#[component]
pub fn SeverityBadge(severity: IssueSeverity) -> impl IntoView {
    view! { <Badge tone=severity_tone(severity)>{severity.as_str()}</Badge> }
}

/// A status as a badge, "regressed" beside a reopened one.
#[component]
pub fn IssueStatusBadge(status: IssueStatus, regressed: bool) -> impl IntoView {
    view! {
        <span class="inline-flex flex-wrap gap-1">
            <Badge tone=status_tone(status)>{status.label()}</Badge>
            {(regressed && status != IssueStatus::Resolved).then(|| view! { <Badge tone=Tone::Bad.classes()>"Regressed"</Badge> })}
        </span>
    }
}

/// Rows of issues, as a list of cards that reads on a phone as well as on a desk.
#[component]
pub fn IssueList(items: Vec<IssueItem>, #[prop(optional, into)] testid: Option<String>) -> impl IntoView {
    view! {
        <ul class="divide-y divide-slate-100" data-testid=testid.unwrap_or_else(|| "issue-list".into())>
            {items.into_iter().map(|i| view! {
                <li class="px-4 py-3" data-testid="issue-row" data-kind=i.kind.as_str() data-status=i.status.as_str()>
                    <div class="flex flex-wrap items-center gap-2">
                        <SeverityBadge severity=i.severity />
                        <IssueStatusBadge status=i.status regressed=i.regressed />
                        <a class="font-medium text-indigo-700 hover:underline" href=format!("/issues/{}", i.id)>{i.kind.title()}</a>
                        <span class="text-sm text-slate-700">{i.subject.clone()}</span>
                        {i.platform.clone().map(|p| view! { <span class="text-xs text-slate-600">{p}</span> })}
                    </div>
                    <p class="mt-1 break-words text-sm text-slate-700">{i.summary.clone()}</p>
                    <p class="mt-1 text-xs text-slate-600">
                        {format!("{} occurrence{} · first ", format_count(i.occurrences), if i.occurrences == 1 { "" } else { "s" })}
                        <Time ms=i.first_seen />
                        " · last "
                        <Time ms=i.last_seen />
                    </p>
                </li>
            }).collect_view()}
        </ul>
    }
}

/// The Overview's first card: the environment's unresolved issues, worst first.
#[component]
pub fn OverviewIssues() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_issues(IssueFilters::default(), String::new(), String::new()));
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <div class="mb-6"><ErrorNotice error=e /></div> }.into_any(),
                    Ok(v) => {
                        let more = v.older.is_some();
                        let n = v.items.len();
                        let mut items = v.items;
                        items.sort_by_key(|i| std::cmp::Reverse((i.severity.rank(), i.last_seen)));
                        view! {
                            <Card class="mb-6">
                                <h2 class="flex items-center justify-between border-b border-slate-100 px-5 py-3 text-sm font-semibold text-slate-900">
                                    <span data-testid="overview-issue-count">{if n == 0 { "No open issues".to_string() } else { format!("Open issues ({n}{})", if more { "+" } else { "" }) }}</span>
                                    <a class="font-medium text-indigo-700 hover:underline" href="/issues">"All issues \u{2192}"</a>
                                </h2>
                                {(n > 0).then(|| view! { <IssueList items=items.into_iter().take(5).collect() testid="overview-issues" /> })}
                            </Card>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The unresolved issues of a connection, at the top of its page; nothing when there are none.
#[component]
pub fn OpenIssues(connection: String) -> impl IntoView {
    let c = connection.clone();
    let data = Resource::new(
        move || c.clone(),
        |c| list_issues(IssueFilters { connection: c, ..Default::default() }, String::new(), String::new()),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let connection = connection.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(v) if !v.items.is_empty() => view! {
                            <Card class="mb-4 border-red-200">
                                <h2 class="border-b border-slate-100 px-4 py-2 text-sm font-semibold text-slate-900">
                                    {format!("Open issues ({}{})", v.items.len(), if v.older.is_some() { "+" } else { "" })}
                                </h2>
                                <IssueList items=v.items.into_iter().take(5).collect() testid="connection-issues" />
                                <p class="border-t border-slate-100 px-4 py-2 text-sm">
                                    <a class="font-medium text-indigo-700 hover:underline" href=format!("/issues?connection={connection}&status=all")>"All of this connection's issues \u{2192}"</a>
                                </p>
                            </Card>
                        }.into_any(),
                        _ => ().into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn IssuesPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let g = |k: &str| q.get(k).unwrap_or_default();
            (
                IssueFilters {
                    status: g("status"),
                    kind: g("kind"),
                    severity: g("severity"),
                    platform: g("platform"),
                    connection: g("connection"),
                },
                g("before"),
                g("after"),
            )
        })
    };
    let data = Resource::new(args, |(f, b, a)| list_issues(f, b, a));
    let f = args().0;
    let select =
        |name: &'static str, label: &'static str, current: String, choices: Vec<(String, String)>| {
            view! {
                <label class="flex flex-col text-slate-700">{label}
                    <select name=name class="mt-1 rounded-md border border-slate-300 px-2 py-1.5">
                        {choices.into_iter().map(|(v, l)| {
                            let selected = v == current;
                            view! { <option value=v selected=selected>{l}</option> }
                        }).collect_view()}
                    </select>
                </label>
            }
        };
    let any = |label: &str| (String::new(), label.to_string());
    let statuses: Vec<(String, String)> = STATUS_CHOICES
        .iter()
        .map(|(v, l)| (if *v == "unresolved" { String::new() } else { v.to_string() }, l.to_string()))
        .collect();
    let kinds: Vec<(String, String)> = std::iter::once(any("All kinds"))
        .chain(IssueKind::ALL.iter().map(|k| (k.as_str().to_string(), k.title().to_string())))
        .collect();
    let severities: Vec<(String, String)> = std::iter::once(any("All severities"))
        .chain(IssueSeverity::ALL.iter().map(|s| (s.as_str().to_string(), s.as_str().to_string())))
        .collect();
    let platforms: Vec<(String, String)> = std::iter::once(any("All platforms"))
        .chain(PLATFORMS.iter().map(|p| (p.id.to_string(), p.name.to_string())))
        .collect();
    let status_now = if f.status == "unresolved" { String::new() } else { f.status.clone() };
    let active = [&status_now, &f.kind, &f.severity, &f.platform, &f.connection]
        .iter()
        .filter(|v| !v.is_empty())
        .count();
    view! {
        <PageHeader title="Issues" subtitle="Problems Switchboard detected as data arrived: one per problem and connection, endpoint or API path. They resolve by themselves when the cause clears." />
        <FilterPanel active=active>
            <form method="get" action="/issues" class="flex flex-wrap items-end gap-4 text-sm" aria-label="Filter issues">
                {select("status", "Status", status_now, statuses)}
                {select("kind", "Kind", f.kind.clone(), kinds)}
                {select("severity", "Severity", f.severity.clone(), severities)}
                {select("platform", "Platform", f.platform.clone(), platforms)}
                <label class="flex flex-col text-slate-700">"Connection ID"
                    <input name="connection" value=f.connection.clone() placeholder="conn_…" class="mt-1 w-64 max-w-full rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs" />
                </label>
                <button class="rounded-md bg-indigo-600 px-4 py-1.5 font-semibold text-white hover:bg-indigo-500">"Filter"</button>
                <a href="/issues" class="py-1.5 text-indigo-700 underline">"Clear"</a>
            </form>
        </FilterPanel>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    Ok(v) if v.items.is_empty() => view! {
                        <Card class="p-6"><p class="text-sm text-slate-700" data-testid="issues-empty">"No issues match these filters."</p></Card>
                    }.into_any(),
                    Ok(v) => view! {
                        <Card>
                            <IssueList items=v.items.clone() />
                            <Pager newer=v.newer.clone() older=v.older.clone() />
                        </Card>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn IssuePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let action = ServerAction::<IssueAction>::new();
    let data = Resource::new(
        move || (params.with(|p| p.get("id").unwrap_or_default()), action.version().get()),
        |(id, _)| get_issue(id),
    );
    let error = move || query.with(|q| q.get("error")).filter(|e| !e.is_empty());
    view! {
        <DetailLoader resource=data title="Issue" render=move |v| view! { <IssueBody v action error=error() /> } />
    }
}

const BUTTON: &str = "rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-800 hover:bg-slate-50";

#[component]
fn IssueBody(v: IssueView, action: ServerAction<IssueAction>, error: Option<String>) -> impl IntoView {
    let i = v.item.clone();
    let id = i.id.clone();
    let unresolved = i.status != IssueStatus::Resolved;
    let form = move |name: &'static str, label: &'static str, testid: &'static str| {
        let id = id.clone();
        view! {
            <ActionForm action=action>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="action" value=name />
                <button class=BUTTON data-testid=testid>{label}</button>
            </ActionForm>
        }
    };
    let mute_id = i.id.clone();
    view! {
        <PageHeader title=v.title.clone() subtitle=i.subject.clone()>
            <div class="flex flex-wrap items-center gap-2" data-testid="issue-badges">
                <SeverityBadge severity=i.severity />
                <span data-testid="issue-status"><IssueStatusBadge status=i.status regressed=i.regressed /></span>
            </div>
        </PageHeader>
        {error.map(|e| view! { <div class="mb-4"><ErrorNotice error=AppError::Invalid(e) /></div> })}
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <div class="mb-4"><ErrorNotice error=e /></div> })}
        <div class="grid gap-4 lg:grid-cols-3">
            <div class="space-y-4 lg:col-span-2">
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">"What happened"</h2>
                    <p class="mt-2 break-words text-sm text-slate-800" data-testid="issue-summary">{i.summary.clone()}</p>
                    <h2 class="mt-4 text-sm font-semibold text-slate-900">"What to do"</h2>
                    <p class="mt-2 text-sm text-slate-800" data-testid="issue-next-step">{v.next_step.clone()}</p>
                    <p class="mt-2 text-sm text-slate-600" data-testid="issue-resolves-when">{v.resolves_when.clone()}</p>
                    {v.muted.clone().map(|m| view! { <p class="mt-3 rounded-md bg-slate-100 p-2 text-sm text-slate-800" data-testid="issue-muted">{m}</p> })}
                </Card>
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">"Evidence"</h2>
                    <ul class="mt-2 space-y-1 text-sm" data-testid="issue-evidence">
                        {v.evidence.iter().map(|(label, href)| view! {
                            <li><a class="text-indigo-700 underline" href=href.clone()>{label.clone()}</a></li>
                        }).collect_view()}
                    </ul>
                </Card>
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">"Timeline"</h2>
                    <ol class="mt-2 space-y-2 text-sm" data-testid="issue-timeline">
                        {v.timeline.iter().map(|t| view! {
                            <li class="border-l-2 border-slate-200 pl-3">
                                <p><span class="font-medium">{crate::features::ui::status_label(&t.action)}</span>
                                   " · " <span class="text-xs text-slate-600">{format_time_utc(t.at)}</span>
                                   {t.actor.clone().map(|a| view! { <span class="text-xs text-slate-600">{format!(" · {a}")}</span> })}</p>
                                {(!t.detail.is_empty()).then(|| view! { <p class="break-words text-slate-700">{t.detail.clone()}</p> })}
                            </li>
                        }).collect_view()}
                    </ol>
                </Card>
            </div>
            <div class="space-y-4">
                <Card class="p-5">
                    <dl class="grid grid-cols-2 gap-3 text-sm">
                        <div><dt class="text-slate-600">"Occurrences"</dt><dd data-testid="issue-occurrences">{format_count(i.occurrences)}</dd></div>
                        <div><dt class="text-slate-600">"Platform"</dt><dd>{i.platform.clone().unwrap_or_else(|| "—".into())}</dd></div>
                        <div><dt class="text-slate-600">"First seen"</dt><dd>{format_time_utc(i.first_seen)}</dd></div>
                        <div><dt class="text-slate-600">"Last seen"</dt><dd>{format_time_utc(i.last_seen)}</dd></div>
                        {v.acknowledged.clone().map(|(who, at)| view! {
                            <div class="col-span-2"><dt class="text-slate-600">"Acknowledged"</dt><dd data-testid="issue-acknowledged">{format!("by {who}, {}", format_time_utc(at))}</dd></div>
                        })}
                        {v.resolved.clone().map(|(who, at)| view! {
                            <div class="col-span-2"><dt class="text-slate-600">"Resolved"</dt><dd>{format!("{}, {}", who.map(|w| format!("by {w}")).unwrap_or_else(|| "by itself".into()), format_time_utc(at))}</dd></div>
                        })}
                    </dl>
                    {(!v.connections.is_empty()).then(|| view! {
                        <h2 class="mt-4 text-sm font-semibold text-slate-900">{format!("Affected connections ({})", v.connections.len())}</h2>
                        <ul class="mt-1 space-y-1 text-sm" data-testid="issue-connections">
                            {v.connections.iter().map(|(id, name)| view! { <li><a class="text-indigo-700 underline" href=format!("/connections/{id}")>{name.clone()}</a></li> }).collect_view()}
                        </ul>
                    })}
                </Card>
                <Card class="p-5">
                    <h2 class="text-sm font-semibold text-slate-900">"Actions"</h2>
                    {match v.cannot_act.clone() {
                        Some(why) => view! { <p class="mt-2 text-sm text-slate-700" data-testid="issue-cannot-act">{why}</p> }.into_any(),
                        None => view! {
                            <div class="mt-3 flex flex-wrap gap-2">
                                {(i.status == IssueStatus::Open).then(|| form("acknowledge", "Acknowledge", "issue-acknowledge"))}
                                {(i.status == IssueStatus::Muted).then(|| form("unmute", "Unmute", "issue-unmute"))}
                                {unresolved.then(|| form("resolve", "Resolve", "issue-resolve"))}
                                {(!unresolved).then(|| form("reopen", "Reopen", "issue-reopen"))}
                            </div>
                            {unresolved.then(|| view! {
                                <ActionForm action=action attr:class="mt-4 space-y-2 border-t border-slate-100 pt-4 text-sm" attr:aria-label="Mute this issue">
                                    <input type="hidden" name="id" value=mute_id.clone() />
                                    <input type="hidden" name="action" value="mute" />
                                    <label class="flex flex-col text-slate-700">"Mute"
                                        <select name="mode" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" data-testid="mute-mode">
                                            <option value="until">"For a number of hours"</option>
                                            <option value="worse">"Until it gets worse"</option>
                                            <option value="forever">"For good"</option>
                                        </select>
                                    </label>
                                    <div class="flex gap-2">
                                        <label class="flex flex-1 flex-col text-slate-700">"Hours"
                                            <input name="hours" type="number" min="1" max="720" value="24" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" />
                                        </label>
                                        <label class="flex flex-1 flex-col text-slate-700">"Times worse"
                                            <input name="factor" type="number" min="2" max="100" value="10" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" />
                                        </label>
                                    </div>
                                    <label class="flex flex-col text-slate-700">"Reason"
                                        <input name="reason" maxlength="500" placeholder="Why nobody needs to hear about it" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" data-testid="mute-reason" />
                                    </label>
                                    <button class=BUTTON data-testid="issue-mute">"Mute"</button>
                                </ActionForm>
                            })}
                        }.into_any(),
                    }}
                </Card>
            </div>
        </div>
    }
}
