//! The behaviour every `Store` implementation must have, run against each database.

use crate::helpers;
use switchboard::domain::PLATFORMS;
use switchboard::ids::{make_id, prefix};
use switchboard::server::auth::now_ms;
use switchboard::server::seed;
use switchboard::server::store::{NewAuditEntry, NewSession, OrganizationRow, StoreError, UserRow};

#[tokio::test]
async fn migrations_are_idempotent_and_the_catalog_is_complete() {
    for db in helpers::all().await {
        db.store.migrate().await.unwrap();
        db.store.sync_platform_catalog(PLATFORMS).await.unwrap();
        db.store.sync_platform_catalog(PLATFORMS).await.unwrap();
        assert_eq!(db.store.count_organizations().await.unwrap(), 0, "{}", db.name);
    }
}

#[tokio::test]
async fn demo_seed_is_complete_and_scoped() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 3_000).await.unwrap();
        let orgs = db.store.list_organizations().await.unwrap();
        assert_eq!(orgs.len(), 3, "{}", db.name);
        let acme = orgs.iter().find(|o| o.slug == "acme").expect("Acme Corp");
        assert_eq!(acme.name, "Acme Corp");

        let prod = db.store.list_connections(&acme.id, "production").await.unwrap();
        let platforms: std::collections::HashSet<_> = prod.iter().map(|c| c.platform_id.as_str()).collect();
        assert_eq!(platforms.len(), PLATFORMS.len(), "{}: Acme production covers the whole catalog", db.name);
        for status in ["initializing", "healthy", "degraded", "needs_reauth", "disabled"] {
            assert!(prod.iter().any(|c| c.status == status), "{}: no {status} connection", db.name);
        }
        assert!(
            prod.iter().any(|c| c.config_version == 1) && prod.iter().any(|c| c.config_version == 2),
            "{}: some connections must be behind the current configuration",
            db.name
        );
        // Connections never leak across organizations.
        for org in &orgs {
            for c in db.store.list_connections(&org.id, "sandbox").await.unwrap() {
                assert_eq!(c.organization_id, org.id);
                assert_eq!(c.environment, "sandbox");
            }
        }
        let since = now_ms() - 24 * 3_600_000;
        let o = db.store.overview(&acme.id, "production", since).await.unwrap();
        assert!(
            o.requests > 0 && o.failed_requests > 0 && o.failed_requests < o.requests,
            "{}: {o:?}",
            db.name
        );
        assert_eq!(o.connections_by_status.iter().map(|(_, n)| n).sum::<i64>(), prod.len() as i64);
        assert!(o.failed_syncs > 0, "{}: a degraded connection has failed syncs today", db.name);

        let user = db.store.find_user_by_email("viewer@acme.test").await.unwrap().expect("viewer");
        let m = db.store.memberships(&user.id).await.unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].organization_id.as_str(), m[0].role.as_str()), (acme.id.as_str(), "viewer"));
        let staff = db.store.find_user_by_email("support@switchboard.test").await.unwrap().unwrap();
        assert_eq!(staff.staff_role.as_deref(), Some("support"));
    }
}

#[tokio::test]
async fn users_sessions_flash_and_audit() {
    for db in helpers::all().await {
        let now = now_ms();
        let org = OrganizationRow {
            id: make_id(prefix::ORGANIZATION, now, 1),
            name: "Umbrella".into(),
            slug: "umbrella".into(),
            created_at: now,
        };
        db.store.create_organization(&org).await.unwrap();
        let dup = db
            .store
            .create_organization(&OrganizationRow {
                id: make_id(prefix::ORGANIZATION, now, 2),
                ..org.clone()
            })
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(_))),
            "{}: duplicate slug must be a conflict",
            db.name
        );

        let user = UserRow {
            id: make_id(prefix::USER, now, 3),
            email: "a@umbrella.test".into(),
            name: "A".into(),
            password_hash: "x".into(),
            staff_role: None,
            created_at: now,
        };
        db.store.create_user(&user).await.unwrap();
        let dup = db.store.create_user(&UserRow { id: make_id(prefix::USER, now, 4), ..user.clone() }).await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(_))),
            "{}: duplicate email must be a conflict",
            db.name
        );
        db.store.set_membership(&user.id, &org.id, "admin", now).await.unwrap();

        let session = NewSession {
            token_hash: "h1".into(),
            user_id: user.id.clone(),
            organization_id: org.id.clone(),
            environment: "production".into(),
            created_at: now,
            expires_at: now + 60_000,
            ip: None,
            user_agent: None,
        };
        db.store.create_session(&session).await.unwrap();
        let s = db.store.get_session("h1", now).await.unwrap().expect("live session");
        assert_eq!((s.role.as_deref(), s.organization_name.as_str()), (Some("admin"), "Umbrella"));
        assert!(
            db.store.get_session("h1", now + 61_000).await.unwrap().is_none(),
            "{}: expired sessions are invalid",
            db.name
        );

        db.store.set_session_flash("h1", Some("secret")).await.unwrap();
        assert_eq!(db.store.take_session_flash("h1").await.unwrap().as_deref(), Some("secret"));
        assert_eq!(
            db.store.take_session_flash("h1").await.unwrap(),
            None,
            "{}: flash is shown once",
            db.name
        );

        db.store.delete_session("h1").await.unwrap();
        assert!(db.store.get_session("h1", now).await.unwrap().is_none());

        db.store
            .insert_audit(&NewAuditEntry {
                id: make_id(prefix::AUDIT, now, 5),
                organization_id: Some(org.id.clone()),
                actor_user_id: Some(user.id.clone()),
                actor_email: user.email.clone(),
                action: "test.action".into(),
                target_type: "organization".into(),
                target_id: org.id.clone(),
                ip: Some("127.0.0.1".into()),
                details: "{}".into(),
                created_at: now,
            })
            .await
            .unwrap();
        let audit = db.store.list_audit(&org.id, 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "test.action");
    }
}
