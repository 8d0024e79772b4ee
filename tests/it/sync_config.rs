//! The data sync configuration on both databases: versions are only ever added, a save based on
//! an old version is refused (also when two race), drift counts follow the connections, apply
//! queues only what each connection lacks, the scheduler honours the effective configuration,
//! and only owners and admins change anything.

use crate::helpers::now_ms;
use crate::helpers::{self, TestDb};
use crate::http::{app, body, get, post_form, send, sign_in, HOST};
use axum::http::{header, StatusCode};
use switchboard::domain::{IntegrationType, Role, SyncRunStatus};
use switchboard::server::auth::Viewer;
use switchboard::server::clock::ManualClock;
use switchboard::server::seed;
use switchboard::server::store::sync_config::SyncConfigVersionRow;
use switchboard::server::store::{NewAuditEntry, Page, Scope};
use switchboard::server::sync_config::settings::SettingsForm;
use switchboard::server::sync_config::{self as svc, EditError};

const IT: IntegrationType = IntegrationType::Accounting;

async fn acme(db: &TestDb) -> Scope {
    let acme = db.store.get_organization("acme").await.unwrap().unwrap();
    Scope::new(acme.id, "production")
}

/// A demo member of Acme as the service sees them (the user must exist: versions name their author).
async fn member(db: &TestDb, scope: &Scope, email: &str) -> Viewer {
    let user = db.store.find_user_by_email(email).await.unwrap().expect("a demo user");
    Viewer {
        token_hash: String::new(),
        user_id: user.id,
        email: email.into(),
        name: email.into(),
        staff_role: None,
        organization_id: scope.organization_id.clone(),
        organization_name: "Acme Corp".into(),
        environment: switchboard::domain::Environment::Production,
        role: Some(Role::Owner),
        ip: None,
    }
}

fn audit(scope: &Scope) -> NewAuditEntry {
    switchboard::server::audit::Audit::new(
        switchboard::domain::AuditAction::SyncConfigSave,
        "sync_config",
        "x",
        crate::helpers::now_ms(),
    )
    .by(&switchboard::server::actor::Author::system("test@acme.test"))
    .of_organization(&scope.organization_id)
    .entry()
}

fn row(scope: &Scope, settings: &str, comment: &str) -> SyncConfigVersionRow {
    SyncConfigVersionRow {
        id: switchboard::ids::make_id(switchboard::ids::prefix::SYNC_CONFIG, now_ms(), rand_u128()),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        integration_type: IT,
        version: 0,
        settings: settings.into(),
        diff: "[]".into(),
        author_user_id: None,
        author_email: Some("test@acme.test".into()),
        comment: comment.into(),
        restored_from: None,
        created_at: now_ms(),
    }
}

fn rand_u128() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() ^ 0x5A5A_5A5A
}

#[tokio::test]
async fn versions_are_only_added_and_a_stale_or_racing_save_is_refused() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
        let scope = acme(&db).await;
        let v2 = db.store.sync_config_at(&scope, IT, 2).await.unwrap().expect("the seed's version 2");
        assert!(db
            .store
            .save_sync_config(&row(&scope, "{\"frequency\":\"1h\"}", "a"), 2, &audit(&scope))
            .await
            .unwrap());
        // Based on version 2 again: someone saved 3 first.
        assert!(
            !db.store.save_sync_config(&row(&scope, "{}", "b"), 2, &audit(&scope)).await.unwrap(),
            "{}",
            db.name
        );
        // Two saves of version 3 at once: exactly one wins.
        let (r1, r2, a1, a2) = (
            row(&scope, "{\"frequency\":\"15m\"}", "c"),
            row(&scope, "{\"frequency\":\"24h\"}", "d"),
            audit(&scope),
            audit(&scope),
        );
        let (a, b) =
            tokio::join!(db.store.save_sync_config(&r1, 3, &a1), db.store.save_sync_config(&r2, 3, &a2));
        assert!(a.unwrap() ^ b.unwrap(), "{}: one racing save wins", db.name);
        let versions = db.store.sync_config_versions(&scope, IT, None, 10).await.unwrap();
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [4, 3, 2, 1], "{}", db.name);
        let again = db.store.sync_config_at(&scope, IT, 2).await.unwrap().unwrap();
        assert_eq!(
            (again.settings, again.comment),
            (v2.settings, v2.comment),
            "{}: version 2 is unchanged",
            db.name
        );
        assert_eq!(versions[1].comment, "a");
        // Keyset paging of the history.
        let older = db.store.sync_config_versions(&scope, IT, Some(3), 10).await.unwrap();
        assert_eq!(older.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
        // Another environment and organization are untouched.
        let sandbox = Scope::new(scope.organization_id.clone(), "sandbox");
        assert_eq!(db.store.sync_config_versions(&sandbox, IT, None, 10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn drift_counts_follow_the_connections() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
        let scope = acme(&db).await;
        let drift = svc::drift(db.store.as_ref(), &scope, IT, 2).await.unwrap();
        let accounting: Vec<_> = db
            .store
            .list_connections(&scope, &Page::First, 200)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| switchboard::domain::platform(&c.platform_id).unwrap().integration_type == IT)
            .collect();
        assert_eq!(drift.total(), accounting.len() as i64, "{}", db.name);
        let behind: Vec<_> = accounting.iter().filter(|c| c.config_version < 2).collect();
        assert!(!behind.is_empty(), "{}: the seed leaves some connections behind", db.name);
        assert_eq!(drift.behind(), behind.len() as i64, "{}", db.name);
        let rows = db.store.behind_connections(&scope, IT, 2, None, 1000).await.unwrap();
        assert_eq!(rows.len(), behind.len(), "{}", db.name);
        // Moving one forward lowers the count by one; moving it again changes nothing.
        let one = vec![behind[0].id.clone()];
        assert_eq!(db.store.move_connections_to_version(&scope, &one, 2, None).await.unwrap(), 1);
        assert_eq!(db.store.move_connections_to_version(&scope, &one, 2, None).await.unwrap(), 0);
        let after = svc::drift(db.store.as_ref(), &scope, IT, 2).await.unwrap();
        assert_eq!(after.behind(), drift.behind() - 1, "{}", db.name);
        // Another organization's scope cannot move Acme's connections.
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let other = Scope::new(globex.id, "production");
        let two = vec![behind[1].id.clone()];
        assert_eq!(db.store.move_connections_to_version(&other, &two, 2, None).await.unwrap(), 0);
    }
}

#[tokio::test]
async fn saving_previews_conflicts_restores_and_applies_through_the_service() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
        let scope = acme(&db).await;
        let store = db.store.as_ref();
        let clock = ManualClock::new(now_ms());
        let (ana, bo) =
            (member(&db, &scope, "owner@acme.test").await, member(&db, &scope, "admin@acme.test").await);
        let cur = svc::current(store, &scope, IT).await.unwrap();
        assert_eq!(cur.row.version, 2);
        assert!(!cur.settings.enabled("balance_sheets"));

        // Ana enables balance sheets (NetSuite and FreshBooks lack them) and adds a Xero override.
        let mut form = SettingsForm::from_settings(&cur.settings);
        form.objects.push("balance_sheets".into());
        form.overrides.insert("xero".into(), ("15m".into(), None));
        let preview = svc::preview(store, &scope, IT, 2, &form).await.unwrap();
        let texts: Vec<&str> = preview.changes.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Enabled balance_sheets",
                "Xero override, sync frequency: type default \u{2192} every 15 minutes"
            ]
        );
        assert_eq!(preview.unsupported, [("balance_sheets".to_string(), vec!["NetSuite", "FreshBooks"])]);
        let staying: i64 = preview.staying.iter().map(|s| s.1).sum();
        assert!(staying > 0, "{}", db.name);
        // A comment is required.
        let Err(EditError::Invalid(e)) = svc::save(store, &clock, &ana, &scope, IT, 2, &form, " ").await
        else {
            panic!("{}: a save without a comment", db.name)
        };
        assert_eq!(e[0].field, "comment");
        assert_eq!(
            svc::save(store, &clock, &ana, &scope, IT, 2, &form, "Balance sheets for lending").await.unwrap(),
            3
        );

        // Bo edited version 2 too: refused, told what Ana changed.
        let mut bo_form = SettingsForm::from_settings(&cur.settings);
        bo_form.months = "12".into();
        let Err(EditError::Conflict(c)) =
            svc::save(store, &clock, &bo, &scope, IT, 2, &bo_form, "Less history").await
        else {
            panic!("{}: a stale save must conflict", db.name)
        };
        let m = c.message();
        assert!(m.contains("owner@acme.test saved version 3") && m.contains("Enabled balance_sheets"), "{m}");
        assert_eq!(svc::current(store, &scope, IT).await.unwrap().row.version, 3);

        // Restore version 2: a new version 4 equal to 2; history keeps 3.
        assert_eq!(svc::restore(store, &clock, &bo, &scope, IT, 2, 3).await.unwrap(), 4);
        let v4 = svc::current(store, &scope, IT).await.unwrap();
        assert_eq!(v4.settings, svc::version(store, &scope, IT, 2).await.unwrap().settings);
        assert_eq!(v4.row.restored_from, Some(2));
        let log = db.store.list_audit(&scope.organization_id, 20).await.unwrap();
        assert!(log.iter().any(|a| a.action == "sync_config.save" && a.actor_email == "owner@acme.test"));
        assert!(log.iter().any(|a| a.action == "sync_config.restore" && a.actor_email == "admin@acme.test"));

        // Save 5 = version 4 plus a new object enabled for every platform; apply it.
        let mut form = SettingsForm::from_settings(&v4.settings);
        form.objects.push("balance_sheets".into());
        assert_eq!(
            svc::save(store, &clock, &ana, &scope, IT, 4, &form, "Balance sheets again").await.unwrap(),
            5
        );
        let plan = svc::apply_plan(store, &clock, &scope, IT, &[]).await.unwrap();
        let drift = svc::drift(store, &scope, IT, 5).await.unwrap();
        assert_eq!(plan.connections.len() as i64, drift.behind(), "{}", db.name);
        for c in &plan.connections {
            let spec = switchboard::domain::platform(&c.row.connection.platform_id).unwrap();
            if c.row.connection.config_version >= 2 {
                // On version 2 (36 months, no balance sheets): only balance sheets, where offered.
                let expected: Vec<&str> = if spec.unsupported_objects.contains(&"balance_sheets") {
                    vec![]
                } else {
                    vec!["balance_sheets"]
                };
                assert_eq!(c.objects, expected, "{}: {}", db.name, c.row.connection.display_name);
            }
        }
        let applied = svc::apply(store, &clock, &ana, &scope, IT, &[], "apply-1").await.unwrap();
        let bf = applied.backfill_id.clone().expect("a backfill");
        assert_eq!(
            applied.runs,
            plan.runs()
                - plan
                    .connections
                    .iter()
                    .filter(|c| c.row.connection.status == switchboard::domain::ConnectionStatus::Disabled)
                    .map(|c| c.objects.len())
                    .sum::<usize>()
        );
        // The same form submitted twice: one backfill.
        let again = svc::apply(store, &clock, &ana, &scope, IT, &[], "apply-1").await.unwrap();
        assert_eq!(again.backfill_id, Some(bf.clone()));
        let b = db.store.get_backfill(&scope, &bf).await.unwrap().unwrap();
        assert_eq!(b.config_version, 5);
        assert_eq!(b.runs_total as usize, applied.runs, "{}", db.name);
        // Connections that needed nothing moved at once.
        let still = svc::drift(store, &scope, IT, 5).await.unwrap();
        assert_eq!(still.behind(), drift.behind() - applied.moved as i64, "{}", db.name);
        let log = db.store.list_audit(&scope.organization_id, 20).await.unwrap();
        assert!(log.iter().any(|a| a.action == "sync_config.apply" && a.target_id == bf));
    }
}

#[tokio::test]
async fn the_scheduler_follows_each_connections_effective_configuration() {
    use switchboard::server::scheduler;
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
        let scope = acme(&db).await;
        let store = db.store.as_ref();
        let clock = ManualClock::new(now_ms());
        let ana = member(&db, &scope, "owner@acme.test").await;
        let cur = svc::current(store, &scope, IT).await.unwrap();
        // Version 3: bills off for the type; Xero syncs invoices only.
        let mut form = SettingsForm::from_settings(&cur.settings);
        form.objects.retain(|o| o != "bills");
        form.overrides.insert("xero".into(), (String::new(), Some(vec!["invoices".into()])));
        assert_eq!(
            svc::save(store, &clock, &ana, &scope, IT, 2, &form, "Bills come from elsewhere").await.unwrap(),
            3
        );
        let ids: Vec<String> = db
            .store
            .behind_connections(&scope, IT, 3, None, 1000)
            .await
            .unwrap()
            .into_iter()
            .map(|b| b.connection.id)
            .collect();
        db.store.move_connections_to_version(&scope, &ids, 3, None).await.unwrap();
        let later = ManualClock::new(now_ms() + 2 * 86_400_000);
        assert!(scheduler::tick(store, &later).await.unwrap() > 0);
        let q = switchboard::server::store::sync::SyncRunQuery {
            status: Some(SyncRunStatus::Queued.as_str().into()),
            kind: Some("incremental".into()),
            limit: 50,
            ..Default::default()
        };
        let mut xero_seen = false;
        for c in db.store.list_connections(&scope, &Page::First, 200).await.unwrap() {
            let spec = switchboard::domain::platform(&c.platform_id).unwrap();
            if spec.integration_type != IT {
                continue;
            }
            let objects: Vec<String> = db
                .store
                .list_sync_runs(&scope, Some(&c.id), &q)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.data_object)
                .collect();
            assert!(
                !objects.iter().any(|o| o == "bills"),
                "{}: {} still syncs bills",
                db.name,
                c.display_name
            );
            if c.platform_id == "xero" && !objects.is_empty() {
                xero_seen = true;
                assert_eq!(objects, ["invoices"], "{}: Xero's override", db.name);
            }
        }
        assert!(xero_seen, "{}: a Xero connection was scheduled", db.name);
    }
}

/// Posts a server function as the browser's JavaScript does (JSON answer, not a redirect).
async fn call(app: &axum::Router, path: &str, form: &str, cookie: &str) -> (StatusCode, String) {
    let mut req = post_form(path, form, Some(cookie), Some(&format!("http://{HOST}")));
    req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
    let res = send(app, req).await;
    let status = res.status();
    (status, body(res).await)
}

#[tokio::test]
async fn only_owners_and_admins_change_the_configuration_and_read_the_audit_log() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let scope = acme(&db).await;
        let cur = svc::current(db.store.as_ref(), &scope, IT).await.unwrap();
        let mut form = SettingsForm::from_settings(&cur.settings);
        form.months = "48".into();
        let values = switchboard::url::encode_component(&form.to_query());
        let save = format!("integration_type=accounting&base=2&values={values}&comment=Four+years");
        let restore = "integration_type=accounting&version=1&base=2";
        let apply = "integration_type=accounting&connections=&key=k1";

        let staff = sign_in(&app, "support@switchboard.test").await;
        let res = send(
            &app,
            post_form(
                "/auth/switch",
                &format!("organization_id={}&environment=production", scope.organization_id),
                Some(&staff),
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert!(res.status().is_redirection(), "{}", db.name);
        for who in ["viewer@acme.test", "dev@acme.test"] {
            let cookie = sign_in(&app, who).await;
            for (path, form) in [
                ("/api/save_sync_config", save.as_str()),
                ("/api/restore_sync_config", restore),
                ("/api/apply_sync_config", apply),
            ] {
                let (status, text) = call(&app, path, form, &cookie).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{}: {who} {path}: {text}", db.name);
                assert!(text.contains("Only owners and admins"), "{text}");
            }
            let status = send(&app, get("/api/audit_log", Some(&cookie))).await.status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{}: {who} reads the audit log", db.name);
        }
        for (path, form) in [
            ("/api/save_sync_config", save.as_str()),
            ("/api/restore_sync_config", restore),
            ("/api/apply_sync_config", apply),
        ] {
            let (status, text) = call(&app, path, form, &staff).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{}: staff {path}: {text}", db.name);
            assert!(text.contains("Staff read"), "{text}");
        }
        // Staff reading the configuration is recorded.
        let res = send(&app, get("/api/sync_config_history?integration_type=accounting", Some(&staff))).await;
        assert!(res.status().is_success(), "{}", db.name);
        let log = db.store.list_audit(&scope.organization_id, 20).await.unwrap();
        assert!(log
            .iter()
            .any(|a| a.action == "staff.view_sync_config" && a.actor_email == "support@switchboard.test"));
        assert_eq!(
            svc::current(db.store.as_ref(), &scope, IT).await.unwrap().row.version,
            2,
            "{}: nothing saved",
            db.name
        );

        let admin = sign_in(&app, "admin@acme.test").await;
        let (status, text) = call(&app, "/api/save_sync_config", &save, &admin).await;
        assert!(status.is_success(), "{}: admin saves: {status} {text}", db.name);
        // The same save again is based on version 2, now stale: a conflict naming the change.
        let (status, text) = call(&app, "/api/save_sync_config", &save, &admin).await;
        assert_eq!(status, StatusCode::CONFLICT, "{}: {text}", db.name);
        assert!(text.contains("Initial lookback 36 \u{2192} 48 months"), "{text}");
        // Without JavaScript the refused save returns to the form with the input in the URL.
        let mut req =
            post_form("/api/save_sync_config", &save, Some(&admin), Some(&format!("http://{HOST}")));
        req.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
        req.headers_mut().insert(
            header::REFERER,
            format!("http://{HOST}/sync-configuration/accounting/edit").parse().unwrap(),
        );
        let res = send(&app, req).await;
        assert_eq!(res.status(), StatusCode::FOUND, "{}", db.name);
        let to = crate::http::location(&res);
        assert!(
            to.starts_with("/sync-configuration/accounting/edit?base=2&preview=1")
                && to.contains("months=48"),
            "{to}"
        );
        let page = body(send(&app, get(&to, Some(&admin))).await).await;
        assert!(page.contains("while you were editing version 2"), "{}: the conflict is shown", db.name);
        assert!(page.contains("value=\"48\""), "{}: the input is kept", db.name);

        let (status, text) =
            call(&app, "/api/restore_sync_config", "integration_type=accounting&version=1&base=3", &admin)
                .await;
        assert!(status.is_success(), "{}: admin restores: {text}", db.name);
        let (status, text) = call(&app, "/api/apply_sync_config", apply, &admin).await;
        assert!(status.is_success(), "{}: admin applies: {text}", db.name);
        let res = send(&app, get("/api/audit_log", Some(&admin))).await;
        let status = res.status();
        let text = body(res).await;
        assert!(status.is_success(), "{}", db.name);
        for action in ["sync_config.save", "sync_config.restore", "sync_config.apply"] {
            assert!(text.contains(action), "{}: {action} in the audit log", db.name);
        }
        let text =
            body(send(&app, get("/api/audit_log?action=sync_config.restore", Some(&admin))).await).await;
        assert!(text.contains("sync_config.restore") && !text.contains("sync_config.save"), "{text}");
        let res = send(&app, get("/api/audit_log?action=drop_tables", Some(&admin))).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        // Another organization's owner sees their own configuration, never Acme's.
        let globex = sign_in(&app, "owner@globex.test").await;
        let text = body(
            send(&app, get("/api/sync_config_history?integration_type=accounting", Some(&globex))).await,
        )
        .await;
        assert!(!text.contains("acme.test") && !text.contains("Four years"), "{text}");
        let text = body(send(&app, get("/api/audit_log", Some(&globex))).await).await;
        assert!(!text.contains("admin@acme.test"), "{}: Acme's audit log leaked", db.name);
        // Bad input is named, never a 500.
        for path in [
            "/api/sync_config_page?integration_type=crm",
            "/api/sync_config_version?integration_type=accounting&version=abc",
            "/api/sync_config_version?integration_type=accounting&version=99",
            "/api/sync_config_history?integration_type=accounting&before=x",
            "/api/sync_config_edit?integration_type=accounting&search=base%3Dx%26preview%3D1",
        ] {
            let res = send(&app, get(path, Some(&admin))).await;
            assert!(res.status().is_client_error(), "{}: {path} answered {}", db.name, res.status());
        }
    }
}
