//! Every keyset list query (request logs, connections, a connection's sync history, backfills,
//! API keys) must be served by an index on both databases, never a full scan of its table nor
//! a sort of every match, whatever combination of filters it has. The plans are of the very
//! queries the pages run: both are built by the same functions (`AdminStore::explain`).

use crate::helpers;
use crate::helpers::now_ms;
use switchboard::ids::{id_floor, prefix};
use switchboard::server::seed;
use switchboard::server::store::sync::SyncRunQuery;
use switchboard::server::store::webhooks::DeliveryQuery;
use switchboard::server::store::{AuditQuery, ConnectionFilter, ListQuery, Page, RequestLogQuery, Scope};

fn request_log_shapes(org: &str) -> Vec<(&'static str, ListQuery)> {
    let base = RequestLogQuery {
        organization_id: org.into(),
        environment: "production".into(),
        limit: 51,
        ..Default::default()
    };
    let day_ago = id_floor(prefix::REQUEST, now_ms() - 86_400_000);
    let cursor = id_floor(prefix::REQUEST, now_ms() - 3_600_000);
    vec![
        ("no filter", base.clone()),
        ("request id", RequestLogQuery { request_id: Some(cursor.clone()), ..base.clone() }),
        ("connection", RequestLogQuery { connection_id: Some("conn_x".into()), ..base.clone() }),
        ("platform", RequestLogQuery { platform_id: Some("xero".into()), ..base.clone() }),
        ("status class", RequestLogQuery { status_class: Some(5), ..base.clone() }),
        ("exact status", RequestLogQuery { status_code: Some(429), ..base.clone() }),
        ("error code", RequestLogQuery { error_code: Some("rate-limited".into()), ..base.clone() }),
        ("method", RequestLogQuery { method: Some("POST".into()), ..base.clone() }),
        (
            "path prefix",
            RequestLogQuery {
                path_range: Some(("/accounting/invoices".into(), "/accounting/invoicet".into())),
                ..base.clone()
            },
        ),
        ("time range", RequestLogQuery { from_id: Some(day_ago.clone()), ..base.clone() }),
        ("older page", RequestLogQuery { page: Page::Before(cursor.clone()), ..base.clone() }),
        ("newer page", RequestLogQuery { page: Page::After(cursor.clone()), ..base.clone() }),
        (
            "connection + 5xx",
            RequestLogQuery { connection_id: Some("conn_x".into()), status_class: Some(5), ..base.clone() },
        ),
        (
            "platform + error code",
            RequestLogQuery {
                platform_id: Some("stripe".into()),
                error_code: Some("invalid-params".into()),
                ..base.clone()
            },
        ),
        (
            "4xx + last 24 h",
            RequestLogQuery { status_class: Some(4), from_id: Some(day_ago.clone()), ..base.clone() },
        ),
        (
            // What exact search reads: only the hours the rollups name, one range a branch.
            "platform + PUT in two hour ranges",
            RequestLogQuery {
                platform_id: Some("xero".into()),
                method: Some("PUT".into()),
                id_ranges: vec![
                    (day_ago.clone(), id_floor(prefix::REQUEST, now_ms() - 82_800_000)),
                    (cursor.clone(), id_floor(prefix::REQUEST, now_ms())),
                ],
                ..base.clone()
            },
        ),
    ]
    .into_iter()
    // As the pages run them (`request_logs::find`): a filter checked on index entries reads
    // only the hours the rollups name, a range each.
    .map(|(name, q)| {
        let id_ranges = if q.has_residual_filters() && q.id_ranges.is_empty() {
            vec![(day_ago.clone(), id_floor(prefix::REQUEST, now_ms() - 82_800_000))]
        } else {
            q.id_ranges.clone()
        };
        (name, ListQuery::RequestLogs(RequestLogQuery { id_ranges, ..q }))
    })
    .collect()
}

fn other_list_shapes(scope: &Scope, connection_id: &str) -> Vec<(&'static str, ListQuery)> {
    let since = now_ms() - 86_400_000;
    let conn_cursor = id_floor(prefix::CONNECTION, now_ms() - 86_400_000);
    let connections = |filter: ConnectionFilter, page: Page| ListQuery::Connections {
        scope: scope.clone(),
        filter,
        page,
        limit: 51,
        since,
    };
    let run_cursor = id_floor(prefix::SYNC_RUN, now_ms() - 86_400_000);
    let week_ago = id_floor(prefix::SYNC_RUN, now_ms() - 7 * 86_400_000);
    let runs = |query: SyncRunQuery| ListQuery::SyncRuns {
        scope: scope.clone(),
        connection_id: Some(connection_id.to_string()),
        query: SyncRunQuery { limit: 51, ..query },
    };
    // The environment's runs (`/sync-runs`).
    let all_runs = |query: SyncRunQuery| ListQuery::SyncRuns {
        scope: scope.clone(),
        connection_id: None,
        query: SyncRunQuery { limit: 51, ..query },
    };
    let audit = |action: Option<&str>, actor: Option<&str>, page: Page| {
        ListQuery::Audit(AuditQuery {
            organization_id: scope.organization_id.clone(),
            action: action.map(|a| switchboard::domain::AuditAction::parse(a).expect("an audit action")),
            actor_email: actor.map(str::to_string),
            page,
            limit: 51,
        })
    };
    let backfills = |status: Option<&str>, page: Page| ListQuery::Backfills {
        scope: scope.clone(),
        status: status.map(str::to_string),
        page,
        limit: 51,
    };
    let dq = DeliveryQuery::new(scope.clone(), 51);
    let deliveries = ListQuery::WebhookDeliveries;
    vec![
        ("connections: no filter", connections(ConnectionFilter::default(), Page::First)),
        (
            "connections: several statuses",
            connections(
                ConnectionFilter {
                    statuses: vec!["degraded".into(), "needs_reauth".into()],
                    ..Default::default()
                },
                Page::First,
            ),
        ),
        (
            "connections: platform",
            connections(
                ConnectionFilter { platform_id: Some("xero".into()), ..Default::default() },
                Page::First,
            ),
        ),
        (
            "connections: integration type",
            connections(
                ConnectionFilter { integration_type: Some("commerce".into()), ..Default::default() },
                Page::First,
            ),
        ),
        (
            "connections: text",
            connections(ConnectionFilter { text: Some("acme".into()), ..Default::default() }, Page::First),
        ),
        (
            "connections: exact ids",
            connections(
                ConnectionFilter { ids: vec![connection_id.to_string()], ..Default::default() },
                Page::First,
            ),
        ),
        (
            "connections: behind",
            connections(ConnectionFilter { behind: true, ..Default::default() }, Page::First),
        ),
        (
            "connections: older page",
            connections(ConnectionFilter::default(), Page::Before(conn_cursor.clone())),
        ),
        ("connections: newer page", connections(ConnectionFilter::default(), Page::After(conn_cursor))),
        ("sync runs: no filter", runs(SyncRunQuery::default())),
        (
            "sync runs: object",
            runs(SyncRunQuery { data_object: Some("invoices".into()), ..Default::default() }),
        ),
        ("sync runs: status", runs(SyncRunQuery { status: Some("failed".into()), ..Default::default() })),
        ("sync runs: kind", runs(SyncRunQuery { kind: Some("backfill".into()), ..Default::default() })),
        (
            "sync runs: time range",
            runs(SyncRunQuery {
                from_id: Some(week_ago),
                to_id: Some(run_cursor.clone()),
                ..Default::default()
            }),
        ),
        (
            "sync runs: older page",
            runs(SyncRunQuery { page: Page::Before(run_cursor.clone()), ..Default::default() }),
        ),
        ("environment's runs: no filter", all_runs(SyncRunQuery::default())),
        (
            "environment's runs: status",
            all_runs(SyncRunQuery { status: Some("failed".into()), ..Default::default() }),
        ),
        (
            "environment's runs: object",
            all_runs(SyncRunQuery { data_object: Some("invoices".into()), ..Default::default() }),
        ),
        (
            "environment's runs: status and time range",
            all_runs(SyncRunQuery {
                status: Some("failed".into()),
                from_id: Some(id_floor(prefix::SYNC_RUN, now_ms() - 7 * 86_400_000)),
                to_id: Some(run_cursor.clone()),
                ..Default::default()
            }),
        ),
        (
            "environment's runs: older page",
            all_runs(SyncRunQuery { page: Page::Before(run_cursor), ..Default::default() }),
        ),
        ("backfills: no filter", backfills(None, Page::First)),
        ("backfills: status", backfills(Some("running"), Page::First)),
        ("backfills: older page", backfills(None, Page::Before(id_floor(prefix::BACKFILL, now_ms())))),
        ("api keys", ListQuery::ApiKeys { scope: scope.clone(), page: Page::First, limit: 51 }),
        ("deliveries: no filter", deliveries(DeliveryQuery { ..dq.clone() })),
        (
            "deliveries: endpoint",
            deliveries(DeliveryQuery { endpoint_id: Some("ep_x".into()), ..dq.clone() }),
        ),
        (
            "deliveries: event type",
            deliveries(DeliveryQuery { event_types: vec!["sync.completed".into()], ..dq.clone() }),
        ),
        (
            "deliveries: several event types",
            deliveries(DeliveryQuery {
                event_types: vec!["sync.completed".into(), "backfill.completed".into()],
                ..dq.clone()
            }),
        ),
        (
            "deliveries: connection",
            deliveries(DeliveryQuery { connection_id: Some(connection_id.into()), ..dq.clone() }),
        ),
        (
            "deliveries: status",
            deliveries(DeliveryQuery {
                status: Some(switchboard::domain::DeliveryStatus::Failed),
                ..dq.clone()
            }),
        ),
        (
            "deliveries: response class",
            deliveries(DeliveryQuery { status_class: Some("5xx".into()), ..dq.clone() }),
        ),
        (
            "deliveries: time range",
            deliveries(DeliveryQuery {
                from_id: Some(id_floor(prefix::DELIVERY, now_ms() - 86_400_000)),
                to_id: Some(id_floor(prefix::DELIVERY, now_ms())),
                ..dq.clone()
            }),
        ),
        (
            "deliveries: connection and status, older page",
            deliveries(DeliveryQuery {
                connection_id: Some(connection_id.into()),
                status: Some(switchboard::domain::DeliveryStatus::Retrying),
                page: Page::Before(id_floor(prefix::DELIVERY, now_ms())),
                ..dq.clone()
            }),
        ),
        (
            // Exact search: only the hours the delivery rollups name, one range a branch.
            "deliveries: endpoint and failed in two hour ranges",
            deliveries(DeliveryQuery {
                connection_id: Some(connection_id.into()),
                status: Some(switchboard::domain::DeliveryStatus::Failed),
                id_ranges: vec![
                    (
                        id_floor(prefix::DELIVERY, now_ms() - 86_400_000),
                        id_floor(prefix::DELIVERY, now_ms() - 82_800_000),
                    ),
                    (id_floor(prefix::DELIVERY, now_ms() - 3_600_000), id_floor(prefix::DELIVERY, now_ms())),
                ],
                ..dq.clone()
            }),
        ),
        ("audit: no filter", audit(None, None, Page::First)),
        ("audit: action", audit(Some("sync_config.save"), None, Page::First)),
        ("audit: person", audit(None, Some("owner@acme.test"), Page::First)),
        (
            "audit: action and person, older page",
            audit(
                Some("backfill.create"),
                Some("dev@acme.test"),
                Page::Before(id_floor(prefix::AUDIT, now_ms())),
            ),
        ),
    ]
}

/// A SQLite plan line that reads a whole table, or sorts every match of a list, instead of
/// walking an index in the list's order.
fn sqlite_problem(line: &str) -> bool {
    let scans_table = line.trim_start().starts_with("SCAN")
        && !line.contains("USING INDEX")
        && !line.contains("USING COVERING INDEX")
        && !line.contains("USING INTEGER PRIMARY KEY");
    scans_table || line.contains("TEMP B-TREE FOR ORDER BY")
}

/// A PostgreSQL plan line that sorts what a bitmap scan found: every match of the filters,
/// where an index read in id order stops after a page.
fn pg_sorts_every_match(line: &str) -> bool {
    let node = line.trim_start().trim_start_matches("->").trim_start();
    node.starts_with("Sort  (") || node.starts_with("Incremental Sort  (")
}

#[tokio::test]
async fn every_list_query_uses_an_index() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 2_000).await.unwrap();
        db.store.analyze().await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let connection = db.store.list_connections(&scope, &Page::First, 1).await.unwrap().remove(0);
        let shapes =
            request_log_shapes(&acme.id).into_iter().chain(other_list_shapes(&scope, &connection.id));
        for (name, q) in shapes {
            let plan = db.store.explain(&q).await.unwrap();
            let text = plan.join("\n");
            // The request log is the one list that grows without bound: no sort of its matches.
            let sorts =
                matches!(q, ListQuery::RequestLogs(_)) && plan.iter().any(|l| pg_sorts_every_match(l));
            match db.name {
                "sqlite" => {
                    for (i, line) in plan.iter().enumerate() {
                        // Exact search's branches (`b0`, `b1`, ...): each an index range with its
                        // own limit, so the merge sorts at most that many rows a branch.
                        let branch = |l: &str| {
                            l.trim_start()
                                .strip_prefix("SCAN b")
                                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                        };
                        if branch(line) || (i > 0 && branch(&plan[i - 1]) && line.contains("TEMP B-TREE")) {
                            continue;
                        }
                        assert!(
                            !sqlite_problem(line),
                            "{}: {name}: full scan or sort in plan:\n{text}",
                            db.name
                        );
                    }
                }
                _ => assert!(
                    !text.contains("Seq Scan") && !sorts,
                    "{}: {name}: sequential scan or a sort of every match in plan:\n{text}",
                    db.name
                ),
            }
            eprintln!("{} / {name}:\n{text}\n", db.name);
        }
    }
}
