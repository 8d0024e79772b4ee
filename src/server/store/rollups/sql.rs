//! Rollups, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount it.

use super::{Backend, Db, This};
use crate::server::store::rollups::*;
use crate::server::store::*;
use async_trait::async_trait;

/// The conditions of a [`ComboFilter`] on `request_combos` or `request_rollups` (same
/// columns); `hint` prefixes each column (SQLite's `+`: not an index to drive by).
fn push_combo_filter<'a>(qb: &mut sqlx::QueryBuilder<'a, Db>, f: &'a ComboFilter, hint: &str) {
    if let Some(p) = &f.platform_id {
        qb.push(format!(" AND {hint}platform_id = ")).push_bind(p);
    }
    if let Some(m) = &f.method {
        qb.push(format!(" AND {hint}method = ")).push_bind(m);
    }
    if let Some((from, to)) = f.status_range {
        qb.push(format!(" AND {hint}status_code >= "))
            .push_bind(from)
            .push(format!(" AND {hint}status_code < "))
            .push_bind(to);
    }
    if let Some(e) = &f.error_code {
        qb.push(format!(" AND {hint}error_code = ")).push_bind(e);
    }
    // A prefix compared as text of its own length: byte-exact on both databases, whatever
    // PostgreSQL's collation.
    if !f.template_prefixes.is_empty() {
        qb.push(" AND (");
        for (i, p) in f.template_prefixes.iter().enumerate() {
            if i > 0 {
                qb.push(" OR ");
            }
            qb.push("substr(path_template, 1, ")
                .push_bind(p.chars().count() as i32)
                .push(") = ")
                .push_bind(p);
        }
        qb.push(")");
    }
}

/// Adds counts to the rollups, inside the caller's transaction: one statement per table for
/// up to 1,000 keys (SQLite runs each statement as a round trip to its connection's thread).
pub(super) async fn add_request_rollups(conn: &mut super::Conn, r: &RequestRollups) -> StoreResult<()> {
    // 12 and 6 parameters a row: far below SQLite's 32,766 and PostgreSQL's 65,535.
    for chunk in r.counts.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO request_rollups (organization_id, environment, hour, platform_id, method, path_template, \
             status_code, error_code, requests, latency_ms_sum, first_seen, last_seen) ",
        );
        qb.push_values(chunk, |mut row, c| {
            row.push_bind(&c.organization_id)
                .push_bind(&c.environment)
                .push_bind(c.hour)
                .push_bind(&c.platform_id)
                .push_bind(&c.method)
                .push_bind(&c.path_template)
                .push_bind(c.status_code)
                .push_bind(&c.error_code)
                .push_bind(c.requests)
                .push_bind(c.latency_ms_sum)
                .push_bind(c.first_seen)
                .push_bind(c.last_seen);
        });
        qb.push(
            " ON CONFLICT (organization_id, environment, hour, platform_id, method, path_template, status_code, error_code) \
             DO UPDATE SET requests = request_rollups.requests + excluded.requests, \
             latency_ms_sum = request_rollups.latency_ms_sum + excluded.latency_ms_sum, \
             first_seen = CASE WHEN excluded.first_seen < request_rollups.first_seen \
                          THEN excluded.first_seen ELSE request_rollups.first_seen END, \
             last_seen = CASE WHEN excluded.last_seen > request_rollups.last_seen \
                         THEN excluded.last_seen ELSE request_rollups.last_seen END",
        );
        qb.build().execute(&mut *conn).await?;
    }
    // The combinations, for exact search (migration 0016). DO NOTHING: a combination seen
    // before takes no lock, so concurrent writers never wait on one another here.
    let combos: std::collections::BTreeSet<(&str, &str, &str, &str, &str, i64, &str)> = r
        .counts
        .iter()
        .map(|c| {
            (
                c.organization_id.as_str(),
                c.environment.as_str(),
                c.platform_id.as_str(),
                c.method.as_str(),
                c.path_template.as_str(),
                c.status_code,
                c.error_code.as_str(),
            )
        })
        .collect();
    let combos: Vec<_> = combos.into_iter().collect();
    for chunk in combos.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO request_combos (organization_id, environment, platform_id, method, path_template, \
             status_code, error_code) ",
        );
        qb.push_values(chunk, |mut row, c| {
            row.push_bind(c.0)
                .push_bind(c.1)
                .push_bind(c.2)
                .push_bind(c.3)
                .push_bind(c.4)
                .push_bind(c.5)
                .push_bind(c.6);
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in r.latencies.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO request_latency_rollups (organization_id, environment, hour, platform_id, bucket, requests) ",
        );
        qb.push_values(chunk, |mut row, l| {
            row.push_bind(&l.organization_id)
                .push_bind(&l.environment)
                .push_bind(l.hour)
                .push_bind(&l.platform_id)
                .push_bind(l.bucket)
                .push_bind(l.requests);
        });
        qb.push(
            " ON CONFLICT (organization_id, environment, hour, platform_id, bucket) \
             DO UPDATE SET requests = request_latency_rollups.requests + excluded.requests",
        );
        qb.build().execute(&mut *conn).await?;
    }
    // The Overview's per-hour tables (migration 0019): the same counts without the platform,
    // path and codes. BTreeMaps keep the key order, as above.
    type HourKey<'a> = (&'a str, &'a str, i64, i64);
    let mut classes: std::collections::BTreeMap<HourKey, i64> = std::collections::BTreeMap::new();
    for c in &r.counts {
        *classes.entry((&c.organization_id, &c.environment, c.hour, c.status_code / 100)).or_default() +=
            c.requests;
    }
    let mut buckets: std::collections::BTreeMap<HourKey, i64> = std::collections::BTreeMap::new();
    for l in &r.latencies {
        *buckets.entry((&l.organization_id, &l.environment, l.hour, l.bucket)).or_default() += l.requests;
    }
    for (table, column, sums) in [
        ("request_class_rollups", "status_class", &classes),
        ("request_hour_latency_rollups", "bucket", &buckets),
    ] {
        let rows: Vec<_> = sums.iter().collect();
        for chunk in rows.chunks(1_000) {
            let mut qb = sqlx::QueryBuilder::<Db>::new(format!(
                "INSERT INTO {table} (organization_id, environment, hour, {column}, requests) "
            ));
            qb.push_values(chunk, |mut row, ((org, env, hour, key), n)| {
                row.push_bind(*org).push_bind(*env).push_bind(*hour).push_bind(*key).push_bind(**n);
            });
            qb.push(format!(
                " ON CONFLICT (organization_id, environment, hour, {column}) \
                 DO UPDATE SET requests = {table}.requests + excluded.requests"
            ));
            qb.build().execute(&mut *conn).await?;
        }
    }
    add_daily_rollups(conn, &r.counts).await
}

/// The Errors page's per-day tables (migration 0020): failures by day and combination, requests
/// by day and endpoint, summed from hourly counts, in key order.
async fn add_daily_rollups(conn: &mut super::Conn, counts: &[RequestCount]) -> StoreResult<()> {
    type FailureKey<'a> = (&'a str, &'a str, i64, &'a str, &'a str, &'a str, i64, &'a str);
    let mut failures: std::collections::BTreeMap<FailureKey, (i64, i64, i64)> =
        std::collections::BTreeMap::new();
    type EndpointKey<'a> = (&'a str, &'a str, i64, &'a str, &'a str, &'a str);
    let mut endpoints: std::collections::BTreeMap<EndpointKey, i64> = std::collections::BTreeMap::new();
    for c in counts {
        let day = day_of(c.hour);
        *endpoints
            .entry((&c.organization_id, &c.environment, day, &c.platform_id, &c.method, &c.path_template))
            .or_default() += c.requests;
        if c.status_code >= 400 {
            let f = failures
                .entry((
                    &c.organization_id,
                    &c.environment,
                    day,
                    &c.platform_id,
                    &c.method,
                    &c.path_template,
                    c.status_code,
                    &c.error_code,
                ))
                .or_insert((0, i64::MAX, i64::MIN));
            f.0 += c.requests;
            f.1 = f.1.min(c.first_seen);
            f.2 = f.2.max(c.last_seen);
        }
    }
    let failures: Vec<_> = failures.into_iter().collect();
    for chunk in failures.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO request_daily_failures (organization_id, environment, day, platform_id, method, \
             path_template, status_code, error_code, requests, first_seen, last_seen) ",
        );
        qb.push_values(
            chunk,
            |mut row, ((org, env, day, platform, method, template, status, code), (n, first, last))| {
                row.push_bind(*org)
                    .push_bind(*env)
                    .push_bind(*day)
                    .push_bind(*platform)
                    .push_bind(*method)
                    .push_bind(*template)
                    .push_bind(*status)
                    .push_bind(*code)
                    .push_bind(*n)
                    .push_bind(*first)
                    .push_bind(*last);
            },
        );
        qb.push(
            " ON CONFLICT (organization_id, environment, day, platform_id, method, path_template, status_code, error_code) \
             DO UPDATE SET requests = request_daily_failures.requests + excluded.requests, \
             first_seen = CASE WHEN excluded.first_seen < request_daily_failures.first_seen \
                          THEN excluded.first_seen ELSE request_daily_failures.first_seen END, \
             last_seen = CASE WHEN excluded.last_seen > request_daily_failures.last_seen \
                         THEN excluded.last_seen ELSE request_daily_failures.last_seen END",
        );
        qb.build().execute(&mut *conn).await?;
    }
    let endpoints: Vec<_> = endpoints.into_iter().collect();
    for chunk in endpoints.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO request_daily_endpoints (organization_id, environment, day, platform_id, method, \
             path_template, requests) ",
        );
        qb.push_values(chunk, |mut row, ((org, env, day, platform, method, template), n)| {
            row.push_bind(*org)
                .push_bind(*env)
                .push_bind(*day)
                .push_bind(*platform)
                .push_bind(*method)
                .push_bind(*template)
                .push_bind(*n);
        });
        qb.push(
            " ON CONFLICT (organization_id, environment, day, platform_id, method, path_template) \
             DO UPDATE SET requests = request_daily_endpoints.requests + excluded.requests",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CountRow {
    environment: String,
    hour: i64,
    platform_id: String,
    method: String,
    path_template: String,
    status_code: i64,
    error_code: String,
    requests: i64,
    latency_ms_sum: i64,
    first_seen: i64,
    last_seen: i64,
}

impl CountRow {
    fn into_count(self, organization_id: &str) -> RequestCount {
        RequestCount {
            organization_id: organization_id.to_string(),
            environment: self.environment,
            hour: self.hour,
            platform_id: self.platform_id,
            method: self.method,
            path_template: self.path_template,
            status_code: self.status_code,
            error_code: self.error_code,
            requests: self.requests,
            latency_ms_sum: self.latency_ms_sum,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
        }
    }
}

#[derive(sqlx::FromRow)]
struct FieldsRow {
    id: String,
    organization_id: String,
    environment: String,
    created_at: i64,
    platform_id: Option<String>,
    method: String,
    path: String,
    status_code: i64,
    error_code: Option<String>,
    latency_ms: i64,
}

#[async_trait]
impl RollupStore for This {
    async fn request_rollups(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<RequestRollups> {
        let counts: Vec<CountRow> = sqlx::query_as(
            "SELECT environment, hour, platform_id, method, path_template, status_code, error_code, requests, \
             latency_ms_sum, first_seen, last_seen \
             FROM request_rollups WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4 \
             ORDER BY hour, platform_id, method, path_template, status_code, error_code",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?;
        let latencies: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT hour, platform_id, bucket, requests FROM request_latency_rollups \
             WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4 \
             ORDER BY hour, platform_id, bucket",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?;
        Ok(RequestRollups {
            counts: counts.into_iter().map(|c| c.into_count(&scope.organization_id)).collect(),
            latencies: latencies
                .into_iter()
                .map(|(hour, platform_id, bucket, requests)| LatencyCount {
                    organization_id: scope.organization_id.clone(),
                    environment: scope.environment.clone(),
                    hour,
                    platform_id,
                    bucket,
                    requests,
                })
                .collect(),
        })
    }

    async fn failure_rollups(
        &self,
        scope: &Scope,
        grain: Grain,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<RequestCount>> {
        // The primary key's prefix (organization, environment, hour or day) bounds the read.
        let sql = match grain {
            Grain::Hour => {
                "SELECT environment, hour, platform_id, method, path_template, status_code, error_code, requests, \
                 latency_ms_sum, first_seen, last_seen \
                 FROM request_rollups WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4 \
                 AND status_code >= 400"
            }
            Grain::Day => {
                "SELECT environment, day AS hour, platform_id, method, path_template, status_code, error_code, \
                 requests, CAST(0 AS BIGINT) AS latency_ms_sum, first_seen, last_seen \
                 FROM request_daily_failures WHERE organization_id = $1 AND environment = $2 AND day >= $3 AND day < $4"
            }
        };
        let rows: Vec<CountRow> = sqlx::query_as(sql)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|c| c.into_count(&scope.organization_id)).collect())
    }

    async fn endpoint_totals(
        &self,
        scope: &Scope,
        grain: Grain,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(String, String, String, i64)>> {
        let sql = match grain {
            Grain::Hour => {
                "SELECT platform_id, method, path_template, CAST(SUM(requests) AS BIGINT) FROM request_rollups \
                 WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4 \
                 GROUP BY platform_id, method, path_template"
            }
            Grain::Day => {
                "SELECT platform_id, method, path_template, CAST(SUM(requests) AS BIGINT) FROM request_daily_endpoints \
                 WHERE organization_id = $1 AND environment = $2 AND day >= $3 AND day < $4 \
                 GROUP BY platform_id, method, path_template"
            }
        };
        Ok(sqlx::query_as(sql)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn requests_by_class(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT hour, status_class, requests FROM request_class_rollups \
             WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn latency_by_bin(
        &self,
        scope: &Scope,
        from_hour: i64,
        to_hour: i64,
        bin_ms: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        // Summed per bin where the rows are: 30 days hold about 19,000 hour-and-bucket rows,
        // 30 daily bins about 2,000.
        Ok(sqlx::query_as(
            "SELECT $3 + ((hour - $3) / $5) * $5 AS bin, bucket, CAST(SUM(requests) AS BIGINT) \
             FROM request_hour_latency_rollups \
             WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4 \
             GROUP BY 1, 2",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(from_hour)
        .bind(to_hour)
        .bind(bin_ms.max(3_600_000))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn request_combos(&self, scope: &Scope, f: &ComboFilter) -> StoreResult<Vec<RequestCombo>> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT platform_id, method, path_template, status_code, error_code FROM request_combos \
             WHERE organization_id = ",
        );
        qb.push_bind(&scope.organization_id).push(" AND environment = ").push_bind(&scope.environment);
        push_combo_filter(&mut qb, f, "");
        Ok(qb.build_query_as().fetch_all(&self.pool).await?)
    }

    async fn filter_hours(
        &self,
        scope: &Scope,
        f: &ComboFilter,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT hour, CAST(SUM(requests) AS BIGINT) FROM request_rollups WHERE organization_id = ",
        );
        qb.push_bind(&scope.organization_id)
            .push(" AND environment = ")
            .push_bind(&scope.environment)
            .push(" AND hour >= ")
            .push_bind(from_hour)
            .push(" AND hour < ")
            .push_bind(to_hour);
        // The hours' rows in key order, each checked: on SQLite `+` keeps the planner on the
        // primary key rather than the combination index (which would read every hour).
        push_combo_filter(&mut qb, f, if super::PLANNER_HINTS { "+" } else { "" });
        qb.push(" GROUP BY hour ORDER BY hour");
        // Not a prepared statement kept for reuse: PostgreSQL then plans with this call's hours
        // (a generic plan, blind to how narrow they are, read the combination index whole).
        Ok(qb.build_query_as().persistent(false).fetch_all(&self.pool).await?)
    }

    async fn combo_hours(
        &self,
        scope: &Scope,
        combos: &[RequestCombo],
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let mut hours: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
        // Nine parameters a branch; each branch is one range of the index's last column.
        for chunk in combos.chunks(100) {
            let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT hour, CAST(SUM(requests) AS BIGINT) FROM (");
            for (i, c) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                qb.push("SELECT hour, requests FROM request_rollups WHERE organization_id = ")
                    .push_bind(&scope.organization_id)
                    .push(" AND environment = ")
                    .push_bind(&scope.environment)
                    .push(" AND platform_id = ")
                    .push_bind(&c.platform_id)
                    .push(" AND method = ")
                    .push_bind(&c.method)
                    .push(" AND path_template = ")
                    .push_bind(&c.path_template)
                    .push(" AND status_code = ")
                    .push_bind(c.status_code)
                    .push(" AND error_code = ")
                    .push_bind(&c.error_code)
                    .push(" AND hour >= ")
                    .push_bind(from_hour)
                    .push(" AND hour < ")
                    .push_bind(to_hour);
            }
            qb.push(") AS c GROUP BY hour");
            let found: Vec<(i64, i64)> = qb.build_query_as().persistent(false).fetch_all(&self.pool).await?;
            for (hour, n) in found {
                *hours.entry(hour).or_default() += n;
            }
        }
        Ok(hours.into_iter().collect())
    }

    async fn derived_rollup_mismatches(&self, scope: &Scope) -> StoreResult<Vec<(&'static str, i64)>> {
        const WHERE: &str = "WHERE organization_id = $1 AND environment = $2";
        let checks: [(&'static str, String, String); 4] = [
            (
                "request_class_rollups",
                format!("SELECT hour, status_class, requests FROM request_class_rollups {WHERE}"),
                format!(
                    "SELECT hour, status_code / 100, CAST(SUM(requests) AS BIGINT) FROM request_rollups {WHERE} \
                     GROUP BY hour, status_code / 100"
                ),
            ),
            (
                "request_hour_latency_rollups",
                format!("SELECT hour, bucket, requests FROM request_hour_latency_rollups {WHERE}"),
                format!(
                    "SELECT hour, bucket, CAST(SUM(requests) AS BIGINT) FROM request_latency_rollups {WHERE} \
                     GROUP BY hour, bucket"
                ),
            ),
            (
                "request_daily_failures",
                format!(
                    "SELECT day, platform_id, method, path_template, status_code, error_code, requests, first_seen, \
                     last_seen FROM request_daily_failures {WHERE}"
                ),
                format!(
                    "SELECT (hour / 86400000) * 86400000, platform_id, method, path_template, status_code, error_code, \
                     CAST(SUM(requests) AS BIGINT), MIN(first_seen), MAX(last_seen) FROM request_rollups {WHERE} \
                     AND status_code >= 400 \
                     GROUP BY (hour / 86400000) * 86400000, platform_id, method, path_template, status_code, error_code"
                ),
            ),
            (
                "request_daily_endpoints",
                format!("SELECT day, platform_id, method, path_template, requests FROM request_daily_endpoints {WHERE}"),
                format!(
                    "SELECT (hour / 86400000) * 86400000, platform_id, method, path_template, \
                     CAST(SUM(requests) AS BIGINT) FROM request_rollups {WHERE} \
                     GROUP BY (hour / 86400000) * 86400000, platform_id, method, path_template"
                ),
            ),
        ];
        let mut out = vec![];
        for (table, kept, summed) in checks {
            let mut differing = 0;
            for (a, b) in [(&kept, &summed), (&summed, &kept)] {
                let (n,): (i64,) =
                    sqlx::query_as(&format!("SELECT CAST(COUNT(*) AS BIGINT) FROM ({a} EXCEPT {b}) AS d"))
                        .bind(&scope.organization_id)
                        .bind(&scope.environment)
                        .fetch_one(&self.pool)
                        .await?;
                differing += n;
            }
            out.push((table, differing));
        }
        Ok(out)
    }

    async fn rebuild_request_rollups(&self) -> StoreResult<RebuildReport> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        if matches!(super::BACKEND, Backend::Postgres) {
            // Ingestion adds to these tables in the transaction that stores its rows: waiting
            // for this lock, its rows are either committed before the reads below (and counted
            // here) or added after this commits (and counted by it), never both or neither.
            sqlx::query(
                "LOCK TABLE request_rollups, request_latency_rollups, request_class_rollups, \
                 request_hour_latency_rollups, request_daily_failures, request_daily_endpoints IN EXCLUSIVE MODE",
            )
            .execute(&mut *tx)
            .await?;
        }
        let mut tally = Tally::default();
        let mut oldest: std::collections::HashMap<(String, String), i64> = std::collections::HashMap::new();
        let mut report = RebuildReport::default();
        let mut after = String::new();
        loop {
            // By primary key, 10,000 rows a read: constant memory beside the tally.
            let page: Vec<FieldsRow> = sqlx::query_as(
                "SELECT id, organization_id, environment, created_at, platform_id, method, path, status_code, \
                 error_code, latency_ms FROM request_logs WHERE id > $1 ORDER BY id LIMIT 10000",
            )
            .bind(&after)
            .fetch_all(&mut *tx)
            .await?;
            let Some(last) = page.last() else { break };
            after = last.id.clone();
            for r in &page {
                report.rows_read += 1;
                let first =
                    oldest.entry((r.organization_id.clone(), r.environment.clone())).or_insert(i64::MAX);
                *first = (*first).min(hour_of(r.created_at));
                tally.add_fields(&RollupFields {
                    organization_id: &r.organization_id,
                    environment: &r.environment,
                    created_at: r.created_at,
                    platform_id: r.platform_id.as_deref(),
                    method: &r.method,
                    path: &r.path,
                    status_code: r.status_code,
                    error_code: r.error_code.as_deref(),
                    latency_ms: r.latency_ms,
                });
            }
        }
        for ((org, env), hour) in &oldest {
            for table in [
                "request_rollups",
                "request_latency_rollups",
                "request_class_rollups",
                "request_hour_latency_rollups",
            ] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE organization_id = $1 AND environment = $2 AND hour >= $3"
                ))
                .bind(org)
                .bind(env)
                .bind(hour)
                .execute(&mut *tx)
                .await?;
            }
            for table in ["request_daily_failures", "request_daily_endpoints"] {
                sqlx::query(&format!(
                    "DELETE FROM {table} WHERE organization_id = $1 AND environment = $2 AND day >= $3"
                ))
                .bind(org)
                .bind(env)
                .bind(day_of(*hour))
                .execute(&mut *tx)
                .await?;
            }
        }
        let rollups = tally.finish();
        report.counts_written = rollups.counts.len() as u64;
        report.latencies_written = rollups.latencies.len() as u64;
        add_request_rollups(&mut tx, &rollups).await?;
        // The day of an environment's oldest row may also hold hours whose rows were purged:
        // their counts (kept per hour) go back into that day's totals.
        for ((org, env), hour) in &oldest {
            let kept: Vec<CountRow> = sqlx::query_as(
                "SELECT environment, hour, platform_id, method, path_template, status_code, error_code, requests, \
                 latency_ms_sum, first_seen, last_seen FROM request_rollups \
                 WHERE organization_id = $1 AND environment = $2 AND hour >= $3 AND hour < $4",
            )
            .bind(org)
            .bind(env)
            .bind(day_of(*hour))
            .bind(*hour)
            .fetch_all(&mut *tx)
            .await?;
            let kept: Vec<RequestCount> = kept.into_iter().map(|c| c.into_count(org)).collect();
            add_daily_rollups(&mut tx, &kept).await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// Adds `(kind, organization, environment, hour, subject, status) -> change` to the counts, in
/// key order, so two folds never wait for each other's rows in opposite orders.
async fn add_outcomes(
    conn: &mut super::Conn,
    sums: &std::collections::BTreeMap<(String, String, String, i64, String, String), i64>,
) -> StoreResult<()> {
    let rows: Vec<_> = sums.iter().filter(|(_, n)| **n != 0).collect();
    for chunk in rows.chunks(1_000) {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO outcome_rollups (kind, organization_id, environment, hour, subject, status, total) ",
        );
        qb.push_values(chunk, |mut row, ((kind, org, env, hour, subject, status), n)| {
            row.push_bind(kind)
                .push_bind(org)
                .push_bind(env)
                .push_bind(*hour)
                .push_bind(subject)
                .push_bind(status)
                .push_bind(**n);
        });
        qb.push(
            " ON CONFLICT (organization_id, environment, kind, hour, subject, status) \
             DO UPDATE SET total = outcome_rollups.total + excluded.total",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

type OutcomeKey = (String, String, String, i64, String, String);

#[async_trait]
impl OutcomeStore for This {
    async fn outcome_rollups(
        &self,
        scope: &Scope,
        kind: OutcomeKind,
        from_hour: i64,
        to_hour: i64,
    ) -> StoreResult<Vec<OutcomeCount>> {
        // The deltas not folded yet are few (the worker folds them every second) and unindexed:
        // appending them must stay as cheap as possible for the writers.
        Ok(sqlx::query_as(
            "SELECT hour, subject, status, CAST(SUM(total) AS BIGINT) AS total FROM ( \
               SELECT hour, subject, status, total FROM outcome_rollups \
               WHERE organization_id = $1 AND environment = $2 AND kind = $3 AND hour >= $4 AND hour < $5 \
               UNION ALL \
               SELECT hour, subject, status, delta FROM outcome_rollup_deltas \
               WHERE organization_id = $1 AND environment = $2 AND kind = $3 AND hour >= $4 AND hour < $5 \
             ) counts GROUP BY hour, subject, status HAVING SUM(total) <> 0 ORDER BY hour, subject, status",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(kind.as_str())
        .bind(from_hour)
        .bind(to_hour)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn outcomes_by_bin(
        &self,
        scope: &Scope,
        kind: OutcomeKind,
        from_hour: i64,
        to_hour: i64,
        bin_ms: i64,
    ) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT $4 + ((hour - $4) / $6) * $6 AS bin, status, CAST(SUM(total) AS BIGINT) AS total FROM ( \
               SELECT hour, status, total FROM outcome_rollups \
               WHERE organization_id = $1 AND environment = $2 AND kind = $3 AND hour >= $4 AND hour < $5 \
               UNION ALL \
               SELECT hour, status, delta FROM outcome_rollup_deltas \
               WHERE organization_id = $1 AND environment = $2 AND kind = $3 AND hour >= $4 AND hour < $5 \
             ) counts GROUP BY 1, 2 HAVING SUM(total) <> 0 ORDER BY 1, 2",
        )
        .bind(&scope.organization_id)
        .bind(&scope.environment)
        .bind(kind.as_str())
        .bind(from_hour)
        .bind(to_hour)
        .bind(bin_ms)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn fold_outcome_deltas(&self, limit: i64) -> StoreResult<OutcomeReport> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        // Taking the rows by deleting them: a fold killed half-way rolls back and leaves them.
        let skip_locked = match super::BACKEND {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let taken: Vec<(String, String, String, i64, String, String, i64)> = sqlx::query_as(&format!(
            "DELETE FROM outcome_rollup_deltas WHERE id IN \
             (SELECT id FROM outcome_rollup_deltas ORDER BY id LIMIT $1{skip_locked}) \
             RETURNING kind, organization_id, environment, hour, subject, status, delta"
        ))
        .bind(limit.max(1))
        .fetch_all(&mut *tx)
        .await?;
        if taken.is_empty() {
            return Ok(OutcomeReport::default());
        }
        let mut sums: std::collections::BTreeMap<OutcomeKey, i64> = std::collections::BTreeMap::new();
        for (kind, org, env, hour, subject, status, delta) in &taken {
            *sums
                .entry((kind.clone(), org.clone(), env.clone(), *hour, subject.clone(), status.clone()))
                .or_default() += delta;
        }
        add_outcomes(&mut tx, &sums).await?;
        tx.commit().await?;
        Ok(OutcomeReport { deltas: taken.len() as u64, rows_read: 0 })
    }

    async fn rebuild_outcome_rollups(&self) -> StoreResult<OutcomeReport> {
        let _writer = self.writer().await;
        let mut tx = self.begin().await?;
        if matches!(super::BACKEND, Backend::Postgres) {
            // Every status change appends a delta in its own transaction: waiting for this lock,
            // a change is either committed before the reads below (and counted by them) or
            // appended after this commits (and folded later), never both or neither.
            sqlx::query("LOCK TABLE outcome_rollups, outcome_rollup_deltas IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let mut report = OutcomeReport::default();
        // The deltas first, so hours whose rows are gone keep their changes too.
        let deltas: Vec<(String, String, String, i64, String, String, i64)> = sqlx::query_as(
            "DELETE FROM outcome_rollup_deltas \
             RETURNING kind, organization_id, environment, hour, subject, status, delta",
        )
        .fetch_all(&mut *tx)
        .await?;
        report.deltas = deltas.len() as u64;
        let mut folded: std::collections::BTreeMap<OutcomeKey, i64> = std::collections::BTreeMap::new();
        for (kind, org, env, hour, subject, status, delta) in deltas {
            *folded.entry((kind, org, env, hour, subject, status)).or_default() += delta;
        }
        add_outcomes(&mut tx, &folded).await?;
        let mut counted: std::collections::BTreeMap<OutcomeKey, i64> = std::collections::BTreeMap::new();
        for (kind, sql) in [
            (
                OutcomeKind::SyncRun,
                "SELECT organization_id, environment, (queued_at / 3600000) * 3600000, data_object, status, \
                 CAST(COUNT(*) AS BIGINT) FROM sync_runs \
                 GROUP BY organization_id, environment, (queued_at / 3600000) * 3600000, data_object, status",
            ),
            (
                OutcomeKind::Delivery,
                "SELECT organization_id, environment, (created_at / 3600000) * 3600000, endpoint_id, status, \
                 CAST(COUNT(*) AS BIGINT) FROM webhook_deliveries \
                 GROUP BY organization_id, environment, (created_at / 3600000) * 3600000, endpoint_id, status",
            ),
        ] {
            let rows: Vec<(String, String, i64, String, String, i64)> =
                sqlx::query_as(sql).fetch_all(&mut *tx).await?;
            let mut oldest: std::collections::HashMap<(String, String), i64> = std::collections::HashMap::new();
            for (org, env, hour, subject, status, n) in rows {
                report.rows_read += n as u64;
                let first = oldest.entry((org.clone(), env.clone())).or_insert(i64::MAX);
                *first = (*first).min(hour);
                counted.insert((kind.as_str().to_string(), org, env, hour, subject, status), n);
            }
            for ((org, env), hour) in &oldest {
                sqlx::query(
                    "DELETE FROM outcome_rollups WHERE organization_id = $1 AND environment = $2 AND kind = $3 \
                     AND hour >= $4",
                )
                .bind(org)
                .bind(env)
                .bind(kind.as_str())
                .bind(hour)
                .execute(&mut *tx)
                .await?;
            }
        }
        add_outcomes(&mut tx, &counted).await?;
        tx.commit().await?;
        Ok(report)
    }
}
