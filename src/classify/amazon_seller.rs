//! Amazon Selling Partner API: the ErrorList `{"errors": [{"code", "message", "details"}]}`
//! (also inside an operation's response and per item of batch responses), the Listings Items
//! API's `{"status": "INVALID", "issues": [{"code", "message", "severity", "attributeNames",
//! "categories"}]}` with 200, and Login with Amazon's `{"error", "error_description"}`. SP-API
//! answers 403 `Unauthorized` for an expired token and for a missing role alike: the `details`
//! tell them apart.

use serde_json::Value;

use super::body::{key, key_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    if let Some(err) = key(v, "error").and_then(Value::as_str) {
        let cause = super::general::oauth(err)?;
        return Some(
            Verdict::new(cause, Confidence::High, format!("amazon_seller.lwa.{err}"))
                .evidence(format!("error = {err}")),
        );
    }
    if let Some(issue) = listing_issue(v) {
        return Some(issue);
    }
    let (first, status) = error_list(v).map(|e| (e, ctx.status())).or_else(|| batch_error(v))?;
    let mut messages: Vec<String> =
        key_text(first, "details").filter(|d| !d.is_empty()).into_iter().collect();
    messages.extend(key_text(first, "message"));
    let words = messages.join(" ").to_ascii_lowercase();
    let stated = Stated { code_at: "errors[0].code", code: key_text(first, "code"), messages, field: None };
    stated.decide(ctx, "amazon_seller", "error", |c| by_code(c, status, &words)).or_else(|| {
        let cause = match status {
            401 => Cause::CredentialsInvalid,
            403 => Cause::PermissionMissing,
            404 => Cause::NotFound,
            408 => Cause::Timeout,
            413 => Cause::InvalidValue,
            415 => Cause::MalformedRequest,
            429 => Cause::RateLimited,
            500 | 503 => Cause::PlatformOutage,
            _ => return None,
        };
        Some(
            Verdict::new(cause, Confidence::Medium, format!("amazon_seller.status.{status}"))
                .evidence(format!("HTTP {status}")),
        )
    })
}

fn error_list(v: &Value) -> Option<&Value> {
    key(v, "errors")?.as_array()?.first()
}

/// A batch's first failed item: `responses[].status.statusCode` with its body's errors.
fn batch_error(v: &Value) -> Option<(&Value, u16)> {
    key(v, "responses")?.as_array()?.iter().find_map(|r| {
        let status = r.pointer("/status/statusCode").and_then(Value::as_u64).filter(|s| *s >= 400)? as u16;
        Some((error_list(key(r, "body")?)?, status))
    })
}

/// The Listings Items API's first issue of severity ERROR.
fn listing_issue(v: &Value) -> Option<Verdict> {
    let issue =
        key(v, "issues")?.as_array()?.iter().find(|i| key_text(i, "severity").as_deref() == Some("ERROR"))?;
    let code = key_text(issue, "code").unwrap_or_default();
    let field = key(issue, "attributeNames")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .map(str::to_string);
    let category = key(issue, "categories")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .unwrap_or("");
    let cause = match (code.as_str(), category) {
        ("90220", _) | (_, "MISSING_ATTRIBUTE" | "MISSING_IMAGE" | "MISSING_PRICE") => Cause::MissingField,
        ("90000900" | "18155" | "18027", _)
        | (_, "INVALID_ATTRIBUTE" | "INVALID_IMAGE" | "INVALID_PRICE") => Cause::InvalidValue,
        (_, "DUPLICATE") => Cause::DuplicateRecord,
        (_, "QUALIFICATION_REQUIRED") => Cause::PermissionMissing,
        _ => {
            let stated = Stated {
                code_at: "issues[0].code",
                code: None,
                messages: key_text(issue, "message").into_iter().collect(),
                field,
            };
            return Some(stated.decide_with_status(422, "amazon_seller", "listing_issue").unwrap_or_else(
                || Verdict::new(Cause::Unknown, Confidence::Low, "amazon_seller.listing_issue"),
            ));
        }
    };
    let rule = if code.is_empty() { category.to_ascii_lowercase() } else { code.clone() };
    Some(
        Verdict::new(cause, Confidence::High, format!("amazon_seller.listing_issue.{rule}"))
            .field(field.filter(|_| {
                matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord)
            }))
            .evidence(format!("issues[0].code = {code}")),
    )
}

/// The codes of the SP-API models' error examples; several are families whose message tells
/// which member (InvalidInput: missing or invalid; BadRequest: absent, state or malformed).
fn by_code(code: &str, status: u16, words: &str) -> Option<Cause> {
    let missing = ["missing", "required", "cannot be null", "must be provided", "can't be null"]
        .iter()
        .any(|w| words.contains(w));
    Some(match code {
        "Unauthorized"
        | "MissingAuthenticationToken"
        | "Forbidden"
        | "ACCESS_DENIED"
        | "UnauthorizedAction" => {
            if [
                "expired",
                "revoked",
                "malformed or invalid",
                "token is missing",
                "signature",
                "security token",
            ]
            .iter()
            .any(|w| words.contains(w))
            {
                Cause::CredentialsInvalid
            } else if words.contains("deactivated") || words.contains("suspended") {
                Cause::PlanUnavailable
            } else if code == "MissingAuthenticationToken" {
                Cause::CredentialsInvalid
            } else {
                Cause::PermissionMissing
            }
        }
        "INVALID_AUTHENTICATION_TOKEN" | "UnauthorizedRequest" => Cause::CredentialsInvalid,
        "QuotaExceeded" | "TooManyRequests" | "TOO_MANY_REQUESTS" | "RequestThrottled" | "RateLimited" => {
            Cause::RateLimited
        }
        "InternalFailure"
        | "InternalError"
        | "InternalServerError"
        | "INTERNAL_SERVER_ERROR"
        | "ServiceUnavailable"
        | "SERVICE_UNAVAILABLE" => Cause::PlatformOutage,
        "RequestTimedOut" => Cause::Timeout,
        "NotFound" | "ResourceNotFound" | "RESOURCE_NOT_FOUND" | "EntityNotFound" => Cause::NotFound,
        "DuplicateRequest" | "RequestConflict" => Cause::DuplicateRecord,
        "REQUEST_SIZE_EXCEEDED" | "BATCH_SIZE_EXCEED" | "RequestEntityTooLarge" => Cause::InvalidValue,
        "INVALID_REQUEST_FORMAT" => Cause::MalformedRequest,
        "INVALID_SKU" | "INVALID_ASIN" | "INVALID_ORDER_ID" => Cause::InvalidValue,
        "ScheduleWindowExpired"
        | "FBA_ERROR_001"
        | "InsufficientBalance"
        | "InsufficientPayoutAmount"
        | "ItemQuantityNotAvailable" => Cause::StateConflict,
        "InvalidInput"
        | "InvalidRequest"
        | "BAD_REQUEST"
        | "Invalid Input"
        | "InvalidInputCode"
        | "InvalidParameterValue"
        | "InvalidInputException"
        | "400"
        | "BadRequest" => {
            if words.contains("already exists") || words.contains("duplicate") {
                Cause::DuplicateRecord
            } else if words.contains("does not exist") || words.contains("not found") && code == "BadRequest"
            {
                Cause::NotFound
            } else if missing {
                Cause::MissingField
            } else if code == "BadRequest" && (words.contains("already") || words.contains("status")) {
                Cause::StateConflict
            } else if words.contains("could not be parsed")
                || words.contains("cannot be parsed")
                || words.contains("not valid json")
            {
                Cause::MalformedRequest
            } else {
                Cause::InvalidValue
            }
        }
        _ if status == 429 => Cause::RateLimited,
        _ => return None,
    })
}
