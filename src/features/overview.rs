//! Overview: the health of one environment at a glance, over the last 24 hours, 7 or 30 days
//! (`?range=`, with `?environment=` in every link so a copied link opens the same view). Open
//! issues first; then headline figures and charts of requests by status class, error rates,
//! latency, sync runs and webhook deliveries, all read from the hourly rollups; then
//! connections by status. Each bar and point links to the list it counts, filtered to its
//! bin. Links only, so it all works before the WebAssembly has loaded.

use super::charts::{self, Chart, ChartKind, Series};
use super::ui::{format_count, format_time_utc, status_tone, Badge, Card, DetailLoader, PageHeader};
use crate::domain::failures::FailureRange;
use crate::domain::overview::{OverviewReport, DELIVERY_STATUSES};
use crate::domain::request_filter::format_url_time;
use crate::domain::sync_runs::RUN_STATUSES;
use crate::domain::ConnectionStatus;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::hooks::use_query_map;

#[server(input = GetUrl, endpoint = "get_overview")]
pub async fn get_overview(
    #[server(default)] range: String,
    #[server(default)] environment: String,
) -> Result<OverviewReport, AppError> {
    use crate::server::context::session;
    let (state, viewer) = session()?;
    let range = FailureRange::parse(&range).map_err(|e| AppError::Invalid(e.0))?;
    // A known environment in the URL has already switched the session (`auth::load_viewer`);
    // anything else is named rather than silently ignored.
    let wanted = environment.trim();
    if !wanted.is_empty() && wanted != viewer.environment.as_str() {
        return Err(AppError::Invalid(format!(
            "Unknown environment \u{201c}{}\u{201d}: choose production or sandbox.",
            wanted.chars().take(40).collect::<String>()
        )));
    }
    let name = viewer.organization_name.clone();
    Ok(crate::server::overview::report(&state, &crate::server::actor::Actor::Person(viewer), &name, range)
        .await?)
}

#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| (q.get("range").unwrap_or_default(), q.get("environment").unwrap_or_default()))
    };
    let data = Resource::new(args, |(range, environment)| get_overview(range, environment));
    view! {
        <DetailLoader resource=data title="Overview" render=move |o: OverviewReport| view! { <OverviewBody o /> } />
    }
}

#[component]
fn Stat(
    #[prop(into)] label: String,
    #[prop(into)] value: String,
    #[prop(into)] hint: String,
    #[prop(into)] testid: String,
    #[prop(optional)] alert: bool,
) -> impl IntoView {
    view! {
        <Card class="p-5">
            <p class="text-sm font-medium text-slate-500">{label}</p>
            <p data-testid=testid class=if alert { "mt-2 text-3xl font-semibold text-red-600" } else { "mt-2 text-3xl font-semibold text-slate-900" }>{value}</p>
            <p class="mt-1 text-xs text-slate-500">{hint}</p>
        </Card>
    }
}

const CHOICE: &str = "rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 ring-inset ring-slate-300 hover:bg-slate-50 aria-[current=page]:bg-indigo-600 aria-[current=page]:text-white aria-[current=page]:ring-indigo-600";

/// Colours of the series, by what they count.
fn color(what: &str) -> &'static str {
    match what {
        "1xx" | "3xx" | "cancelled" | "not_supported" => "#94a3b8",
        "2xx" | "succeeded" | "delivered" => "#059669",
        "4xx" | "partial" | "retrying" => "#d97706",
        "5xx" | "failed" => "#dc2626",
        "queued" | "pending" => "#7dd3fc",
        "running" => "#0284c7",
        "p50" => "#0ea5e9",
        "p95" => "#4338ca",
        _ => "#64748b",
    }
}

fn status_label(s: &str) -> String {
    let s = s.replace('_', " ");
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// What the page needs to name and link its bins.
struct Bins<'a> {
    o: &'a OverviewReport,
}

impl Bins<'_> {
    /// Each bin's name: its start, and its end when it is wider than an hour.
    fn names(&self) -> Vec<String> {
        (0..self.o.bins())
            .map(|i| {
                let (a, b) = (self.o.bin_start(i), self.o.bin_end(i));
                let f = |ms: i64, fmt: &str| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .map(|t| t.format(fmt).to_string())
                        .unwrap_or_default()
                };
                match self.o.range {
                    FailureRange::Day => format!("{} {}–{}", f(a, "%b %-d"), f(a, "%H:%M"), f(b, "%H:%M")),
                    FailureRange::Week => format!("{} {}–{}", f(a, "%b %-d"), f(a, "%H:%M"), f(b, "%H:%M")),
                    // Today's bin, not over yet, says until when it counts.
                    FailureRange::Month if b - a < self.o.bin_ms => {
                        format!("{} (to {})", f(a, "%b %-d"), f(b, "%H:%M"))
                    }
                    FailureRange::Month => f(a, "%b %-d"),
                }
            })
            .collect()
    }

    /// About six labels under the time axis.
    fn ticks(&self) -> Vec<(usize, String)> {
        let n = self.o.bins();
        let every = match self.o.range {
            FailureRange::Day => 4,
            FailureRange::Week => 4,
            FailureRange::Month => 5,
        };
        (0..n)
            .filter(|i| (n - 1 - i).is_multiple_of(every))
            .map(|i| {
                let fmt = if self.o.range == FailureRange::Day { "%H:%M" } else { "%b %-d" };
                let label = chrono::DateTime::from_timestamp_millis(self.o.bin_start(i))
                    .map(|t| t.format(fmt).to_string())
                    .unwrap_or_default();
                (i, label)
            })
            .collect()
    }

    fn x_label(&self) -> &'static str {
        match self.o.range {
            FailureRange::Day => "Hour starting (UTC)",
            FailureRange::Week => "Six hours starting (UTC)",
            FailureRange::Month => "Day (UTC)",
        }
    }

    fn per(&self) -> &'static str {
        match self.o.range {
            FailureRange::Day => "per hour",
            FailureRange::Week => "per 6 hours",
            FailureRange::Month => "per day",
        }
    }

    /// A list filtered to bin `i` and the environment: `from` its first minute, `to` its last
    /// (an inclusive end to the minute covers the whole minute).
    fn link(&self, path: &str, filters: &str, i: usize) -> String {
        let a = self.o.bin_start(i);
        let sep = if filters.is_empty() { "" } else { "&" };
        format!(
            "{path}?{filters}{sep}from={}&to={}&environment={}",
            format_url_time(a),
            format_url_time(self.o.bin_end(i) - 60_000),
            self.o.environment
        )
    }
}

/// The chart, its legend with totals, and its data table with the same links.
#[component]
fn ChartCard(chart: Chart, #[prop(optional)] totals_are_sums: bool) -> impl IntoView {
    let markup = charts::svg(&chart);
    let legend = chart
        .series
        .iter()
        .map(|s| {
            let total = totals_are_sums.then(|| format!(" {}", charts::format_value(s.total(), chart.unit)));
            view! {
                <li class="inline-flex items-center gap-1.5">
                    // A presentation attribute, not a style: the CSP allows no inline styles.
                    <svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" rx="2" fill=s.color /></svg>
                    {s.label.clone()}
                    <span class="tabular-nums text-slate-500">{total}</span>
                </li>
            }
        })
        .collect_view();
    let head = chart
        .series
        .iter()
        .map(|s| view! { <th scope="col" class="px-2 py-1 text-right font-medium">{s.label.clone()}</th> })
        .collect_view();
    let rows = chart
        .bins
        .iter()
        .enumerate()
        .map(|(i, bin)| {
            let cells = chart
                .series
                .iter()
                .map(|s| {
                    let cell = match s.values.get(i).copied().flatten() {
                        Some(v) => view! { <a class="text-indigo-700 underline" href=s.links.get(i).cloned().unwrap_or_default()>{charts::format_value(v, chart.unit)}</a> }.into_any(),
                        None => view! { <span class="text-slate-400">"—"</span> }.into_any(),
                    };
                    view! { <td class="px-2 py-1 text-right tabular-nums">{cell}</td> }
                })
                .collect_view();
            view! { <tr class="border-t border-slate-100"><th scope="row" class="whitespace-nowrap px-2 py-1 text-left font-normal">{bin.clone()}</th>{cells}</tr> }
        })
        .collect_view();
    let (id, title, unit_note) = (chart.id.clone(), chart.title.clone(), chart.y_label.clone());
    view! {
        <Card class="p-4">
            <section aria-labelledby=format!("{id}-heading") data-testid=format!("chart-card-{id}")>
                <h2 id=format!("{id}-heading") class="text-sm font-semibold text-slate-900">{title}</h2>
                <ul class="mt-1 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-700">{legend}</ul>
                <div class="mt-2" inner_html=markup></div>
                <details class="mt-1 text-xs">
                    <summary class="cursor-pointer text-slate-600">"Data table"</summary>
                    <div class="mt-2 max-h-72 overflow-auto">
                        <table class="w-full text-xs" data-testid=format!("chart-table-{id}")>
                            <caption class="sr-only">{unit_note}</caption>
                            <thead class="text-slate-500"><tr><th scope="col" class="px-2 py-1 text-left font-medium">"Time (UTC)"</th>{head}</tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                </details>
            </section>
        </Card>
    }
}

fn request_chart(o: &OverviewReport, b: &Bins) -> Chart {
    let classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    let series = classes
        .iter()
        .enumerate()
        .filter(|(c, _)| matches!(c, 1 | 3 | 4) || o.requests.iter().any(|bin| bin[*c] > 0))
        .map(|(c, label)| Series {
            label: label.to_string(),
            color: color(label),
            values: o.requests.iter().map(|bin| Some(bin[c] as f64)).collect(),
            links: (0..o.bins()).map(|i| b.link("/requests", &format!("status={label}"), i)).collect(),
        })
        .collect();
    Chart {
        id: "requests".into(),
        title: "Requests by status class".into(),
        y_label: format!("Requests {}", b.per()),
        x_label: b.x_label().into(),
        unit: "",
        kind: ChartKind::Bars,
        bins: b.names(),
        ticks: b.ticks(),
        series,
        summary: format!(
            "Stacked bars {}: {} requests, {} answered 4xx, {} answered 5xx.",
            b.per(),
            format_count(o.requests_total()),
            format_count(o.requests.iter().map(|x| x[3]).sum()),
            format_count(o.requests.iter().map(|x| x[4]).sum())
        ),
    }
}

fn error_rate_chart(o: &OverviewReport, b: &Bins) -> Chart {
    let rate = |class: usize| -> Vec<Option<f64>> {
        o.requests
            .iter()
            .map(|bin| {
                let total: i64 = bin.iter().sum();
                (total > 0).then(|| bin[class] as f64 * 100.0 / total as f64)
            })
            .collect()
    };
    let series = [(3usize, "4xx"), (4, "5xx")]
        .iter()
        .map(|(c, label)| Series {
            label: format!("{label} rate"),
            color: color(label),
            values: rate(*c),
            links: (0..o.bins()).map(|i| b.link("/requests", &format!("status={label}"), i)).collect(),
        })
        .collect();
    Chart {
        id: "error-rate".into(),
        title: "Error rate".into(),
        y_label: "Share of requests (%)".into(),
        x_label: b.x_label().into(),
        unit: "%",
        kind: ChartKind::Lines,
        bins: b.names(),
        ticks: b.ticks(),
        series,
        summary: format!(
            "Lines {} of the share of requests answered 4xx and 5xx; {} over the whole range.",
            b.per(),
            o.error_rate_percent().map(|r| format!("{r:.1}% failed")).unwrap_or_else(|| "no requests".into())
        ),
    }
}

fn latency_chart(o: &OverviewReport, b: &Bins) -> Chart {
    let series = [("p50", "p50 (median)", &o.p50), ("p95", "p95", &o.p95)]
        .iter()
        .map(|(key, label, values)| Series {
            label: label.to_string(),
            color: color(key),
            values: values.iter().map(|v| v.map(|v| v as f64)).collect(),
            links: (0..o.bins()).map(|i| b.link("/requests", "", i)).collect(),
        })
        .collect();
    Chart {
        id: "latency".into(),
        title: "Latency".into(),
        y_label: "Milliseconds".into(),
        x_label: b.x_label().into(),
        unit: "ms",
        kind: ChartKind::Lines,
        bins: b.names(),
        ticks: b.ticks(),
        series,
        summary: format!("Lines {} of the median and 95th percentile latency, within 5%.", b.per()),
    }
}

/// Bars of counts by status, one series per status that occurs (the common outcomes always).
fn status_chart(
    b: &Bins,
    (id, title, noun): (&str, &str, &str),
    statuses: &[&str],
    always: &[&str],
    counts: &[Vec<i64>],
    path: &str,
) -> Chart {
    let series: Vec<Series> = statuses
        .iter()
        .enumerate()
        .filter(|(s, status)| always.contains(status) || counts.iter().any(|bin| bin[*s] > 0))
        .map(|(s, status)| Series {
            label: status_label(status),
            color: color(status),
            values: counts.iter().map(|bin| Some(bin[s] as f64)).collect(),
            links: (0..counts.len()).map(|i| b.link(path, &format!("status={status}"), i)).collect(),
        })
        .collect();
    let totals = series
        .iter()
        .map(|s| format!("{} {}", format_count(s.total() as i64), s.label.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ");
    Chart {
        id: id.into(),
        title: title.into(),
        y_label: format!("{} {}", status_label(noun), b.per()),
        x_label: b.x_label().into(),
        unit: "",
        kind: ChartKind::Bars,
        bins: b.names(),
        ticks: b.ticks(),
        series,
        summary: format!("Stacked bars {} of {noun} by their status now: {totals}.", b.per()),
    }
}

#[component]
fn OverviewBody(o: OverviewReport) -> impl IntoView {
    let b = Bins { o: &o };
    let env_label = if o.environment == "production" { "Production" } else { "Sandbox" };
    let range_label = o.range.label().to_lowercase();
    let rate = o.error_rate_percent();
    let total_connections: i64 = o.connections_by_status.iter().map(|(_, n)| n).sum();
    let failed_runs = o.runs_with("failed");
    let success = o.delivery_success_percent();
    let ranges = FailureRange::ALL
        .iter()
        .map(|r| {
            let current = (*r == o.range).then_some("page");
            let href = format!("/?range={}&environment={}", r.as_str(), o.environment);
            view! { <a href=href class=CHOICE aria-current=current>{r.label()}</a> }
        })
        .collect_view();
    let charts = vec![
        (request_chart(&o, &b), true),
        (error_rate_chart(&o, &b), false),
        (latency_chart(&o, &b), false),
        (
            status_chart(
                &b,
                ("sync-runs", "Sync runs by status", "sync runs"),
                RUN_STATUSES,
                &["succeeded", "failed"],
                &o.runs,
                "/sync-runs",
            ),
            true,
        ),
        (
            status_chart(
                &b,
                ("deliveries", "Webhook deliveries by status", "deliveries"),
                &DELIVERY_STATUSES,
                &["delivered", "failed"],
                &o.deliveries,
                "/webhooks/deliveries",
            ),
            true,
        ),
    ];
    let period = format!("{} to {}", format_time_utc(o.from), format_time_utc(o.to));
    let env = o.environment.clone();
    view! {
        <PageHeader title="Overview" subtitle=format!("{} · {} · {}", o.organization_name, env_label, range_label) />
        <crate::features::issues::OverviewIssues />
        <div class="mb-4 flex flex-wrap items-center justify-between gap-3">
            <nav aria-label="Range" class="flex flex-wrap gap-2">{ranges}</nav>
            <p class="text-xs text-slate-500" data-testid="overview-period">{period}</p>
        </div>
        <div class="grid grid-cols-2 gap-4 lg:grid-cols-5">
            <Stat label="Requests" value=format_count(o.requests_total()) hint=format!("API requests, {range_label}") testid="stat-requests" />
            <Stat
                label="Error rate"
                value=rate.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
                hint=format!("{} failed (4xx and 5xx)", format_count(o.requests_failed()))
                testid="stat-error-rate"
                alert=rate.is_some_and(|r| r >= 5.0)
            />
            <Stat label="Connections" value=format_count(total_connections) hint="in this environment" testid="stat-connections" />
            <Stat label="Failed syncs" value=format_count(failed_runs) hint="sync runs queued in the range that failed" testid="stat-failed-syncs" alert={failed_runs > 0} />
            <Stat
                label="Webhook delivery success"
                value=success.map(|r| format!("{r:.1}%")).unwrap_or_else(|| "—".into())
                hint=format!(
                    "{} delivered, {} retrying, {} failed",
                    format_count(o.deliveries_with("delivered")),
                    format_count(o.deliveries_with("retrying")),
                    format_count(o.deliveries_with("failed"))
                )
                testid="stat-delivery-success"
                alert=success.is_some_and(|r| r < 95.0)
            />
        </div>
        <div class="mt-6 grid gap-4 xl:grid-cols-2">
            {charts.into_iter().map(|(chart, totals_are_sums)| view! { <ChartCard chart totals_are_sums /> }).collect_view()}
            <Card>
                <h2 class="border-b border-slate-100 px-5 py-3 text-sm font-semibold text-slate-900">"Connections by status"</h2>
                <ul class="divide-y divide-slate-100" data-testid="connections-by-status">
                    {o.connections_by_status.clone().into_iter().map(|(status, n)| {
                        let label = ConnectionStatus::parse(&status).map(|s| s.label()).unwrap_or("Unknown");
                        let href = format!("/connections?status={status}&environment={env}");
                        view! {
                            <li>
                                <a href=href class="flex items-center justify-between px-5 py-2.5 text-sm hover:bg-slate-50">
                                    <Badge tone=status_tone(&status)>{label}</Badge>
                                    <span class="font-medium tabular-nums" data-status=status.clone()>{format_count(n)}</span>
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </Card>
        </div>
    }
}
