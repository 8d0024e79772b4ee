//! BigCommerce. V3: a problem object `{"status", "title", "type", "detail", "errors": {field:
//! message}}`; V2: `[{"status", "message", "details"}]`; a few endpoints answer `{"code",
//! "message"}` or `{"error": ...}`. There is no machine error code: the status, documented per
//! endpoint, and the title's words decide; `errors`' keys name the fields.

use serde_json::Value;

use super::body::key;
use super::{general, Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json();
    // V2 answers a list; V3 batches carry their problems in `errors` or `data`.
    let problem = v.map(|v| match v {
        Value::Array(a) => a.first().unwrap_or(v),
        _ => v,
    });
    let status = problem
        .and_then(|p| key(p, "status").and_then(Value::as_u64))
        .map(|s| s as u16)
        .filter(|s| (400..600).contains(s) && ctx.status() < 400)
        .unwrap_or(ctx.status());
    let messages = ctx.doc.messages();
    let lower = messages.join(" | ").to_ascii_lowercase();
    let field = problem.and_then(|p| key(p, "errors")).and_then(|e| match e {
        Value::Object(m) => m
            .keys()
            .find(|k| !k.is_empty() && k.parse::<usize>().is_err())
            .map(|k| k.trim_start_matches('.').to_string()),
        _ => None,
    });
    let by_status = match status {
        401 => Some(Cause::CredentialsInvalid),
        403 if lower.contains("authentication required") => Some(Cause::CredentialsInvalid),
        403 if lower.contains("limit") => Some(Cause::PlanUnavailable),
        403 => Some(Cause::PermissionMissing),
        404 => Some(Cause::NotFound),
        413 => Some(Cause::InvalidValue),
        415 => Some(Cause::MalformedRequest),
        423 => Some(Cause::StateConflict),
        429 => Some(Cause::RateLimited),
        499 | 504 => Some(Cause::Timeout),
        503 if lower.contains("suspended") || lower.contains("billing") => Some(Cause::PlanUnavailable),
        500 | 502 | 503 => Some(Cause::PlatformOutage),
        507 => Some(Cause::PlanUnavailable),
        _ => None,
    };
    if let Some(cause) = by_status {
        return Some(
            Verdict::new(cause, Confidence::High, format!("bigcommerce.status.{status}"))
                .field(field.filter(|_| matches!(cause, Cause::InvalidValue)))
                .evidence(format!("HTTP {status}")),
        );
    }
    let stated = Stated { code_at: "status", code: None, messages, field };
    let verdict = stated.decide(ctx, "bigcommerce", "problem", |_| None);
    match (status, verdict) {
        // "Syntax error" / "JSON data is missing or invalid" on a 400: the body did not parse.
        (400, _) if lower.contains("syntax error") || lower.contains("json data is missing") => Some(
            Verdict::new(Cause::MalformedRequest, Confidence::High, "bigcommerce.status.400.syntax")
                .evidence("HTTP 400: Syntax error"),
        ),
        // 409 documents duplicates, orphaning deletes and bad references; 422 missing or invalid
        // data. Their words choose, at high confidence when the status agrees.
        (409 | 422, Some(mut v)) if general::status_agrees(status, v.cause) => {
            v.confidence = Confidence::High;
            Some(v)
        }
        (422, None) => Some(
            Verdict::new(Cause::InvalidValue, Confidence::Medium, "bigcommerce.status.422")
                .evidence("HTTP 422"),
        ),
        (_, v) => v,
    }
}
