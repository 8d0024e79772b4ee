//! The behaviour every `Store` implementation must have, run against each database.

use crate::helpers;
use crate::helpers::now_ms;
use switchboard::domain::PLATFORMS;
use switchboard::ids::{make_id, prefix};
use switchboard::server::seed;
use switchboard::server::store::{
    NewApiKey, NewAuditEntry, NewReveal, NewSession, ObjectKind, OrganizationRow, Page, RequestLogRow, Scope,
    StoreError, UserRow,
};

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
        let orgs = db.store.list_organizations(None, 100).await.unwrap();
        assert_eq!(orgs.len(), 3, "{}", db.name);
        let acme = orgs.iter().find(|o| o.slug == "acme").expect("Acme Corp");
        assert_eq!(acme.name, "Acme Corp");

        let acme_prod = Scope::new(acme.id.clone(), "production");
        let prod = db.store.list_connections(&acme_prod, &Page::First, 200).await.unwrap();
        let platforms: std::collections::HashSet<_> = prod.iter().map(|c| c.platform_id.as_str()).collect();
        assert_eq!(platforms.len(), PLATFORMS.len(), "{}: Acme production covers the whole catalog", db.name);
        for status in switchboard::domain::ConnectionStatus::ALL.iter().copied() {
            assert!(prod.iter().any(|c| c.status == status), "{}: no {status} connection", db.name);
        }
        assert!(
            prod.iter().any(|c| c.config_version == 1) && prod.iter().any(|c| c.config_version == 2),
            "{}: some connections must be behind the current configuration",
            db.name
        );
        // Connections never leak across organizations.
        for org in &orgs {
            for c in db
                .store
                .list_connections(&Scope::new(org.id.clone(), "sandbox"), &Page::First, 200)
                .await
                .unwrap()
            {
                assert_eq!(c.organization_id, org.id);
                assert_eq!(c.environment, "sandbox");
            }
        }
        let since = now_ms() - 24 * 3_600_000;
        let by_class = db.store.requests_by_class(&acme_prod, since - 3_600_000, i64::MAX).await.unwrap();
        let requests: i64 = by_class.iter().map(|(_, _, n)| n).sum();
        let failed: i64 = by_class.iter().filter(|(_, c, _)| *c >= 4).map(|(_, _, n)| n).sum();
        assert!(requests > 0 && failed > 0 && failed < requests, "{}: {by_class:?}", db.name);
        let by_status = db.store.connections_by_status(&acme_prod).await.unwrap();
        assert_eq!(by_status.iter().map(|(_, n)| n).sum::<i64>(), prod.len() as i64);
        let runs = db
            .store
            .outcome_rollups(
                &acme_prod,
                switchboard::server::store::rollups::OutcomeKind::SyncRun,
                since - 3_600_000,
                i64::MAX,
            )
            .await
            .unwrap();
        assert!(
            runs.iter().any(|c| c.status == "failed" && c.total > 0),
            "{}: a degraded connection has failed syncs today",
            db.name
        );

        let user = db.store.find_user_by_email("viewer@acme.test").await.unwrap().expect("viewer");
        let m = db.store.memberships(&user.id).await.unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].organization_id.as_str(), m[0].role.as_str()), (acme.id.as_str(), "viewer"));
        let staff = db.store.find_user_by_email("support@switchboard.test").await.unwrap().unwrap();
        assert_eq!(staff.staff_role.map(|r| r.as_str()), Some("support"));
    }
}

#[tokio::test]
async fn users_sessions_and_audit() {
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
        db.store.set_membership(&user.id, &org.id, switchboard::domain::Role::Admin, now).await.unwrap();

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
        assert_eq!((s.role.map(|r| r.as_str()), s.organization_name.as_str()), (Some("admin"), "Umbrella"));
        assert!(
            db.store.get_session("h1", now + 61_000).await.unwrap().is_none(),
            "{}: expired sessions are invalid",
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
                action: switchboard::domain::AuditAction::StaffOpenOrganization,
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
        assert_eq!(audit[0].action, "staff.open_organization");
    }
}

fn audit_row(id: &str, org: &str, action: &str) -> NewAuditEntry {
    NewAuditEntry {
        id: id.into(),
        organization_id: Some(org.into()),
        actor_user_id: None,
        actor_email: "someone@test".into(),
        // Entries whose action the test does not look at are filed as staff opening the
        // organization; the audit log only stores actions something writes.
        action: switchboard::domain::AuditAction::parse(action)
            .unwrap_or(switchboard::domain::AuditAction::StaffOpenOrganization),
        target_type: "organization".into(),
        target_id: org.into(),
        ip: None,
        details: "{}".into(),
        created_at: now_ms(),
    }
}

/// An organization with one member (role given) and a live session `token_hash`.
async fn org_with_member(
    db: &helpers::TestDb,
    slug: &str,
    role: &str,
    token_hash: &str,
) -> (OrganizationRow, UserRow) {
    let now = now_ms();
    let org = OrganizationRow {
        id: make_id(prefix::ORGANIZATION, now, rand_id()),
        name: slug.to_uppercase(),
        slug: slug.into(),
        created_at: now,
    };
    db.store.create_organization(&org).await.unwrap();
    let user = UserRow {
        id: make_id(prefix::USER, now, rand_id()),
        email: format!("{role}@{slug}.test"),
        name: role.into(),
        password_hash: "x".into(),
        staff_role: None,
        created_at: now,
    };
    db.store.create_user(&user).await.unwrap();
    db.store
        .set_membership(&user.id, &org.id, switchboard::domain::Role::parse(role).expect("a role"), now)
        .await
        .unwrap();
    db.store
        .create_session(&NewSession {
            token_hash: token_hash.into(),
            user_id: user.id.clone(),
            organization_id: org.id.clone(),
            environment: "production".into(),
            created_at: now,
            expires_at: now + 14 * 24 * 3_600_000,
            ip: None,
            user_agent: None,
        })
        .await
        .unwrap();
    (org, user)
}

fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(1);
    h.finish() as u128
}

#[tokio::test]
async fn sessions_end_with_the_membership_the_idle_timeout_and_the_purge() {
    for db in helpers::all().await {
        let (org, user) = org_with_member(&db, "hooli", "developer", "s-member").await;
        let now = now_ms();
        assert!(db.store.get_session("s-member", now).await.unwrap().is_some(), "{}", db.name);
        // Removing the membership ends the session at once.
        db.store.remove_membership(&user.id, &org.id).await.unwrap();
        assert!(
            db.store.get_session("s-member", now).await.unwrap().is_none(),
            "{}: removed member",
            db.name
        );
        db.store.set_membership(&user.id, &org.id, switchboard::domain::Role::Viewer, now).await.unwrap();
        assert_eq!(
            db.store.get_session("s-member", now).await.unwrap().unwrap().role.map(|r| r.as_str()),
            Some("viewer"),
            "{}: the role is read on every request",
            db.name
        );
        // Idle for longer than the idle timeout: gone, though the absolute lifetime is not over.
        let idle = switchboard::server::store::SESSION_IDLE_MS;
        assert!(db.store.get_session("s-member", now + idle - 1_000).await.unwrap().is_some());
        assert!(db.store.get_session("s-member", now + idle + 1_000).await.unwrap().is_none(), "{}", db.name);
        // Activity moves the idle deadline.
        db.store.touch_session("s-member", now + idle - 1_000).await.unwrap();
        assert!(db.store.get_session("s-member", now + idle + 1_000).await.unwrap().is_some(), "{}", db.name);
        // The purge deletes sessions that can no longer be used, and only those.
        assert_eq!(db.store.purge_expired(now).await.unwrap(), 0);
        assert_eq!(db.store.purge_expired(now + 2 * idle + 1_000).await.unwrap(), 1, "{}", db.name);
        assert!(db.store.get_session("s-member", now).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn one_time_values_are_read_once_by_their_session_only() {
    for db in helpers::all().await {
        org_with_member(&db, "pied", "owner", "s-a").await;
        org_with_member(&db, "raviga", "owner", "s-b").await;
        let now = now_ms();
        let reveal = NewReveal {
            id: "r1".into(),
            session_token_hash: "s-a".into(),
            ciphertext: "c1".into(),
            expires_at: now + 60_000,
        };
        db.store.put_reveal(&reveal).await.unwrap();
        assert_eq!(
            db.store.take_reveal("r1", "s-b", now).await.unwrap(),
            None,
            "{}: another session",
            db.name
        );
        assert_eq!(db.store.take_reveal("r1", "s-a", now).await.unwrap().as_deref(), Some("c1"));
        assert_eq!(db.store.take_reveal("r1", "s-a", now).await.unwrap(), None, "{}: read once", db.name);
        db.store.put_reveal(&NewReveal { id: "r2".into(), ..reveal.clone() }).await.unwrap();
        assert_eq!(
            db.store.take_reveal("r2", "s-a", now + 61_000).await.unwrap(),
            None,
            "{}: expired",
            db.name
        );
        db.store.put_reveal(&NewReveal { id: "r3".into(), ..reveal }).await.unwrap();
        db.store.purge_expired(now + 61_000).await.unwrap();
        assert_eq!(db.store.take_reveal("r3", "s-a", now).await.unwrap(), None, "{}: purged", db.name);
    }
}

#[tokio::test]
async fn a_change_and_its_audit_entry_commit_together() {
    for db in helpers::all().await {
        let (org, user) = org_with_member(&db, "wayne", "owner", "s-w").await;
        let (other, _) = org_with_member(&db, "stark", "owner", "s-s").await;
        let scope = Scope::new(org.id.clone(), "production");
        let now = now_ms();
        // An audit id that already exists makes the audit insert fail.
        let taken = make_id(prefix::AUDIT, now, 42);
        db.store.insert_audit(&audit_row(&taken, &org.id, "first")).await.unwrap();

        let key = NewApiKey {
            id: make_id(prefix::API_KEY, now, 7),
            organization_id: org.id.clone(),
            environment: "production".into(),
            name: "k".into(),
            prefix: "sb_read_abcd1234".into(),
            scope: switchboard::domain::KeyScope::Read,
            key_hash: "hash-1".into(),
            created_by: Some(user.id.clone()),
            created_at: now,
        };
        assert!(db.store.create_api_key(&key, &audit_row(&taken, &org.id, "api_key.create")).await.is_err());
        assert!(
            db.store.list_api_keys(&scope, &Page::First, 10).await.unwrap().is_empty(),
            "{}: the key must not exist when its audit entry failed",
            db.name
        );
        db.store
            .create_api_key(&key, &audit_row(&make_id(prefix::AUDIT, now, 43), &org.id, "api_key.create"))
            .await
            .unwrap();
        assert!(db
            .store
            .revoke_api_key(&scope, &key.id, now, &audit_row(&taken, &org.id, "api_key.revoke"))
            .await
            .is_err());
        let keys = db.store.list_api_keys(&scope, &Page::First, 10).await.unwrap();
        assert!(keys[0].revoked_at.is_none(), "{}: revoke rolled back with its audit entry", db.name);
        // Another organization's scope cannot revoke it.
        let foreign = Scope::new(other.id.clone(), "production");
        assert!(!db
            .store
            .revoke_api_key(
                &foreign,
                &key.id,
                now,
                &audit_row(&make_id(prefix::AUDIT, now, 44), &other.id, "x")
            )
            .await
            .unwrap());
        assert!(db
            .store
            .revoke_api_key(
                &scope,
                &key.id,
                now,
                &audit_row(&make_id(prefix::AUDIT, now, 45), &org.id, "api_key.revoke")
            )
            .await
            .unwrap());

        let before = db.store.get_session("s-w", now).await.unwrap().unwrap();
        let sandbox = Scope::new(org.id.clone(), "sandbox");
        assert!(db
            .store
            .set_session_context("s-w", &sandbox, Some(&audit_row(&taken, &org.id, "switch")))
            .await
            .is_err());
        let after = db.store.get_session("s-w", now).await.unwrap().unwrap();
        assert_eq!(after.environment, before.environment, "{}: the switch rolled back", db.name);
        let actions: Vec<String> = db
            .store
            .list_audit(&org.id, 20)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action.to_string())
            .collect();
        assert_eq!(actions.iter().filter(|a| *a == "api_key.create").count(), 1, "{}: {actions:?}", db.name);
        assert_eq!(actions.iter().filter(|a| *a == "api_key.revoke").count(), 1, "{}: {actions:?}", db.name);
    }
}

#[tokio::test]
async fn the_audit_log_outlives_organizations_and_users() {
    for db in helpers::all().await {
        let (org, user) = org_with_member(&db, "tyrell", "owner", "s-t").await;
        let now = now_ms();
        db.store
            .insert_audit(&NewAuditEntry {
                actor_user_id: Some(user.id.clone()),
                ..audit_row(&make_id(prefix::AUDIT, now, 9), &org.id, "api_key.create")
            })
            .await
            .unwrap();
        db.store.delete_user(&user.id).await.unwrap();
        db.store.delete_organization(&org.id).await.unwrap();
        assert!(db.store.get_organization(&org.id).await.unwrap().is_none());
        let left = db.store.list_audit(&org.id, 10).await.unwrap();
        assert_eq!(left.len(), 1, "{}: the entry survives", db.name);
        assert_eq!(left[0].action, "api_key.create");
    }
}

#[tokio::test]
async fn lookups_are_scoped_to_organization_and_environment() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 300).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let globex = db.store.get_organization("globex").await.unwrap().unwrap();
        let prod = Scope::new(acme.id.clone(), "production");
        let conn = db.store.list_connections(&prod, &Page::First, 1).await.unwrap().remove(0);
        assert!(db.store.get_connection(&prod, &conn.id).await.unwrap().is_some());
        assert!(
            db.store
                .get_connection(&Scope::new(acme.id.clone(), "sandbox"), &conn.id)
                .await
                .unwrap()
                .is_none(),
            "{}: environment is checked",
            db.name
        );
        assert!(
            db.store
                .get_connection(&Scope::new(globex.id.clone(), "production"), &conn.id)
                .await
                .unwrap()
                .is_none(),
            "{}",
            db.name
        );
        assert_eq!(db.store.locate(ObjectKind::Connection, &conn.id).await.unwrap(), Some(prod.clone()));

        let q = switchboard::server::store::RequestLogQuery {
            organization_id: acme.id.clone(),
            environment: "production".into(),
            limit: 1,
            ..Default::default()
        };
        let req = db.store.list_request_logs(&q).await.unwrap().remove(0);
        assert!(db.store.get_request_log(&prod, &req.id).await.unwrap().is_some());
        assert!(db
            .store
            .get_request_log(&Scope::new(globex.id.clone(), "production"), &req.id)
            .await
            .unwrap()
            .is_none());
        assert!(db
            .store
            .get_request_log(&Scope::new(acme.id.clone(), "sandbox"), &req.id)
            .await
            .unwrap()
            .is_none());

        // Lists are keyset pages with a hard cap, never every row.
        let page = db.store.list_connections(&prod, &Page::First, 3).await.unwrap();
        assert_eq!(page.len(), 3);
        let next = db.store.list_connections(&prod, &Page::Before(page[2].id.clone()), 3).await.unwrap();
        assert!(next.iter().all(|c| c.id < page[2].id), "{}", db.name);
        let back = db.store.list_connections(&prod, &Page::After(next[0].id.clone()), 3).await.unwrap();
        assert_eq!(
            back.iter().map(|c| &c.id).collect::<Vec<_>>(),
            page.iter().map(|c| &c.id).collect::<Vec<_>>()
        );
        assert!(db.store.list_connections(&prod, &Page::First, 1_000_000).await.unwrap().len() <= 201);
        assert_eq!(db.store.list_organizations(Some("glo"), 10).await.unwrap().len(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn secrets_are_redacted_before_storage_whoever_writes() {
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 200).await.unwrap();
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let now = now_ms();
        let secrets = [
            "sk_live_HEADERSECRET1",
            "COOKIESECRET2",
            "XAPIKEYSECRET3",
            "QUERYTOKEN4",
            "QUERYCLIENTSECRET5",
            "BODYPASSWORD6",
            "NESTEDTOKEN7",
            "4242424242424242",
            "RESPONSEACCESSTOKEN8",
            "UPSTREAMURLKEY9",
            "UPSTREAMBASIC10",
            "URLPASSWORD11",
            "PLATFORMERRORTOKEN12",
            "PROXYAUTH13",
        ];
        let row = RequestLogRow {
            id: make_id(prefix::REQUEST, now, 77),
            organization_id: acme.id.clone(),
            environment: "production".into(),
            connection_id: None,
            platform_id: None,
            api_key_prefix: Some("sk_live_HEAD".into()),
            method: "POST".into(),
            path: "/accounting/invoices".into(),
            query: Some("expand=lines&access_token=QUERYTOKEN4&client_secret=QUERYCLIENTSECRET5".into()),
            status_code: 400,
            status_class: 4,
            latency_ms: 120,
            error_code: Some("invalid-params".into()),
            error_message: Some("Field amount is invalid".into()),
            platform_error: Some(r#"{"fault":{"detail":"bad","session_token":"PLATFORMERRORTOKEN12"}}"#.into()),
            error_confidence: Some("high".into()),
            request_headers: r#"{"authorization":"Bearer sk_live_HEADERSECRET1","cookie":"sid=COOKIESECRET2","x-api-key":"XAPIKEYSECRET3","proxy-authorization":"Basic PROXYAUTH13","content-type":"application/json"}"#.into(),
            request_body: Some(r#"{"customer":{"login":{"password":"BODYPASSWORD6"},"meta":[{"refresh_token":"NESTEDTOKEN7"}]},"card":{"number":"4242424242424242"},"amount":"12.50"}"#.into()),
            response_body: Some(r#"{"access_token":"RESPONSEACCESSTOKEN8","token_type":"bearer"}"#.into()),
            response_truncated: false,
            upstream_calls: r#"[{"method":"GET","url":"https://admin:URLPASSWORD11@api.platform.example/v1/invoices?api_key=UPSTREAMURLKEY9&page=1","status":400,"latency_ms":80,"response":"{}","headers":{"Authorization":"Basic UPSTREAMBASIC10"}}]"#.into(),
            idempotency_key: Some("idem-visible".into()),
            user_agent: Some("curl/8".into()),
            source_ip: Some("203.0.113.9".into()),
            created_at: now,
            redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
        };
        db.store.insert_request_logs(std::slice::from_ref(&row)).await.unwrap();
        let raw = helpers::raw_contents(&db).await;
        for secret in secrets {
            assert!(!raw.contains(secret), "{}: {secret} was stored", db.name);
        }
        assert!(
            raw.contains("idem-visible") && raw.contains("expand=lines"),
            "{}: ordinary values stay",
            db.name
        );
        // The demo seed writes real-looking keys; none survives either.
        assert!(!raw.contains("Bearer sk_"), "{}: a seeded Authorization header was stored", db.name);
        let stored = db
            .store
            .get_request_log(&Scope::new(acme.id.clone(), "production"), &row.id)
            .await
            .unwrap()
            .unwrap();
        let fields: Vec<String> = serde_json::from_str(&stored.redacted_fields).unwrap();
        for f in [
            "request_headers.authorization",
            "query.access_token",
            "request_body.customer.login.password",
            "request_body.card.number",
            "response_body.access_token",
            "upstream_calls[0].url.api_key",
        ] {
            assert!(fields.iter().any(|x| x == f), "{}: {f} missing from {fields:?}", db.name);
        }
        assert!(stored.request_headers.contains("Bearer [REDACTED]"));
    }
}
