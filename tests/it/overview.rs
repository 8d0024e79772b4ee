//! The Overview (issue 21 item 2) counts exactly what the rows hold in its window, for every
//! range and environment, on both databases; its bars link to lists that count the same; the
//! range and environment live in the URL; another organization sees only its own figures.

use crate::helpers::{self, TestDb};
use crate::http::{app, body, get, send, sign_in};
use axum::http::StatusCode;
use switchboard::domain::failures::FailureRange;
use switchboard::domain::overview::{OverviewReport, DELIVERY_STATUSES};
use switchboard::domain::sync_runs::RUN_STATUSES;
use switchboard::server::actor::Actor;
use switchboard::server::store::Scope;

async fn truth(db: &TestDb, scope: &Scope, sql: &str, r: &OverviewReport) -> i64 {
    helpers::count(
        db,
        &format!(
            "SELECT COUNT(*) FROM {sql} AND organization_id = '{}' AND environment = '{}'",
            scope.organization_id, scope.environment
        )
        .replace("$from", &r.from.to_string())
        .replace("$to", &r.to.to_string()),
    )
    .await
}

async fn check(db: &TestDb, scope: &Scope, r: &OverviewReport) {
    let what = format!("{}: {} {}", db.name, scope.environment, r.range.as_str());
    // 24 hours, the 6-hour bins of today and the 6 days before (25 to 28), 30 days.
    let bins = r.bins();
    match r.range {
        FailureRange::Day => assert_eq!(bins, 24, "{what}"),
        FailureRange::Week => assert!((25..=28).contains(&bins), "{what}: {bins} bins"),
        FailureRange::Month => assert_eq!(bins, 30, "{what}"),
    }
    assert_eq!(r.bin_end(bins - 1), r.to, "{what}: the last bin ends with the range");
    for class in 1..=5 {
        let counted: i64 = r.requests.iter().map(|b| b[class - 1]).sum();
        let rows = truth(
            db,
            scope,
            &format!(
                "request_logs WHERE created_at >= $from AND created_at < $to AND status_code >= {} AND status_code < {}",
                class * 100,
                class * 100 + 100
            ),
            r,
        )
        .await;
        assert_eq!(counted, rows, "{what}: {class}xx requests");
    }
    for (status, counted) in RUN_STATUSES.iter().map(|s| (s, r.runs_with(s))) {
        let rows = truth(
            db,
            scope,
            &format!("sync_runs WHERE queued_at >= $from AND queued_at < $to AND status = '{status}'"),
            r,
        )
        .await;
        assert_eq!(counted, rows, "{what}: {status} runs");
    }
    for (status, counted) in DELIVERY_STATUSES.iter().map(|s| (s, r.deliveries_with(s))) {
        let rows = truth(
            db,
            scope,
            &format!(
                "webhook_deliveries WHERE created_at >= $from AND created_at < $to AND status = '{status}'"
            ),
            r,
        )
        .await;
        assert_eq!(counted, rows, "{what}: {status} deliveries");
    }
    let connections = truth(db, scope, "connections WHERE 1 = 1", r).await;
    assert_eq!(r.connections_by_status.iter().map(|(_, n)| n).sum::<i64>(), connections, "{what}");
    for (p50, p95) in r.p50.iter().zip(&r.p95) {
        assert_eq!(p50.is_some(), p95.is_some(), "{what}");
        if let (Some(a), Some(b)) = (p50, p95) {
            assert!(a <= b, "{what}: p50 {a} > p95 {b}");
        }
    }
}

#[tokio::test]
async fn the_overview_counts_what_the_rows_hold_and_links_to_the_same_rows() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let state = switchboard::server::http::app_state(
            crate::http::settings(&db, "http://console.test"),
            db.store.clone(),
        );
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let mut acme_week = None;
        for scope in [
            Scope::new(acme.id.clone(), "production"),
            Scope::new(acme.id.clone(), "sandbox"),
            Scope::new(globex.id.clone(), "production"),
        ] {
            let actor = Actor::System { name: "test".into(), scope: scope.clone() };
            for range in FailureRange::ALL {
                let r = switchboard::server::overview::report(&state, &actor, "Org", range).await.unwrap();
                check(&db, &scope, &r).await;
                // The Errors page over the same range agrees with the Overview's figures.
                let errors = switchboard::server::failures::report(
                    &state,
                    &actor,
                    range,
                    switchboard::domain::failures::FailureSort::Count,
                )
                .await
                .unwrap();
                assert_eq!((errors.from, errors.to), (r.from, r.to), "{}: one window", db.name);
                assert_eq!(
                    (errors.failed, errors.requests),
                    (r.requests_failed(), r.requests_total()),
                    "{}: {} {}: the Errors page and the Overview count the same failures",
                    db.name,
                    scope.environment,
                    range.as_str()
                );
                for g in &errors.groups {
                    assert_eq!(g.trend.iter().sum::<i64>(), g.count, "{}: a trend adds up", db.name);
                    assert!(g.first_seen >= r.from && g.last_seen < r.to, "{}: {g:?}", db.name);
                }
                if scope.organization_id == acme.id
                    && scope.environment == "production"
                    && range == FailureRange::Week
                {
                    assert!(
                        r.requests_total() > 0 && r.runs_with("failed") > 0,
                        "{}: the demo is busy",
                        db.name
                    );
                    acme_week = Some(r);
                }
            }
        }
        let week = acme_week.unwrap();

        // A bar opens the list it counts: the busiest bin of failed runs, on /sync-runs.
        let (bin, failed) = week
            .runs
            .iter()
            .map(|b| b[RUN_STATUSES.iter().position(|s| *s == "failed").unwrap()])
            .enumerate()
            .max_by_key(|(_, n)| *n)
            .unwrap();
        assert!(failed > 0, "{}", db.name);
        let minute = |ms: i64| switchboard::domain::request_filter::format_url_time(ms);
        let (from, to) = (minute(week.bin_start(bin)), minute(week.bin_end(bin) - 60_000));
        let actor = Actor::System { name: "test".into(), scope: Scope::new(acme.id.clone(), "production") };
        let listed = switchboard::server::sync_runs::environment_runs(
            &state,
            &actor,
            &switchboard::server::sync_runs::HistoryFilters {
                status: "failed".into(),
                from: from.clone(),
                to: to.clone(),
                ..Default::default()
            },
            None,
            None,
            1_000,
        )
        .await
        .unwrap();
        assert_eq!(listed.rows.len() as i64, failed, "{}: the bar and its list agree", db.name);
        assert!(listed.rows.iter().all(|r| r.status.as_str() == "failed"), "{}", db.name);

        // Pages: the range and environment are in the URL, the bars are links, bad values are named.
        let owner = sign_in(&app, "owner@acme.test").await;
        let res = send(&app, get("/?range=7d", Some(&owner))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page = body(res).await;
        assert!(page.contains("Acme Corp · Production · last 7 days"), "{}", db.name);
        for chart in ["requests", "error-rate", "latency", "sync-runs", "deliveries"] {
            assert!(page.contains(&format!("data-testid=\"chart-{chart}\"")), "{}: chart {chart}", db.name);
            assert!(
                page.contains(&format!("data-testid=\"chart-table-{chart}\"")),
                "{}: table {chart}",
                db.name
            );
        }
        let link = format!("/sync-runs?status=failed&amp;from={from}&amp;to={to}&amp;environment=production");
        assert!(page.contains(&link), "{}: the failed-runs bar links {link}", db.name);
        let res = send(&app, get(&link.replace("&amp;", "&"), Some(&owner))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let list = body(res).await;
        assert_eq!(list.matches("data-run-id=\"").count() as i64, failed.min(50), "{}", db.name);

        let bad = body(send(&app, get("/?range=1y", Some(&owner))).await).await;
        assert!(bad.contains("Unknown range") && bad.contains("1y"), "{}", db.name);
        let bad = body(send(&app, get("/?environment=mars", Some(&owner))).await).await;
        assert!(bad.contains("Unknown environment"), "{}", db.name);

        // The environment in the URL switches the session, as the switcher does.
        let sandbox = body(send(&app, get("/?environment=sandbox", Some(&owner))).await).await;
        assert!(sandbox.contains("Acme Corp · Sandbox · last 24 hours"), "{}", db.name);
        let after = body(send(&app, get("/", Some(&owner))).await).await;
        assert!(after.contains("Acme Corp · Sandbox · last 24 hours"), "{}: the session followed", db.name);

        // Another organization's owner sees Globex's figures only, whatever the URL says.
        let theirs = sign_in(&app, "owner@globex.test").await;
        let page = body(send(&app, get("/?range=30d&environment=production", Some(&theirs))).await).await;
        assert!(page.contains("Globex") && !page.contains("Acme Corp"), "{}", db.name);
        let globex_month = switchboard::server::overview::report(
            &state,
            &Actor::System { name: "test".into(), scope: Scope::new(globex.id.clone(), "production") },
            "Globex",
            FailureRange::Month,
        )
        .await
        .unwrap();
        let shown = page
            .split("data-testid=\"stat-requests\"")
            .nth(1)
            .and_then(|rest| rest.split_once('>'))
            .map(|(_, rest)| rest.split('<').next().unwrap_or_default().to_string())
            .unwrap_or_default();
        assert_eq!(
            shown,
            switchboard::features::ui::format_count(globex_month.requests_total()),
            "{}: Globex's requests",
            db.name
        );
    }
}
