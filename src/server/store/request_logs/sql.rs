//! Request logs, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount this
//! file as a module, where `Db` is that database and `This` its store, so both run the same text as
//! plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean the same on
//! both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl RequestLogStore for This {
    async fn insert_request_logs(&self, rows: &[RequestLogRow]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_request_logs(&mut tx, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ingest_request_logs(
        &self,
        rows: Vec<RequestLogRow>,
    ) -> StoreResult<crate::server::store::issues::IngestReport> {
        // Redaction, hashing and reading for issues are CPU work: done on a blocking thread
        // (the async threads keep serving pages) and before the transaction (SQLite's one
        // writer is held only for the writes).
        let (rows, mut found) = tokio::task::spawn_blocking(move || {
            let mut rows = rows;
            for r in &mut rows {
                r.redact();
                // The hash is of what was sent: the classification is derived, and a rule that
                // changes between two deliveries must not turn a retry into a conflict.
                r.content_hash = Some(r.content_digest());
                r.classify();
            }
            let facts: Vec<_> = rows.iter().map(crate::server::store::issues::RequestFact::of).collect();
            let found = crate::server::issues::detect::from_requests(&facts);
            (rows, found)
        })
        .await
        .map_err(|e| crate::server::store::StoreError::Database(sqlx::Error::Protocol(e.to_string())))?;
        let scope = rows.first().map(|r| Scope::new(r.organization_id.clone(), r.environment.clone()));
        // Written in slices of 100 rows. SQLite has one writer: when another write waits for it
        // (another organization's batch, the worker), the slice commits and the turn passes, so
        // that write waits behind a slice of a few milliseconds, not behind a flood's batch of
        // tens; alone, the whole batch is one transaction, its fastest way. Each item stands
        // alone (ids are idempotent), so slices need not commit together. PostgreSQL writes
        // concurrently: one statement and one transaction per batch.
        //
        // What the rows of a transaction show (the issues of their requests, the error-rate
        // counters) is recorded in that transaction, so detection takes no turn of its own and
        // a process killed between two transactions has counted exactly what it stored: the
        // retry skips the stored items and counts the rest.
        let slice = match super::BACKEND {
            Backend::Sqlite => WRITE_SLICE,
            Backend::Postgres => rows.len().max(1),
        };
        let mut conflicts = vec![];
        let mut skipped: std::collections::HashSet<usize> = std::collections::HashSet::new();
        let mut latest: std::collections::HashMap<
            (String, String, i64),
            crate::server::store::issues::RateTotals,
        > = std::collections::HashMap::new();
        let mut totals = vec![];
        let mut changes = vec![];
        let mut done = 0;
        let mut transactions = 0;
        while done < rows.len() {
            let _writer = self.writer().await;
            let mut tx = self.begin().await?;
            transactions += 1;
            let start = done;
            loop {
                let part = &rows[done..(done + slice).min(rows.len())];
                let (c, s) = ingest_request_log_slice(&mut tx, part).await?;
                conflicts.extend(c.into_iter().map(|i| done + i));
                skipped.extend(s.into_iter().map(|i| done + i));
                done += part.len();
                if done >= rows.len() || self.writer_wanted() {
                    break;
                }
            }
            // The hourly rollups of the rows this transaction stored, with them.
            let stored = crate::server::store::rollups::RequestRollups::of(
                (start..done).filter(|i| !skipped.contains(i)).map(|i| &rows[i]),
            );
            super::rollups::add_request_rollups(&mut tx, &stored).await?;
            if let Some(scope) = &scope {
                // The whole batch, new, in one transaction (the common case) was read already.
                let whole = start == 0 && done >= rows.len() && skipped.is_empty();
                let part;
                let shown = if whole {
                    &found
                } else {
                    let facts: Vec<_> = (start..done)
                        .filter(|i| !skipped.contains(i))
                        .map(|i| crate::server::store::issues::RequestFact::of(&rows[i]))
                        .collect();
                    part = crate::server::issues::detect::from_requests(&facts);
                    &part
                };
                let t = super::issues::add_rates(&mut tx, scope, &shown.buckets).await?;
                for (b, t) in shown.buckets.iter().zip(&t) {
                    latest.insert((b.platform_id.clone(), b.api_path.clone(), b.hour), *t);
                }
                if whole {
                    totals = t;
                }
                for o in &shown.observations {
                    changes.extend(super::issues::observe(&mut tx, scope, o).await?);
                }
            }
            tx.commit().await?;
        }
        // Over several transactions, or with items stored before (a retry): the batch's new
        // items, and each bucket's totals after its last transaction.
        if transactions > 1 || !skipped.is_empty() {
            let facts: Vec<_> = rows
                .iter()
                .enumerate()
                .filter(|(i, _)| !skipped.contains(i))
                .map(|(_, r)| crate::server::store::issues::RequestFact::of(r))
                .collect();
            found = crate::server::issues::detect::from_requests(&facts);
            totals = found
                .buckets
                .iter()
                .map(|b| {
                    latest
                        .get(&(b.platform_id.clone(), b.api_path.clone(), b.hour))
                        .copied()
                        .unwrap_or_default()
                })
                .collect();
        }
        Ok(crate::server::store::issues::IngestReport { conflicts, found, totals, changes })
    }

    async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>> {
        let mut qb = build_request_log_list("", query);
        if query.id_ranges.is_empty() {
            return crate::server::store::sql::fetch_page!(qb, &self.pool, &query.page);
        }
        // Planned with this call's ranges (see `filter_hours`), not a generic plan.
        let mut rows: Vec<RequestLogSummaryRow> =
            qb.build_query_as().persistent(false).fetch_all(&self.pool).await?;
        if matches!(query.page, Page::After(_)) {
            rows.reverse();
        }
        Ok(rows)
    }

    async fn request_log_span(&self, scope: &Scope) -> StoreResult<Option<(String, String)>> {
        let (oldest, newest): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT id FROM request_logs WHERE organization_id = $1 AND environment = $2 ORDER BY id LIMIT 1), \
                    (SELECT id FROM request_logs WHERE organization_id = $1 AND environment = $2 ORDER BY id DESC LIMIT 1)",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_one(&self.pool)
        .await?;
        Ok(oldest.zip(newest))
    }

    async fn get_request_log(&self, scope: &Scope, id: &str) -> StoreResult<Option<RequestLogRow>> {
        Ok(sqlx::query_as(
        "SELECT id, organization_id, environment, connection_id, platform_id, api_key_prefix, method, path, \
                query, status_code, status_class, latency_ms, error_code, error_message, platform_error, \
                error_confidence, request_headers, request_body, response_body, response_truncated, \
                upstream_calls, idempotency_key, user_agent, source_ip, created_at, redacted_fields, \
                error_cause, error_field, error_rule, classified_code \
         FROM request_logs WHERE id = $1 AND organization_id = $2 AND environment = $3",
    )
    .bind(id)
    .bind(&scope.organization_id)
    .bind(&scope.environment)
    .fetch_optional(&self.pool)
    .await?)
    }
}

/// The list query: the filters' index read in id order, or with `id_ranges` one branch per
/// range (each an index range with its own limit) and the newest (or oldest) of them all.
pub(super) fn build_request_log_list<'a>(prefix: &str, q: &'a RequestLogQuery) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    let order = if matches!(q.page, Page::After(_)) { " ORDER BY id ASC" } else { " ORDER BY id DESC" };
    if q.id_ranges.is_empty() {
        push_request_log_branch(&mut qb, q, None);
        qb.push(" LIMIT ").push_bind(q.limit);
        return qb;
    }
    for (i, range) in q.id_ranges.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT * FROM (");
        push_request_log_branch(&mut qb, q, Some(range));
        qb.push(" LIMIT ").push_bind(q.limit).push(format!(") AS b{i}"));
    }
    qb.push(order).push(" LIMIT ").push_bind(q.limit);
    qb
}

/// One `SELECT` of the list, ordered in the page's direction, without its limit.
fn push_request_log_branch<'a>(
    qb: &mut sqlx::QueryBuilder<'a, Db>,
    q: &'a RequestLogQuery,
    range: Option<&'a (String, String)>,
) {
    qb.push(
        "SELECT id, connection_id, platform_id, method, path, status_code, latency_ms, error_code, created_at \
         FROM request_logs WHERE organization_id = ",
    );
    qb.push_bind(&q.organization_id);
    qb.push(" AND environment = ").push_bind(&q.environment);
    let driving = q.driving_filter().unwrap_or("id");
    let col = |name: &'static str| -> String {
        if super::PLANNER_HINTS && name != driving {
            format!("+{name}")
        } else {
            name.to_string()
        }
    };
    if let Some(v) = &q.request_id {
        qb.push(format!(" AND {} = ", col("id"))).push_bind(v);
    }
    if let Some(v) = &q.connection_id {
        qb.push(format!(" AND {} = ", col("connection_id"))).push_bind(v);
    }
    if let Some(v) = &q.platform_id {
        qb.push(format!(" AND {} = ", col("platform_id"))).push_bind(v);
    }
    // A class as a range of codes: `status_code` is in the list's index, `status_class` is not.
    if let Some(v) = q.status_class {
        let code = col("status_code");
        qb.push(format!(" AND {code} >= "))
            .push_bind(v * 100)
            .push(format!(" AND {code} < "))
            .push_bind(v * 100 + 100);
    }
    if let Some(v) = q.status_code {
        qb.push(format!(" AND {} = ", col("status_code"))).push_bind(v);
    }
    if let Some(v) = &q.error_code {
        qb.push(format!(" AND {} = ", col("error_code"))).push_bind(v);
    }
    if let Some(v) = &q.method {
        qb.push(format!(" AND {} = ", col("method"))).push_bind(v);
    }
    if let Some((from, to)) = &q.path_range {
        let path = if super::PLANNER_HINTS { "+path" } else { "path" };
        qb.push(format!(" AND {path} >= ")).push_bind(from).push(format!(" AND {path} < ")).push_bind(to);
    }
    if let Some(v) = &q.from_id {
        qb.push(" AND id >= ").push_bind(v);
    }
    if let Some(v) = &q.to_id {
        qb.push(" AND id < ").push_bind(v);
    }
    if let Some((from, to)) = range {
        qb.push(" AND id >= ").push_bind(from).push(" AND id < ").push_bind(to);
    }
    match &q.page {
        Page::First => {
            qb.push(" ORDER BY id DESC");
        }
        Page::Before(id) => {
            qb.push(" AND id < ").push_bind(id).push(" ORDER BY id DESC");
        }
        Page::After(id) => {
            qb.push(" AND id > ").push_bind(id).push(" ORDER BY id ASC");
        }
    }
}

/// The only way request logs enter the database: every row is redacted
/// (`RequestLogRow::redact`) before its values are bound. `insert_request_log_rows` is the
/// backend's own (`sqlite.rs`, `postgres.rs`): each database takes a batch its fastest way.
pub(super) async fn insert_request_logs(conn: &mut super::Conn, rows: &[RequestLogRow]) -> StoreResult<u64> {
    let rows: Vec<RequestLogRow> = rows
        .iter()
        .cloned()
        .map(|mut r| {
            r.redact();
            r.classify();
            r
        })
        .collect();
    super::insert_request_log_rows(conn, &rows, "").await?;
    super::rollups::add_request_rollups(conn, &crate::server::store::rollups::RequestRollups::of(&rows))
        .await?;
    Ok(rows.len() as u64)
}

/// Rows written per transaction at ingestion (see `ingest_request_logs`).
const WRITE_SLICE: usize = 100;

/// Writes one slice. Returns the positions of conflicts (an id stored with other content) and
/// of every item not written because its id was stored already (a retry): issue detection counts
/// only what this call stored, so a batch sent twice counts once.
async fn ingest_request_log_slice(
    tx: &mut sqlx::Transaction<'static, Db>,
    rows: &[RequestLogRow],
) -> StoreResult<(Vec<usize>, Vec<usize>)> {
    // One statement: the ids it returns are the items that were new. The common case, every id
    // new, ends here: no savepoint to undo and write again, which cost SQLite statements on
    // every slice while a flood commits each one.
    let inserted: std::collections::HashSet<String> =
        super::insert_request_log_rows(&mut *tx, rows, " ON CONFLICT (id) DO NOTHING RETURNING id")
            .await?
            .into_iter()
            .collect();
    if inserted.len() == rows.len() {
        return Ok((vec![], vec![]));
    }
    // The rest were stored before (a retry, a reused id, or an id twice in this slice, whose
    // first item is the one written): compare what is stored.
    let mut written: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let skipped: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !(inserted.contains(&r.id) && written.insert(r.id.as_str())))
        .map(|(i, _)| i)
        .collect();
    let mut stored: std::collections::HashMap<String, (String, String, Option<String>)> =
        std::collections::HashMap::new();
    let ids: Vec<&str> = skipped.iter().map(|&i| rows[i].id.as_str()).collect();
    for chunk in ids.chunks(500) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT id, organization_id, environment, content_hash FROM request_logs WHERE id IN (",
        );
        let mut sep = qb.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        qb.push(")");
        let found: Vec<(String, String, String, Option<String>)> =
            qb.build_query_as().fetch_all(&mut **tx).await?;
        for (id, org, env, hash) in found {
            stored.insert(id, (org, env, hash));
        }
    }
    // Another organization's (or environment's) id is answered as a new one would be: a
    // conflict would tell the sender that the id exists elsewhere. It is not stored (ids are
    // ULIDs: only a copied id collides).
    let conflicts = skipped
        .iter()
        .copied()
        .filter(|&i| {
            let r = &rows[i];
            stored.get(&r.id).is_some_and(|(org, env, hash)| {
                *org == r.organization_id && *env == r.environment && hash.as_ref() != r.content_hash.as_ref()
            })
        })
        .collect();
    Ok((conflicts, skipped))
}
