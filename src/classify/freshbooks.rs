//! FreshBooks, one shape per service: accounting's `{"response": {"errors": [{"errno", "field",
//! "message", "object", "value"}]}}` (sometimes with 200) and its newer google.rpc form
//! (`{"code", "message", "details": [{"reason": "<errno>", "metadata": {"field", "message"}}]}`);
//! ledger accounts' `{"errors": {"details": [{"reason", "metadata"}]}}`; projects'
//! `{"errno", "error": {field: message}}`; events' `{"errno", "message", "details"}`;
//! identity's `{"error", "error_description"}`; payments' `{"error_type", "message"}`.
//! The errno table is https://www.freshbooks.com/api/errors.

use serde_json::Value;

use super::body::{key, key_text};
use super::{Cause, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let v = ctx.doc.json()?;
    let status = ctx.status();
    // Accounting, classic.
    if let Some(first) = v.pointer("/response/errors/0") {
        let stated = Stated {
            code_at: "response.errors[0].errno",
            code: key_text(first, "errno"),
            messages: key_text(first, "message").into_iter().collect(),
            field: key_text(first, "field"),
        };
        return stated.decide(ctx, "freshbooks", "errno", |c| by_errno(c, status));
    }
    // Accounting, google.rpc; ledger accounts.
    let details = key(v, "details").or_else(|| key(v, "errors").and_then(|e| key(e, "details")));
    if let Some(first) = details.and_then(Value::as_array).and_then(|a| a.first()).filter(|d| d.is_object()) {
        let meta = key(first, "metadata");
        let reason = key_text(first, "reason");
        let numeric = reason.as_deref().is_some_and(|r| r.chars().all(|c| c.is_ascii_digit()));
        let mut messages: Vec<String> = meta.and_then(|m| key_text(m, "message")).into_iter().collect();
        if !numeric {
            messages.extend(reason.clone());
        }
        messages.extend(
            key(first, "fieldViolations")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|f| key_text(f, "description")),
        );
        let field = meta.and_then(|m| key_text(m, "field")).or_else(|| {
            key(first, "fieldViolations")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|f| key_text(f, "field"))
        });
        let stated =
            Stated { code_at: "details[0].reason", code: reason.filter(|_| numeric), messages, field };
        return stated.decide(ctx, "freshbooks", "errno", |c| by_errno(c, status));
    }
    // Identity and online payments.
    if let Some(code) =
        key_text(v, "error_type").or_else(|| key(v, "error").and_then(Value::as_str).map(str::to_string))
    {
        let stated = Stated {
            code_at: "error",
            code: Some(code),
            messages: [key_text(v, "error_description"), key_text(v, "message")]
                .into_iter()
                .flatten()
                .collect(),
            field: None,
        };
        return stated.decide(ctx, "freshbooks", "auth", by_auth_code);
    }
    // Projects (`{"errno": 2001, "error": {field: message}}`) and events.
    if key(v, "errno").is_some() || key(v, "error").is_some_and(Value::is_object) {
        let fields = key(v, "error").and_then(Value::as_object);
        // Events list their problems as "field: message" strings.
        let details: Vec<&str> = key(v, "details")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let field = fields
            .and_then(|m| m.keys().find(|k| !k.starts_with("__")).cloned())
            .or_else(|| details.first().and_then(|d| d.split_once(": ")).map(|(f, _)| f.to_string()));
        let mut messages: Vec<String> = fields
            .map(|m| m.values().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        messages.extend(details.iter().map(|d| d.split_once(": ").map_or(*d, |(_, m)| m).to_string()));
        messages.extend(key_text(v, "message"));
        let stated = Stated { code_at: "errno", code: key_text(v, "errno"), messages, field };
        return stated.decide(ctx, "freshbooks", "errno", |c| by_errno(c, status));
    }
    None
}

fn by_errno(errno: &str, status: u16) -> Option<Cause> {
    Some(match errno {
        "409" => Cause::StateConflict,
        "500" => Cause::PlatformOutage,
        "401" => Cause::CredentialsInvalid,
        "404" => Cause::NotFound,
        "1001" | "1008" => Cause::MissingField,
        "1003" if status == 401 => Cause::CredentialsInvalid,
        "1003" => Cause::PermissionMissing,
        "1004" | "1007" | "1009" | "1010" | "1013" | "1014" | "1015" | "1016" | "1017" | "1018" | "1031"
        | "1033" | "1039" => Cause::InvalidValue,
        "1005" => Cause::MalformedRequest,
        "1011" => Cause::StateConflict,
        "1012" => Cause::NotFound,
        "1019" => Cause::DuplicateRecord,
        "1042" => Cause::PlanUnavailable,
        // 2001 (projects' validation), 422 (events'): the message decides.
        _ => return None,
    })
}

fn by_auth_code(code: &str) -> Option<Cause> {
    if let Some(cause) = super::general::oauth(code) {
        return Some(cause);
    }
    Some(match code {
        "unauthenticated" | "unauthorized" => Cause::CredentialsInvalid,
        "forbidden" => Cause::PermissionMissing,
        "not_found" => Cause::NotFound,
        "invalid_cc_type" => Cause::InvalidValue,
        // invalid_resource: "Validation failed: ..." says which.
        _ => return None,
    })
}
