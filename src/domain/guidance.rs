//! The plain next step for a failed request, from its status, normalized code, message and raw
//! platform error. This is where the console turns an error into an action.

use crate::domain::error_code;

pub struct Failure<'a> {
    pub status: i64,
    /// The unified API request's method: a read is safe to retry as it is.
    pub method: &'a str,
    pub code: Option<&'a str>,
    pub message: Option<&'a str>,
    pub platform_error: Option<&'a str>,
    pub platform_name: Option<&'a str>,
    pub connection_name: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub created_at: i64,
    pub upstream_attempts: usize,
    /// The classifier's cause (`missing_field`, `state_conflict`, ...) and the field it names.
    pub cause: Option<&'a str>,
    pub field: Option<&'a str>,
}

/// Seconds to wait, from "retry after N seconds" in the message or `retry_after` in the raw error.
pub fn retry_after_seconds(message: Option<&str>, platform_error: Option<&str>) -> Option<i64> {
    if let Some(m) = message {
        if let Some(rest) = m.split("retry after ").nth(1) {
            if let Ok(n) = rest.split_whitespace().next().unwrap_or("").parse::<i64>() {
                return Some(n);
            }
        }
    }
    let raw: serde_json::Value = serde_json::from_str(platform_error?).ok()?;
    raw.get("retry_after").and_then(|v| v.as_i64())
}

/// The field a 400 error is about: named by the normalized message ("The field X …",
/// "The value of X …", "… with this X already exists").
pub fn field_of(message: &str) -> Option<&str> {
    for marker in ["The field ", "The value of ", "with this "] {
        if let Some(rest) = message.split(marker).nth(1) {
            return rest.split_whitespace().next();
        }
    }
    None
}

fn retry_advice(method: &str, key: Option<&str>) -> String {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return "A read changes nothing, so retrying it is safe.".to_string();
    }
    match key {
        Some(k) => format!("Retrying is safe with the same idempotency key ({k}): the request will not be applied twice."),
        None => "This request had no idempotency key; send retries with an Idempotency-Key header so they cannot be applied twice.".to_string(),
    }
}

pub fn next_step(f: &Failure) -> String {
    let platform = f.platform_name.unwrap_or("The platform");
    let connection =
        f.connection_name.map(|c| format!("\u{201c}{c}\u{201d}")).unwrap_or_else(|| "this connection".into());
    // What the classifier found decides first where it names something a person can act on.
    match f.cause {
        Some("state_conflict") => {
            return format!(
                "{platform} refused the change because of the record's current state (a closed period, a paid, voided or archived record, or a concurrent edit): the raw error below gives {platform}'s reason. Check the record in {platform}; sending the same request again will fail the same way."
            )
        }
        Some("plan_unavailable") => {
            return format!(
                "The {platform} account behind {connection} does not have the plan, subscription or feature this needs (or it is suspended). Ask the end customer to enable or upgrade it in {platform}; retrying will not help until then."
            )
        }
        Some("payment_declined") => {
            return format!(
                "{platform} declined the payment (the card, bank or payer refused it). Ask the customer for another payment method; retrying the same payment will not succeed."
            )
        }
        Some("malformed_request") => {
            return format!(
                "{platform} could not read the request the unified API built for it: this is not something the caller can fix. Send this request ID to support."
            )
        }
        Some("permission_missing") => {
            return format!(
                "{platform} refused access: the connected account lacks a permission or scope this needs. Ask the end customer to grant it and reconnect {connection}."
            )
        }
        _ => {}
    }
    match (f.status, f.code) {
        (401, _) | (_, Some("unauthorized")) => format!(
            "The {platform} credentials of {connection} have expired or were revoked. Ask the end customer to reconnect {connection}; every request through it fails until they do."
        ),
        (403, _) => format!(
            "{platform} refused access. Ask the end customer to grant the missing permission and reconnect {connection}, or check that the API key belongs to this environment."
        ),
        (429, _) => {
            let wait = retry_after_seconds(f.message, f.platform_error);
            match wait {
                Some(s) => {
                    let reset = chrono::DateTime::from_timestamp_millis(f.created_at + s * 1000)
                        .map(|d| d.format("%H:%M:%S UTC").to_string())
                        .unwrap_or_default();
                    format!("{platform} rate-limited {connection}. Back off and retry after {s} seconds (the limit reset at {reset}); spread bulk work over time.")
                }
                None => format!("{platform} rate-limited {connection}. Back off and retry after the time in the Retry-After header; spread bulk work over time."),
            }
        }
        (503, _) | (_, Some("platform-unavailable")) => format!(
            "{platform} timed out or is having an outage ({} upstream attempt{}). {} Retry later.",
            f.upstream_attempts,
            if f.upstream_attempts == 1 { "" } else { "s" },
            retry_advice(f.method, f.idempotency_key)
        ),
        (500, _) => format!(
            "The unified API failed internally; the platform was not at fault. {} If it keeps failing, send this request ID to support.",
            retry_advice(f.method, f.idempotency_key)
        ),
        (400, Some(code)) => {
            let spec = error_code(code).map(|s| s.next_step).unwrap_or("Read the raw platform error below.");
            // The field the normalized message names, else the one the classifier read in the
            // platform's error (spelled as the platform spells it).
            match f.message.and_then(field_of).or(f.field) {
                Some(field) => match f.message {
                    Some(m) => format!("Field {field}: {m} {spec}"),
                    None => format!("Field {field} ({platform}): {spec}"),
                },
                None => spec.to_string(),
            }
        }
        (_, Some(code)) => error_code(code)
            .map(|s| s.next_step.to_string())
            .unwrap_or_else(|| "Read the raw platform error below.".into()),
        _ => "Read the response body below.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: i64, code: &'static str, message: &'static str) -> Failure<'static> {
        Failure {
            status,
            method: "POST",
            code: Some(code),
            message: Some(message),
            platform_error: None,
            platform_name: Some("Xero"),
            connection_name: Some("Bluebird Bakery"),
            idempotency_key: Some("idem_1"),
            created_at: 0,
            upstream_attempts: 3,
            cause: None,
            field: None,
        }
    }

    #[test]
    fn a_read_is_never_told_to_add_an_idempotency_key() {
        for (status, code) in [(503, "platform-unavailable"), (500, "internal-error")] {
            let get = next_step(&Failure { method: "GET", ..failure(status, code, "") });
            assert!(!get.contains("dempotency"), "{get}");
            assert!(get.contains("retrying it is safe"), "{get}");
            // A write is (the test's failure carries the key `idem_1`).
            let post = next_step(&failure(status, code, ""));
            assert!(post.contains("same idempotency key (idem_1)"), "{post}");
            let unkeyed = next_step(&Failure { idempotency_key: None, ..failure(status, code, "") });
            assert!(unkeyed.contains("Idempotency-Key header"), "{unkeyed}");
        }
    }

    #[test]
    fn each_cause_gets_its_own_action() {
        assert!(next_step(&failure(401, "unauthorized", "x")).contains("reconnect"));
        let rl = next_step(&failure(429, "rate-limited", "Xero rate limit reached; retry after 42 seconds."));
        assert!(rl.contains("42 seconds") && rl.contains("00:00:42 UTC"), "{rl}");
        let missing = next_step(&failure(400, "missing-params", "The field due_date is required by Xero."));
        assert!(missing.starts_with("Field due_date:"), "{missing}");
        let outage = next_step(&failure(503, "platform-unavailable", "x"));
        assert!(outage.contains("idem_1") && outage.contains("3 upstream attempts"), "{outage}");
        let closed =
            next_step(&Failure { cause: Some("state_conflict"), ..failure(400, "operation-denied", "x") });
        assert!(
            closed.starts_with("Xero refused the change because of the record's current state"),
            "{closed}"
        );
        let field = next_step(&Failure {
            field: Some("DocNumber"),
            message: None,
            ..failure(400, "invalid-params", "")
        });
        assert!(field.starts_with("Field DocNumber (Xero):"), "{field}");
    }
}
