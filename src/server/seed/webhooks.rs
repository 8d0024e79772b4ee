//! The demo's webhook endpoints and their deliveries and attempts.

use super::*;

/// Production has a healthy endpoint subscribed to everything and a flaky one failing since
/// yesterday; sandbox has one that answered 410 Gone and was disabled.
pub(super) fn webhook_endpoints(
    env: &Env,
    org_slug: &str,
    anchor: i64,
    rng: &mut SmallRng,
) -> Vec<WebhookEndpointRow> {
    let created = anchor - 120 * DAY;
    let specs: Vec<(String, &str, bool, Option<&str>)> = if env.environment == Environment::Production {
        vec![
            (format!("https://hooks.{org_slug}.example/switchboard"), "Main integration service", true, None),
            (format!("https://billing.{org_slug}.example/webhooks/switchboard"), "Billing sync", true, None),
        ]
    } else {
        vec![(
            format!("https://staging.{org_slug}.example/webhooks"),
            "Staging",
            false,
            Some("The endpoint answered 410 Gone; deliveries stopped."),
        )]
    };
    specs
        .into_iter()
        .enumerate()
        .map(|(k, (url, description, enabled, reason))| WebhookEndpointRow {
            id: make_id(prefix::WEBHOOK_ENDPOINT, created + k as i64, rng.gen()),
            organization_id: env.organization_id.clone(),
            environment: env.environment.as_str().into(),
            url,
            description: description.into(),
            event_types: if k == 0 {
                json!(["*"])
            } else {
                json!(["sync.completed", "connection.needs_reauth"])
            }
            .to_string(),
            enabled,
            secret: format!("whsec_{}", base64_like(rng, 32)),
            previous_secret: None,
            previous_secret_expires_at: None,
            disabled_reason: reason.map(str::to_string),
            disabled_kind: reason.map(|_| "automatic".to_string()),
            disabled_at: reason.map(|_| anchor - 3 * DAY),
            // The billing endpoint has been failing since yesterday (its deliveries below).
            failing_since: (enabled && k == 1).then_some(anchor - DAY),
            deleted_at: None,
            created_at: created,
            updated_at: created,
        })
        .collect()
}

/// Delivers every event in the batch to each subscribed endpoint, with the retry schedule of
/// DOMAIN.md (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
pub(super) fn deliveries(
    b: &mut SeedBatch,
    endpoints: &[WebhookEndpointRow],
    anchor: i64,
    rng: &mut SmallRng,
) {
    const BACKOFF: [i64; 8] = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
    let events: Vec<(String, String, i64, Option<String>)> = b
        .webhook_events
        .iter()
        .map(|e| (e.id.clone(), e.event_type.clone(), e.created_at, e.connection_id.clone()))
        .collect();
    for (event_id, event_type, t, connection_id) in events {
        for (k, ep) in endpoints.iter().enumerate() {
            let subscribed =
                k == 0 || event_type == "sync.completed" || event_type == "connection.needs_reauth";
            if !subscribed || t < ep.created_at {
                continue;
            }
            let outcomes: Vec<(Option<i64>, Option<&str>)> = if !ep.enabled {
                vec![(Some(410), Some("non_2xx"))]
            } else if k == 0 {
                if rng.gen_bool(0.06) {
                    vec![(Some(502), Some("non_2xx")), (Some(200), None)]
                } else {
                    vec![(Some(200), None)]
                }
            } else if t > anchor - DAY {
                vec![
                    (None, Some("timeout")),
                    (Some(500), Some("non_2xx")),
                    (None, Some("connection_refused")),
                ]
            } else if rng.gen_bool(0.2) {
                vec![(None, Some("timeout")), (Some(200), None)]
            } else {
                vec![(Some(200), None)]
            };
            let delivery_id = make_id(prefix::DELIVERY, t, rng.gen());
            let delivered = outcomes.last().is_some_and(|o| o.1.is_none());
            let mut at = t + 800;
            for (n, (status, failure)) in outcomes.iter().enumerate() {
                at += BACKOFF[n.min(7)];
                b.webhook_attempts.push(WebhookAttemptRow {
                    id: make_id(prefix::ATTEMPT, at, rng.gen()),
                    delivery_id: delivery_id.clone(),
                    attempt_number: n as i64 + 1,
                    attempted_at: at,
                    response_status: *status,
                    latency_ms: Some(if *failure == Some("timeout") {
                        15_000
                    } else {
                        rng.gen_range(40..900)
                    }),
                    response_body: match status {
                        Some(200) => Some("{\"received\":true}".into()),
                        Some(410) => Some("Gone".into()),
                        Some(s) => Some(format!("<html><body><h1>{s} Server Error</h1></body></html>")),
                        None => None,
                    },
                    failure: failure.map(str::to_string),
                    failure_detail: failure.map(|f| {
                        match f {
                            "timeout" => "No response within the timeout.",
                            "connection_refused" => {
                                "Connection refused: nothing is listening at that address and port."
                            }
                            _ => "The endpoint answered with an error status.",
                        }
                        .to_string()
                    }),
                    request_headers: None,
                });
            }
            let status = if delivered {
                DeliveryStatus::Delivered
            } else if !ep.enabled {
                DeliveryStatus::Failed
            } else {
                DeliveryStatus::Retrying
            };
            b.webhook_deliveries.push(WebhookDeliveryRow {
                id: delivery_id,
                event_id: event_id.clone(),
                endpoint_id: ep.id.clone(),
                status,
                attempt_count: outcomes.len() as i64,
                round_attempts: outcomes.len() as i64,
                next_attempt_at: (status == "retrying").then(|| at + BACKOFF[outcomes.len().min(7)]),
                last_attempt_at: Some(at),
                organization_id: ep.organization_id.clone(),
                environment: ep.environment.clone(),
                event_type: event_type.clone(),
                connection_id: connection_id.clone(),
                created_at: t,
                last_status: outcomes.last().and_then(|o| o.0),
                status_class: Some(
                    crate::server::store::webhooks::status_class(outcomes.last().and_then(|o| o.0))
                        .to_string(),
                ),
                last_failure: outcomes.last().and_then(|o| o.1).map(str::to_string),
            });
        }
    }
}

pub(super) fn base64_like(rng: &mut SmallRng, n: usize) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..n).map(|_| A[rng.gen_range(0..64)] as char).collect()
}
