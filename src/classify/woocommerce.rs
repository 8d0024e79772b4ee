//! WooCommerce (the WordPress REST API): `{"code", "message", "data": {"status", "params",
//! "details"}}`; the legacy API's `{"errors": [{"code", "message"}]}`. WordPress answers a
//! missing capability with 401 when no user was authenticated (so the credentials were not
//! accepted) and 403 when one was (a missing permission): the status splits those codes.

use serde_json::Value;

use super::body::{key, key_text};
use super::{Cause, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    let (code, message, data) = match key(v, "errors").and_then(Value::as_array).and_then(|a| a.first()) {
        Some(first) => (key_text(first, "code"), key_text(first, "message"), None),
        None => (key_text(v, "code"), key_text(v, "message"), key(v, "data")),
    };
    let status = ctx.status();
    let field = data.and_then(field_of).or_else(|| code.as_deref().and_then(field_of_code));
    let stated = Stated { code_at: "code", code, messages: message.into_iter().collect(), field };
    let message = stated.messages.first().cloned().unwrap_or_default().to_ascii_lowercase();
    stated.decide(ctx, "woocommerce", "rest", |c| by_code(c, status, &message))
}

/// `data.params`: the names of missing parameters (a list) or invalid ones (an object).
fn field_of(data: &Value) -> Option<String> {
    match key(data, "params")? {
        Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_string),
        Value::Object(m) => m.keys().next().cloned(),
        _ => None,
    }
}

/// Codes that name their field: `woocommerce_rest_customer_invalid_email` names `email`.
fn field_of_code(code: &str) -> Option<String> {
    const NAMED: &[(&str, &str)] = &[
        ("_invalid_email", "email"),
        ("product_invalid_sku", "sku"),
        ("_coupon_code_already_exists", "code"),
        ("_empty_coupon_code", "code"),
        ("_invalid_delivery_url", "delivery_url"),
        ("_invalid_customer_id", "customer_id"),
        ("registration-error-email-exists", "email"),
        ("registration-error-username-exists", "username"),
        ("_required_product_reference", "product_id"),
    ];
    NAMED.iter().find(|(suffix, _)| code.ends_with(suffix)).map(|(_, f)| f.to_string())
}

/// The WooCommerce and WordPress REST codes (see the controllers in woocommerce/woocommerce and
/// `class-wp-rest-request.php`).
fn by_code(code: &str, status: u16, message: &str) -> Option<Cause> {
    let permission_or_credentials =
        if status == 403 { Cause::PermissionMissing } else { Cause::CredentialsInvalid };
    Some(match code {
        "woocommerce_rest_authentication_error" | "woocommerce_api_authentication_error" => {
            if message.contains("permission") || message.contains("cannot be used to access") {
                Cause::PermissionMissing
            } else if message.contains("unknown request method") {
                return None;
            } else {
                Cause::CredentialsInvalid
            }
        }
        "woocommerce_rest_authentication_missing_parameter"
        | "rest_not_logged_in"
        | "rest_cookie_invalid_nonce" => Cause::CredentialsInvalid,
        "rate_limit_exceeded" => Cause::RateLimited,
        "rest_missing_callback_param"
        | "woocommerce_rest_required_product_reference"
        | "woocommerce_rest_empty_coupon_code" => Cause::MissingField,
        "rest_invalid_param"
        | "rest_invalid_params"
        | "rest_setting_value_invalid"
        | "woocommerce_rest_request_entity_too_large" => Cause::InvalidValue,
        "rest_invalid_json" => Cause::MalformedRequest,
        "product_invalid_sku"
        | "woocommerce_rest_coupon_code_already_exists"
        | "term_exists"
        | "registration-error-email-exists"
        | "registration-error-username-exists" => Cause::DuplicateRecord,
        "rest_no_route" => Cause::NotFound,
        "woocommerce_rest_already_trashed" | "rest_already_trashed" => Cause::StateConflict,
        // The "locations not covered by your other zones" zone cannot be changed (403).
        "woocommerce_rest_shipping_zone_invalid_zone"
        | "woocommerce_rest_shipping_zone_locations_invalid_zone" => Cause::StateConflict,
        "woocommerce_api_disabled" => Cause::PlanUnavailable,
        "internal_server_error" | "wp_die" => Cause::PlatformOutage,
        _ if code.starts_with("woocommerce_rest_cannot_")
            || code.starts_with("rest_cannot_")
            || code == "rest_forbidden"
            || code.starts_with("woocommerce_rest_user_cannot_") =>
        {
            if status >= 500 {
                // A save the server could not finish ("please try again"), or a protected
                // record ("cannot be deleted").
                if message.contains("cannot be deleted") {
                    Cause::StateConflict
                } else {
                    Cause::PlatformOutage
                }
            } else if status == 400 {
                return None; // the message of the rejected insert decides
            } else {
                permission_or_credentials
            }
        }
        _ if code.ends_with("_exists") || code.contains("already_exists") => Cause::DuplicateRecord,
        _ if (code.ends_with("_invalid_id") || code.contains("_invalid_") && code.ends_with("_id"))
            && status == 404 =>
        {
            Cause::NotFound
        }
        _ if code.ends_with("_invalid") && status == 404 => Cause::NotFound,
        // `woocommerce_rest_invalid_shipping_item`: "Shipping method ID is required." The
        // family says invalid; the message says which member.
        _ if code.starts_with("woocommerce_rest_invalid_")
            || code.contains("_invalid_")
            || code.starts_with("product_invalid_") =>
        {
            if message.contains("is required") || message.contains("cannot be empty") {
                Cause::MissingField
            } else {
                Cause::InvalidValue
            }
        }
        _ => return None,
    })
}
