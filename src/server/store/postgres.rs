//! PostgreSQL, for production.

use super::sql::{impl_store, run_migrations};
use super::*;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::time::Duration;

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    /// `EXPLAIN` of a query, one line per plan node.
    pub async fn explain(&self, sql: &str, binds: &[&str]) -> StoreResult<Vec<String>> {
        let explained = format!("EXPLAIN {sql}");
        let mut q = sqlx::query_scalar::<_, String>(&explained);
        for b in binds {
            q = q.bind(*b);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}

impl_store!(PgStore, sqlx::Postgres, {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> StoreResult<()> {
        // Two servers starting at once against one database must not both migrate.
        let mut lock = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(7236011)").execute(&mut *lock).await?;
        let result: StoreResult<()> = async { run_migrations!(&self.pool, super::migrate::POSTGRES) }.await;
        sqlx::query("SELECT pg_advisory_unlock(7236011)").execute(&mut *lock).await?;
        result
    }
});
