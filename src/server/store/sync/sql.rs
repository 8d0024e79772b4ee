//! Sync runs and backfills, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each
//! mount this file as a module, where `Db` is that database and `This` its store, so both run the
//! same text as plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean
//! the same on both).

use super::{Db, This};
use crate::server::store::*;
use crate::server::webhooks::payloads;
use async_trait::async_trait;

#[async_trait]
impl crate::server::store::sync::SyncStore for This {
    async fn create_backfill(
        &self,
        b: &crate::server::store::sync::NewBackfill,
        runs: &[crate::server::store::sync::NewSyncRun],
        audit: &NewAuditEntry,
    ) -> StoreResult<(String, bool)> {
        use crate::server::store::sql::bulk_insert;
        let existing = || async {
            let id: Option<String> = sqlx::query_scalar(
                "SELECT id FROM backfills WHERE organization_id = $1 AND idempotency_key = $2",
            )
            .bind(&b.organization_id)
            .bind(&b.idempotency_key)
            .fetch_optional(&self.pool)
            .await?;
            StoreResult::Ok(id)
        };
        if let Some(id) = existing().await? {
            return Ok((id, false));
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO backfills (id, organization_id, environment, status, data_objects, range_from, range_to, \
             config_version, created_by, created_by_email, created_at, idempotency_key, reason) \
             VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&b.id)
        .bind(&b.organization_id)
        .bind(&b.environment)
        .bind(&b.data_objects)
        .bind(b.range_from)
        .bind(b.range_to)
        .bind(b.config_version)
        .bind(&b.created_by)
        .bind(&b.created_by_email)
        .bind(b.created_at)
        .bind(&b.idempotency_key)
        .bind(&b.reason)
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            // Two submits racing: the other one created it.
            if let sqlx::Error::Database(db) = &e {
                if db.is_unique_violation() {
                    drop(tx);
                    if let Some(id) = existing().await? {
                        return Ok((id, false));
                    }
                }
            }
            return Err(e.into());
        }
        let links: Vec<(&str, &str)> = b.connection_ids.iter().map(|c| (b.id.as_str(), c.as_str())).collect();
        bulk_insert!(Db, tx, "backfill_connections", [backfill_id, connection_id, status], &links, |q, r| {
            q.push_bind(r.0).push_bind(r.1).push_bind("queued");
        });
        insert_runs(&mut tx, runs).await?;
        if !b.move_at_once.is_empty() {
            let scope = Scope::new(b.organization_id.clone(), &b.environment);
            super::sync_config::move_to_version(&mut tx, &scope, &b.move_at_once, b.config_version).await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok((b.id.clone(), true))
    }

    async fn queue_runs(
        &self,
        runs: &[crate::server::store::sync::NewSyncRun],
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        insert_runs(&mut tx, runs).await?;
        if let Some(a) = audit {
            super::audit::insert_audit(&mut tx, a).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_runs(
        &self,
        scope: Option<&Scope>,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync::ClaimedRun>> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut qb = sqlx::QueryBuilder::<Db>::new("UPDATE sync_runs SET status = 'running', lease_owner = ");
        qb.push_bind(owner)
            .push(", lease_expires_at = ")
            .push_bind(now + lease_ms)
            .push(", lease_ms = ")
            .push_bind(lease_ms)
            .push(", started_at = ")
            .push_bind(now)
            .push(
                ", attempts = attempts + 1, progress = 0, log = '[]' \
                 WHERE id IN (SELECT id FROM sync_runs WHERE status = 'queued'",
            );
        if let Some(scope) = scope {
            qb.push(" AND organization_id = ")
                .push_bind(&scope.organization_id)
                .push(" AND environment = ")
                .push_bind(&scope.environment);
        }
        qb.push(" ORDER BY CASE WHEN trigger_kind = 'schedule' THEN 1 ELSE 0 END, id LIMIT ")
            .push_bind(limit)
            .push(concat!(
                " ",
                skip_locked!(),
                ") RETURNING id, connection_id, organization_id, environment, platform_id, data_object, kind, \
                 range_from, range_to, backfill_id, attempts"
            ));
        let claimed: Vec<crate::server::store::sync::ClaimedRun> =
            qb.build_query_as().fetch_all(&mut *tx).await?;
        let mut backfills: Vec<&str> = claimed.iter().filter_map(|r| r.backfill_id.as_deref()).collect();
        backfills.sort();
        backfills.dedup();
        for id in backfills {
            sqlx::query(
                "UPDATE backfills SET status = 'running', started_at = COALESCE(started_at, $2) \
                 WHERE id = $1 AND status = 'queued'",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn requeue_expired(&self, now: i64) -> StoreResult<u64> {
        let _writer = self.writer().await;
        Ok(sqlx::query(
            "UPDATE sync_runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL \
             WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < $1)",
        )
        .bind(now)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    async fn heartbeat_run(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_ms: i64,
        progress: i64,
        log: &str,
    ) -> StoreResult<crate::server::store::sync::Heartbeat> {
        use crate::server::store::sync::Heartbeat;
        let row: Option<(Option<String>, String, Option<i64>)> = sqlx::query_as(
            "SELECT r.lease_owner, r.status, b.cancelled_at FROM sync_runs r \
             LEFT JOIN backfills b ON b.id = r.backfill_id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((lease_owner, status, cancelled_at)) = row else { return Ok(Heartbeat::Lost) };
        if lease_owner.as_deref() != Some(owner) || status != "running" {
            return Ok(Heartbeat::Lost);
        }
        if cancelled_at.is_some() {
            return Ok(Heartbeat::Cancel);
        }
        let log = crate::server::redact::run_log(log);
        let _writer = self.writer().await;
        let n = sqlx::query(
            "UPDATE sync_runs SET lease_expires_at = $3 + COALESCE(lease_ms, $6), progress = $4, log = $5 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(now)
        .bind(progress)
        .bind(&log)
        .bind(lease_ms)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(if n == 1 { Heartbeat::Continue } else { Heartbeat::Lost })
    }

    async fn finish_run(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        result: &crate::server::store::sync::RunResult,
    ) -> StoreResult<bool> {
        // Redacted here, so the run, the connection's status reason and the
        // `connection.needs_reauth` payload made from it never hold a secret, whoever reports;
        // and its raw error classified, whoever reports.
        let platform: Option<String> = sqlx::query_scalar("SELECT platform_id FROM sync_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let result = &result.prepared(platform.as_deref().unwrap_or_default());
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        // Runs of one connection finish one at a time: lock the connection's row first.
        // Without it, two runs ending together on PostgreSQL would each see the other
        // still running (neither commit visible to the other) and neither would end the
        // batch or the backfill. On SQLite the single writer already serializes this.
        sqlx::query(
            "UPDATE connections SET status = status WHERE id = (SELECT connection_id FROM sync_runs WHERE id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "UPDATE sync_runs SET status = $3, finished_at = $4, records_added = $5, records_updated = $6, \
             records_deleted = $7, error_code = $8, error_message = $9, platform_error = $10, log = $11, \
             progress = $12, lease_owner = NULL, lease_expires_at = NULL, error_cause = $13, error_field = $14, \
             error_rule = $15, classified_code = $16, error_confidence = $17 \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(result.status)
        .bind(now)
        .bind(result.records_added)
        .bind(result.records_updated)
        .bind(result.records_deleted)
        .bind(&result.error_code)
        .bind(&result.error_message)
        .bind(&result.platform_error)
        .bind(&result.log)
        .bind(result.progress)
        .bind(&result.reading.cause)
        .bind(&result.reading.field)
        .bind(&result.reading.rule)
        .bind(&result.reading.classified_code)
        .bind(&result.reading.confidence)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        let (connection_id, organization_id, environment, backfill_id, queued_at, trigger_kind, data_object): (
            String,
            String,
            String,
            Option<String>,
            i64,
            String,
            String,
        ) = sqlx::query_as(
            "SELECT connection_id, organization_id, environment, backfill_id, queued_at, trigger_kind, data_object \
             FROM sync_runs WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let scope = Scope::new(organization_id.clone(), environment.clone());
        let event = |event_type: &str, data: serde_json::Value| payloads::new_event(now, event_type, data);
        let mut events = vec![];
        if result.needs_reauth {
            let changed = sqlx::query(
                "UPDATE connections SET status = 'needs_reauth', status_reason = $2, status_since = $3 \
                 WHERE id = $1 AND status NOT IN ('needs_reauth', 'disabled')",
            )
            .bind(&connection_id)
            .bind(&result.error_message)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                events.push(event(
                    "connection.needs_reauth",
                    payloads::connection_needs_reauth(&connection_id, result.error_message.as_deref()),
                ));
                let mut o = crate::server::store::issues::Observation::credentials(
                    &connection_id,
                    platform.as_deref(),
                    result.error_message.as_deref(),
                    now,
                );
                o.evidence_id = Some(id.to_string());
                super::issues::observe(&mut tx, &scope, &o).await?;
            }
        }
        object_issue(&mut tx, &scope, id, &connection_id, &data_object, platform.as_deref(), result, now)
            .await?;
        if matches!(
            result.status,
            crate::domain::SyncRunStatus::Succeeded | crate::domain::SyncRunStatus::Partial
        ) {
            sqlx::query("UPDATE connections SET last_synced_at = $2 WHERE id = $1")
                .bind(&connection_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        // The batch this run belongs to: its backfill's runs for this connection, or
        // the runs queued together for the connection (one schedule tick, one "sync now").
        let batch: Vec<(String, String, i64, i64, i64, Option<String>)> = match &backfill_id {
            Some(b) => sqlx::query_as(
                "SELECT data_object, status, records_added, records_updated, records_deleted, error_code \
                 FROM sync_runs WHERE backfill_id = $1 AND connection_id = $2 ORDER BY data_object",
            )
            .bind(b)
            .bind(&connection_id)
            .fetch_all(&mut *tx)
            .await?,
            None => sqlx::query_as(
                "SELECT data_object, status, records_added, records_updated, records_deleted, error_code \
                 FROM sync_runs WHERE connection_id = $1 AND queued_at = $2 AND trigger_kind = $3 \
                 AND backfill_id IS NULL ORDER BY data_object",
            )
            .bind(&connection_id)
            .bind(queued_at)
            .bind(&trigger_kind)
            .fetch_all(&mut *tx)
            .await?,
        };
        if batch.iter().all(|r| r.1 != "queued" && r.1 != "running") {
            let failed: Vec<String> = batch
                .iter()
                .filter(|r| r.1 == "failed")
                .map(|r| format!("{} ({})", r.0, r.5.clone().unwrap_or_default()))
                .collect();
            let any = |s: &str| batch.iter().any(|r| r.1 == s);
            let (new_status, reason) = if failed.is_empty() {
                ("healthy", None)
            } else {
                ("degraded", Some(format!("The last sync failed for {}.", failed.join(", "))))
            };
            if !any("cancelled") || !failed.is_empty() {
                sqlx::query(
                    "UPDATE connections SET status_since = CASE WHEN status = $2 THEN status_since ELSE $4 END, \
                     status = $2, status_reason = $3 \
                     WHERE id = $1 AND status IN ('initializing', 'healthy', 'degraded')",
                )
                .bind(&connection_id)
                .bind(new_status)
                .bind(&reason)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            if let Some(b) = &backfill_id {
                let part = if !failed.is_empty() {
                    "failed"
                } else if any("partial") {
                    "partial"
                } else if any("cancelled") {
                    "cancelled"
                } else {
                    "succeeded"
                };
                sqlx::query("UPDATE backfill_connections SET status = $3 WHERE backfill_id = $1 AND connection_id = $2")
                    .bind(b)
                    .bind(&connection_id)
                    .bind(part)
                    .execute(&mut *tx)
                    .await?;
                if part == "succeeded" || part == "partial" {
                    // Backfilled under the current configuration: no longer behind it.
                    sqlx::query(
                        "UPDATE connections SET config_version = (SELECT config_version FROM backfills WHERE id = $2) \
                         WHERE id = $1 AND config_version < (SELECT config_version FROM backfills WHERE id = $2)",
                    )
                    .bind(&connection_id)
                    .bind(b)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            let objects: Vec<payloads::ObjectOutcome> = batch
                .iter()
                .map(|r| payloads::ObjectOutcome {
                    object: &r.0,
                    status: &r.1,
                    records_added: r.2,
                    records_updated: r.3,
                    records_deleted: r.4,
                    error_code: r.5.as_deref(),
                })
                .collect();
            let sync_completed = event(
                "sync.completed",
                payloads::sync_completed(&connection_id, &trigger_kind, backfill_id.as_deref(), &objects),
            );
            events.push(sync_completed);
            // The backfill can only have ended when one of its connections just did.
            if let Some(b) = &backfill_id {
                // Connections of one backfill end one at a time too (same reason): lock
                // the backfill's row, always after the connection's, so no deadlock.
                sqlx::query("UPDATE backfills SET status = status WHERE id = $1")
                    .bind(b)
                    .execute(&mut *tx)
                    .await?;
                if let Some(e) = finalize_backfill(&mut tx, b, now).await? {
                    events.push(e);
                }
            }
        }

        for (event_id, event_type, payload) in events {
            let conn = if event_type == "backfill.completed" { None } else { Some(connection_id.clone()) };
            let event = crate::server::store::webhooks::NewEvent {
                id: event_id,
                organization_id: organization_id.clone(),
                environment: environment.clone(),
                event_type,
                connection_id: conn,
                payload,
                created_at: now,
                only_endpoint: None,
                lease: None,
            };
            super::webhooks::record_event(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn cancel_backfill(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE backfills SET cancelled_at = $4 WHERE id = $1 AND organization_id = $2 AND environment = $3 \
             AND status IN ('queued', 'running') AND cancelled_at IS NULL",
        )
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE sync_runs SET status = 'cancelled', finished_at = $2 WHERE backfill_id = $1 AND status = 'queued'",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        // Connections with nothing left to run (all their runs were still queued) end now.
        sqlx::query(
            "UPDATE backfill_connections SET status = 'cancelled' WHERE backfill_id = $1 \
             AND status IN ('queued', 'running') AND NOT EXISTS (SELECT 1 FROM sync_runs r \
                WHERE r.backfill_id = $1 AND r.connection_id = backfill_connections.connection_id \
                AND r.status IN ('queued', 'running'))",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some((event_id, event_type, payload)) = finalize_backfill(&mut tx, id, now).await? {
            let event = crate::server::store::webhooks::NewEvent {
                id: event_id,
                organization_id: scope.organization_id.clone(),
                environment: scope.environment.clone(),
                event_type,
                connection_id: None,
                payload,
                created_at: now,
                only_endpoint: None,
                lease: None,
            };
            super::webhooks::record_event(&mut tx, &event).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn list_backfills(
        &self,
        scope: &Scope,
        status: Option<&str>,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync::BackfillSummaryRow>> {
        let qb = build_backfill_list("", scope, status, page, limit);
        crate::server::store::sql::fetch_page!(qb, &self.pool, page)
    }

    async fn get_backfill(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<crate::server::store::sync::BackfillSummaryRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM backfills b WHERE b.id = $1 AND b.organization_id = $2 AND b.environment = $3",
            crate::server::store::sync::BACKFILL_COLUMNS
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn backfill_runs(
        &self,
        scope: &Scope,
        id: &str,
        after_connection: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync::SyncRunDetailRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM sync_runs r LEFT JOIN users u ON u.id = r.triggered_by \
             WHERE r.backfill_id = $1 AND r.organization_id = $2 AND r.environment = $3 \
             AND r.connection_id IN (SELECT bc.connection_id FROM backfill_connections bc \
                WHERE bc.backfill_id = $1 AND bc.connection_id > $4 ORDER BY bc.connection_id LIMIT $5) \
             ORDER BY r.connection_id, r.data_object",
            crate::server::store::sync::RUN_COLUMNS
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(after_connection.unwrap_or(""))
        .bind(limit.clamp(1, crate::server::store::MAX_PAGE))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn list_sync_runs(
        &self,
        scope: &Scope,
        connection_id: Option<&str>,
        q: &crate::server::store::sync::SyncRunQuery,
    ) -> StoreResult<Vec<crate::server::store::sync::SyncRunDetailRow>> {
        let qb = build_sync_run_list("", scope, connection_id, q);
        crate::server::store::sql::fetch_page!(qb, &self.pool, &q.page)
    }

    async fn get_sync_run(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<crate::server::store::sync::SyncRunDetailRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {} FROM sync_runs r LEFT JOIN users u ON u.id = r.triggered_by \
             WHERE r.id = $1 AND r.organization_id = $2 AND r.environment = $3",
            crate::server::store::sync::RUN_COLUMNS
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn object_states(
        &self,
        scope: &Scope,
        connection_id: &str,
    ) -> StoreResult<Vec<(crate::server::store::sync::SyncRunDetailRow, Option<i64>)>> {
        // The connection's objects, one index step each along (connection_id, data_object, id)
        // (a skip scan): a DISTINCT over its runs read every run of the environment through
        // the scope's index on SQLite, 10 ms on the demo for every request and connection page.
        // The anchor checks the connection is in the scope once.
        let objects: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE o(d) AS ( \
               SELECT (SELECT MIN(data_object) FROM sync_runs WHERE connection_id = $1) \
               WHERE EXISTS (SELECT 1 FROM connections WHERE id = $1 AND organization_id = $2 \
                 AND environment = $3) \
               UNION ALL \
               SELECT (SELECT MIN(data_object) FROM sync_runs WHERE connection_id = $1 AND data_object > o.d) \
               FROM o WHERE o.d IS NOT NULL) \
             SELECT d FROM o WHERE d IS NOT NULL",
        )
        .bind(connection_id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(objects.len());
        for object in objects {
            // Both use the (connection_id, data_object, id) index, newest first.
            let latest: Option<crate::server::store::sync::SyncRunDetailRow> = sqlx::query_as(&format!(
                "SELECT {} FROM sync_runs r LEFT JOIN users u ON u.id = r.triggered_by \
                 WHERE r.connection_id = $1 AND r.data_object = $2 ORDER BY r.id DESC LIMIT 1",
                crate::server::store::sync::RUN_COLUMNS
            ))
            .bind(connection_id)
            .bind(&object)
            .fetch_optional(&self.pool)
            .await?;
            let last_success: Option<i64> = sqlx::query_scalar(
                "SELECT finished_at FROM sync_runs WHERE connection_id = $1 AND data_object = $2 \
                 AND status IN ('succeeded', 'partial') ORDER BY id DESC LIMIT 1",
            )
            .bind(connection_id)
            .bind(&object)
            .fetch_optional(&self.pool)
            .await?
            .flatten();
            if let Some(l) = latest {
                out.push((l, last_success));
            }
        }
        Ok(out)
    }

    async fn current_sync_config(
        &self,
        scope: &Scope,
        integration_type: crate::domain::IntegrationType,
    ) -> StoreResult<Option<(i64, serde_json::Value)>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT version, settings FROM sync_configs WHERE organization_id = $1 AND environment = $2 \
             AND integration_type = $3 ORDER BY version DESC LIMIT 1",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(integration_type.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(v, s)| (v, serde_json::from_str(&s).unwrap_or_default())))
    }

    async fn schedule_candidates(
        &self,
        after: &str,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::sync::ScheduleCandidate>> {
        Ok(sqlx::query_as(
            "SELECT c.id, c.organization_id, c.environment, c.platform_id, c.config_version, \
                (SELECT MAX(r.queued_at) FROM sync_runs r WHERE r.connection_id = c.id \
                    AND r.trigger_kind IN ('schedule', 'connection')) AS last_scheduled, \
                (SELECT COUNT(*) FROM sync_runs r WHERE r.connection_id = c.id \
                    AND r.status IN ('queued', 'running')) AS active, \
                (SELECT MIN(r.queued_at) FROM sync_runs r WHERE r.connection_id = c.id \
                    AND r.status = 'queued' AND r.trigger_kind IN ('schedule', 'connection')) AS queued_since, \
                (SELECT MIN(s.created_at) FROM sync_configs s WHERE s.organization_id = c.organization_id \
                    AND s.environment = c.environment AND s.integration_type = p.integration_type \
                    AND s.version > c.config_version) AS behind_since \
             FROM connections c JOIN platforms p ON p.id = c.platform_id \
             WHERE c.id > $1 AND c.status IN ('healthy', 'degraded') \
             ORDER BY c.id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn sync_config_version(
        &self,
        organization_id: &str,
        environment: &str,
        integration_type: crate::domain::IntegrationType,
        version: i64,
    ) -> StoreResult<Option<serde_json::Value>> {
        let settings: Option<String> = sqlx::query_scalar(
            "SELECT settings FROM sync_configs WHERE organization_id = $1 AND environment = $2 \
             AND integration_type = $3 AND version = $4",
        )
        .bind(organization_id)
        .bind(environment)
        .bind(integration_type.as_str())
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(settings.and_then(|s| serde_json::from_str(&s).ok()))
    }

    async fn list_events(
        &self,
        scope: &Scope,
        connection_id: Option<&str>,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::WebhookEventRow>> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT id, organization_id, environment, event_type, connection_id, payload, created_at \
             FROM webhook_events WHERE organization_id = ",
        );
        qb.push_bind(scope.organization_id.clone())
            .push(" AND environment = ")
            .push_bind(scope.environment.clone());
        if let Some(c) = connection_id {
            qb.push(" AND connection_id = ").push_bind(c.to_string());
        }
        crate::server::store::sql::push_keyset(&mut qb, "id", page, limit);
        crate::server::store::sql::fetch_page!(qb, &self.pool, page)
    }

    async fn audit_for_target(
        &self,
        organization_id: &str,
        target_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<crate::server::store::AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, organization_id, actor_email, action, target_type, target_id, ip, details, created_at \
             FROM audit_log WHERE organization_id = $2 AND (target_id = $1 OR details LIKE '%' || $1 || '%') \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(target_id)
        .bind(organization_id)
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn failed_runs_since(&self, scope: &Scope, connection_id: &str, since: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM sync_runs WHERE connection_id = $1 AND organization_id = $2 \
             AND environment = $3 AND status = 'failed' AND id >= $4",
        )
        .bind(connection_id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(crate::ids::id_floor(crate::ids::prefix::SYNC_RUN, since))
        .fetch_one(&self.pool)
        .await?)
    }
}

/// A connection's sync history.
pub(super) fn build_sync_run_list<'a>(
    prefix: &str,
    scope: &Scope,
    connection_id: Option<&str>,
    q: &'a crate::server::store::sync::SyncRunQuery,
) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(format!(
        "SELECT {} FROM sync_runs r LEFT JOIN users u ON u.id = r.triggered_by WHERE r.organization_id = ",
        crate::server::store::sync::RUN_COLUMNS
    ));
    qb.push_bind(scope.organization_id.clone());
    if let Some(c) = connection_id {
        qb.push(" AND r.connection_id = ").push_bind(c.to_string());
    }
    qb.push(" AND r.environment = ").push_bind(scope.environment.clone());
    if let Some(v) = &q.data_object {
        qb.push(" AND r.data_object = ").push_bind(v.clone());
    }
    if let Some(v) = &q.status {
        qb.push(" AND r.status = ").push_bind(v.clone());
    }
    if let Some(v) = &q.kind {
        qb.push(" AND r.kind = ").push_bind(v.clone());
    }
    if let Some(v) = &q.from_id {
        qb.push(" AND r.id >= ").push_bind(v.clone());
    }
    if let Some(v) = &q.to_id {
        qb.push(" AND r.id < ").push_bind(v.clone());
    }
    crate::server::store::sql::push_keyset(&mut qb, "r.id", &q.page, q.limit);
    qb
}

pub(super) fn build_backfill_list<'a>(
    prefix: &str,
    scope: &Scope,
    status: Option<&str>,
    page: &'a Page,
    limit: i64,
) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(format!(
        "SELECT {} FROM backfills b WHERE b.organization_id = ",
        crate::server::store::sync::BACKFILL_COLUMNS
    ));
    qb.push_bind(scope.organization_id.clone())
        .push(" AND b.environment = ")
        .push_bind(scope.environment.clone());
    if let Some(s) = status {
        qb.push(" AND b.status = ").push_bind(s.to_string());
    }
    crate::server::store::sql::push_keyset(&mut qb, "b.id", page, limit);
    qb
}

/// Inserts queued runs on an open transaction. A run that would break a unique rule is skipped:
/// at most one scheduled run per connection and object waits in the queue, so schedulers in
/// several processes never queue the same sync twice.
pub(super) async fn insert_runs(
    conn: &mut super::Conn,
    runs: &[crate::server::store::sync::NewSyncRun],
) -> StoreResult<()> {
    for chunk in runs.chunks(crate::server::store::sql::MAX_PARAMS_PER_STATEMENT / 14) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO sync_runs (id, connection_id, organization_id, environment, platform_id, data_object, kind, \
             status, queued_at, range_from, range_to, trigger_kind, backfill_id, triggered_by) ",
        );
        qb.push_values(chunk.iter(), |mut q, r| {
            q.push_bind(&r.id)
                .push_bind(&r.connection_id)
                .push_bind(&r.organization_id)
                .push_bind(&r.environment)
                .push_bind(&r.platform_id)
                .push_bind(&r.data_object)
                .push_bind(r.kind)
                .push_bind("queued")
                .push_bind(r.queued_at)
                .push_bind(r.range_from)
                .push_bind(r.range_to)
                .push_bind(r.trigger_kind)
                .push_bind(&r.backfill_id)
                .push_bind(&r.triggered_by);
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// When no run of the backfill is left to do: its outcome, its connections' outcomes, and the
/// `backfill.completed` event (returned for the caller to record). `None` while work remains or
/// when it was already final.
pub(super) async fn finalize_backfill(
    conn: &mut super::Conn,
    id: &str,
    now: i64,
) -> StoreResult<Option<(String, String, String)>> {
    // Counted on its connections (a few per backfill), not its runs (thousands): a
    // connection's status becomes final when its last run does.
    let remaining: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM backfill_connections WHERE backfill_id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    if remaining > 0 {
        return Ok(None);
    }
    let parts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM backfill_connections WHERE backfill_id = $1 GROUP BY status",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let cancelled_at: Option<i64> = sqlx::query_scalar("SELECT cancelled_at FROM backfills WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let count = |s: &str| parts.iter().find(|p| p.0 == s).map(|p| p.1).unwrap_or(0);
    let total: i64 = parts.iter().map(|p| p.1).sum();
    let status = if cancelled_at.is_some() {
        "cancelled"
    } else if count("failed") == total {
        "failed"
    } else if count("succeeded") == total {
        "succeeded"
    } else {
        "partial"
    };
    let changed = sqlx::query(
        "UPDATE backfills SET status = $2, finished_at = $3 WHERE id = $1 AND status IN ('queued', 'running')",
    )
    .bind(id)
    .bind(status)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if changed == 0 {
        return Ok(None);
    }
    let runs: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM sync_runs WHERE backfill_id = $1 GROUP BY status")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let data = payloads::backfill_completed(id, status, &parts, runs);
    Ok(Some(payloads::new_event(now, "backfill.completed", data)))
}

/// A data object failing [`FAILING_RUNS`](crate::domain::issues::FAILING_RUNS) runs in a row is
/// an issue; its next successful run resolves it. On the finishing run's transaction.
#[allow(clippy::too_many_arguments)]
async fn object_issue(
    conn: &mut super::Conn,
    scope: &Scope,
    run_id: &str,
    connection_id: &str,
    data_object: &str,
    platform_id: Option<&str>,
    result: &crate::server::store::sync::RunResult,
    now: i64,
) -> StoreResult<()> {
    use crate::domain::issues::{IssueKind, FAILING_RUNS};
    use crate::domain::SyncRunStatus;
    let scope_id = format!("{connection_id}:{data_object}");
    match result.status {
        SyncRunStatus::Failed => {
            let last: Vec<(String, Option<i64>)> = sqlx::query_as(
                "SELECT status, finished_at FROM sync_runs WHERE connection_id = $1 AND data_object = $2 \
                 AND status IN ('succeeded', 'partial', 'failed') ORDER BY id DESC LIMIT $3",
            )
            .bind(connection_id)
            .bind(data_object)
            .bind(FAILING_RUNS + 1)
            .fetch_all(&mut *conn)
            .await?;
            let streak = last.iter().take_while(|(s, _)| s == "failed").count() as i64;
            if streak >= FAILING_RUNS {
                let mut o = crate::server::store::issues::Observation::object_failing(
                    connection_id,
                    platform_id,
                    data_object,
                    run_id,
                    result.error_code.as_deref(),
                    result.error_message.as_deref(),
                    now,
                );
                // The runs that made it an issue count, then each failed one after; it began
                // with the first of them.
                if streak == FAILING_RUNS {
                    o.occurrences = FAILING_RUNS;
                    o.since = last.iter().take(FAILING_RUNS as usize).filter_map(|(_, t)| *t).min();
                }
                super::issues::observe(conn, scope, &o).await?;
            }
        }
        SyncRunStatus::Succeeded | SyncRunStatus::Partial => {
            let c = crate::server::store::issues::Clearance {
                kind: IssueKind::ObjectFailing,
                scope_id,
                why: format!("A run of {data_object} succeeded ({run_id})."),
                at: now,
            };
            super::issues::clear(conn, scope, &c).await?;
        }
        _ => {}
    }
    Ok(())
}
