//! Xero. The Accounting API's `ApiException` (JSON or XML: `ErrorNumber`, `Type`, `Message`,
//! `Elements[].ValidationErrors[].Message`, also per element inside a 200 with
//! `summarizeErrors=false`); the identity and gateway problem objects (`Title`, `Status`,
//! `Detail` such as `TokenExpired`, `AuthenticationUnsuccessful`, `AuthorizationUnsuccessful`);
//! newer APIs' `application/problem+json`; the identity server's `{"error": "invalid_grant"}`;
//! form-encoded `oauth_problem=...`; plain text when the API is offline. Validation messages name
//! no field by key, so their words decide.

use serde_json::Value;

use super::body::{key, key_text, xml_text};
use super::{Cause, Confidence, Ctx, Doc, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let status = ctx.status();
    if let Some(v) = problem(ctx) {
        return Some(v);
    }
    if let Some(stated) = model_state(ctx) {
        return stated.decide(ctx, "xero", "model_state", |_| None);
    }
    if let Some(stated) = api_exception(ctx) {
        let verdict = stated.decide(ctx, "xero", "api_exception", by_type);
        // A ValidationException whose words name no cause is still a validation failure.
        return verdict.or_else(|| {
            (stated.code.as_deref() == Some("ValidationException"))
                .then(|| Verdict::new(Cause::InvalidValue, Confidence::Low, "xero.api_exception.validation"))
        });
    }
    if let Doc::Text(t) = &ctx.doc {
        if let Some(p) = oauth_problem(t) {
            let cause = match p.as_str() {
                "token_expired"
                | "token_rejected"
                | "signature_invalid"
                | "consumer_key_unknown"
                | "nonce_used" => Cause::CredentialsInvalid,
                "rate limit exceeded" | "rate_limit_exceeded" => Cause::RateLimited,
                "permission_denied" => Cause::PermissionMissing,
                _ => return None,
            };
            return Some(
                Verdict::new(cause, Confidence::High, format!("xero.oauth_problem.{}", p.replace(' ', "_")))
                    .evidence(format!("oauth_problem={p}")),
            );
        }
    }
    // Offline and unhandled errors come as plain text with the status.
    match status {
        503 if !matches!(ctx.doc, Doc::Empty) => {
            let lower = ctx.raw.body.to_ascii_lowercase();
            let cause = if lower.contains("rate limit") { Cause::RateLimited } else { Cause::PlatformOutage };
            Some(
                Verdict::new(cause, Confidence::High, "xero.status.503")
                    .evidence(super::body::clip(&ctx.raw.body, 120)),
            )
        }
        _ => None,
    }
}

/// The identity and gateway problem object (`{"Title", "Status", "Detail"}`) and newer APIs'
/// problem+json (`{"type", "title", "status", "detail"}`), and the identity server's errors.
fn problem(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    if let Some(err) = key(v, "error").and_then(Value::as_str) {
        let cause = super::general::oauth(err)?;
        return Some(
            Verdict::new(cause, Confidence::High, format!("xero.identity.{err}"))
                .evidence(format!("error = {err}")),
        );
    }
    let detail = key_text(v, "Detail")?;
    key(v, "Title").or_else(|| key(v, "Status"))?;
    let status = ctx.status();
    let head = detail.split([':', ' ']).next().unwrap_or("");
    let cause = match (head, status) {
        ("TokenExpired", _) | ("AuthenticationUnsuccessful", 401) | ("TokenInvalid", _) => {
            Cause::CredentialsInvalid
        }
        ("AuthenticationUnsuccessful", _) | ("AuthorizationUnsuccessful", _) => Cause::PermissionMissing,
        _ => {
            let stated =
                Stated { code_at: "Detail", code: None, messages: vec![detail.clone()], field: None };
            return stated.decide(ctx, "xero", "problem", |_| None);
        }
    };
    Some(
        Verdict::new(cause, Confidence::High, format!("xero.problem.{}", head.to_ascii_lowercase()))
            .evidence(format!("Detail = {detail}")),
    )
}

/// The Projects API's `{"message": "The request is invalid.", "modelState": {"model.Name":
/// ["..."]}}`: the field's own messages say more than the summary.
fn model_state(ctx: &Ctx) -> Option<Stated> {
    let m = key(ctx.doc.json()?, "modelState")?.as_object()?;
    let (field, messages) = m.iter().next()?;
    let mut messages: Vec<String> = match messages {
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    };
    messages.extend(key_text(ctx.doc.json()?, "message"));
    Some(Stated { code_at: "modelState", code: None, messages, field: Some(field.clone()) })
}

/// The Accounting API's ApiException, JSON or XML, or a 200 whose elements carry errors.
fn api_exception(ctx: &Ctx) -> Option<Stated> {
    if let Some(v) = ctx.doc.json() {
        let typ = key_text(v, "Type");
        let mut messages = Vec::new();
        collect_validation(v, &mut messages);
        if typ.is_none() && messages.is_empty() {
            return None;
        }
        if messages.is_empty() {
            messages.extend(key_text(v, "Message"));
        }
        return Some(Stated { code_at: "Type", code: typ, messages, field: None });
    }
    let d = ctx.doc.xml()?;
    let root = d.root_element();
    if root.tag_name().name() != "ApiException" && !d.descendants().any(|n| n.has_tag_name("ValidationError"))
    {
        return None;
    }
    let mut messages: Vec<String> = d
        .descendants()
        .filter(|n| n.has_tag_name("ValidationError"))
        .filter_map(|n| super::body::xml_child_text(n, "Message"))
        .collect();
    if messages.is_empty() {
        messages.extend(xml_text(d, "Message"));
    }
    Some(Stated { code_at: "ApiException/Type", code: xml_text(d, "Type"), messages, field: None })
}

fn collect_validation(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k.eq_ignore_ascii_case("ValidationErrors") {
                    for e in x.as_array().into_iter().flatten() {
                        out.extend(key_text(e, "Message"));
                    }
                } else {
                    collect_validation(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_validation(x, out)),
        _ => {}
    }
}

/// `ApiException.Type` (with its `ErrorNumber`).
fn by_type(typ: &str) -> Option<Cause> {
    Some(match typ {
        "PostDataInvalidException" => Cause::MalformedRequest,
        "QueryParseException" => Cause::InvalidValue,
        "ObjectNotFoundException" => Cause::NotFound,
        "OrganisationOfflineException" | "NotAvailableException" | "SystemUnavailableException" => {
            Cause::PlatformOutage
        }
        "UnauthorisedException" => Cause::CredentialsInvalid,
        "RateLimitExceededException" => Cause::RateLimited,
        // ValidationException: the messages decide.
        _ => return None,
    })
}

/// `oauth_problem=token_expired&oauth_problem_advice=...`
fn oauth_problem(t: &str) -> Option<String> {
    let i = t.find("oauth_problem=")? + "oauth_problem=".len();
    let raw = t[i..].split('&').next()?;
    Some(raw.replace("%20", " ").replace('+', " "))
}
