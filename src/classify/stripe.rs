//! Stripe: `{"error": {"type", "code", "decline_code", "param", "message", "doc_url"}}`.
//! The `code` decides when Stripe's error-code reference documents it; otherwise the `type`
//! with the HTTP status (Stripe answers a bad API key with `invalid_request_error` and 401).

use super::body::{key, key_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let err = key(ctx.doc.json()?, "error")?;
    if let Some(s) = err.as_str() {
        // The OAuth endpoints (Connect) answer `{"error": "invalid_grant", ...}`.
        let stated = Stated {
            code_at: "error",
            code: Some(s.to_string()),
            messages: key_text(ctx.doc.json()?, "error_description").into_iter().collect(),
            field: None,
        };
        return stated.decide(ctx, "stripe", "oauth", super::general::oauth);
    }
    let typ = key_text(err, "type").unwrap_or_default();
    let stated = Stated {
        code_at: "error.code",
        code: key_text(err, "code"),
        messages: key_text(err, "message").into_iter().collect(),
        field: key_text(err, "param"),
    };
    let status = ctx.status();
    let message = stated.messages.first().map(String::as_str).unwrap_or("");
    // A 404 for a path Stripe does not serve is the request's shape, not a missing object.
    if message.starts_with("Unrecognized request URL") {
        return Some(
            Verdict::new(Cause::MalformedRequest, Confidence::High, "stripe.unrecognized_request_url")
                .evidence("error.message = Unrecognized request URL"),
        );
    }
    // `resource_missing` for a parameter other than the target (`No such price` for
    // `line_items[0][price]`) is a reference that does not resolve: an invalid value.
    let referenced = stated.field.as_deref().is_some_and(|p| p != "id");
    if let Some(v) = stated
        .code
        .as_deref()
        .and_then(|c| by_code(c, &typ))
        .map(|cause| if cause == Cause::NotFound && referenced { Cause::InvalidValue } else { cause })
        .map(|cause| {
            let field = matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord)
                .then(|| stated.field.clone())
                .flatten();
            Verdict::new(
                cause,
                Confidence::High,
                format!("stripe.error.{}", stated.code.as_deref().unwrap_or("")),
            )
            .field(field)
            .evidence(format!("error.code = {}", stated.code.as_deref().unwrap_or("")))
        })
    {
        return Some(v);
    }
    // No documented code: the type and the status.
    let by_type = match (typ.as_str(), status) {
        ("idempotency_error", _) => Some(Cause::IdempotencyConflict),
        ("rate_limit_error", _) | (_, 429) => Some(Cause::RateLimited),
        ("authentication_error", _) | (_, 401) => Some(Cause::CredentialsInvalid),
        ("permission_error", _) | ("invalid_request_error", 403) => Some(Cause::PermissionMissing),
        ("api_error", _) | ("api_connection_error", _) => Some(Cause::PlatformOutage),
        ("invalid_request_error", 404) => Some(Cause::NotFound),
        _ => None,
    };
    if let Some(cause) = by_type {
        return Some(
            Verdict::new(
                cause,
                Confidence::High,
                format!("stripe.type.{}", if typ.is_empty() { "none" } else { &typ }),
            )
            .evidence(format!("error.type = {typ}, HTTP {status}")),
        );
    }
    stated.decide(ctx, "stripe", "error", |_| None)
}

/// Stripe's documented error codes (https://docs.stripe.com/error-codes).
fn by_code(code: &str, typ: &str) -> Option<Cause> {
    if typ == "card_error" {
        // The card or its issuer refused the payment; `decline_code` says why.
        return Some(match code {
            "processing_error" => Cause::PlatformOutage,
            "rate_limit" | "card_decline_rate_limit_exceeded" => Cause::RateLimited,
            _ => Cause::PaymentDeclined,
        });
    }
    Some(match code {
        "api_key_expired" | "platform_api_key_expired" => Cause::CredentialsInvalid,
        "secret_key_required" | "not_allowed_on_standard_account" | "platform_account_required" => {
            Cause::PermissionMissing
        }
        "rate_limit" | "lock_timeout" => Cause::RateLimited,
        "parameter_missing"
        | "parameter_invalid_empty"
        | "parameter_invalid_string_empty"
        | "parameter_invalid_string_blank"
        | "payment_method_billing_details_address_missing"
        | "cardholder_phone_number_required"
        | "intent_verification_method_missing"
        | "invoice_no_customer_line_items"
        | "invoice_no_subscription_line_items" => Cause::MissingField,
        "resource_already_exists"
        | "bank_account_exists"
        | "account_already_exists"
        | "gift_card_code_exists"
        | "token_already_used"
        | "payment_method_bank_account_already_verified" => Cause::DuplicateRecord,
        "resource_missing" | "no_account" | "invoice_upcoming_none" => Cause::NotFound,
        "charge_already_captured"
        | "charge_already_refunded"
        | "charge_disputed"
        | "refund_disputed_payment"
        | "charge_not_refundable"
        | "charge_expired_for_capture"
        | "capture_charge_authorization_expired"
        | "capture_unauthorized_payment"
        | "invoice_not_editable"
        | "invoice_on_behalf_of_not_editable"
        | "invoice_payment_intent_requires_action"
        | "payment_intent_unexpected_state"
        | "payment_method_unexpected_state"
        | "setup_intent_unexpected_state"
        | "intent_invalid_state"
        | "status_transition_invalid"
        | "return_intent_already_processed"
        | "payment_intent_payment_attempt_expired"
        | "setup_intent_setup_attempt_expired"
        | "payment_method_microdeposit_verification_attempts_exceeded"
        | "payment_method_microdeposit_verification_timeout"
        | "payout_reconciliation_not_ready"
        | "product_inactive"
        | "sku_inactive"
        | "out_of_inventory"
        | "customer_max_subscriptions"
        | "customer_max_payment_methods"
        | "ownership_declaration_not_allowed"
        | "acss_debit_session_incomplete"
        | "financial_connections_account_inactive"
        | "gift_card_inactive"
        | "balance_insufficient"
        | "token_in_use" => Cause::StateConflict,
        "testmode_charges_only"
        | "payouts_not_allowed"
        | "transfers_not_allowed"
        | "application_fees_not_allowed"
        | "instant_payouts_config_disabled"
        | "instant_payouts_currency_disabled"
        | "instant_payouts_unsupported"
        | "instant_payouts_limit_exceeded"
        | "payouts_limit_exceeded"
        | "progressive_onboarding_limit_exceeded"
        | "charge_exceeds_source_limit"
        | "payment_method_unactivated"
        | "stripe_tax_inactive"
        | "sepa_unsupported_account"
        | "terminal_location_country_unsupported"
        | "alipay_upgrade_required"
        | "bitcoin_upgrade_required"
        | "account_error_country_change_requires_additional_steps" => Cause::PlanUnavailable,
        "tls_version_unsupported" => Cause::MalformedRequest,
        "payment_method_not_available"
        | "terminal_reader_offline"
        | "terminal_reader_busy"
        | "terminal_reader_hardware_fault" => Cause::PlatformOutage,
        "payment_method_provider_timeout" | "terminal_reader_timeout" | "order_upstream_timeout" => {
            Cause::Timeout
        }
        "card_declined"
        | "expired_card"
        | "incorrect_cvc"
        | "incorrect_number"
        | "incorrect_zip"
        | "incorrect_address"
        | "invalid_cvc"
        | "invalid_expiry_month"
        | "invalid_expiry_year"
        | "invalid_number"
        | "authentication_required"
        | "insufficient_funds"
        | "payment_intent_authentication_failure"
        | "setup_intent_authentication_failure"
        | "payment_intent_payment_attempt_failed"
        | "setup_attempt_failed"
        | "payment_method_provider_decline"
        | "payment_method_customer_decline"
        | "bank_account_declined"
        | "bank_account_unusable"
        | "bank_account_unverified"
        | "bank_account_restricted"
        | "bank_account_verification_failed"
        | "debit_not_authorized"
        | "refer_to_customer"
        | "payment_method_bank_account_blocked"
        | "payment_method_microdeposit_failed"
        | "card_decline_rate_limit_exceeded" => Cause::PaymentDeclined,
        // The same key is in flight: neither a reuse with other parameters nor anything the
        // caller did wrong; a retry later succeeds. No cause fits, so none is claimed.
        "idempotency_key_in_use" => Cause::Unknown,
        _ if code.ends_with("_invalid")
            || code.ends_with("_invalid_parameter")
            || code.ends_with("_mismatch")
            || code.ends_with("_unsupported")
            || code.starts_with("parameter_") =>
        {
            Cause::InvalidValue
        }
        "parameters_exclusive"
        | "amount_too_large"
        | "amount_too_small"
        | "invalid_charge_amount"
        | "invalid_characters"
        | "coupon_expired"
        | "invalid_source_usage"
        | "invalid_card_type"
        | "livemode_mismatch"
        | "payment_method_unsupported_type"
        | "payment_intent_incompatible_payment_method"
        | "token_card_network_invalid"
        | "taxes_calculation_failed"
        | "shipping_calculation_failed"
        | "missing"
        | "clearing_code_unsupported" => Cause::InvalidValue,
        _ => return None,
    })
}
