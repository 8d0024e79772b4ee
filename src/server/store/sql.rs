//! The SQL both databases share. Placeholders are written `$1, $2, …`, which PostgreSQL and
//! SQLite both understand, and every type used (TEXT, BIGINT, BOOLEAN) maps to the same Rust type
//! on both, so one body of code serves both `Store` implementations. The macro expands it once
//! per database with that database's concrete types, so each implementation is plain,
//! monomorphic sqlx code; what really differs (connecting, pragmas, query plans) lives in
//! `sqlite.rs` and `postgres.rs`.

/// Keeps every multi-row INSERT well under both databases' bound-parameter limits
/// (SQLite 32,766; PostgreSQL 65,535).
pub const MAX_PARAMS_PER_STATEMENT: usize = 30_000;

pub fn map_unique(what: &str, err: sqlx::Error) -> super::StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            super::StoreError::Conflict(what.to_string())
        }
        _ => super::StoreError::Database(err),
    }
}

/// Inserts `rows` into `table` in multi-row statements on an open transaction.
macro_rules! bulk_insert {
    ($db:ty, $tx:expr, $table:literal, [$($col:ident),+ $(,)?], $rows:expr, |$b:ident, $r:ident| $push:block) => {{
        const COLUMNS: &[&str] = &[$(stringify!($col)),+];
        let rows = $rows;
        if !rows.is_empty() {
            let per_statement = (crate::server::store::sql::MAX_PARAMS_PER_STATEMENT / COLUMNS.len()).max(1);
            for chunk in rows.chunks(per_statement) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO ", $table, " (", stringify!($($col),+), ") "
                ));
                qb.push_values(chunk.iter(), |mut $b, $r| $push);
                qb.build().execute(&mut *$tx).await?;
            }
        }
    }};
}
pub(crate) use bulk_insert;

/// Builds the request-log list query, with `prefix` in front (`EXPLAIN …` for plans). Expanded
/// per database because `QueryBuilder` is typed by it.
///
/// `$hint` is true for SQLite, whose planner, without value histograms, cannot tell a rare
/// filter value from a common one. There the query names the index to drive it by writing
/// `+column` for every other equality filter (a unary plus keeps a term from using an index):
/// the most selective filter present leads, in the order request id, connection, error code,
/// exact status, platform, status class, method. The path prefix never leads: with the path
/// index SQLite would collect every row under the prefix and sort them by id, while scanning an
/// id-ordered index and filtering stops after one page (on 10M rows: seconds versus 1 ms; see
/// README). PostgreSQL's planner has the statistics to choose by itself.
macro_rules! request_log_list_builder {
    ($db:ty, $hint:literal) => {
        pub(crate) fn build_request_log_list<'a>(
            prefix: &str,
            q: &'a RequestLogQuery,
        ) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
            qb.push(
                "SELECT id, connection_id, platform_id, method, path, status_code, latency_ms, error_code, created_at \
                 FROM request_logs WHERE organization_id = ",
            );
            qb.push_bind(&q.organization_id);
            qb.push(" AND environment = ").push_bind(&q.environment);
            let driving = if q.request_id.is_some() {
                "id"
            } else if q.connection_id.is_some() {
                "connection_id"
            } else if q.error_code.is_some() {
                "error_code"
            } else if q.status_code.is_some() {
                "status_code"
            } else if q.platform_id.is_some() {
                "platform_id"
            } else if q.status_class.is_some() {
                "status_class"
            } else {
                "method"
            };
            let col = |name: &'static str| -> String {
                if $hint && name != driving { format!("+{name}") } else { name.to_string() }
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
            if let Some(v) = q.status_class {
                qb.push(format!(" AND {} = ", col("status_class"))).push_bind(v);
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
                let path = if $hint { "+path" } else { "path" };
                qb.push(format!(" AND {path} >= ")).push_bind(from).push(format!(" AND {path} < ")).push_bind(to);
            }
            if let Some(v) = &q.from_id {
                qb.push(" AND id >= ").push_bind(v);
            }
            if let Some(v) = &q.to_id {
                qb.push(" AND id < ").push_bind(v);
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
            qb.push(" LIMIT ").push_bind(q.limit);
            qb
        }
    };
}
pub(crate) use request_log_list_builder;

/// Expands to the whole `impl Store for $store` (the `#[async_trait]` attribute must see the
/// methods, so it is emitted here too): `$own` holds the methods that differ per database.
macro_rules! impl_store {
    ($store:ty, $db:ty, { $($own:tt)* }) => {
        #[async_trait]
        impl Store for $store {
        $($own)*

        async fn sync_platform_catalog(
            &self,
            platforms: &[crate::domain::PlatformSpec],
        ) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            for p in platforms {
                sqlx::query(
                    "INSERT INTO platforms (id, name, integration_type, supports_sync_history) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                     integration_type = excluded.integration_type, \
                     supports_sync_history = excluded.supports_sync_history",
                )
                .bind(p.id)
                .bind(p.name)
                .bind(p.integration_type.as_str())
                .bind(p.supports_sync_history)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM platform_objects WHERE platform_id = $1")
                    .bind(p.id)
                    .execute(&mut *tx)
                    .await?;
                for object in p.supported_objects() {
                    sqlx::query("INSERT INTO platform_objects (platform_id, data_object) VALUES ($1, $2)")
                        .bind(p.id)
                        .bind(object)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        }

        async fn insert_seed_batch(&self, batch: &SeedBatch) -> StoreResult<()> {
            use crate::server::store::sql::bulk_insert;
            let mut tx = self.pool.begin().await?;
            bulk_insert!($db, tx, "organizations", [id, name, slug, created_at], &batch.organizations, |b, r| {
                b.push_bind(&r.id).push_bind(&r.name).push_bind(&r.slug).push_bind(r.created_at);
            });
            let envs: Vec<(&str, &str, i64)> = batch
                .organizations
                .iter()
                .flat_map(|o| [(o.id.as_str(), "sandbox", o.created_at), (o.id.as_str(), "production", o.created_at)])
                .collect();
            bulk_insert!($db, tx, "environments", [organization_id, name, created_at], &envs, |b, r| {
                b.push_bind(r.0).push_bind(r.1).push_bind(r.2);
            });
            bulk_insert!($db, tx, "users", [id, email, name, password_hash, staff_role, created_at], &batch.users, |b, r| {
                b.push_bind(&r.id).push_bind(&r.email).push_bind(&r.name).push_bind(&r.password_hash)
                    .push_bind(&r.staff_role).push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "memberships", [user_id, organization_id, role, created_at], &batch.memberships, |b, r| {
                b.push_bind(&r.0).push_bind(&r.1).push_bind(&r.2).push_bind(0i64);
            });
            bulk_insert!($db, tx, "sync_configs", [id, organization_id, environment, integration_type, version, settings, diff, author_user_id, created_at], &batch.sync_configs, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.integration_type).push_bind(r.version).push_bind(&r.settings)
                    .push_bind(&r.diff).push_bind(&r.author_user_id).push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "connections", [id, organization_id, environment, platform_id, display_name, platform_account_id, status, config_version, created_at, last_synced_at], &batch.connections, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.platform_id).push_bind(&r.display_name).push_bind(&r.platform_account_id)
                    .push_bind(&r.status).push_bind(r.config_version).push_bind(r.created_at)
                    .push_bind(r.last_synced_at);
            });
            bulk_insert!($db, tx, "backfills", [id, organization_id, environment, status, data_objects, range_from, range_to, config_version, created_by, created_at, started_at, finished_at], &batch.backfills, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.status).push_bind(&r.data_objects).push_bind(r.range_from)
                    .push_bind(r.range_to).push_bind(r.config_version).push_bind(&r.created_by)
                    .push_bind(r.created_at).push_bind(r.started_at).push_bind(r.finished_at);
            });
            bulk_insert!($db, tx, "backfill_connections", [backfill_id, connection_id, status], &batch.backfill_connections, |b, r| {
                b.push_bind(&r.0).push_bind(&r.1).push_bind(&r.2);
            });
            bulk_insert!($db, tx, "sync_runs", [id, connection_id, organization_id, environment, data_object, kind, status, queued_at, started_at, finished_at, records_added, records_updated, records_deleted, range_from, range_to, error_code, error_message, trigger_kind, backfill_id, triggered_by], &batch.sync_runs, |b, r| {
                b.push_bind(&r.id).push_bind(&r.connection_id).push_bind(&r.organization_id)
                    .push_bind(&r.environment).push_bind(&r.data_object).push_bind(&r.kind)
                    .push_bind(&r.status).push_bind(r.queued_at).push_bind(r.started_at)
                    .push_bind(r.finished_at).push_bind(r.records_added).push_bind(r.records_updated)
                    .push_bind(r.records_deleted).push_bind(r.range_from).push_bind(r.range_to)
                    .push_bind(&r.error_code).push_bind(&r.error_message).push_bind(&r.trigger_kind)
                    .push_bind(&r.backfill_id).push_bind(&r.triggered_by);
            });
            bulk_insert!($db, tx, "request_logs", [id, organization_id, environment, connection_id, platform_id, api_key_prefix, method, path, query, status_code, status_class, latency_ms, error_code, error_message, platform_error, error_confidence, request_headers, request_body, response_body, response_truncated, upstream_calls, idempotency_key, user_agent, source_ip, created_at], &batch.request_logs, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.connection_id).push_bind(&r.platform_id).push_bind(&r.api_key_prefix)
                    .push_bind(&r.method).push_bind(&r.path).push_bind(&r.query)
                    .push_bind(r.status_code).push_bind(r.status_class).push_bind(r.latency_ms)
                    .push_bind(&r.error_code).push_bind(&r.error_message).push_bind(&r.platform_error)
                    .push_bind(&r.error_confidence).push_bind(&r.request_headers).push_bind(&r.request_body)
                    .push_bind(&r.response_body).push_bind(r.response_truncated).push_bind(&r.upstream_calls)
                    .push_bind(&r.idempotency_key).push_bind(&r.user_agent).push_bind(&r.source_ip)
                    .push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "webhook_endpoints", [id, organization_id, environment, url, description, event_types, enabled, secret, previous_secret, previous_secret_expires_at, disabled_reason, created_at], &batch.webhook_endpoints, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.url).push_bind(&r.description).push_bind(&r.event_types)
                    .push_bind(r.enabled).push_bind(&r.secret).push_bind(&r.previous_secret)
                    .push_bind(r.previous_secret_expires_at).push_bind(&r.disabled_reason)
                    .push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "webhook_events", [id, organization_id, environment, event_type, connection_id, payload, created_at], &batch.webhook_events, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.event_type).push_bind(&r.connection_id).push_bind(&r.payload)
                    .push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "webhook_deliveries", [id, event_id, endpoint_id, status, attempt_count, next_attempt_at, last_attempt_at], &batch.webhook_deliveries, |b, r| {
                b.push_bind(&r.id).push_bind(&r.event_id).push_bind(&r.endpoint_id)
                    .push_bind(&r.status).push_bind(r.attempt_count).push_bind(r.next_attempt_at)
                    .push_bind(r.last_attempt_at);
            });
            bulk_insert!($db, tx, "webhook_attempts", [id, delivery_id, attempt_number, attempted_at, response_status, latency_ms, response_body, failure], &batch.webhook_attempts, |b, r| {
                b.push_bind(&r.id).push_bind(&r.delivery_id).push_bind(r.attempt_number)
                    .push_bind(r.attempted_at).push_bind(r.response_status).push_bind(r.latency_ms)
                    .push_bind(&r.response_body).push_bind(&r.failure);
            });
            tx.commit().await?;
            Ok(())
        }

        async fn count_organizations(&self) -> StoreResult<i64> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
                .fetch_one(&self.pool)
                .await?)
        }

        async fn list_organizations(&self) -> StoreResult<Vec<OrganizationRow>> {
            Ok(sqlx::query_as("SELECT id, name, slug, created_at FROM organizations ORDER BY name, id")
                .fetch_all(&self.pool)
                .await?)
        }

        async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<OrganizationRow>> {
            Ok(sqlx::query_as(
                "SELECT id, name, slug, created_at FROM organizations WHERE id = $1 OR slug = $1",
            )
            .bind(id_or_slug)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn create_organization(&self, org: &OrganizationRow) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            sqlx::query("INSERT INTO organizations (id, name, slug, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&org.id)
                .bind(&org.name)
                .bind(&org.slug)
                .bind(org.created_at)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::server::store::sql::map_unique("an organization with that slug", e))?;
            for env in ["sandbox", "production"] {
                sqlx::query("INSERT INTO environments (organization_id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(&org.id)
                    .bind(env)
                    .bind(org.created_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn create_user(&self, user: &UserRow) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO users (id, email, name, password_hash, staff_role, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&user.id)
            .bind(&user.email)
            .bind(&user.name)
            .bind(&user.password_hash)
            .bind(&user.staff_role)
            .bind(user.created_at)
            .execute(&self.pool)
            .await
            .map_err(|e| crate::server::store::sql::map_unique("a user with that email", e))?;
            Ok(())
        }

        async fn find_user_by_email(&self, email: &str) -> StoreResult<Option<UserRow>> {
            Ok(sqlx::query_as(
                "SELECT id, email, name, password_hash, staff_role, created_at FROM users WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn set_membership(&self, user_id: &str, organization_id: &str, role: &str, now: i64) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, organization_id) DO UPDATE SET role = excluded.role",
            )
            .bind(user_id)
            .bind(organization_id)
            .bind(role)
            .bind(now)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn memberships(&self, user_id: &str) -> StoreResult<Vec<MembershipRow>> {
            Ok(sqlx::query_as(
                "SELECT m.organization_id, o.name AS organization_name, m.role FROM memberships m \
                 JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.name",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
        }

        async fn create_session(&self, s: &NewSession) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, organization_id, environment, created_at, expires_at, ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&s.token_hash)
            .bind(&s.user_id)
            .bind(&s.organization_id)
            .bind(&s.environment)
            .bind(s.created_at)
            .bind(s.expires_at)
            .bind(&s.ip)
            .bind(&s.user_agent)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn get_session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionRow>> {
            Ok(sqlx::query_as(
                "SELECT s.token_hash, s.user_id, u.email, u.name AS user_name, u.staff_role, \
                        s.organization_id, o.name AS organization_name, s.environment, s.expires_at, m.role \
                 FROM sessions s \
                 JOIN users u ON u.id = s.user_id \
                 JOIN organizations o ON o.id = s.organization_id \
                 LEFT JOIN memberships m ON m.user_id = s.user_id AND m.organization_id = s.organization_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn set_session_context(&self, token_hash: &str, organization_id: &str, environment: &str) -> StoreResult<()> {
            sqlx::query("UPDATE sessions SET organization_id = $2, environment = $3 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(organization_id)
                .bind(environment)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn set_session_flash(&self, token_hash: &str, flash: Option<&str>) -> StoreResult<()> {
            sqlx::query("UPDATE sessions SET flash = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(flash)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn take_session_flash(&self, token_hash: &str) -> StoreResult<Option<String>> {
            let mut tx = self.pool.begin().await?;
            let flash: Option<Option<String>> =
                sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&mut *tx)
                    .await?;
            let flash = flash.flatten();
            if flash.is_some() {
                sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(flash)
        }

        async fn insert_audit(&self, e: &NewAuditEntry) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO audit_log (id, organization_id, actor_user_id, actor_email, action, target_type, target_id, ip, details, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&e.id)
            .bind(&e.organization_id)
            .bind(&e.actor_user_id)
            .bind(&e.actor_email)
            .bind(&e.action)
            .bind(&e.target_type)
            .bind(&e.target_id)
            .bind(&e.ip)
            .bind(&e.details)
            .bind(e.created_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn list_audit(&self, organization_id: &str, limit: i64) -> StoreResult<Vec<AuditRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, actor_email, action, target_type, target_id, ip, details, created_at \
                 FROM audit_log WHERE organization_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(organization_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
        }

        async fn overview(&self, organization_id: &str, environment: &str, since_ms: i64) -> StoreResult<OverviewCounts> {
            let since_id = crate::ids::id_floor(crate::ids::prefix::REQUEST, since_ms);
            let (requests, failed_requests): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END), 0) \
                 FROM request_logs WHERE organization_id = $1 AND environment = $2 AND id >= $3",
            )
            .bind(organization_id)
            .bind(environment)
            .bind(&since_id)
            .fetch_one(&self.pool)
            .await?;
            let connections_by_status: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status, COUNT(*) FROM connections WHERE organization_id = $1 AND environment = $2 GROUP BY status",
            )
            .bind(organization_id)
            .bind(environment)
            .fetch_all(&self.pool)
            .await?;
            let failed_syncs: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sync_runs WHERE organization_id = $1 AND environment = $2 \
                 AND status = 'failed' AND queued_at >= $3",
            )
            .bind(organization_id)
            .bind(environment)
            .bind(since_ms)
            .fetch_one(&self.pool)
            .await?;
            Ok(OverviewCounts { requests, failed_requests, connections_by_status, failed_syncs })
        }

        async fn list_api_keys(&self, organization_id: &str, environment: &str) -> StoreResult<Vec<ApiKeyRow>> {
            Ok(sqlx::query_as(
                "SELECT k.id, k.organization_id, k.environment, k.name, k.prefix, k.key_hash, \
                        u.email AS created_by_email, k.created_at, k.last_used_at, k.revoked_at \
                 FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
                 WHERE k.organization_id = $1 AND k.environment = $2 ORDER BY k.id DESC",
            )
            .bind(organization_id)
            .bind(environment)
            .fetch_all(&self.pool)
            .await?)
        }

        async fn create_api_key(&self, k: &NewApiKey) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO api_keys (id, organization_id, environment, name, prefix, key_hash, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&k.id)
            .bind(&k.organization_id)
            .bind(&k.environment)
            .bind(&k.name)
            .bind(&k.prefix)
            .bind(&k.key_hash)
            .bind(&k.created_by)
            .bind(k.created_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn list_connections(&self, organization_id: &str, environment: &str) -> StoreResult<Vec<ConnectionRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                        status, config_version, created_at, last_synced_at \
                 FROM connections WHERE organization_id = $1 AND environment = $2 ORDER BY id DESC",
            )
            .bind(organization_id)
            .bind(environment)
            .fetch_all(&self.pool)
            .await?)
        }

        async fn get_connection(&self, id: &str) -> StoreResult<Option<ConnectionRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                        status, config_version, created_at, last_synced_at \
                 FROM connections WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>> {
            let mut rows: Vec<RequestLogSummaryRow> = build_request_log_list("", query)
                .build_query_as()
                .fetch_all(&self.pool)
                .await?;
            if matches!(query.page, Page::After(_)) {
                rows.reverse();
            }
            Ok(rows)
        }

        async fn get_request_log(&self, id: &str) -> StoreResult<Option<RequestLogRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, environment, connection_id, platform_id, api_key_prefix, method, path, \
                        query, status_code, status_class, latency_ms, error_code, error_message, platform_error, \
                        error_confidence, request_headers, request_body, response_body, response_truncated, \
                        upstream_calls, idempotency_key, user_agent, source_ip, created_at \
                 FROM request_logs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
        }
        }
    };
}
pub(crate) use impl_store;

/// Applies the embedded migrations that are not recorded yet.
macro_rules! run_migrations {
    ($pool:expr, $migrations:expr) => {{
        use crate::server::store::migrate::CREATE_TABLE;
        sqlx::query(CREATE_TABLE).execute($pool).await?;
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations").fetch_all($pool).await?;
        let pending: Vec<&crate::server::store::migrate::Migration> =
            $migrations.iter().filter(|m| !applied.contains(&m.version)).collect();
        for m in pending {
            let mut tx = $pool.begin().await?;
            // A plain string runs as a simple query, which may hold several statements.
            sqlx::Executor::execute(&mut *tx, m.sql)
                .await
                .map_err(|e| StoreError::Migration { version: m.version, message: e.to_string() })?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(m.version)
                .bind(m.name)
                .bind(chrono::Utc::now().timestamp_millis())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "applied migration");
        }
        Ok(())
    }};
}
pub(crate) use run_migrations;
