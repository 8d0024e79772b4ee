//! Small building blocks shared by every page.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional, into)] subtitle: Option<String>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <Title text=title.clone() />
        <div class="mb-6 flex flex-wrap items-end justify-between gap-4">
            <div class="min-w-0 max-w-full">
                // An id or a URL in a title fits a phone: it wraps at its slashes, or, an id
                // having none, where it must; never the page sideways.
                <h1 class="text-lg font-semibold tracking-tight text-slate-900 wrap-break-word sm:text-2xl"><SlashWrap text=title /></h1>
                {subtitle.map(|s| view! { <p class="mt-1 text-sm text-slate-600">{s}</p> })}
            </div>
            {children.map(|c| c())}
        </div>
    }
}

#[component]
pub fn Card(#[prop(optional, into)] class: String, children: Children) -> impl IntoView {
    view! {
        <section class=format!("rounded-lg border border-slate-200 bg-white shadow-sm {class}")>{children()}</section>
    }
}

/// A filter form's frame. On a phone the form folds behind a "Filters" button (a `<details>`
/// element, so it opens without JavaScript); from 768 px wide it is always open and the button
/// hidden (`style/tailwind.css`, where the browser can style a details element's content).
#[component]
pub fn FilterPanel(active: usize, children: Children) -> impl IntoView {
    view! {
        <details class="filter-panel mb-4 rounded-lg border border-slate-200 bg-white shadow-sm" data-testid="filter-panel">
            <summary class="flex cursor-pointer list-none items-center justify-between px-4 py-2.5 text-sm font-medium text-slate-700">
                <span>"Filters" {(active > 0).then(|| format!(" ({active} active)"))}</span>
                <span aria-hidden="true" class="text-slate-500">"\u{25be}"</span>
            </summary>
            <div class="px-4 pb-4 md:pt-4">{children()}</div>
        </details>
    }
}

/// "Updating…" while a list loads for new filters: the old rows stay in place (a transition),
/// dimmed, so the page does not jump, and the reader knows the figures are not yet the new ones.
#[component]
pub fn Updating(pending: ReadSignal<bool>) -> impl IntoView {
    view! {
        <p role="status" aria-live="polite" class="h-5 text-right text-xs text-slate-500" data-testid="updating">
            {move || pending.get().then_some("Updating\u{2026}")}
        </p>
    }
}

/// The header row of a data table.
#[component]
pub fn TableHead(columns: &'static [&'static str]) -> impl IntoView {
    view! {
        <thead class="bg-slate-50 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
            <tr>{columns.iter().map(|c| view! { <th class="px-4 py-2">{*c}</th> }).collect_view()}</tr>
        </thead>
    }
}

/// How an error reaches the user: what happened and what to do.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    let signed_out = error == AppError::Unauthorized;
    view! {
        <div role="alert" class="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
            <p class="font-medium">{error.to_string()}</p>
            {signed_out.then(|| view! {
                <p class="mt-2"><a class="font-medium underline" href="/sign-in">"Sign in"</a></p>
            })}
        </div>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="py-8 text-center text-sm text-slate-500" aria-busy="true">"Loading…"</p> }
}

/// How a state reads at a glance. Every badge takes its colour from here, so a word has one
/// colour on every page: done well (green), under way (blue), worth a look (amber), failed
/// (red), at rest (grey).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Active,
    Warning,
    Bad,
    Neutral,
}

impl Tone {
    pub fn classes(self) -> &'static str {
        match self {
            Tone::Good => "bg-emerald-50 text-emerald-800 ring-emerald-600/20",
            Tone::Active => "bg-sky-50 text-sky-800 ring-sky-600/20",
            Tone::Warning => "bg-amber-50 text-amber-900 ring-amber-600/20",
            Tone::Bad => "bg-red-50 text-red-800 ring-red-600/20",
            Tone::Neutral => "bg-slate-100 text-slate-700 ring-slate-500/20",
        }
    }

    /// The tone of any status word the console shows: a connection's, a sync run's, a
    /// backfill's, a delivery's.
    pub fn of_status(status: &str) -> Tone {
        match status {
            "healthy" | "succeeded" | "delivered" | "enabled" => Tone::Good,
            "running" | "initializing" | "pending" => Tone::Active,
            "degraded" | "partial" | "retrying" => Tone::Warning,
            "needs_reauth" | "failed" => Tone::Bad,
            // queued, cancelled, not_supported, disabled, and anything unknown
            _ => Tone::Neutral,
        }
    }

    /// The tone of an HTTP status code.
    pub fn of_http(code: i64) -> Tone {
        match code {
            200..=299 => Tone::Good,
            400..=499 => Tone::Warning,
            500..=599 => Tone::Bad,
            _ => Tone::Neutral,
        }
    }
}

/// Colour classes for a status word (see [`Tone::of_status`]).
pub fn status_tone(status: &str) -> &'static str {
    Tone::of_status(status).classes()
}

/// Colour classes for an HTTP status code.
pub fn http_tone(code: i64) -> &'static str {
    Tone::of_http(code).classes()
}

/// How a status word is written: a connection's status by its own label ("Needs re-auth"),
/// any other capitalized with spaces ("not_supported" reads "Not supported").
pub fn status_label(status: &str) -> String {
    if let Some(s) = crate::domain::ConnectionStatus::parse(status) {
        return s.label().to_string();
    }
    let text = status.replace('_', " ");
    let mut c = text.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// A status word as a badge: its label in its tone.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    view! { <Badge tone=status_tone(&status)>{status_label(&status)}</Badge> }
}

/// A path or URL that may wrap after its slashes (as people break them), never inside a
/// segment: "/accounting/invoices/inv_12" on a phone, "https://hooks.example/…" in a table.
///
/// `whole_segments` keeps each segment on one line even when the column is narrower (a list's
/// path whose record id has hyphens); without it a segment too long for the line still wraps.
#[component]
pub fn SlashWrap(#[prop(into)] text: String, #[prop(optional)] whole_segments: bool) -> impl IntoView {
    let parts: Vec<String> = text.split_inclusive('/').map(str::to_string).collect();
    let last = parts.len().saturating_sub(1);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let part = if whole_segments {
                view! { <span class="whitespace-nowrap">{p}</span> }.into_any()
            } else {
                view! { {p} }.into_any()
            };
            view! { {part}{(i < last).then(|| view! { <wbr /> })} }
        })
        .collect_view()
}

/// A time in UTC ("2026-11-21 14:03:09 UTC") whose date and time never break inside.
#[component]
pub fn UtcTime(ms: i64) -> impl IntoView {
    let text = format_time_utc(ms);
    match text.split_once(' ') {
        Some((date, time)) => view! {
            <span class="whitespace-nowrap">{date.to_string()}</span>" "<span class="whitespace-nowrap">{time.to_string()}</span>
        }
        .into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    }
}

#[component]
pub fn Badge(#[prop(into)] tone: String, children: Children) -> impl IntoView {
    view! {
        <span class=format!("inline-flex items-center whitespace-nowrap rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset {tone}")>
            {children()}
        </span>
    }
}

fn set_not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
}

/// The page for an address that matches no route.
#[component]
pub fn NotFound() -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Page not found" />
        <main class="flex min-h-full flex-col items-center justify-center px-6 py-24 text-center">
            <p class="text-sm font-semibold text-indigo-600">"404"</p>
            <h1 class="mt-2 text-3xl font-semibold tracking-tight">"Page not found"</h1>
            <p class="mt-3 max-w-md text-slate-600">
                "There is no page at this address. If you were given a request ID or connection ID, paste it into the search box."
            </p>
            <form method="get" action="/search" class="mt-6 flex w-full max-w-md gap-2">
                <label for="nf-search" class="sr-only">"Request ID or connection ID"</label>
                <input id="nf-search" name="q" placeholder="req_… or conn_…" class="w-full rounded-md border border-slate-300 px-3 py-2 text-sm" />
                <button class="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500">"Find"</button>
            </form>
            <a href="/" class="mt-6 text-sm font-medium text-indigo-600 hover:underline">"Back to the overview"</a>
        </main>
    }
}

/// A "not found" inside the console, for an ID that does not exist or is not visible.
#[component]
pub fn NotFoundNotice(#[prop(into)] what: String) -> impl IntoView {
    set_not_found_status();
    view! {
        <Title text="Not found" />
        <Card class="p-8 text-center">
            <h1 class="text-xl font-semibold">"Not found"</h1>
            <p class="mt-2 text-slate-600">{what}</p>
        </Card>
    }
}

/// "5 min ago" style, relative to `now_ms`.
pub fn relative_time(ms: i64, now_ms: i64) -> String {
    let secs = (now_ms - ms) / 1000;
    match secs {
        s if s < 0 => "just now".into(),
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

/// A moment in time: relative text, the absolute time on hover. The server renders UTC; once the
/// page has hydrated the hover text switches to the viewer's own time zone.
#[component]
pub fn Time(ms: i64) -> impl IntoView {
    let iso = chrono::DateTime::from_timestamp_millis(ms).map(|d| d.to_rfc3339()).unwrap_or_default();
    let title = RwSignal::new(format_time_utc(ms));
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
            let local: String = date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED).into();
            title.set(format!("{local} (your time zone)"));
        }
    });
    let text = relative_time(ms, chrono::Utc::now().timestamp_millis());
    view! { <time datetime=iso title=move || title.get() class="whitespace-nowrap">{text}</time> }
}

/// Copies `text` to the clipboard. Hidden until the page is interactive: without JavaScript
/// the text itself stays selectable.
#[component]
pub fn CopyButton(#[prop(into)] text: String, #[prop(into)] label: String) -> impl IntoView {
    let ready = RwSignal::new(false);
    let copied = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let on_click = move |_| {
        #[cfg(not(feature = "hydrate"))]
        let _ = (&text, copied);
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
    };
    view! {
        <button
            type="button"
            on:click=on_click
            class:hidden=move || !ready.get()
            aria-label=label.clone()
            title=label
            class="rounded border border-slate-300 bg-white px-1.5 py-0.5 text-xs text-slate-600 hover:bg-slate-50"
        >
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}

/// "1 connection", "2 connections", "1,204 runs": a count with the word in the right number.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{} {}", format_count(n), if n == 1 { one } else { many })
}

pub fn format_count(n: i64) -> String {
    let s = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Milliseconds since the epoch as "2026-11-21 14:03:09 UTC".
pub fn format_time_utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped() {
        assert_eq!(super::format_count(1234567), "1,234,567");
        assert_eq!(super::format_count(999), "999");
        assert_eq!(super::format_count(0), "0");
    }
}

/// "Newer" and "Older" links of a keyset-paginated list; a missing side is shown disabled.
#[component]
pub fn Pager(newer: Option<String>, older: Option<String>) -> impl IntoView {
    // Nothing to page to either way (an empty or a one-page result): no dead "Newer / Older".
    if newer.is_none() && older.is_none() {
        return ().into_any();
    }
    view! {
        <nav aria-label="Pages" class="flex items-center justify-between border-t border-slate-100 px-4 py-3 text-sm">
            {match newer {
                Some(h) => view! { <a href=h rel="prev" class="font-medium text-indigo-700 hover:underline">"\u{2190} Newer"</a> }.into_any(),
                None => view! { <span class="text-slate-500" aria-disabled="true">"\u{2190} Newer"</span> }.into_any(),
            }}
            {match older {
                Some(h) => view! { <a href=h rel="next" class="font-medium text-indigo-700 hover:underline">"Older \u{2192}"</a> }.into_any(),
                None => view! { <span class="text-slate-500" aria-disabled="true">"Older \u{2192}"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

/// A detail page's one load: while loading, the spinner; then the object rendered by `render`,
/// or the not-found notice (with a 404 status) when it does not exist or is not visible, or the
/// error with the page's title. A `Transition`, so a refetch (a polled page, a new id) keeps the
/// current content on screen instead of flashing the spinner.
#[component]
pub fn DetailLoader<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    title: &'static str,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=Loading>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(AppError::NotFound(msg)) => view! { <NotFoundNotice what=msg /> }.into_any(),
                        Err(e) => view! { <PageHeader title=title /> <ErrorNotice error=e /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// "Export: CSV · NDJSON" for a filtered list: plain links with `download` (the router leaves
/// them to the browser, with or without JavaScript) to every row the filters match, not only
/// the page on screen.
#[component]
pub fn ExportLinks(csv: String, ndjson: String) -> impl IntoView {
    view! {
        <p class="flex items-center justify-end gap-2 px-1 pb-2 text-sm text-slate-600" data-testid="export">
            <span>"Export all matches:"</span>
            <a href=csv download="" class="rounded-md px-2 py-1 font-medium text-indigo-700 hover:bg-indigo-50" data-testid="export-csv">"CSV"</a>
            <a href=ndjson download="" class="rounded-md px-2 py-1 font-medium text-indigo-700 hover:bg-indigo-50" data-testid="export-ndjson">"NDJSON"</a>
        </p>
    }
}

#[cfg(test)]
mod plural_tests {
    #[test]
    fn counts_read_in_the_right_number() {
        assert_eq!(super::plural(1, "run", "runs"), "1 run");
        assert_eq!(super::plural(0, "run", "runs"), "0 runs");
        assert_eq!(super::plural(1204, "connection", "connections"), "1,204 connections");
    }
}
