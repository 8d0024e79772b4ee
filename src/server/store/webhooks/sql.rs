//! Webhook endpoints, events and deliveries, in SQL. Compiled once per database: `sqlite.rs` and
//! `postgres.rs` each mount this file as a module, where `Db` is that database and `This` its
//! store, so both run the same text as plain, monomorphic sqlx code (placeholders `$1, $2, …` and
//! the column types mean the same on both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl crate::server::store::webhooks::WebhookStore for This {
    async fn list_endpoints(
        &self,
        scope: &Scope,
        include_deleted: bool,
    ) -> StoreResult<Vec<crate::server::store::webhooks::WebhookEndpointRow>> {
        let rows: Vec<crate::server::store::webhooks::WebhookEndpointRow> = sqlx::query_as(&format!(
            "SELECT {} FROM webhook_endpoints WHERE organization_id = $1 AND environment = $2 \
             AND ($3 OR deleted_at IS NULL) ORDER BY id LIMIT 200",
            crate::server::store::webhooks::ENDPOINT_COLUMNS
        ))
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(include_deleted)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.opened(&self.sealer)).collect())
    }

    async fn endpoint_stats(
        &self,
        scope: &Scope,
        since: i64,
    ) -> StoreResult<Vec<crate::server::store::webhooks::EndpointStats>> {
        let mut stats: Vec<crate::server::store::webhooks::EndpointStats> = sqlx::query_as(
            "SELECT endpoint_id, COUNT(*) AS deliveries, \
                SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
                SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, \
                SUM(CASE WHEN status IN ('pending', 'retrying') THEN 1 ELSE 0 END) AS pending, \
                MAX(last_attempt_at) AS last_attempt_at \
             FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 AND id >= $3 \
             GROUP BY endpoint_id",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(crate::ids::id_floor(crate::ids::prefix::DELIVERY, since))
        .fetch_all(&self.pool)
        .await?;
        // An endpoint quiet for a day still shows when it was last attempted: its newest
        // attempted delivery, found from the newest end of its index.
        let endpoints: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM webhook_endpoints WHERE organization_id = $1 AND environment = $2 LIMIT 200",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_all(&self.pool)
        .await?;
        for id in endpoints {
            let known = stats.iter().any(|s| s.endpoint_id == id && s.last_attempt_at.is_some());
            if known {
                continue;
            }
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT last_attempt_at FROM webhook_deliveries WHERE endpoint_id = $1 \
                 AND last_attempt_at IS NOT NULL ORDER BY id DESC LIMIT 1",
            )
            .bind(&id)
            .fetch_optional(&self.pool)
            .await?;
            match stats.iter_mut().find(|s| s.endpoint_id == id) {
                Some(s) => s.last_attempt_at = last,
                None => stats.push(crate::server::store::webhooks::EndpointStats {
                    endpoint_id: id,
                    last_attempt_at: last,
                    ..Default::default()
                }),
            }
        }
        Ok(stats)
    }

    async fn get_endpoint(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<crate::server::store::webhooks::WebhookEndpointRow>> {
        let row: Option<crate::server::store::webhooks::WebhookEndpointRow> = sqlx::query_as(&format!(
            "SELECT {} FROM webhook_endpoints WHERE id = $1 AND organization_id = $2 AND environment = $3",
            crate::server::store::webhooks::ENDPOINT_COLUMNS
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| r.opened(&self.sealer)))
    }

    async fn create_endpoint(
        &self,
        r: &crate::server::store::webhooks::WebhookEndpointRow,
        audit: &NewAuditEntry,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        sqlx::query(&format!(
            "INSERT INTO webhook_endpoints ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17)",
            crate::server::store::webhooks::ENDPOINT_COLUMNS
        ))
        .bind(&r.id)
        .bind(&r.organization_id)
        .bind(&r.environment)
        .bind(&r.url)
        .bind(&r.description)
        .bind(&r.event_types)
        .bind(r.enabled)
        .bind(self.sealer.seal(&r.secret))
        .bind(r.previous_secret.as_deref().map(|v| self.sealer.seal(v)))
        .bind(r.previous_secret_expires_at)
        .bind(&r.disabled_reason)
        .bind(&r.disabled_kind)
        .bind(r.disabled_at)
        .bind(r.failing_since)
        .bind(r.deleted_at)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_endpoint(
        &self,
        scope: &Scope,
        id: &str,
        change: &crate::server::store::webhooks::EndpointChange,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE webhook_endpoints SET url = $4, description = $5, event_types = $6, updated_at = $7 \
             WHERE id = $1 AND organization_id = $2 AND environment = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(&change.url)
        .bind(&change.description)
        .bind(&change.event_types)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn set_endpoint_enabled(
        &self,
        scope: &Scope,
        id: &str,
        enabled: bool,
        reason: Option<&str>,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = if enabled {
            sqlx::query(
                "UPDATE webhook_endpoints SET enabled = TRUE, disabled_kind = NULL, disabled_reason = NULL, \
                 disabled_at = NULL, failing_since = NULL, consecutive_failures = 0, updated_at = $4 \
                 WHERE id = $1 AND organization_id = $2 AND environment = $3 AND deleted_at IS NULL AND enabled = FALSE",
            )
            .bind(id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        } else {
            sqlx::query(
                "UPDATE webhook_endpoints SET enabled = FALSE, disabled_kind = 'manual', disabled_reason = $5, \
                 disabled_at = $4, updated_at = $4 \
                 WHERE id = $1 AND organization_id = $2 AND environment = $3 AND deleted_at IS NULL AND enabled = TRUE",
            )
            .bind(id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(now)
            .bind(reason)
            .execute(&mut *tx)
            .await?
            .rows_affected()
        };
        if n == 0 {
            return Ok(false);
        }
        if !enabled {
            fail_queued(&mut tx, id, "Not attempted: the endpoint was disabled.").await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_endpoint(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE webhook_endpoints SET deleted_at = $4, enabled = FALSE, updated_at = $4 \
             WHERE id = $1 AND organization_id = $2 AND environment = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        fail_queued(&mut tx, id, "Not attempted: the endpoint was deleted.").await?;
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn rotate_secret(
        &self,
        scope: &Scope,
        id: &str,
        secret: &str,
        previous_expires_at: i64,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $5, secret = $4, \
             updated_at = $6 WHERE id = $1 AND organization_id = $2 AND environment = $3 AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(self.sealer.seal(secret))
        .bind(previous_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_event(
        &self,
        event: &crate::server::store::webhooks::NewEvent,
    ) -> StoreResult<Vec<String>> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let ids = record_event(&mut tx, event).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn ingest_events(
        &self,
        events: &[crate::server::store::webhooks::NewEvent],
    ) -> StoreResult<Vec<usize>> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut conflicts = vec![];
        for (i, event) in events.iter().enumerate() {
            let hash = event.content_digest();
            let stored: Option<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT organization_id, environment, content_hash FROM webhook_events WHERE id = $1",
            )
            .bind(&event.id)
            .fetch_optional(&mut *tx)
            .await?;
            match stored {
                // Another organization's (or environment's) id is answered as a new one would
                // be: a conflict would tell the sender that the id exists elsewhere. It is not
                // stored (ids are ULIDs: only a copied id collides), and theirs is untouched.
                Some((org, env, _)) if org != event.organization_id || env != event.environment => {}
                Some((_, _, h)) => {
                    if h.as_deref() != Some(hash.as_str()) {
                        conflicts.push(i);
                    }
                }
                None => {
                    record_event(&mut tx, event).await?;
                    sqlx::query("UPDATE webhook_events SET content_hash = $2 WHERE id = $1")
                        .bind(&event.id)
                        .bind(&hash)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(conflicts)
    }

    async fn claim_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limits: &crate::server::store::webhooks::ClaimLimits,
    ) -> StoreResult<Vec<crate::server::store::webhooks::ClaimedDelivery>> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        // Candidates are the oldest due deliveries, leaving out busy endpoints and
        // organizations; of those, at most `per_endpoint` of one endpoint and
        // `per_organization` of one organization are taken, so one backlog never fills every
        // slot.
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "WITH due AS (SELECT id, endpoint_id, organization_id, next_attempt_at FROM webhook_deliveries \
             WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ",
        );
        qb.push_bind(now);
        qb.push(" AND (lease_expires_at IS NULL OR lease_expires_at <= ").push_bind(now).push(")");
        for (column, busy) in
            [("endpoint_id", &limits.busy_endpoints), ("organization_id", &limits.busy_organizations)]
        {
            if !busy.is_empty() {
                qb.push(format!(" AND {column} NOT IN ("));
                let mut sep = qb.separated(", ");
                for e in busy.iter().take(500) {
                    sep.push_bind(e.clone());
                }
                qb.push(")");
            }
        }
        let limit = limits.limit.max(1);
        qb.push(" ORDER BY next_attempt_at LIMIT ").push_bind((limit * 4).clamp(1, 2_000));
        qb.push(concat!(
            " ",
            skip_locked!(),
            "), pick AS (SELECT id FROM (SELECT id, next_attempt_at, \
            ROW_NUMBER() OVER (PARTITION BY endpoint_id ORDER BY next_attempt_at, id) AS rn, \
            ROW_NUMBER() OVER (PARTITION BY organization_id ORDER BY next_attempt_at, id) AS orn \
            FROM due) r WHERE rn <= "
        ));
        qb.push_bind(limits.per_endpoint.max(1));
        qb.push(" AND orn <= ").push_bind(limits.per_organization.max(1));
        qb.push(" ORDER BY next_attempt_at LIMIT ").push_bind(limit);
        qb.push(") UPDATE webhook_deliveries SET lease_owner = ").push_bind(owner.to_string());
        qb.push(", lease_expires_at = ").push_bind(now + lease_ms);
        qb.push(" WHERE id IN (SELECT id FROM pick) RETURNING id");
        let ids: Vec<(String,)> = qb.build_query_as().fetch_all(&mut *tx).await?;
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(vec![]);
        }
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT d.id, d.event_id, d.organization_id, d.endpoint_id, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at, \
             v.payload, d.attempt_count, d.round_attempts FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN webhook_events v ON v.id = d.event_id \
             WHERE d.id IN (",
        );
        let mut sep = qb.separated(", ");
        for (id,) in &ids {
            sep.push_bind(id.clone());
        }
        qb.push(") ORDER BY d.next_attempt_at");
        let claimed: Vec<crate::server::store::webhooks::ClaimedDelivery> =
            qb.build_query_as().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok(claimed
            .into_iter()
            .map(|mut d| {
                d.secret = self.sealer.open(&d.secret);
                d.previous_secret = d.previous_secret.as_deref().map(|v| self.sealer.open(v));
                d
            })
            .collect())
    }

    async fn complete_deliveries(
        &self,
        outcomes: &[crate::server::store::webhooks::DeliveryOutcome],
        now: i64,
        disable_after_ms: i64,
    ) -> StoreResult<Vec<crate::server::store::webhooks::DisabledEndpoint>> {
        if outcomes.is_empty() {
            return Ok(vec![]);
        }
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let mut disabled = vec![];
        for o in outcomes {
            let a = &o.attempt;
            // A delivery ended meanwhile (its endpoint disabled or deleted) keeps its
            // status unless this attempt delivered it; the attempt is recorded anyway.
            let number: Option<i64> = sqlx::query_scalar(
                "UPDATE webhook_deliveries SET \
                    status = CASE WHEN $2 = 'delivered' OR status IN ('pending', 'retrying') THEN $2 ELSE status END, \
                    next_attempt_at = CASE WHEN $2 = 'delivered' OR status IN ('pending', 'retrying') THEN $3 ELSE NULL END, \
                    attempt_count = attempt_count + 1, round_attempts = round_attempts + 1, last_attempt_at = $4, \
                    last_status = $5, status_class = $6, last_failure = $7, lease_owner = NULL, lease_expires_at = NULL \
                 WHERE id = $1 AND lease_owner = $8 RETURNING attempt_count",
            )
            .bind(&o.delivery_id)
            .bind(o.status)
            .bind(o.next_attempt_at)
            .bind(a.attempted_at)
            .bind(a.response_status)
            .bind(crate::server::store::webhooks::status_class(a.response_status))
            .bind(&a.failure)
            .bind(&o.owner)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(number) = number else { continue };
            sqlx::query(
                "INSERT INTO webhook_attempts (id, delivery_id, attempt_number, attempted_at, response_status, \
                 latency_ms, response_body, failure, failure_detail, request_headers) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&a.id)
            .bind(&o.delivery_id)
            .bind(number)
            .bind(a.attempted_at)
            .bind(a.response_status)
            .bind(a.latency_ms)
            .bind(&a.response_body)
            .bind(&a.failure)
            .bind(&a.failure_detail)
            .bind(&a.request_headers)
            .execute(&mut *tx)
            .await?;
            if o.status == "delivered" {
                let recovered: Option<(String, String)> = sqlx::query_as(
                    "UPDATE webhook_endpoints SET failing_since = NULL, consecutive_failures = 0 \
                     WHERE id = $1 AND (failing_since IS NOT NULL OR consecutive_failures > 0) \
                     RETURNING organization_id, environment",
                )
                .bind(&o.endpoint_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((org, env)) = recovered {
                    let c = crate::server::store::issues::Clearance {
                        kind: crate::domain::issues::IssueKind::EndpointFailing,
                        scope_id: o.endpoint_id.clone(),
                        why: format!("Delivery {} succeeded.", o.delivery_id),
                        at: a.attempted_at,
                    };
                    super::issues::clear(&mut tx, &Scope::new(org, env), &c).await?;
                }
                continue;
            }
            let (failures, org, env, url, failing_since): (i64, String, String, String, Option<i64>) =
                sqlx::query_as(
                    "UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, $2), \
                 consecutive_failures = consecutive_failures + 1 WHERE id = $1 \
                 RETURNING consecutive_failures, organization_id, environment, url, failing_since",
                )
                .bind(&o.endpoint_id)
                .bind(a.attempted_at)
                .fetch_one(&mut *tx)
                .await?;
            let endpoint_scope = Scope::new(org, env);
            if failures >= crate::domain::issues::ENDPOINT_FAILURES {
                let last = crate::domain::issues::delivery_failure(a.response_status, a.failure.as_deref());
                let mut obs = crate::server::store::issues::Observation::endpoint_failing(
                    &o.endpoint_id,
                    &url,
                    Some(&last),
                    a.attempted_at,
                );
                // The attempts that made it an issue count, then each one after.
                if failures == crate::domain::issues::ENDPOINT_FAILURES {
                    obs.occurrences = failures;
                    obs.since = failing_since;
                }
                obs.evidence_id = Some(o.delivery_id.clone());
                super::issues::observe(&mut tx, &endpoint_scope, &obs).await?;
            }
            let reason = if o.gone {
                "The endpoint answered 410 Gone, which asks senders to stop: it was disabled automatically."
                    .to_string()
            } else {
                format!(
                    "Every attempt failed for {} days: it was disabled automatically.",
                    disable_after_ms / 86_400_000
                )
            };
            let off: Option<(String, String, String)> = sqlx::query_as(
                "UPDATE webhook_endpoints SET enabled = FALSE, disabled_kind = 'automatic', disabled_reason = $2, \
                 disabled_at = $3, updated_at = $3 WHERE id = $1 AND enabled = TRUE AND deleted_at IS NULL \
                 AND ($4 OR (failing_since IS NOT NULL AND failing_since <= $5)) \
                 RETURNING organization_id, environment, url",
            )
            .bind(&o.endpoint_id)
            .bind(&reason)
            .bind(now)
            .bind(o.gone)
            .bind(now - disable_after_ms)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((organization_id, environment, url)) = off else { continue };
            fail_queued(&mut tx, &o.endpoint_id, "Not attempted: the endpoint was disabled automatically.")
                .await?;
            let (event_id, event_type, payload) = crate::server::webhooks::payloads::new_event(
                now,
                "endpoint.disabled",
                crate::server::webhooks::payloads::endpoint_disabled(&o.endpoint_id, &url, &reason),
            );
            let event = crate::server::store::webhooks::NewEvent {
                id: event_id,
                organization_id: organization_id.clone(),
                environment: environment.clone(),
                event_type,
                connection_id: None,
                payload,
                created_at: now,
                only_endpoint: None,
                lease: None,
            };
            record_event(&mut tx, &event).await?;
            // Disabled: the endpoint's issue (open or opened now) becomes critical.
            let mut obs = crate::server::store::issues::Observation::endpoint_disabled(
                &o.endpoint_id,
                &url,
                &reason,
                a.attempted_at,
            );
            obs.since = failing_since;
            // This attempt was counted above once the issue was open; otherwise (a 410 before
            // the 4th failure) the failures in a row open it.
            obs.occurrences = if failures >= crate::domain::issues::ENDPOINT_FAILURES { 0 } else { failures };
            obs.evidence_id = Some(o.delivery_id.clone());
            super::issues::observe(&mut tx, &endpoint_scope, &obs).await?;
            disabled.push(crate::server::store::webhooks::DisabledEndpoint {
                endpoint_id: o.endpoint_id.clone(),
                organization_id,
                environment,
                url,
                reason,
            });
        }
        tx.commit().await?;
        Ok(disabled)
    }

    async fn list_deliveries(
        &self,
        q: &crate::server::store::webhooks::DeliveryQuery,
    ) -> StoreResult<Vec<crate::server::store::webhooks::DeliveryListRow>> {
        let mut qb = build_delivery_list("", q);
        if q.id_ranges.is_empty() {
            return crate::server::store::sql::fetch_page!(qb, &self.pool, &q.page);
        }
        // Planned with this call's ranges, not a generic plan (see `RollupStore::filter_hours`).
        let mut rows: Vec<crate::server::store::webhooks::DeliveryListRow> =
            qb.build_query_as().persistent(false).fetch_all(&self.pool).await?;
        if matches!(q.page, Page::After(_)) {
            rows.reverse();
        }
        Ok(rows)
    }

    async fn delivery_span(&self, scope: &Scope) -> StoreResult<Option<(String, String)>> {
        let (oldest, newest): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT (SELECT id FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 ORDER BY id LIMIT 1), \
                    (SELECT id FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 ORDER BY id DESC LIMIT 1)",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_one(&self.pool)
        .await?;
        Ok(oldest.zip(newest))
    }

    async fn get_delivery(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<crate::server::store::webhooks::DeliveryDetailRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {}, e.url AS endpoint_url, e.deleted_at AS endpoint_deleted_at, v.payload \
             FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             JOIN webhook_events v ON v.id = d.event_id \
             WHERE d.id = $1 AND d.organization_id = $2 AND d.environment = $3",
            crate::server::store::webhooks::DELIVERY_COLUMNS
        ))
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn delivery_attempts(
        &self,
        delivery_id: &str,
    ) -> StoreResult<Vec<crate::server::store::webhooks::WebhookAttemptRow>> {
        let mut rows: Vec<crate::server::store::webhooks::WebhookAttemptRow> = sqlx::query_as(
            "SELECT id, delivery_id, attempt_number, attempted_at, response_status, latency_ms, response_body, \
             failure, failure_detail, request_headers FROM webhook_attempts WHERE delivery_id = $1 \
             ORDER BY attempt_number DESC LIMIT 100",
        )
        .bind(delivery_id)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    async fn resend_delivery(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', round_attempts = 0, next_attempt_at = $4 \
             WHERE id = $1 AND organization_id = $2 AND environment = $3",
        )
        .bind(id)
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn recoverable(
        &self,
        scope: &Scope,
        endpoint_id: &str,
        since: i64,
        limit: i64,
    ) -> StoreResult<(i64, i64)> {
        let failed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 \
             AND endpoint_id = $3 AND status = 'failed' AND id >= $4 LIMIT $5) x",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(endpoint_id)
        .bind(crate::ids::id_floor(crate::ids::prefix::DELIVERY, since))
        .bind(limit)
        .fetch_one(&self.pool)
        .await?;
        let missed =
            missed_events_query(scope, endpoint_id, since, limit, "SELECT COUNT(*) FROM (SELECT 1", ") x")
                .build_query_scalar::<i64>()
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0);
        Ok((failed, missed))
    }

    async fn recover(
        &self,
        scope: &Scope,
        endpoint_id: &str,
        since: i64,
        now: i64,
        limit: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<i64> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        let requeued = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', round_attempts = 0, next_attempt_at = $5 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 \
                AND endpoint_id = $3 AND status = 'failed' AND id >= $4 ORDER BY id LIMIT $6)",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(endpoint_id)
        .bind(crate::ids::id_floor(crate::ids::prefix::DELIVERY, since))
        .bind(now)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected() as i64;
        let missed: Vec<(String, String, Option<String>, i64)> = missed_events_query(
            scope,
            endpoint_id,
            since,
            limit,
            "SELECT v.id, v.event_type, v.connection_id, v.created_at",
            "",
        )
        .build_query_as()
        .fetch_all(&mut *tx)
        .await?;
        for (event_id, event_type, connection_id, created_at) in &missed {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, organization_id, environment, event_type, \
                 connection_id, created_at, status, attempt_count, round_attempts, next_attempt_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, 0, $9)",
            )
            .bind(crate::ids::make_id(crate::ids::prefix::DELIVERY, *created_at, rand::random()))
            .bind(event_id)
            .bind(endpoint_id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(event_type)
            .bind(connection_id)
            .bind(created_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(requeued + missed.len() as i64)
    }

    async fn queued_deliveries(&self, scope: &Scope, endpoint_id: &str, limit: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM webhook_deliveries WHERE organization_id = $1 AND environment = $2 \
             AND endpoint_id = $3 AND status IN ('pending', 'retrying') LIMIT $4) x",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(endpoint_id)
        .bind(limit)
        .fetch_one(&self.pool)
        .await?)
    }
}

pub(super) fn build_delivery_list<'a>(
    prefix: &str,
    q: &'a crate::server::store::webhooks::DeliveryQuery,
) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    if q.id_ranges.is_empty() {
        push_delivery_branch(&mut qb, q, None);
        return qb;
    }
    // Exact search: one branch per id range, each an index range with its own limit.
    for (i, range) in q.id_ranges.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT * FROM (");
        push_delivery_branch(&mut qb, q, Some(range));
        qb.push(format!(") AS b{i}"));
    }
    qb.push(if matches!(q.page, Page::After(_)) { " ORDER BY id ASC" } else { " ORDER BY id DESC" });
    qb.push(" LIMIT ").push_bind(q.limit.clamp(1, crate::server::store::MAX_PAGE + 1));
    qb
}

fn push_delivery_branch<'a>(
    qb: &mut sqlx::QueryBuilder<'a, Db>,
    q: &'a crate::server::store::webhooks::DeliveryQuery,
    range: Option<&'a (String, String)>,
) {
    qb.push(format!(
        "SELECT {}, (SELECT e.url FROM webhook_endpoints e WHERE e.id = d.endpoint_id) AS endpoint_url \
         FROM webhook_deliveries d WHERE d.organization_id = ",
        crate::server::store::webhooks::DELIVERY_COLUMNS
    ));
    qb.push_bind(q.scope.organization_id.clone())
        .push(" AND d.environment = ")
        .push_bind(q.scope.environment.clone());
    let single_type = (q.event_types.len() == 1).then(|| q.event_types[0].clone());
    let leader = if q.connection_id.is_some() {
        "connection"
    } else if q.endpoint_id.is_some() {
        "endpoint"
    } else if single_type.is_some() {
        "type"
    } else if q.status.is_some() {
        "status"
    } else {
        "class"
    };
    let col = |name: &str, col: &str| -> String {
        if super::PLANNER_HINTS && leader != name {
            format!(" AND +{col} = ")
        } else {
            format!(" AND {col} = ")
        }
    };
    if let Some(c) = &q.connection_id {
        qb.push(col("connection", "d.connection_id")).push_bind(c.clone());
    }
    if let Some(ep) = &q.endpoint_id {
        qb.push(col("endpoint", "d.endpoint_id")).push_bind(ep.clone());
    }
    if let Some(t) = single_type {
        qb.push(col("type", "d.event_type")).push_bind(t);
    } else if !q.event_types.is_empty() {
        qb.push(if super::PLANNER_HINTS { " AND +d.event_type IN (" } else { " AND d.event_type IN (" });
        let mut sep = qb.separated(", ");
        for t in &q.event_types {
            sep.push_bind(t.clone());
        }
        qb.push(")");
    }
    if let Some(s) = &q.status {
        qb.push(col("status", "d.status")).push_bind(*s);
    }
    if let Some(c) = &q.status_class {
        qb.push(col("class", "d.status_class")).push_bind(c.clone());
    }
    if let Some(from) = &q.from_id {
        qb.push(" AND d.id >= ").push_bind(from.clone());
    }
    if let Some(to) = &q.to_id {
        qb.push(" AND d.id < ").push_bind(to.clone());
    }
    if let Some((from, to)) = range {
        qb.push(" AND d.id >= ").push_bind(from.clone()).push(" AND d.id < ").push_bind(to.clone());
    }
    crate::server::store::sql::push_keyset(qb, "d.id", &q.page, q.limit);
}

/// Records an event and one delivery per endpoint it goes to, on an open transaction; returns
/// the deliveries' ids. Every place that raises an event goes through here (finishing a run,
/// cancelling a backfill, a test event, an endpoint disabled), so none is recorded without its
/// deliveries.
pub(super) async fn record_event(
    conn: &mut super::Conn,
    e: &crate::server::store::webhooks::NewEvent,
) -> StoreResult<Vec<String>> {
    sqlx::query(
        "INSERT INTO webhook_events (id, organization_id, environment, event_type, connection_id, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&e.id)
    .bind(&e.organization_id)
    .bind(&e.environment)
    .bind(&e.event_type)
    .bind(&e.connection_id)
    // Whoever raises it (the data plane's ingested events included), a payload is stored
    // without secrets; deliveries send what is stored.
    .bind(crate::server::redact::field(&e.payload))
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    let endpoints: Vec<String> = match &e.only_endpoint {
        Some(id) => sqlx::query_scalar(
            "SELECT id FROM webhook_endpoints WHERE id = $1 AND organization_id = $2 AND environment = $3 \
             AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(&e.organization_id)
        .bind(&e.environment)
        .fetch_all(&mut *conn)
        .await?,
        None => {
            sqlx::query_scalar(
                "SELECT id FROM webhook_endpoints WHERE organization_id = $1 AND environment = $2 \
             AND enabled = TRUE AND deleted_at IS NULL \
             AND (event_types LIKE '%\"*\"%' OR event_types LIKE $3 ESCAPE '\\') ORDER BY id",
            )
            .bind(&e.organization_id)
            .bind(&e.environment)
            .bind(crate::server::store::webhooks::type_pattern(&e.event_type))
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut ids = Vec::with_capacity(endpoints.len());
    for endpoint in endpoints {
        let id = crate::ids::make_id(crate::ids::prefix::DELIVERY, e.created_at, rand::random());
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, organization_id, environment, event_type, \
             connection_id, created_at, status, attempt_count, round_attempts, next_attempt_at, lease_owner, \
             lease_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, 0, $8, $9, $10)",
        )
        .bind(&id)
        .bind(&e.id)
        .bind(&endpoint)
        .bind(&e.organization_id)
        .bind(&e.environment)
        .bind(&e.event_type)
        .bind(&e.connection_id)
        .bind(e.created_at)
        .bind(e.lease.as_ref().map(|l| l.0.clone()))
        .bind(e.lease.as_ref().map(|l| l.1))
        .execute(&mut *conn)
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Ends an endpoint's queued deliveries (it was disabled or deleted), on an open transaction.
pub(super) async fn fail_queued(conn: &mut super::Conn, endpoint_id: &str, why: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_failure = $2 \
         WHERE endpoint_id = $1 AND status IN ('pending', 'retrying')",
    )
    .bind(endpoint_id)
    .bind(why)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The events of the scope since `since` that the endpoint subscribes to, was created before,
/// and has no delivery of (those it missed while disabled), at most `limit`, wrapped in
/// `head … tail`. Test events went to one endpoint only and are never recovered.
fn missed_events_query(
    scope: &Scope,
    endpoint_id: &str,
    since: i64,
    limit: i64,
    head: &str,
    tail: &str,
) -> sqlx::QueryBuilder<'static, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(head);
    qb.push(" FROM webhook_events v JOIN webhook_endpoints e ON e.id = ");
    qb.push_bind(endpoint_id.to_string());
    qb.push(" WHERE v.organization_id = ").push_bind(scope.organization_id.clone());
    qb.push(" AND v.environment = ").push_bind(scope.environment.clone());
    qb.push(" AND v.id >= ").push_bind(crate::ids::id_floor(crate::ids::prefix::EVENT, since));
    qb.push(
        " AND v.created_at >= e.created_at AND v.event_type <> 'webhook.test' \
         AND (e.event_types LIKE '%\"*\"%' OR e.event_types LIKE '%\"' || v.event_type || '\"%') \
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = v.id AND d.endpoint_id = e.id) \
         ORDER BY v.id LIMIT ",
    );
    qb.push_bind(limit);
    qb.push(tail);
    qb
}
