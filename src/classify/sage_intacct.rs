//! Sage Intacct. The XML API answers 200 with the failure inside: at the control, the
//! authentication or a function's result, each `<errormessage><error><errorno>`,
//! `<description>`, `<description2>`, `<correction>`; the first error is the cause, later ones
//! ("Could not create ... record!", XL03000009 "rolled back") are its consequences. Gateway
//! errors are `GW-nnnn`. The REST API answers `{"ia::result": {"ia::error": {"code", "message",
//! "details": [{"code", "message", "target"}]}}}` or `{"error": {"code", "message"}}`, with
//! documented statuses; its OAuth endpoint answers `{"error": "invalid_grant"}`.
//! Intacct publishes no errorno table: the prefixes and the texts decide.

use serde_json::Value;

use super::body::{key, key_text, xml_child_text};
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    if let Some(v) = ctx.doc.json() {
        return rest(ctx, v);
    }
    let d = ctx.doc.xml()?;
    // The first error that is not a consequence of another.
    let errors: Vec<_> =
        d.descendants().filter(|n| n.is_element() && n.tag_name().name() == "error").collect();
    let consequence = |e: &roxmltree::Node| {
        let no = xml_child_text(*e, "errorno").unwrap_or_default();
        let text = xml_child_text(*e, "description2").unwrap_or_default().to_ascii_lowercase();
        no == "XL03000009" || text.starts_with("could not create") || text.starts_with("could not update")
    };
    let error = errors.iter().find(|e| !consequence(e)).or(errors.first())?;
    let errorno = xml_child_text(*error, "errorno").unwrap_or_default();
    let messages: Vec<String> = ["description", "description2"]
        .iter()
        .filter_map(|n| xml_child_text(*error, n))
        .map(|t| strip_support_id(&t))
        .collect();
    let words = messages.join(" ").to_ascii_lowercase();
    let stated = Stated { code_at: "errormessage/error/errorno", code: Some(errorno), messages, field: None };
    stated.decide(ctx, "sage_intacct", "xml", |no| by_errorno(no, &words, ctx.status()))
}

/// "Invalid Project '10064' specified. [Support ID: ...]" reads without the support id.
fn strip_support_id(t: &str) -> String {
    match t.find("[Support ID") {
        Some(i) => t[..i].trim().to_string(),
        None => t.trim().to_string(),
    }
}

fn by_errorno(no: &str, words: &str, status: u16) -> Option<Cause> {
    Some(match no {
        "XL03000003" => Cause::MalformedRequest,
        "XL03000006" if words.contains("not authorized") || words.contains("web services authorization") => {
            Cause::PermissionMissing
        }
        "XL03000006" if words.contains("transport policy") => Cause::MalformedRequest,
        "XL03000006" | "XMLGW_JPP0002" | "UJPP0002" => Cause::CredentialsInvalid,
        "GW-0010" => Cause::RateLimited,
        "GW-0011" => Cause::MalformedRequest,
        "BL34000061" => Cause::DuplicateRecord,
        "PL01000127" => Cause::MissingField,
        // A query naming an object or field that does not exist.
        "Query Failed" => Cause::InvalidValue,
        _ if no.starts_with("GW-") && status >= 500 => Cause::PlatformOutage,
        // BL01001973 and the other business-logic and platform numbers: the words decide.
        _ => return None,
    })
}

fn rest(ctx: &Ctx, v: &Value) -> Option<Verdict> {
    let status = ctx.status();
    if let Some(err) = key(v, "error").and_then(Value::as_str) {
        let cause = super::general::oauth(err)?;
        return Some(
            Verdict::new(cause, Confidence::High, format!("sage_intacct.oauth.{err}"))
                .evidence(format!("error = {err}")),
        );
    }
    let error = key(v, "ia::result")
        .and_then(|r| key(r, "ia::error"))
        .or_else(|| key(v, "ia::error"))
        .or_else(|| key(v, "error"))?;
    let detail = key(error, "details").and_then(Value::as_array).and_then(|a| a.first());
    let mut messages: Vec<String> = detail.and_then(|d| key_text(d, "message")).into_iter().collect();
    messages.extend(key_text(error, "message"));
    let field = detail.and_then(|d| key_text(d, "target")).or_else(|| {
        error.pointer("/additionalInfo/placeholders/FIELD").and_then(Value::as_str).map(str::to_string)
    });
    let code = key_text(error, "code");
    let stated = Stated { code_at: "ia::error.code", code, messages, field };
    let by_status = |status: u16| -> Option<Cause> {
        Some(match status {
            401 => Cause::CredentialsInvalid,
            403 => Cause::PermissionMissing,
            404 => Cause::NotFound,
            429 => Cause::RateLimited,
            500 | 502 | 503 => Cause::PlatformOutage,
            504 | 524 => Cause::Timeout,
            _ => return None,
        })
    };
    if let Some(cause) = by_status(status) {
        return Some(
            Verdict::new(cause, Confidence::High, format!("sage_intacct.rest.status.{status}"))
                .evidence(format!("HTTP {status}")),
        );
    }
    let verdict = stated.decide(ctx, "sage_intacct", "rest", |c| match c {
        "GW-0034" => Some(Cause::CredentialsInvalid),
        "GW-0010" => Some(Cause::RateLimited),
        _ => None,
    });
    match (status, verdict) {
        // 409: "the same idempotency key or unique key".
        (409, Some(v)) => Some(v),
        (409, None) if ctx.raw.header("idempotency-key").is_some() => {
            Some(Verdict::new(Cause::IdempotencyConflict, Confidence::Medium, "sage_intacct.rest.status.409"))
        }
        (409, None) => {
            Some(Verdict::new(Cause::DuplicateRecord, Confidence::Medium, "sage_intacct.rest.status.409"))
        }
        (422, None) => {
            Some(Verdict::new(Cause::InvalidValue, Confidence::Low, "sage_intacct.rest.status.422"))
        }
        (_, v) => v,
    }
}
