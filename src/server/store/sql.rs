//! What the SQL of every context shares: multi-row inserts, keyset pages and the connection
//! filter. The SQL itself lives with its context (`accounts/sql.rs`, `sync/sql.rs`, ...), each
//! file compiled once per database by `sqlite.rs` and `postgres.rs`.

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
    // With `RETURNING id` at the end of the suffix: evaluates to the ids of the rows inserted.
    (ids $db:ty, $tx:expr, $table:literal, [$($col:ident),+ $(,)?], $rows:expr, $suffix:expr, |$b:ident, $r:ident| $push:block) => {{
        const COLUMNS: &[&str] = &[$(stringify!($col)),+];
        let rows = $rows;
        let mut ids: Vec<String> = Vec::with_capacity(rows.len());
        if !rows.is_empty() {
            let per_statement = (crate::server::store::sql::MAX_PARAMS_PER_STATEMENT / COLUMNS.len()).max(1);
            for chunk in rows.chunks(per_statement) {
                let mut qb = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO ", $table, " (", stringify!($($col),+), ") "
                ));
                qb.push_values(chunk.iter(), |mut $b, $r| $push);
                qb.push($suffix);
                ids.extend(qb.build_query_scalar::<String>().fetch_all(&mut *$tx).await?);
            }
        }
        ids
    }};
}
pub(crate) use bulk_insert;

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
