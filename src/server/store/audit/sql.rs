//! The audit log, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each mount this
//! file as a module, where `Db` is that database and `This` its store, so both run the same text as
//! plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean the same on
//! both).

use super::{Db, This};
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl AuditStore for This {
    async fn insert_audit(&self, e: &NewAuditEntry) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_audit(&mut tx, e).await?;
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

pub(super) fn build_audit_list<'a>(prefix: &str, q: &'a AuditQuery) -> sqlx::QueryBuilder<'a, Db> {
    let mut qb = sqlx::QueryBuilder::<Db>::new(prefix);
    qb.push(
        "SELECT a.id, a.organization_id, a.actor_email, a.action, a.target_type, a.target_id, a.ip, a.details, \
         a.created_at FROM audit_log a WHERE a.organization_id = ",
    );
    qb.push_bind(q.organization_id.clone());
    if let Some(v) = &q.action {
        qb.push(" AND a.action = ").push_bind(*v);
    }
    if let Some(v) = &q.actor_email {
        qb.push(" AND a.actor_email = ").push_bind(v.clone());
    }
    crate::server::store::sql::push_keyset(&mut qb, "a.id", &q.page, q.limit);
    qb
}

/// Inserts one audit entry on an open transaction, so the change it records and the entry
/// commit or fail together.
pub(super) async fn insert_audit(conn: &mut super::Conn, e: &NewAuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, organization_id, actor_user_id, actor_email, action, target_type, \
         target_id, ip, details, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&e.id)
    .bind(&e.organization_id)
    .bind(&e.actor_user_id)
    .bind(&e.actor_email)
    .bind(e.action)
    .bind(&e.target_type)
    .bind(&e.target_id)
    .bind(&e.ip)
    .bind(&e.details)
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
