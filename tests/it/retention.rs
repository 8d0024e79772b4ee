//! Retention (issue 21 item 7): an organization keeps 7, 30 or 90 days (30 by default; the
//! demo 90), only owners and admins change it, audited; the purge deletes exactly what is
//! older, in one organization only, keeps each data object's latest run and events still being
//! delivered, and leaves the rollups (charts outlive rows); both databases.

use crate::helpers::{self, TestDb};
use crate::http::{app, body, post_form, send, sign_in, HOST};
use axum::http::{header, StatusCode};
use switchboard::server::store::rollups::OutcomeKind;
use switchboard::server::store::Scope;

const DAY: i64 = 86_400_000;

async fn call(app: &axum::Router, form: &str, cookie: &str) -> (StatusCode, String) {
    let mut req = post_form("/api/save_retention", form, Some(cookie), Some(&format!("http://{HOST}")));
    req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = send(app, req).await;
    let status = res.status();
    (status, body(res).await)
}

async fn older(db: &TestDb, table: &str, time: &str, org: &str, before: i64) -> i64 {
    helpers::count(
        db,
        &format!("SELECT COUNT(*) FROM {table} WHERE organization_id = '{org}' AND {time} < {before}"),
    )
    .await
}

#[tokio::test]
async fn the_purge_deletes_what_is_past_each_organizations_retention_and_nothing_else() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        assert_eq!(
            db.store.retention_days(&acme.id).await.unwrap(),
            Some(90),
            "{}: the demo keeps 90 days",
            db.name
        );

        // Only owners and admins change it; a bad value is named; the change is audited.
        let dev = sign_in(&app, "dev@acme.test").await;
        let (s, b) = call(&app, "days=7", &dev).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{}: {b}", db.name);
        let owner = sign_in(&app, "owner@acme.test").await;
        let (s, b) = call(&app, "days=14", &owner).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{}: {b}", db.name);
        assert!(b.contains("14") && b.contains("7, 30 or 90"), "{}: {b}", db.name);
        assert_eq!(
            db.store.retention_days(&acme.id).await.unwrap(),
            Some(90),
            "{}: nothing changed",
            db.name
        );
        let (s, b) = call(&app, "days=7", &owner).await;
        assert_eq!(s, StatusCode::OK, "{}: {b}", db.name);
        assert_eq!(db.store.retention_days(&acme.id).await.unwrap(), Some(7), "{}", db.name);
        assert_eq!(db.store.retention_days(&globex.id).await.unwrap(), Some(90), "{}: Globex's own", db.name);
        let audited = helpers::count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE organization_id = '{}' AND action = 'retention.update'",
                acme.id
            ),
        )
        .await;
        assert_eq!(audited, 1, "{}: one audit entry", db.name);

        let now = helpers::now_ms();
        let cutoff = now - 7 * DAY;
        let production = Scope::new(acme.id.clone(), "production");
        let rollups_before = db.store.request_rollups(&production, 0, i64::MAX).await.unwrap();
        let runs_before =
            db.store.outcome_rollups(&production, OutcomeKind::SyncRun, 0, i64::MAX).await.unwrap();
        let globex_requests = helpers::count(
            &db,
            &format!("SELECT COUNT(*) FROM request_logs WHERE organization_id = '{}'", globex.id),
        )
        .await;
        let acme_recent = helpers::count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM request_logs WHERE organization_id = '{}' AND created_at >= {cutoff}",
                acme.id
            ),
        )
        .await;
        assert!(older(&db, "request_logs", "created_at", &acme.id, cutoff).await > 100, "{}", db.name);
        let latest_runs = helpers::count(
            &db,
            "SELECT COUNT(*) FROM (SELECT DISTINCT connection_id, data_object FROM sync_runs) t",
        )
        .await;

        let report = switchboard::server::retention::purge(db.store.as_ref(), now).await.unwrap();
        assert!(
            report.request_logs > 100 && report.sync_runs > 0 && report.webhook_events > 0,
            "{}: {report:?}",
            db.name
        );

        assert_eq!(older(&db, "request_logs", "created_at", &acme.id, cutoff).await, 0, "{}", db.name);
        let acme_after = helpers::count(
            &db,
            &format!("SELECT COUNT(*) FROM request_logs WHERE organization_id = '{}'", acme.id),
        )
        .await;
        assert_eq!(acme_after, acme_recent, "{}: everything newer stays", db.name);
        let globex_after = helpers::count(
            &db,
            &format!("SELECT COUNT(*) FROM request_logs WHERE organization_id = '{}'", globex.id),
        )
        .await;
        assert_eq!(globex_after, globex_requests, "{}: another organization keeps its 90 days", db.name);
        // Sync runs: the older ones are gone but each data object's latest run.
        let old_runs = helpers::count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM sync_runs r WHERE organization_id = '{}' AND queued_at < {cutoff} AND EXISTS \
                 (SELECT 1 FROM sync_runs n WHERE n.connection_id = r.connection_id AND n.data_object = r.data_object AND n.id > r.id)",
                acme.id
            ),
        )
        .await;
        assert_eq!(old_runs, 0, "{}", db.name);
        let latest_after = helpers::count(
            &db,
            "SELECT COUNT(*) FROM (SELECT DISTINCT connection_id, data_object FROM sync_runs) t",
        )
        .await;
        assert_eq!(latest_after, latest_runs, "{}: every object keeps its latest run", db.name);
        // Webhook events: the older ones are gone but those still being delivered.
        let old_events = helpers::count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM webhook_events e WHERE organization_id = '{}' AND created_at < {cutoff} AND NOT EXISTS \
                 (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'retrying'))",
                acme.id
            ),
        )
        .await;
        assert_eq!(old_events, 0, "{}", db.name);
        // The charts keep their counts.
        assert_eq!(
            db.store.request_rollups(&production, 0, i64::MAX).await.unwrap(),
            rollups_before,
            "{}",
            db.name
        );
        let mut runs_after =
            db.store.outcome_rollups(&production, OutcomeKind::SyncRun, 0, i64::MAX).await.unwrap();
        runs_after.sort();
        let mut runs_before = runs_before;
        runs_before.sort();
        assert_eq!(runs_after, runs_before, "{}: run counts outlive the runs", db.name);
        for (table, differing) in db.store.derived_rollup_mismatches(&production).await.unwrap() {
            assert_eq!(differing, 0, "{}: {table} after the purge", db.name);
        }

        // A second purge finds nothing; rollups older than 13 months go.
        let again = switchboard::server::retention::purge(db.store.as_ref(), now).await.unwrap();
        assert_eq!(again.total(), 0, "{}: {again:?}", db.name);
        let far = switchboard::server::retention::purge(db.store.as_ref(), now + 500 * DAY).await.unwrap();
        assert!(far.rollups > 0, "{}: {far:?}", db.name);
        assert!(
            db.store.request_rollups(&production, 0, i64::MAX).await.unwrap().counts.is_empty(),
            "{}",
            db.name
        );
        use switchboard::server::store::rollups::Grain;
        assert!(
            db.store.failure_rollups(&production, Grain::Day, 0, i64::MAX).await.unwrap().is_empty()
                && db.store.endpoint_totals(&production, Grain::Day, 0, i64::MAX).await.unwrap().is_empty(),
            "{}: the per-day tables go too",
            db.name
        );

        // The lists say how far back they go.
        let page = body(send(&app, crate::http::get("/requests", Some(&owner))).await).await;
        assert!(page.contains("Request logs are kept 7 days"), "{}", db.name);
        let page = body(send(&app, crate::http::get("/settings/retention", Some(&owner))).await).await;
        assert!(page.contains("kept 7 days"), "{}", db.name);
    }
}
