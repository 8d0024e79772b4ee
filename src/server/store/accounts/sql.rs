//! Accounts and sessions, in SQL. Compiled once per database: `sqlite.rs` and `postgres.rs` each
//! mount this file as a module, where `Db` is that database and `This` its store, so both run the
//! same text as plain, monomorphic sqlx code (placeholders `$1, $2, …` and the column types mean
//! the same on both).

use super::This;
use crate::server::store::*;
use async_trait::async_trait;

#[async_trait]
impl AccountStore for This {
    async fn count_organizations(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM organizations").fetch_one(&self.pool).await?)
    }

    async fn list_organizations(
        &self,
        prefix: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<OrganizationRow>> {
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
                sqlx::query_as(
                    "SELECT id, name, slug, created_at FROM organizations ORDER BY name, id LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        })
    }

    async fn get_organization(&self, id_or_slug: &str) -> StoreResult<Option<OrganizationRow>> {
        Ok(sqlx::query_as("SELECT id, name, slug, created_at FROM organizations WHERE id = $1 OR slug = $1")
            .bind(id_or_slug)
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn create_organization(&self, org: &OrganizationRow) -> StoreResult<()> {
        let mut tx = self.begin().await?;
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
        let mut tx = self.begin().await?;
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
        .bind(user.staff_role)
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

    async fn set_membership(
        &self,
        user_id: &str,
        organization_id: &str,
        role: crate::domain::Role,
        now: i64,
    ) -> StoreResult<()> {
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
impl SessionStore for This {
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

    async fn set_session_context(
        &self,
        token_hash: &str,
        scope: &Scope,
        audit: Option<&NewAuditEntry>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE sessions SET organization_id = $2, environment = $3 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(&scope.organization_id)
            .bind(&scope.environment)
            .execute(&mut *tx)
            .await?;
        if let Some(a) = audit {
            super::audit::insert_audit(&mut tx, a).await?;
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
        let mut tx = self.begin().await?;
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
