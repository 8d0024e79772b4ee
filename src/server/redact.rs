//! Redaction of secrets before anything is stored.
//!
//! Every request log (and the upstream calls inside it) passes through [`request_log`] inside the
//! store's insert path, so whoever writes a log (the demo seed, the sandbox data plane, the
//! ingestion API) cannot skip it: there is no other way into the table. The other free-form
//! text the data plane sends goes through [`field`] and [`run_log`] the same way, inside the
//! store: a sync run's report (error message, raw platform error, its log of calls), a
//! connection's status reason (and the `connection.needs_reauth` payload made from it) and
//! every event's payload. The rule is "keep the
//! key, replace the value": a reader still sees that an `Authorization` header or an
//! `access_token` parameter was sent, which is what troubleshooting needs, but never its value.
//! The paths of the replaced values are kept with the row so the detail page can say which
//! fields were redacted.
//!
//! What counts as a secret:
//! - headers: `authorization`, `proxy-authorization`, `cookie`, `set-cookie`, `x-api-key`, and any
//!   header whose name mentions a token, secret, password, key, signature, session or auth;
//!   for `Authorization` the scheme (`Bearer`, `Basic`) is kept;
//! - query-string and form parameters: `access_token`, `token`, `api_key`, `key`,
//!   `client_secret`, `password`, `code`, `refresh_token`, `signature`, … and any name matching
//!   the JSON rule below;
//! - JSON at any depth: keys mentioning password, secret, token, api key, authorization, cookie,
//!   private or access keys, signatures, card numbers, CVC/CVV; and any string value that is a
//!   payment card number (13 to 19 digits passing the Luhn check);
//! - URLs (upstream calls, and URL strings inside bodies): the password in `user:pass@`, and
//!   the query and fragment parameters by the rules above;
//! - XML and SOAP: the text of elements named like a secret key (`<password>`,
//!   `<wsse:Password>`, `<client_secret>`), CDATA included;
//! - text that is neither JSON nor a form: `key=value` / `key: value` pairs with a secret key,
//!   "the password is …", `Bearer …` tokens, JWTs (by their shape, anywhere) and card numbers.
//!
//! The work is linear in the input: every scan moves forward, and the paths listed per item are
//! capped at [`MAX_PATHS`].

mod stream;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::sync::LazyLock;

pub const REDACTED: &str = "[REDACTED]";

/// Substrings of a normalized key (lowercase, letters and digits only) that mark a secret.
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "cardnumber",
    "creditcard",
    "cvv",
    "cvc",
    "privatekey",
    "accesskey",
    "signature",
    "sessionid",
    "passcode",
    "clientassertion",
    "consumerkey",
];

/// Whole normalized keys that are secrets as JSON keys.
const SECRET_KEYS: &[&str] =
    &["auth", "pan", "pin", "ssn", "jwt", "otp", "sig", "pwd", "pass", "session", "assertion"];

/// Extra whole names that are secrets as query-string or form parameters (where `code` is an
/// OAuth authorization code and `key` an API key, unlike in JSON bodies).
const SECRET_PARAMS: &[&str] = &["key", "code", "sig", "auth", "pass", "pwd"];

/// Header names (normalized) that are secrets whatever their wording.
/// Headers that carry a JWT under another name (`Cf-Access-Jwt-Assertion`, `DPoP`) are among
/// them; a JWT in any other header is caught by its shape ([`text`]).
const SECRET_HEADER_PARTS: &[&str] = &[
    "auth",
    "cookie",
    "token",
    "secret",
    "password",
    "apikey",
    "key",
    "signature",
    "session",
    "jwt",
    "assertion",
    "dpop",
    "credential",
];

/// Header names (normalized) that contain a trigger word above but carry nothing secret.
const HARMLESS_HEADERS: &[&str] = &["idempotencykey", "xidempotencykey", "keepalive", "author"];

fn normalize(key: &str) -> String {
    key.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Calls `f` with the key normalized (lowercase, letters and digits only). Every key, parameter
/// and header name of every body passes here: short ones are normalized on the stack.
fn with_normalized<R>(key: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for b in key.bytes().filter(u8::is_ascii_alphanumeric) {
        if n == buf.len() {
            return f(&normalize(key));
        }
        buf[n] = b.to_ascii_lowercase();
        n += 1;
    }
    f(std::str::from_utf8(&buf[..n]).unwrap_or_default())
}

/// Whether a JSON key names a secret.
pub fn is_secret_key(key: &str) -> bool {
    with_normalized(key, secret_normalized)
}

fn secret_normalized(k: &str) -> bool {
    SECRET_KEYS.contains(&k) || SECRET_KEY_PART.is_match(k)
}

/// [`SECRET_KEY_PARTS`] found in one pass: sixteen substring searches per key were a tenth of
/// the ingestion's CPU time.
static SECRET_KEY_PART: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    // Literal patterns: building the automaton cannot fail.
    aho_corasick::AhoCorasick::new(SECRET_KEY_PARTS).expect("literal key parts")
});

/// Whether a query-string or form parameter names a secret.
pub fn is_secret_param(name: &str) -> bool {
    with_normalized(name, |k| SECRET_PARAMS.contains(&k) || secret_normalized(k))
}

/// Whether a header names a secret.
pub fn is_secret_header(name: &str) -> bool {
    with_normalized(name, |k| {
        !HARMLESS_HEADERS.contains(&k) && SECRET_HEADER_PARTS.iter().any(|p| k.contains(p))
    })
}

/// Paths listed per stored item; beyond them only their number is kept. A crafted item with a
/// secret in each of a million keys would otherwise store a million paths.
pub const MAX_PATHS: usize = 100;

/// Collects the paths of redacted values: each once, in the order found, at most [`MAX_PATHS`].
/// A set beside the list keeps adding constant-time (a search of the list per path was quadratic:
/// billions of comparisons for one crafted 5 MB item).
#[derive(Debug, Default)]
pub struct Redactions {
    paths: Vec<String>,
    seen: std::collections::HashSet<String>,
    /// Values redacted beyond the first [`MAX_PATHS`] paths.
    more: usize,
}

impl Redactions {
    fn add(&mut self, path: &str) {
        if self.seen.contains(path) {
            return;
        }
        if self.paths.len() < MAX_PATHS {
            self.paths.push(path.to_string());
            self.seen.insert(path.to_string());
        } else {
            // Past the cap only the number is kept: no set of every path of a crafted item.
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Adds what another collection found.
    fn merge(&mut self, other: Redactions) {
        for p in &other.paths {
            self.add(p);
        }
        self.more += other.more;
    }

    /// The paths, with a last entry counting those left out when there were more.
    pub fn into_paths(mut self) -> Vec<String> {
        if self.more > 0 {
            self.paths.push(format!("(and {} more redacted values)", self.more));
        }
        self.paths
    }
}

/// The request-log fields that can carry secrets, borrowed mutably from a row.
pub struct RequestLogFields<'a> {
    pub request_headers: &'a mut String,
    pub query: &'a mut Option<String>,
    pub request_body: &'a mut Option<String>,
    pub response_body: &'a mut Option<String>,
    pub platform_error: &'a mut Option<String>,
    pub error_message: &'a mut Option<String>,
    pub upstream_calls: &'a mut String,
}

/// Redacts every secret in a request log's fields in place and returns the redacted paths.
pub fn request_log(f: RequestLogFields<'_>) -> Vec<String> {
    let mut r = Redactions::default();
    *f.request_headers = headers_text(f.request_headers, "request_headers", &mut r);
    if let Some(q) = f.query.as_mut() {
        *q = query(q, "query", &mut r);
    }
    for (field, value) in [
        ("request_body", f.request_body),
        ("response_body", f.response_body),
        ("platform_error", f.platform_error),
        ("error_message", f.error_message),
    ] {
        if let Some(v) = value.as_mut() {
            *v = body(v, field, &mut r);
        }
    }
    *f.upstream_calls = calls_at(f.upstream_calls, "upstream_calls", &mut r);
    r.into_paths()
}

/// A JSON array of upstream calls (a request log's, a sync run's log).
fn calls_at(raw: &str, path: &str, r: &mut Redactions) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(calls)) => {
            let calls = calls
                .into_iter()
                .enumerate()
                .map(|(i, call)| upstream_call(call, &format!("{path}[{i}]"), r))
                .collect();
            Value::Array(calls).to_string()
        }
        Ok(other) => json(other, path, r).to_string(),
        Err(_) => text(raw, path, r),
    }
}

/// A stored free-form field other than a request log's (a run's error message and raw platform
/// error, a connection's status reason, an event's payload): JSON, XML, a form or text,
/// whichever it is. The store calls this on every path that writes one.
pub fn field(raw: &str) -> String {
    body(raw, "", &mut Redactions::default())
}

/// [`field`] of an optional value.
pub fn optional(raw: Option<&str>) -> Option<String> {
    raw.map(field)
}

/// A sync run's log of upstream calls: URLs, headers and responses as in a request log's.
pub fn run_log(raw: &str) -> String {
    calls_at(raw, "log", &mut Redactions::default())
}

fn upstream_call(call: Value, path: &str, r: &mut Redactions) -> Value {
    let Value::Object(map) = call else { return json(call, path, r) };
    let mut out = Map::with_capacity(map.len());
    for (k, v) in map {
        let p = format!("{path}.{k}");
        let v = match (k.as_str(), v) {
            // A URL, or whatever a data plane put under the name: then as any other text.
            ("url", Value::String(s))
                if s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/') =>
            {
                Value::String(url(&s, &p, r))
            }
            ("headers" | "request_headers" | "response_headers", Value::Object(h)) => headers(h, &p, r),
            ("headers" | "request_headers" | "response_headers", Value::String(s)) => {
                Value::String(headers_text(&s, &p, r))
            }
            (_, v) if is_secret_key(&k) => secret_value(v, &p, r),
            (_, Value::String(s)) => Value::String(body(&s, &p, r)),
            (_, v) => json(v, &p, r),
        };
        out.insert(k, v);
    }
    Value::Object(out)
}

/// Headers stored as a JSON object of name to value (or to a list of values).
pub fn headers_text(raw: &str, path: &str, r: &mut Redactions) -> String {
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(h)) => headers(h, path, r).to_string(),
        Ok(other) => json(other, path, r).to_string(),
        Err(_) => text(raw, path, r),
    }
}

fn headers(h: Map<String, Value>, path: &str, r: &mut Redactions) -> Value {
    let mut out = Map::with_capacity(h.len());
    for (name, value) in h {
        let p = format!("{path}.{}", name.to_ascii_lowercase());
        let value = if is_secret_header(&name) {
            match value {
                Value::Null => Value::Null,
                Value::String(s) if s == REDACTED || s.ends_with(&format!(" {REDACTED}")) => Value::String(s),
                Value::String(s) => {
                    r.add(&p);
                    Value::String(keep_scheme(&s))
                }
                _ => {
                    r.add(&p);
                    Value::String(REDACTED.into())
                }
            }
        } else {
            match value {
                Value::String(s) => Value::String(string_value(&s, &p, r)),
                other => json(other, &p, r),
            }
        };
        out.insert(name, value);
    }
    Value::Object(out)
}

/// `Bearer abc` -> `Bearer [REDACTED]`: the scheme helps troubleshooting, the credential never.
fn keep_scheme(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _))
            if scheme.len() <= 20 && scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            format!("{scheme} {REDACTED}")
        }
        _ => REDACTED.to_string(),
    }
}

fn secret_value(v: Value, path: &str, r: &mut Redactions) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() || s == REDACTED => Value::String(s),
        _ => {
            r.add(path);
            Value::String(REDACTED.into())
        }
    }
}

/// A JSON value at any depth.
pub fn json(mut v: Value, path: &str, r: &mut Redactions) -> Value {
    let mut p = String::with_capacity(path.len() + 64);
    p.push_str(path);
    walk(&mut v, &mut p, r);
    v
}

/// [`json`] in place, with one path buffer grown and cut back as it descends (a path string
/// per node was most of the cost of a crafted body of a million values).
fn walk(v: &mut Value, path: &mut String, r: &mut Redactions) {
    use std::fmt::Write;
    let len = path.len();
    match v {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                path.push('.');
                path.push_str(k);
                if is_secret_key(k) {
                    *v = secret_value(std::mem::take(v), path, r);
                } else {
                    walk(v, path, r);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let _ = write!(path, "[{i}]");
                walk(v, path, r);
                path.truncate(len);
            }
        }
        Value::String(s) => {
            let out = string_value(s, path, r);
            if out != *s {
                *s = out;
            }
        }
        Value::Number(n) if is_card_number(&n.to_string()) => {
            r.add(path);
            *v = Value::String(REDACTED.into());
        }
        _ => {}
    }
}

/// A string inside JSON: a card number, a URL, or embedded JSON.
fn string_value(s: &str, path: &str, r: &mut Redactions) -> String {
    let t = s.trim();
    if is_card_number(t) {
        r.add(path);
        return REDACTED.into();
    }
    if t.starts_with("http://") || t.starts_with("https://") {
        return url(s, path, r);
    }
    if (t.starts_with('{') || t.starts_with('[')) && t.len() > 1 {
        if let Some(inner) = stream::redact(t, path, r) {
            return if inner == t { s.to_string() } else { inner };
        }
    }
    if t.starts_with('<') {
        return xml(s, path, r);
    }
    if has_trigger(s) {
        return text(s, path, r);
    }
    s.to_string()
}

/// A body: JSON when it parses, a form when it looks like one, text otherwise.
pub fn body(raw: &str, path: &str, r: &mut Redactions) -> String {
    let t = raw.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        // Most bodies carry no secret: proven so by reading them once without building a tree,
        // they are kept as sent instead of being rebuilt and written again.
        if json_is_clean(raw) {
            return raw.to_string();
        }
        if let Some(out) = stream::redact(raw, path, r) {
            return out;
        }
    }
    if t.starts_with('<') {
        return xml(raw, path, r);
    }
    if looks_like_form(raw) {
        return query(raw, path, r);
    }
    text(raw, path, r)
}

/// XML and SOAP (NetSuite, Sage Intacct, QuickBooks speak it): the text of every element whose
/// name, namespace prefix aside, names a secret (`<password>`, `<wsse:Password>`, `<token>`,
/// `<client_secret>`), CDATA included; then attributes and the rest by the free-text rules.
/// One pass: the next `>` is remembered, so a body of a million `<` costs a million steps.
pub fn xml(raw: &str, path: &str, r: &mut Redactions) -> String {
    let mut out = String::with_capacity(raw.len());
    let (mut i, mut last) = (0, 0);
    let mut next_gt: Option<usize> = None;
    while let Some(off) = raw[i..].find('<') {
        let lt = i + off;
        let gt = match next_gt.filter(|g| *g > lt) {
            Some(g) => g,
            None => match raw[lt..].find('>') {
                Some(g) => lt + g,
                None => break,
            },
        };
        next_gt = Some(gt);
        let tag = &raw[lt + 1..gt];
        i = gt + 1;
        if tag.starts_with(['/', '?', '!']) || tag.ends_with('/') {
            continue;
        }
        let name = tag.split(|c: char| c.is_whitespace()).next().unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        if !is_secret_key(local) {
            continue;
        }
        let (start, end) = match raw[i..].strip_prefix("<![CDATA[") {
            Some(rest) => {
                let s0 = raw.len() - rest.len();
                (s0, rest.find("]]>").map(|e| s0 + e).unwrap_or(raw.len()))
            }
            None => (i, raw[i..].find('<').map(|e| i + e).unwrap_or(raw.len())),
        };
        let value = raw[start..end].trim();
        if value.is_empty() || value == REDACTED {
            continue;
        }
        out.push_str(&raw[last..start]);
        out.push_str(REDACTED);
        r.add(&format!("{path}.{local}"));
        last = end;
        i = end;
    }
    out.push_str(&raw[last..]);
    text(&out, path, r)
}

fn looks_like_form(s: &str) -> bool {
    s.contains('=') && !s.contains(char::is_whitespace) && !s.starts_with('{') && !s.starts_with('<')
}

/// A query string (`a=1&b=2`, with or without a leading `?`).
pub fn query(raw: &str, path: &str, r: &mut Redactions) -> String {
    let (lead, rest) = match raw.strip_prefix('?') {
        Some(rest) => ("?", rest),
        None => ("", raw),
    };
    let mut out = String::with_capacity(raw.len());
    out.push_str(lead);
    for (i, pair) in rest.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((k, v)) => {
                let name = crate::url::percent_decode(k, crate::url::Plus::Space);
                if is_secret_param(&name) && !v.is_empty() && v != REDACTED {
                    r.add(&format!("{path}.{name}"));
                    out.push_str(k);
                    out.push('=');
                    out.push_str(REDACTED);
                } else {
                    let decoded = crate::url::percent_decode(v, crate::url::Plus::Space);
                    if is_card_number(&decoded) {
                        r.add(&format!("{path}.{name}"));
                        out.push_str(k);
                        out.push('=');
                        out.push_str(REDACTED);
                    } else {
                        out.push_str(pair);
                    }
                }
            }
            None => out.push_str(pair),
        }
    }
    out
}

/// A URL: the password of `user:pass@`, and the query and fragment parameters.
pub fn url(raw: &str, path: &str, r: &mut Redactions) -> String {
    let (before_fragment, fragment) = match raw.split_once('#') {
        Some((a, b)) => (a, Some(b)),
        None => (raw, None),
    };
    let (base, q) = match before_fragment.split_once('?') {
        Some((a, b)) => (a, Some(b)),
        None => (before_fragment, None),
    };
    let mut base = base.to_string();
    if let Some(scheme_end) = base.find("://") {
        let authority_end =
            base[scheme_end + 3..].find('/').map(|i| i + scheme_end + 3).unwrap_or(base.len());
        if let Some(at) = base[scheme_end + 3..authority_end].rfind('@').map(|i| i + scheme_end + 3) {
            if let Some(colon) = base[scheme_end + 3..at].find(':').map(|i| i + scheme_end + 3) {
                if &base[colon + 1..at] != REDACTED {
                    base.replace_range(colon + 1..at, REDACTED);
                    r.add(&format!("{path}.password"));
                }
            }
        }
    }
    let mut out = base;
    if let Some(q) = q {
        out.push('?');
        out.push_str(&query(q, path, r));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(if f.contains('=') { query(f, path, r) } else { f.to_string() }.as_str());
    }
    out
}

/// Cheap test before scanning free text: any trigger word, or a long run of digits.
fn has_trigger(s: &str) -> bool {
    TRIGGERS.is_match(s) || longest_digit_run(s) >= 13
}

/// The trigger words, found in one pass whatever their case.
static TRIGGERS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "api-key",
        "authorization",
        "bearer",
        "cookie",
        "card",
        "cvv",
        "cvc",
        "private",
        "signature",
        "key=",
        "code=",
        "pwd",
        "pass",
        "://",
        "assertion",
        "session",
        // A JWT's header (`{"alg"...` in base64url), wherever it appears.
        "eyj",
    ];
    // Literal patterns: building the automaton cannot fail.
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(WORDS)
        .expect("literal trigger words")
});

fn longest_digit_run(s: &str) -> usize {
    // Bytes, not chars: digits, spaces and dashes are ASCII, and any byte of another character
    // ends a run as that character would.
    let (mut best, mut cur) = (0, 0);
    for b in s.bytes() {
        if b.is_ascii_digit() {
            cur += 1;
            best = best.max(cur);
        } else if b != b' ' && b != b'-' {
            cur = 0;
        }
    }
    best
}

/// Whether redaction would change nothing in this JSON text, found by reading it once without
/// building a tree. False when it is not JSON, or from the first value that might be redacted:
/// the caller then takes the full path, so this only ever decides to skip work.
pub fn json_is_clean(raw: &str) -> bool {
    let mut de = serde_json::Deserializer::from_str(raw);
    Clean.deserialize(&mut de).is_ok() && de.end().is_ok()
}

/// A string value inside JSON that [`string_value`] would return unchanged.
fn string_is_clean(s: &str) -> bool {
    let t = s.trim();
    if is_card_number(t) {
        return false;
    }
    let mut r = Redactions::default();
    if t.starts_with("http://") || t.starts_with("https://") {
        url(s, "", &mut r);
        return r.is_empty();
    }
    if (t.starts_with('{') || t.starts_with('[')) && t.len() > 1 {
        let mut de = serde_json::Deserializer::from_str(t);
        match Clean.deserialize(&mut de).and_then(|_| de.end()) {
            Ok(()) => return true,
            // Embedded JSON that might hold a secret.
            Err(e) if e.is_data() => return false,
            // Not JSON: free text, below.
            Err(_) => {}
        }
    }
    if t.starts_with('<') {
        xml(s, "", &mut r);
        return r.is_empty();
    }
    if has_trigger(s) {
        text(s, "", &mut r);
        return r.is_empty();
    }
    true
}

/// Reads a JSON value and fails at the first part [`json`] would redact.
#[derive(Clone, Copy)]
struct Clean;

impl<'de> DeserializeSeed<'de> for Clean {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn clean_number<E: de::Error>(n: serde_json::Number) -> Result<(), E> {
    if is_card_number(&n.to_string()) {
        return Err(E::custom("a card number"));
    }
    Ok(())
}

impl<'de> Visitor<'de> for Clean {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        clean_number(v.into())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        clean_number(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        serde_json::Number::from_f64(v).map_or(Ok(()), clean_number)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        if string_is_clean(s) {
            Ok(())
        } else {
            Err(E::custom("a value to redact"))
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Clean)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(secret) = map.next_key_seed(SecretKey)? {
            if secret {
                map.next_value_seed(AlreadyRedacted)?;
            } else {
                map.next_value_seed(Clean)?;
            }
        }
        Ok(())
    }
}

/// A key, read as whether it names a secret.
struct SecretKey;

impl<'de> DeserializeSeed<'de> for SecretKey {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SecretKey {
    type Value = bool;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, k: &str) -> Result<bool, E> {
        Ok(is_secret_key(k))
    }
}

/// The value of a secret key that [`secret_value`] leaves as it is: null, empty or redacted.
struct AlreadyRedacted;

impl<'de> DeserializeSeed<'de> for AlreadyRedacted {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AlreadyRedacted {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a redacted value")
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        if s.is_empty() || s == REDACTED {
            Ok(())
        } else {
            Err(E::custom("a value to redact"))
        }
    }
}

/// Free text: `key=value`, `key: value` and `"key": "value"` pairs with a secret key,
/// `Bearer …`/`Basic …` credentials, and card numbers.
pub fn text(raw: &str, path: &str, r: &mut Redactions) -> String {
    if !has_trigger(raw) {
        return raw.to_string();
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    let mut redacted_any = false;
    while i < bytes.len() {
        // A word: letters, digits, '_' and '-'.
        if bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' {
            let start = i;
            // A URL: its password and secret parameters, as anywhere else.
            if raw[start..].starts_with("http://") || raw[start..].starts_with("https://") {
                let end = token_end(bytes, start);
                let mut inner = Redactions::default();
                let cleaned = url(&raw[start..end], path, &mut inner);
                redacted_any |= !inner.is_empty();
                out.push_str(&cleaned);
                i = end;
                continue;
            }
            // A JWT by its shape, whatever names it: three base64url parts, the first `eyJ`.
            if let Some(end) = jwt_end(bytes, start) {
                out.push_str(REDACTED);
                redacted_any = true;
                i = end;
                continue;
            }
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
            {
                i += 1;
            }
            let word = &raw[start..i];
            out.push_str(word);
            let lower = word.to_ascii_lowercase();
            // `Bearer <token>` / `Basic <credentials>`.
            if (lower == "bearer" || lower == "basic") && i < bytes.len() && bytes[i] == b' ' {
                let value_start = i + 1;
                let value_end = token_end(bytes, value_start);
                if value_end > value_start && &raw[value_start..value_end] != REDACTED {
                    out.push(' ');
                    out.push_str(REDACTED);
                    redacted_any = true;
                    i = value_end;
                }
                continue;
            }
            // `code` and `key` are secrets as URL parameters (an OAuth authorization code, an
            // API key) but in prose and markup they are mostly an error's code
            // (`<Error code="6240">`, "errorCode=003200") or a field's name: only a `?code=` or
            // `&key=` of a query string is taken as one here.
            let url_param = start > 0 && matches!(bytes[start - 1], b'?' | b'&');
            let plain_word = matches!(lower.as_str(), "code" | "key");
            if is_secret_param(word) && (!plain_word || url_param) {
                // Optional closing quote, spaces, then ':' or '=', spaces, optional opening quote.
                let mut j = i;
                if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
                    j += 1;
                }
                while j < bytes.len() && bytes[j] == b' ' {
                    j += 1;
                }
                // "the password is hunter2": a value after "is" or "was", unless it is a word
                // that describes the secret rather than being it ("the token is expired").
                if let Some(after) = verb_value(raw, i) {
                    let end = token_end(bytes, after);
                    let value = raw[after..end].trim_end_matches(['.', '!', '?']);
                    if !value.is_empty()
                        && value != REDACTED
                        && !DESCRIBES_SECRET.contains(&value.to_ascii_lowercase().as_str())
                    {
                        let end = after + value.len();
                        out.push_str(&raw[i..after]);
                        out.push_str(REDACTED);
                        redacted_any = true;
                        i = end;
                        continue;
                    }
                }
                if j < bytes.len() && (bytes[j] == b':' || bytes[j] == b'=') {
                    j += 1;
                    while j < bytes.len() && bytes[j] == b' ' {
                        j += 1;
                    }
                    let quoted = j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'');
                    if quoted {
                        j += 1;
                    }
                    let value_end = if quoted {
                        let q = bytes[j - 1];
                        (j..bytes.len()).find(|&k| bytes[k] == q).unwrap_or(bytes.len())
                    } else {
                        // `Authorization: Bearer abc`: the scheme stays, the credential goes.
                        let end = token_end(bytes, j);
                        if is_scheme(&raw[j..end]) && bytes.get(end) == Some(&b' ') {
                            out.push_str(&raw[i..end + 1]);
                            i = end + 1;
                            j = end + 1;
                        }
                        token_end(bytes, j)
                    };
                    if value_end > j && &raw[j..value_end] != REDACTED {
                        out.push_str(&raw[i..j]);
                        out.push_str(REDACTED);
                        redacted_any = true;
                        i = value_end;
                    }
                }
            }
            continue;
        }
        out.push(raw[i..].chars().next().unwrap_or(' '));
        i += raw[i..].chars().next().map(char::len_utf8).unwrap_or(1);
    }
    let (out, cards) = redact_card_numbers(&out);
    if redacted_any || cards {
        r.add(path);
    }
    out
}

/// Authorization schemes, kept before a redacted credential.
fn is_scheme(word: &str) -> bool {
    ["bearer", "basic", "token", "digest", "dpop", "negotiate", "hmac"]
        .iter()
        .any(|s| word.eq_ignore_ascii_case(s))
}

/// Words that follow "password is" / "token was" and describe the secret instead of being it.
const DESCRIBES_SECRET: &[&str] = &[
    "a",
    "an",
    "the",
    "not",
    "no",
    "now",
    "too",
    "being",
    "been",
    "already",
    "still",
    "also",
    "missing",
    "required",
    "invalid",
    "incorrect",
    "wrong",
    "expired",
    "revoked",
    "empty",
    "blank",
    "null",
    "none",
    "valid",
    "set",
    "unset",
    "correct",
    "needed",
    "mandatory",
    "malformed",
    "disabled",
    "locked",
    "weak",
    "short",
    "long",
    "unknown",
    "absent",
    "present",
    "redacted",
    "hidden",
];

/// Where the value starts after ` is ` or ` was ` at `j` (the spaces after a secret's name).
fn verb_value(raw: &str, j: usize) -> Option<usize> {
    let rest = raw.get(j..)?;
    let trimmed = rest.trim_start_matches(' ');
    let skipped = rest.len() - trimmed.len();
    if skipped == 0 {
        return None;
    }
    let starts = |w: &[u8]| trimmed.as_bytes().get(..w.len()).is_some_and(|b| b.eq_ignore_ascii_case(w));
    let verb = if starts(b"is ") {
        3
    } else if starts(b"was ") {
        4
    } else {
        return None;
    };
    let value = &trimmed[verb..];
    let value = value.trim_start_matches(' ');
    let value = value.strip_prefix(['"', '\'']).unwrap_or(value);
    Some(raw.len() - value.len())
}

/// The end of a JWT starting at `start`: `eyJ`, then base64url characters with exactly two
/// dots between three non-empty parts (the last may be empty for an unsigned token).
fn jwt_end(bytes: &[u8], start: usize) -> Option<usize> {
    if !bytes[start..].starts_with(b"eyJ") || (start > 0 && bytes[start - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let mut k = start;
    let mut dots = 0;
    while k < bytes.len() && (bytes[k].is_ascii_alphanumeric() || matches!(bytes[k], b'-' | b'_' | b'.')) {
        if bytes[k] == b'.' {
            if dots == 2 {
                break;
            }
            dots += 1;
        }
        k += 1;
    }
    (dots == 2 && k - start >= 20).then_some(k)
}

fn token_end(bytes: &[u8], start: usize) -> usize {
    let mut k = start;
    while k < bytes.len()
        && !matches!(
            bytes[k],
            b' ' | b'\n' | b'\r' | b'\t' | b'&' | b',' | b';' | b'"' | b'\'' | b'}' | b')' | b'<'
        )
    {
        k += 1;
    }
    k
}

/// Replaces digit sequences (with single spaces or dashes between groups) of 13 to 19 digits
/// that pass the Luhn check.
fn redact_card_numbers(s: &str) -> (String, bool) {
    if longest_digit_run(s) < 13 {
        return (s.to_string(), false);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut found = false;
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            let mut digits = String::new();
            let mut end = i;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits.push(chars[j]);
                    j += 1;
                    end = j;
                } else if (chars[j] == ' ' || chars[j] == '-')
                    && j + 1 < chars.len()
                    && chars[j + 1].is_ascii_digit()
                {
                    j += 1;
                } else {
                    break;
                }
            }
            let bounded = end >= chars.len() || !chars[end].is_ascii_alphanumeric();
            if bounded && is_card_number(&digits) {
                out.push_str(REDACTED);
                found = true;
                i = end;
                continue;
            }
            out.extend(&chars[i..end.max(i + 1)]);
            i = end.max(i + 1);
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    (out, found)
}

/// 13 to 19 digits (spaces and dashes between groups allowed) passing the Luhn check.
pub fn is_card_number(s: &str) -> bool {
    // Called for every string and number of every body: no allocation, and out at the first
    // character that is not a digit.
    let mut buf = [0u32; 19];
    let mut n = 0;
    for c in s.chars().filter(|c| *c != ' ' && *c != '-') {
        match c.to_digit(10) {
            Some(d) if n < buf.len() => {
                buf[n] = d;
                n += 1;
            }
            _ => return false,
        }
    }
    let digits = &buf[..n];
    if n < 13 {
        return false;
    }
    // Reject runs of one digit (0000000000000 passes Luhn but is no card).
    if digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(f: impl FnOnce(&mut Redactions) -> String) -> (String, Vec<String>) {
        let mut r = Redactions::default();
        let s = f(&mut r);
        (s, r.into_paths())
    }

    /// The one-pass redactor of JSON text answers as the tree walk does: the same values
    /// redacted, the same paths, the rest as sent; and refuses what serde_json refuses.
    #[test]
    fn json_text_is_redacted_as_the_tree_would_be() {
        let bodies = [
            r#"{"password": "hunter2", "name": "Ann"}"#,
            r#"  {"n": 4242424242424242, "m": -12.5e3, "z": 0, "f": false, "t": true}  "#,
            r#"{"card": "4242 4242 4242 4242", "note": "ok"}"#,
            r#"{"u": "https://a:b@x.test/", "v": "https://x.test/?access_token=1&page=2"}"#,
            r#"{"inner": "{\"api_key\": \"k\", \"n\": 1}", "esc": "line\nbreak \u00e9 \"q\""}"#,
            r#"{"t": "Authorization: Bearer abc", "x": "<a><password>p</password></a>"}"#,
            r#"{"a": {"b": [{"client_secret": 5}, {"ok": [1, 2, {"token": [1, {"x": 2}]}]}]}}"#,
            r#"{"Api-Key": {"nested": "object"}, "token": null, "secret": "", "pwd": "[REDACTED]"}"#,
            r#"[{"token": "x"}, {"token": "y"}, [], {}, [[["a"]]], "4111111111111111"]"#,
            r#"{"k\u0065y": "v", "pass\u0077ord": "s3cret", "\u00e9": "text with password=abc"}"#,
            r#"{"a":[{"b":{"c":{"access_token":"t"}}}],"emoji":"😀","rtl":"مرحبا"}"#,
        ];
        for raw in bodies {
            let mut streamed = Redactions::default();
            let out = stream::redact(raw, "b", &mut streamed).unwrap_or_else(|| panic!("{raw} is JSON"));
            let mut walked = Redactions::default();
            let tree = json(serde_json::from_str(raw).unwrap(), "b", &mut walked);
            let out: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{raw} -> {out}: {e}"));
            assert_eq!(out, tree, "{raw}");
            let (mut a, mut b) = (streamed.into_paths(), walked.into_paths());
            a.sort();
            b.sort();
            assert_eq!(a, b, "{raw}");
        }
        // Order and spacing are kept; only the values change.
        let (out, _) = one(|r| body(r#"{ "z": 1,  "password": "p", "a": [ 1 ] }"#, "b", r));
        assert_eq!(out, r#"{ "z": 1,  "password": "[REDACTED]", "a": [ 1 ] }"#);
        for bad in [
            r#"{"a": 1} trailing"#,
            r#"{"a": 01}"#,
            r#"{"a": -}"#,
            r#"{"a": 1.}"#,
            r#"{"a" 1}"#,
            r#"{"a": [1,]}"#,
            r#"{"a": 1,}"#,
            r#"{"a": "\x"}"#,
            r#"{"a": "\ud800"}"#,
            "{\"a\": \"tab\there\"}",
            r#"{"a": tru}"#,
            r#"["#,
        ] {
            let strict = serde_json::from_str::<Value>(bad).is_ok();
            let mut r = Redactions::default();
            assert_eq!(stream::redact(bad, "b", &mut r).is_some(), strict, "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(serde_json::from_str::<Value>(&deep).is_err());
        assert!(stream::redact(&deep, "b", &mut Redactions::default()).is_none());
    }

    #[test]
    fn clean_bodies_are_kept_as_sent_and_the_others_take_the_full_path() {
        let clean = [
            r#"{"a": 1, "b": [true, null, 2.5, -7], "url": "https://x.test/p?page=2#top", "note": "{\"x\": 1}", "keys": "monkey business"}"#,
            r#"[{"id": "inv_1", "amount": 123456, "memo": "Thank you", "token": null, "password": "[REDACTED]", "secret": ""}]"#,
        ];
        for raw in clean {
            assert!(json_is_clean(raw), "{raw}");
            let (out, paths) = one(|r| body(raw, "b", r));
            assert_eq!(out, raw);
            assert!(paths.is_empty(), "{raw}");
            // The full path agrees that nothing is to be redacted.
            let mut r = Redactions::default();
            json(serde_json::from_str(raw).unwrap(), "b", &mut r);
            assert!(r.is_empty(), "{raw}: {r:?}");
        }
        let dirty = [
            r#"{"password": "hunter2"}"#,
            r#"{"n": 4242424242424242}"#,
            r#"{"card": "4242 4242 4242 4242"}"#,
            r#"{"u": "https://a:b@x.test/"}"#,
            r#"{"u": "https://x.test/?access_token=1"}"#,
            r#"{"inner": "{\"api_key\": \"k\"}"}"#,
            r#"{"t": "Authorization: Bearer abc"}"#,
            r#"{"a": {"b": [{"client_secret": 5}]}}"#,
            r#"{"Api-Key": {"nested": "object"}}"#,
        ];
        for raw in dirty {
            assert!(!json_is_clean(raw), "{raw}");
            let (out, paths) = one(|r| body(raw, "b", r));
            assert!(!paths.is_empty(), "{raw} -> {out}");
        }
        assert!(!json_is_clean("{not json"));
        assert!(!json_is_clean(r#"{"a": 1} trailing"#));
    }

    #[test]
    fn headers_keep_the_name_and_the_scheme() {
        let (s, paths) = one(|r| {
            headers_text(
                r#"{"Authorization":"Bearer sk_live_abc123","X-Api-Key":"k_999","Accept":"application/json","Idempotency-Key":"idem-1","Cookie":"sid=zzz"}"#,
                "request_headers",
                r,
            )
        });
        assert!(!s.contains("sk_live_abc123") && !s.contains("k_999") && !s.contains("zzz"), "{s}");
        assert!(s.contains("Bearer [REDACTED]") && s.contains("application/json") && s.contains("idem-1"));
        assert!(paths.contains(&"request_headers.authorization".to_string()));
        assert!(paths.contains(&"request_headers.x-api-key".to_string()));
    }

    #[test]
    fn query_strings_and_urls() {
        let (s, paths) =
            one(|r| query("limit=5&access_token=tok123&api%5Fkey=k1&code=oauthcode&cursor=abc", "query", r));
        assert_eq!(s, "limit=5&access_token=[REDACTED]&api%5Fkey=[REDACTED]&code=[REDACTED]&cursor=abc");
        assert_eq!(paths.len(), 3);
        let (u, _) = one(|r| {
            url("https://user:hunter2@api.example/v1/x?client_secret=cs1&page=2#access_token=frag", "u", r)
        });
        assert!(!u.contains("hunter2") && !u.contains("cs1") && !u.contains("frag"), "{u}");
        assert!(u.contains("page=2") && u.contains("user:[REDACTED]@"));
    }

    #[test]
    fn json_at_any_depth_and_card_numbers() {
        let (s, paths) = one(|r| {
            body(
                r#"{"customer":{"name":"Ann","credentials":{"password":"p@ss","nested":[{"refresh_token":"rt"}]}},"card":{"number":"4242 4242 4242 4242","exp":"12/30"},"amount":1200,"note":"pan 4000056655665556 ok"}"#,
                "request_body",
                r,
            )
        });
        for secret in ["p@ss", "\"rt\"", "4242 4242 4242 4242", "4000056655665556"] {
            assert!(!s.contains(secret), "{secret} survived in {s}");
        }
        assert!(s.contains("Ann") && s.contains("1200") && s.contains("12/30"));
        assert!(paths.contains(&"request_body.customer.credentials.password".to_string()));
        assert!(paths.contains(&"request_body.card.number".to_string()));
    }

    #[test]
    fn free_text_and_forms() {
        let (s, _) =
            one(|r| text("error: invalid password=hunter2 for Bearer eyJabc.def; token: \"t0k\"", "t", r));
        assert!(!s.contains("hunter2") && !s.contains("eyJabc") && !s.contains("t0k"), "{s}");
        let (s, _) = one(|r| body("grant_type=refresh_token&refresh_token=rt_1&client_secret=cs", "b", r));
        assert_eq!(s, "grant_type=refresh_token&refresh_token=[REDACTED]&client_secret=[REDACTED]");
    }

    #[test]
    fn ordinary_values_are_left_alone() {
        let raw = r#"{"id":"inv_123","total":"1234567890","ids":[1,2,3],"error":{"code":"invalid-params"}}"#;
        let (s, paths) = one(|r| body(raw, "b", r));
        assert!(paths.is_empty(), "{paths:?}");
        assert_eq!(serde_json::from_str::<Value>(&s).unwrap(), serde_json::from_str::<Value>(raw).unwrap());
        assert!(is_card_number("4242424242424242") && !is_card_number("4242424242424241"));
        assert!(!is_card_number("1111111111111111"));
    }

    #[test]
    fn upstream_calls() {
        let mut headers = "{}".to_string();
        let mut q = None;
        let (mut rb, mut resp, mut pe, mut em) = (None, None, None, None);
        let mut calls = r#"[{"method":"POST","url":"https://oauth.example/token?client_secret=abc","status":200,"response":"{\"access_token\":\"at_1\",\"expires_in\":3600}","headers":{"Authorization":"Basic dXNlcjpwYXNz"}}]"#.to_string();
        let paths = request_log(RequestLogFields {
            request_headers: &mut headers,
            query: &mut q,
            request_body: &mut rb,
            response_body: &mut resp,
            platform_error: &mut pe,
            error_message: &mut em,
            upstream_calls: &mut calls,
        });
        for secret in ["abc", "at_1", "dXNlcjpwYXNz"] {
            assert!(!calls.contains(secret), "{secret} in {calls}");
        }
        assert!(calls.contains("3600"));
        assert!(paths.iter().any(|p| p == "upstream_calls[0].url.client_secret"), "{paths:?}");
        assert!(paths.iter().any(|p| p == "upstream_calls[0].response.access_token"), "{paths:?}");
    }

    /// An error's code survives (`code="6240"`, "errorCode=003200"): the classifier and the
    /// reader need it; an authorization code in a query string does not.
    #[test]
    fn error_codes_are_not_secrets_but_authorization_codes_are() {
        let fault = r#"<Fault type="ValidationFault"><Error code="6240" element="DisplayName"><Message>message=AuthenticationFailed; errorCode=003200</Message></Error></Fault>"#;
        let (s, paths) = one(|r| body(fault, "b", r));
        assert_eq!(s, fault, "{paths:?}");
        let (s, _) = one(|r| {
            text("redirected to https://app.test/cb?state=1&code=oauth_code_123 then code=6240", "m", r)
        });
        assert!(!s.contains("oauth_code_123") && s.contains("code=6240"), "{s}");
    }

    #[test]
    fn xml_and_soap_elements() {
        let soap = r#"<?xml version="1.0"?><soapenv:Envelope><soapenv:Header><wsse:Security><wsse:UsernameToken><wsse:Username>ops@acme.test</wsse:Username><wsse:Password Type="PasswordText">s3cr3t-pw</wsse:Password></wsse:UsernameToken></wsse:Security><tokenPassport><account>123</account><consumerKey>ck_abc</consumerKey><token>tk_def</token><signature algorithm="HMAC-SHA256">sig_ghi</signature></tokenPassport></soapenv:Header><body><client_secret><![CDATA[cs_jkl]]></client_secret><memo>Thanks</memo></body></soapenv:Envelope>"#;
        let (s, paths) = one(|r| body(soap, "b", r));
        for secret in ["s3cr3t-pw", "ck_abc", "tk_def", "sig_ghi", "cs_jkl"] {
            assert!(!s.contains(secret), "{secret} survived in {s}");
        }
        assert!(
            s.contains("ops@acme.test") && s.contains("Thanks") && s.contains("<account>123</account>"),
            "{s}"
        );
        assert!(paths.contains(&"b.Password".to_string()), "{paths:?}");
        // Sage Intacct's login, and XML inside a JSON string.
        let intacct = r#"<login><userid>ops</userid><companyid>ACME</companyid><password>pw-1</password><sessionid>sess-2</sessionid></login>"#;
        let (s, _) = one(|r| body(intacct, "b", r));
        assert!(!s.contains("pw-1") && !s.contains("sess-2") && s.contains("ACME"), "{s}");
        let wrapped = serde_json::json!({ "raw": intacct }).to_string();
        assert!(!json_is_clean(&wrapped));
        let (s, _) = one(|r| body(&wrapped, "b", r));
        assert!(!s.contains("pw-1"), "{s}");
        // Ordinary XML is kept as sent.
        let plain = "<Invoice><Id>42</Id><Line>Widgets</Line></Invoice>";
        assert_eq!(one(|r| body(plain, "b", r)).0, plain);
    }

    #[test]
    fn more_secret_keys_phrases_and_jwts() {
        let raw =
            r#"{"pwd":"a1","pass":"a2","passcode":"a3","session":"a4","client_assertion":"a5","user":"ann"}"#;
        let (s, paths) = one(|r| body(raw, "b", r));
        for secret in ["a1", "a2", "a3", "a4", "a5"] {
            assert!(!s.contains(&format!("\"{secret}\"")), "{secret} survived in {s}");
        }
        assert!(s.contains("ann") && paths.len() == 5, "{s} {paths:?}");
        let (s, _) = one(|r| text("Login failed: the password is hunter2. Retry.", "t", r));
        assert!(!s.contains("hunter2") && s.contains("Retry"), "{s}");
        for kept in ["The access token is expired.", "password is required", "The token was revoked"] {
            assert_eq!(one(|r| text(kept, "t", r)).0, kept);
        }
        let jwt =
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let headers = serde_json::json!({
            "Cf-Access-Jwt-Assertion": jwt,
            "DPoP": "proof",
            "X-Forwarded-Client": format!("via {jwt}"),
            "Accept": "application/json",
        })
        .to_string();
        let (s, _) = one(|r| headers_text(&headers, "h", r));
        assert!(!s.contains("eyJhbGci") && !s.contains("proof") && s.contains("application/json"), "{s}");
        let (s, _) = one(|r| body(&format!("upstream said: {jwt} was rejected"), "t", r));
        assert!(!s.contains("eyJhbGci") && s.contains("was rejected"), "{s}");
    }

    #[test]
    fn paths_are_bounded_and_linear() {
        let items: Vec<String> = (0..50_000).map(|i| format!(r#"{{"password{i}":"x"}}"#)).collect();
        let raw = format!("[{}]", items.join(","));
        let mut r = Redactions::default();
        let out = body(&raw, "b", &mut r);
        assert!(!out.contains(r#":"x""#));
        let paths = r.into_paths();
        assert_eq!(paths.len(), MAX_PATHS + 1);
        assert_eq!(paths.last().unwrap(), &format!("(and {} more redacted values)", 50_000 - MAX_PATHS));
        // A million `<` and one `>`: one pass.
        let lt = format!("{}>", "<".repeat(1_000_000));
        assert_eq!(one(|r| body(&lt, "b", r)).0, lt);
    }
}
