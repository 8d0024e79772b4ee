//! Connections, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount this
//! file as a module, where `Db` is that database and `This` its store, so both run the same text as
//! plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean the same on
//! both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl ConnectionStore for This {
    async fn connections_by_status(&self, scope: &Scope) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT status, CAST(COUNT(*) AS BIGINT) FROM connections WHERE organization_id = $1 \
             AND environment = $2 GROUP BY status",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn list_connections(
        &self,
        scope: &Scope,
        page: &Page,
        limit: i64,
    ) -> StoreResult<Vec<ConnectionRow>> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
        "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                status, config_version, created_at, last_synced_at, status_reason, status_since, rate_limited_until \
         FROM connections WHERE organization_id = ",
    );
        qb.push_bind(&scope.organization_id).push(" AND environment = ").push_bind(&scope.environment);
        crate::server::store::sql::push_keyset(&mut qb, "id", page, limit);
        crate::server::store::sql::fetch_page!(qb, &self.pool, page)
    }

    async fn connections_by_ids(&self, scope: &Scope, ids: &[String]) -> StoreResult<Vec<ConnectionRow>> {
        // In chunks: a backfill may name up to 1,000 connections, more binds than one statement
        // should carry (SQLite's limit was 999 before 3.32).
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
                "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                        status, config_version, created_at, last_synced_at, status_reason, status_since, rate_limited_until \
                 FROM connections WHERE organization_id = ",
            );
            qb.push_bind(&scope.organization_id).push(" AND environment = ").push_bind(&scope.environment);
            qb.push(" AND id IN (");
            let mut sep = qb.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            qb.push(")");
            rows.extend(qb.build_query_as::<ConnectionRow>().fetch_all(&self.pool).await?);
        }
        Ok(rows)
    }

    async fn search_connections(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
        page: &Page,
        limit: i64,
        since: i64,
    ) -> StoreResult<Vec<ConnectionListRow>> {
        let qb = build_connection_list("", scope, filter, page, limit, since);
        crate::server::store::sql::fetch_page!(qb, &self.pool, page)
    }

    async fn exact_text_match(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
    ) -> StoreResult<ConnectionFilter> {
        let Some(text) = filter.text.clone() else { return Ok(filter.clone()) };
        let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM connections WHERE organization_id = $1 AND environment = $2 AND id = $3 \
         UNION SELECT id FROM connections WHERE organization_id = $1 AND environment = $2 AND platform_account_id = $3",
    )
    .bind(&scope.organization_id)
    .bind(&scope.environment)
    .bind(&text)
    .fetch_all(&self.pool)
    .await?;
        if ids.is_empty() {
            return Ok(filter.clone());
        }
        Ok(ConnectionFilter { text: None, ids, ..filter.clone() })
    }

    async fn connection_status_counts(
        &self,
        scope: &Scope,
        filter: &ConnectionFilter,
    ) -> StoreResult<Vec<(String, i64)>> {
        // One bounded count per status: counting stops at COUNT_CAP + 1 (shown as
        // "10,000+"), so the counts cost the same on 10 and on 1,000,000 connections.
        let mut out = vec![];
        for status in crate::domain::ConnectionStatus::ALL {
            let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM (SELECT 1 FROM connections c JOIN platforms p ON p.id = c.platform_id WHERE c.organization_id = ",
        );
            qb.push_bind(scope.organization_id.clone())
                .push(" AND c.environment = ")
                .push_bind(scope.environment.clone());
            qb.push(" AND c.status = ").push_bind(status.as_str().to_string());
            crate::server::store::sql::push_connection_filter(&mut qb, filter, false);
            qb.push(" LIMIT ").push_bind(crate::server::store::COUNT_CAP + 1).push(") counted");
            let (n,): (i64,) = qb.build_query_as().fetch_one(&self.pool).await?;
            out.push((status.as_str().to_string(), n));
        }
        Ok(out)
    }

    async fn report_connection_status(
        &self,
        scope: &Scope,
        reports: &[crate::server::store::StatusReport],
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        for r in reports {
            let changed: Option<String> = sqlx::query_scalar(
                "UPDATE connections SET status = $4, status_reason = $5, status_since = $6 \
             WHERE id = $1 AND organization_id = $2 AND environment = $3 \
             AND (status_since IS NULL OR status_since <= $6) RETURNING platform_id",
            )
            .bind(&r.connection_id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(r.status)
            .bind(crate::server::redact::optional(r.reason.as_deref()))
            .bind(r.at)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(platform_id) = changed else { continue };
            // Credentials refused open an issue; the connection healthy again resolves it.
            match r.status {
                crate::domain::ConnectionStatus::NeedsReauth => {
                    let reason = crate::server::redact::optional(r.reason.as_deref());
                    let o = crate::server::store::issues::Observation::credentials(
                        &r.connection_id,
                        Some(&platform_id),
                        reason.as_deref(),
                        r.at,
                    );
                    super::issues::observe(&mut tx, scope, &o).await?;
                }
                // Reconnected: the data plane reports it initializing, healthy or degraded
                // (degraded for other reasons than its credentials).
                crate::domain::ConnectionStatus::Healthy
                | crate::domain::ConnectionStatus::Initializing
                | crate::domain::ConnectionStatus::Degraded => {
                    let c = crate::server::store::issues::Clearance {
                        kind: crate::domain::issues::IssueKind::Credentials,
                        scope_id: r.connection_id.clone(),
                        why: format!(
                            "The platform accepts the connection's credentials again (reported {}).",
                            r.status.as_str()
                        ),
                        at: r.at,
                    };
                    super::issues::clear(&mut tx, scope, &c).await?;
                }
                _ => {}
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_connection(&self, scope: &Scope, id: &str) -> StoreResult<Option<ConnectionRow>> {
        Ok(sqlx::query_as(
        "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                status, config_version, created_at, last_synced_at, status_reason, status_since, rate_limited_until \
         FROM connections WHERE id = $1 AND organization_id = $2 AND environment = $3",
    )
    .bind(id)
    .bind(&scope.organization_id)
    .bind(&scope.environment)
    .fetch_optional(&self.pool)
    .await?)
    }
}

/// The connections list with each row's health. `filter` is already resolved by
/// `ConnectionStore::exact_text_match`.
pub(super) fn build_connection_list<'a>(
    prefix: &str,
    scope: &Scope,
    filter: &ConnectionFilter,
    page: &'a Page,
    limit: i64,
    since: i64,
) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(
        "SELECT c.id, c.organization_id, c.environment, c.platform_id, c.display_name, c.platform_account_id, \
                c.status, c.config_version, c.created_at, c.last_synced_at, c.status_reason, c.status_since, \
                c.rate_limited_until, \
                (SELECT MAX(s.version) FROM sync_configs s WHERE s.organization_id = c.organization_id \
                    AND s.environment = c.environment AND s.integration_type = p.integration_type) AS current_version, \
                (SELECT r.status FROM sync_runs r WHERE r.connection_id = c.id AND r.status NOT IN ('queued', 'running') \
                    ORDER BY r.id DESC LIMIT 1) AS last_run_status, \
                (SELECT COUNT(*) FROM sync_runs r WHERE r.connection_id = c.id AND r.status = 'failed' AND r.id >= ",
    );
    qb.push_bind(crate::ids::id_floor(crate::ids::prefix::SYNC_RUN, since));
    qb.push(") AS failed_24h FROM connections c JOIN platforms p ON p.id = c.platform_id WHERE c.organization_id = ");
    qb.push_bind(scope.organization_id.clone())
        .push(" AND c.environment = ")
        .push_bind(scope.environment.clone());
    crate::server::store::sql::push_connection_filter(&mut qb, filter, true);
    crate::server::store::sql::push_keyset(&mut qb, "c.id", page, limit);
    qb
}
