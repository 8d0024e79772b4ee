//! The request log's live tail (`GET /requests/live`): new requests matching the list's filters
//! as server-sent events, for the page to add above the rows it shows.
//!
//! Each look reads the newest matching rows of the last two minutes (`request_logs::live_rows`)
//! and sends those it has not sent, oldest first: a request stored a little after its id was
//! minted (the data plane sends in batches) is still sent, once. Looks are 400 ms apart, so a
//! row reaches the browser within about half a second of being stored, from any process that
//! stored it (the stream reads the database, not this process's memory). After the first look
//! the stream says `ready` (caught up); it ends with `end` after [`STREAM_LIFETIME`], and the
//! page opens a new one while its reader is active (it stops after 10 minutes without
//! interaction and says so).

use super::actor::Actor;
use super::request_logs::{live_rows, LIVE_LOOKBACK_MS};
use super::AppState;
use crate::domain::request_filter::RequestFilter;
use axum::response::sse::Event;
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::time::{Duration, Instant};

/// Time between looks.
const LOOK_EVERY: Duration = Duration::from_millis(400);
/// How long one stream lasts before it ends and the page decides whether to open another.
pub const STREAM_LIFETIME: Duration = Duration::from_secs(600);

struct Tail {
    state: AppState,
    actor: Actor,
    filter: RequestFilter,
    /// Ids sent (or shown by the page) in the lookback, with their times.
    sent: HashMap<String, i64>,
    /// The newest id time seen; looks reach back [`LIVE_LOOKBACK_MS`] from it.
    newest: i64,
    /// Rows at or before this id were on the page already (the page's newest row).
    shown_up_to: Option<String>,
    queue: VecDeque<Event>,
    started: Instant,
    looks: u64,
    done: bool,
}

/// The stream of events for `actor` (its own environment only) and `filter`; `after` is the
/// newest request the page shows, `now_ms` when the page asked.
pub fn events(
    state: AppState,
    actor: Actor,
    filter: RequestFilter,
    after: Option<String>,
    now_ms: i64,
) -> impl futures::Stream<Item = Result<Event, Infallible>> + Send {
    let newest = after.as_deref().and_then(crate::ids::id_time_ms).unwrap_or(now_ms);
    let tail = Tail {
        state,
        actor,
        filter,
        sent: HashMap::new(),
        newest,
        shown_up_to: after,
        queue: VecDeque::new(),
        started: Instant::now(),
        looks: 0,
        done: false,
    };
    futures::stream::unfold(tail, |mut t| async move {
        loop {
            if let Some(e) = t.queue.pop_front() {
                return Some((Ok(e), t));
            }
            if t.done {
                return None;
            }
            if t.started.elapsed() >= STREAM_LIFETIME {
                t.done = true;
                t.queue.push_back(Event::default().event("end").data("lifetime"));
                continue;
            }
            if t.looks > 0 {
                tokio::time::sleep(LOOK_EVERY).await;
            }
            t.looks += 1;
            match live_rows(&t.state, &t.actor, &t.filter, t.newest - LIVE_LOOKBACK_MS).await {
                Ok(rows) => {
                    for r in rows {
                        let time = crate::ids::id_time_ms(&r.id).unwrap_or(t.newest);
                        if t.sent.contains_key(&r.id) {
                            continue;
                        }
                        t.sent.insert(r.id.clone(), time);
                        t.newest = t.newest.max(time);
                        // The page's own rows are not sent again.
                        if t.looks == 1 && t.shown_up_to.as_ref().is_some_and(|s| r.id <= *s) {
                            continue;
                        }
                        let data = serde_json::to_string(&r).unwrap_or_default();
                        t.queue.push_back(Event::default().event("request").id(r.id).data(data));
                    }
                    let horizon = t.newest - LIVE_LOOKBACK_MS;
                    t.sent.retain(|_, time| *time >= horizon);
                    if t.looks == 1 {
                        t.queue.push_back(Event::default().event("ready").data("caught up"));
                    }
                }
                Err(e) => {
                    // A bad filter is refused before the stream starts; this is the database.
                    tracing::warn!(error = %e, "live tail look failed");
                    t.done = true;
                    t.queue.push_back(Event::default().event("failed").data(e.to_string()));
                }
            }
        }
    })
}
