//! Issues on both databases, with the time of every event given by the test (an injected clock):
//! each kind opens as its data arrives and resolves when its cause clears or its quiet period
//! passes; a recurrence within 7 days reopens it as regressed, later it is a new issue; two
//! workers seeing one problem at once open one issue; people's actions are audited and stay
//! inside their organization.

use crate::helpers::{self, now_ms, TestDb};
use switchboard::domain::issues::{IssueEventAction, IssueKind, IssueSeverity, IssueStatus, MuteMode};
use switchboard::domain::{ConnectionStatus, SyncRunKind, SyncRunStatus, TriggerKind, PLATFORMS};
use switchboard::ids::{make_id, prefix};
use switchboard::server::clock::{Clock, ManualClock};
use switchboard::server::issues;
use switchboard::server::store::admin::SeedBatch;
use switchboard::server::store::issues::{ActOutcome, IssueAction, IssueQuery, IssueRow, Observation};
use switchboard::server::store::sync::{NewSyncRun, RunResult};
use switchboard::server::store::{ConnectionRow, OrganizationRow, Page, Scope, StatusReport};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A fresh organization with `n` healthy Xero connections in production.
async fn org(db: &TestDb, n: usize) -> (Scope, Vec<String>) {
    db.store.sync_platform_catalog(PLATFORMS).await.unwrap();
    let now = now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand::random()),
        name: "Issues Inc".into(),
        slug: format!("issues-{}", rand::random::<u32>()),
        created_at: now,
    };
    db.store.create_organization(&org).await.unwrap();
    let scope = Scope::new(org.id, "production");
    let mut batch = SeedBatch::default();
    for i in 0..n {
        batch.connections.push(ConnectionRow {
            id: make_id(prefix::CONNECTION, now - DAY + i as i64, rand::random()),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            platform_id: "xero".into(),
            display_name: format!("Issue test {i}"),
            platform_account_id: format!("tenant-{i}"),
            status: ConnectionStatus::Healthy,
            config_version: 1,
            created_at: now - DAY,
            last_synced_at: None,
            status_reason: None,
            status_since: None,
            rate_limited_until: None,
        });
    }
    let ids = batch.connections.iter().map(|c| c.id.clone()).collect();
    db.store.insert_seed_batch(&batch).await.unwrap();
    (scope, ids)
}

async fn all_issues(db: &TestDb, scope: &Scope) -> Vec<IssueRow> {
    let q = IssueQuery { scope: Some(scope.clone()), limit: 200, ..Default::default() };
    db.store.list_issues(&q).await.unwrap()
}

async fn only(db: &TestDb, scope: &Scope, kind: IssueKind) -> Option<IssueRow> {
    let mut found: Vec<IssueRow> =
        all_issues(db, scope).await.into_iter().filter(|i| i.kind == kind).collect();
    assert!(found.len() <= 1, "{}: one issue of {kind} at most, got {}", db.name, found.len());
    found.pop()
}

async fn issue_events(db: &TestDb, scope: &Scope) -> Vec<String> {
    helpers::events(db, scope).await.into_iter().map(|e| e.0).filter(|t| t.starts_with("issue.")).collect()
}

/// A request log item as the data plane sends it.
fn request(connection: &str, at: i64, status: i64, code: Option<&str>, path: &str) -> serde_json::Value {
    let mut item = serde_json::json!({
        "id": make_id(prefix::REQUEST, at, rand::random()),
        "occurred_at": chrono::DateTime::from_timestamp_millis(at).unwrap().to_rfc3339(),
        "method": "GET",
        "path": path,
        "status": status,
        "latency_ms": 120,
        "connection_id": connection,
    });
    if let Some(code) = code {
        item["error"] = serde_json::json!({"code": code, "message": format!("{code} from the platform")});
    }
    item
}

async fn ingest(db: &TestDb, scope: &Scope, now: i64, items: Vec<serde_json::Value>) {
    let body = serde_json::json!({ "items": items }).to_string();
    let out =
        switchboard::server::ingest::request_logs(db.store.as_ref(), scope, now, body.into_bytes().into())
            .await
            .unwrap_or_else(|e| panic!("{}: ingest: {e:?}", db.name));
    assert!(out.result.rejected.is_empty(), "{}: {:?}", db.name, out.result.rejected);
}

fn status(connection: &str, status: ConnectionStatus, at: i64) -> StatusReport {
    StatusReport {
        connection_id: connection.into(),
        status,
        reason: Some("token revoked by the user".into()),
        at,
    }
}

#[tokio::test]
async fn credentials_open_resolve_regress_within_7_days_and_reopen_as_new_after() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 1).await;
        let c = &conns[0];
        let t0 = now_ms();
        db.store
            .report_connection_status(&scope, &[status(c, ConnectionStatus::NeedsReauth, t0)])
            .await
            .unwrap();
        let first = only(&db, &scope, IssueKind::Credentials).await.expect("credentials issue opened");
        assert_eq!(
            (first.status, first.severity),
            (IssueStatus::Open, IssueSeverity::Critical),
            "{}",
            db.name
        );
        assert!(first.summary.contains("token revoked"), "{}: {}", db.name, first.summary);
        assert_eq!(first.connection_id.as_deref(), Some(c.as_str()));
        assert_eq!(first.platform_id.as_deref(), Some("xero"));

        db.store
            .report_connection_status(&scope, &[status(c, ConnectionStatus::Healthy, t0 + HOUR)])
            .await
            .unwrap();
        let resolved = only(&db, &scope, IssueKind::Credentials).await.unwrap();
        assert_eq!(resolved.status, IssueStatus::Resolved, "{}", db.name);
        assert_eq!(resolved.resolved_by, None, "resolved by itself");

        // Back within 7 days: the same issue, reopened as a regression.
        db.store
            .report_connection_status(&scope, &[status(c, ConnectionStatus::NeedsReauth, t0 + 2 * DAY)])
            .await
            .unwrap();
        let again = only(&db, &scope, IssueKind::Credentials).await.unwrap();
        assert_eq!(
            (again.id.as_str(), again.status, again.regressed),
            (first.id.as_str(), IssueStatus::Open, true)
        );
        assert_eq!(again.occurrences, 2, "{}", db.name);
        let timeline: Vec<IssueEventAction> =
            db.store.issue_events(&first.id).await.unwrap().into_iter().map(|e| e.action).collect();
        assert_eq!(
            timeline,
            vec![IssueEventAction::Opened, IssueEventAction::Resolved, IssueEventAction::Reopened],
            "{}",
            db.name
        );
        assert_eq!(
            issue_events(&db, &scope).await,
            vec!["issue.reopened", "issue.resolved", "issue.opened"],
            "{}: each change is a webhook event",
            db.name
        );

        // Resolved, then back 8 days later: history stays, a new issue opens.
        // Reconnected: the data plane reports it initializing, which resolves it too.
        db.store
            .report_connection_status(&scope, &[status(c, ConnectionStatus::Initializing, t0 + 3 * DAY)])
            .await
            .unwrap();
        assert_eq!(only(&db, &scope, IssueKind::Credentials).await.unwrap().status, IssueStatus::Resolved);
        db.store
            .report_connection_status(&scope, &[status(c, ConnectionStatus::NeedsReauth, t0 + 11 * DAY)])
            .await
            .unwrap();
        let issues: Vec<IssueRow> =
            all_issues(&db, &scope).await.into_iter().filter(|i| i.kind == IssueKind::Credentials).collect();
        assert_eq!(issues.len(), 2, "{}", db.name);
        assert_eq!((issues[0].status, issues[0].regressed), (IssueStatus::Open, false), "{}", db.name);
        assert_eq!(issues[1].id, first.id);
        assert_eq!(issues[1].status, IssueStatus::Resolved);
    }
}

#[tokio::test]
async fn rate_limiting_opens_when_sustained_and_resolves_after_a_quiet_hour() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 2).await;
        let t0 = now_ms();
        let path = "/accounting/invoices";
        // Four 429s are a blip; other connections' 429s count for themselves.
        let items = (0..4).map(|i| request(&conns[0], t0 + i, 429, Some("rate-limited"), path)).collect();
        ingest(&db, &scope, t0, items).await;
        ingest(&db, &scope, t0, vec![request(&conns[1], t0, 429, Some("rate-limited"), path)]).await;
        assert!(only(&db, &scope, IssueKind::RateLimited).await.is_none(), "{}", db.name);
        // The fifth within ten minutes makes it sustained.
        ingest(
            &db,
            &scope,
            t0 + 60_000,
            vec![request(&conns[0], t0 + 60_000, 429, Some("rate-limited"), path)],
        )
        .await;
        let issue = only(&db, &scope, IssueKind::RateLimited).await.expect("sustained rate limiting");
        assert_eq!((issue.occurrences, issue.severity), (5, IssueSeverity::Warning), "{}", db.name);
        assert_eq!(
            (issue.first_seen, issue.last_seen),
            (t0, t0 + 60_000),
            "{}: from the first 429 to the last",
            db.name
        );
        assert_eq!(issue.connection_id.as_deref(), Some(conns[0].as_str()));
        assert!(issue.evidence_id.as_deref().is_some_and(|e| e.starts_with("req_")));
        // Once open, every 429 counts.
        ingest(&db, &scope, t0 + 120_000, vec![request(&conns[0], t0 + 120_000, 429, None, path)]).await;
        assert_eq!(only(&db, &scope, IssueKind::RateLimited).await.unwrap().occurrences, 6, "{}", db.name);

        // 59 minutes later it is still rate limiting; an hour after the last 429 it resolved.
        issues::sweep(db.store.as_ref(), t0 + 120_000 + 59 * 60_000).await.unwrap();
        assert_eq!(only(&db, &scope, IssueKind::RateLimited).await.unwrap().status, IssueStatus::Open);
        issues::sweep(db.store.as_ref(), t0 + 120_000 + HOUR + 1).await.unwrap();
        let done = only(&db, &scope, IssueKind::RateLimited).await.unwrap();
        assert_eq!(done.status, IssueStatus::Resolved, "{}", db.name);
        let why = db.store.issue_events(&done.id).await.unwrap().pop().unwrap();
        assert!(why.detail.contains("without a 429"), "{}: {}", db.name, why.detail);
    }
}

#[tokio::test]
async fn missing_permission_and_error_spikes_are_read_from_ingested_requests() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 3).await;
        let t0 = (now_ms() / HOUR) * HOUR + 30 * 60_000;
        ingest(
            &db,
            &scope,
            t0,
            vec![request(&conns[0], t0, 403, Some("forbidden"), "/accounting/bills/b_1")],
        )
        .await;
        let perm = only(&db, &scope, IssueKind::MissingPermission).await.expect("one refusal is enough");
        assert!(perm.summary.contains("/accounting/bills/{id}"), "{}: {}", db.name, perm.summary);
        issues::sweep(db.store.as_ref(), t0 + DAY + 1).await.unwrap();
        assert_eq!(
            only(&db, &scope, IssueKind::MissingPermission).await.unwrap().status,
            IssueStatus::Resolved
        );

        // A day of 2% failures on one path, then an hour at 50%: a spike, for that path only.
        let path = "/accounting/payments/p_1";
        let mut items = vec![];
        for h in 1..=24 {
            for i in 0..50 {
                let at = t0 + DAY - h * HOUR + i;
                let status = if i == 0 { 500 } else { 200 };
                items.push(request(
                    &conns[(i % 3) as usize],
                    at,
                    status,
                    (status == 500).then_some("platform-unavailable"),
                    path,
                ));
            }
        }
        for hour in items.chunks(600) {
            ingest(&db, &scope, t0 + DAY, hour.to_vec()).await;
        }
        assert!(
            only(&db, &scope, IssueKind::ErrorSpike).await.is_none(),
            "{}: a baseline is no spike",
            db.name
        );
        let now = t0 + DAY + 60_000;
        let items: Vec<_> = (0..40)
            .map(|i| {
                let failed = i % 2 == 0;
                request(
                    &conns[(i % 3) as usize],
                    now + i,
                    if failed { 503 } else { 200 },
                    failed.then_some("platform-unavailable"),
                    path,
                )
            })
            .collect();
        ingest(&db, &scope, now + 100, items.clone()).await;
        let spike = only(&db, &scope, IssueKind::ErrorSpike).await.expect("spike opened");
        assert_eq!(spike.api_path.as_deref(), Some("GET /accounting/payments/{id}"), "{}", db.name);
        assert!(spike.summary.contains("50%"), "{}: {}", db.name, spike.summary);
        assert_eq!(db.store.issue_connections(&spike.id).await.unwrap().len(), 3, "{}", db.name);

        // The data plane sends the batch again (the answer was lost on the way): every item is
        // already stored, so neither the issue's occurrences nor the error-rate counters move.
        let api_path = "GET /accounting/payments/{id}";
        let (from, to) = ((t0 / HOUR) * HOUR, now + 2 * HOUR);
        let totals = db.store.error_rate_between(&scope, "xero", api_path, from, to).await.unwrap();
        assert!(totals.total >= 1_240, "{}: {totals:?}", db.name);
        ingest(&db, &scope, now + 200, items).await;
        let again = only(&db, &scope, IssueKind::ErrorSpike).await.unwrap();
        assert_eq!(again.occurrences, spike.occurrences, "{}: a retried batch counted twice", db.name);
        assert_eq!(
            db.store.error_rate_between(&scope, "xero", api_path, from, to).await.unwrap(),
            totals,
            "{}",
            db.name
        );
    }
}

/// Runs one statement on the test's database (a state no public path reaches in one step).
async fn sqlx_exec(db: &TestDb, sql: &str) {
    use sqlx::Connection;
    match &db.url {
        switchboard::server::store::DatabaseUrl::Sqlite(u) => {
            let mut c = sqlx::SqliteConnection::connect(u).await.unwrap();
            sqlx::Executor::execute(&mut c, sql).await.unwrap();
        }
        switchboard::server::store::DatabaseUrl::Postgres(u) => {
            let mut c = sqlx::PgConnection::connect(u).await.unwrap();
            sqlx::Executor::execute(&mut c, sql).await.unwrap();
        }
    }
}

/// Queues, claims and finishes one run of `object` with `status`.
async fn run(
    db: &TestDb,
    scope: &Scope,
    connection: &str,
    object: &str,
    status: SyncRunStatus,
    at: i64,
) -> String {
    let target = switchboard::server::store::sync::RunTarget {
        connection_id: connection.into(),
        organization_id: scope.organization_id.clone(),
        environment: scope.environment.clone(),
        platform_id: "xero".into(),
    };
    let run = NewSyncRun::new(&target, object, SyncRunKind::Incremental, TriggerKind::User, at);
    db.store.queue_runs(std::slice::from_ref(&run), None).await.unwrap();
    let claimed = db.store.claim_runs(Some(scope), "test-worker", at, 60_000, 10).await.unwrap();
    assert!(claimed.iter().any(|c| c.id == run.id), "{}: claimed", db.name);
    let failed = status == SyncRunStatus::Failed;
    let result = RunResult {
        status,
        records_added: 0,
        records_updated: 0,
        records_deleted: 0,
        error_code: failed.then(|| "invalid-params".to_string()),
        error_message: failed.then(|| "A validation exception occurred".to_string()),
        platform_error: None,
        log: "[]".into(),
        progress: 100,
        needs_reauth: false,
        reading: Default::default(),
    };
    assert!(db.store.finish_run(&run.id, "test-worker", at + 1_000, &result).await.unwrap());
    run.id
}

#[tokio::test]
async fn a_data_object_failing_three_runs_in_a_row_opens_and_its_next_success_resolves() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 1).await;
        let c = &conns[0];
        let t0 = now_ms();
        run(&db, &scope, c, "invoices", SyncRunStatus::Failed, t0).await;
        run(&db, &scope, c, "invoices", SyncRunStatus::Failed, t0 + 10_000).await;
        run(&db, &scope, c, "contacts", SyncRunStatus::Failed, t0 + 15_000).await;
        assert!(only(&db, &scope, IssueKind::ObjectFailing).await.is_none(), "{}: two in a row", db.name);
        let third = run(&db, &scope, c, "invoices", SyncRunStatus::Failed, t0 + 20_000).await;
        let issue = only(&db, &scope, IssueKind::ObjectFailing).await.expect("three in a row");
        assert_eq!(issue.data_object.as_deref(), Some("invoices"), "{}", db.name);
        assert_eq!(issue.evidence_id.as_deref(), Some(third.as_str()));
        assert!(issue.summary.contains("invalid-params"), "{}", issue.summary);
        run(&db, &scope, c, "invoices", SyncRunStatus::Failed, t0 + 30_000).await;
        assert_eq!(
            only(&db, &scope, IssueKind::ObjectFailing).await.unwrap().occurrences,
            4,
            "{}: every failed run of the streak",
            db.name
        );
        run(&db, &scope, c, "invoices", SyncRunStatus::Succeeded, t0 + 40_000).await;
        assert_eq!(
            only(&db, &scope, IssueKind::ObjectFailing).await.unwrap().status,
            IssueStatus::Resolved,
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn the_scheduler_round_finds_due_syncs_that_did_not_run_and_connections_behind() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 2).await;
        let t0 = now_ms();
        // Version 2 of the accounting configuration was saved 20 hours ago; the connections run 1.
        let version = |v: i64, at: i64| switchboard::server::store::sync_config::SyncConfigVersionRow {
            id: make_id(prefix::SYNC_CONFIG, at, rand::random()),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            integration_type: switchboard::domain::IntegrationType::Accounting,
            version: v,
            settings: "{}".into(),
            diff: "[]".into(),
            author_user_id: None,
            author_email: None,
            comment: String::new(),
            restored_from: None,
            created_at: at,
        };
        let batch = SeedBatch {
            sync_configs: vec![version(1, t0 - 30 * DAY), version(2, t0 - 20 * HOUR)],
            ..Default::default()
        };
        db.store.insert_seed_batch(&batch).await.unwrap();
        let clock = ManualClock::new(t0);
        // The first round queues each connection's syncs; nobody runs them.
        assert!(switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap() > 0);
        assert!(all_issues(&db, &scope).await.is_empty(), "{}: behind for less than a day", db.name);
        clock.advance(5 * HOUR);
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        assert!(only(&db, &scope, IssueKind::SyncOverdue).await.is_none(), "{}: within the period", db.name);
        let behind: Vec<IssueRow> =
            all_issues(&db, &scope).await.into_iter().filter(|i| i.kind == IssueKind::ConfigBehind).collect();
        assert_eq!(behind.len(), 2, "{}: behind for 25 hours", db.name);
        assert!(behind[0].summary.contains("25 hours"), "{}: {}", db.name, behind[0].summary);
        // The default schedule is every 6 hours: 6 hours and 10 minutes later they did not run.
        clock.advance(70 * 60_000);
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        let overdue: Vec<IssueRow> =
            all_issues(&db, &scope).await.into_iter().filter(|i| i.kind == IssueKind::SyncOverdue).collect();
        assert_eq!(overdue.len(), 2, "{}: one per connection", db.name);
        let became = t0 + 6 * HOUR + issues::detect::OVERDUE_GRACE_MS;
        assert!(
            overdue.iter().all(|i| i.first_seen == became && i.last_seen == clock.now_ms()),
            "{}",
            db.name
        );
        // Another round counts nothing twice.
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        assert!(all_issues(&db, &scope).await.iter().all(|i| i.occurrences == 1), "{}", db.name);
        // Resolved by hand while the sync still waits: the next round finds it again, regressed.
        let audit = switchboard::server::audit::Audit::new(
            switchboard::domain::AuditAction::IssueResolve,
            "issue",
            &overdue[0].id,
            clock.now_ms(),
        )
        .by(&switchboard::server::actor::Author::system("dev@test"))
        .of_organization(&scope.organization_id)
        .entry();
        db.store
            .act_on_issue(&scope, &overdue[0].id, &IssueAction::Resolve, "dev@test", clock.now_ms(), &audit)
            .await
            .unwrap();
        clock.advance(60_000);
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        let again = db.store.get_issue(&scope, &overdue[0].id).await.unwrap().unwrap();
        assert_eq!((again.status, again.regressed), (IssueStatus::Open, true), "{}", db.name);
        // A worker takes the queued runs: the issues resolve at the next round.
        db.store.claim_runs(Some(&scope), "late-worker", clock.now_ms(), 3_600_000, 1_000).await.unwrap();
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        let overdue: Vec<IssueRow> =
            all_issues(&db, &scope).await.into_iter().filter(|i| i.kind == IssueKind::SyncOverdue).collect();
        assert!(overdue.iter().all(|i| i.status == IssueStatus::Resolved), "{}", db.name);
        // Caught up with the configuration (a backfill under it): resolved at the next round.
        for c in &conns {
            sqlx_exec(&db, &format!("UPDATE connections SET config_version = 2 WHERE id = '{c}'")).await;
        }
        switchboard::server::scheduler::tick(db.store.as_ref(), &clock).await.unwrap();
        assert!(
            all_issues(&db, &scope).await.iter().all(|i| i.status == IssueStatus::Resolved),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn two_workers_seeing_one_problem_at_once_open_one_issue() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 1).await;
        let t0 = now_ms();
        let mut tasks = vec![];
        for w in 0..8 {
            let store = db.store.clone();
            let scope = scope.clone();
            let c = conns[0].clone();
            tasks.push(tokio::spawn(async move {
                let mut o =
                    Observation::new(IssueKind::MissingPermission, c.clone(), format!("worker {w}"), t0 + w);
                o.connection_ids = vec![c];
                store.observe_issues(&scope, &[o]).await
            }));
        }
        let mut opened = 0;
        for t in tasks {
            opened += t.await.unwrap().unwrap_or_else(|e| panic!("{}: {e}", db.name)).len();
        }
        assert_eq!(opened, 1, "{}: one opened it", db.name);
        let issue = only(&db, &scope, IssueKind::MissingPermission).await.unwrap();
        assert_eq!(issue.occurrences, 8, "{}: the others counted", db.name);
        assert_eq!(issue_events(&db, &scope).await, vec!["issue.opened"], "{}", db.name);
    }
}

#[tokio::test]
async fn people_acknowledge_mute_and_resolve_within_their_organization_audited() {
    for db in helpers::all().await {
        let (scope, conns) = org(&db, 1).await;
        let (other, _) = org(&db, 0).await;
        let t0 = now_ms();
        let mut o = Observation::new(IssueKind::MissingPermission, conns[0].clone(), "refused", t0);
        o.connection_ids = vec![conns[0].clone()];
        db.store.observe_issues(&scope, &[o.clone()]).await.unwrap();
        let issue = only(&db, &scope, IssueKind::MissingPermission).await.unwrap();
        let audit = |action| {
            switchboard::server::audit::Audit::new(action, "issue", &issue.id, t0)
                .by(&switchboard::server::actor::Author::system("dev@test"))
                .of_organization(&scope.organization_id)
                .entry()
        };
        use switchboard::domain::AuditAction as A;
        // Another organization cannot touch it, nor see it.
        let outcome = db
            .store
            .act_on_issue(&other, &issue.id, &IssueAction::Resolve, "x@other", t0, &audit(A::IssueResolve))
            .await;
        assert_eq!(outcome.unwrap(), ActOutcome::NotFound, "{}", db.name);
        assert!(db.store.get_issue(&other, &issue.id).await.unwrap().is_none());
        assert!(all_issues(&db, &other).await.is_empty());

        let ack = db
            .store
            .act_on_issue(
                &scope,
                &issue.id,
                &IssueAction::Acknowledge,
                "dev@test",
                t0 + 1,
                &audit(A::IssueAcknowledge),
            )
            .await;
        assert_eq!(ack.unwrap(), ActOutcome::Done(None));
        let row = db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap();
        assert_eq!(
            (row.status, row.acknowledged_by.as_deref()),
            (IssueStatus::Acknowledged, Some("dev@test"))
        );
        let again = db
            .store
            .act_on_issue(
                &scope,
                &issue.id,
                &IssueAction::Acknowledge,
                "dev@test",
                t0 + 2,
                &audit(A::IssueAcknowledge),
            )
            .await;
        assert!(matches!(again.unwrap(), ActOutcome::NotApplicable(_)), "{}", db.name);

        // Muted until it gets worse: 3 times its occurrences (1) ends the mute.
        let mute =
            IssueAction::Mute { mode: MuteMode::Worse, until: None, factor: Some(3), reason: "known".into() };
        db.store
            .act_on_issue(&scope, &issue.id, &mute, "dev@test", t0 + 3, &audit(A::IssueMute))
            .await
            .unwrap();
        o.at = t0 + 10;
        db.store.observe_issues(&scope, &[o.clone()]).await.unwrap();
        assert_eq!(db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap().status, IssueStatus::Muted);
        o.at = t0 + 20;
        let changes = db.store.observe_issues(&scope, &[o.clone()]).await.unwrap();
        assert_eq!(changes.len(), 1, "{}: the mute ended", db.name);
        assert_eq!(db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap().status, IssueStatus::Open);

        // Muted for an hour: still muted within it, open after.
        let mute = IssueAction::Mute {
            mode: MuteMode::Until,
            until: Some(t0 + HOUR),
            factor: None,
            reason: "deploy".into(),
        };
        db.store
            .act_on_issue(&scope, &issue.id, &mute, "dev@test", t0 + 30, &audit(A::IssueMute))
            .await
            .unwrap();
        db.store.end_expired_mutes(t0 + HOUR - 1).await.unwrap();
        assert_eq!(db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap().status, IssueStatus::Muted);
        db.store.end_expired_mutes(t0 + HOUR).await.unwrap();
        assert_eq!(db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap().status, IssueStatus::Open);

        // Resolved by hand, with its event and who did it.
        let done = db
            .store
            .act_on_issue(
                &scope,
                &issue.id,
                &IssueAction::Resolve,
                "dev@test",
                t0 + 40,
                &audit(A::IssueResolve),
            )
            .await;
        assert!(matches!(done.unwrap(), ActOutcome::Done(Some(_))), "{}", db.name);
        let row = db.store.get_issue(&scope, &issue.id).await.unwrap().unwrap();
        assert_eq!((row.status, row.resolved_by.as_deref()), (IssueStatus::Resolved, Some("dev@test")));
        let audited: Vec<String> = db
            .store
            .list_audit(&scope.organization_id, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action.as_str().to_string())
            .collect();
        for a in ["issue.acknowledge", "issue.mute", "issue.resolve"] {
            assert!(audited.iter().any(|x| x == a), "{}: {a} audited: {audited:?}", db.name);
        }
        let _ = Page::First;
    }
}
