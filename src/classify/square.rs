//! Square: `{"errors": [{"category", "code", "detail", "field"}]}`. The `code` decides when
//! Square's error reference lists it; otherwise its `category`.

use super::body::{key, key_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let errors = key(ctx.doc.json()?, "errors")?.as_array()?;
    let first = errors.first()?;
    let category = key_text(first, "category").unwrap_or_default();
    let stated = Stated {
        code_at: "errors[0].code",
        code: key_text(first, "code"),
        messages: key_text(first, "detail").into_iter().collect(),
        field: key_text(first, "field"),
    };
    let status = ctx.status();
    // NOT_FOUND naming a field of the request body is an unknown reference, not a missing
    // record: "Did not find matching card" for `source_id`.
    let referenced = stated.field.is_some();
    stated
        .decide(ctx, "square", "error", |c| match by_code(c) {
            Some(Cause::NotFound) if referenced => Some(Cause::InvalidValue),
            other => other,
        })
        .or_else(|| {
            let cause = by_category(&category, status)?;
            Some(
                Verdict::new(
                    cause,
                    Confidence::Medium,
                    format!("square.category.{}", category.to_ascii_lowercase()),
                )
                .evidence(format!("errors[0].category = {category}")),
            )
        })
}

fn by_category(category: &str, status: u16) -> Option<Cause> {
    Some(match category {
        "AUTHENTICATION_ERROR" if status == 403 => Cause::PermissionMissing,
        "AUTHENTICATION_ERROR" => Cause::CredentialsInvalid,
        "RATE_LIMIT_ERROR" => Cause::RateLimited,
        "API_ERROR" => Cause::PlatformOutage,
        "MERCHANT_SUBSCRIPTION_ERROR" => Cause::PlanUnavailable,
        "EXTERNAL_VENDOR_ERROR" => Cause::PlatformOutage,
        "PAYMENT_METHOD_ERROR" | "REFUND_ERROR" => Cause::PaymentDeclined,
        _ => return None,
    })
}

/// Square's documented error codes (https://developer.squareup.com/reference/square/enums/ErrorCode).
fn by_code(code: &str) -> Option<Cause> {
    Some(match code {
        "UNAUTHORIZED"
        | "ACCESS_TOKEN_EXPIRED"
        | "ACCESS_TOKEN_REVOKED"
        | "CLIENT_DISABLED"
        | "V1_ACCESS_TOKEN" => Cause::CredentialsInvalid,
        "FORBIDDEN" | "INSUFFICIENT_SCOPES" | "INSUFFICIENT_PERMISSIONS" => Cause::PermissionMissing,
        "APPLICATION_DISABLED"
        | "V1_APPLICATION"
        | "CARD_PROCESSING_NOT_ENABLED"
        | "MERCHANT_SUBSCRIPTION_NOT_FOUND"
        | "SANDBOX_NOT_SUPPORTED"
        | "PAYMENT_LIMIT_EXCEEDED" => Cause::PlanUnavailable,
        "RATE_LIMITED" => Cause::RateLimited,
        "MISSING_REQUIRED_PARAMETER"
        | "VALUE_EMPTY"
        | "ARRAY_EMPTY"
        | "NO_FIELDS_SET"
        | "ONE_INSTRUMENT_EXPECTED"
        | "CUSTOMER_MISSING_NAME"
        | "CUSTOMER_MISSING_EMAIL" => Cause::MissingField,
        "IDEMPOTENCY_KEY_REUSED" => Cause::IdempotencyConflict,
        "SOURCE_USED" | "CARD_TOKEN_USED" => Cause::DuplicateRecord,
        "NOT_FOUND" | "GONE" | "APPLE_PAYMENT_PROCESSING_CERTIFICATE_HASH_NOT_FOUND" => Cause::NotFound,
        "VERSION_MISMATCH"
        | "CONFLICT"
        | "DELAYED_TRANSACTION_EXPIRED"
        | "DELAYED_TRANSACTION_CANCELED"
        | "DELAYED_TRANSACTION_CAPTURED"
        | "DELAYED_TRANSACTION_FAILED"
        | "REFUND_ALREADY_PENDING"
        | "PAYMENT_NOT_REFUNDABLE"
        | "PRECONDITION_FAILED" => Cause::StateConflict,
        "EXPECTED_JSON_BODY"
        | "INVALID_CONTENT_TYPE"
        | "INVALID_FORM_VALUE"
        | "UNSUPPORTED_MEDIA_TYPE"
        | "METHOD_NOT_ALLOWED"
        | "NOT_ACCEPTABLE"
        | "REQUEST_ENTITY_TOO_LARGE"
        | "BAD_CERTIFICATE"
        | "INVALID_ENCODING" => Cause::MalformedRequest,
        "INTERNAL_SERVER_ERROR"
        | "BAD_GATEWAY"
        | "SERVICE_UNAVAILABLE"
        | "NOT_IMPLEMENTED"
        | "TEMPORARY_ERROR" => Cause::PlatformOutage,
        "GATEWAY_TIMEOUT" | "REQUEST_TIMEOUT" => Cause::Timeout,
        "CARD_DECLINED"
        | "GENERIC_DECLINE"
        | "CVV_FAILURE"
        | "ADDRESS_VERIFICATION_FAILURE"
        | "INVALID_ACCOUNT"
        | "INSUFFICIENT_FUNDS"
        | "CARDHOLDER_INSUFFICIENT_PERMISSIONS"
        | "TRANSACTION_LIMIT"
        | "VOICE_FAILURE"
        | "PAN_FAILURE"
        | "EXPIRATION_FAILURE"
        | "CARD_EXPIRED"
        | "CARD_NOT_SUPPORTED"
        | "UNSUPPORTED_CARD_BRAND"
        | "UNSUPPORTED_ENTRY_METHOD"
        | "INVALID_ENCRYPTED_CARD"
        | "INVALID_CARD"
        | "INVALID_PIN"
        | "MANUALLY_ENTERED_PAYMENT_NOT_SUPPORTED"
        | "GIFT_CARD_AVAILABLE_AMOUNT"
        | "ACCOUNT_UNUSABLE"
        | "BUYER_REFUSED_PAYMENT"
        | "VERIFY_CVV_FAILURE"
        | "VERIFY_AVS_FAILURE"
        | "CARD_DECLINED_CALL_ISSUER"
        | "CARD_DECLINED_VERIFICATION_REQUIRED"
        | "BAD_EXPIRATION"
        | "CHIP_INSERTION_REQUIRED"
        | "ALLOWABLE_PIN_TRIES_EXCEEDED"
        | "RESERVATION_DECLINED"
        | "REFUND_DECLINED" => Cause::PaymentDeclined,
        "BAD_REQUEST" => return None, // general: its detail decides
        "INCORRECT_TYPE"
        | "INVALID_TIME"
        | "INVALID_TIME_RANGE"
        | "INVALID_VALUE"
        | "INVALID_CURSOR"
        | "UNKNOWN_QUERY_PARAMETER"
        | "CONFLICTING_PARAMETERS"
        | "INVALID_SORT_ORDER"
        | "VALUE_REGEX_MISMATCH"
        | "VALUE_TOO_SHORT"
        | "VALUE_TOO_LONG"
        | "VALUE_TOO_LOW"
        | "VALUE_TOO_HIGH"
        | "ARRAY_LENGTH_TOO_LONG"
        | "ARRAY_LENGTH_TOO_SHORT"
        | "EXPECTED_BOOLEAN"
        | "EXPECTED_INTEGER"
        | "EXPECTED_FLOAT"
        | "EXPECTED_STRING"
        | "EXPECTED_OBJECT"
        | "EXPECTED_ARRAY"
        | "EXPECTED_MAP"
        | "EXPECTED_BASE64_ENCODED_BYTE_ARRAY"
        | "INVALID_ARRAY_VALUE"
        | "INVALID_ENUM_VALUE"
        | "TOO_MANY_MAP_ENTRIES"
        | "MAP_KEY_LENGTH_TOO_SHORT"
        | "MAP_KEY_LENGTH_TOO_LONG"
        | "CUSTOMER_NOT_FOUND"
        | "INVALID_EMAIL_ADDRESS"
        | "INVALID_PHONE_NUMBER"
        | "INVALID_POSTAL_CODE"
        | "INVALID_FEES"
        | "CURRENCY_MISMATCH"
        | "LOCATION_MISMATCH"
        | "UNEXPECTED_VALUE"
        | "AMOUNT_TOO_HIGH"
        | "REFUND_AMOUNT_INVALID"
        | "UNSUPPORTED_INSTRUMENT_TYPE"
        | "UNSUPPORTED_LOYALTY_REWARD_TIER"
        | "INVALID_SQUARE_VERSION_FORMAT"
        | "API_VERSION_INCOMPATIBLE"
        | "INVALID_CARD_DATA"
        | "INVALID_EXPIRATION"
        | "INVALID_EXPIRATION_YEAR"
        | "INVALID_EXPIRATION_DATE"
        | "CARD_TOKEN_EXPIRED"
        | "SOURCE_EXPIRED"
        | "CHECKOUT_EXPIRED"
        | "INVALID_LOCATION"
        | "INVALID_DATE"
        | "UNSUPPORTED_COUNTRY"
        | "UNSUPPORTED_CURRENCY"
        | "INVALID_URL"
        | "HTTPS_ONLY"
        | "DEPRECATED_FIELD_SET" => Cause::InvalidValue,
        _ => return None,
    })
}
