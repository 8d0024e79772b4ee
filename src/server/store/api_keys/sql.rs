//! API keys, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount this file
//! as a module, where `Db` is that database and `This` its store, so both run the same text as
//! plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean the same on
//! both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl ApiKeyStore for This {
    async fn list_api_keys(&self, scope: &Scope, page: &Page, limit: i64) -> StoreResult<Vec<ApiKeyRow>> {
        let qb = build_api_key_list("", scope, page, limit);
        crate::server::store::sql::fetch_page!(qb, &self.pool, page)
    }

    async fn create_api_key(&self, k: &NewApiKey, audit: &NewAuditEntry) -> StoreResult<()> {
        let mut tx = self.begin().await?;
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
    .bind(k.scope)
    .execute(&mut *tx)
    .await?;
        super::audit::insert_audit(&mut tx, audit).await?;
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

    async fn revoke_api_key(
        &self,
        scope: &Scope,
        id: &str,
        now: i64,
        audit: &NewAuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
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
        super::audit::insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}

pub(super) fn build_api_key_list<'a>(
    prefix: &str,
    scope: &Scope,
    page: &'a Page,
    limit: i64,
) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(
        "SELECT k.id, k.organization_id, k.environment, k.name, k.prefix, k.scope, k.key_hash, \
                u.email AS created_by_email, k.created_at, k.last_used_at, k.revoked_at \
         FROM api_keys k LEFT JOIN users u ON u.id = k.created_by \
         WHERE k.organization_id = ",
    );
    qb.push_bind(scope.organization_id.clone())
        .push(" AND k.environment = ")
        .push_bind(scope.environment.clone());
    crate::server::store::sql::push_keyset(&mut qb, "k.id", page, limit);
    qb
}
