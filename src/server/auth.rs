//! Sign-in, sessions and the request guards: who is asking, and may they.
//!
//! Sessions are random 256-bit tokens in an HttpOnly, SameSite=Lax cookie; the database keeps
//! only their SHA-256, so a copy of the sessions table cannot be used to sign in. Lax rather
//! than Strict because support staff open the console from links in tickets and chat: with Strict
//! such a top-level navigation arrives without the cookie and looks signed out. Cross-site
//! mutations are refused by the origin check below, not by the cookie attribute alone.

pub mod limiter;

use super::actor::Author;
use super::audit::Audit;
use super::clock::Clock;
use super::store::{NewSession, Scope, Store, StoreError};
use super::AppState;
use crate::domain::{AuditAction, Environment};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use limiter::SignInLimiter;

pub const SESSION_COOKIE: &str = "sb_session";
pub const SESSION_TTL: Duration = Duration::from_secs(14 * 24 * 3600);

pub use super::actor::Viewer;

/// Extension inserted on every request by [`load_viewer`].
#[derive(Clone, Default)]
pub struct CurrentViewer(pub Option<Arc<Viewer>>);

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Middleware: resolves the session cookie into a [`Viewer`] for everything downstream.
pub async fn load_viewer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let ip = super::client_addr::of(req.extensions());
    let viewer = match cookie_value(req.headers(), SESSION_COOKIE) {
        Some(token) if !token.is_empty() => {
            let now = state.clock.now_ms();
            match state.store.get_session(&hash_token(token), now).await {
                Ok(Some(row)) => {
                    // The idle timeout needs the last activity; a minute's precision is enough
                    // and spares a write on every request.
                    if now - row.last_seen_at > 60_000 {
                        if let Err(e) = state.store.touch_session(&row.token_hash, now).await {
                            tracing::warn!(error = %e, "recording session activity failed");
                        }
                    }
                    let mut viewer = Viewer::from_row(row, ip);
                    let wanted = environment_in_url(&req);
                    if let Err(e) = follow_environment(&state, wanted, &mut viewer).await {
                        tracing::error!(error = %e, "switching environment failed");
                        return (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "The database is unavailable. Try again shortly.",
                        )
                            .into_response();
                    }
                    Some(Arc::new(viewer))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "loading session failed");
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The database is unavailable. Try again shortly.",
                    )
                        .into_response();
                }
            }
        }
        _ => None,
    };
    req.extensions_mut().insert(CurrentViewer(viewer));
    next.run(req).await
}

/// A page opened with `?environment=sandbox` (a link from the Overview, one pasted into a
/// ticket) shows that environment of the viewer's organization, and the rest of the console
/// follows: the session switches, as the switcher would. Only on GET, only between the two
/// environments of the organization already selected (nothing else becomes readable), and an
/// unknown value is left for the page to name.
fn environment_in_url(req: &Request) -> Option<Environment> {
    if req.method() != axum::http::Method::GET {
        return None;
    }
    req.uri()
        .query()
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()))
        .find(|(k, _)| k == "environment")
        .and_then(|(_, v)| Environment::parse(v.trim()))
}

async fn follow_environment(
    state: &AppState,
    wanted: Option<Environment>,
    viewer: &mut Viewer,
) -> Result<(), StoreError> {
    let Some(wanted) = wanted else { return Ok(()) };
    if wanted == viewer.environment {
        return Ok(());
    }
    let scope = Scope::new(viewer.organization_id.clone(), wanted.as_str());
    state.store.set_session_context(&viewer.token_hash, &scope, None).await?;
    viewer.environment = wanted;
    Ok(())
}

/// Paths anyone may open without a session.
fn is_public(path: &str) -> bool {
    path == "/sign-in"
        || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/favicon.ico"
        || path == "/healthz"
}

/// Middleware: every page but sign-in needs a session; without one the browser is sent to
/// sign-in and brought back afterwards. Server functions (`/api/…`) answer `Unauthorized`
/// themselves instead, since a redirect is no use to a fetch.
pub async fn require_sign_in(req: Request, next: Next) -> Response {
    let signed_in = req.extensions().get::<CurrentViewer>().is_some_and(|v| v.0.is_some());
    let path = req.uri().path();
    if signed_in || is_public(path) || req.method() != Method::GET {
        return next.run(req).await;
    }
    let target = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    let location = if target == "/" {
        "/sign-in".to_string()
    } else {
        format!("/sign-in?next={}", crate::url::encode_path(target))
    };
    Redirect::to(&location).into_response()
}

/// Middleware: state-changing requests must come from our own pages. Browsers send `Origin` on
/// every POST; a request whose Origin (or, lacking it, Referer) is not the configured public URL
/// (scheme, host and port) is refused. The Host header is not trusted: proxies rewrite it.
pub async fn check_origin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let source =
        headers.get(header::ORIGIN).or_else(|| headers.get(header::REFERER)).and_then(|h| h.to_str().ok());
    if source.is_some_and(|s| state.settings.public_url.matches(s)) {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "Refused: this request did not come from a Switchboard page (Origin check failed).",
        )
            .into_response()
    }
}

/// The place to return to after sign-in, if it is a path on this site; `/` otherwise.
///
/// Accepted: printable ASCII only (no controls, spaces or other characters that browsers strip
/// or rewrite), starting with one `/` followed by something other than `/` or `\`, no `\`
/// anywhere, no dot segments, and the same holds after percent-decoding (up to three times, for
/// double-encoded payloads). The result is always a valid `Location` value.
pub fn safe_next(next: Option<&str>) -> String {
    fn path_ok(p: &str) -> bool {
        p.len() <= 2048
            && p.bytes().all(|b| (0x21..=0x7e).contains(&b))
            && p.starts_with('/')
            && !p.starts_with("//")
            && !p.contains('\\')
            && !p.split(['?', '#']).next().unwrap_or("").split('/').any(|seg| seg == "." || seg == "..")
    }
    let Some(n) = next else { return "/".into() };
    if !path_ok(n) {
        return "/".into();
    }
    let mut current = n.to_string();
    for _ in 0..3 {
        // Decoded, it may carry bytes that are not text or not printable: refuse those too.
        let Ok(decoded) =
            String::from_utf8(crate::url::percent_decode_bytes(&current, crate::url::Plus::Literal))
        else {
            return "/".into();
        };
        if decoded == current {
            break;
        }
        // A decoded space is harmless in a path; everything else must pass again.
        if !path_ok(&decoded.replace(' ', "%20")) {
            return "/".into();
        }
        current = decoded;
    }
    match axum::http::HeaderValue::from_str(n) {
        Ok(_) => n.to_string(),
        Err(_) => "/".into(),
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    pub next: Option<String>,
}

fn sign_in_redirect(error: &str, email: &str, next: &str) -> Response {
    Redirect::to(&format!(
        "/sign-in?error={error}&email={}&next={}",
        crate::url::encode_path(email),
        crate::url::encode_path(next)
    ))
    .into_response()
}

fn session_cookie(state: &AppState, token: &str, max_age: Duration) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        max_age.as_secs(),
        if state.settings.public_url.https { "; Secure" } else { "" }
    )
}

/// POST /auth/sign-in: a plain form post, so it works before (or without) the WASM.
pub async fn sign_in(State(state): State<AppState>, req: Request) -> Response {
    let ip = super::client_addr::of(req.extensions());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect::<String>());
    let previous_session = cookie_value(req.headers(), SESSION_COOKIE).map(hash_token);
    let Ok(Form(form)) = Form::<SignInForm>::from_request(req, &state).await else {
        return sign_in_redirect("missing", "", "/");
    };
    let email = form.email.trim().to_ascii_lowercase();
    let next = safe_next(form.next.as_deref());
    if email.is_empty() || form.password.is_empty() {
        return sign_in_redirect("missing", &email, &next);
    }
    // No account has a longer email, and argon2 need not hash a megabyte: refuse before counting.
    if email.len() > limiter::MAX_EMAIL_LEN || form.password.len() > 1024 || email.contains('\0') {
        return sign_in_redirect("invalid", "", &next);
    }
    let attempt = match state.sign_in_limiter.begin(ip.as_deref(), &email, Instant::now()) {
        Ok(a) => a,
        Err(wait) => {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            return sign_in_redirect(&format!("rate_limited&retry_minutes={minutes}"), &email, &next);
        }
    };
    let user = match state.store.find_user_by_email(&email).await {
        Ok(u) => u,
        Err(e) => {
            state.sign_in_limiter.not_verified(attempt);
            tracing::error!(error = %e, "sign-in lookup failed");
            return sign_in_redirect("unavailable", &email, &next);
        }
    };
    let Some(_slot) = state.sign_in_limiter.verification_slot().await else {
        state.sign_in_limiter.not_verified(attempt);
        let mut res =
            (StatusCode::SERVICE_UNAVAILABLE, "Sign-in is busy right now. Wait a few seconds and try again.")
                .into_response();
        res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        return res;
    };
    // Verify against a fixed hash when the user does not exist, so the response time does not
    // reveal which emails have accounts. Argon2 is CPU-heavy: keep it off the async workers.
    let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = form.password.clone();
    state.sign_in_limiter.count_verification();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        return sign_in_redirect("invalid", &email, &next);
    };
    state.sign_in_limiter.succeeded(attempt);

    // Signing in again replaces this browser's session rather than leaving the old one alive.
    if let Some(old) = previous_session {
        if let Err(e) = state.store.delete_session(&old).await {
            tracing::warn!(error = %e, "deleting the previous session failed");
        }
    }
    match start_session(&state, &user.id, user.staff_role.is_some(), &user.email, ip, user_agent).await {
        Ok(token) => {
            let mut res = Redirect::to(&next).into_response();
            if let Ok(v) = session_cookie(&state, &token, SESSION_TTL).parse() {
                res.headers_mut().insert(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "creating session failed");
            sign_in_redirect("unavailable", &email, &next)
        }
    }
}

/// A valid argon2 hash of a random password, used to spend the same time on unknown emails.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2M0cAOhh6kUGyHn0Ilj7mPpMWv0a/+ElWEnO8g1b2Wk";

async fn start_session(
    state: &AppState,
    user_id: &str,
    is_staff: bool,
    email: &str,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<String, StoreError> {
    let memberships = state.store.memberships(user_id).await?;
    let organization_id = match memberships.first() {
        Some(m) => m.organization_id.clone(),
        None if is_staff => match state.store.list_organizations(None, 1).await?.first() {
            Some(o) => o.id.clone(),
            None => return Err(StoreError::Conflict("no organization to open".into())),
        },
        None => return Err(StoreError::Conflict("user without organization".into())),
    };
    let token = random_token(32);
    let now = state.clock.now_ms();
    state
        .store
        .create_session(&NewSession {
            token_hash: hash_token(&token),
            user_id: user_id.to_string(),
            organization_id: organization_id.clone(),
            environment: Environment::Production.as_str().to_string(),
            created_at: now,
            expires_at: now + SESSION_TTL.as_millis() as i64,
            ip: ip.clone(),
            user_agent,
        })
        .await?;
    if memberships.is_empty() && is_staff {
        let author = Author {
            user_id: Some(user_id.to_string()),
            email: email.to_string(),
            ip: ip.clone(),
            staff: true,
            idempotency_scope: user_id.to_string(),
        };
        let entry = Audit::new(AuditAction::StaffOpenOrganization, "organization", &organization_id, now)
            .by(&author)
            .of_organization(&organization_id)
            .details(serde_json::json!({"reason": "default organization at sign-in"}))
            .entry();
        let scope = Scope::new(organization_id.clone(), Environment::Production.as_str());
        state.store.set_session_context(&hash_token(&token), &scope, Some(&entry)).await?;
    }
    Ok(token)
}

/// POST /auth/sign-out.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie_value(&headers, SESSION_COOKIE) {
        if let Err(e) = state.store.delete_session(&hash_token(token)).await {
            tracing::error!(error = %e, "deleting session failed");
        }
    }
    let mut res = Redirect::to("/sign-in?signed_out=1").into_response();
    if let Ok(v) = session_cookie(&state, "", Duration::ZERO).parse() {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct SwitchForm {
    pub organization_id: String,
    pub environment: String,
    pub next: Option<String>,
}

/// POST /auth/switch: selects the organization and environment of the session. Members can pick
/// their organizations; staff can pick any, and each such look is written to the audit log.
pub async fn switch_context(State(state): State<AppState>, req: Request) -> Response {
    let viewer = req.extensions().get::<CurrentViewer>().and_then(|v| v.0.clone());
    let Some(viewer) = viewer else {
        return Redirect::to("/sign-in").into_response();
    };
    let Ok(Form(form)) = Form::<SwitchForm>::from_request(req, &state).await else {
        return (StatusCode::BAD_REQUEST, "The switch form is missing organization_id or environment.")
            .into_response();
    };
    let next = safe_next(form.next.as_deref());
    let Some(environment) = Environment::parse(form.environment.trim()) else {
        return (
            StatusCode::BAD_REQUEST,
            format!("Unknown environment {:?}: expected sandbox or production.", form.environment),
        )
            .into_response();
    };
    let result: Result<Response, StoreError> = async {
        // By id or slug: staff may type a slug into the bounded organization picker.
        let Some(org) = state.store.get_organization(form.organization_id.trim()).await? else {
            return Ok((StatusCode::NOT_FOUND, "That organization does not exist.").into_response());
        };
        let memberships = state.store.memberships(&viewer.user_id).await?;
        let is_member = memberships.iter().any(|m| m.organization_id == org.id);
        if !is_member && !viewer.is_staff() {
            return Ok((StatusCode::FORBIDDEN, "You are not a member of that organization.").into_response());
        }
        let entry = (!is_member).then(|| {
            Audit::new(AuditAction::StaffSwitchOrganization, "organization", &org.id, state.clock.now_ms())
                .by(&Author::person(&viewer))
                .of_organization(&org.id)
                .details(
                    serde_json::json!({"from": viewer.organization_id, "environment": environment.as_str()}),
                )
                .entry()
        });
        let scope = Scope::new(org.id.clone(), environment.as_str());
        state.store.set_session_context(&viewer.token_hash, &scope, entry.as_ref()).await?;
        Ok(Redirect::to(&next).into_response())
    }
    .await;
    result.unwrap_or_else(|e| {
        tracing::error!(error = %e, "switching organization failed");
        (StatusCode::SERVICE_UNAVAILABLE, "The database is unavailable. Try again shortly.").into_response()
    })
}

/// The organizations the viewer can switch to, `(id, name)`, and whether there are more than
/// `limit`: staff see any (the first `limit` by name), others their memberships. The current
/// one is always first when it is not among them.
pub async fn switchable_organizations(
    state: &AppState,
    viewer: &Viewer,
    limit: i64,
) -> Result<(Vec<(String, String)>, bool), StoreError> {
    let (mut organizations, more): (Vec<(String, String)>, bool) = if viewer.is_staff() {
        let mut rows = state.store.list_organizations(None, limit + 1).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        (rows.into_iter().map(|o| (o.id, o.name)).collect(), more)
    } else {
        let rows = state.store.memberships(&viewer.user_id).await?;
        (rows.into_iter().map(|m| (m.organization_id, m.organization_name)).collect(), false)
    };
    if !organizations.iter().any(|o| o.0 == viewer.organization_id) {
        organizations.insert(0, (viewer.organization_id.clone(), viewer.organization_name.clone()));
    }
    Ok((organizations, more))
}

/// Deletes expired and idle sessions and stale one-time values every few minutes, for as long
/// as the server runs.
pub async fn purge_sessions_periodically(store: Arc<dyn Store>, clock: Arc<dyn Clock>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        match store.purge_expired(clock.now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "purged expired sessions"),
            Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_the_dummy_hash_is_valid() {
        let h = hash_password("switchboard-demo");
        assert!(verify_password("switchboard-demo", &h));
        assert!(!verify_password("wrong", &h));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("switchboard-demo", DUMMY_HASH));
    }

    #[test]
    fn next_must_stay_on_site() {
        for good in [
            "/",
            "/requests?status=5xx",
            "/requests/req_01HZ?x=a%20b",
            "/connections?status=healthy&platform=xero",
        ] {
            assert_eq!(safe_next(Some(good)), good, "{good}");
        }
        // Known open-redirect payloads, each as the form parser hands it over (decoded once).
        let bypasses = [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0d%0a/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%5Cevil.example",
            "/%5C%5Cevil.example",
            "/%2F%2Fevil.example",
            "/%2f/evil.example",
            "/%252F%252Fevil.example",
            "/%25252F%25252Fevil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            " /evil.example",
            "/ /evil.example",
            "/\u{3000}/evil.example",
            "/\u{200b}/evil.example",
            "/../evil.example",
            "/..//evil.example",
            "/.%2e//evil.example",
            "/%00/evil.example",
            "",
        ];
        for payload in bypasses {
            assert_eq!(safe_next(Some(payload)), "/", "{payload:?} must be refused");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(5000)))), "/");
    }
}
