//! QuickBooks Online: the `Fault` of the Accounting API, in XML
//! (`<IntuitResponse><Fault type=".."><Error code=".." element=".."><Message/><Detail/>`) or JSON
//! (`{"Fault":{"Error":[{"Message","Detail","code","element"}],"type"}}`, `fault`/`error` in
//! lower case on authentication failures), and the OAuth 2.0 token endpoint's
//! `{"error":"invalid_grant"}`. Codes from Intuit's error-code reference.

use super::body::{key, key_text, xml_child_text};
use super::{Cause, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let stated = fault(ctx)?;
    let fault_type = stated.1;
    let e = stated.0;
    let words = e.messages.join(" ").to_ascii_lowercase();
    e.decide(ctx, "quickbooks_online", "fault", |code| by_code(code, fault_type.as_deref(), &words))
        .or_else(|| by_type(ctx, fault_type.as_deref()))
}

/// The first error of the fault, and the fault's type.
fn fault(ctx: &Ctx) -> Option<(Stated, Option<String>)> {
    if let Some(v) = ctx.doc.json() {
        if let Some(f) = key(v, "Fault") {
            let ftype = key_text(f, "type");
            let first = key(f, "Error").and_then(|e| e.as_array().and_then(|a| a.first()).or(Some(e)))?;
            let message = key_text(first, "Message").unwrap_or_default();
            let code = key_text(first, "code").or_else(|| code_in_message(&message));
            return Some((
                Stated {
                    code_at: "Fault.Error[0].code",
                    code,
                    messages: [Some(message), key_text(first, "Detail")].into_iter().flatten().collect(),
                    field: key_text(first, "element"),
                },
                ftype,
            ));
        }
        // The OAuth 2.0 token endpoint.
        if let Some(err) = key_text(v, "error") {
            return Some((
                Stated {
                    code_at: "error",
                    code: Some(err),
                    messages: key_text(v, "error_description").into_iter().collect(),
                    field: None,
                },
                None,
            ));
        }
        return None;
    }
    let d = ctx.doc.xml()?;
    let fault = d.descendants().find(|n| n.is_element() && n.tag_name().name() == "Fault")?;
    let ftype = fault.attribute("type").map(str::to_string);
    let error = fault.descendants().find(|n| n.is_element() && n.tag_name().name() == "Error")?;
    let message = xml_child_text(error, "Message").unwrap_or_default();
    let code = error.attribute("code").map(str::to_string).or_else(|| code_in_message(&message));
    Some((
        Stated {
            code_at: "Fault/Error@code",
            code,
            messages: [Some(message), xml_child_text(error, "Detail")].into_iter().flatten().collect(),
            field: error.attribute("element").map(str::to_string),
        },
        ftype,
    ))
}

/// `message=AuthenticationFailed; errorCode=003200; statusCode=401` carries its code.
fn code_in_message(m: &str) -> Option<String> {
    let i = m.find("errorCode=")? + "errorCode=".len();
    let digits: String = m[i..].chars().take_while(|c| c.is_ascii_digit()).collect();
    let trimmed = digits.trim_start_matches('0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// Intuit's documented codes (the error-code reference and "handling common errors").
fn by_code(code: &str, fault_type: Option<&str>, words: &str) -> Option<Cause> {
    let code = code.trim_start_matches('0');
    // The OAuth 2.0 token endpoint.
    if let Some(cause) = super::general::oauth(code) {
        return Some(cause);
    }
    Some(match code {
        "100" | "3200" => Cause::CredentialsInvalid,
        "120" | "3100" => Cause::PermissionMissing,
        "3001" => Cause::RateLimited,
        "500" | "1050" | "2010" | "6020" => Cause::MalformedRequest,
        "600" => Cause::IdempotencyConflict,
        // "... has been made inactive": the reference exists but cannot be used.
        "610" if words.contains("made inactive") => Cause::InvalidValue,
        "610" => Cause::NotFound,
        "630" | "6140" | "6240" => Cause::DuplicateRecord,
        "800" | "5010" | "6110" | "6210" | "6540" => Cause::StateConflict,
        "2020" | "6010" | "6060" | "6080" | "6090" | "6560" => Cause::MissingField,
        "620" | "700" | "900" | "1040" | "2030" | "2050" | "2080" | "2090" | "2170" | "2210" | "2500"
        | "4000" | "4001" | "5000" | "6030" | "6040" | "6050" | "6070" | "6100" | "6250" => {
            Cause::InvalidValue
        }
        "5020" | "5030" | "6190" => Cause::PlanUnavailable,
        "10000" => Cause::PlatformOutage,
        // The generic codes (1000 operation failed, 6000 business validation): the Detail decides.
        _ if fault_type == Some("SystemFault") => Cause::PlatformOutage,
        _ => return None,
    })
}

/// A fault whose code is not in the table and whose words said nothing: its type still tells.
fn by_type(ctx: &Ctx, fault_type: Option<&str>) -> Option<Verdict> {
    let cause = match fault_type? {
        "AUTHENTICATION" | "AuthenticationFault" => Cause::CredentialsInvalid,
        "AuthorizationFault" | "AUTHORIZATION" => Cause::PermissionMissing,
        "SubscriptionFault" => Cause::PlanUnavailable,
        "SERVICE" | "SystemFault" if ctx.status() >= 500 => Cause::PlatformOutage,
        _ => return None,
    };
    Some(
        Verdict::new(
            cause,
            super::Confidence::Medium,
            format!("quickbooks_online.fault_type.{}", fault_type?.to_ascii_lowercase()),
        )
        .evidence(format!("Fault.type = {}", fault_type?)),
    )
}
