//! Every console form and filter with hostile text: a NUL, a value of 30,000 characters,
//! percent-escapes that are not UTF-8, right-to-left overrides, emoji, quotes. Each server
//! function and page is called as the organization's owner (so permission checks pass and the
//! values reach validation and the store), one field at a time and all fields at once; any
//! answer >= 500 fails the test, on both databases.

use crate::helpers;
use crate::http::{app, get, send, sign_in};
use crate::sweep::{server_fn_request, ARGUMENTS};
use axum::body::Body;
use axum::http::{Method, Request, Response};

/// What the test is waiting for, and since when: a watchdog thread writes it to stderr and
/// aborts when one call takes longer than [`HANG`], so a hang names itself instead of running
/// into CI's time limit (a thread, not a timeout future, so a blocked thread is caught too).
static WAITING: std::sync::Mutex<Option<(String, std::time::Instant)>> = std::sync::Mutex::new(None);
const HANG: std::time::Duration = std::time::Duration::from_secs(180);

fn watchdog() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        // The server's warnings and errors (a timed-out pool, a failed query) are shown with a
        // failure, so a 5xx says where it came from.
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
            .with_test_writer()
            .try_init();
        // A panic in a task the page render spawned is swallowed with its task (the render then
        // waits for it): print every panic where CI shows it, naming the call it happened in.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            use std::io::Write;
            let waiting = WAITING.try_lock().ok().and_then(|w| w.as_ref().map(|(what, _)| what.clone()));
            let _ = writeln!(std::io::stderr(), "form_fuzz: panic during {waiting:?}: {info}");
            previous(info);
        }));
        std::thread::spawn(|| loop {
            std::thread::sleep(std::time::Duration::from_secs(5));
            let waiting = WAITING.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some((what, since)) = waiting {
                if since.elapsed() > HANG {
                    use std::io::Write;
                    // Straight to the file descriptor: the test harness captures eprintln!.
                    let _ =
                        writeln!(std::io::stderr(), "form_fuzz: {what} did not answer in {HANG:?}; aborting");
                    std::process::abort();
                }
            }
        });
    });
}

async fn call(app: &axum::Router, req: Request<Body>, what: String) -> Response<Body> {
    watchdog();
    *WAITING.lock().unwrap_or_else(|p| p.into_inner()) = Some((what, std::time::Instant::now()));
    let started = std::time::Instant::now();
    let res = send(app, req).await;
    let what = WAITING.lock().unwrap_or_else(|p| p.into_inner()).take().map(|w| w.0).unwrap_or_default();
    if res.status().is_server_error() {
        // Which of the 5xx answers it is (a deadline, an unavailable database, an error page)
        // is in its body.
        let status = res.status();
        let body = crate::http::body(res).await;
        panic!("{what} answered {status} after {:?}: {}", started.elapsed(), &body[..body.len().min(500)]);
    }
    res
}

/// The field names the console's server functions and pages read (arguments, and the fields of
/// the request-log, delivery-log and sync-history filters, as the forms send them).
const FIELDS: &[&str] = &[
    "id",
    "name",
    "scope",
    "url",
    "description",
    "event_types",
    "enabled",
    "since",
    "reason",
    "comment",
    "values",
    "search",
    "version",
    "base",
    "restore_base",
    "integration_type",
    "connections",
    "connection",
    "object",
    "objects",
    "range",
    "from",
    "to",
    "key",
    "review",
    "action",
    "actor",
    "before",
    "after",
    "status",
    "kind",
    "types",
    "matching",
    "all",
    "test",
    "q",
    "environment",
    "organization_id",
    "next",
    "recipients",
    "slack_url",
    "remove_slack",
    "severities[0]",
    "changes[0]",
    "immediate",
    "digest",
    "digest_hour",
    "filter[request_id]",
    "filter[connection]",
    "filter[platform]",
    "filter[status]",
    "filter[error_code]",
    "filter[method]",
    "filter[path]",
    "filter[range]",
    "filter[from]",
    "filter[to]",
    "filter[before]",
    "filter[after]",
    "filter[limit]",
    "filters[endpoint]",
    "filters[types]",
    "filters[connection]",
    "filters[status]",
    "filters[class]",
    "filters[range]",
    "filters[from]",
    "filters[to]",
];

/// Hostile values, percent-encoded as a form sends them.
fn values() -> Vec<(&'static str, String)> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    vec![
        ("NUL", "a%00b".to_string()),
        ("very long", "x".repeat(30_000)),
        ("not UTF-8", "%FF%FE%C3%28%80".to_string()),
        ("RTL", enc("\u{202E}gnp.exe\u{202C} \u{0645}\u{0631}\u{062D}\u{0628}\u{0627}")),
        ("emoji", enc("🦀👩\u{200D}💻🇳🇱")),
        ("quotes", enc("'\"; DROP TABLE request_logs; -- <script>alert(1)</script> ${x} %s")),
        ("negative", "-9223372036854775808".to_string()),
    ]
}

// On the runtime `serve` runs on (several worker threads), not the single-threaded one tests
// get by default: the page renders spawn their resources' tasks, and how those interleave is
// part of what this test exercises.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_and_filter_answers_hostile_text_without_a_5xx() {
    for db in helpers::all().await {
        watchdog();
        *WAITING.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((format!("{}: seeding and signing in", db.name), std::time::Instant::now()));
        let app = app(&db).await;
        let cookie = sign_in(&app, "owner@acme.test").await;
        *WAITING.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let registered: Vec<(&'static str, Method)> = leptos::server_fn::axum::server_fn_paths().collect();
        let mut calls = 0;
        let mut check = |what: String, status: axum::http::StatusCode| {
            calls += 1;
            assert!(!status.is_server_error(), "{}: {what} answered {status}", db.name);
        };
        for (label, value) in values() {
            // Server functions: each field alone, then every field at once.
            for (path, method) in &registered {
                assert!(ARGUMENTS.iter().any(|(p, _)| p == path), "{path} is not in the sweep's list");
                let all: Vec<String> = FIELDS.iter().map(|f| format!("{f}={value}")).collect();
                let mut forms: Vec<String> = FIELDS.iter().map(|f| format!("{f}={value}")).collect();
                forms.push(all.join("&"));
                for form in forms {
                    // An address holds at most 64 KB: a GET with every field this long cannot be sent.
                    if *method == Method::GET && form.len() > 60_000 {
                        continue;
                    }
                    let field = form.split('=').next().unwrap_or("").to_string();
                    let what = format!("{}: {method} {path} with {label} in {field}", db.name);
                    let res =
                        call(&app, server_fn_request(path, method, &form, Some(&cookie)), what.clone()).await;
                    check(format!("{method} {path} with {label} in {field}"), res.status());
                }
            }
            // Pages, with the value in every query parameter they might read.
            for route in switchboard::server::http::routes() {
                let fill = |with: &str| -> String {
                    route
                        .path()
                        .split('/')
                        .map(|seg| if seg.starts_with(':') || seg.starts_with('{') { with } else { seg })
                        .collect::<Vec<_>>()
                        .join("/")
                };
                let query: Vec<String> = FIELDS.iter().map(|f| format!("{f}={value}")).collect();
                // An address holds at most 64 KB: a long value goes in the path or in one field.
                let (path, queries) = if value.len() > 1_000 {
                    let what = format!("{}: GET {} with {label} in the path", db.name, route.path());
                    let res = call(&app, get(&fill(&value), Some(&cookie)), what.clone()).await;
                    check(format!("GET {} with {label} in the path", route.path()), res.status());
                    (fill("x"), query)
                } else {
                    (fill(&value), vec![query.join("&")])
                };
                for q in queries {
                    let url = format!("{path}?{q}");
                    assert!(
                        url.parse::<axum::http::Uri>().is_ok(),
                        "not an address: {}",
                        &url[..url.len().min(300)]
                    );
                    let what = format!("{}: GET {}", db.name, &url[..url.len().min(200)]);
                    let res = call(&app, get(&url, Some(&cookie)), what.clone()).await;
                    check(
                        format!("GET {path}?{} with {label}", q.split('=').next().unwrap_or("")),
                        res.status(),
                    );
                }
            }
        }
        eprintln!("{}: form fuzz made {calls} calls", db.name);
    }
}
