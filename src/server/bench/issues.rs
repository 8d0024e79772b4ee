//! `switchboard bench-issues`: the issues list's first pages, server side, with `issues` issues in
//! one environment (most resolved, as over months; a tenth unresolved), under every filter the
//! list offers. A benchmark, not a test: it prints figures and never fails on them.

use super::time_runs;
use crate::domain::issues::{IssueKind, IssueStatus};
use crate::ids::{make_id, prefix};
use crate::server::clock::{Clock, SystemClock};
use crate::server::store::issues::{Clearance, IssueQuery, Observation};
use crate::server::store::{OrganizationRow, Page, Scope, Store, StoreResult};
use std::time::Instant;

pub async fn run(store: &dyn Store, issues: usize, runs: usize) -> StoreResult<()> {
    let now = SystemClock.now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand::random()),
        name: "Issues bench".into(),
        slug: format!("issues-bench-{}", rand::random::<u32>()),
        created_at: now,
    };
    store.create_organization(&org).await?;
    let scope = Scope::new(org.id.clone(), "production");
    let platforms = ["xero", "quickbooks_online", "netsuite", "shopify", "stripe", "square"];
    let connections: Vec<String> =
        (0..1_000).map(|i| make_id(prefix::CONNECTION, now - 400 * 86_400_000 + i, rand::random())).collect();
    let mut batch = crate::server::store::admin::SeedBatch::default();
    for (i, id) in connections.iter().enumerate() {
        batch.connections.push(crate::server::store::ConnectionRow {
            id: id.clone(),
            organization_id: scope.organization_id.clone(),
            environment: scope.environment.clone(),
            platform_id: platforms[i % platforms.len()].to_string(),
            display_name: format!("Bench connection {i}"),
            platform_account_id: format!("bench-{i}"),
            status: crate::domain::ConnectionStatus::Healthy,
            config_version: 1,
            created_at: now - 400 * 86_400_000,
            last_synced_at: None,
            status_reason: None,
            status_since: None,
            rate_limited_until: None,
        });
    }
    store.sync_platform_catalog(crate::domain::PLATFORMS).await?;
    store.insert_seed_batch(&batch).await?;
    println!("Recording {issues} issues over a year (one-off, through the detectors' store calls)...");
    let started = Instant::now();
    let kinds = [
        IssueKind::MissingPermission,
        IssueKind::RateLimited,
        IssueKind::ObjectFailing,
        IssueKind::Credentials,
        IssueKind::EndpointFailing,
        IssueKind::ErrorSpike,
        IssueKind::SyncOverdue,
        IssueKind::ConfigBehind,
    ];
    let span = 365 * 86_400_000i64;
    for chunk in (0..issues).collect::<Vec<_>>().chunks(2_000) {
        let mut seen = vec![];
        let mut cleared = vec![];
        for &i in chunk {
            let kind = kinds[i % kinds.len()];
            let at = now - span + (span / issues as i64) * i as i64;
            let conn = &connections[i % connections.len()];
            let mut o = Observation::new(kind, format!("{conn}:{i}"), format!("bench issue {i}"), at);
            o.platform_id = Some(platforms[i % platforms.len()].to_string());
            o.connection_ids = vec![conn.clone()];
            o.occurrences = 1 + (i % 17) as i64;
            seen.push(o);
            // Nine in ten resolved a day later, as issues do.
            if i % 10 != 0 {
                cleared.push(Clearance {
                    kind,
                    scope_id: format!("{conn}:{i}"),
                    why: "cleared".into(),
                    at: at + 86_400_000,
                });
            }
        }
        store.observe_issues(&scope, &seen).await?;
        store.clear_issues(&scope, &cleared).await?;
    }
    println!("Recorded in {:.0} s.", started.elapsed().as_secs_f64());
    store.analyze().await?;

    let base = IssueQuery { scope: Some(scope.clone()), limit: 51, ..Default::default() };
    let unresolved = vec![IssueStatus::Open, IssueStatus::Acknowledged];
    let first_page = store.list_issues(&IssueQuery { statuses: vec![], ..base.clone() }).await?;
    let cursor = first_page.last().map(|r| r.id.clone()).unwrap_or_default();
    let scenarios: Vec<(&str, IssueQuery)> = vec![
        ("unresolved (the default)", IssueQuery { statuses: unresolved.clone(), ..base.clone() }),
        ("all statuses", base.clone()),
        ("all statuses, page 2", IssueQuery { page: Page::Before(cursor), ..base.clone() }),
        ("resolved", IssueQuery { statuses: vec![IssueStatus::Resolved], ..base.clone() }),
        ("muted (none)", IssueQuery { statuses: vec![IssueStatus::Muted], ..base.clone() }),
        (
            "unresolved + kind",
            IssueQuery { statuses: unresolved.clone(), kind: Some(IssueKind::RateLimited), ..base.clone() },
        ),
        ("all + kind", IssueQuery { kind: Some(IssueKind::ConfigBehind), ..base.clone() }),
        (
            "unresolved + severity",
            IssueQuery {
                statuses: unresolved.clone(),
                severity: Some(crate::domain::issues::IssueSeverity::Critical),
                ..base.clone()
            },
        ),
        (
            "unresolved + platform",
            IssueQuery { statuses: unresolved.clone(), platform_id: Some("stripe".into()), ..base.clone() },
        ),
        ("all + connection", IssueQuery { connection_id: Some(connections[7].clone()), ..base.clone() }),
        (
            "unresolved + connection",
            IssueQuery {
                statuses: unresolved.clone(),
                connection_id: Some(connections[7].clone()),
                ..base.clone()
            },
        ),
        ("all + unknown connection", IssueQuery { connection_id: Some("conn_none".into()), ..base.clone() }),
    ];
    println!("\nIssues list, first page of 50, {issues} issues, {runs} runs each (ms, server side):");
    println!("| Filter | Rows | p50 | p95 |");
    println!("|---|---:|---:|---:|");
    for (name, q) in scenarios {
        let rows = store.list_issues(&q).await?.len().min(50);
        let (p50, p95) = time_runs(runs, || async { store.list_issues(&q).await.map(|_| ()) }).await?;
        println!("| {name} | {rows} | {p50:.2} | {p95:.2} |");
    }
    Ok(())
}
