//! One worked example per operation: the call as a customer's developer would type it (curl) and
//! what comes back. The OpenAPI document carries them (`example` on the request body and on the
//! success response, `x-codeSamples` for the curl line) and the reference page prints them.
//!
//! They are written as JSON, the way people read them, and a unit test reads every one back
//! through its wire type and compares: a field renamed, added or dropped in a wire type fails
//! the test instead of leaving the reference describing an API that no longer exists.

use serde_json::{json, Value};

/// The worked example of one operation.
pub struct Example {
    /// As in the OpenAPI document: `get`, `post`.
    pub method: &'static str,
    /// The documented path, with its `{id}` placeholders.
    pub path: &'static str,
    /// The call's path and query with the placeholders filled in.
    pub call: &'static str,
    /// The key scope the call needs (the curl line's `$SWITCHBOARD_..._KEY`).
    pub key: &'static str,
    /// Headers other than the key and the content type.
    pub headers: &'static [&'static str],
    pub request: Option<Value>,
    /// The success status the response example is documented under.
    pub status: &'static str,
    pub response: Value,
}

impl Example {
    /// The call as a shell command, against `base` (the console's public origin).
    pub fn curl(&self, base: &str) -> String {
        let var = format!("SWITCHBOARD_{}_KEY", self.key.to_ascii_uppercase());
        let mut lines = vec![format!("curl -sS {}\"{base}{}\"", method_flag(self.method), self.call)];
        lines.push(format!("-H \"Authorization: Bearer ${var}\""));
        for h in self.headers {
            lines.push(format!("-H \"{h}\""));
        }
        if let Some(body) = &self.request {
            lines.push("-H \"Content-Type: application/json\"".into());
            let pretty = serde_json::to_string_pretty(body).unwrap_or_default();
            lines.push(format!("-d '{}'", pretty.replace('\'', "'\\''")));
        }
        lines.join(" \\\n  ")
    }
}

fn method_flag(method: &str) -> String {
    match method {
        "get" => String::new(),
        m => format!("-X {} ", m.to_ascii_uppercase()),
    }
}

const CONN: &str = "conn_01kmxg2a7c5ph3rw9ytzd4f8qe";
const REQ: &str = "req_01kq3v8e4m7x2c9dztw5hb6n0r";
const BACKFILL: &str = "bf_01kq3w0c5e7g9j2k4m6n8p0r3s";
const ISSUE: &str = "iss_01kq2z8r3t5v7x9z1b3d5f7h9k";

fn request_log_summary() -> Value {
    json!({
        "id": REQ,
        "occurred_at": "2026-12-07T14:03:11.482Z",
        "method": "GET",
        "path": "/commerce/orders/57136",
        "status": 429,
        "latency_ms": 162,
        "connection_id": CONN,
        "platform": "shopify",
        "error_code": "rate-limited"
    })
}

fn platform_error() -> Value {
    json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})
}

fn request_log() -> Value {
    let upstream = |latency: i64| {
        json!({
            "method": "GET",
            "url": "https://fernhill.myshopify.com/admin/api/2024-07/orders/57136.json",
            "status": 429,
            "latency_ms": latency,
            "response": platform_error().to_string()
        })
    };
    json!({
        "id": REQ,
        "occurred_at": "2026-12-07T14:03:11.482Z",
        "method": "GET",
        "path": "/commerce/orders/57136",
        "query": null,
        "status": 429,
        "latency_ms": 162,
        "connection_id": CONN,
        "platform": "shopify",
        "error": {
            "code": "rate-limited",
            "message": "Shopify rate limit reached; retry after the time in its Retry-After header.",
            "platform_error": platform_error(),
            "confidence": "high",
            "cause": "rate_limited",
            "field": null,
            "rule": "shopify.status.429",
            "classified_code": "rate-limited"
        },
        "request_headers": {
            "authorization": "Bearer [REDACTED]",
            "user-agent": "python-requests/2.31.0",
            "x-connection-id": CONN
        },
        "request_body": null,
        "response_body": {
            "error": {
                "code": "rate-limited",
                "message": "Shopify rate limit reached; retry after the time in its Retry-After header.",
                "platform_error": platform_error(),
                "request_id": REQ
            }
        },
        "response_truncated": false,
        "upstream_calls": [upstream(58), upstream(61)],
        "idempotency_key": null,
        "api_key_prefix": "sk_live_2b9a",
        "user_agent": "python-requests/2.31.0",
        "source_ip": "34.200.201.93",
        "redacted_fields": ["request_headers.authorization"],
        "next_step": request_log_next_step()
    })
}

/// What the API says to do next for this request: the guidance itself, so the example cannot
/// promise advice the API does not give.
fn request_log_next_step() -> String {
    use crate::domain::guidance::{next_step, Failure};
    let platform_error = platform_error().to_string();
    next_step(&Failure {
        status: 429,
        method: "GET",
        code: Some("rate-limited"),
        message: Some("Shopify rate limit reached; retry after the time in its Retry-After header."),
        platform_error: Some(&platform_error),
        platform_name: Some("Shopify"),
        connection_name: Some("Fernhill Outdoor"),
        idempotency_key: None,
        created_at: 0,
        upstream_attempts: 2,
        cause: Some("rate_limited"),
        field: None,
    })
}

fn connection() -> Value {
    json!({
        "id": CONN,
        "platform": "shopify",
        "display_name": "Fernhill Outdoor",
        "platform_account_id": "fernhill.myshopify.com",
        "status": "healthy",
        "status_reason": null,
        "status_since": "2026-11-02T09:15:40.120Z",
        "created_at": "2026-11-02T09:15:40.120Z",
        "last_synced_at": "2026-12-07T14:00:06.311Z"
    })
}

fn sync_run() -> Value {
    json!({
        "id": "run_01kq3s6b2d8f4h0j9k7m5n3p1q",
        "connection_id": CONN,
        "platform": "shopify",
        "data_object": "orders",
        "kind": "incremental",
        "status": "succeeded",
        "queued_at": "2026-12-07T14:00:00.000Z",
        "started_at": "2026-12-07T14:00:01.204Z",
        "finished_at": "2026-12-07T14:00:06.311Z",
        "records_added": 42,
        "records_updated": 7,
        "records_deleted": 0,
        "error_code": null,
        "error_message": null,
        "platform_error": null,
        "error_confidence": null,
        "error_cause": null,
        "error_field": null,
        "error_rule": null,
        "classified_code": null,
        "backfill_id": null,
        "trigger": "schedule"
    })
}

fn backfill(status: &str) -> Value {
    let queued = status == "queued";
    json!({
        "id": BACKFILL,
        "status": status,
        "data_objects": ["orders", "customers"],
        "range_from": "2026-11-07T00:00:00.000Z",
        "range_to": "2026-12-07T00:00:00.000Z",
        "created_by": "API key sb_backfills_7Hq2Lm9x",
        "reason": "Orders missing since the November outage",
        "created_at": "2026-12-07T14:05:00.000Z",
        "started_at": if queued { Value::Null } else { json!("2026-12-07T14:05:02.530Z") },
        "finished_at": if queued { Value::Null } else { json!("2026-12-07T14:06:40.118Z") },
        "connections": 1,
        "runs_total": 2,
        "runs_done": if queued { 0 } else { 2 },
        "runs_failed": 0
    })
}

fn delivery() -> Value {
    json!({
        "id": "dlv_01kq3t4v6x8z0b2d4f6h8k0m2n",
        "event_id": "evt_01kq3t4t9a1c3e5g7j9k1m3n5p",
        "event_type": "connection.needs_reauth",
        "endpoint_id": "ep_01kmy0a2b4c6d8e0f2g4h6j8k0",
        "endpoint_url": "https://hooks.acme.example/switchboard",
        "connection_id": CONN,
        "status": "retrying",
        "attempts": 2,
        "created_at": "2026-12-07T13:58:20.004Z",
        "last_attempt_at": "2026-12-07T13:59:20.517Z",
        "last_response_status": 502,
        "last_failure": "HTTP 502 from the endpoint",
        "next_attempt_at": "2026-12-07T14:04:20.517Z"
    })
}

fn issue() -> Value {
    json!({
        "id": ISSUE,
        "kind": "object_failing",
        "title": "A data object keeps failing to sync",
        "severity": "error",
        "status": "open",
        "regressed": false,
        "summary": "invoices failed 3 runs in a row; the last: NetSuite returned 503 Service Unavailable after 3 retries",
        "platform": "netsuite",
        "connection_id": "conn_01kmxh7d2f4g6j8k0m2n4p6q8r",
        "data_object": "invoices",
        "endpoint_id": null,
        "api_path": null,
        "evidence_id": "run_01kq2z8p1r3t5v7x9z1b3d5f7h",
        "occurrences": 3,
        "first_seen": "2026-12-07T11:00:04.220Z",
        "last_seen": "2026-12-07T13:00:03.981Z",
        "acknowledged_by": null,
        "resolved_at": null,
        "resolved_by": null,
        "next_step": "Open the last failed run: its error says whether to wait for the platform, fix a mapping or ask the customer to reconnect."
    })
}

/// Every operation's example, in the document's order.
pub fn all() -> Vec<Example> {
    vec![
        Example {
            method: "post",
            path: "/api/v1/ingest/request-logs",
            call: "/api/v1/ingest/request-logs",
            key: "ingest",
            headers: &[],
            request: Some(json!({"items": [{
                "id": REQ,
                "occurred_at": "2026-12-07T14:03:11.482Z",
                "method": "GET",
                "path": "/commerce/orders/57136",
                "status": 429,
                "latency_ms": 162,
                "connection_id": CONN,
                "request_headers": {"authorization": "Bearer sk_live_2b9a51c0", "user-agent": "python-requests/2.31.0"},
                "response_body": "{\"error\":{\"code\":\"rate-limited\"}}",
                "error": {"code": "rate-limited", "message": "Shopify rate limit reached; retry after the time in its Retry-After header.", "platform_error": platform_error()},
                "upstream_calls": [{"method": "GET", "url": "https://fernhill.myshopify.com/admin/api/2024-07/orders/57136.json", "status": 429, "latency_ms": 58, "response": platform_error().to_string()}],
                "api_key_prefix": "sk_live_2b9a",
                "user_agent": "python-requests/2.31.0",
                "source_ip": "34.200.201.93"
            }]})),
            status: "200",
            response: json!({"accepted": 1, "rejected": []}),
        },
        Example {
            method: "post",
            path: "/api/v1/ingest/connection-status",
            call: "/api/v1/ingest/connection-status",
            key: "ingest",
            headers: &[],
            request: Some(json!({"items": [{
                "connection_id": CONN,
                "status": "needs_reauth",
                "reason": "Shopify revoked the access token (401 invalid_token).",
                "occurred_at": "2026-12-07T13:58:19.870Z"
            }]})),
            status: "200",
            response: json!({"accepted": 1, "rejected": []}),
        },
        Example {
            method: "post",
            path: "/api/v1/ingest/events",
            call: "/api/v1/ingest/events",
            key: "ingest",
            headers: &[],
            request: Some(json!({"items": [{
                "id": "evt_01kq3t4t9a1c3e5g7j9k1m3n5p",
                "type": "connection.needs_reauth",
                "occurred_at": "2026-12-07T13:58:20.004Z",
                "connection_id": CONN,
                "data": {"connection_id": CONN, "platform": "shopify", "reason": "Shopify revoked the access token."}
            }]})),
            status: "200",
            response: json!({"accepted": 1, "rejected": []}),
        },
        Example {
            method: "post",
            path: "/api/v1/ingest/sync-runs/claim",
            call: "/api/v1/ingest/sync-runs/claim",
            key: "ingest",
            headers: &[],
            request: Some(json!({"worker": "plane-eu-1", "limit": 1, "lease_seconds": 60})),
            status: "200",
            response: json!({"runs": [{
                "id": "run_01kq3w0d1f3h5k7m9p1r3t5v7x",
                "connection_id": CONN,
                "platform": "shopify",
                "data_object": "orders",
                "kind": "backfill",
                "range_from": "2026-11-07T00:00:00.000Z",
                "range_to": "2026-12-07T00:00:00.000Z",
                "backfill_id": BACKFILL,
                "attempt": 1,
                "lease_expires_at": "2026-12-07T14:06:02.530Z"
            }]}),
        },
        Example {
            method: "post",
            path: "/api/v1/ingest/sync-runs",
            call: "/api/v1/ingest/sync-runs",
            key: "ingest",
            headers: &[],
            request: Some(json!({"items": [{
                "id": "run_01kq3w0d1f3h5k7m9p1r3t5v7x",
                "event": "finished",
                "worker": "plane-eu-1",
                "status": "succeeded",
                "records_added": 1204,
                "records_updated": 0,
                "records_deleted": 0
            }]})),
            status: "200",
            response: json!({"accepted": 1, "rejected": [], "cancel": [], "lost": []}),
        },
        Example {
            method: "get",
            path: "/api/v1/request-logs",
            call: "/api/v1/request-logs?status=4xx&platform=shopify&limit=1",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: json!({
                "data": [request_log_summary()],
                "next_cursor": REQ,
                "previous_cursor": null
            }),
        },
        Example {
            method: "get",
            path: "/api/v1/request-logs/{id}",
            call: "/api/v1/request-logs/req_01kq3v8e4m7x2c9dztw5hb6n0r",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: request_log(),
        },
        Example {
            method: "get",
            path: "/api/v1/connections",
            call: "/api/v1/connections?limit=1",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: json!({"data": [connection()], "next_cursor": CONN, "previous_cursor": null}),
        },
        Example {
            method: "get",
            path: "/api/v1/connections/{id}",
            call: "/api/v1/connections/conn_01kmxg2a7c5ph3rw9ytzd4f8qe",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: connection(),
        },
        Example {
            method: "get",
            path: "/api/v1/connections/{id}/sync-runs",
            call: "/api/v1/connections/conn_01kmxg2a7c5ph3rw9ytzd4f8qe/sync-runs?limit=1",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: json!({
                "data": [sync_run()],
                "next_cursor": "run_01kq3s6b2d8f4h0j9k7m5n3p1q",
                "previous_cursor": null
            }),
        },
        Example {
            method: "post",
            path: "/api/v1/backfills",
            call: "/api/v1/backfills",
            key: "backfills",
            headers: &["Idempotency-Key: orders-outage-2026-11"],
            request: Some(json!({
                "connection_ids": [CONN],
                "data_objects": ["orders", "customers"],
                "range": "last_30_days",
                "reason": "Orders missing since the November outage"
            })),
            status: "201",
            response: backfill("queued"),
        },
        Example {
            method: "get",
            path: "/api/v1/backfills/{id}",
            call: "/api/v1/backfills/bf_01kq3w0c5e7g9j2k4m6n8p0r3s",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: backfill("succeeded"),
        },
        Example {
            method: "get",
            path: "/api/v1/webhook-deliveries",
            call: "/api/v1/webhook-deliveries?status=retrying&limit=1",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: json!({
                "data": [delivery()],
                "next_cursor": "dlv_01kq3t4v6x8z0b2d4f6h8k0m2n",
                "previous_cursor": null
            }),
        },
        Example {
            method: "get",
            path: "/api/v1/issues",
            call: "/api/v1/issues?status=open&limit=1",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: json!({"data": [issue()], "next_cursor": ISSUE, "previous_cursor": null}),
        },
        Example {
            method: "get",
            path: "/api/v1/issues/{id}",
            call: "/api/v1/issues/iss_01kq2z8r3t5v7x9z1b3d5f7h9k",
            key: "read",
            headers: &[],
            request: None,
            status: "200",
            response: {
                let mut v = issue();
                v["connection_ids"] = json!(["conn_01kmxh7d2f4g6j8k0m2n4p6q8r"]);
                v["timeline"] = json!([{
                    "at": "2026-12-07T13:00:03.981Z",
                    "action": "opened",
                    "actor": null,
                    "detail": "invoices failed 3 runs in a row; the last: NetSuite returned 503 Service Unavailable after 3 retries"
                }]);
                v
            },
        },
    ]
}

/// The OpenAPI document with the examples in it: `example` on each documented request body and
/// success response, the curl line as `x-codeSamples`, and the console's origin as the server.
pub fn annotate(doc: &mut Value, base: &str) {
    doc["servers"] = json!([{"url": base, "description": "This console"}]);
    for e in all() {
        let Some(op) = doc["paths"].get_mut(e.path).and_then(|p| p.get_mut(e.method)) else { continue };
        if let Some(req) = &e.request {
            if let Some(content) = op.pointer_mut("/requestBody/content/application~1json") {
                content["example"] = req.clone();
            }
        }
        if let Some(content) = op.pointer_mut(&format!("/responses/{}/content/application~1json", e.status)) {
            content["example"] = e.response.clone();
        }
        op["x-codeSamples"] = json!([{"lang": "Shell", "label": "curl", "source": e.curl(base)}]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::api::v1::{backfills, connections, issues, request_logs, webhook_deliveries};
    use crate::server::ingest;
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    /// Read through the wire type and written back: equal only if every field is there, spelled
    /// as the type spells it, and nothing else.
    fn round_trip<T: DeserializeOwned + Serialize>(v: &Value) -> Value {
        let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v:#}"));
        serde_json::to_value(t).unwrap()
    }

    /// Fields left out of a request are optional ones: written back they are null.
    fn without_nulls(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
            v => v,
        }
    }

    fn items<T: DeserializeOwned + Serialize>(v: &Value) {
        for item in v["items"].as_array().unwrap() {
            assert_eq!(&without_nulls(round_trip::<T>(item)), item);
        }
    }

    #[test]
    fn every_example_is_what_its_wire_type_reads_and_writes() {
        let all = all();
        assert_eq!(all.len(), 15, "one example per operation");
        for e in &all {
            let r = &e.response;
            let back = match (e.method, e.path) {
                ("post", "/api/v1/ingest/request-logs") => {
                    items::<ingest::RequestLogItem>(e.request.as_ref().unwrap());
                    round_trip::<ingest::IngestResult>(r)
                }
                ("post", "/api/v1/ingest/connection-status") => {
                    items::<ingest::ConnectionStatusItem>(e.request.as_ref().unwrap());
                    round_trip::<ingest::IngestResult>(r)
                }
                ("post", "/api/v1/ingest/events") => {
                    items::<ingest::EventItem>(e.request.as_ref().unwrap());
                    round_trip::<ingest::IngestResult>(r)
                }
                ("post", "/api/v1/ingest/sync-runs/claim") => {
                    let _: ingest::ClaimRequest = serde_json::from_value(e.request.clone().unwrap()).unwrap();
                    round_trip::<ingest::ClaimResult>(r)
                }
                ("post", "/api/v1/ingest/sync-runs") => {
                    items::<ingest::SyncRunItem>(e.request.as_ref().unwrap());
                    round_trip::<ingest::SyncRunResult>(r)
                }
                ("get", "/api/v1/request-logs") => round_trip::<request_logs::RequestLogList>(r),
                ("get", "/api/v1/request-logs/{id}") => round_trip::<request_logs::RequestLog>(r),
                ("get", "/api/v1/connections") => round_trip::<connections::ConnectionList>(r),
                ("get", "/api/v1/connections/{id}") => round_trip::<connections::Connection>(r),
                ("get", "/api/v1/connections/{id}/sync-runs") => round_trip::<connections::SyncRunList>(r),
                ("post", "/api/v1/backfills") => {
                    let _: backfills::NewBackfillRequest =
                        serde_json::from_value(e.request.clone().unwrap()).unwrap();
                    round_trip::<backfills::Backfill>(r)
                }
                ("get", "/api/v1/backfills/{id}") => round_trip::<backfills::Backfill>(r),
                ("get", "/api/v1/webhook-deliveries") => {
                    round_trip::<webhook_deliveries::WebhookDeliveryList>(r)
                }
                ("get", "/api/v1/issues") => round_trip::<issues::IssueList>(r),
                ("get", "/api/v1/issues/{id}") => round_trip::<issues::IssueDetail>(r),
                other => panic!("no wire type for {other:?}"),
            };
            assert_eq!(&back, r, "{} {}", e.method, e.path);
        }
    }

    #[test]
    fn every_documented_operation_has_an_example() {
        use utoipa::OpenApi;
        let mut doc = serde_json::to_value(crate::server::api::ApiDoc::openapi()).unwrap();
        annotate(&mut doc, "https://console.example.com");
        assert_eq!(doc["servers"][0]["url"], "https://console.example.com");
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let curl = op["x-codeSamples"][0]["source"].as_str();
                assert!(
                    curl.is_some_and(|c| c.contains("https://console.example.com/api/v1/")),
                    "{method} {path} has no curl example"
                );
                let has_response = op["responses"]
                    .as_object()
                    .unwrap()
                    .values()
                    .any(|r| !r["content"]["application/json"]["example"].is_null());
                assert!(has_response, "{method} {path} has no example response");
                if !op["requestBody"].is_null() {
                    assert!(
                        !op["requestBody"]["content"]["application/json"]["example"].is_null(),
                        "{method} {path} has no example body"
                    );
                }
            }
        }
    }

    #[test]
    fn curl_quotes_the_body_for_a_shell() {
        let e = all().into_iter().find(|e| e.path == "/api/v1/backfills").unwrap();
        let c = e.curl("http://127.0.0.1:3000");
        assert!(c.starts_with("curl -sS -X POST \"http://127.0.0.1:3000/api/v1/backfills\""), "{c}");
        assert!(
            c.contains("$SWITCHBOARD_BACKFILLS_KEY") && c.contains("Idempotency-Key: orders-outage-2026-11")
        );
        assert!(c.contains("-d '{"), "{c}");
    }
}
