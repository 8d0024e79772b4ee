//! The request-log list at /requests: filters in the URL, keyset pages of 50, newest first.

use super::live::{LiveRows, LiveTail};
use super::{list_request_logs, ConnectionOption, RequestLogListItem, RequestLogPage};
use crate::domain::request_filter::{RequestFilter, RANGES};
use crate::domain::{ERROR_CODES, METHODS, PLATFORMS};
use crate::features::ui::http_tone;
use crate::features::ui::{
    Badge, Card, CopyButton, ErrorNotice, ExportLinks, FilterPanel, Loading, PageHeader, Pager, SlashWrap,
    Time, Updating,
};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

const STATUS_OPTIONS: &[(&str, &str)] = &[
    ("2xx", "2xx success"),
    ("4xx", "4xx client errors"),
    ("5xx", "5xx server errors"),
    ("200", "200"),
    ("201", "201"),
    ("204", "204"),
    ("400", "400"),
    ("401", "401"),
    ("403", "403"),
    ("404", "404"),
    ("409", "409"),
    ("429", "429"),
    ("500", "500"),
    ("503", "503"),
];

#[component]
pub fn RequestLogsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| query.with(|m| RequestFilter::from_pairs(m.clone())));
    let page = Resource::new(move || filter.get(), list_request_logs);
    // `live=1` turns the live tail on; it is not a filter (the list and its exports ignore it).
    let live = Memo::new(move |_| query.with(|m| m.get("live").as_deref() == Some("1")));
    let (pending, set_pending) = signal(false);
    view! {
        <PageHeader title="Request Logs" subtitle="Every API request to the unified API in this environment, newest first." />
        <crate::features::retention::RetentionNote what="Request logs" />
        <Updating pending />
        <Transition fallback=Loading set_pending>
            {move || {
                let live = live.get();
                Suspend::new(async move {
                let f = filter.get_untracked();
                match page.await {
                    Ok(p) => view! { <FilterForm filter=f.clone() connections=p.connections.clone() more_connections=p.more_connections /> <ActiveFilters filter=f.clone() /> <Results filter=f page=p live /> }.into_any(),
                    Err(e) => view! { <FilterForm filter=f.clone() connections=vec![] more_connections=false /> <ActiveFilters filter=f /> <div data-testid="filter-error"><ErrorNotice error=e /></div> }.into_any(),
                }
            })}}
        </Transition>
    }
}

#[component]
fn Select(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] any: String,
    options: Vec<(String, String)>,
    selected: Option<String>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id.clone() class="block text-xs font-medium text-slate-600">{label}</label>
            <select id=id name=name class="mt-1 block w-full rounded-md border border-slate-300 bg-white py-1.5 pl-2 pr-8 text-sm">
                <option value="">{any}</option>
                {options.into_iter().map(|(value, text)| {
                    let is = selected.as_deref() == Some(value.as_str());
                    view! { <option value=value selected=is>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
fn TextInput(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] label: String,
    #[prop(into)] placeholder: String,
    value: Option<String>,
    #[prop(optional, into)] kind: Option<String>,
) -> impl IntoView {
    view! {
        <div>
            <label for=id.clone() class="block text-xs font-medium text-slate-600">{label}</label>
            <input id=id name=name type=kind.unwrap_or_else(|| "text".into()) placeholder=placeholder value=value.unwrap_or_default()
                autocomplete="off" spellcheck="false"
                class="mt-1 block w-full rounded-md border border-slate-300 px-2 py-1.5 text-sm" />
        </div>
    }
}

/// A GET form: without JavaScript it loads /requests?…; with JavaScript the router intercepts it
/// and updates the list without a full reload.
#[component]
fn FilterForm(
    filter: RequestFilter,
    connections: Vec<ConnectionOption>,
    more_connections: bool,
) -> impl IntoView {
    let f = filter;
    let mut connection_options: Vec<(String, String)> =
        connections.into_iter().map(|c| (c.id, format!("{} · {}", c.name, c.platform_name))).collect();
    if let Some(id) = &f.connection {
        if !connection_options.iter().any(|(v, _)| v == id) {
            connection_options.insert(0, (id.clone(), id.clone()));
        }
    }
    view! {
        <FilterPanel active=f.active().len()>
            <Form method="GET" action="/requests" attr:aria-label="Filter requests" attr:class="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
                <TextInput id="f-request-id" name="request_id" label="Request ID" placeholder="req_…" value=f.request_id.clone() />
                <Select id="f-connection" name="connection" label="Connection" any="Any connection" options=connection_options selected=f.connection.clone() />
                <Select id="f-platform" name="platform" label="Platform" any="Any platform"
                    options=PLATFORMS.iter().map(|p| (p.id.to_string(), p.name.to_string())).collect() selected=f.platform.clone() />
                <Select id="f-status" name="status" label="Status" any="Any status"
                    options=STATUS_OPTIONS.iter().map(|(v, t)| (v.to_string(), t.to_string())).collect() selected=f.status.clone() />
                <Select id="f-error-code" name="error_code" label="Error code" any="Any error code"
                    options=ERROR_CODES.iter().map(|e| (e.code.to_string(), e.code.to_string())).collect() selected=f.error_code.clone() />
                <Select id="f-method" name="method" label="Method" any="Any method"
                    options=METHODS.iter().map(|m| (m.to_string(), m.to_string())).collect() selected=f.method.clone() />
                <TextInput id="f-path" name="path" label="Path starts with" placeholder="/accounting/invoices" value=f.path.clone() />
                <Select id="f-range" name="range" label="Time" any="Any time"
                    options=RANGES.iter().map(|(v, t, _)| (v.to_string(), t.to_string())).collect() selected=f.range.clone() />
                <TextInput id="f-from" name="from" label="From (UTC)" placeholder="2026-11-21T09:00" value=f.from.clone() kind="datetime-local" />
                <TextInput id="f-to" name="to" label="To (UTC)" placeholder="2026-11-21T10:00" value=f.to.clone() kind="datetime-local" />
                {more_connections.then(|| view! {
                    <p class="text-xs text-slate-600 sm:col-span-2 lg:col-span-4" data-testid="picker-bounded">
                        "The connection list shows the " {super::PICKER_SIZE} " newest connections. For another one, open it from Connections (or paste its ID into the search box) and follow its requests link."
                    </p>
                })}
                <div class="flex items-end gap-2 lg:col-span-2">
                    <button type="submit" class="rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Apply filters"</button>
                    <a href="/requests" class="rounded-md px-3 py-1.5 text-sm text-slate-600 hover:bg-slate-100">"Reset"</a>
                </div>
            </Form>
        </FilterPanel>
    }
}

fn chip_value(key: &str, value: &str) -> String {
    match key {
        "platform" => PLATFORMS
            .iter()
            .find(|p| p.id == value)
            .map(|p| p.name.to_string())
            .unwrap_or_else(|| value.to_string()),
        "range" => RANGES
            .iter()
            .find(|(k, _, _)| *k == value)
            .map(|(_, l, _)| l.to_string())
            .unwrap_or_else(|| value.to_string()),
        _ => value.to_string(),
    }
}

/// The active filters as chips; each chip's × is a link without that filter.
#[component]
fn ActiveFilters(filter: RequestFilter) -> impl IntoView {
    let active = filter.active();
    (!active.is_empty()).then(|| {
        view! {
            <div class="mb-4 flex flex-wrap items-center gap-2" data-testid="active-filters">
                {active.into_iter().map(|(key, label, value)| {
                    let href = filter.without(key).href();
                    view! {
                        <span class="inline-flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-3 pr-1 text-sm text-indigo-900 ring-1 ring-indigo-200" data-filter=key>
                            <span class="font-medium">{label}":"</span>
                            <span class="font-mono text-xs">{chip_value(key, &value)}</span>
                            <a href=href aria-label=format!("Clear {label} filter") class="ml-1 rounded-full px-1.5 text-indigo-700 hover:bg-indigo-100">"\u{00d7}"</a>
                        </span>
                    }
                }).collect_view()}
                <a href="/requests" class="text-sm font-medium text-slate-600 hover:underline">"Clear all"</a>
            </div>
        }
    })
}

#[component]
fn Results(filter: RequestFilter, page: RequestLogPage, live: bool) -> impl IntoView {
    let export = view! { <ExportLinks csv=filter.export_href("csv") ndjson=filter.export_href("ndjson") /> };
    // The live tail belongs to the newest page only.
    let paged = filter.before.is_some() || filter.after.is_some();
    let rows = LiveRows::new();
    let tail = (!paged).then(|| {
        view! { <LiveTail filter=filter.clone() on=live newest=page.rows.first().map(|r| r.id.clone()) rows /> }
    });
    let live_rows = move || rows.shown.get().into_iter().map(|r| view! { <Row r /> }).collect_view();
    if page.rows.is_empty() {
        let active = filter.active();
        let described =
            active.iter().map(|(k, l, v)| format!("{l} {}", chip_value(k, v))).collect::<Vec<_>>().join(", ");
        return view! {
            {tail}
            {move || rows.shown.with(|s| !s.is_empty()).then(|| view! {
                <Card class="mb-4"><div class="overflow-x-auto" tabindex="0" role="region" aria-label="New requests"><Table>{live_rows}</Table></div></Card>
            })}
            <Card class="p-8 text-center" >
                <div data-testid="empty-state">
                    <p class="font-medium text-slate-900">"No requests found."</p>
                    <p class="mt-1 text-sm text-slate-600">
                        {if active.is_empty() && !paged { "There are no requests in this environment yet.".to_string() }
                         else if active.is_empty() { "This page is past the last request.".to_string() }
                         else if paged { format!("No more requests match these filters beyond this page: {described}.") }
                         else if filter.from.is_some() || filter.to.is_some() || filter.range.is_some() { format!("No request in this time range matches these filters: {described}.") }
                         else { format!("No request in the last {} days matches these filters: {described}. Every request kept was searched.", page.retention_days) }}
                    </p>
                    {(!active.is_empty() || paged).then(|| view! {
                        <a href="/requests" class="mt-4 inline-block rounded-md bg-indigo-600 px-4 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500">"Clear filters"</a>
                    })}
                </div>
            </Card>
        }.into_any();
    }
    let newer = page.newer.map(|c| filter.first_page().with("after", &c).href());
    let older = page.older.map(|c| filter.first_page().with("before", &c).href());
    view! {
        <div class="flex flex-wrap items-start justify-between gap-x-4">{tail}{export}</div>
        <Card>
            <div class="overflow-x-auto" tabindex="0" role="region" aria-label="Requests">
                <Table>
                    {live_rows}
                    {page.rows.into_iter().map(|r| view! { <Row r /> }).collect_view()}
                </Table>
            </div>
            <Pager newer older />
        </Card>
    }
    .into_any()
}

/// The request table: its head, and the rows given as children.
#[component]
fn Table(children: Children) -> impl IntoView {
    view! {
        <table class="min-w-full divide-y divide-slate-200 text-sm" data-testid="request-table">
            <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
                <tr>
                    <th class="px-3 py-2">"Time"</th>
                    <th class="px-3 py-2">"Request"</th>
                    <th class="hidden px-3 py-2 md:table-cell">"Status"</th>
                    <th class="hidden px-3 py-2 md:table-cell">"Error code"</th>
                    // On a phone a row is stacked: status and error code under the request (in
                    // view without scrolling sideways); connection and latency on its own page.
                    <th class="hidden px-3 py-2 md:table-cell">"Connection"</th>
                    <th class="hidden px-3 py-2 text-right md:table-cell">"Latency"</th>
                </tr>
            </thead>
            <tbody class="divide-y divide-slate-100">{children()}</tbody>
        </table>
    }
}

#[component]
fn Row(r: RequestLogListItem) -> impl IntoView {
    let href = format!("/requests/{}", r.id);
    view! {
        <tr class="hover:bg-slate-50" data-request-id=r.id.clone()>
            <td class="px-3 py-2 text-slate-600"><Time ms=r.created_at /></td>
            <td class="px-3 py-2">
                <a href=href class="group block">
                    <span class="mr-2 inline-block w-14 font-mono text-xs font-semibold text-slate-700">{r.method.clone()}</span>
                    <span class="wrap-break-word font-mono text-xs text-indigo-700 group-hover:underline"><SlashWrap text=r.path.clone() whole_segments=true /></span>
                </a>
                // An id is never broken mid-token: on a narrow screen the copy button wraps instead.
                <div class="mt-0.5 flex flex-wrap items-center gap-x-2">
                    <span class="select-all whitespace-nowrap font-mono text-[11px] text-slate-500">{r.id.clone()}</span>
                    <CopyButton text=r.id.clone() label="Copy request ID" />
                </div>
                <div class="mt-1 flex flex-wrap items-center gap-2 md:hidden" data-testid="row-status-compact">
                    <Badge tone=http_tone(r.status_code)>{r.status_code.to_string()}</Badge>
                    <span class="font-mono text-xs text-slate-700">{r.error_code.clone().unwrap_or_default()}</span>
                </div>
            </td>
            <td class="hidden px-3 py-2 md:table-cell"><Badge tone=http_tone(r.status_code)>{r.status_code.to_string()}</Badge></td>
            <td class="hidden px-3 py-2 font-mono text-xs text-slate-700 md:table-cell">{r.error_code.clone().unwrap_or_default()}</td>
            <td class="hidden px-3 py-2 md:table-cell">
                {match (r.connection_name.clone(), r.platform_name.clone()) {
                    (Some(n), Some(p)) => view! { <span class="whitespace-nowrap text-slate-900">{n}</span> <span class="block text-xs text-slate-500">{p}</span> }.into_any(),
                    (None, Some(p)) => view! { <span class="text-xs text-slate-500">{p}</span> }.into_any(),
                    _ => view! { <span class="text-xs text-slate-400">"—"</span> }.into_any(),
                }}
            </td>
            <td class="hidden px-3 py-2 text-right tabular-nums text-slate-700 md:table-cell">{format!("{} ms", r.latency_ms)}</td>
        </tr>
    }
}
