//! Redaction's cost on crafted input: batches of the same size (5 MB by default) built to hit
//! every scan the redactor makes, against a batch of ordinary request logs. Redaction runs on
//! every stored item, so its work must be linear in the input whatever the input is: the
//! figure to watch is each crafted batch's cost relative to the ordinary one.

use crate::server::redact::{request_log, RequestLogFields};
use std::time::Instant;

/// One request log's text fields.
#[derive(Clone, Default)]
struct Item {
    headers: String,
    query: Option<String>,
    request_body: Option<String>,
    response_body: Option<String>,
    platform_error: Option<String>,
    error_message: Option<String>,
    upstream_calls: String,
}

impl Item {
    fn bytes(&self) -> usize {
        [&self.query, &self.request_body, &self.response_body, &self.platform_error, &self.error_message]
            .iter()
            .map(|v| v.as_ref().map_or(0, String::len))
            .sum::<usize>()
            + self.headers.len()
            + self.upstream_calls.len()
    }

    fn body(body: String) -> Item {
        Item {
            headers: "{}".into(),
            upstream_calls: "[]".into(),
            request_body: Some(body),
            ..Default::default()
        }
    }
}

/// What the sandbox sends: an invoice body, headers with credentials, an upstream call.
fn ordinary(i: usize) -> Item {
    let lines: Vec<String> = (0..20)
        .map(|l| {
            format!(
                r#"{{"description":"Widget {l} for order {i}","quantity":{},"unit_price":"{}.50","account":"4000"}}"#,
                l + 1,
                l * 3
            )
        })
        .collect();
    let body = format!(
        r#"{{"customer":{{"id":"cus_{i}","name":"Fernhill Supplies","email":"ap@fernhill.test"}},"currency":"USD","lines":[{}],"memo":"Net 30"}}"#,
        lines.join(",")
    );
    Item {
        headers: format!(
            r#"{{"authorization":"Bearer sk_live_{i:08}","content-type":"application/json","user-agent":"sdk/1.2"}}"#
        ),
        query: Some(format!("page={i}&limit=50")),
        response_body: Some(format!(r#"{{"id":"inv_{i}","status":"draft","total":"1234.50"}}"#)),
        upstream_calls: format!(
            r#"[{{"method":"POST","url":"https://quickbooks.api.intuit.com/v3/company/9130/invoice?minorversion=65","status":200,"latency_ms":231,"response":"{{\"Invoice\":{{\"Id\":\"{i}\"}}}}"}}]"#
        ),
        request_body: Some(body),
        ..Default::default()
    }
}

/// Items of `shape` until `bytes` are reached.
fn fill(bytes: usize, mut make: impl FnMut(usize) -> Item) -> Vec<Item> {
    let (mut out, mut total) = (vec![], 0);
    while total < bytes {
        let item = make(out.len());
        total += item.bytes();
        out.push(item);
    }
    out
}

/// One string of `bytes` made of `unit` repeated (with its index where `{}` appears).
fn repeat(bytes: usize, unit: &str, sep: &str) -> Vec<String> {
    let mut parts = vec![];
    let mut total = 0;
    while total < bytes {
        let p = unit.replace("{}", &parts.len().to_string());
        total += p.len() + sep.len();
        parts.push(p);
    }
    parts
}

fn crafted(bytes: usize) -> Vec<(&'static str, Vec<Item>)> {
    let one = |s: String| vec![Item::body(s)];
    vec![
        (
            "one item, a distinct secret key per value",
            one(format!("[{}]", repeat(bytes, r#"{"password{}":"x"}"#, ",").join(","))),
        ),
        (
            "one item, a secret value at the same path",
            one(format!("[{}]", repeat(bytes, r#"{"token":"x"}"#, ",").join(","))),
        ),
        (
            "one item, nested 120 deep, repeated",
            one(format!(
                "[{}]",
                repeat(bytes, &format!("{}{}", "[".repeat(120), "]".repeat(120)), ",").join(",")
            )),
        ),
        ("one item, free text of key=value secrets", one(repeat(bytes, "password=p{} ", "").join(""))),
        (
            "one item, free text 'the password is ...'",
            one(repeat(bytes, "the password is p{}. ", "").join("")),
        ),
        ("one item, unclosed quotes after secret keys", one(repeat(bytes, "token: \"", "").join(""))),
        (
            "one item, XML of secret elements",
            one(format!("<a>{}</a>", repeat(bytes, "<password>p{}</password>", "").join(""))),
        ),
        ("one item, a million '<' and one '>'", one(format!("{}>", "<".repeat(bytes)))),
        ("one item, digit runs (card scanner)", one(repeat(bytes, "4242 4242 4242 4241 ", "").join(""))),
        ("one item, almost-JWTs", one(repeat(bytes, "eyJ{}.x ", "").join(""))),
        (
            "one item, URLs with passwords",
            one(repeat(bytes, "see https://u:p{}@x.test/a?token=t ", "").join("")),
        ),
        ("one item, a form of secret parameters", one(repeat(bytes, "client_secret=s{}", "&").join("&"))),
        (
            "one item, 5 MB query string",
            vec![Item {
                query: Some(repeat(bytes, "access_token=t{}", "&").join("&")),
                ..Item::body(String::new())
            }],
        ),
        (
            "one item, JSON strings holding JSON",
            one(format!("[{}]", repeat(bytes, r#""{\"api_key\":\"k{}\"}""#, ",").join(","))),
        ),
        (
            "1,000 items, each with secrets everywhere",
            fill(bytes, |i| {
                let s = format!(
                    r#"{{"password":"p{i}","nested":{{"refresh_token":"r","card":"4242424242424242"}}}}"#
                );
                Item {
                    headers: r#"{"Authorization":"Bearer x","Cookie":"c","X-Api-Key":"k","DPoP":"d"}"#.into(),
                    query: Some("access_token=a&code=c&page=2".into()),
                    request_body: Some(s.repeat(60)),
                    response_body: Some(s.clone()),
                    platform_error: Some(format!("<fault><password>{i}</password></fault>")),
                    error_message: Some("the password is hunter2".into()),
                    upstream_calls: format!(
                        r#"[{{"url":"https://a:b@x.test/?token=t","response":{}}}]"#,
                        serde_json::Value::String(s)
                    ),
                }
            }),
        ),
    ]
}

/// Seconds to redact every item (the best of `runs`).
fn time(items: &[Item], runs: usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let mut batch = items.to_vec();
        let t = Instant::now();
        for it in &mut batch {
            let paths = request_log(RequestLogFields {
                request_headers: &mut it.headers,
                query: &mut it.query,
                request_body: &mut it.request_body,
                response_body: &mut it.response_body,
                platform_error: &mut it.platform_error,
                error_message: &mut it.error_message,
                upstream_calls: &mut it.upstream_calls,
            });
            std::hint::black_box(paths);
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

pub fn run(megabytes: usize, runs: usize) {
    let bytes = megabytes.max(1) << 20;
    let normal = fill(bytes, ordinary);
    let n_bytes: usize = normal.iter().map(Item::bytes).sum();
    let base = time(&normal, runs) / n_bytes as f64;
    println!(
        "ordinary batch: {} request logs, {:.1} MB: {:.1} ms ({:.0} MB/s)",
        normal.len(),
        n_bytes as f64 / 1e6,
        base * n_bytes as f64 * 1e3,
        1e-6 / base
    );
    let mut worst: f64 = 0.0;
    for (name, items) in crafted(bytes) {
        let b: usize = items.iter().map(Item::bytes).sum();
        let per_byte = time(&items, runs) / b as f64;
        let ratio = per_byte / base;
        worst = worst.max(ratio);
        println!(
            "{name:<48} {:>5.1} MB: {:>7.1} ms, {:>5.1}x the ordinary batch per byte",
            b as f64 / 1e6,
            per_byte * b as f64 * 1e3,
            ratio
        );
    }
    println!("worst crafted batch: {worst:.1}x the ordinary batch per byte (goal: at most 5x)");
}
