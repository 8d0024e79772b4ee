//! Etsy Open API v3: `{"error": "..."}` with the status each operation documents, a request
//! schema failure as a bare list `[{"path", "type", "message"}]`, and OAuth's `{"error",
//! "error_description"}`. Etsy has no error codes: the status and the message decide, and the
//! field is in the text (`There was a problem with /attributes : ...`, `'price'`).

use super::body::key_text;
use super::{Cause, Confidence, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    let status = ctx.status();
    // A schema failure: `[{"path": "/images", "type": "array_too_short", ...}]`.
    if let Some(first) = v.as_array().and_then(|a| a.first()) {
        let field = key_text(first, "path").map(|p| p.trim_start_matches('/').replace('/', "_"));
        let typ = key_text(first, "type").unwrap_or_default();
        let cause = match typ.as_str() {
            "required" | "array_too_short" | "min_items" => Cause::MissingField,
            _ => Cause::InvalidValue,
        };
        return Some(
            Verdict::new(cause, Confidence::High, format!("etsy.schema.{typ}"))
                .field(field)
                .evidence(format!("[0].type = {typ}")),
        );
    }
    let error = key_text(v, "error")?;
    let description = key_text(v, "error_description");
    if let Some(cause) = super::general::oauth(&error) {
        return Some(
            Verdict::new(cause, Confidence::High, format!("etsy.oauth.{error}"))
                .evidence(format!("error = {error}")),
        );
    }
    let lower = error.to_ascii_lowercase();
    let by_status = match status {
        401 => Some(Cause::CredentialsInvalid),
        403 if lower.contains("api key")
            || lower.contains("shared secret")
            || lower.contains("bearer token") =>
        {
            Some(Cause::CredentialsInvalid)
        }
        403 => Some(Cause::PermissionMissing),
        404 if lower.contains("permission") => Some(Cause::PermissionMissing),
        404 => Some(Cause::NotFound),
        409 => Some(Cause::StateConflict),
        429 => Some(Cause::RateLimited),
        500 | 503 => Some(Cause::PlatformOutage),
        400 if lower.contains("invalid api key") => Some(Cause::CredentialsInvalid),
        _ => None,
    };
    if let Some(cause) = by_status {
        return Some(
            Verdict::new(cause, Confidence::High, format!("etsy.status.{status}"))
                .evidence(format!("HTTP {status}: {error}")),
        );
    }
    // "There was a problem with \/attributes : Must supply all required attributes"
    let (field, message) =
        match error.strip_prefix("There was a problem with ").and_then(|r| r.split_once(" : ")) {
            Some((path, rest)) => {
                (Some(path.trim_start_matches(['\\', '/']).replace('/', "_")), rest.to_string())
            }
            None => (None, error.clone()),
        };
    let mut messages = vec![message];
    messages.extend(description);
    let stated = Stated { code_at: "error", code: None, messages, field };
    stated.decide(ctx, "etsy", "error", |_| None)
}
