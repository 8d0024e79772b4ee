//! Issues, in SQL. Compiled once per database (see `audit/sql.rs`).
//!
//! Every change of an issue's status is a conditional UPDATE (`... AND status = 'resolved'`), so
//! when two workers see the same problem at once one of them makes the change and the other
//! counts an occurrence; opening is an INSERT that the unique key lets only one of them make.

use super::{Db, This};
use crate::domain::issues::{
    IssueEventAction, IssueKind, IssueSeverity, IssueStatus, MuteMode, REGRESSION_WINDOW_MS,
};
use crate::server::store::issues::*;
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl IssueStore for This {
    async fn observe_issues(
        &self,
        scope: &Scope,
        observations: &[Observation],
    ) -> StoreResult<Vec<IssueChange>> {
        if observations.is_empty() {
            return Ok(vec![]);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut changes = vec![];
        for o in observations {
            if let Some(c) = observe(&mut tx, scope, o).await? {
                changes.push(c);
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn clear_issues(&self, scope: &Scope, clearances: &[Clearance]) -> StoreResult<Vec<IssueChange>> {
        if clearances.is_empty() {
            return Ok(vec![]);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut changes = vec![];
        for c in clearances {
            if let Some(c) = clear(&mut tx, scope, c).await? {
                changes.push(c);
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn resolve_quiet(
        &self,
        kind: IssueKind,
        quiet_since: i64,
        now: i64,
        why: &str,
    ) -> StoreResult<Vec<IssueChange>> {
        let quiet: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT organization_id, environment, dedup_key FROM issues \
             WHERE kind = $1 AND status IN ('open', 'acknowledged', 'muted') AND last_seen < $2 LIMIT 500",
        )
        .bind(kind)
        .bind(quiet_since)
        .fetch_all(&self.pool)
        .await?;
        if quiet.is_empty() {
            return Ok(vec![]);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut changes = vec![];
        for (org, env, key) in quiet {
            let scope = Scope::new(org, env);
            // `last_seen < quiet_since` again inside: an occurrence may have come meanwhile.
            if let Some(c) = resolve_key(&mut tx, &scope, &key, now, quiet_since, why).await? {
                changes.push(c);
            }
        }
        tx.commit().await?;
        Ok(changes)
    }

    async fn unresolved_for_connections(
        &self,
        kind: IssueKind,
        connection_ids: &[String],
    ) -> StoreResult<Vec<(Scope, String)>> {
        let mut out = vec![];
        for chunk in connection_ids.chunks(500) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT organization_id, environment, dedup_key FROM issues \
                 WHERE status IN ('open', 'acknowledged', 'muted') AND kind = ",
            );
            qb.push_bind(kind).push(" AND connection_id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            qb.push(")");
            let rows: Vec<(String, String, String)> = qb.build_query_as().fetch_all(&self.pool).await?;
            out.extend(rows.into_iter().map(|(o, e, k)| (Scope::new(o, e), k)));
        }
        Ok(out)
    }

    async fn add_error_rates(&self, scope: &Scope, buckets: &[RateBucket]) -> StoreResult<Vec<RateTotals>> {
        if buckets.is_empty() {
            return Ok(vec![]);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let out = add_rates(&mut tx, scope, buckets).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn error_rate_between(
        &self,
        scope: &Scope,
        platform_id: &str,
        api_path: &str,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<RateTotals> {
        let (total, failed): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(SUM(total) AS BIGINT), CAST(SUM(failed) AS BIGINT) FROM error_rate_buckets \
             WHERE organization_id = $1 AND environment = $2 AND platform_id = $3 AND api_path = $4 \
             AND hour >= $5 AND hour < $6",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(platform_id)
        .bind(api_path)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_one(&self.pool)
        .await?;
        Ok(RateTotals { total: total.unwrap_or(0), failed: failed.unwrap_or(0) })
    }

    async fn list_issues(&self, q: &IssueQuery) -> StoreResult<Vec<IssueRow>> {
        let qb = build_issue_list("", q);
        crate::server::store::sql::fetch_page!(qb, &self.pool, &q.page)
    }

    async fn get_issue(&self, scope: &Scope, id: &str) -> StoreResult<Option<IssueRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = $1 AND i.organization_id = $2 AND i.environment = $3"
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn issue_events(&self, issue_id: &str) -> StoreResult<Vec<IssueEventRow>> {
        let mut rows: Vec<IssueEventRow> = sqlx::query_as(
            "SELECT id, issue_id, at, action, actor_email, detail FROM issue_events WHERE issue_id = $1 \
             ORDER BY id DESC LIMIT 200",
        )
        .bind(issue_id)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    async fn issue_connections(&self, issue_id: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT connection_id FROM issue_connections WHERE issue_id = $1 ORDER BY connection_id LIMIT 100",
        )
        .bind(issue_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn connection_issues(
        &self,
        scope: &Scope,
        connection_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>> {
        let mut rows: Vec<IssueRow> = sqlx::query_as(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issue_connections c JOIN issues i ON i.id = c.issue_id \
             WHERE c.connection_id = $1 AND i.organization_id = $2 AND i.environment = $3 \
             AND i.status IN ('open', 'acknowledged', 'muted') ORDER BY i.id DESC LIMIT $4"
        ))
        .bind(connection_id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(limit.clamp(1, 100))
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| std::cmp::Reverse(r.severity.rank()));
        Ok(rows)
    }

    async fn connection_issues_any_status(
        &self,
        scope: &Scope,
        connection_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<IssueRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issue_connections c JOIN issues i ON i.id = c.issue_id \
             WHERE c.connection_id = $1 AND i.organization_id = $2 AND i.environment = $3 \
             ORDER BY i.id DESC LIMIT $4"
        ))
        .bind(connection_id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn end_expired_mutes(&self, now: i64) -> StoreResult<u64> {
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM issues WHERE kind IN ('credentials', 'missing_permission', 'rate_limited', 'object_failing', \
             'sync_overdue', 'endpoint_failing', 'config_behind', 'error_spike') AND status = 'muted' \
             AND mute_mode = 'until' AND muted_until <= $1 LIMIT 500",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        if due.is_empty() {
            return Ok(0);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut n = 0;
        for id in due {
            let changed = sqlx::query(
                "UPDATE issues SET status = 'open', mute_mode = NULL, muted_until = NULL, mute_threshold = NULL, \
                 mute_reason = NULL, muted_by = NULL, updated_at = $2 WHERE id = $1 AND status = 'muted' \
                 AND mute_mode = 'until' AND muted_until <= $2",
            )
            .bind(&id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_event(&mut tx, &id, now, IssueEventAction::Unmuted, None, "The mute's time ran out.")
                    .await?;
                n += 1;
            }
        }
        tx.commit().await?;
        Ok(n)
    }

    async fn act_on_issue(
        &self,
        scope: &Scope,
        id: &str,
        action: &IssueAction,
        actor_email: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<ActOutcome> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        // Write first, read after: on SQLite a transaction that reads and then writes fails with
        // SQLITE_BUSY_SNAPSHOT (517, no busy wait) when another connection commits in between, as
        // a session or worker write can; a first statement that writes waits for the lock and
        // reads the newest data. On PostgreSQL it locks the issue's row for this action.
        sqlx::query("UPDATE issues SET updated_at = updated_at WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let Some(row) = issue_by_id(&mut tx, id)
            .await?
            .filter(|r| r.organization_id == scope.organization_id && r.environment == scope.environment)
        else {
            return Ok(ActOutcome::NotFound);
        };
        let unresolved = row.status != IssueStatus::Resolved;
        let (sql, event, detail, change): (&str, IssueEventAction, String, bool) = match action {
            IssueAction::Acknowledge => {
                if row.status != IssueStatus::Open {
                    return Ok(ActOutcome::NotApplicable(format!(
                        "Only an open issue can be acknowledged; this one is {}.",
                        row.status.label().to_lowercase()
                    )));
                }
                (
                    "UPDATE issues SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3, updated_at = $3 \
                     WHERE id = $1 AND status = 'open'",
                    IssueEventAction::Acknowledged,
                    String::new(),
                    false,
                )
            }
            IssueAction::Mute { mode, until, factor, reason } => {
                if !unresolved {
                    return Ok(ActOutcome::NotApplicable(
                        "A resolved issue cannot be muted: it notifies nobody until it comes back.".into(),
                    ));
                }
                let threshold = factor.map(|f| row.occurrences.saturating_mul(f).max(row.occurrences + 1));
                let n = sqlx::query(
                    "UPDATE issues SET status = 'muted', mute_mode = $2, muted_until = $3, mute_threshold = $4, \
                     mute_reason = $5, muted_by = $6, updated_at = $7 WHERE id = $1 AND status <> 'resolved'",
                )
                .bind(id)
                .bind(*mode)
                .bind(*until)
                .bind(threshold)
                .bind(reason)
                .bind(actor_email)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Ok(ActOutcome::NotApplicable("The issue resolved meanwhile.".into()));
                }
                let how = match mode {
                    MuteMode::Until => format!(
                        "until {}",
                        chrono::DateTime::from_timestamp_millis(until.unwrap_or(now))
                            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_default()
                    ),
                    MuteMode::Worse => {
                        format!("until it reaches {} occurrences", threshold.unwrap_or_default())
                    }
                    MuteMode::Forever => "for good".to_string(),
                };
                insert_event(
                    &mut tx,
                    id,
                    now,
                    IssueEventAction::Muted,
                    Some(actor_email),
                    &format!("Muted {how}: {reason}"),
                )
                .await?;
                super::audit::insert_audit(&mut tx, audit).await?;
                tx.commit().await?;
                return Ok(ActOutcome::Done(None));
            }
            IssueAction::Unmute => {
                if row.status != IssueStatus::Muted {
                    return Ok(ActOutcome::NotApplicable("The issue is not muted.".into()));
                }
                (
                    "UPDATE issues SET status = 'open', mute_mode = NULL, muted_until = NULL, mute_threshold = NULL, \
                     mute_reason = NULL, muted_by = NULL, updated_at = $3 WHERE id = $1 AND status = 'muted' AND $2 = $2",
                    IssueEventAction::Unmuted,
                    String::new(),
                    false,
                )
            }
            IssueAction::Resolve => {
                if !unresolved {
                    return Ok(ActOutcome::NotApplicable("The issue is already resolved.".into()));
                }
                (
                    "UPDATE issues SET status = 'resolved', resolved_at = $3, resolved_by = $2, mute_mode = NULL, \
                     muted_until = NULL, mute_threshold = NULL, mute_reason = NULL, muted_by = NULL, updated_at = $3 \
                     WHERE id = $1 AND status <> 'resolved'",
                    IssueEventAction::Resolved,
                    "Resolved by hand; it reopens as a regression if it comes back within 7 days.".to_string(),
                    true,
                )
            }
            IssueAction::Reopen => {
                if unresolved {
                    return Ok(ActOutcome::NotApplicable("The issue is not resolved.".into()));
                }
                (
                    "UPDATE issues SET status = 'open', resolved_at = NULL, resolved_by = NULL, acknowledged_by = NULL, \
                     acknowledged_at = NULL, updated_at = $3 WHERE id = $1 AND status = 'resolved' AND $2 = $2",
                    IssueEventAction::Reopened,
                    "Reopened by hand.".to_string(),
                    true,
                )
            }
        };
        let n =
            sqlx::query(sql).bind(id).bind(actor_email).bind(now).execute(&mut *tx).await?.rows_affected();
        if n == 0 {
            return Ok(ActOutcome::NotApplicable(
                "Someone else changed the issue meanwhile: reload it.".into(),
            ));
        }
        insert_event(&mut tx, id, now, event, Some(actor_email), &detail).await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        let change = if change { Some(announce(&mut tx, id, event, now).await?) } else { None };
        tx.commit().await?;
        Ok(ActOutcome::Done(change.flatten()))
    }
}

pub(super) fn build_issue_list<'a>(prefix: &str, q: &'a IssueQuery) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE 1 = 1"));
    if let Some(s) = &q.scope {
        qb.push(" AND i.organization_id = ").push_bind(s.organization_id.clone());
        qb.push(" AND i.environment = ").push_bind(s.environment.clone());
    }
    if !q.statuses.is_empty() {
        // Literals, not parameters: the partial indexes of the unresolved list apply only
        // where the database sees this exact condition. The values are the enum's own words.
        let list: Vec<String> = q.statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
        qb.push(format!(" AND i.status IN ({})", list.join(", ")));
    }
    if let Some(v) = q.kind {
        qb.push(" AND i.kind = ").push_bind(v);
    }
    if let Some(v) = q.severity {
        qb.push(" AND i.severity = ").push_bind(v);
    }
    if let Some(v) = &q.platform_id {
        qb.push(" AND i.platform_id = ").push_bind(v.clone());
    }
    if let Some(v) = &q.connection_id {
        // Driven by the connection's index: its issues are few, whatever the table's size.
        qb.push(" AND i.id IN (SELECT c.issue_id FROM issue_connections c WHERE c.connection_id = ")
            .push_bind(v.clone())
            .push(")");
    }
    crate::server::store::sql::push_keyset(&mut qb, "i.id", &q.page, q.limit);
    qb
}

async fn issue_by_id(conn: &mut super::Conn, id: &str) -> StoreResult<Option<IssueRow>> {
    Ok(sqlx::query_as(&format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?)
}

async fn insert_event(
    conn: &mut super::Conn,
    issue_id: &str,
    at: i64,
    action: IssueEventAction,
    actor_email: Option<&str>,
    detail: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO issue_events (id, issue_id, at, action, actor_email, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(crate::ids::make_id(crate::ids::prefix::ISSUE_EVENT, at, rand::random()))
    .bind(issue_id)
    .bind(at)
    .bind(action)
    .bind(actor_email)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The change others hear about, with its `issue.*` webhook event (opened, resolved and
/// reopened have one; the rest are the timeline's).
async fn announce(
    conn: &mut super::Conn,
    issue_id: &str,
    action: IssueEventAction,
    now: i64,
) -> StoreResult<Option<IssueChange>> {
    let Some(row) = issue_by_id(conn, issue_id).await? else { return Ok(None) };
    let event_type = match action {
        IssueEventAction::Opened => Some("issue.opened"),
        IssueEventAction::Resolved => Some("issue.resolved"),
        IssueEventAction::Reopened => Some("issue.reopened"),
        _ => None,
    };
    if let Some(t) = event_type {
        let (event_id, event_type, payload) = crate::server::webhooks::payloads::new_event(
            now,
            t,
            crate::server::webhooks::payloads::issue(&row),
        );
        let event = crate::server::store::webhooks::NewEvent {
            id: event_id,
            organization_id: row.organization_id.clone(),
            environment: row.environment.clone(),
            event_type,
            connection_id: row.connection_id.clone(),
            payload,
            created_at: now,
            only_endpoint: None,
            lease: None,
        };
        super::webhooks::record_event(conn, &event).await?;
    }
    super::notifications::queue_for_change(conn, &row, action, now).await?;
    Ok(Some(IssueChange {
        issue_id: row.id,
        organization_id: row.organization_id,
        environment: row.environment,
        kind: row.kind,
        severity: row.severity,
        action,
    }))
}

/// What an observation finds of its issue.
#[derive(sqlx::FromRow)]
struct Existing {
    id: String,
    status: IssueStatus,
    severity: IssueSeverity,
    occurrences: i64,
    resolved_at: Option<i64>,
    mute_mode: Option<MuteMode>,
    muted_until: Option<i64>,
    mute_threshold: Option<i64>,
}

/// Records one observation on an open transaction (see `IssueStore::observe_issues`). Called
/// from the other contexts' writes too (a run finishing, an endpoint failing, a connection's
/// status), so the problem and its issue commit together.
pub(super) async fn observe(
    conn: &mut super::Conn,
    scope: &Scope,
    o: &Observation,
) -> StoreResult<Option<IssueChange>> {
    let key = o.dedup_key();
    // Two passes at most: a race lost on the insert or a status change is retried once as
    // what the winner made of it.
    for _ in 0..2 {
        let existing: Option<Existing> = sqlx::query_as(
            "SELECT id, status, severity, occurrences, resolved_at, mute_mode, muted_until, mute_threshold \
             FROM issues WHERE organization_id = $1 AND environment = $2 AND dedup_key = $3",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await?;
        let unresolved = existing.as_ref().filter(|e| e.status != IssueStatus::Resolved);
        let Some(e) = unresolved else {
            let mut occurrences = o.occurrences;
            let mut since = o.since.unwrap_or(o.at).min(o.at);
            if let Some(t) = o.threshold {
                // Not an issue yet: count toward the threshold in its window.
                let (hits, window_start): (i64, i64) = sqlx::query_as(
                    "INSERT INTO issue_counters (organization_id, environment, dedup_key, window_start, hits) \
                     VALUES ($1, $2, $3, $7, $5) ON CONFLICT (organization_id, environment, dedup_key) DO UPDATE SET \
                     hits = CASE WHEN issue_counters.window_start < $4 - $6 THEN excluded.hits \
                                 ELSE issue_counters.hits + excluded.hits END, \
                     window_start = CASE WHEN issue_counters.window_start < $4 - $6 THEN excluded.window_start \
                                 ELSE issue_counters.window_start END \
                     RETURNING hits, window_start",
                )
                .bind(&scope.organization_id)
                .bind(&scope.environment)
                .bind(&key)
                .bind(o.at)
                .bind(o.occurrences)
                .bind(t.window_ms)
                // A new window starts at the batch's first hit.
                .bind(since)
                .fetch_one(&mut *conn)
                .await?;
                if hits < t.hits {
                    return Ok(None);
                }
                sqlx::query("DELETE FROM issue_counters WHERE organization_id = $1 AND environment = $2 AND dedup_key = $3")
                    .bind(&scope.organization_id)
                    .bind(&scope.environment)
                    .bind(&key)
                    .execute(&mut *conn)
                    .await?;
                occurrences = hits;
                // It began with the first hit of the window that reached the threshold.
                since = since.min(window_start);
            }
            if let Some(old) = &existing {
                let resolved_at = old.resolved_at.unwrap_or(i64::MIN);
                if o.at <= resolved_at {
                    // Late news of what happened before the issue resolved: not a recurrence.
                    return Ok(None);
                }
                if o.at - resolved_at <= REGRESSION_WINDOW_MS {
                    let n = sqlx::query(
                        "UPDATE issues SET status = 'open', regressed = TRUE, resolved_at = NULL, resolved_by = NULL, \
                         acknowledged_by = NULL, acknowledged_at = NULL, occurrences = occurrences + $2, \
                         last_seen = $3, summary = $4, evidence_id = COALESCE($5, evidence_id), severity = $6, updated_at = $3 \
                         WHERE id = $1 AND status = 'resolved'",
                    )
                    .bind(&old.id)
                    .bind(occurrences)
                    .bind(o.at)
                    .bind(&o.summary)
                    .bind(&o.evidence_id)
                    .bind(o.severity)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        continue;
                    }
                    link_connections(conn, &old.id, &o.connection_ids).await?;
                    insert_event(
                        conn,
                        &old.id,
                        o.at,
                        IssueEventAction::Reopened,
                        None,
                        &format!("Regressed: {}", o.summary),
                    )
                    .await?;
                    return announce(conn, &old.id, IssueEventAction::Reopened, o.at).await;
                }
                // Resolved long ago: that issue is history; this is a new one.
                sqlx::query(
                    "UPDATE issues SET dedup_key = dedup_key || '~' || id WHERE id = $1 AND dedup_key = $2 AND status = 'resolved'",
                )
                .bind(&old.id)
                .bind(&key)
                .execute(&mut *conn)
                .await?;
            }
            let first_seen = since;
            let id = crate::ids::make_id(crate::ids::prefix::ISSUE, first_seen, rand::random());
            let inserted: Option<String> = sqlx::query_scalar(
                "INSERT INTO issues (id, organization_id, environment, dedup_key, kind, severity, status, regressed, \
                 summary, platform_id, connection_id, data_object, endpoint_id, api_path, evidence_id, first_seen, \
                 last_seen, occurrences, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', FALSE, $7, $8, $9, $10, $11, $12, $13, $16, $14, $15, $14) \
                 ON CONFLICT (organization_id, environment, dedup_key) DO NOTHING RETURNING id",
            )
            .bind(&id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(&key)
            .bind(o.kind)
            .bind(o.severity)
            .bind(&o.summary)
            .bind(&o.platform_id)
            .bind(o.connection_ids.first())
            .bind(&o.data_object)
            .bind(&o.endpoint_id)
            .bind(&o.api_path)
            .bind(&o.evidence_id)
            .bind(o.at)
            .bind(occurrences)
            .bind(first_seen)
            .fetch_optional(&mut *conn)
            .await?;
            if inserted.is_none() {
                // Another worker opened it first: count this as an occurrence of theirs.
                continue;
            }
            link_connections(conn, &id, &o.connection_ids).await?;
            insert_event(conn, &id, o.at, IssueEventAction::Opened, None, &o.summary).await?;
            return announce(conn, &id, IssueEventAction::Opened, o.at).await;
        };
        // Unresolved: one more occurrence, perhaps worse, perhaps the end of a mute.
        let severity = if o.severity.rank() > e.severity.rank() { o.severity } else { e.severity };
        // Still unresolved, and never less severe than it is now: a clearance or a person's
        // resolve may have committed since the read above, and then this is a recurrence.
        let n = sqlx::query(
            "UPDATE issues SET occurrences = occurrences + $2, \
             last_seen = CASE WHEN last_seen < $3 THEN $3 ELSE last_seen END, \
             summary = CASE WHEN last_seen <= $3 THEN $4 ELSE summary END, \
             evidence_id = CASE WHEN last_seen <= $3 THEN COALESCE($5, evidence_id) ELSE evidence_id END, \
             severity = CASE WHEN severity = 'critical' THEN severity WHEN $6 = 'critical' THEN $6 \
                             WHEN severity = 'error' THEN severity ELSE $6 END, \
             updated_at = $3 WHERE id = $1 AND status IN ('open', 'acknowledged', 'muted')",
        )
        .bind(&e.id)
        .bind(o.occurrences)
        .bind(o.at)
        .bind(&o.summary)
        .bind(&o.evidence_id)
        .bind(severity)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if n == 0 {
            continue;
        }
        link_connections(conn, &e.id, &o.connection_ids).await?;
        if severity != e.severity {
            insert_event(
                conn,
                &e.id,
                o.at,
                IssueEventAction::Escalated,
                None,
                &format!("Now {}: {}", severity.as_str(), o.summary),
            )
            .await?;
        }
        if e.status == IssueStatus::Muted {
            let ended = match e.mute_mode {
                Some(MuteMode::Until) => e.muted_until.is_some_and(|t| o.at >= t),
                Some(MuteMode::Worse) => e.mute_threshold.is_some_and(|t| e.occurrences + o.occurrences >= t),
                _ => false,
            };
            if ended {
                let n = sqlx::query(
                    "UPDATE issues SET status = 'open', mute_mode = NULL, muted_until = NULL, mute_threshold = NULL, \
                     mute_reason = NULL, muted_by = NULL WHERE id = $1 AND status = 'muted'",
                )
                .bind(&e.id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if n > 0 {
                    let why = match e.mute_mode {
                        Some(MuteMode::Worse) => "The mute ended: the issue got worse.",
                        _ => "The mute ended: its time ran out and the issue recurred.",
                    };
                    insert_event(conn, &e.id, o.at, IssueEventAction::Unmuted, None, why).await?;
                    return announce(conn, &e.id, IssueEventAction::Unmuted, o.at).await;
                }
            }
        }
        return Ok(None);
    }
    Ok(None)
}

async fn link_connections(
    conn: &mut super::Conn,
    issue_id: &str,
    connection_ids: &[String],
) -> StoreResult<()> {
    // An issue lists at most 100 affected connections; past that, the count is what matters.
    for c in connection_ids.iter().take(100) {
        sqlx::query(
            "INSERT INTO issue_connections (issue_id, connection_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(issue_id)
        .bind(c)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Resolves the unresolved issue of a cleared problem on an open transaction.
pub(super) async fn clear(
    conn: &mut super::Conn,
    scope: &Scope,
    c: &Clearance,
) -> StoreResult<Option<IssueChange>> {
    let key = crate::domain::issues::dedup_key(c.kind, &c.scope_id);
    // A clearance older than the issue's last occurrence (late news) resolves nothing.
    resolve_key(conn, scope, &key, c.at, c.at + 1, &c.why).await
}

/// Resolves `key`'s issue if unresolved and not seen since `seen_before`.
async fn resolve_key(
    conn: &mut super::Conn,
    scope: &Scope,
    key: &str,
    now: i64,
    seen_before: i64,
    why: &str,
) -> StoreResult<Option<IssueChange>> {
    let id: Option<String> = sqlx::query_scalar(
        "UPDATE issues SET status = 'resolved', resolved_at = $4, resolved_by = NULL, mute_mode = NULL, \
         muted_until = NULL, mute_threshold = NULL, mute_reason = NULL, muted_by = NULL, updated_at = $4 \
         WHERE organization_id = $1 AND environment = $2 AND dedup_key = $3 \
         AND status IN ('open', 'acknowledged', 'muted') AND last_seen < $5 RETURNING id",
    )
    .bind(&scope.organization_id)
    .bind(&scope.environment)
    .bind(key)
    .bind(now)
    .bind(seen_before)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    insert_event(conn, &id, now, IssueEventAction::Resolved, None, why).await?;
    announce(conn, &id, IssueEventAction::Resolved, now).await
}

/// Adds requests to the hourly error-rate buckets on an open transaction (ingestion writes them
/// with the batch's rows, so a batch takes the writer once); each bucket's totals after.
pub(super) async fn add_rates(
    conn: &mut super::Conn,
    scope: &Scope,
    buckets: &[RateBucket],
) -> StoreResult<Vec<RateTotals>> {
    // One statement for the buckets of a transaction, not one each: SQLite runs every
    // statement as a round trip to its connection's thread, and a flood commits a transaction
    // per slice of 100 rows, each touching tens of buckets. The buckets come ordered and
    // unique (a `BTreeMap`), so PostgreSQL locks their rows in one order and never sees a key
    // twice in a statement. RETURNING names each row's key: its order is not the input's.
    let mut totals: std::collections::HashMap<(String, String, i64), RateTotals> =
        std::collections::HashMap::with_capacity(buckets.len());
    // 7 parameters a row, far below SQLite's limit of 32,766 in a statement.
    for chunk in buckets.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO error_rate_buckets (organization_id, environment, platform_id, api_path, hour, total, failed) ",
        );
        qb.push_values(chunk, |mut row, b| {
            row.push_bind(&scope.organization_id)
                .push_bind(&scope.environment)
                .push_bind(&b.platform_id)
                .push_bind(&b.api_path)
                .push_bind(b.hour)
                .push_bind(b.total)
                .push_bind(b.failed);
        });
        qb.push(
            " ON CONFLICT (organization_id, environment, platform_id, api_path, hour) DO UPDATE SET \
             total = error_rate_buckets.total + excluded.total, failed = error_rate_buckets.failed + excluded.failed \
             RETURNING platform_id, api_path, hour, total, failed",
        );
        let rows: Vec<(String, String, i64, i64, i64)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        for (platform_id, api_path, hour, total, failed) in rows {
            totals.insert((platform_id, api_path, hour), RateTotals { total, failed });
        }
    }
    Ok(buckets
        .iter()
        .map(|b| {
            totals.get(&(b.platform_id.clone(), b.api_path.clone(), b.hour)).copied().unwrap_or_default()
        })
        .collect())
}
