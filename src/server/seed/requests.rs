//! The demo's request logs: which endpoint was called, with what outcome, and the raw platform
//! error when it failed.

use super::*;

pub(super) struct Endpoint {
    method: &'static str,
    path: String,
    object: &'static str,
    write: bool,
}

pub(super) fn pick_endpoint(it: IntegrationType, platform: &PlatformSpec, rng: &mut SmallRng) -> Endpoint {
    let objects: Vec<&'static str> = platform.supported_objects().collect();
    let object = objects[rng.gen_range(0..objects.len())];
    let base = format!("/{}/{}", it.as_str(), object);
    let roll = rng.gen::<f64>();
    let writable = matches!(
        object,
        "invoices"
            | "bills"
            | "customers"
            | "vendors"
            | "journal_entries"
            | "expenses"
            | "orders"
            | "products"
            | "refunds"
            | "charges"
    );
    if roll < 0.55 || !writable {
        if rng.gen_bool(0.3) {
            Endpoint {
                method: "GET",
                path: format!("{base}/{}", record_id(platform.id, rng)),
                object,
                write: false,
            }
        } else {
            Endpoint { method: "GET", path: base, object, write: false }
        }
    } else if roll < 0.85 {
        Endpoint { method: "POST", path: base, object, write: true }
    } else if roll < 0.97 {
        Endpoint {
            method: "PATCH",
            path: format!("{base}/{}", record_id(platform.id, rng)),
            object,
            write: true,
        }
    } else {
        Endpoint {
            method: "DELETE",
            path: format!("{base}/{}", record_id(platform.id, rng)),
            object,
            write: true,
        }
    }
}

pub(super) fn record_id(platform: &str, rng: &mut SmallRng) -> String {
    match platform {
        "stripe" => format!("ch_3{:x}", rng.gen::<u64>()),
        "xero" | "netsuite" => {
            format!("{:08x}-{:04x}-4{:03x}", rng.gen::<u32>(), rng.gen::<u16>(), rng.gen::<u16>() & 0xfff)
        }
        _ => rng.gen_range(1000..99_999).to_string(),
    }
}

/// Picks the outcome of a request: (status, normalized error code).
pub(super) fn pick_outcome(
    conn: Option<&Conn>,
    ep: &Endpoint,
    t: i64,
    rng: &mut SmallRng,
) -> (i64, Option<&'static str>) {
    if let Some(c) = conn {
        match (c.status, c.incident_at) {
            (ConnectionStatus::NeedsReauth, Some(at)) if t >= at => return (401, Some("unauthorized")),
            (ConnectionStatus::Disabled, Some(at)) if t >= at => return (403, Some("forbidden")),
            (ConnectionStatus::Degraded, Some(at)) if t >= at && rng.gen_bool(0.35) => {
                return (503, Some("platform-unavailable"))
            }
            _ => {}
        }
    }
    let roll = rng.gen::<f64>();
    let write_errors = [
        "missing-params",
        "invalid-params",
        "invalid-params",
        "record-already-exists",
        "operation-denied",
        "platform-denied",
        "unknown-error",
    ];
    match roll {
        r if ep.write && r < 0.09 => (400, Some(write_errors[rng.gen_range(0..write_errors.len())])),
        r if r < 0.105 => (429, Some("rate-limited")),
        r if r < 0.12 => (404, Some("not-found")),
        r if r < 0.128 => (503, Some("platform-unavailable")),
        r if r < 0.132 => (500, Some("internal-error")),
        r if ep.write && r < 0.136 => (409, Some("idempotency-conflict")),
        r if r < 0.14 => (403, Some("forbidden")),
        _ => (
            if ep.method == "POST" {
                201
            } else if ep.method == "DELETE" {
                204
            } else {
                200
            },
            None,
        ),
    }
}

pub(super) fn request_log(env: &Env, conns: &[Conn], t: i64, rng: &mut SmallRng) -> RequestLogRow {
    // Most traffic concerns a connection; some calls are account-level (listing connections).
    let conn = if env.connections.is_empty() || rng.gen_bool(0.06) {
        None
    } else {
        let c = &conns[env.connections[rng.gen_range(0..env.connections.len())]];
        // Customers mostly stop calling a connection once it is disabled or needs re-auth.
        let quiet = match (c.status, c.incident_at) {
            (ConnectionStatus::Disabled, Some(at)) if t >= at => rng.gen_bool(0.95),
            (ConnectionStatus::NeedsReauth, Some(at)) if t >= at => rng.gen_bool(0.6),
            _ => false,
        };
        (c.row.created_at <= t && !quiet).then_some(c)
    };
    let id = make_id(prefix::REQUEST, t, rng.gen());
    let ua = [
        "switchboard-node/3.4.1",
        "switchboard-python/2.9.0",
        "acme-billing-service/1.12 (+go1.22)",
        "python-requests/2.31.0",
        "curl/8.5.0",
    ][rng.gen_range(0..5)];
    let key_prefix = env.key_prefixes[rng.gen_range(0..env.key_prefixes.len())].clone();
    let authorization = format!("Bearer {}", demo_secret(rng, &key_prefix));
    let Some(conn) = conn else {
        let status = if rng.gen_bool(0.97) { 200 } else { 500 };
        return RequestLogRow {
            id: id.clone(), organization_id: env.organization_id.clone(), environment: env.environment.as_str().into(),
            connection_id: None, platform_id: None, api_key_prefix: Some(key_prefix), method: "GET".into(),
            path: "/connections".into(), query: Some("limit=50".into()), status_code: status, status_class: status / 100,
            latency_ms: rng.gen_range(12..90), error_code: (status == 500).then(|| "internal-error".into()),
            error_message: (status == 500).then(|| "An internal error occurred. Retry the request.".into()),
            platform_error: None, error_confidence: None,
            // Real secrets, as a data plane would send them: the store redacts them on insert.
            request_headers: json!({"authorization": authorization, "accept": "application/json", "user-agent": ua}).to_string(),
            request_body: None,
            response_body: Some(if status == 200 { json!({"results": [], "next": null}) } else { json!({"error": {"code": "internal-error", "message": "An internal error occurred. Retry the request.", "platform_error": null, "request_id": id}}) }.to_string()),
            response_truncated: false, upstream_calls: "[]".into(), idempotency_key: None, user_agent: Some(ua.into()),
            source_ip: Some(env.ips[rng.gen_range(0..env.ips.len())].clone()), created_at: t,
            redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
        };
    };
    let platform = conn.platform;
    let ep = pick_endpoint(platform.integration_type, platform, rng);
    let (status, code) = pick_outcome(Some(conn), &ep, t, rng);
    let expand = ep.method == "GET" && rng.gen_bool(0.35);
    let query = if ep.method == "GET"
        && !ep.path.rsplit('/').next().is_some_and(|s| s.chars().any(|c| c.is_ascii_digit()))
    {
        Some(if expand {
            "limit=2&expand=platform_data".to_string()
        } else {
            format!(
                "limit={}&modified_after=2026-0{}-01",
                [2, 50, 100][rng.gen_range(0..3)],
                rng.gen_range(1..9)
            )
        })
    } else if expand {
        Some("expand=platform_data".into())
    } else {
        None
    };
    let idempotency_key = (ep.write && rng.gen_bool(0.8)).then(|| format!("idem_{:016x}", rng.gen::<u64>()));
    let field = normalized_fields(ep.object)[rng.gen_range(1..normalized_fields(ep.object).len())];
    // A documented error of this platform for the intended failure when the corpus has one
    // (the classifier then reads it as that code), else a synthetic one.
    let template = code.and_then(|c| template(platform.id, c, rng));
    let (message, raw) = match (code, &template) {
        (Some(_), Some((body, _))) => (None, Some(body.clone())),
        (Some(c), None) => {
            let (m, r) = platform_error(platform, c, field, rng);
            (Some(m), r)
        }
        (None, _) => (None, None),
    };
    let latency = match status {
        // Two attempts that time out after 10 s each, then a quick 503: at least 20.1 s.
        503 => rng.gen_range(20_100..30_500),
        429 => rng.gen_range(40..200),
        401 | 403 => rng.gen_range(60..300),
        _ => (rng.gen_range(4.0f64..6.8).exp().min(9000.0) as i64).max(35) + rng.gen_range(20..250),
    };
    let mut request_body = None;
    if ep.write && ep.method != "DELETE" {
        let mut body = Map::new();
        for f in normalized_fields(ep.object).iter().skip(1) {
            if code == Some("missing-params") && *f == field {
                continue;
            }
            body.insert(f.to_string(), sample_value(f, rng));
        }
        request_body = Some(Value::Object(body).to_string());
    }
    let records = if status < 300 && ep.method == "GET" {
        if query.as_deref().is_some_and(|q| q.starts_with("limit")) {
            2
        } else {
            1
        }
    } else if status < 300 && ep.method != "DELETE" {
        1
    } else {
        0
    };
    // A read or write of one record answers with that record: its id is the path's.
    let path_id = ep.path.rsplit('/').next().filter(|s| s.chars().any(|c| c.is_ascii_digit()));
    let mut results = Vec::new();
    for _ in 0..records {
        results.push(record(platform, ep.object, expand, path_id, rng));
    }
    let truncated = ep.method == "GET" && status < 300 && rng.gen_bool(0.02);
    let response = if let Some(c) = code {
        json!({"error": {"code": c, "message": message, "platform_error": raw.as_ref().and_then(|r| serde_json::from_str::<Value>(r).ok()), "request_id": id}})
    } else if ep.method == "DELETE" {
        Value::Null
    } else if ep.method == "GET" && records > 1 {
        json!({"results": results, "next": format!("cur_{:x}", rng.gen::<u32>())})
    } else {
        results.pop().unwrap_or(Value::Null)
    };
    let mut response_body = (!response.is_null()).then(|| response.to_string());
    if truncated {
        response_body = response_body.map(|b| b.chars().take(160).collect());
    }
    let account = Some(conn.row.platform_account_id.as_str());
    let host = platform_host(platform.id, account);
    let mut upstream = vec![];
    let calls = if status == 503 {
        3
    } else if status == 429 {
        2
    } else {
        1
    };
    for n in 0..calls {
        let last = n + 1 == calls;
        let st = if last {
            match status {
                201 | 204 => 200,
                s if (200..300).contains(&s) => 200,
                401 => 401,
                403 => 403,
                404 => 404,
                429 => 429,
                500 => 200,
                503 => 503,
                409 => 200,
                _ => 400,
            }
        } else if status == 503 {
            504
        } else {
            429
        };
        // The template's own status, as the platform answered it.
        let st = match &template {
            Some((_, s)) if last && *s >= 400 => *s as i64,
            _ => st,
        };
        upstream.push(json!({
            "method": if ep.method == "PATCH" && platform.id == "quickbooks_online" { "POST" } else { ep.method },
            "url": format!("https://{host}{}", upstream_path(platform.id, ep.object, &ep.path, account)),
            "status": st,
            // The attempts add up to less than the request took: the unified API's own work is
            // the rest.
            "latency_ms": match (status, last) {
                (503, false) => 10_000,
                (503, true) => (latency - 20_000) * 7 / 10,
                _ => (latency * 7 / 10 / calls as i64).max(20),
            },
            // Each attempt carries its own answer: a timed-out attempt is the gateway's 504, the
            // last one the platform's error.
            "response": if st == 504 {
                json!({"message": "upstream request timeout", "status": 504}).to_string()
            } else if st >= 400 {
                raw.clone().unwrap_or_default()
            } else {
                String::from("{\"ok\":true}")
            },
        }));
    }
    if status == 409 {
        upstream.clear();
    }
    let mut row = RequestLogRow {
        id: id.clone(),
        organization_id: env.organization_id.clone(),
        environment: env.environment.as_str().into(),
        connection_id: Some(conn.row.id.clone()),
        platform_id: Some(platform.id.into()),
        api_key_prefix: Some(key_prefix),
        method: ep.method.into(),
        path: ep.path,
        query,
        status_code: status,
        status_class: status / 100,
        latency_ms: latency,
        error_code: code.map(str::to_string),
        error_message: message,
        platform_error: raw.clone(),
        error_confidence: code.map(|c| {
            match c {
                "unknown-error" => "low",
                "operation-denied" | "platform-denied" => "medium",
                _ => "high",
            }
            .to_string()
        }),
        // Real secrets, as a data plane would send them: the store redacts them on insert.
        request_headers: json!({
            "authorization": authorization,
            "content-type": "application/json",
            "user-agent": ua,
            "x-connection-id": conn.row.id,
            "idempotency-key": idempotency_key,
        })
        .to_string(),
        request_body,
        response_body,
        response_truncated: truncated,
        upstream_calls: Value::Array(upstream).to_string(),
        idempotency_key,
        user_agent: Some(ua.into()),
        source_ip: Some(env.ips[rng.gen_range(0..env.ips.len())].clone()),
        created_at: t,
        redacted_fields: "[]".into(),
        content_hash: None,
        error_cause: None,
        error_field: None,
        error_rule: None,
        classified_code: None,
    };
    if row.platform_error.is_some() {
        // The classifier assigns the code, as ingestion does for a data plane that leaves the
        // mapping to it; the normalized message and the response follow from its reading.
        row.error_code = None;
        row.error_confidence = None;
        row.classify();
        let code = row.error_code.clone().unwrap_or_else(|| "unknown-error".into());
        // The unified API answers with the status of the code it returned.
        if let Some(spec) = ERROR_CODES.iter().find(|e| e.code == code) {
            if i64::from(spec.status) != row.status_code {
                row.status_code = i64::from(spec.status);
                row.status_class = row.status_code / 100;
            }
        }
        // Only the field the raw error names: a normalized field it does not mention would make
        // the message contradict the raw error shown below it.
        let field = row.error_field.clone();
        let retry_after = raw
            .as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .and_then(|v| v["retry_after"].as_i64());
        row.error_message = Some(normalized_message(platform, &code, field.as_deref(), retry_after));
        row.response_body = Some(
            json!({"error": {"code": code, "message": row.error_message, "platform_error": raw.as_ref().and_then(|r| serde_json::from_str::<Value>(r).ok()), "request_id": id}})
                .to_string(),
        );
    }
    row
}

/// The documented errors of the classifier's corpus, per platform and code, that the
/// classifier reads as their label: the demo's raw errors, in each platform's real format.
pub(crate) fn template(platform: &str, code: &str, rng: &mut SmallRng) -> Option<(String, u16)> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    /// (platform, code) -> the bodies and statuses of its documented errors.
    type Templates = HashMap<(String, String), Vec<(String, u16)>>;
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    let all = TEMPLATES.get_or_init(|| {
        let mut m = Templates::new();
        for e in crate::classify::accuracy::corpus().unwrap_or_default() {
            let status = e.http_status.unwrap_or(400);
            if e.body.trim().is_empty() || crate::classify::classify(&e.raw()).code != e.label.code {
                continue;
            }
            m.entry((e.platform.clone(), e.label.code.clone())).or_default().push((e.body.clone(), status));
        }
        m
    });
    let list = all.get(&(platform.to_string(), code.to_string()))?;
    Some(list[rng.gen_range(0..list.len())].clone())
}

/// The unified API's message for a normalized code, naming the field when there is one.
fn normalized_message(
    platform: &PlatformSpec,
    code: &str,
    field: Option<&str>,
    retry_after: Option<i64>,
) -> String {
    let spec_title = ERROR_CODES.iter().find(|e| e.code == code).map(|e| e.title).unwrap_or("Error");
    match (code, field) {
        ("missing-params", Some(field)) => format!("The field {field} is required by {}.", platform.name),
        ("invalid-params", Some(field)) => {
            format!("The value of {field} is not valid for {}.", platform.name)
        }
        ("record-already-exists", Some(field)) => {
            format!("A record with this {field} already exists in {}.", platform.name)
        }
        ("missing-params", None) => format!("A field {} requires is missing.", platform.name),
        ("invalid-params", None) => format!("A value is not valid for {}.", platform.name),
        ("record-already-exists", None) => {
            format!("A record with that value already exists in {}.", platform.name)
        }
        ("rate-limited", _) => match retry_after {
            Some(s) => format!("{} rate limit reached; retry after {s} seconds.", platform.name),
            None => format!(
                "{} rate limit reached; retry after the time in its Retry-After header.",
                platform.name
            ),
        },
        ("unauthorized", _) => {
            format!("The {} connection's credentials have expired or were revoked.", platform.name)
        }
        _ => format!("{spec_title} ({}).", platform.name),
    }
}

/// A plausible full API key for a demo request's Authorization header (redacted on insert).
pub(super) fn demo_secret(rng: &mut SmallRng, prefix: &str) -> String {
    format!("{prefix}{}", base64_like(rng, 24))
}

/// The host a platform's API answers on. Where the host names the customer's account (a
/// Shopify shop, a NetSuite account), it is the connection's account; without one (the sandbox
/// plane's own traffic) a sample account.
pub(crate) fn platform_host(platform: &str, account: Option<&str>) -> String {
    match (platform, account) {
        ("shopify", Some(shop)) if shop.ends_with(".myshopify.com") => return shop.to_string(),
        ("netsuite", Some(a)) => {
            let number = a.trim_start_matches("netsuite-");
            if !number.is_empty() && number.chars().all(|c| c.is_ascii_alphanumeric()) {
                return format!("{number}.suitetalk.api.netsuite.com");
            }
        }
        _ => {}
    }
    match platform {
        "quickbooks_online" => "quickbooks.api.intuit.com",
        "xero" => "api.xero.com",
        "netsuite" => "5123456.suitetalk.api.netsuite.com",
        "sage_intacct" => "api.intacct.com",
        "freshbooks" => "api.freshbooks.com",
        "shopify" => "bluebird.myshopify.com",
        "amazon_seller" => "sellingpartnerapi-na.amazon.com",
        "woocommerce" => "shop.example-store.com",
        "bigcommerce" => "api.bigcommerce.com",
        "etsy" => "openapi.etsy.com",
        "stripe" => "api.stripe.com",
        "square" => "connect.squareup.com",
        _ => "api-m.paypal.com",
    }
    .to_string()
}

/// The platform's path for a unified-API path: the record's id where the unified path has one,
/// in the platform's own shape (`/admin/api/2024-07/customers/73696.json` on Shopify), and a
/// QuickBooks company id that is the connection's realm.
pub(crate) fn upstream_path(platform: &str, object: &str, path: &str, account: Option<&str>) -> String {
    let tail = path.rsplit('/').next().filter(|s| s.chars().any(|c| c.is_ascii_digit()));
    if platform == "shopify" {
        return match tail {
            Some(t) => format!("/admin/api/2024-07/{object}/{t}.json"),
            None => format!("/admin/api/2024-07/{object}.json"),
        };
    }
    let base = match platform {
        "quickbooks_online" => {
            let realm = account.and_then(|a| a.strip_prefix("realm-")).unwrap_or("9130357");
            format!("/v3/company/{realm}/{}", object.trim_end_matches('s'))
        }
        "xero" => format!("/api.xro/2.0/{}", capital(object)),
        "stripe" => format!("/v1/{object}"),
        "square" => format!("/v2/{object}"),
        _ => format!("/api/v1/{object}"),
    };
    match tail {
        Some(t) => format!("{base}/{t}"),
        None => base,
    }
}

pub(super) fn capital(s: &str) -> String {
    s.split('_')
        .map(|p| {
            let mut c = p.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

pub(super) fn sample_value(field: &str, rng: &mut SmallRng) -> Value {
    match field {
        "currency" => json!(["USD", "EUR", "GBP", "CAD"][rng.gen_range(0..4)]),
        "total_amount" | "amount" | "price" => json!((rng.gen_range(500..500_000) as f64) / 100.0),
        "tax_amount" => json!((rng.gen_range(0..5_000) as f64) / 100.0),
        "quantity" => json!(rng.gen_range(0..400)),
        "due_date" => json!(format!("2026-{:02}-{:02}", rng.gen_range(1..13), rng.gen_range(1..29))),
        "status" => json!(["open", "paid", "draft", "void"][rng.gen_range(0..4)]),
        "customer_id" => json!(format!("cus_{}", rng.gen_range(100..9999))),
        "email" | "customer_email" | "receipt_email" => {
            json!(format!("billing{}@example.com", rng.gen_range(1..500)))
        }
        "number" => json!(format!("INV-{}", rng.gen_range(1000..9999))),
        "name" => json!(
            ["Widget Pro", "Oat Latte Beans 1kg", "Consulting hours", "Harbor Supplies"][rng.gen_range(0..4)]
        ),
        "sku" => json!(format!("SKU-{:05}", rng.gen_range(0..99_999))),
        "phone" => json!(format!("+1-555-{:04}", rng.gen_range(0..9999))),
        _ => json!(format!("{} note {}", field, rng.gen_range(1..99))),
    }
}

/// A normalized record and, when expanded, the raw platform record it came from. Some source
/// fields are missing or empty, and some normalized fields have no source on this platform, so
/// the console has real nulls to explain.
pub(super) fn record(
    platform: &PlatformSpec,
    object: &str,
    expand: bool,
    id: Option<&str>,
    rng: &mut SmallRng,
) -> Value {
    let mut normalized = Map::new();
    let mut raw = Map::new();
    for field in normalized_fields(object) {
        let value = if *field == "id" {
            // Drawn either way, so the rest of the demo stays as it was.
            let drawn = record_id(platform.id, rng);
            json!(id.map(str::to_string).unwrap_or(drawn))
        } else {
            sample_value(field, rng)
        };
        match source_field(platform.id, field) {
            None => {
                normalized.insert(field.to_string(), Value::Null);
            }
            Some(src) => {
                let roll = rng.gen::<f64>();
                if *field != "id" && roll < 0.12 {
                    normalized.insert(field.to_string(), Value::Null); // not sent
                } else if *field != "id" && roll < 0.22 {
                    raw.insert(src, if rng.gen_bool(0.5) { json!("") } else { Value::Null });
                    normalized.insert(field.to_string(), Value::Null);
                } else {
                    raw.insert(src, value.clone());
                    normalized.insert(field.to_string(), value);
                }
            }
        }
    }
    if expand {
        normalized.insert("platform_data".into(), Value::Object(raw));
    }
    Value::Object(normalized)
}

/// A realistic raw error body of the platform for a normalized code, and the normalized message.
pub(super) fn platform_error(
    platform: &PlatformSpec,
    code: &str,
    field: &str,
    rng: &mut SmallRng,
) -> (String, Option<String>) {
    let src = source_field(platform.id, field).unwrap_or_else(|| field.to_string());
    // One wait, so the normalized message and the raw error agree.
    let retry_after: i64 = rng.gen_range(10..60);
    let message = normalized_message(platform, code, Some(field), Some(retry_after));
    let raw = match (platform.id, code) {
        ("quickbooks_online", "rate-limited") => {
            json!({"Fault": {"Error": [{"Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429", "code": "3001"}], "type": "SERVICE"}})
        }
        ("quickbooks_online", "unauthorized") => {
            json!({"Fault": {"Error": [{"Message": "message=AuthenticationFailed; errorCode=003200; statusCode=401", "Detail": "Token expired: 2026-11-20T08:14:03Z", "code": "3200"}], "type": "AUTHENTICATION"}})
        }
        ("quickbooks_online", _) => {
            json!({"Fault": {"Error": [{"Message": if code == "missing-params" { "Required param missing, need to supply the required value for the API" } else { "Invalid Reference Id" }, "Detail": format!("{src} : {}", if code == "missing-params" { "is missing in the request" } else { "value is not valid" }), "code": if code == "missing-params" { "2020" } else { "2500" }, "element": src}], "type": "ValidationFault"}, "time": "2026-11-21T10:02:11.201-08:00"})
        }
        ("xero", "rate-limited") => {
            json!({"Title": "Too Many Requests", "Detail": "Rate limit exceeded: minute limit (60) reached", "Status": 429})
        }
        ("xero", _) => {
            json!({"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred", "Elements": [{"ValidationErrors": [{"Message": format!("{src} {}", if code == "record-already-exists" { "must be unique" } else { "is not valid" })}]}]})
        }
        ("shopify" | "woocommerce" | "bigcommerce" | "etsy", "rate-limited") => {
            json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
        }
        ("shopify" | "woocommerce" | "bigcommerce" | "etsy", _) => {
            json!({"errors": {src: [if code == "record-already-exists" { "has already been taken" } else if code == "missing-params" { "can't be blank" } else { "is invalid" }]}})
        }
        ("stripe", "rate-limited") => {
            json!({"error": {"message": "Too many requests hit the API too quickly.", "type": "rate_limit_error", "code": "rate_limit"}})
        }
        ("stripe", "unauthorized") => {
            json!({"error": {"message": "Expired API Key provided: sk_live_***4x9Q", "type": "invalid_request_error", "code": "api_key_expired"}})
        }
        ("stripe", _) => {
            json!({"error": {"message": format!("Invalid {src}: must be a positive integer"), "param": src, "type": "invalid_request_error", "code": "parameter_invalid_integer"}})
        }
        (_, "platform-unavailable") => json!({"message": "Service Unavailable", "status": 503}),
        (_, "unauthorized") => {
            json!({"error": "invalid_grant", "error_description": "Refresh token is expired or revoked"})
        }
        (_, "rate-limited") => {
            json!({"error": "rate_limited", "message": "Request limit exceeded", "retry_after": retry_after})
        }
        (_, _) => {
            json!({"error": {"code": "VALIDATION_ERROR", "field": src, "detail": format!("{src} failed validation")}})
        }
    };
    let raw = match code {
        "internal-error" | "idempotency-conflict" | "not-found" => None,
        _ => Some(raw.to_string()),
    };
    (message, raw)
}
