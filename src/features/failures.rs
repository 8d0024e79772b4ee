//! Errors: `/errors` groups the failed requests of a range (24 hours, 7 or 30 days, in the URL)
//! by error code, platform, method and path template, with each group's share of its
//! endpoint's requests, first and last seen, its trend and the change from the period before;
//! sortable by count, recency and change; each group links to the request log filtered to it.
//! Links only, so it works before the WebAssembly has loaded. The code reference is at
//! `/errors/codes`.

use super::ui::{format_count, format_time_utc, Badge, Card, DetailLoader, PageHeader, Time, Tone};
use crate::domain::failures::{FailureRange, FailureSort};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureItem {
    /// The normalized code, or `HTTP 502` for failures without one.
    pub label: String,
    pub title: String,
    pub has_code: bool,
    pub endpoint: String,
    pub platform: String,
    pub count: i64,
    /// Of the endpoint's requests in the range, e.g. `12.5%`.
    pub share: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub trend: Vec<i64>,
    pub previous: i64,
    /// What `previous` counts: "in the 24 hours before", "in the same hours a week earlier".
    pub previous_label: String,
    pub change: String,
    /// The request log filtered to this group and range.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailuresView {
    pub range: FailureRange,
    pub sort: FailureSort,
    pub from: i64,
    pub to: i64,
    pub failed: i64,
    pub requests: i64,
    /// The first [`SHOWN`] groups in the chosen order.
    pub items: Vec<FailureItem>,
    /// All groups in the range.
    pub groups: usize,
}

/// Groups a page shows: the largest, newest or most changed ones, as chosen.
pub const SHOWN: usize = 50;

#[cfg(feature = "ssr")]
fn item(g: &crate::server::failures::FailureGroup, range: FailureRange, from: i64, to: i64) -> FailureItem {
    use crate::domain::failures::describe_change;
    use crate::domain::request_filter::format_url_time;
    use crate::url::encode_component as enc;
    let (label, title) = if g.error_code.is_empty() {
        let status = g.statuses.first().copied().unwrap_or(0);
        (format!("HTTP {status}"), "Failed without an error code".to_string())
    } else {
        let title = crate::domain::error_code(&g.error_code).map(|e| e.title.to_string()).unwrap_or_default();
        (g.error_code.clone(), title)
    };
    let platform = if g.platform_id.is_empty() {
        "No platform".to_string()
    } else {
        crate::domain::platform(&g.platform_id)
            .map(|p| p.name.to_string())
            .unwrap_or_else(|| g.platform_id.clone())
    };
    // The request log filters paths by prefix: up to the first id of the template.
    let prefix = g.path_template.split("{id}").next().unwrap_or(&g.path_template);
    let mut q = vec![];
    if g.error_code.is_empty() {
        if let [status] = g.statuses.as_slice() {
            q.push(format!("status={status}"));
        }
    } else {
        q.push(format!("error_code={}", enc(&g.error_code)));
    }
    if !g.platform_id.is_empty() {
        q.push(format!("platform={}", enc(&g.platform_id)));
    }
    q.push(format!("method={}", enc(&g.method)));
    q.push(format!("path={}", enc(prefix)));
    // `to` is inclusive in the request log, and to the minute it covers the whole minute.
    q.push(format!("from={}", enc(&format_url_time(from))));
    q.push(format!("to={}", enc(&format_url_time(to - 60_000))));
    let share = if g.endpoint_requests > 0 {
        let pct = g.count as f64 * 100.0 / g.endpoint_requests as f64;
        if pct >= 10.0 {
            format!("{pct:.0}%")
        } else {
            format!("{pct:.1}%")
        }
    } else {
        "100%".to_string()
    };
    FailureItem {
        label,
        title,
        has_code: !g.error_code.is_empty(),
        endpoint: format!("{} {}", g.method, g.path_template),
        platform,
        count: g.count,
        share,
        first_seen: g.first_seen,
        last_seen: g.last_seen,
        trend: g.trend.clone(),
        previous: g.previous,
        previous_label: range.previous_label().to_string(),
        change: describe_change(g.previous, g.count),
        link: format!("/requests?{}", q.join("&")),
    }
}

#[server(input = GetUrl, endpoint = "list_failures")]
pub async fn list_failures(
    #[server(default)] range: String,
    #[server(default)] sort: String,
) -> Result<FailuresView, AppError> {
    use crate::server::actor::Actor;
    let (state, viewer) = crate::server::context::session()?;
    let range = FailureRange::parse(&range).map_err(|e| AppError::Invalid(e.0))?;
    let sort = FailureSort::parse(&sort).map_err(|e| AppError::Invalid(e.0))?;
    let r = crate::server::failures::report(&state, &Actor::Person(viewer), range, sort).await?;
    Ok(FailuresView {
        range: r.range,
        sort: r.sort,
        from: r.from,
        to: r.to,
        failed: r.failed,
        requests: r.requests,
        items: r.groups.iter().take(SHOWN).map(|g| item(g, r.range, r.from, r.to)).collect(),
        groups: r.groups.len(),
    })
}

#[component]
pub fn FailuresPage() -> impl IntoView {
    let query = use_query_map();
    let args =
        move || query.with(|q| (q.get("range").unwrap_or_default(), q.get("sort").unwrap_or_default()));
    let data = Resource::new(args, |(range, sort)| list_failures(range, sort));
    view! {
        <DetailLoader resource=data title="Errors" render=move |v: FailuresView| view! { <Failures v /> } />
    }
}

const CHOICE: &str = "rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white aria-[current=page]:ring-indigo-600";

#[component]
fn Failures(v: FailuresView) -> impl IntoView {
    let href = |range: FailureRange, sort: FailureSort| {
        format!("/errors?range={}&sort={}", range.as_str(), sort.as_str())
    };
    let ranges = FailureRange::ALL
        .iter()
        .map(|r| {
            let current = (*r == v.range).then_some("page");
            view! { <a href=href(*r, v.sort) class=CHOICE aria-current=current>{r.label()}</a> }
        })
        .collect_view();
    let sorts = FailureSort::ALL
        .iter()
        .map(|s| {
            let current = (*s == v.sort).then_some("page");
            view! { <a href=href(v.range, *s) class=CHOICE aria-current=current>{s.label()}</a> }
        })
        .collect_view();
    let pct = if v.requests > 0 {
        format!(" ({:.1}%)", v.failed as f64 * 100.0 / v.requests as f64)
    } else {
        String::new()
    };
    let summary = format!(
        "{} failed of {} requests{pct}, {} to {}.",
        format_count(v.failed),
        format_count(v.requests),
        format_time_utc(v.from),
        format_time_utc(v.to),
    );
    let empty = v.items.is_empty();
    let shown = (v.groups > v.items.len()).then(|| {
        format!(
            "Showing {} of {} groups, by {}.",
            v.items.len(),
            format_count(v.groups as i64),
            v.sort.label().to_lowercase()
        )
    });
    let range_label = v.range.label().to_lowercase();
    view! {
        <PageHeader title="Errors" subtitle="Failed requests grouped by error code and endpoint, counted per hour as they arrive: every failure in the range, however many requests there are.">
            <a href="/errors/codes" class="text-sm font-medium text-indigo-700 underline">"Error code reference"</a>
        </PageHeader>
        <div class="mb-4 flex flex-wrap items-center gap-x-6 gap-y-3">
            <nav aria-label="Range" class="flex flex-wrap gap-2">{ranges}</nav>
            <nav aria-label="Sort by" class="flex flex-wrap items-center gap-2"><span class="text-sm text-slate-600">"Sort by"</span>{sorts}</nav>
        </div>
        <p class="mb-4 text-sm text-slate-700" data-testid="failures-summary">{summary}" "{shown}</p>
        <Card>
            {if empty {
                view! { <p class="px-5 py-8 text-center text-sm text-slate-600" data-testid="failures-empty">{format!("No failed requests in the {range_label}.")}</p> }.into_any()
            } else {
                view! {
                    <ul class="divide-y divide-slate-100" data-testid="failures">
                        {v.items.into_iter().map(|i| view! { <FailureRow i /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </Card>
    }
}

#[component]
fn FailureRow(i: FailureItem) -> impl IntoView {
    let tone = if i.has_code { Tone::Bad.classes() } else { Tone::Warning.classes() };
    let change_tone =
        if i.change == "new" || i.change.starts_with('+') { "text-red-700" } else { "text-slate-600" };
    let previous = format!("{} {}", format_count(i.previous), i.previous_label);
    let link_label = format!("{} failed requests: {} on {}", format_count(i.count), i.label, i.endpoint);
    let trend_label = format!("Trend of {} on {}", i.label, i.endpoint);
    let (code, label, title) = (i.label.clone(), i.label.clone(), i.title.clone());
    view! {
        <li class="px-5 py-4" data-testid="failure-row" data-code=code data-count=i.count.to_string()>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div class="min-w-0">
                    <div class="flex flex-wrap items-center gap-2">
                        <Badge tone=tone>{label}</Badge>
                        <span class="text-sm font-medium text-slate-900">{title}</span>
                    </div>
                    <p class="mt-1 break-all font-mono text-sm text-slate-800">{i.endpoint.clone()}</p>
                    <p class="text-sm text-slate-600">{i.platform.clone()}</p>
                </div>
                <div class="sm:text-right">
                    <a href=i.link.clone() class="text-lg font-semibold text-indigo-700 underline" data-testid="failure-link"
                        aria-label=link_label>
                        {format_count(i.count)}
                    </a>
                    <p class="text-xs text-slate-600">{format!("{} of this endpoint's requests", i.share)}</p>
                </div>
            </div>
            <div class="mt-2 flex flex-wrap items-center gap-x-6 gap-y-1 text-xs text-slate-600">
                <span class=change_tone title=previous.clone() data-testid="failure-change">{format!("Change: {}", i.change)}</span>
                <span>"First seen "<Time ms=i.first_seen /></span>
                <span>"Last seen "<Time ms=i.last_seen /></span>
                <Sparkline points=i.trend.clone() label=trend_label />
            </div>
        </li>
    }
}

/// A small line of counts, oldest first, with the figures in its accessible name.
#[component]
fn Sparkline(points: Vec<i64>, label: String) -> impl IntoView {
    const W: f64 = 120.0;
    const H: f64 = 24.0;
    let max = points.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if points.len() > 1 { W / (points.len() - 1) as f64 } else { W };
    let line = points
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:.1},{:.1}", i as f64 * step, H - 2.0 - (*n as f64 / max) * (H - 4.0)))
        .collect::<Vec<_>>()
        .join(" ");
    let figures = points.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ");
    view! {
        <svg role="img" width="120" height="24" viewBox="0 0 120 24" class="text-red-600" data-testid="failure-trend">
            <title>{format!("{label}: {figures}")}</title>
            <polyline points=line fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
    }
}
