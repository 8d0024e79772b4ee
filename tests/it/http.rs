//! The HTTP surface end to end, in process: sign-in, sessions, guards, organization isolation
//! and the audit trail of staff access.

use crate::helpers::{self, TestDb};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use switchboard::server::config::Settings;
use switchboard::server::{http, seed};
use tower::ServiceExt;

const HOST: &str = "console.test";

async fn app(db: &TestDb) -> Router {
    seed::seed_demo(db.store.as_ref(), 500).await.unwrap();
    let settings = Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: db.url.clone(),
        secure_cookies: false,
        allow_private_webhook_urls: true,
        site_root: "target/site".into(),
    };
    http::router(http::app_state(settings, db.store.clone()))
}

async fn send(app: &Router, req: Request<Body>) -> Response<Body> {
    app.clone().oneshot(req).await.unwrap()
}

async fn body(res: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, HOST);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post_form(path: &str, form: &str, cookie: Option<&str>, origin: Option<&str>) -> Request<Body> {
    let mut b = Request::post(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    if let Some(o) = origin {
        b = b.header(header::ORIGIN, o);
    }
    b.body(Body::from(form.to_string())).unwrap()
}

fn location(res: &Response<Body>) -> String {
    res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// Signs in and returns the `Cookie` header value.
async fn sign_in(app: &Router, email: &str) -> String {
    let res = send(
        app,
        post_form(
            "/auth/sign-in",
            &format!("email={email}&password=switchboard-demo"),
            None,
            Some(&format!("http://{HOST}")),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    let set_cookie =
        res.headers().get(header::SET_COOKIE).expect("session cookie").to_str().unwrap().to_string();
    set_cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn sign_in_sessions_and_guards() {
    for db in helpers::all().await {
        let app = app(&db).await;
        // Signed out: pages redirect to sign-in, keeping the destination.
        let res = send(&app, get("/connections?x=1", None)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", db.name);
        assert_eq!(location(&res), "/sign-in?next=/connections%3Fx%3D1");
        let res = send(&app, get("/sign-in", None)).await;
        assert_eq!(res.status(), StatusCode::OK);

        // Mutations without our Origin are refused.
        let res = send(
            &app,
            post_form("/auth/sign-in", "email=owner@acme.test&password=switchboard-demo", None, None),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = send(
            &app,
            post_form(
                "/auth/sign-in",
                "email=owner@acme.test&password=switchboard-demo",
                None,
                Some("https://evil.example"),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Wrong password: a clear error, no cookie.
        let res = send(
            &app,
            post_form(
                "/auth/sign-in",
                "email=owner@acme.test&password=nope",
                None,
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert!(location(&res).starts_with("/sign-in?error=invalid"), "{}", location(&res));
        assert!(res.headers().get(header::SET_COOKIE).is_none());

        // Right password: HttpOnly, SameSite cookie; pages open.
        let res = send(
            &app,
            post_form(
                "/auth/sign-in",
                "email=Owner@Acme.test&password=switchboard-demo&next=/connections",
                None,
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert_eq!(location(&res), "/connections");
        let set_cookie = res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let res = send(&app, get("/", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::OK);
        let html = body(res).await;
        assert!(html.contains("Acme Corp"), "{}: overview names the organization", db.name);

        // Sign-out ends the session on the server.
        let res =
            send(&app, post_form("/auth/sign-out", "", Some(&cookie), Some(&format!("http://{HOST}")))).await;
        assert_eq!(location(&res), "/sign-in?signed_out=1");
        let res = send(&app, get("/", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    for _ in 0..5 {
        let res = send(
            &app,
            post_form(
                "/auth/sign-in",
                "email=dev@acme.test&password=wrong",
                None,
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert!(location(&res).contains("error=invalid"));
    }
    // Even the right password is refused while limited.
    let res = send(
        &app,
        post_form(
            "/auth/sign-in",
            "email=dev@acme.test&password=switchboard-demo",
            None,
            Some(&format!("http://{HOST}")),
        ),
    )
    .await;
    assert!(location(&res).contains("error=rate_limited"), "{}", location(&res));
}

#[tokio::test]
async fn organizations_are_isolated_and_staff_access_is_audited() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let orgs = db.store.list_organizations().await.unwrap();
        let globex = orgs.iter().find(|o| o.slug == "globex").unwrap();
        let initech = orgs.iter().find(|o| o.slug == "initech").unwrap();
        let foreign = db.store.list_connections(&globex.id, "production").await.unwrap().remove(0);

        let acme_owner = sign_in(&app, "owner@acme.test").await;
        let res = send(&app, get(&format!("/api/get_connection?id={}", foreign.id), Some(&acme_owner))).await;
        assert!(!res.status().is_success(), "{}", db.name);
        assert!(body(res).await.contains(&format!("No connection {}", foreign.id)));
        let res = send(&app, get(&format!("/connections/{}", foreign.id), Some(&acme_owner))).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", db.name);
        assert!(!body(res).await.contains(&foreign.display_name));

        // A member cannot switch into an organization that is not theirs.
        let res = send(
            &app,
            post_form(
                "/auth/switch",
                &format!("organization_id={}&environment=production", globex.id),
                Some(&acme_owner),
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // Staff can, and it is recorded.
        let staff = sign_in(&app, "support@switchboard.test").await;
        let res = send(
            &app,
            post_form(
                "/auth/switch",
                &format!("organization_id={}&environment=sandbox&next=/connections", initech.id),
                Some(&staff),
                Some(&format!("http://{HOST}")),
            ),
        )
        .await;
        assert_eq!(location(&res), "/connections");
        let audit = db.store.list_audit(&initech.id, 10).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|a| a.action == "staff.switch_organization"
                    && a.actor_email == "support@switchboard.test"),
            "{}",
            db.name
        );
        let res = send(&app, get(&format!("/api/get_connection?id={}", foreign.id), Some(&staff))).await;
        assert!(res.status().is_success(), "{}: staff read any organization", db.name);
        let audit = db.store.list_audit(&globex.id, 10).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "staff.view_connection" && a.target_id == foreign.id));

        // Request logs: the same line, and a missing id answers exactly like a foreign one.
        let globex_query = switchboard::server::store::RequestLogQuery {
            organization_id: globex.id.clone(),
            environment: "production".into(),
            limit: 1,
            ..Default::default()
        };
        let foreign_req = db.store.list_request_logs(&globex_query).await.unwrap().remove(0).id;
        let res = send(&app, get(&format!("/api/get_request_log?id={foreign_req}"), Some(&acme_owner))).await;
        let foreign_body = body(res).await;
        assert!(
            foreign_body.contains(&format!("No request {foreign_req} was found in your organization.")),
            "{foreign_body}"
        );
        let missing = "req_01aaaaaaaaaaaaaaaaaaaaaaaa";
        let res = send(&app, get(&format!("/api/get_request_log?id={missing}"), Some(&acme_owner))).await;
        assert_eq!(body(res).await, foreign_body.replace(&foreign_req, missing));
        let res = send(&app, get(&format!("/api/get_request_log?id={foreign_req}"), Some(&staff))).await;
        assert!(res.status().is_success(), "{}: staff read any organization's requests", db.name);
        let audit = db.store.list_audit(&globex.id, 10).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "staff.view_request" && a.target_id == foreign_req));
    }
}

#[tokio::test]
async fn only_admins_create_api_keys() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let viewer = sign_in(&app, "viewer@acme.test").await;
        let mut req =
            post_form("/api/create_api_key", "name=sneaky", Some(&viewer), Some(&format!("http://{HOST}")));
        req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
        let res = send(&app, req).await;
        assert!(!res.status().is_success());
        assert!(body(res).await.contains("Only owners and admins can create API keys."));

        let owner = sign_in(&app, "owner@acme.test").await;
        let mut req =
            post_form("/api/create_api_key", "name=billing", Some(&owner), Some(&format!("http://{HOST}")));
        req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
        let res = send(&app, req).await;
        assert!(res.status().is_success(), "{}", db.name);
        let created = body(res).await;
        assert!(created.contains("sk_live_"), "{created}");
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let keys = db.store.list_api_keys(&acme.id, "production").await.unwrap();
        assert_eq!(keys.len(), 1);
        assert!(!created.contains(&keys[0].key_hash), "the hash never leaves the server");
        assert!(created.contains(&keys[0].prefix));
    }
}
