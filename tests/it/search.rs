//! Exact search (issue 21 item 4): the request log's answer to any combination of filters is
//! exactly what a scan of every row finds, in order, page after page and in both directions,
//! however rare or old the match: a property test over random filter combinations on both
//! databases, with rows whose `created_at` lies up to an hour from the time in their id (what
//! ingestion allows), since the rollups that guide the search count rows by `created_at`.

use super::helpers;
use switchboard::domain::request_filter::RequestFilter;
use switchboard::ids::{id_time_ms, make_id, prefix};
use switchboard::server::request_logs::{find, query};
use switchboard::server::store::{Page, RequestLogQuery, RequestLogRow, RequestLogSummaryRow, Scope};

/// A small deterministic generator (xorshift64*): failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    org: &str,
    id_ms: i64,
    created_at: i64,
    n: u128,
    platform: Option<&str>,
    method: &str,
    path: &str,
    status: i64,
    error: Option<&str>,
) -> RequestLogRow {
    RequestLogRow {
        id: make_id(prefix::REQUEST, id_ms, n),
        organization_id: org.into(),
        environment: "production".into(),
        connection_id: None,
        platform_id: platform.map(Into::into),
        api_key_prefix: None,
        method: method.into(),
        path: path.into(),
        query: None,
        status_code: status,
        status_class: status / 100,
        latency_ms: 40,
        error_code: error.map(Into::into),
        error_message: None,
        platform_error: None,
        error_confidence: None,
        request_headers: "{}".into(),
        request_body: None,
        response_body: None,
        response_truncated: false,
        upstream_calls: "[]".into(),
        idempotency_key: None,
        user_agent: None,
        source_ip: None,
        created_at,
        redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
    }
}

/// What a full scan decides for one row.
fn matches(q: &RequestLogQuery, r: &RequestLogSummaryRow) -> bool {
    q.connection_id.as_ref().is_none_or(|c| r.connection_id.as_ref() == Some(c))
        && q.platform_id.as_ref().is_none_or(|p| r.platform_id.as_ref() == Some(p))
        && q.method.as_ref().is_none_or(|m| *m == r.method)
        && q.status_class.is_none_or(|c| r.status_code / 100 == c)
        && q.status_code.is_none_or(|s| r.status_code == s)
        && q.error_code.as_ref().is_none_or(|e| r.error_code.as_ref() == Some(e))
        && q.path_range.as_ref().is_none_or(|(p, _)| r.path.starts_with(p.as_str()))
        && q.from_id.as_ref().is_none_or(|f| r.id >= *f)
        && q.to_id.as_ref().is_none_or(|t| r.id < *t)
}

fn pick(rng: &mut Rng, all: &[RequestLogSummaryRow]) -> RequestLogSummaryRow {
    all[rng.below(all.len())].clone()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[tokio::test]
async fn exact_search_equals_a_full_scan_on_random_filter_combinations() {
    for db in helpers::all().await {
        let store = db.store.as_ref();
        switchboard::server::seed::seed_demo(store, 3_000).await.unwrap();
        let acme = store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let now = helpers::now_ms();
        // Rare combinations, some weeks old, each created up to 59 minutes before or after the
        // time in its id, so its rollup hour is not its id's hour.
        let mut rng = Rng(0x5eed_0000_0000_0001);
        let mut extra = vec![];
        for n in 0..60u128 {
            let id_ms = now - (rng.below(40 * 24) as i64) * 3_600_000 - rng.below(3_600_000) as i64;
            let skew = (rng.below(2 * 59 * 60_000) as i64) - 59 * 60_000;
            let (platform, method, path, status, error) = [
                (Some("xero"), "PUT", "/accounting/journals/jr_81", 429, Some("rate-limited")),
                (Some("stripe"), "DELETE", "/payments/refunds/re_3", 502, Some("platform-unavailable")),
                (None, "PATCH", "/v2/orders/77/lines", 400, Some("invalid-params")),
                (Some("shopify"), "GET", "/commerce/v1/products", 200, None),
            ][n as usize % 4];
            extra.push(row(&acme.id, id_ms, id_ms + skew, 9_000 + n, platform, method, path, status, error));
        }
        store.insert_request_logs(&extra).await.unwrap();

        // Every row of the environment, newest first: the full scan.
        let mut all: Vec<RequestLogSummaryRow> = vec![];
        let mut q = RequestLogQuery {
            organization_id: acme.id.clone(),
            environment: "production".into(),
            limit: 1_000,
            ..Default::default()
        };
        loop {
            let rows = store.list_request_logs(&q).await.unwrap();
            let n = rows.len();
            if let Some(last) = rows.last() {
                q.page = Page::Before(last.id.clone());
            }
            all.extend(rows);
            if n < 1_000 {
                break;
            }
        }
        assert!(all.len() > 1_000, "{}: {} rows", db.name, all.len());

        let mut checked = 0;
        let mut with_matches = 0;
        for case in 0..160 {
            // Each filter from a random row, so combinations of values that each exist are
            // common, and their conjunction often rare or empty.
            let mut f = RequestFilter::default();
            let mut filters = 0;
            while filters < 2 {
                filters = 0;
                f = RequestFilter::default();
                if rng.chance(20) {
                    f.connection = pick(&mut rng, &all).connection_id;
                }
                if rng.chance(40) {
                    f.platform = pick(&mut rng, &all).platform_id;
                }
                if rng.chance(35) {
                    let s = pick(&mut rng, &all).status_code;
                    f.status = Some(if rng.chance(50) { format!("{}xx", s / 100) } else { s.to_string() });
                }
                if rng.chance(30) {
                    f.error_code = pick(&mut rng, &all).error_code;
                }
                if rng.chance(40) {
                    f.method = Some(pick(&mut rng, &all).method);
                }
                if rng.chance(40) {
                    let p = pick(&mut rng, &all).path;
                    let cut = 1 + rng.below(p.len());
                    f.path = Some(p[..cut].to_string());
                }
                if rng.chance(15) {
                    let (a, b) = (pick(&mut rng, &all).created_at, pick(&mut rng, &all).created_at);
                    f.from = Some(rfc3339(a.min(b)));
                    f.to = Some(rfc3339(a.max(b)));
                } else if rng.chance(10) {
                    f.range = Some("7d".into());
                }
                for set in [&f.connection, &f.platform, &f.status, &f.error_code, &f.method, &f.path] {
                    filters += usize::from(set.is_some());
                }
            }
            let mut q = match query(&f, &scope, now) {
                Ok(q) => q,
                Err(e) => panic!("{}: case {case} {f:?} was refused: {e}", db.name),
            };
            let expected: Vec<String> = all.iter().filter(|r| matches(&q, r)).map(|r| r.id.clone()).collect();
            let limit = 3 + rng.below(8) as i64;
            // Older pages from the first, as the page's cursor walks them.
            let mut got: Vec<String> = vec![];
            q.page = Page::First;
            loop {
                q.limit = limit + 1;
                let rows = find(store, &q).await.unwrap();
                assert!(rows.windows(2).all(|w| w[0].id > w[1].id), "{}: newest first", db.name);
                let more = rows.len() as i64 > limit;
                got.extend(rows.into_iter().take(limit as usize).map(|r| r.id));
                if !more {
                    break;
                }
                q.page = Page::Before(got.last().unwrap().clone());
            }
            assert_eq!(got, expected, "{}: case {case}: {f:?}", db.name);
            // A newer page from the middle: the `limit` oldest rows newer than the cursor.
            if expected.len() > 2 {
                let mid = expected.len() / 2;
                q.page = Page::After(expected[mid].clone());
                q.limit = limit;
                let newer: Vec<String> = find(store, &q).await.unwrap().into_iter().map(|r| r.id).collect();
                let want = expected[mid.saturating_sub(limit as usize)..mid].to_vec();
                assert_eq!(newer, want, "{}: case {case} newer page: {f:?}", db.name);
                with_matches += 1;
            }
            checked += 1;
        }
        assert_eq!(checked, 160);
        assert!(with_matches >= 20, "{}: only {with_matches} cases had matches", db.name);
        // A skewed row is found under its id's time, whatever hour its rollup counts it in.
        let skewed = &extra[0];
        let f = RequestFilter {
            platform: Some("xero".into()),
            method: Some("PUT".into()),
            status: Some("429".into()),
            from: Some(rfc3339(id_time_ms(&skewed.id).unwrap())),
            to: Some(rfc3339(id_time_ms(&skewed.id).unwrap())),
            ..Default::default()
        };
        let mut q = query(&f, &scope, now).unwrap();
        q.limit = 10;
        let found: Vec<String> = find(store, &q).await.unwrap().into_iter().map(|r| r.id).collect();
        assert!(found.contains(&skewed.id), "{}: the skewed row is found", db.name);
    }
}

/// The same for the delivery log: endpoint, status, event type, response class, connection and
/// time combined at random equal a scan of every delivery, whether the status counts' changes
/// are folded into the rollups yet or not.
#[tokio::test]
async fn exact_delivery_search_equals_a_full_scan_on_random_filter_combinations() {
    use switchboard::domain::DeliveryStatus;
    use switchboard::server::store::webhooks::{DeliveryListRow, DeliveryQuery};
    use switchboard::server::webhooks::delivery_log::find;
    for db in helpers::all().await {
        let store = db.store.as_ref();
        switchboard::server::seed::seed_demo(store, 500).await.unwrap();
        let acme = store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let mut all: Vec<DeliveryListRow> = vec![];
        let mut q = DeliveryQuery::new(scope.clone(), 200);
        loop {
            let rows = store.list_deliveries(&q).await.unwrap();
            let n = rows.len();
            if let Some(last) = rows.last() {
                q.page = Page::Before(last.delivery.id.clone());
            }
            all.extend(rows);
            if n < 200 {
                break;
            }
        }
        assert!(all.len() > 100, "{}: {} deliveries", db.name, all.len());
        let mut rng = Rng(0xde11_0000_0000_0002);
        let mut with_matches = 0;
        for case in 0..120 {
            if case == 60 {
                // The second half reads folded counts.
                while store.fold_outcome_deltas(5_000).await.unwrap().deltas > 0 {}
            }
            let mut q = DeliveryQuery::new(scope.clone(), 0);
            let mut filters = 0;
            while filters < 2 || (q.endpoint_id.is_none() && q.status.is_none()) {
                q = DeliveryQuery::new(scope.clone(), 0);
                let d = |rng: &mut Rng| all[rng.below(all.len())].delivery.clone();
                if rng.chance(50) {
                    q.endpoint_id = Some(d(&mut rng).endpoint_id);
                }
                if rng.chance(50) {
                    q.status = Some(if rng.chance(80) { d(&mut rng).status } else { DeliveryStatus::Failed });
                }
                if rng.chance(30) {
                    q.event_types = vec![d(&mut rng).event_type];
                }
                if rng.chance(25) {
                    q.status_class = d(&mut rng).status_class;
                }
                if rng.chance(20) {
                    q.connection_id = d(&mut rng).connection_id;
                }
                if rng.chance(20) {
                    let (a, b) = (d(&mut rng).id, d(&mut rng).id);
                    q.from_id = Some(a.clone().min(b.clone()));
                    q.to_id = Some(a.max(b));
                }
                filters = [
                    q.endpoint_id.is_some(),
                    q.status.is_some(),
                    !q.event_types.is_empty(),
                    q.status_class.is_some(),
                    q.connection_id.is_some(),
                ]
                .iter()
                .filter(|f| **f)
                .count();
            }
            let expected: Vec<String> = all
                .iter()
                .map(|r| &r.delivery)
                .filter(|d| {
                    q.endpoint_id.as_ref().is_none_or(|e| *e == d.endpoint_id)
                        && q.status.is_none_or(|s| s == d.status)
                        && (q.event_types.is_empty() || q.event_types.contains(&d.event_type))
                        && q.status_class.as_ref().is_none_or(|c| d.status_class.as_ref() == Some(c))
                        && q.connection_id.as_ref().is_none_or(|c| d.connection_id.as_ref() == Some(c))
                        && q.from_id.as_ref().is_none_or(|f| d.id >= *f)
                        && q.to_id.as_ref().is_none_or(|t| d.id < *t)
                })
                .map(|d| d.id.clone())
                .collect();
            let limit = 2 + rng.below(6) as i64;
            let mut got: Vec<String> = vec![];
            loop {
                q.limit = limit + 1;
                let rows = find(store, &q).await.unwrap();
                let more = rows.len() as i64 > limit;
                got.extend(rows.into_iter().take(limit as usize).map(|r| r.delivery.id));
                if !more {
                    break;
                }
                q.page = Page::Before(got.last().unwrap().clone());
            }
            assert_eq!(got, expected, "{}: case {case}: {q:?}", db.name);
            if expected.len() > 2 {
                let mid = expected.len() / 2;
                q.page = Page::After(expected[mid].clone());
                q.limit = limit;
                let newer: Vec<String> =
                    find(store, &q).await.unwrap().into_iter().map(|r| r.delivery.id).collect();
                assert_eq!(
                    newer,
                    expected[mid.saturating_sub(limit as usize)..mid].to_vec(),
                    "{}: case {case}",
                    db.name
                );
                with_matches += 1;
            }
        }
        assert!(with_matches >= 15, "{}: only {with_matches} cases had matches", db.name);
    }
}

/// The live tail (`GET /requests/live`) sends each new request matching the page's filters once,
/// from the viewer's own organization and environment only; a bad filter is refused with its
/// message before anything streams, and nobody signed out gets a stream.
#[tokio::test]
async fn the_live_tail_streams_new_matching_requests_of_its_own_organization_only() {
    use crate::http::{app, body, get, send, sign_in, Streamed};
    use axum::http::{header, StatusCode};
    for db in helpers::all().await {
        let app = app(&db).await;
        let store = db.store.as_ref();
        let cookie = sign_in(&app, "owner@globex.test").await;
        let globex = store.get_organization("globex").await.unwrap().unwrap();
        let acme = store.get_organization("acme").await.unwrap().unwrap();

        let bad = send(&app, get("/requests/live?status=6xx", Some(&cookie))).await;
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST, "{}", db.name);
        assert!(body(bad).await.contains("6xx"), "{}: the message names the filter", db.name);
        let out = send(&app, get("/requests/live", None)).await;
        assert!(out.status().is_redirection() || out.status() == StatusCode::UNAUTHORIZED, "{}", db.name);

        let res = send(&app, get("/requests/live?status=5xx", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", db.name);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream", "{}", db.name);
        let mut stream = Streamed::new(res);
        let caught_up = stream.until("event: ready", std::time::Duration::from_secs(20)).await;
        assert!(caught_up.contains("event: ready"), "{}: the stream says when it has caught up", db.name);
        let now = helpers::now_ms();
        let rows = [
            row(
                &acme.id,
                now,
                now,
                1,
                Some("xero"),
                "GET",
                "/accounting/invoices",
                503,
                Some("platform-unavailable"),
            ),
            row(&globex.id, now, now, 2, Some("xero"), "POST", "/accounting/bills", 200, None),
            row(
                &globex.id,
                now,
                now,
                3,
                Some("xero"),
                "GET",
                "/accounting/invoices",
                502,
                Some("platform-unavailable"),
            ),
        ];
        store.insert_request_logs(&rows).await.unwrap();
        let text =
            stream.until(&format!("\"id\":\"{}\"", rows[2].id), std::time::Duration::from_secs(20)).await;
        assert!(text.contains(&format!("id: {}", rows[2].id)), "{}: the new 5xx arrives:\n{text}", db.name);
        assert_eq!(text.matches(&rows[2].id).count(), 2, "{}: once (its id line and its data)", db.name);
        assert!(!text.contains(&rows[0].id), "{}: another organization's request never streams", db.name);
        assert!(!text.contains(&rows[1].id), "{}: a request the filters exclude does not stream", db.name);
    }
}
