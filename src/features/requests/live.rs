//! The request log's live tail: with `live=1` in the URL the page listens to
//! `GET /requests/live` (server-sent events, `server::live`) and adds each new request that
//! matches its filters above the rows it shows. A reader who has scrolled into the table is not
//! moved: new rows wait behind an "N new requests" button. The tail stops after 10 minutes
//! without interaction and says so. Without JavaScript the toggle is a plain link that reloads
//! the newest page.

use crate::domain::request_filter::RequestFilter;
use crate::domain::request_list::RequestLogListItem;
use leptos::prelude::*;

/// The reader's idle time after which the tail stops, in milliseconds.
pub const IDLE_LIMIT_MS: f64 = 600_000.0;
/// Rows the tail keeps above the page's own, at most (the oldest fall off).
const KEEP: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub enum LiveState {
    Off,
    Connecting,
    Live,
    /// Stopped, and why (idle, or the stream failed).
    Stopped(String),
}

/// The tail's rows and state, shared by the toggle above the table and the table's body.
#[derive(Clone, Copy)]
pub struct LiveRows {
    /// Rows shown above the page's rows, newest first.
    pub shown: RwSignal<Vec<RequestLogListItem>>,
    /// Rows that arrived while the reader was scrolled into the table, newest first.
    pub waiting: RwSignal<Vec<RequestLogListItem>>,
    pub state: RwSignal<LiveState>,
}

impl LiveRows {
    pub fn new() -> Self {
        LiveRows {
            shown: RwSignal::new(vec![]),
            waiting: RwSignal::new(vec![]),
            state: RwSignal::new(LiveState::Off),
        }
    }

    /// Shows the rows that were waiting, above the others.
    fn release(&self) {
        let mut waiting = self.waiting.get_untracked();
        if waiting.is_empty() {
            return;
        }
        self.waiting.set(vec![]);
        self.shown.update(|shown| {
            waiting.append(shown);
            waiting.truncate(KEEP);
            *shown = waiting;
        });
    }
}

impl Default for LiveRows {
    fn default() -> Self {
        Self::new()
    }
}

/// The "Live" toggle, the tail's state, and the "N new requests" button. `newest` is the newest
/// request the page shows (the stream starts after it).
#[component]
pub fn LiveTail(filter: RequestFilter, on: bool, newest: Option<String>, rows: LiveRows) -> impl IntoView {
    let base = filter.first_page().href();
    let href =
        if on { base.clone() } else { format!("{base}{}live=1", if base.contains('?') { '&' } else { '?' }) };
    // After hydration, so the first render matches the server's.
    #[cfg(feature = "hydrate")]
    if on {
        let url = filter.live_href(newest.as_deref());
        Effect::new(move |_| client::start(url.clone(), rows));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = &newest;
    let waiting = move || rows.waiting.with(|w| w.len());
    let release = move |_| {
        rows.release();
        #[cfg(feature = "hydrate")]
        client::scroll_to_table();
    };
    view! {
        <div class="mb-3 flex flex-wrap items-center gap-3 text-sm" data-testid="live-tail">
            <a href=href data-testid="live-toggle" data-live=if on { "on" } else { "off" }
                title=if on { "Stop live updates" } else { "Show new requests as they arrive" }
                class=if on { "inline-flex items-center gap-1.5 rounded-md bg-emerald-800 px-3 py-1 font-semibold text-white hover:bg-emerald-700" } else { "inline-flex items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 py-1 font-semibold text-slate-700 hover:bg-slate-50" }>
                <span aria-hidden="true" class=if on { "h-2 w-2 rounded-full bg-white" } else { "h-2 w-2 rounded-full bg-slate-400" }></span>
                {if on { "Live: on" } else { "Live" }}
            </a>
            {on.then(|| view! {
                <span role="status" data-testid="live-status" class="text-slate-600">
                    {move || match rows.state.get() {
                        // What the server renders, and what stays without JavaScript.
                        LiveState::Off => "Live updates need JavaScript: reload the page for newer requests.".to_string(),
                        LiveState::Connecting => "Connecting\u{2026}".to_string(),
                        LiveState::Live => "New requests matching these filters appear at the top.".to_string(),
                        LiveState::Stopped(why) => why,
                    }}
                </span>
                {move || matches!(rows.state.get(), LiveState::Stopped(_)).then(|| view! {
                    <a href=href_resume() rel="external" class="font-semibold text-indigo-700 underline" data-testid="live-resume">"Resume"</a>
                })}
            })}
            {move || (waiting() > 0).then(|| view! {
                <button type="button" on:click=release data-testid="live-waiting"
                    class="rounded-full bg-indigo-600 px-3 py-1 font-semibold text-white shadow hover:bg-indigo-500">
                    {format!("{} new request{}", waiting(), if waiting() == 1 { "" } else { "s" })}
                </button>
            })}
        </div>
    }
}

/// Reloading the page resumes the tail from its newest rows.
fn href_resume() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[cfg(feature = "hydrate")]
mod client {
    use super::{LiveRows, LiveState, IDLE_LIMIT_MS, KEEP};
    use crate::domain::request_list::RequestLogListItem;
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    /// Whether the table's top edge is still in view: the reader is at the top and new rows
    /// go straight in.
    fn at_top() -> bool {
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return true };
        match doc.query_selector("[data-testid=request-table]").ok().flatten() {
            Some(t) => t.get_bounding_client_rect().top() >= 0.0,
            None => true,
        }
    }

    pub fn scroll_to_table() {
        if let Some(t) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("[data-testid=request-table]").ok().flatten())
        {
            t.scroll_into_view();
        }
    }

    /// Opens the stream and keeps it open while the reader is active.
    pub fn start(url: String, rows: LiveRows) {
        let last_active = StoredValue::new(js_sys::Date::now());
        let source: StoredValue<Option<web_sys::EventSource>, LocalStorage> = StoredValue::new_local(None);
        let newest: StoredValue<Option<String>> = StoredValue::new(None);
        let base = url.split("&after=").next().unwrap_or(&url).to_string();
        let first = url.clone();
        let close = move || {
            source.update_value(|s| {
                if let Some(s) = s.take() {
                    s.close();
                }
            })
        };
        let open = StoredValue::new_local(None::<std::rc::Rc<dyn Fn(String)>>);
        let open_fn: std::rc::Rc<dyn Fn(String)> = std::rc::Rc::new(move |url: String| {
            close();
            let base = base.clone();
            let Ok(es) = web_sys::EventSource::new(&url) else {
                rows.state.set(LiveState::Stopped("Live updates could not start: reload the page.".into()));
                return;
            };
            rows.state.set(LiveState::Connecting);
            let on_request =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                    let Some(data) = e.data().as_string() else { return };
                    let Ok(r) = serde_json::from_str::<RequestLogListItem>(&data) else { return };
                    if rows.shown.with_untracked(|s| s.iter().any(|x| x.id == r.id))
                        || rows.waiting.with_untracked(|w| w.iter().any(|x| x.id == r.id))
                    {
                        return;
                    }
                    newest.update_value(|n| {
                        if n.as_ref().is_none_or(|n| r.id > *n) {
                            *n = Some(r.id.clone());
                        }
                    });
                    let target = if at_top() && rows.waiting.with_untracked(|w| w.is_empty()) {
                        rows.shown
                    } else {
                        rows.waiting
                    };
                    target.update(|v| {
                        // Newest first: a late row goes below newer ones.
                        let at = v.iter().position(|x| x.id < r.id).unwrap_or(v.len());
                        v.insert(at, r);
                        v.truncate(KEEP);
                    });
                });
            let on_ready =
                Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| rows.state.set(LiveState::Live));
            let on_end = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
                // The server ends each stream after a while: open the next one if the reader is
                // still here, from the newest row seen.
                if js_sys::Date::now() - last_active.get_value() < IDLE_LIMIT_MS {
                    let after = newest.get_value();
                    let url = match after {
                        Some(a) => format!("{base}&after={a}"),
                        None => base.clone(),
                    };
                    if let Some(f) = open.get_value() {
                        f(url);
                    }
                } else {
                    stop_idle(rows);
                    close();
                }
            });
            let on_failed = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_| {
                rows.state.set(LiveState::Stopped(
                    "Live updates stopped: the server could not read new requests. Reload to try again."
                        .into(),
                ));
                close();
            });
            let _ = es.add_event_listener_with_callback("request", on_request.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
            let _ = es.add_event_listener_with_callback("failed", on_failed.as_ref().unchecked_ref());
            // The listeners live as long as the page: the source is closed, not them dropped.
            on_request.forget();
            on_ready.forget();
            on_end.forget();
            on_failed.forget();
            source.set_value(Some(es));
        });
        open.set_value(Some(open_fn.clone()));
        open_fn(first);

        // Interaction keeps the tail alive; 10 minutes without any stops it.
        for name in ["scroll", "keydown", "pointerdown", "pointermove", "wheel", "touchstart"] {
            let h = window_event_listener_untyped(name, move |_| last_active.set_value(js_sys::Date::now()));
            on_cleanup(move || h.remove());
        }
        let release_at_top = window_event_listener_untyped("scroll", move |_| {
            if at_top() {
                rows.release();
            }
        });
        on_cleanup(move || release_at_top.remove());
        if let Ok(h) = set_interval_with_handle(
            move || {
                if rows.state.get_untracked() != LiveState::Off
                    && !matches!(rows.state.get_untracked(), LiveState::Stopped(_))
                    && js_sys::Date::now() - last_active.get_value() >= IDLE_LIMIT_MS
                {
                    stop_idle(rows);
                    close();
                }
            },
            std::time::Duration::from_secs(5),
        ) {
            on_cleanup(move || h.clear());
        }
        on_cleanup(move || {
            close();
            open.set_value(None);
        });
    }

    fn stop_idle(rows: LiveRows) {
        rows.state
            .set(LiveState::Stopped("Live updates stopped after 10 minutes without interaction.".into()));
    }
}
