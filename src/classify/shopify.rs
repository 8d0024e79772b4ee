//! Shopify Admin API. REST: `{"errors": ...}` where `errors` is a string, an object of field ->
//! messages, or a list, and the HTTP status carries much of the meaning (402 a frozen shop, 423
//! a locked one, 429 throttled; shopify.dev/docs/api/usage/response-codes). GraphQL: top-level
//! `errors` with `extensions.code` (`THROTTLED`, `ACCESS_DENIED`, ...), and mutations'
//! `userErrors` `[{field, message, code}]` answered with 200, whose codes are the values of the
//! Admin schema's `*ErrorCode` enums.

use serde_json::Value;

use super::body::{key, key_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json();
    let text = ctx.doc.messages().join(" | ");
    let lower = text.to_ascii_lowercase();
    if let Some(v) = v {
        if let Some(ue) = user_errors(v) {
            return user_error(ctx, ue);
        }
        if let Some(first) =
            key(v, "errors").and_then(Value::as_array).and_then(|a| a.first()).filter(|e| e.is_object())
        {
            let code = first.pointer("/extensions/code").and_then(Value::as_str);
            let message = key_text(first, "message").unwrap_or_default();
            let cause = match code {
                Some("THROTTLED") => Some(Cause::RateLimited),
                Some("ACCESS_DENIED")
                    if message.contains("Required access")
                        || message.to_ascii_lowercase().contains("scope") =>
                {
                    Some(Cause::PermissionMissing)
                }
                Some("ACCESS_DENIED") => Some(Cause::CredentialsInvalid),
                Some("SHOP_INACTIVE") => Some(Cause::PlanUnavailable),
                Some("INTERNAL_SERVER_ERROR") => Some(Cause::PlatformOutage),
                // The query costs more than any bucket holds: neither a throttle (waiting never
                // helps) nor a fault of the data. Said plainly rather than guessed.
                Some("MAX_COST_EXCEEDED") => Some(Cause::Unknown),
                // GraphQL's own validation of the query the unified API built.
                Some(
                    "undefinedField"
                    | "argumentLiteralsIncompatible"
                    | "parseError"
                    | "missingRequiredArguments",
                ) => Some(Cause::MalformedRequest),
                None if message == "Throttled" => Some(Cause::RateLimited),
                _ => None,
            };
            if let Some(cause) = cause {
                let rule = code.unwrap_or("throttled").to_ascii_lowercase();
                return Some(
                    Verdict::new(cause, Confidence::High, format!("shopify.graphql.{rule}"))
                        .evidence(format!("errors[0].extensions.code = {}", code.unwrap_or(&message))),
                );
            }
        }
    }
    let status = ctx.status();
    let by_status = match status {
        401 => Some(Cause::CredentialsInvalid),
        402 | 423 | 501 => Some(Cause::PlanUnavailable),
        403 if lower.contains("non-expiring access tokens") => Some(Cause::CredentialsInvalid),
        403 if lower.contains("unavailable shop") => Some(Cause::PlanUnavailable),
        403 => Some(Cause::PermissionMissing),
        404 => Some(Cause::NotFound),
        405 | 406 | 414 | 415 | 783 => Some(Cause::MalformedRequest),
        409 => Some(Cause::StateConflict),
        429 => Some(Cause::RateLimited),
        500 | 502 | 503 | 530 | 540 => Some(Cause::PlatformOutage),
        504 => Some(Cause::Timeout),
        400 if lower.contains("required parameter missing or invalid") => Some(Cause::MalformedRequest),
        _ => None,
    };
    if let Some(cause) = by_status {
        return Some(
            Verdict::new(cause, Confidence::High, format!("shopify.status.{status}"))
                .evidence(format!("HTTP {status}")),
        );
    }
    let errors = v.and_then(|v| key(v, "errors").or_else(|| key(v, "error")))?;
    // `{"errors": {"email": ["has already been taken"]}}` names its field by key; `base` is the
    // record as a whole.
    let field = errors.as_object().and_then(innermost_field);
    let record_rule = errors.as_object().is_some_and(|m| m.contains_key("base"));
    let stated = Stated { code_at: "errors", code: None, messages: ctx.doc.messages(), field };
    stated.decide(ctx, "shopify", "rest", |_| None).or_else(|| {
        // A 422 is a semantic failure of the request's data: on a field when `errors` names one,
        // of the record's state when it is `base` (the record as a whole).
        match (status, record_rule, &stated.field) {
            (422, true, _) => Some(Cause::StateConflict),
            (422, false, Some(_)) => Some(Cause::InvalidValue),
            _ => None,
        }
        .map(|cause| {
            Verdict::new(cause, Confidence::Medium, "shopify.status.422.errors")
                .field(stated.field.clone().filter(|_| cause == Cause::InvalidValue))
                .evidence("HTTP 422")
        })
    })
}

/// The field a REST `errors` object names, the innermost key of nested ones
/// (`{"line_items": {"0": {"variant_id": [...]}}}` names `variant_id`).
fn innermost_field(m: &serde_json::Map<String, Value>) -> Option<String> {
    let (k, v) = m.iter().find(|(k, _)| k.as_str() != "base")?;
    match v {
        Value::Object(inner) => {
            innermost_field(inner).or_else(|| (k.parse::<usize>().is_err()).then(|| k.clone()))
        }
        _ => (k.parse::<usize>().is_err()).then(|| k.clone()),
    }
}

/// The first non-empty `userErrors` list of a mutation's payload (`data.<mutation>.userErrors`).
fn user_errors(v: &Value) -> Option<&Value> {
    let data = key(v, "data")?.as_object()?;
    data.values().find_map(|m| {
        let ue = key(m, "userErrors").or_else(|| key(m, "customerUserErrors"))?;
        ue.as_array().filter(|a| !a.is_empty()).and_then(|a| a.first())
    })
}

fn user_error(ctx: &Ctx, e: &Value) -> Option<Verdict> {
    let path: Vec<String> = match key(e, "field") {
        Some(Value::Array(a)) => a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let field = path.iter().rev().find(|s| s.parse::<usize>().is_err()).cloned();
    // A referenced record that does not exist is an invalid input when the field points into
    // the input, and a missing record when it names the mutation's target (`id` or nothing).
    let into_input = field.as_deref().is_some_and(|f| f != "id");
    let stated = Stated {
        code_at: "userErrors[0].code",
        code: key_text(e, "code"),
        messages: key_text(e, "message").into_iter().collect(),
        field,
    };
    stated
        .decide(ctx, "shopify", "user_error", |c| match user_error_code(c) {
            Some(Cause::NotFound) if into_input => Some(Cause::InvalidValue),
            other => other,
        })
        .or_else(|| {
            // A userError is a validation failure by definition, whatever its words.
            Some(
                Verdict::new(Cause::InvalidValue, Confidence::Low, "shopify.user_error")
                    .evidence(stated.messages.join(" ")),
            )
        })
}

/// The values of the Admin schema's `*ErrorCode` enums, exact and by their naming patterns.
fn user_error_code(code: &str) -> Option<Cause> {
    let c = code;
    Some(match c {
        "GENERIC_ERROR" | "GENERAL_ERROR" | "UNKNOWN" | "UNKNOWN_CORE_ERROR" | "UNEXPECTED_ERROR"
        | "FAILED" | "CREATE_FAILED" | "UPDATE_FAILED" | "DELETE_FAILED" | "PERSISTENCE_FAILED"
        | "NOT_SAVED" => return None,
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" => Cause::IdempotencyConflict,
        "IDEMPOTENCY_CONCURRENT_REQUEST"
        | "THROTTLED"
        | "TOO_MANY_REQUESTS"
        | "VIDEO_THROTTLE_EXCEEDED"
        | "MODEL3D_THROTTLE_EXCEEDED" => Cause::RateLimited,
        "INTERNAL_ERROR"
        | "INTERNAL_SERVER_ERROR"
        | "INTERNAL_FILE_SERVER_ERROR"
        | "SERVICE_UNAVAILABLE"
        | "TRANSIENT_ERROR"
        | "PLATFORM_ERROR"
        | "PUB_SUB_ERROR"
        | "JOB_ERROR" => Cause::PlatformOutage,
        "TIMEOUT" | "MEDIA_TIMEOUT_ERROR" => Cause::Timeout,
        "BLANK" | "REQUIRED" | "PRESENCE" | "MISSING_ARGUMENT" | "MISSING_ARGUMENTS" | "NO_INPUT"
        | "NO_KEY_ON_CREATE" => Cause::MissingField,
        "TAKEN"
        | "ALREADY_EXISTS"
        | "DUPLICATE"
        | "IMPLICIT_DUPLICATE"
        | "HANDLE_NOT_UNIQUE"
        | "BARCODE_DUPLICATE"
        | "DUPLICATE_FILENAME_ERROR"
        | "SHIPMENT_EXISTS"
        | "ALREADY_IMPORTED" => Cause::DuplicateRecord,
        "DUPLICATE_ID_IN_INPUT"
        | "DUPLICATE_INPUT_FOR_VARIANT"
        | "DUPLICATE_FIELD_INPUT"
        | "INVALID"
        | "INCLUSION"
        | "PRESENT"
        | "WRONG_LENGTH"
        | "EQUAL_TO"
        | "GREATER_THAN"
        | "GREATER_THAN_OR_EQUAL_TO"
        | "LESS_THAN"
        | "LESS_THAN_OR_EQUAL_TO"
        | "GREATER_THAN_ZERO"
        | "NOT_A_NUMBER"
        | "NOT_AN_INTEGER"
        | "NOT_IN_RANGE"
        | "VALUE_OUTSIDE_RANGE"
        | "POSITION_OUT_OF_BOUNDS"
        | "EXPIRED_CARD"
        | "CARD_NUMBER_INCORRECT"
        | "MISMATCHING_CURRENCY"
        | "CURRENCY_NOT_SUPPORTED" => Cause::InvalidValue,
        "NOT_FOUND" | "RECORD_NOT_FOUND" | "RESOURCE_NOT_FOUND" | "DOES_NOT_EXIST" | "NO_SUCH_FILE" => {
            Cause::NotFound
        }
        "INVALID_STATE"
        | "NON_READY_STATE"
        | "STALE_OBJECT"
        | "STALE_CONTRACT"
        | "NOT_EDITABLE"
        | "OPERATION_IN_PROGRESS"
        | "IN_PROGRESS"
        | "PRODUCT_SUSPENDED"
        | "CUSTOMER_REDACTED"
        | "ALREADY_REMOVED"
        | "ALL_QUANTITY_SHIPPED"
        | "INVOICE_ALREADY_PAID"
        | "AUTH_NOT_VOIDABLE"
        | "INSUFFICIENT_INVENTORY"
        | "INSUFFICIENT_FUNDS"
        | "CONTRACT_PAUSED"
        | "CONTRACT_TERMINATED"
        | "SUBSCRIPTION_NOT_ACTIVE" => Cause::StateConflict,
        "ACCESS_DENIED"
        | "MISSING_PERMISSION"
        | "NOT_AUTHORIZED"
        | "NOT_PERMITTED"
        | "APP_NOT_AUTHORIZED"
        | "UNAUTHORIZED_APP_SCOPE"
        | "USER_LACKS_PERMISSION"
        | "USER_PERMISSIONS_INSUFFICIENT"
        | "INVALID_ACCESS"
        | "APP_NOT_INSTALLED"
        | "INSTALL_REQUIRED_ERROR" => Cause::PermissionMissing,
        "FEATURE_NOT_ENABLED"
        | "CAPABILITY_NOT_ENABLED"
        | "SUBSCRIPTION_VIOLATION"
        | "SHOP_DORMANT"
        | "TRIAL_NOT_ACTIVE"
        | "GIFT_CARDS_NOT_ACTIVATED" => Cause::PlanUnavailable,
        _ if c.ends_with("_NOT_ENABLED")
            || c.ends_with("_LIMIT_EXCEEDED")
            || c.ends_with("_LIMIT_REACHED") =>
        {
            Cause::PlanUnavailable
        }
        _ if c.ends_with("_STALE")
            || c.ends_with("_LOCKED")
            || c.starts_with("IMMUTABLE")
            || c.starts_with("CANNOT_DELETE_")
            || c.starts_with("CANNOT_MODIFY_")
            || c.starts_with("CANNOT_DEACTIVATE_")
            || c.starts_with("HAS_")
            || c.ends_with("_NOT_ACTIVE")
            || c.ends_with("_ALREADY_PAID") =>
        {
            Cause::StateConflict
        }
        _ if c.ends_with("TAKEN") || c.ends_with("ALREADY_EXISTS") || c.ends_with("_DUPLICATE") => {
            Cause::DuplicateRecord
        }
        _ if c.ends_with("_NOT_FOUND") || c.ends_with("_DOES_NOT_EXIST") => Cause::NotFound,
        _ if c.starts_with("MISSING_")
            || c.ends_with("_MISSING")
            || c.ends_with("_REQUIRED")
            || c.ends_with("_BLANK")
            || c.ends_with("_EMPTY") =>
        {
            Cause::MissingField
        }
        _ if c.starts_with("INVALID_")
            || c.ends_with("_INVALID")
            || c.starts_with("INCORRECT_")
            || c.starts_with("UNSUPPORTED_")
            || c.ends_with("_MISMATCH")
            || c.starts_with("TOO_")
            || c.contains("_TOO_")
            || c.starts_with("NEGATIVE_") =>
        {
            Cause::InvalidValue
        }
        _ => return None,
    })
}
