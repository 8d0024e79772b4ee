//! The webhook delivery log: one implementation of "deliveries matching these filters" for the
//! log page, an endpoint's page, a connection's Webhooks tab and `GET /api/v1/webhook-deliveries`.

use crate::domain::delivery_filter::{DeliveryFilters, CLASSES, RANGES};
use crate::domain::request_filter::parse_time_range;
use crate::domain::DeliveryStatus;
use crate::domain::EVENT_TYPES;
use crate::ids::{id_floor, id_time_ms, parse_id, prefix};
use crate::server::actor::Actor;
use crate::server::hour_walk::{HourWalk, TimeRange};
use crate::server::service::{ServiceError, ServiceResult};
use crate::server::store::rollups::OutcomeKind;
use crate::server::store::webhooks::{DeliveryDetailRow, DeliveryListRow, DeliveryQuery};
use crate::server::store::WebhookAttemptRow;
use crate::server::store::{keyset_window, ObjectKind, Page, Scope};
use crate::server::store::{Store, StoreResult};
use crate::server::AppState;
use std::collections::VecDeque;

/// One page of deliveries, newest first.
pub struct DeliveryList {
    pub rows: Vec<DeliveryListRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// The organization and environment the log was read in (staff may read another's).
    pub scope: Scope,
}

/// `limit` deliveries of `page` matching `filters`. A connection or endpoint filter names the
/// scope: for a person, one of another organization is "not found" (staff may look, audited);
/// a key only ever reads its own environment.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    filters: &DeliveryFilters,
    page: Page,
    limit: i64,
) -> ServiceResult<DeliveryList> {
    let id_of = |kind: &'static str, label: &str, v: &str| -> ServiceResult<Option<String>> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        parse_id(kind, v)
            .map(Some)
            .map_err(|e| ServiceError::invalid(format!("{label}: {v:?} is not a valid ID: {e}.")))
    };
    let connection = id_of(prefix::CONNECTION, "Connection", &filters.connection)?;
    let endpoint = id_of(prefix::WEBHOOK_ENDPOINT, "Endpoint", &filters.endpoint)?;
    let scope = match (&connection, &endpoint) {
        (Some(c), _) => actor.scope_for(state, ObjectKind::Connection, c).await?,
        (None, Some(e)) => actor.scope_for(state, ObjectKind::WebhookEndpoint, e).await?,
        _ => actor.scope(),
    };
    let mut q = query(filters, scope.clone(), state.clock.now_ms(), limit + 1)?;
    q.endpoint_id = endpoint;
    q.connection_id = connection;
    q.page = page;
    let rows = find(state.store.as_ref(), &q).await?;
    let (rows, newer, older) = keyset_window(rows, &q.page, limit, |r| r.delivery.id.clone());
    Ok(DeliveryList { rows, newer, older, scope })
}

/// Up to `q.limit` deliveries of the query's page, newest first: exactly what a scan of every
/// delivery finds. An endpoint or status beside other filters can be rare in the index that
/// drives the query (a healthy endpoint's failures: the whole endpoint read to find none), so
/// then the delivery rollups (per hour, endpoint and status, as statuses are now) say which
/// hours hold matches and only those are read ([`HourWalk`]). A delivery's id is minted from its
/// `created_at`, the time its rollup hour comes from, so the hours need no widening.
pub async fn find(store: &dyn Store, q: &DeliveryQuery) -> StoreResult<Vec<DeliveryListRow>> {
    let filters = [
        q.connection_id.is_some(),
        q.endpoint_id.is_some(),
        !q.event_types.is_empty(),
        q.status.is_some(),
        q.status_class.is_some(),
    ];
    let guided =
        (q.endpoint_id.is_some() || q.status.is_some()) && filters.iter().filter(|f| **f).count() > 1;
    if !guided {
        return store.list_deliveries(q).await;
    }
    let Some((oldest, newest)) = store.delivery_span(&q.scope).await? else { return Ok(vec![]) };
    let time = |id: &str| id_time_ms(id).unwrap_or(0);
    let (lo, hi) = crate::server::request_logs::reach(
        time(&oldest),
        time(&newest) + 1,
        q.from_id.as_deref().map(time),
        q.to_id.as_deref().map(time),
        &q.page,
    );
    let status = q.status.map(|s| s.as_str());
    let mut walk = HourWalk::new(lo, hi, matches!(q.page, Page::After(_)), 0);
    let mut rows: Vec<DeliveryListRow> = Vec::new();
    while (rows.len() as i64) < q.limit {
        let Some((from_hour, to_hour)) = walk.next_span() else { break };
        let mut hours: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        for c in store.outcome_rollups(&q.scope, OutcomeKind::Delivery, from_hour, to_hour).await? {
            let endpoint_ok = q.endpoint_id.as_ref().is_none_or(|e| *e == c.subject);
            if endpoint_ok && status.is_none_or(|s| s == c.status) && c.total > 0 {
                *hours.entry(c.hour).or_default() += c.total;
            }
        }
        let mut ranges: VecDeque<TimeRange> = walk.ranges(hours.into_iter().collect()).into();
        while !ranges.is_empty() && (rows.len() as i64) < q.limit {
            let needed = q.limit - rows.len() as i64;
            let id_ranges = walk
                .batch(&mut ranges, needed)
                .iter()
                .map(|r| (id_floor(prefix::DELIVERY, r.from), id_floor(prefix::DELIVERY, r.to)))
                .collect();
            rows.extend(
                store.list_deliveries(&DeliveryQuery { id_ranges, limit: needed, ..q.clone() }).await?,
            );
        }
    }
    rows.sort_by(|x, y| y.delivery.id.cmp(&x.delivery.id));
    Ok(rows)
}

/// Validates the type, status, response-class and time filters into a first-page store query
/// of `scope` (the endpoint and connection ids, whose scope [`list`] checks, are set there).
pub fn query(
    filters: &DeliveryFilters,
    scope: Scope,
    now_ms: i64,
    limit: i64,
) -> ServiceResult<DeliveryQuery> {
    let f = filters;
    let pick = crate::domain::one_of;
    let mut types = vec![];
    for t in f.types.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !EVENT_TYPES.iter().any(|e| e.0 == t) {
            return Err(ServiceError::invalid(format!(
                "Event type: {t:?} is not an event Switchboard sends."
            )));
        }
        types.push(t.to_string());
    }
    let classes: Vec<&str> = CLASSES.iter().map(|c| c.0).collect();
    let hours = match f.range.trim() {
        "" => None,
        r => Some(RANGES.iter().find(|x| x.0 == r).map(|x| x.2).ok_or_else(|| {
            ServiceError::invalid(format!("Time: {r:?} is not a range; choose 1h, 24h, 7d or 30d."))
        })?),
    };
    let (from_ms, to_ms) = parse_time_range(Some(&f.from), Some(&f.to))?;
    let from_id = match (from_ms, to_ms) {
        (None, None) => hours.map(|h| id_floor(prefix::DELIVERY, now_ms - h * 3_600_000)),
        (from, _) => from.map(|t| id_floor(prefix::DELIVERY, t)),
    };
    Ok(DeliveryQuery {
        event_types: types,
        status: pick(
            "status",
            &f.status,
            &DeliveryStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        )?
        .and_then(|s| DeliveryStatus::parse(&s)),
        status_class: pick("response class", &f.class, &classes)?,
        from_id,
        to_id: to_ms.map(|t| id_floor(prefix::DELIVERY, t + 1)),
        ..DeliveryQuery::new(scope, limit)
    })
}

/// One delivery with its attempts, oldest attempt first, for a person who may see it (staff
/// look in from outside, audited).
pub async fn get(
    state: &AppState,
    viewer: &crate::server::actor::Viewer,
    id: &str,
) -> ServiceResult<(DeliveryDetailRow, Vec<WebhookAttemptRow>)> {
    let id = crate::ids::parse_id(prefix::DELIVERY, id)
        .map_err(|e| ServiceError::invalid(format!("{id:?} is not a webhook delivery ID: {e}.")))?;
    let scope = crate::server::access::scope_for(state, viewer, ObjectKind::WebhookDelivery, &id).await?;
    let d = state.store.get_delivery(&scope, &id).await?.ok_or_else(|| {
        ServiceError::not_found(format!("No webhook delivery {id} was found in your organization."))
    })?;
    let attempts = state.store.delivery_attempts(&id).await?;
    Ok((d, attempts))
}
