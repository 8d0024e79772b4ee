//! The HTTP surface end to end, in process: sign-in, sessions, guards, organization isolation
//! and the audit trail of staff access.

use crate::helpers::{self, TestDb};
use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use switchboard::server::config::{PublicUrl, Settings};
use switchboard::server::store::{Page, Scope};
use switchboard::server::{http, seed};
use tower::ServiceExt;

pub const HOST: &str = "console.test";

pub fn settings(db: &TestDb, public_url: &str) -> Settings {
    Settings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database_url: db.url.clone(),
        public_url: PublicUrl::parse("test", public_url).unwrap(),
        allow_private_webhook_urls: true,
        delivery: switchboard::server::webhooks::delivery::DeliverySettings::standard(true),
        api_limits: Default::default(),
        site_root: "target/site".into(),
        trusted_proxies: Default::default(),
        notifications: switchboard::server::notifications::NotifierSettings::standard(public_url, true),
    }
}

pub async fn app(db: &TestDb) -> Router {
    seed::seed_demo(db.store.as_ref(), 500).await.unwrap();
    http::router(http::app_state(settings(db, &format!("http://{HOST}")), db.store.clone()))
}

pub async fn send(app: &Router, req: Request<Body>) -> Response<Body> {
    app.clone().oneshot(req).await.unwrap()
}

pub async fn body(res: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(res.into_body(), 10 << 20).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A streamed body (server-sent events) read as it arrives.
pub struct Streamed {
    stream: axum::body::BodyDataStream,
    /// Everything read so far.
    pub text: String,
}

impl Streamed {
    pub fn new(res: Response<Body>) -> Self {
        Streamed { stream: res.into_body().into_data_stream(), text: String::new() }
    }

    /// Reads until what was read contains `until`, or until `limit` has passed (a deadline for
    /// a stream that never sends it, not a wait), or the stream ends.
    pub async fn until(&mut self, until: &str, limit: std::time::Duration) -> &str {
        use futures::StreamExt;
        let deadline = tokio::time::Instant::now() + limit;
        while !self.text.contains(until) {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Ok(Some(Ok(chunk))) => self.text.push_str(&String::from_utf8_lossy(&chunk)),
                _ => break,
            }
        }
        &self.text
    }
}

/// What a streamed body has sent by the time it contains `until` (see [`Streamed::until`]).
pub async fn body_until(res: Response<Body>, until: &str, limit: std::time::Duration) -> String {
    let mut s = Streamed::new(res);
    s.until(until, limit).await;
    s.text
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, HOST);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn post_form(path: &str, form: &str, cookie: Option<&str>, origin: Option<&str>) -> Request<Body> {
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

pub fn location(res: &Response<Body>) -> String {
    res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// Signs in and returns the `Cookie` header value.
pub async fn sign_in(app: &Router, email: &str) -> String {
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
        let orgs = db.store.list_organizations(None, 100).await.unwrap();
        let globex = orgs.iter().find(|o| o.slug == "globex").unwrap();
        let initech = orgs.iter().find(|o| o.slug == "initech").unwrap();
        let foreign = db
            .store
            .list_connections(&Scope::new(globex.id.clone(), "production"), &Page::First, 1)
            .await
            .unwrap()
            .remove(0);

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
        assert!(created.contains("sb_read_"), "{created}");
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let keys = db
            .store
            .list_api_keys(&Scope::new(acme.id.clone(), "production"), &Page::First, 10)
            .await
            .unwrap();
        assert_eq!(keys.len(), 1);
        assert!(!created.contains(&keys[0].key_hash), "the hash never leaves the server");
        assert!(created.contains(&keys[0].prefix));
    }
}

fn origin() -> String {
    format!("http://{HOST}")
}

#[tokio::test]
async fn a_removed_member_is_signed_out_at_once() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let cookie = sign_in(&app, "dev@acme.test").await;
        assert_eq!(send(&app, get("/requests", Some(&cookie))).await.status(), StatusCode::OK);
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let dev = db.store.find_user_by_email("dev@acme.test").await.unwrap().unwrap();
        db.store.remove_membership(&dev.id, &acme.id).await.unwrap();
        let res = send(&app, get("/requests", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", db.name);
        assert!(location(&res).starts_with("/sign-in"), "{}", location(&res));
        for path in
            ["/api/list_request_logs", "/api/get_viewer", "/api/list_connections", "/api/get_overview"]
        {
            let res = send(&app, get(path, Some(&cookie))).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{}: {path}", db.name);
            assert!(body(res).await.contains("Unauthorized"));
        }
    }
}

#[tokio::test]
async fn sign_in_never_redirects_off_site_nor_fails() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    // Each payload as it would sit, URL-encoded, in the form body.
    let payloads = [
        "/%09/evil.example",
        "/%0A/evil.example",
        "/%0D%0A/evil.example",
        "//evil.example",
        "/%5Cevil.example",
        "%5C%5Cevil.example",
        "/%252F%252Fevil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "/%E3%80%80/evil.example",
        "/..//evil.example",
        "/%00",
    ];
    for (i, next) in payloads.iter().enumerate() {
        // A fresh client address per payload keeps the limiter out of the way.
        let form = format!("email=owner@acme.test&password=switchboard-demo&next={next}");
        let mut req = post_form("/auth/sign-in", &form, None, Some(&origin()));
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([10, 9, 0, i as u8], 1))));
        let res = send(&app, req).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&res), "/", "{next} must fall back to /");
    }
}

#[tokio::test]
async fn parallel_guesses_verify_at_most_the_allowed_number() {
    let db = helpers::sqlite().await;
    seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
    let state = http::app_state(settings(&db, &origin()), db.store.clone());
    let limiter = state.sign_in_limiter.clone();
    let app = http::router(state);
    let before = limiter.verifications();
    let guesses = (0..30).map(|i| {
        let app = app.clone();
        async move {
            let req = post_form(
                "/auth/sign-in",
                &format!("email=owner@acme.test&password=guess{i}"),
                None,
                Some(&format!("http://{HOST}")),
            );
            location(&send(&app, req).await)
        }
    });
    let answers = futures_join_all(guesses).await;
    let verified = limiter.verifications() - before;
    assert!(verified <= 5, "{verified} passwords were verified");
    assert!(answers.iter().filter(|l| l.contains("rate_limited")).count() >= 25, "{answers:?}");
    // An overlong email is refused before it costs anything.
    let long = format!("{}@x.test", "a".repeat(300));
    let res =
        send(&app, post_form("/auth/sign-in", &format!("email={long}&password=x"), None, Some(&origin())))
            .await;
    assert!(location(&res).contains("error=invalid"));
    assert_eq!(limiter.verifications() - before, verified);
}

async fn futures_join_all<F: std::future::Future<Output = String> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<String> {
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = vec![];
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn origin_and_cookies_follow_the_public_url() {
    let db = helpers::sqlite().await;
    seed::seed_demo(db.store.as_ref(), 100).await.unwrap();
    let app = http::router(http::app_state(settings(&db, "https://console.example.com"), db.store.clone()));
    let form = "email=owner@acme.test&password=switchboard-demo";
    // The Host header is whatever the proxy says; the Origin must be the public URL.
    let res = send(&app, post_form("/auth/sign-in", form, None, Some("http://console.example.com"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "the scheme is compared");
    let res = send(&app, post_form("/auth/sign-in", form, None, Some(&origin()))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "the raw Host is not trusted");
    let res = send(&app, post_form("/auth/sign-in", form, None, Some("https://console.example.com"))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = res.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    let session = cookie.split(';').next().unwrap().to_string();
    let res = send(&app, get("/", Some(&session))).await;
    assert_eq!(
        res.headers().get(header::STRICT_TRANSPORT_SECURITY).map(|v| v.to_str().unwrap().to_string()),
        Some("max-age=31536000; includeSubDomains".into())
    );
}

#[tokio::test]
async fn pages_and_server_functions_carry_the_security_headers() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    let cookie = sign_in(&app, "owner@acme.test").await;
    let res = send(&app, get("/requests", Some(&cookie))).await;
    let csp = res.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(res.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none(), "no HSTS on plain http");
    let html = body(res).await;
    // Every inline script carries the nonce, or the browser would refuse it.
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        if !tag.contains(" src=") {
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "inline script without the nonce: {tag}");
        }
    }
    let res = send(&app, get("/api/get_viewer", Some(&cookie))).await;
    assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
}

#[tokio::test]
async fn signing_in_again_ends_the_previous_session() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    let first = sign_in(&app, "owner@acme.test").await;
    let res = send(
        &app,
        post_form(
            "/auth/sign-in",
            "email=dev@acme.test&password=switchboard-demo",
            Some(&first),
            Some(&origin()),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app, get("/", Some(&first))).await.status(),
        StatusCode::SEE_OTHER,
        "the old session is gone"
    );
}

#[tokio::test]
async fn a_new_api_key_is_shown_once_and_never_stored() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let owner = sign_in(&app, "owner@acme.test").await;
        // The form post a browser without JavaScript makes.
        let mut req = post_form("/api/create_api_key", "name=nojs", Some(&owner), Some(&origin()));
        req.headers_mut().insert(header::ACCEPT, "text/html".parse().unwrap());
        req.headers_mut().insert(header::REFERER, format!("{}/settings/api-keys", origin()).parse().unwrap());
        let res = send(&app, req).await;
        assert!(res.status().is_redirection(), "{}: {}", db.name, res.status());
        let pad = res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("sb_reveal="))
            .expect("the pad cookie");
        assert!(
            pad.contains("HttpOnly") && pad.contains("SameSite=Strict") && pad.contains("Max-Age=300"),
            "{pad}"
        );
        let pad = pad.split(';').next().unwrap().to_string();
        let page = body(send(&app, get("/settings/api-keys", Some(&format!("{owner}; {pad}")))).await).await;
        let start = page.find("sb_read_").expect("the key is shown once");
        let key: String =
            page[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        assert!(key.len() > 20, "{key}");
        let again = body(send(&app, get("/settings/api-keys", Some(&format!("{owner}; {pad}")))).await).await;
        assert!(!again.contains(&key), "{}: shown a second time", db.name);
        let raw = helpers::raw_contents(&db).await;
        assert!(!raw.contains(&key), "{}: the key is in the database", db.name);
        assert!(!raw.contains(&key[8..]), "{}: part of the key is in the database", db.name);
    }
}

#[tokio::test]
async fn api_keys_are_revoked_by_admins_with_an_audit_entry() {
    for db in helpers::all().await {
        let app = app(&db).await;
        let owner = sign_in(&app, "owner@acme.test").await;
        let mut req = post_form("/api/create_api_key", "name=to-revoke", Some(&owner), Some(&origin()));
        req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(send(&app, req).await.status().is_success());
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let scope = Scope::new(acme.id.clone(), "production");
        let key = db.store.list_api_keys(&scope, &Page::First, 10).await.unwrap().remove(0);

        for (who, expect) in [
            ("dev@acme.test", "Only owners and admins can revoke"),
            ("owner@globex.test", "No active API key"),
        ] {
            let cookie = sign_in(&app, who).await;
            let mut req =
                post_form("/api/revoke_api_key", &format!("id={}", key.id), Some(&cookie), Some(&origin()));
            req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
            let res = send(&app, req).await;
            assert!(!res.status().is_success() && !res.status().is_server_error(), "{}: {who}", db.name);
            assert!(body(res).await.contains(expect), "{who}");
        }
        let mut req =
            post_form("/api/revoke_api_key", &format!("id={}", key.id), Some(&owner), Some(&origin()));
        req.headers_mut().insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(send(&app, req).await.status().is_success(), "{}", db.name);
        let key = db.store.list_api_keys(&scope, &Page::First, 10).await.unwrap().remove(0);
        assert!(key.revoked_at.is_some());
        let audit = db.store.list_audit(&acme.id, 10).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "api_key.revoke" && a.target_id == key.id), "{}", db.name);
    }
}

/// Behind a proxy named in `SWITCHBOARD_TRUSTED_PROXIES` the audit log records the client from
/// `X-Forwarded-For`; from any other peer the header is ignored and the peer is recorded.
#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    use switchboard::server::client_addr::TrustedProxies;
    use switchboard::server::store::AuditQuery;
    for db in helpers::all().await {
        seed::seed_demo(db.store.as_ref(), 500).await.unwrap();
        let mut s = settings(&db, &format!("http://{HOST}"));
        s.trusted_proxies = TrustedProxies::parse("SWITCHBOARD_TRUSTED_PROXIES", "10.0.0.0/8").unwrap();
        let app = http::router(http::app_state(s, db.store.clone()));
        let acme = db.store.get_organization("acme").await.unwrap().unwrap();
        let origin = format!("http://{HOST}");
        // (peer, X-Forwarded-For) -> the address the audit log must record.
        for (peer, forwarded, recorded) in [
            ("10.1.2.3", "198.51.100.1, 203.0.113.7", "203.0.113.7"),
            ("203.0.113.50", "10.9.9.9", "203.0.113.50"),
        ] {
            let with_peer = |mut req: Request<Body>| {
                let addr: std::net::SocketAddr = format!("{peer}:4711").parse().unwrap();
                req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
                req.headers_mut().insert("x-forwarded-for", forwarded.parse().unwrap());
                req
            };
            let res = send(
                &app,
                with_peer(post_form(
                    "/auth/sign-in",
                    "email=support@switchboard.test&password=switchboard-demo",
                    None,
                    Some(&origin),
                )),
            )
            .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let cookie =
                res.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
            let res = send(
                &app,
                with_peer(post_form(
                    "/auth/switch",
                    &format!("organization_id={}&environment=sandbox&next=/", acme.id),
                    Some(&cookie),
                    Some(&origin),
                )),
            )
            .await;
            assert_eq!(res.status(), StatusCode::SEE_OTHER);
            let q = AuditQuery {
                organization_id: acme.id.clone(),
                action: Some(switchboard::domain::AuditAction::StaffSwitchOrganization),
                actor_email: None,
                page: Page::First,
                limit: 50,
            };
            let ips: Vec<Option<String>> =
                db.store.audit_page(&q).await.unwrap().into_iter().map(|e| e.ip).collect();
            assert!(
                ips.contains(&Some(recorded.to_string())),
                "{}: peer {peer}, forwarded {forwarded}: {ips:?}",
                db.name
            );
            for forged in ["198.51.100.1", "10.9.9.9", "10.1.2.3"] {
                assert!(!ips.contains(&Some(forged.to_string())), "{}: {forged} recorded: {ips:?}", db.name);
            }
        }
    }
}

/// A router built while pages render stalls no render. Generating the route list switches
/// resource loading off for the whole process (leptos-rs/leptos#4773), so a render whose resource
/// first polled meanwhile waited forever: the form-fuzz test met it as a 60 s deadline on a page
/// while other tests built their routers. The list is now generated once per process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn building_routers_while_pages_render_stalls_no_render() {
    let db = helpers::sqlite().await;
    let app = app(&db).await;
    let cookie = sign_in(&app, "owner@acme.test").await;
    let state = http::app_state(settings(&db, &format!("http://{HOST}")), db.store.clone());
    let building = tokio::task::spawn_blocking(move || {
        for _ in 0..100 {
            drop(http::router(state.clone()));
        }
    });
    let mut renders = 0;
    while renders < 50 || !building.is_finished() {
        let res = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            send(&app, get("/webhooks/x", Some(&cookie))),
        )
        .await
        .unwrap_or_else(|_| panic!("render {renders} stalled while routers were built"));
        assert!(!res.status().is_server_error(), "render {renders}: {}", res.status());
        renders += 1;
    }
    building.await.unwrap();
}
