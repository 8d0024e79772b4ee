//! PayPal: `{"name", "message", "debug_id", "details": [{"field", "value", "location", "issue",
//! "description"}]}`; the OAuth 2.0 endpoints answer `{"error", "error_description"}`. The
//! first detail's `issue` decides when PayPal's reference documents it, otherwise the `name`.

use super::body::{key, key_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    if let (Some(err), None) = (key_text(v, "error"), key(v, "name")) {
        let stated = Stated {
            code_at: "error",
            code: Some(err),
            messages: key_text(v, "error_description").into_iter().collect(),
            field: None,
        };
        return stated.decide(ctx, "paypal", "oauth", super::general::oauth);
    }
    let name = key_text(v, "name")?;
    let detail = key(v, "details").and_then(|d| d.as_array()).and_then(|a| a.first());
    let issue = detail.and_then(|d| key_text(d, "issue"));
    let field = detail.and_then(|d| key_text(d, "field"));
    let mut messages: Vec<String> = detail.and_then(|d| key_text(d, "description")).into_iter().collect();
    messages.extend(key_text(v, "message"));
    if let Some(issue) = issue.as_deref() {
        if let Some(cause) = by_issue(issue) {
            let field = matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord)
                .then(|| field.as_deref().map(last_segment))
                .flatten();
            return Some(
                Verdict::new(cause, Confidence::High, format!("paypal.issue.{}", issue.to_ascii_lowercase()))
                    .field(field)
                    .evidence(format!("details[0].issue = {issue}")),
            );
        }
    }
    if let Some(cause) = by_name(&name) {
        return Some(
            Verdict::new(cause, Confidence::High, format!("paypal.name.{}", name.to_ascii_lowercase()))
                .evidence(format!("name = {name}")),
        );
    }
    Stated {
        code_at: "name",
        code: None,
        messages,
        field: field.as_deref().map(last_segment).map(str::to_string),
    }
    .decide(ctx, "paypal", "error", |_| None)
}

/// PayPal names fields as JSON pointers: `/purchase_units/@reference_id=='default'/amount/value`.
fn last_segment(f: &str) -> &str {
    f.rsplit('/').find(|s| !s.is_empty()).unwrap_or(f)
}

fn by_name(name: &str) -> Option<Cause> {
    Some(match name {
        "AUTHENTICATION_FAILURE" => Cause::CredentialsInvalid,
        "NOT_AUTHORIZED" | "PERMISSION_DENIED" => Cause::PermissionMissing,
        "RESOURCE_NOT_FOUND" | "INVALID_RESOURCE_ID" => Cause::NotFound,
        "RATE_LIMIT_REACHED" => Cause::RateLimited,
        "INTERNAL_SERVER_ERROR" | "SERVICE_UNAVAILABLE" => Cause::PlatformOutage,
        "MALFORMED_REQUEST"
        | "UNSUPPORTED_MEDIA_TYPE"
        | "METHOD_NOT_SUPPORTED"
        | "MEDIA_TYPE_NOT_ACCEPTABLE" => Cause::MalformedRequest,
        "DUPLICATE_INVOICE_ID" | "DUPLICATE_TRANSACTION" => Cause::DuplicateRecord,
        "DUPLICATE_REQUEST_ID" | "PAYPAL_REQUEST_ID_PREVIOUSLY_USED" => Cause::IdempotencyConflict,
        "RESOURCE_CONFLICT" | "TRANSACTION_ALREADY_REFUNDED" => Cause::StateConflict,
        "PAYMENT_DENIED" => Cause::PaymentDeclined,
        "INTERNAL_SERVICE_ERROR" => Cause::PlatformOutage,
        _ => return None,
    })
}

/// PayPal's documented issues: every `details[].issue` of the OpenAPI specifications
/// (github.com/paypal/paypal-rest-api-specifications: Orders v2, Payments v2, Invoicing v2,
/// Subscriptions v1, Catalog Products v1, Payment Method Tokens v3), each read for its cause.
fn by_issue(issue: &str) -> Option<Cause> {
    Some(match issue {
        "401" => Cause::CredentialsInvalid,
        "405"
        | "406"
        | "415"
        | "INVALID_JSON_POINTER_FORMAT"
        | "INVALID_PATCH_OPERATION"
        | "MALFORMED_REQUEST_JSON"
        | "UNSUPPORTED_PATCH_OPERATION" => Cause::MalformedRequest,
        "429" => Cause::RateLimited,
        "500" | "503" => Cause::PlatformOutage,
        "3DS_CARDS_NOT_SUPPORTED"
        | "AUTHORIZATION_AMOUNT_EXCEEDED"
        | "AUTH_CAPTURE_NOT_ENABLED"
        | "CARD_SUBSCRIPTIONS_NOT_ENABLED"
        | "COUNTRY_NOT_SUPPORTED"
        | "INVALID_ACCOUNT_STATUS"
        | "INVALID_PLATFORM_FEES_ACCOUNT"
        | "MAX_AUTHORIZATION_COUNT_EXCEEDED"
        | "MAX_CAPTURE_AMOUNT_EXCEEDED"
        | "MAX_CAPTURE_COUNT_EXCEEDED"
        | "MAX_NUMBER_OF_REFUNDS_EXCEEDED"
        | "NOT_ELIGIBLE_FOR_PAYPAL_TRANSACTION_ID_PROCESSING"
        | "NOT_ELIGIBLE_FOR_PNREF_PROCESSING"
        | "NOT_ENABLED_FOR_APPLE_PAY"
        | "NOT_ENABLED_FOR_BANK_PROCESSING"
        | "NOT_ENABLED_FOR_CARD_PROCESSING"
        | "NOT_ENABLED_FOR_GOOGLE_PAY"
        | "NOT_ENABLED_TO_VAULT_PAYMENT_SOURCE"
        | "PAYEE_ACCOUNT_LOCKED_OR_CLOSED"
        | "PAYEE_ACCOUNT_NOT_VERIFIED"
        | "PAYEE_ACCOUNT_RESTRICTED"
        | "PAYEE_NOT_ENABLED_FOR_BANK_PROCESSING"
        | "PAYEE_NOT_ENABLED_FOR_CARD_PROCESSING"
        | "PAYEE_PRICING_TIER_ID_NOT_ENABLED"
        | "PLATFORM_FEES_NOT_SUPPORTED"
        | "PLATFORM_FEE_NOT_ENABLED"
        | "REAUTHORIZATION_NOT_SUPPORTED"
        | "SAVE_ORDER_NOT_SUPPORTED"
        | "SETUP_ERROR_FOR_BANK"
        | "SHIPPING_TYPE_NOT_SUPPORTED_FOR_CLIENT"
        | "TRANSACTION_LIMIT_EXCEEDED"
        | "TRANSACTION_RECEIVING_LIMIT_EXCEEDED"
        | "USER_ACCOUNT_CLOSED" => Cause::PlanUnavailable,
        "ACTION_DOES_NOT_MATCH_INTENT"
        | "AMOUNT_CANNOT_BE_SPECIFIED"
        | "AMOUNT_CHANGE_NOT_ALLOWED"
        | "AMOUNT_GREATER_THAN_OUTSTANDING_BALANCE"
        | "AMOUNT_MISMATCH"
        | "APPLE_PAY_AMOUNT_MISMATCH"
        | "AUTHORIZATION_CURRENCY_MISMATCH"
        | "AUTH_CAPTURE_CURRENCY_MISMATCH"
        | "AUTH_CURRENCY_MISMATCH"
        | "BILLING_ADDRESS_INVALID"
        | "BILLING_AGREEMENT_ID_MISMATCH"
        | "BILLING_AGREEMENT_NOT_FOUND"
        | "CANNOT_BE_NEGATIVE"
        | "CANNOT_BE_ZERO_OR_NEGATIVE"
        | "CAPTURE_ID_NOT_FOUND"
        | "CARD_BRAND_NOT_SUPPORTED"
        | "CARD_TYPE_NOT_SUPPORTED"
        | "COUNTRY_NOT_SUPPORTED_BY_PAYMENT_SOURCE"
        | "CURRENCY_MISMATCH"
        | "CURRENCY_NOT_SUPPORTED_FOR_BANK"
        | "CURRENCY_NOT_SUPPORTED_FOR_CARD_TYPE"
        | "CURRENCY_NOT_SUPPORTED_FOR_COUNTRY"
        | "CURRENCY_NOT_SUPPORTED_FOR_RECEIVER"
        | "DECIMALS_NOT_SUPPORTED"
        | "DECIMAL_PRECISION"
        | "DOMESTIC_TRANSACTION_REQUIRED"
        | "DONATION_ITEMS_NOT_SUPPORTED"
        | "FIXED_PRICE_NOT_SUPPORTED"
        | "GOOGLE_PAY_GATEWAY_MERCHANT_ID_MISMATCH"
        | "IBAN_COUNTRY_NOT_SUPPORTED"
        | "IDENTIFIER_NOT_FOUND"
        | "INCOMPATIBLE_PARAMETER_VALUE"
        | "INVALID_ARRAY_MAX_ITEMS"
        | "INVALID_ARRAY_MIN_ITEMS"
        | "INVALID_BILLING_CYCLE_SEQUENCE"
        | "INVALID_BILLING_TOTAL_CYCLES"
        | "INVALID_COUNTRY_CODE"
        | "INVALID_CURRENCY_CODE"
        | "INVALID_DECIMAL_VALUE"
        | "INVALID_EXPIRY_DATE"
        | "INVALID_FX_RATE_ID"
        | "INVALID_GOOGLE_PAY_TOKEN"
        | "INVALID_IBAN"
        | "INVALID_INTEGER_MAX_VALUE"
        | "INVALID_INTEGER_MIN_VALUE"
        | "INVALID_INTEGER_VALUE"
        | "INVALID_INVOICE_TYPE"
        | "INVALID_METADATA_CUSTOM_NOTE"
        | "INVALID_METADATA_INVOICE_ID"
        | "INVALID_PARAMETER"
        | "INVALID_PARAMETER_SYNTAX"
        | "INVALID_PARAMETER_VALUE"
        | "INVALID_PATCH_PATH"
        | "INVALID_PAYEE_PRICING_TIER_ID"
        | "INVALID_PAYER_ID"
        | "INVALID_PAYMENT_METHOD"
        | "INVALID_PICKUP_ADDRESS"
        | "INVALID_PLATFORM_FEES_AMOUNT"
        | "INVALID_PREVIOUS_TRANSACTION_REFERENCE"
        | "INVALID_PRICING_MODEL"
        | "INVALID_PRICING_SCHEME"
        | "INVALID_PRICING_TIER_AMOUNT"
        | "INVALID_PRICING_TIER_QUANTITY"
        | "INVALID_QUANTITY_SUPPORTED"
        | "INVALID_REFUND_AMOUNT"
        | "INVALID_REFUND_METHOD"
        | "INVALID_SECURITY_CODE_LENGTH"
        | "INVALID_STRING_LENGTH"
        | "INVALID_STRING_MAX_LENGTH"
        | "INVALID_STRING_MIN_LENGTH"
        | "INVALID_TRIAL_BILLING_TOTAL_CYCLES"
        | "ITEM_CATEGORY_NOT_SUPPORTED_BY_PAYMENT_SOURCE"
        | "ITEM_SKU_MISMATCH"
        | "ITEM_TOTAL_MISMATCH"
        | "MAX_VALUE_EXCEEDED"
        | "MERCHANT_INITIATED_WITH_AUTHENTICATION_RESULTS"
        | "MERCHANT_INITIATED_WITH_MULTIPLE_PURCHASE_UNITS"
        | "MERCHANT_INITIATED_WITH_SECURITY_CODE"
        | "MISMATCHED_VAULT_ID_TO_PAYMENT_SOURCE"
        | "MORE_THAN_TWO_TRIAL_BILLING_CYCLE_NOT_SUPPORTED"
        | "MSP_NOT_SUPPORTED"
        | "MULTIPLE_FREE_TRIAL_BILLING_CYCLES_NOT_SUPPORTED"
        | "MULTIPLE_ITEM_CATEGORIES"
        | "MULTIPLE_REGULAR_BILLING_CYCLES_NOT_SUPPORTED"
        | "MULTIPLE_SHIPPING_ADDRESS_NOT_SUPPORTED"
        | "MULTIPLE_SHIPPING_OPTION_SELECTED"
        | "MULTIPLE_SHIPPING_TYPE_NOT_SUPPORTED"
        | "MULTI_CURRENCY_ORDER"
        | "NOT_SUPPORTED"
        | "ONLY_ONE_BANK_SOURCE_ALLOWED"
        | "ONLY_ONE_PAYMENT_SOURCE_ALLOWED"
        | "ORDER_COMPLETE_ON_PAYMENT_APPROVAL"
        | "OVERLAPPING_PRICING_SCHEME_TIERS"
        | "PAYEE_ACCOUNT_INVALID"
        | "PAYEE_COUNTRY_NOT_SUPPORTED_FOR_PAYMENT_SOURCE"
        | "PAYEE_FX_RATE_ID_CURRENCY_MISMATCH"
        | "PAYEE_FX_RATE_ID_EXPIRED"
        | "PAYMENT_AMOUNT_GREATER_THAN_AMOUNT_DUE"
        | "PAYMENT_SOURCE_MISMATCH"
        | "PAYMENT_SOURCE_NOT_SUPPORTED"
        | "PAYMENT_TYPE_NOT_SUPPORTED_FOR_INTENT"
        | "PAYPAL_TRANSACTION_ID_EXPIRED"
        | "PAYPAL_TRANSACTION_ID_NOT_FOUND"
        | "PLAN_PRODUCT_NOT_COMPATIBLE"
        | "PLATFORM_FEE_EXCEEDED"
        | "PLATFORM_FEE_PAYEE_CANNOT_BE_SAME_AS_PAYER"
        | "PNREF_EXPIRED"
        | "PNREF_NOT_FOUND"
        | "PREFERRED_PAYMENT_SOURCE_MISMATCH"
        | "PREFERRED_SHIPPING_OPTION_AMOUNT_MISMATCH"
        | "REFERENCE_ID_NOT_FOUND"
        | "REFUND_AMOUNT_EXCEEDED"
        | "REFUND_AMOUNT_TOO_LOW"
        | "REFUND_CAPTURE_CURRENCY_MISMATCH"
        | "SHIPPING_ADDRESS_INVALID"
        | "SHIPPING_OPTIONS_NOT_SUPPORTED"
        | "SHIPPING_OPTION_NOT_SELECTED"
        | "SUBSCRIPTION_CANNOT_HAVE_QUANTITY"
        | "TAX_TOTAL_MISMATCH"
        | "TOKEN_EXPIRED"
        | "TOKEN_ID_NOT_FOUND"
        | "UNSUPPORTED_INTENT"
        | "UNSUPPORTED_INTENT_FOR_PAYMENT_SOURCE"
        | "UNSUPPORTED_PATCH_PARAMETER_VALUE"
        | "UNSUPPORTED_PAYMENT_INSTRUCTION"
        | "UNSUPPORTED_PROCESSING_INSTRUCTION"
        | "UNSUPPORTED_SHIPPING_TYPE"
        | "VALUE_CANNOT_BE_ZERO"
        | "VAULT_INSTRUCTION_DUPLICATED" => Cause::InvalidValue,
        "AGREEMENT_ALREADY_CANCELLED"
        | "AMOUNT_NOT_PATCHABLE"
        | "AUTHORIZATION_ALREADY_CAPTURED"
        | "AUTHORIZATION_DENIED"
        | "AUTHORIZATION_EXPIRED"
        | "AUTHORIZATION_VOIDED"
        | "BILLING_CYCLE_EXECUTION_COMPLETED"
        | "CANNOT_BE_VOIDED"
        | "CANNOT_CANCEL_DRAFT_INVOICE"
        | "CANNOT_CANCEL_PAID_INVOICE"
        | "CANNOT_CANCEL_REFUNDED_INVOICE"
        | "CANNOT_CANCEL_SCHEDULED_INVOICE"
        | "CANNOT_DELETE_EXTERNAL_PAYMENT"
        | "CANNOT_PROCESS_PAYMENTS"
        | "CANNOT_PROCESS_REFUNDS"
        | "CANNOT_REMIND_INVOICE"
        | "CAPTURE_FULLY_REFUNDED"
        | "CAPTURE_STATUS_NOT_VALID"
        | "FIELD_NOT_PATCHABLE"
        | "INVALID_START_TIME"
        | "INVOICE_CANCELED_ALREADY"
        | "NOT_PATCHABLE"
        | "ORDER_ALREADY_AUTHORIZED"
        | "ORDER_ALREADY_CAPTURED"
        | "ORDER_ALREADY_COMPLETED"
        | "ORDER_CANNOT_BE_CONFIRMED"
        | "ORDER_CANNOT_BE_SAVED"
        | "ORDER_COMPLETED_OR_VOIDED"
        | "ORDER_COMPLETION_IN_PROGRESS"
        | "ORDER_EXPIRED"
        | "ORDER_IS_PENDING_APPROVAL"
        | "ORDER_NOT_APPROVED"
        | "PARTIAL_REFUND_NOT_ALLOWED"
        | "PAYMENT_ALREADY_APPROVED"
        | "PENDING_CAPTURE"
        | "PLAN_STATUS_INACTIVE"
        | "PLAN_STATUS_INVALID"
        | "PREVIOUSLY_CAPTURED"
        | "PREVIOUSLY_VOIDED"
        | "PREVIOUS_TRANSACTION_REFERENCE_HAS_CHARGEBACK"
        | "PREVIOUS_TRANSACTION_REFERENCE_VOIDED"
        | "PRICING_SCHEME_UPDATE_NOT_ALLOWED"
        | "REFUND_FAILED_INSUFFICIENT_FUNDS"
        | "REFUND_NOT_ALLOWED"
        | "REFUND_NOT_PERMITTED_DUE_TO_CHARGEBACK"
        | "REFUND_TIME_LIMIT_EXCEEDED"
        | "SUBSCRIPTION_CANNOT_BE_ACTIVATED"
        | "SUBSCRIPTION_STATUS_INVALID"
        | "TRANSACTION_DISPUTED"
        | "ZERO_OUTSTANDING_BALANCE" => Cause::StateConflict,
        "ALIAS_DECLINED_BY_PROCESSOR"
        | "CARD_EXPIRED"
        | "COMPLIANCE_VIOLATION"
        | "DECLINED_DUE_TO_RELATED_TXN"
        | "INSTRUMENT_DECLINED"
        | "MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED"
        | "PAYEE_BLOCKED_TRANSACTION"
        | "PAYER_ACCOUNT_LOCKED_OR_CLOSED"
        | "PAYER_ACCOUNT_RESTRICTED"
        | "PAYER_ACTION_REQUIRED"
        | "PAYER_CANNOT_PAY"
        | "PAYMENT_DENIED"
        | "PAYMENT_SOURCE_CANNOT_BE_USED"
        | "PAYMENT_SOURCE_DECLINED_BY_PROCESSOR"
        | "PAYMENT_SOURCE_INFO_CANNOT_BE_VERIFIED"
        | "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING"
        | "REFERENCED_CARD_EXPIRED"
        | "SUBSCRIBER_ACCOUNT_CLOSED"
        | "SUBSCRIBER_ACCOUNT_LOCKED"
        | "SUBSCRIBER_ACCOUNT_RESTRICTED"
        | "TRANSACTION_BLOCKED_BY_PAYEE"
        | "TRANSACTION_REFUSED" => Cause::PaymentDeclined,
        "BLIK_ONE_CLICK_MISSING_REQUIRED_PARAMETER"
        | "CANCEL_URL_REQUIRED"
        | "CARD_EXPIRY_REQUIRED"
        | "CARD_NUMBER_REQUIRED"
        | "CITY_REQUIRED"
        | "CRYPTOGRAM_REQUIRED"
        | "EMV_DATA_REQUIRED"
        | "ITEM_TOTAL_REQUIRED"
        | "MISSING_CRYPTOGRAM"
        | "MISSING_PICKUP_ADDRESS"
        | "MISSING_PREVIOUS_REFERENCE"
        | "MISSING_PRICING_SCHEME_TIERS"
        | "MISSING_REGULAR_BILLING_CYCLE"
        | "MISSING_REQUEST_BODY"
        | "MISSING_REQUIRED_PARAMETER"
        | "NO_PAYMENT_SOURCE_PROVIDED"
        | "ONE_OF_PARAMETERS_REQUIRED"
        | "ONE_OF_THE_PARAMETERS_REQUIRED"
        | "PATCH_PATH_REQUIRED"
        | "PATCH_VALUE_REQUIRED"
        | "PAYPAL_REQUEST_ID_REQUIRED"
        | "POSTAL_CODE_REQUIRED"
        | "REFERENCE_ID_REQUIRED"
        | "REQUIRED_PARAMETER_FOR_CUSTOMER_INITIATED_PAYMENT"
        | "REQUIRED_PARAMETER_FOR_PAYMENT_SOURCE"
        | "RETURN_URL_REQUIRED"
        | "TAX_TOTAL_REQUIRED"
        | "VAULT_INSTRUCTION_REQUIRED" => Cause::MissingField,
        "CANNOT_DELETE_GLOBAL_TEMPLATE"
        | "CONSENT_NEEDED"
        | "NOT_ELIGIBLE_FOR_TOKEN_PROCESSING"
        | "PERMISSION_DENIED"
        | "PERMISSION_DENIED_FOR_DONATION_ITEMS"
        | "REFUND_IS_RESTRICTED" => Cause::PermissionMissing,
        "DUPLICATE_INVOICE_ID"
        | "DUPLICATE_REFERENCE_ID"
        | "DUPLICATE_RESOURCE_IDENTIFIER"
        | "TEMPLATE_NAME_ALREADY_EXISTS" => Cause::DuplicateRecord,
        "INVALID_RESOURCE_ID" | "TRACKER_ID_NOT_FOUND" | "USER_NOT_FOUND" => Cause::NotFound,
        "DUPLICATE_REQUEST_ID" | "PAYPAL_REQUEST_ID_PREVIOUSLY_USED" => Cause::IdempotencyConflict,
        _ => return None,
    })
}
