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
        crate::server::store::sql::bulk_insert!($db, $tx, $table, [$($col),+], $rows, "", |$b, $r| $push)
    }};
    // With a suffix (`ON CONFLICT (id) DO NOTHING`); evaluates to the number of rows inserted.
    ($db:ty, $tx:expr, $table:literal, [$($col:ident),+ $(,)?], $rows:expr, $suffix:expr, |$b:ident, $r:ident| $push:block) => {{
        const COLUMNS: &[&str] = &[$(stringify!($col)),+];
        let rows = $rows;
        let mut inserted: u64 = 0;
        if !rows.is_empty() {
            let per_statement = (crate::server::store::sql::MAX_PARAMS_PER_STATEMENT / COLUMNS.len()).max(1);
            for chunk in rows.chunks(per_statement) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO ", $table, " (", stringify!($($col),+), ") "
                ));
                qb.push_values(chunk.iter(), |mut $b, $r| $push);
                qb.push($suffix);
                inserted += qb.build().execute(&mut *$tx).await?.rows_affected();
            }
        }
        inserted
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
            let driving = q.driving_filter().unwrap_or("method");
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
            // The bounded search (`RequestLogQuery::window`): no further than the last row of
            // the window in the page's direction.
            if let Some(b) = &q.bound {
                qb.push(if matches!(q.page, Page::After(_)) { " AND id <= " } else { " AND id >= " }).push_bind(b);
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

        /// Where a bounded search stops: the `window`-th row of the driving filter's index in
        /// the page's direction (an index-only walk), or nothing when there are fewer rows.
        pub(crate) fn build_request_log_boundary<'a>(q: &'a RequestLogQuery) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new("SELECT id FROM request_logs WHERE organization_id = ");
            qb.push_bind(&q.organization_id);
            qb.push(" AND environment = ").push_bind(&q.environment);
            match q.driving_filter() {
                Some("connection_id") => qb.push(" AND connection_id = ").push_bind(q.connection_id.as_ref()),
                Some("error_code") => qb.push(" AND error_code = ").push_bind(q.error_code.as_ref()),
                Some("status_code") => qb.push(" AND status_code = ").push_bind(q.status_code),
                Some("platform_id") => qb.push(" AND platform_id = ").push_bind(q.platform_id.as_ref()),
                Some("status_class") => qb.push(" AND status_class = ").push_bind(q.status_class),
                Some("method") => qb.push(" AND method = ").push_bind(q.method.as_ref()),
                _ => &mut qb,
            };
            if let Some(v) = &q.from_id {
                qb.push(" AND id >= ").push_bind(v);
            }
            if let Some(v) = &q.to_id {
                qb.push(" AND id < ").push_bind(v);
            }
            match &q.page {
                Page::First => qb.push(" ORDER BY id DESC"),
                Page::Before(id) => qb.push(" AND id < ").push_bind(id).push(" ORDER BY id DESC"),
                Page::After(id) => qb.push(" AND id > ").push_bind(id).push(" ORDER BY id ASC"),
            };
            qb.push(" LIMIT 1 OFFSET ").push_bind(q.window().unwrap_or(1) - 1);
            qb
        }
    };
}
pub(crate) use request_log_list_builder;

/// Builds the keyset list queries other than request logs, each with `prefix` in front
/// (`EXPLAIN …` for the index-plan test), so the query a page runs and the query whose plan is
/// checked are the same text. Expanded per database because `QueryBuilder` is typed by it.
macro_rules! list_builders {
    ($db:ty) => {
        /// The connections list with each row's health. `filter` is already resolved by
        /// `ConnectionStore::exact_text_match`.
        pub(crate) fn build_connection_list<'a>(
            prefix: &str,
            scope: &Scope,
            filter: &ConnectionFilter,
            page: &'a Page,
            limit: i64,
            since: i64,
        ) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
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
            qb.push_bind(scope.organization_id.clone()).push(" AND c.environment = ").push_bind(scope.environment.clone());
            crate::server::store::sql::push_connection_filter(&mut qb, filter, true);
            crate::server::store::sql::push_keyset(&mut qb, "c.id", page, limit);
            qb
        }

        pub(crate) fn build_api_key_list<'a>(
            prefix: &str,
            scope: &Scope,
            page: &'a Page,
            limit: i64,
        ) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
            qb.push(
                "SELECT k.id, k.organization_id, k.environment, k.name, k.prefix, k.scope, k.key_hash, \
                        u.email AS created_by_email, k.created_at, k.last_used_at, k.revoked_at \
                 FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
                 WHERE k.organization_id = ",
            );
            qb.push_bind(scope.organization_id.clone()).push(" AND k.environment = ").push_bind(scope.environment.clone());
            crate::server::store::sql::push_keyset(&mut qb, "k.id", page, limit);
            qb
        }

        /// A connection's sync history.
        pub(crate) fn build_sync_run_list<'a>(
            prefix: &str,
            scope: &Scope,
            connection_id: &str,
            q: &'a crate::server::store::sync::SyncRunQuery,
        ) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
            qb.push(format!(
                "SELECT {} FROM sync_runs r LEFT JOIN users u ON u.id = r.triggered_by WHERE r.connection_id = ",
                crate::server::store::sync::RUN_COLUMNS
            ));
            qb.push_bind(connection_id.to_string());
            qb.push(" AND r.organization_id = ").push_bind(scope.organization_id.clone());
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

        pub(crate) fn build_backfill_list<'a>(
            prefix: &str,
            scope: &Scope,
            status: Option<&str>,
            page: &'a Page,
            limit: i64,
        ) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
            qb.push(format!(
                "SELECT {} FROM backfills b WHERE b.organization_id = ",
                crate::server::store::sync::BACKFILL_COLUMNS
            ));
            qb.push_bind(scope.organization_id.clone()).push(" AND b.environment = ").push_bind(scope.environment.clone());
            if let Some(s) = status {
                qb.push(" AND b.status = ").push_bind(s.to_string());
            }
            crate::server::store::sql::push_keyset(&mut qb, "b.id", page, limit);
            qb
        }

        pub(crate) fn build_audit_list<'a>(prefix: &str, q: &'a AuditQuery) -> sqlx::QueryBuilder<'a, $db> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(prefix);
            qb.push(
                "SELECT a.id, a.organization_id, a.actor_email, a.action, a.target_type, a.target_id, a.ip, a.details, \
                 a.created_at FROM audit_log a WHERE a.organization_id = ",
            );
            qb.push_bind(q.organization_id.clone());
            if let Some(v) = &q.action {
                qb.push(" AND a.action = ").push_bind(v.clone());
            }
            if let Some(v) = &q.actor_email {
                qb.push(" AND a.actor_email = ").push_bind(v.clone());
            }
            crate::server::store::sql::push_keyset(&mut qb, "a.id", &q.page, q.limit);
            qb
        }

        /// Any list query, for `AdminStore::explain`.
        pub(crate) fn build_list<'a>(prefix: &str, q: &'a ListQuery) -> sqlx::QueryBuilder<'a, $db> {
            match q {
                ListQuery::RequestLogs(q) => build_request_log_list(prefix, q),
                ListQuery::Connections { scope, filter, page, limit, since } => {
                    build_connection_list(prefix, scope, filter, page, *limit, *since)
                }
                ListQuery::ApiKeys { scope, page, limit } => build_api_key_list(prefix, scope, page, *limit),
                ListQuery::SyncRuns { scope, connection_id, query } => {
                    build_sync_run_list(prefix, scope, connection_id, query)
                }
                ListQuery::Backfills { scope, status, page, limit } => {
                    build_backfill_list(prefix, scope, status.as_deref(), page, *limit)
                }
                ListQuery::Audit(q) => build_audit_list(prefix, q),
                ListQuery::WebhookDeliveries(q) => build_delivery_list(prefix, q),
            }
        }
    };
}
pub(crate) use list_builders;

/// Runs a keyset list query and returns its rows newest first: a page of newer rows is fetched
/// oldest first (so the limit keeps those nearest the cursor) and turned around here.
macro_rules! fetch_page {
    ($qb:expr, $pool:expr, $page:expr) => {{
        let mut qb = $qb;
        let mut rows: Vec<_> = qb.build_query_as().fetch_all($pool).await?;
        if matches!($page, Page::After(_)) {
            rows.reverse();
        }
        Ok(rows)
    }};
}
pub(crate) use fetch_page;

/// `[prefix, successor)`: the rows whose value starts with `prefix`, as an index range.
pub fn prefix_range(prefix: &str) -> (String, String) {
    let mut to = prefix.to_string();
    to.push(char::MAX);
    (prefix.to_string(), to)
}

/// Appends the keyset condition, order and limit of `page` for a list sorted by `id_col`.
pub fn push_keyset<'a, DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<'a, DB>,
    id_col: &str,
    page: &'a super::Page,
    limit: i64,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match page {
        super::Page::First => {
            qb.push(format!(" ORDER BY {id_col} DESC"));
        }
        super::Page::Before(id) => {
            qb.push(format!(" AND {id_col} < "))
                .push_bind(id.clone())
                .push(format!(" ORDER BY {id_col} DESC"));
        }
        super::Page::After(id) => {
            qb.push(format!(" AND {id_col} > "))
                .push_bind(id.clone())
                .push(format!(" ORDER BY {id_col} ASC"));
        }
    }
    qb.push(" LIMIT ").push_bind(limit.clamp(1, super::MAX_PAGE + 1));
}

/// The connections list's filters as SQL (`c` is the connection, `p` its platform).
pub fn push_connection_filter<'a, DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<'a, DB>,
    f: &super::ConnectionFilter,
    with_status: bool,
) where
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    if with_status && !f.statuses.is_empty() {
        qb.push(" AND c.status IN (");
        let mut sep = qb.separated(", ");
        for s in &f.statuses {
            sep.push_bind(s.clone());
        }
        qb.push(")");
    }
    if let Some(p) = &f.platform_id {
        qb.push(" AND c.platform_id = ").push_bind(p.clone());
    }
    if let Some(t) = &f.integration_type {
        qb.push(" AND p.integration_type = ").push_bind(t.clone());
    }
    if !f.ids.is_empty() {
        qb.push(" AND c.id IN (");
        let mut sep = qb.separated(", ");
        for id in f.ids.iter().take(1000) {
            sep.push_bind(id.clone());
        }
        qb.push(")");
    }
    if let Some(t) = &f.text {
        qb.push(" AND (c.id = ").push_bind(t.clone());
        qb.push(" OR c.platform_account_id = ").push_bind(t.clone());
        qb.push(" OR LOWER(c.display_name) LIKE ")
            .push_bind(format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        qb.push(")");
    }
    if f.behind {
        qb.push(
            " AND c.config_version < (SELECT MAX(s.version) FROM sync_configs s WHERE s.organization_id = c.organization_id \
             AND s.environment = c.environment AND s.integration_type = p.integration_type)",
        );
    }
}

/// Inserts one audit entry on an open transaction, so the change it records and the entry
/// commit or fail together.
macro_rules! insert_audit_tx {
    ($tx:expr, $e:expr) => {{
        let e: &NewAuditEntry = $e;
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
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_audit_tx;

/// The only way request logs enter the database: every row is redacted
/// (`RequestLogRow::redact`) before its values are bound.
macro_rules! insert_request_logs_tx {
    ($db:ty, $tx:expr, $rows:expr) => {{
        let rows: Vec<RequestLogRow> = $rows
            .iter()
            .cloned()
            .map(|mut r: RequestLogRow| {
                r.redact();
                r
            })
            .collect();
        crate::server::store::sql::insert_request_logs_tx!($db, $tx, redacted & rows, "")
    }};
    // Rows already redacted; `$suffix` follows the rows (ingestion: `ON CONFLICT DO NOTHING`).
    // Evaluates to the number of rows inserted. `insert_request_log_rows` is the backend's own
    // (sqlite.rs, postgres.rs): each database takes a batch its fastest way.
    ($db:ty, $tx:expr, redacted $rows:expr, $suffix:expr) => {{
        insert_request_log_rows(&mut *$tx, $rows, $suffix).await?
    }};
}
pub(crate) use insert_request_logs_tx;

/// Expands to the whole `impl Store for $store` (the `#[async_trait]` attribute must see the
/// methods, so it is emitted here too): `$own` holds the methods that differ per database.
macro_rules! impl_store {
    ($store:ty, $db:ty, { $($own:tt)* }) => {
        #[async_trait]
        impl AdminStore for $store {
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
            bulk_insert!($db, tx, "sync_configs", [id, organization_id, environment, integration_type, version, settings, diff, author_user_id, author_email, comment, restored_from, created_at], &batch.sync_configs, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(r.integration_type).push_bind(r.version).push_bind(&r.settings)
                    .push_bind(&r.diff).push_bind(&r.author_user_id).push_bind(&r.author_email)
                    .push_bind(&r.comment).push_bind(r.restored_from).push_bind(r.created_at);
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
            bulk_insert!($db, tx, "sync_runs", [id, connection_id, platform_id, organization_id, environment, data_object, kind, status, queued_at, started_at, finished_at, records_added, records_updated, records_deleted, range_from, range_to, error_code, error_message, trigger_kind, backfill_id, triggered_by], &batch.sync_runs, |b, r| {
                b.push_bind(&r.id).push_bind(&r.connection_id).push_bind(&r.platform_id).push_bind(&r.organization_id)
                    .push_bind(&r.environment).push_bind(&r.data_object).push_bind(&r.kind)
                    .push_bind(&r.status).push_bind(r.queued_at).push_bind(r.started_at)
                    .push_bind(r.finished_at).push_bind(r.records_added).push_bind(r.records_updated)
                    .push_bind(r.records_deleted).push_bind(r.range_from).push_bind(r.range_to)
                    .push_bind(&r.error_code).push_bind(&r.error_message).push_bind(&r.trigger_kind)
                    .push_bind(&r.backfill_id).push_bind(&r.triggered_by);
            });
            insert_request_logs_tx!($db, tx, &batch.request_logs);
            bulk_insert!($db, tx, "webhook_endpoints", [id, organization_id, environment, url, description, event_types, enabled, secret, previous_secret, previous_secret_expires_at, disabled_reason, disabled_kind, disabled_at, failing_since, deleted_at, created_at, updated_at], &batch.webhook_endpoints, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.url).push_bind(&r.description).push_bind(&r.event_types)
                    .push_bind(r.enabled).push_bind(self.sealer.seal(&r.secret))
                    .push_bind(r.previous_secret.as_deref().map(|v| self.sealer.seal(v)))
                    .push_bind(r.previous_secret_expires_at).push_bind(&r.disabled_reason)
                    .push_bind(&r.disabled_kind).push_bind(r.disabled_at).push_bind(r.failing_since)
                    .push_bind(r.deleted_at).push_bind(r.created_at).push_bind(r.updated_at);
            });
            bulk_insert!($db, tx, "webhook_events", [id, organization_id, environment, event_type, connection_id, payload, created_at], &batch.webhook_events, |b, r| {
                b.push_bind(&r.id).push_bind(&r.organization_id).push_bind(&r.environment)
                    .push_bind(&r.event_type).push_bind(&r.connection_id).push_bind(&r.payload)
                    .push_bind(r.created_at);
            });
            bulk_insert!($db, tx, "webhook_deliveries", [id, event_id, endpoint_id, organization_id, environment, event_type, connection_id, created_at, status, attempt_count, round_attempts, next_attempt_at, last_attempt_at, last_status, status_class, last_failure], &batch.webhook_deliveries, |b, r| {
                b.push_bind(&r.id).push_bind(&r.event_id).push_bind(&r.endpoint_id)
                    .push_bind(&r.organization_id).push_bind(&r.environment).push_bind(&r.event_type)
                    .push_bind(&r.connection_id).push_bind(r.created_at)
                    .push_bind(&r.status).push_bind(r.attempt_count).push_bind(r.round_attempts)
                    .push_bind(r.next_attempt_at).push_bind(r.last_attempt_at).push_bind(r.last_status)
                    .push_bind(&r.status_class).push_bind(&r.last_failure);
            });
            bulk_insert!($db, tx, "webhook_attempts", [id, delivery_id, attempt_number, attempted_at, response_status, latency_ms, response_body, failure, failure_detail, request_headers], &batch.webhook_attempts, |b, r| {
                b.push_bind(&r.id).push_bind(&r.delivery_id).push_bind(r.attempt_number)
                    .push_bind(r.attempted_at).push_bind(r.response_status).push_bind(r.latency_ms)
                    .push_bind(&r.response_body).push_bind(&r.failure).push_bind(&r.failure_detail)
                    .push_bind(&r.request_headers);
            });
            tx.commit().await?;
            Ok(())
        }

        }

        #[async_trait]
        impl AccountStore for $store {
        async fn count_organizations(&self) -> StoreResult<i64> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
                .fetch_one(&self.pool)
                .await?)
        }

        async fn list_organizations(&self, prefix: Option<&str>, limit: i64) -> StoreResult<Vec<OrganizationRow>> {
            let limit = limit.clamp(1, crate::server::store::MAX_PAGE);
            Ok(match prefix.map(str::trim).filter(|p| !p.is_empty()) {
                Some(p) => {
                    let (from, to) = crate::server::store::sql::prefix_range(&p.to_lowercase());
                    sqlx::query_as(
                        "SELECT id, name, slug, created_at FROM organizations \
                         WHERE (LOWER(name) >= $1 AND LOWER(name) < $2) OR (slug >= $1 AND slug < $2) OR id = $3 \
                         ORDER BY name, id LIMIT $4",
                    )
                    .bind(from)
                    .bind(to)
                    .bind(p)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
                None => {
                    sqlx::query_as("SELECT id, name, slug, created_at FROM organizations ORDER BY name, id LIMIT $1")
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?
                }
            })
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

        async fn delete_organization(&self, id: &str) -> StoreResult<()> {
            // Tables keyed by organization without a foreign key to it are cleared by hand;
            // the rest cascades. The audit log has no foreign key on purpose and stays.
            let mut tx = self.pool.begin().await?;
            for table in ["request_logs", "sync_runs", "webhook_events"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE organization_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id).execute(&mut *tx).await?;
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

        async fn delete_user(&self, id: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&self.pool).await?;
            Ok(())
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

        async fn remove_membership(&self, user_id: &str, organization_id: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2")
                .bind(user_id)
                .bind(organization_id)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn memberships(&self, user_id: &str) -> StoreResult<Vec<MembershipRow>> {
            Ok(sqlx::query_as(
                "SELECT m.organization_id, o.name AS organization_name, m.role FROM memberships m \
                 JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY o.name LIMIT 200",
            )
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
        }

        async fn locate(&self, kind: ObjectKind, id: &str) -> StoreResult<Option<Scope>> {
            let sql = match kind {
                ObjectKind::Request => "SELECT organization_id, environment FROM request_logs WHERE id = $1",
                ObjectKind::Connection => "SELECT organization_id, environment FROM connections WHERE id = $1",
                ObjectKind::WebhookEndpoint => {
                    "SELECT organization_id, environment FROM webhook_endpoints WHERE id = $1"
                }
                ObjectKind::WebhookDelivery => {
                    "SELECT organization_id, environment FROM webhook_deliveries WHERE id = $1"
                }
            };
            Ok(sqlx::query_as(sql).bind(id).fetch_optional(&self.pool).await?)
        }

        }

        #[async_trait]
        impl SessionStore for $store {
        async fn create_session(&self, s: &NewSession) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, organization_id, environment, created_at, expires_at, ip, user_agent, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $5)",
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
            // The membership is joined, not left-joined: a user removed from the organization
            // (and not staff) has no session there from the next request on.
            Ok(sqlx::query_as(
                "SELECT s.token_hash, s.user_id, u.email, u.name AS user_name, u.staff_role, \
                        s.organization_id, o.name AS organization_name, s.environment, s.expires_at, \
                        s.last_seen_at, m.role \
                 FROM sessions s \
                 JOIN users u ON u.id = s.user_id \
                 JOIN organizations o ON o.id = s.organization_id \
                 LEFT JOIN memberships m ON m.user_id = s.user_id AND m.organization_id = s.organization_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 \
                   AND (m.role IS NOT NULL OR u.staff_role IS NOT NULL)",
            )
            .bind(token_hash)
            .bind(now)
            .bind(now - crate::server::store::SESSION_IDLE_MS)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn touch_session(&self, token_hash: &str, now: i64) -> StoreResult<()> {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1 AND last_seen_at < $2")
                .bind(token_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn set_session_context(&self, token_hash: &str, scope: &Scope, audit: Option<&NewAuditEntry>) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            sqlx::query("UPDATE sessions SET organization_id = $2, environment = $3 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(&scope.organization_id)
                .bind(&scope.environment)
                .execute(&mut *tx)
                .await?;
            if let Some(a) = audit {
                insert_audit_tx!(tx, a);
            }
            tx.commit().await?;
            Ok(())
        }

        async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
            let mut tx = self.pool.begin().await?;
            sqlx::query("DELETE FROM one_time_reveals WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
                .bind(now)
                .bind(now - crate::server::store::SESSION_IDLE_MS)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(sessions)
        }

        async fn put_reveal(&self, r: &NewReveal) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO one_time_reveals (id, session_token_hash, ciphertext, expires_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&r.id)
            .bind(&r.session_token_hash)
            .bind(&r.ciphertext)
            .bind(r.expires_at)
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn take_reveal(&self, id: &str, session_token_hash: &str, now: i64) -> StoreResult<Option<String>> {
            // One statement: two tabs racing for the same value cannot both get it.
            let row: Option<(String, i64)> = sqlx::query_as(
                "DELETE FROM one_time_reveals WHERE id = $1 AND session_token_hash = $2 \
                 RETURNING ciphertext, expires_at",
            )
            .bind(id)
            .bind(session_token_hash)
            .fetch_optional(&self.pool)
            .await?;
            Ok(row.filter(|(_, expires_at)| *expires_at > now).map(|(c, _)| c))
        }

        }

        #[async_trait]
        impl AuditStore for $store {
        async fn insert_audit(&self, e: &NewAuditEntry) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            insert_audit_tx!(tx, e);
            tx.commit().await?;
            Ok(())
        }

        async fn audit_page(&self, q: &AuditQuery) -> StoreResult<Vec<AuditRow>> {
            let qb = build_audit_list("", q);
            crate::server::store::sql::fetch_page!(qb, &self.pool, &q.page)
        }

        async fn list_audit(&self, organization_id: &str, limit: i64) -> StoreResult<Vec<AuditRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, actor_email, action, target_type, target_id, ip, details, created_at \
                 FROM audit_log WHERE organization_id = $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(organization_id)
            .bind(limit.clamp(1, 1000))
            .fetch_all(&self.pool)
            .await?)
        }

        }

        #[async_trait]
        impl ApiKeyStore for $store {
        async fn list_api_keys(&self, scope: &Scope, page: &Page, limit: i64) -> StoreResult<Vec<ApiKeyRow>> {
            let qb = build_api_key_list("", scope, page, limit);
            crate::server::store::sql::fetch_page!(qb, &self.pool, page)
        }

        async fn create_api_key(&self, k: &NewApiKey, audit: &NewAuditEntry) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            sqlx::query(
                "INSERT INTO api_keys (id, organization_id, environment, name, prefix, key_hash, created_by, created_at, scope) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&k.id)
            .bind(&k.organization_id)
            .bind(&k.environment)
            .bind(&k.name)
            .bind(&k.prefix)
            .bind(&k.key_hash)
            .bind(&k.created_by)
            .bind(k.created_at)
            .bind(&k.scope)
            .execute(&mut *tx)
            .await?;
            insert_audit_tx!(tx, audit);
            tx.commit().await?;
            Ok(())
        }

        async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRow>> {
            Ok(sqlx::query_as(
                "SELECT k.id, k.organization_id, k.environment, k.name, k.prefix, k.scope, k.key_hash, \
                        NULL AS created_by_email, k.created_at, k.last_used_at, k.revoked_at \
                 FROM api_keys k WHERE k.key_hash = $1",
            )
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?)
        }

        async fn touch_api_key(&self, id: &str, now: i64) -> StoreResult<()> {
            sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn revoke_api_key(&self, scope: &Scope, id: &str, now: i64, audit: &NewAuditEntry) -> StoreResult<bool> {
            let mut tx = self.pool.begin().await?;
            let done = sqlx::query(
                "UPDATE api_keys SET revoked_at = $4 WHERE id = $1 AND organization_id = $2 AND environment = $3 \
                 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_audit_tx!(tx, audit);
            tx.commit().await?;
            Ok(true)
        }

        }

        #[async_trait]
        impl ConnectionStore for $store {
        async fn list_connections(&self, scope: &Scope, page: &Page, limit: i64) -> StoreResult<Vec<ConnectionRow>> {
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                        status, config_version, created_at, last_synced_at, status_reason, status_since, rate_limited_until \
                 FROM connections WHERE organization_id = ",
            );
            qb.push_bind(&scope.organization_id).push(" AND environment = ").push_bind(&scope.environment);
            crate::server::store::sql::push_keyset(&mut qb, "id", page, limit);
            crate::server::store::sql::fetch_page!(qb, &self.pool, page)
        }

        async fn connections_by_ids(&self, scope: &Scope, ids: &[String]) -> StoreResult<Vec<ConnectionRow>> {
            if ids.is_empty() {
                return Ok(vec![]);
            }
            let mut qb = sqlx::QueryBuilder::<$db>::new(
                "SELECT id, organization_id, environment, platform_id, display_name, platform_account_id, \
                        status, config_version, created_at, last_synced_at, status_reason, status_since, rate_limited_until \
                 FROM connections WHERE organization_id = ",
            );
            qb.push_bind(&scope.organization_id).push(" AND environment = ").push_bind(&scope.environment);
            qb.push(" AND id IN (");
            let mut sep = qb.separated(", ");
            for id in ids.iter().take(500) {
                sep.push_bind(id);
            }
            qb.push(")");
            Ok(qb.build_query_as().fetch_all(&self.pool).await?)
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

        async fn exact_text_match(&self, scope: &Scope, filter: &ConnectionFilter) -> StoreResult<ConnectionFilter> {
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

        async fn connection_status_counts(&self, scope: &Scope, filter: &ConnectionFilter) -> StoreResult<Vec<(String, i64)>> {
            // One bounded count per status: counting stops at COUNT_CAP + 1 (shown as
            // "10,000+"), so the counts cost the same on 10 and on 1,000,000 connections.
            let mut out = vec![];
            for status in crate::domain::ConnectionStatus::ALL {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM connections c JOIN platforms p ON p.id = c.platform_id WHERE c.organization_id = ",
                );
                qb.push_bind(scope.organization_id.clone()).push(" AND c.environment = ").push_bind(scope.environment.clone());
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
            let mut tx = self.pool.begin().await?;
            for r in reports {
                sqlx::query(
                    "UPDATE connections SET status = $4, status_reason = $5, status_since = $6 \
                     WHERE id = $1 AND organization_id = $2 AND environment = $3 \
                     AND (status_since IS NULL OR status_since <= $6)",
                )
                .bind(&r.connection_id)
                .bind(&scope.organization_id)
                .bind(&scope.environment)
                .bind(r.status)
                .bind(&r.reason)
                .bind(r.at)
                .execute(&mut *tx)
                .await?;
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

        #[async_trait]
        impl RequestLogStore for $store {
        async fn insert_request_logs(&self, rows: &[RequestLogRow]) -> StoreResult<()> {
            let mut tx = self.pool.begin().await?;
            insert_request_logs_tx!($db, tx, rows);
            tx.commit().await?;
            Ok(())
        }

        async fn ingest_request_logs(&self, rows: Vec<RequestLogRow>) -> StoreResult<Vec<usize>> {
            // Redaction and hashing are CPU work: done on a blocking thread (the async threads
            // keep serving pages) and before the transaction (SQLite's one writer is held only
            // for the inserts).
            let rows = tokio::task::spawn_blocking(move || {
                let mut rows = rows;
                for r in &mut rows {
                    r.redact();
                    r.content_hash = Some(r.content_digest());
                }
                rows
            })
            .await
            .map_err(|e| crate::server::store::StoreError::Database(sqlx::Error::Protocol(e.to_string())))?;
            let _writer = self.writer().await;
            let mut tx = self.pool.begin().await?;
            let inserted =
                insert_request_logs_tx!($db, tx, redacted &rows, " ON CONFLICT (id) DO NOTHING");
            let mut conflicts = vec![];
            if inserted as usize != rows.len() {
                // Some ids were there already (a retry, or a reused id): compare what is stored.
                let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
                let mut stored: std::collections::HashMap<String, (String, String, Option<String>)> =
                    std::collections::HashMap::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, organization_id, environment, content_hash FROM request_logs WHERE id IN (",
                    );
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(")");
                    let found: Vec<(String, String, String, Option<String>)> =
                        qb.build_query_as().fetch_all(&mut *tx).await?;
                    for (id, org, env, hash) in found {
                        stored.insert(id, (org, env, hash));
                    }
                }
                for (i, r) in rows.iter().enumerate() {
                    let same = stored.get(&r.id).is_some_and(|(org, env, hash)| {
                        *org == r.organization_id && *env == r.environment && hash.as_ref() == r.content_hash.as_ref()
                    });
                    if !same {
                        conflicts.push(i);
                    }
                }
            }
            tx.commit().await?;
            Ok(conflicts)
        }

        async fn overview(&self, scope: &Scope, since_ms: i64) -> StoreResult<OverviewCounts> {
            let (organization_id, environment) = (&scope.organization_id, &scope.environment);
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

        async fn list_request_logs(&self, query: &RequestLogQuery) -> StoreResult<Vec<RequestLogSummaryRow>> {
            let bounded = match query.window() {
                Some(_) if query.bound.is_none() => {
                    Some(RequestLogQuery { bound: self.scan_boundary(query).await?, ..query.clone() })
                }
                _ => None,
            };
            let query = bounded.as_ref().unwrap_or(query);
            let qb = build_request_log_list("", query);
            crate::server::store::sql::fetch_page!(qb, &self.pool, &query.page)
        }

        async fn scan_boundary(&self, query: &RequestLogQuery) -> StoreResult<Option<String>> {
            if query.window().is_none() {
                return Ok(None);
            }
            Ok(build_request_log_boundary(query).build_query_scalar().fetch_optional(&self.pool).await?)
        }

        async fn get_request_log(&self, scope: &Scope, id: &str) -> StoreResult<Option<RequestLogRow>> {
            Ok(sqlx::query_as(
                "SELECT id, organization_id, environment, connection_id, platform_id, api_key_prefix, method, path, \
                        query, status_code, status_class, latency_ms, error_code, error_message, platform_error, \
                        error_confidence, request_headers, request_body, response_body, response_truncated, \
                        upstream_calls, idempotency_key, user_agent, source_ip, created_at, redacted_fields \
                 FROM request_logs WHERE id = $1 AND organization_id = $2 AND environment = $3",
            )
            .bind(id)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
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
