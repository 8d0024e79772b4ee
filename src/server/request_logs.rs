//! The request-log context: finding requests by the console's filters (the list at `/requests`
//! and `GET /api/v1/request-logs` read the same [`RequestFilter`] through [`list`]) and loading
//! one request by id.

use super::actor::Actor;
use super::hour_walk::{HourWalk, TimeRange};
use super::service::{page_from_cursors, ServiceError, ServiceResult};
use super::store::rollups::{ComboFilter, RequestCombo};
use super::store::{
    keyset_window, ObjectKind, Page, RequestLogQuery, RequestLogRow, RequestLogSummaryRow, Scope, Store,
    StoreResult,
};
use super::AppState;
use crate::domain::issues::path_template;
use crate::domain::request_filter::{parse_status, parse_time_range, RequestFilter, StatusFilter, RANGES};
use crate::domain::{ERROR_CODES, METHODS, PLATFORMS};
use crate::ids::{id_floor, id_time_ms, parse_id, prefix};
use std::collections::VecDeque;

/// One page of requests, newest first.
pub struct RequestLogList {
    pub rows: Vec<RequestLogSummaryRow>,
    /// Cursor of the newer page (`after=`), when there is one.
    pub newer: Option<String>,
    /// Cursor of the older page (`before=`), when there is one.
    pub older: Option<String>,
    /// The validated query, for what the caller shows beside the rows.
    pub query: RequestLogQuery,
    /// How many days the organization keeps requests: every search covers all of them, so an
    /// empty answer is "none in the last N days".
    pub retention_days: i64,
}

/// One page of `limit` requests in the actor's environment matching `filter`. Exact however
/// rare or old the matches (see [`find`]).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filter: &RequestFilter,
    limit: i64,
) -> ServiceResult<RequestLogList> {
    let mut query = query(filter, &actor.scope(), state.clock.now_ms())?;
    query.limit = limit + 1;
    let rows = find(state.store.as_ref(), &query).await?;
    let (rows, newer, older) = keyset_window(rows, &query.page, limit, |r| r.id.clone());
    let retention_days = state
        .store
        .retention_days(&query.organization_id)
        .await?
        .unwrap_or(crate::domain::retention::DEFAULT_DAYS);
    Ok(RequestLogList { rows, newer, older, query, retention_days })
}

/// A row as the list shows it, with its connection's name from `names` (id to name).
pub fn list_item(
    r: RequestLogSummaryRow,
    names: &std::collections::HashMap<&str, &str>,
) -> crate::domain::request_list::RequestLogListItem {
    crate::domain::request_list::RequestLogListItem {
        connection_name: r.connection_id.as_deref().and_then(|id| names.get(id)).map(|s| s.to_string()),
        platform_name: r.platform_id.as_deref().and_then(crate::domain::platform).map(|p| p.name.to_string()),
        id: r.id,
        created_at: r.created_at,
        method: r.method,
        path: r.path,
        status_code: r.status_code,
        error_code: r.error_code,
        connection_id: r.connection_id,
        latency_ms: r.latency_ms,
    }
}

/// How far back each look of the live tail reaches: a request is stored a little after its id
/// was minted (the data plane sends batches), so one whose id is older than a row already sent
/// can still arrive; each look reads this far back and sends what it has not sent.
pub const LIVE_LOOKBACK_MS: i64 = 120_000;
/// Rows one look of the live tail reads, at most: the newest of a flood, not all of it.
pub const LIVE_BATCH: i64 = 200;

/// The live tail's look at the request log (`GET /requests/live`): the newest `LIVE_BATCH`
/// requests matching `filter` (its cursors and range ignored) whose id time is at or after
/// `since_ms`, with their connections' names, oldest first (the order they are shown in).
pub async fn live_rows(
    state: &AppState,
    actor: &Actor,
    filter: &RequestFilter,
    since_ms: i64,
) -> ServiceResult<Vec<crate::domain::request_list::RequestLogListItem>> {
    let filter = RequestFilter { before: None, after: None, range: None, ..filter.clone() };
    let mut q = query(&filter, &actor.scope(), state.clock.now_ms())?;
    let since = id_floor(prefix::REQUEST, since_ms);
    q.from_id = Some(q.from_id.map_or(since.clone(), |f| f.max(since)));
    q.limit = LIVE_BATCH;
    let mut rows = find(state.store.as_ref(), &q).await?;
    rows.reverse();
    let mut wanted: Vec<String> = rows.iter().filter_map(|r| r.connection_id.clone()).collect();
    wanted.sort();
    wanted.dedup();
    let named = super::connections::by_ids(state, actor, &wanted).await?;
    let names = named.iter().map(|c| (c.id.as_str(), c.display_name.as_str())).collect();
    Ok(rows.into_iter().map(|r| list_item(r, &names)).collect())
}

/// Beyond this many combinations, the hours come from one read of the span's rollups rather
/// than an index range per combination (at 1,000,000 requests, `/accounting` alone names a few
/// hundred: 17.5 ms at p95 one range each).
const MANY_COMBOS: usize = 48;

/// How far a request's id time may be from the `created_at` its rollup hour comes from
/// (ingestion refuses more, `ingest::CLOCK_SKEW_MS`).
const ID_SKEW_MS: i64 = 3_600_000;

/// Up to `q.limit` rows of the query's page, newest first: exactly the rows a scan of the whole
/// table would find. One filter (or none) reads its own index in id order. With several, where
/// the driving index may hold matches only rarely, the rollups say which hours hold the
/// combinations the filters name (`request_combos`, then one index range per combination), and
/// only those hours are read ([`HourWalk`]). A combination no request ever had reads nothing.
pub async fn find(store: &dyn Store, q: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>> {
    if !q.has_residual_filters() {
        return store.list_request_logs(q).await;
    }
    let scope = Scope::new(q.organization_id.clone(), q.environment.clone());
    let mut filter = ComboFilter {
        platform_id: q.platform_id.clone(),
        method: q.method.clone(),
        status_range: q.status_code.map(|s| (s, s + 1)).or(q.status_class.map(|c| (c * 100, c * 100 + 100))),
        error_code: q.error_code.clone(),
        template_prefixes: q
            .path_range
            .as_ref()
            .map(|(p, _)| template_prefixes(p).to_vec())
            .unwrap_or_default(),
    };
    // A connection is on one platform: its requests' combinations are that platform's.
    if let Some(c) = &q.connection_id {
        match store.get_connection(&scope, c).await? {
            Some(conn) if filter.platform_id.as_ref().is_none_or(|p| *p == conn.platform_id) => {
                filter.platform_id = Some(conn.platform_id)
            }
            _ => return Ok(vec![]),
        }
    }
    let combos: Vec<RequestCombo> =
        store.request_combos(&scope, &filter).await?.into_iter().filter(|c| may_match(q, c)).collect();
    if combos.is_empty() {
        return Ok(vec![]);
    }
    let Some((oldest, newest)) = store.request_log_span(&scope).await? else { return Ok(vec![]) };
    let time = |id: &str| id_time_ms(id).unwrap_or(0);
    let (lo, hi) = reach(
        time(&oldest),
        time(&newest) + 1,
        q.from_id.as_deref().map(time),
        q.to_id.as_deref().map(time),
        &q.page,
    );
    let mut walk = HourWalk::new(lo, hi, matches!(q.page, Page::After(_)), ID_SKEW_MS);
    let mut rows: Vec<RequestLogSummaryRow> = Vec::new();
    while (rows.len() as i64) < q.limit {
        let Some((from_hour, to_hour)) = walk.next_span() else { break };
        let hours = if combos.len() > MANY_COMBOS {
            store.filter_hours(&scope, &filter, from_hour, to_hour).await?
        } else {
            store.combo_hours(&scope, &combos, from_hour, to_hour).await?
        };
        let mut ranges: VecDeque<TimeRange> = walk.ranges(hours).into();
        while !ranges.is_empty() && (rows.len() as i64) < q.limit {
            let needed = q.limit - rows.len() as i64;
            let id_ranges = walk
                .batch(&mut ranges, needed)
                .iter()
                .map(|r| (id_floor(prefix::REQUEST, r.from), id_floor(prefix::REQUEST, r.to)))
                .collect();
            rows.extend(
                store.list_request_logs(&RequestLogQuery { id_ranges, limit: needed, ..q.clone() }).await?,
            );
        }
    }
    rows.sort_by(|x, y| y.id.cmp(&x.id));
    Ok(rows)
}

/// The id times `[lo, hi)` a query can reach: the stored rows' span, narrowed by the times of
/// its time filter's ids and of its page's cursor (an id bound cuts inside its millisecond, so
/// that millisecond stays in reach and the rows' own check decides).
pub fn reach(oldest: i64, end: i64, from: Option<i64>, to: Option<i64>, page: &Page) -> (i64, i64) {
    let mut lo = oldest.max(from.unwrap_or(i64::MIN));
    let mut hi = end.min(to.map_or(i64::MAX, |t| t + 1));
    match page {
        Page::Before(c) => hi = hi.min(id_time_ms(c).map_or(i64::MIN, |t| t + 1)),
        Page::After(c) => lo = lo.max(id_time_ms(c).unwrap_or(i64::MAX)),
        Page::First => {}
    }
    (lo, hi)
}

/// Whether requests of combination `c` can match the query's filters (the connection is not
/// part of a combination; a path prefix is judged on the template, so this may say yes to a
/// combination whose rows' paths then do not match: the rows' own check decides).
fn may_match(q: &RequestLogQuery, c: &RequestCombo) -> bool {
    q.platform_id.as_ref().is_none_or(|p| *p == c.platform_id)
        && q.method.as_ref().is_none_or(|m| *m == c.method)
        && q.status_class.is_none_or(|k| c.status_code / 100 == k)
        && q.status_code.is_none_or(|s| s == c.status_code)
        && q.error_code.as_ref().is_none_or(|e| *e == c.error_code)
        && q.path_range.as_ref().is_none_or(|(p, _)| template_may_match(p, &c.path_template))
}

/// Whether a path starting with `prefix` can have `template` (`path_template`): the prefix's
/// complete segments template the same way, and its last, partial segment is either kept as
/// typed (the segment has no digit, or is a version such as `v2`) or became `{id}`.
fn template_may_match(prefix: &str, template: &str) -> bool {
    template_prefixes(prefix).iter().any(|p| template.starts_with(p.as_str()))
}

/// The two prefixes one of which the template of every path starting with `prefix` starts
/// with (see [`template_may_match`]).
fn template_prefixes(prefix: &str) -> [String; 2] {
    let cut = prefix.rfind('/').map_or(0, |i| i + 1);
    let (head, partial) = prefix.split_at(cut);
    let head = path_template(head);
    [format!("{head}{partial}"), format!("{head}{{id}}")]
}

/// One request by id (`req_...`, as typed: surrounding spaces are ignored).
/// What to do next about a failed request (status 400 or above), as the console's request page
/// and the API's request log both say it: from the stored code and message, the raw platform
/// error, and the classifier's cause and field where the classifier agrees with the code.
pub fn next_step(row: &RequestLogRow, connection_name: Option<&str>) -> Option<String> {
    use crate::domain::guidance::{next_step, Failure};
    if row.status_code < 400 {
        return None;
    }
    let agrees = row.classified_code.is_some() && row.classified_code == row.error_code;
    let attempts =
        serde_json::from_str::<Vec<serde_json::Value>>(&row.upstream_calls).map(|v| v.len()).unwrap_or(0);
    Some(next_step(&Failure {
        status: row.status_code,
        method: &row.method,
        code: row.error_code.as_deref(),
        message: row.error_message.as_deref(),
        platform_error: row.platform_error.as_deref(),
        platform_name: row.platform_id.as_deref().and_then(crate::domain::platform).map(|p| p.name),
        connection_name,
        idempotency_key: row.idempotency_key.as_deref(),
        created_at: row.created_at,
        upstream_attempts: attempts,
        cause: row.error_cause.as_deref().filter(|_| agrees),
        field: row.error_field.as_deref().filter(|_| agrees),
    }))
}

pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ServiceResult<RequestLogRow> {
    let id = parse_id(prefix::REQUEST, id).map_err(|e| {
        ServiceError::invalid(format!("\u{201c}{}\u{201d} is not a request ID: {e}.", id.trim()))
    })?;
    // Another organization's request is "not found" for customers, exactly like an id that
    // does not exist; staff reach it through the audited path in `scope_for`.
    let scope = actor.scope_for(state, ObjectKind::Request, &id).await?;
    state.store.get_request_log(&scope, &id).await?.ok_or_else(|| actor.not_found(ObjectKind::Request, &id))
}

/// Validates every filter and turns them into a store query of `scope` (the limit is the
/// caller's). Relative ranges (`24h`) end at `now_ms`.
pub fn query(filter: &RequestFilter, scope: &Scope, now_ms: i64) -> ServiceResult<RequestLogQuery> {
    let mut q = RequestLogQuery {
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        ..Default::default()
    };
    if let Some(v) = &filter.request_id {
        q.request_id =
            Some(parse_id(prefix::REQUEST, v).map_err(|e| {
                ServiceError::invalid(format!("\u{201c}{v}\u{201d} is not a request ID: {e}."))
            })?);
    }
    if let Some(v) = &filter.connection {
        q.connection_id = Some(parse_id(prefix::CONNECTION, v).map_err(|e| {
            ServiceError::invalid(format!("\u{201c}{v}\u{201d} is not a connection ID: {e}."))
        })?);
    }
    if let Some(v) = &filter.platform {
        let p = PLATFORMS.iter().find(|p| p.id == v.as_str()).ok_or_else(|| {
            ServiceError::invalid(format!(
                "Unknown platform \u{201c}{v}\u{201d}. Known platforms: {}.",
                PLATFORMS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
            ))
        })?;
        q.platform_id = Some(p.id.to_string());
    }
    if let Some(v) = &filter.status {
        match parse_status(v)? {
            StatusFilter::Class(c) => q.status_class = Some(c),
            StatusFilter::Exact(c) => q.status_code = Some(c),
        }
    }
    if let Some(v) = &filter.error_code {
        let code = ERROR_CODES.iter().find(|e| e.code == v.as_str()).ok_or_else(|| {
            ServiceError::invalid(format!(
                "Unknown error code \u{201c}{v}\u{201d}. Known codes: {}.",
                ERROR_CODES.iter().map(|e| e.code).collect::<Vec<_>>().join(", ")
            ))
        })?;
        q.error_code = Some(code.code.to_string());
    }
    if let Some(v) = &filter.method {
        let upper = v.to_ascii_uppercase();
        if !METHODS.contains(&upper.as_str()) {
            return Err(ServiceError::invalid(format!(
                "Unknown method \u{201c}{v}\u{201d}: use one of {}.",
                METHODS.join(", ")
            )));
        }
        q.method = Some(upper);
    }
    if let Some(v) = &filter.path {
        let ok = v.starts_with('/') && v.len() <= 300 && v.bytes().all(|b| (0x21..0x7f).contains(&b));
        let upper = prefix_successor(v).filter(|_| ok).ok_or_else(|| {
            ServiceError::invalid(format!(
                "Path \u{201c}{v}\u{201d} is not a path prefix: it must start with / and contain no spaces, such as /accounting/invoices."
            ))
        })?;
        q.path_range = Some((v.clone(), upper));
    }
    let (from, to) = parse_time_range(filter.from.as_deref(), filter.to.as_deref())?;
    if from.is_some() || to.is_some() {
        q.from_id = from.map(|t| id_floor(prefix::REQUEST, t));
        // `to` is inclusive to the millisecond.
        q.to_id = to.map(|t| id_floor(prefix::REQUEST, t + 1));
    } else if let Some(r) = &filter.range {
        let span =
            RANGES.iter().find(|(k, _, _)| *k == r.as_str()).map(|(_, _, ms)| *ms).ok_or_else(|| {
                ServiceError::invalid(format!(
                    "Unknown time range \u{201c}{r}\u{201d}: use 1h, 24h, 7d or 30d, or set from and to."
                ))
            })?;
        q.from_id = Some(id_floor(prefix::REQUEST, now_ms - span));
    }
    q.page =
        page_from_cursors(prefix::REQUEST, "request", filter.before.as_deref(), filter.after.as_deref())?;
    Ok(q)
}

/// The smallest string greater than every string that starts with `prefix` (for an index range).
fn prefix_successor(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).ok();
        }
    }
    None
}

/// A request with what its page shows beside it: the organization's name when staff look in
/// from outside, its connection, and that connection's last run per object.
pub struct RequestDetail {
    pub row: RequestLogRow,
    pub organization_name: Option<String>,
    pub connection: Option<super::store::ConnectionRow>,
    pub object_states: Vec<(super::store::sync::SyncRunDetailRow, Option<i64>)>,
}

pub async fn detail(
    state: &AppState,
    viewer: &std::sync::Arc<super::actor::Viewer>,
    id: &str,
) -> ServiceResult<RequestDetail> {
    let row = get(state, &Actor::Person(viewer.clone()), id).await?;
    // The row was loaded in the scope the viewer may read it in: its own.
    let scope = Scope::new(row.organization_id.clone(), row.environment.clone());
    let organization_name = if row.organization_id != viewer.organization_id {
        state.store.get_organization(&row.organization_id).await?.map(|o| o.name)
    } else {
        Some(viewer.organization_name.clone())
    };
    let connection = match &row.connection_id {
        Some(c) => state.store.get_connection(&scope, c).await?,
        None => None,
    };
    let object_states = match &connection {
        Some(c) => state.store.object_states(&scope, &c.id).await?,
        None => vec![],
    };
    Ok(RequestDetail { row, organization_name, connection, object_states })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_prefix_becomes_an_index_range() {
        assert_eq!(prefix_successor("/acc").as_deref(), Some("/acd"));
        let scope = Scope::new("org_x", "sandbox");
        let f = RequestFilter { path: Some("/accounting".into()), ..Default::default() };
        let q = query(&f, &scope, 0).unwrap();
        assert_eq!(q.path_range, Some(("/accounting".into(), "/accountinh".into())));
        let bad = RequestFilter { path: Some("accounting x".into()), ..Default::default() };
        assert!(query(&bad, &scope, 0).unwrap_err().to_string().contains("not a path prefix"));
    }

    #[test]
    fn a_path_prefix_matches_the_templates_its_paths_can_have() {
        for (prefix, template) in [
            ("/accounting/inv", "/accounting/invoices/{id}"),
            ("/accounting/invoices/inv_12", "/accounting/invoices/{id}"),
            ("/accounting/invoices/", "/accounting/invoices/{id}"),
            ("/v2/ord", "/v2/orders/{id}/lines"),
            ("/v", "/v2/orders"),
            ("/v2", "/{id}/orders"),
            ("/orders/42/li", "/orders/{id}/lines"),
        ] {
            assert!(template_may_match(prefix, template), "{prefix} -> {template}");
        }
        for (prefix, template) in [
            ("/accounting/invoices/inv_12", "/accounting/invoices"),
            ("/payments", "/accounting/invoices"),
            ("/orders/42/li", "/orders/{id}/refunds"),
            ("/accounting/invoices/inv", "/accounting/invoice/{id}"),
        ] {
            assert!(!template_may_match(prefix, template), "{prefix} -/-> {template}");
        }
    }

    #[test]
    fn a_relative_range_ends_at_the_injected_now() {
        let scope = Scope::new("org_x", "sandbox");
        let f = RequestFilter { range: Some("1h".into()), ..Default::default() };
        let now = 1_800_000_000_000;
        let q = query(&f, &scope, now).unwrap();
        assert_eq!(q.from_id, Some(id_floor(prefix::REQUEST, now - 3_600_000)));
    }
}
