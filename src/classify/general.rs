//! What every platform shares: the transport's own failures (gateway pages, 429, 5xx), the
//! meaning of a message's words when no platform rule knows the error, and the HTTP status as
//! the last resort. Platform modules also call [`cause_of_text`] and [`field_in`] to read the
//! free text inside a documented structure.

use super::body::{clip, Doc};
use super::{Cause, Confidence, Ctx, Verdict};

/// Failures of the transport rather than of the request: a gateway's or CDN's error page, an
/// empty 5xx, a 429 with no body a platform rule understood.
pub(crate) fn transport(ctx: &Ctx) -> Option<Verdict> {
    let status = ctx.status();
    let page = match &ctx.doc {
        Doc::Html { title, text } => Some(format!("{title} {text}").to_ascii_lowercase()),
        Doc::Empty => Some(String::new()),
        _ => None,
    };
    if status == 429 {
        return Some(
            Verdict::new(Cause::RateLimited, Confidence::High, "general.status.429").evidence("HTTP 429"),
        );
    }
    let page = page?;
    let evidence = |s: &str| {
        format!("HTTP {status}{}", if s.is_empty() { String::new() } else { format!(": {}", clip(s, 80)) })
    };
    let title = match &ctx.doc {
        Doc::Html { title, .. } => title.clone(),
        _ => String::new(),
    };
    if matches!(status, 504 | 524 | 408)
        || page.contains("gateway time-out")
        || page.contains("gateway timeout")
        || page.contains("timed out")
    {
        return Some(
            Verdict::new(Cause::Timeout, Confidence::High, "general.gateway.timeout")
                .evidence(evidence(&title)),
        );
    }
    if matches!(status, 500 | 502 | 503 | 520..=523 | 525..=530) {
        return Some(
            Verdict::new(Cause::PlatformOutage, Confidence::High, format!("general.gateway.{status}"))
                .evidence(evidence(&title)),
        );
    }
    None
}

/// The words of the body's messages, when no platform rule recognised its structure.
pub(crate) fn messages(ctx: &Ctx) -> Option<Verdict> {
    // A hosting layer's HTML page (a WAF, a proxy) says nothing about the request's data: its
    // generic words ("could not be found") would only mislead. Its status decides.
    if matches!(ctx.doc, Doc::Html { .. }) {
        return None;
    }
    let texts = ctx.doc.messages();
    let (cause, rule, evidence) = first_stated(&texts)?;
    let confidence = if status_agrees(ctx.status(), cause) { Confidence::Medium } else { Confidence::Low };
    let field = matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord)
        .then(|| field_in(&evidence).or_else(|| texts.iter().find_map(|t| field_in(t))))
        .flatten();
    Some(Verdict::new(cause, confidence, format!("general.text.{rule}")).field(field).evidence(evidence))
}

/// The first message, in the platform's order, whose words state a cause: platforms list the
/// error that stopped the request first and its consequences after.
pub(crate) fn first_stated(messages: &[String]) -> Option<(Cause, &'static str, String)> {
    messages.iter().find_map(|m| cause_of_text(&m.to_ascii_lowercase()).map(|(c, r)| (c, r, m.clone())))
}

/// The status code's own meaning, at low confidence; `unknown-error` when it has none.
pub(crate) fn status(ctx: &Ctx) -> Verdict {
    let status = ctx.status();
    let cause = match status {
        401 => Cause::CredentialsInvalid,
        403 => Cause::PermissionMissing,
        404 | 410 => Cause::NotFound,
        408 | 504 => Cause::Timeout,
        429 => Cause::RateLimited,
        // 501 Not Implemented and 505 are answers about the request, not outages.
        501 | 505 => Cause::Unknown,
        500..=599 => Cause::PlatformOutage,
        _ => Cause::Unknown,
    };
    let confidence = if matches!(cause, Cause::PlatformOutage | Cause::Timeout) {
        Confidence::Medium
    } else {
        Confidence::Low
    };
    let rule = if status == 0 { "general.unknown".to_string() } else { format!("general.status.{status}") };
    let v = Verdict::new(cause, confidence, rule);
    if status == 0 {
        v
    } else {
        v.evidence(format!("HTTP {status}"))
    }
}

/// The error codes of OAuth 2.0 (RFC 6749 for token endpoints, RFC 6750 for bearer tokens),
/// which most of these platforms answer `{"error": "invalid_grant", ...}` with.
pub(crate) fn oauth(code: &str) -> Option<Cause> {
    Some(match code {
        "invalid_grant" | "invalid_client" | "unauthorized_client" | "invalid_token" => {
            Cause::CredentialsInvalid
        }
        "invalid_scope" | "insufficient_scope" | "access_denied" => Cause::PermissionMissing,
        "invalid_request" | "unsupported_grant_type" | "unsupported_response_type" => Cause::MalformedRequest,
        _ => return None,
    })
}

/// Whether the HTTP status is one a platform answers this cause with.
pub(crate) fn status_agrees(status: u16, cause: Cause) -> bool {
    match cause {
        Cause::CredentialsInvalid => status == 401,
        Cause::PermissionMissing | Cause::PlanUnavailable => matches!(status, 401..=403),
        Cause::RateLimited => matches!(status, 429 | 503),
        Cause::MissingField | Cause::InvalidValue | Cause::MalformedRequest => matches!(status, 400 | 422),
        Cause::DuplicateRecord | Cause::StateConflict => matches!(status, 400 | 409 | 422),
        Cause::PaymentDeclined => matches!(status, 400 | 402 | 422),
        Cause::IdempotencyConflict => matches!(status, 400 | 409 | 422),
        Cause::NotFound => matches!(status, 404 | 410),
        Cause::PlatformOutage | Cause::Timeout => status >= 500 || status == 408,
        Cause::Unknown => false,
    }
}

/// The cause a message's words state, and the name of the rule that read them. `lower` is the
/// lower-cased message. The order matters: specific phrases before general words.
pub(crate) fn cause_of_text(lower: &str) -> Option<(Cause, &'static str)> {
    // Typographic apostrophes read as plain ones ("canʼt be deleted").
    let normalized;
    let lower = if lower.contains(['\u{2019}', '\u{02bc}']) {
        normalized = lower.replace(['\u{2019}', '\u{02bc}'], "'");
        normalized.as_str()
    } else {
        lower
    };
    // A key used concurrently ("currently being used in another request") is not a reuse with
    // other parameters: a retry succeeds, so it is not claimed here.
    if lower.contains("idempoten")
        && ["reuse", "different", "already", "same key", "same idempotency"].iter().any(|w| lower.contains(w))
    {
        return Some((Cause::IdempotencyConflict, "idempotency"));
    }
    // "missing or invalid" names neither cause by itself.
    let lower = lower.replace("missing or invalid", "");
    PHRASES
        .iter()
        .find(|(_, _, words)| words.iter().any(|w| lower.contains(w)))
        .map(|(cause, rule, _)| (*cause, *rule))
}

/// The phrases that state a cause, in the order they are tried: specific before general.
const PHRASES: &[(Cause, &str, &[&str])] = &[
    (
        Cause::RateLimited,
        "rate_limit",
        &[
            "rate limit",
            "too many requests",
            "throttl",
            "quota exceeded",
            "exceeded the quota",
            "calls per second",
            "request limit",
            "ratelimit",
            "rate_limit",
            "concurrency limit",
            "concurrent request limit",
            "request quota",
        ],
    ),
    (
        Cause::CredentialsInvalid,
        "credentials",
        &[
            "token expired",
            "token has expired",
            "token is expired",
            "expired token",
            "expired access token",
            "access token expired",
            "invalid_token",
            "invalid token",
            "token is invalid",
            "invalid access token",
            "invalid_grant",
            "invalid_client",
            "authentication failed",
            "authenticationfailed",
            "authentication failure",
            "authentication_failure",
            "invalid api key",
            "invalid credentials",
            "invalid login",
            "login credentials",
            "token has been revoked",
            "token was revoked",
            "revoked",
            "not authenticated",
            "unauthenticated",
            "session has expired",
            "session expired",
            "reauthorize",
            "re-authorize",
            "reconnect",
            "invalid authentication",
            "authentication error",
            "authentication required",
            "could not authenticate",
            "unable to authenticate",
            "oauth_problem",
        ],
    ),
    (
        Cause::PermissionMissing,
        "permission",
        &[
            "permission",
            "not authorized to",
            "not authorised to",
            "not allowed to access",
            "not permitted",
            "access denied",
            "accessdenied",
            "access_denied",
            "insufficient scope",
            "insufficient_scope",
            "missing scope",
            "required scope",
            "scopes",
            "does not have access",
            "do not have access",
            "don't have access",
            "lacks access",
            "forbidden",
            "not authorized for",
            "insufficient privileges",
            "insufficient_privileges",
            "role does not",
        ],
    ),
    (
        Cause::PlanUnavailable,
        "plan",
        &[
            "subscription",
            "upgrade your plan",
            "your plan",
            "current plan",
            "not available on",
            "feature is not enabled",
            "feature not enabled",
            "is not enabled for",
            "not enabled on",
            "account is suspended",
            "account has been suspended",
            "account suspended",
            "account is disabled",
            "account has been disabled",
            "trial has expired",
            "trial expired",
            "payment required",
            "frozen",
        ],
    ),
    (
        Cause::DuplicateRecord,
        "duplicate",
        &[
            "already exists",
            "already exist",
            "duplicate",
            "must be unique",
            "already been taken",
            "already taken",
            "already in use",
            "is not unique",
            "should be unique",
            "unique constraint",
            "already registered",
        ],
    ),
    (
        Cause::StateConflict,
        "state",
        &[
            "closed period",
            "period is closed",
            "period closed",
            "periods are closed",
            "been closed",
            "closed accounting period",
            "locked",
            "lock date",
            "already paid",
            "has been paid",
            "been paid",
            "already voided",
            "has been voided",
            "is voided",
            "already refunded",
            "has been refunded",
            "already captured",
            "has been captured",
            "already been",
            "is archived",
            "been archived",
            "archived",
            "cannot be modified",
            "can not be modified",
            "cannot be edited",
            "can not be edited",
            "cannot be changed",
            "cannot be updated",
            "cannot be deleted",
            "can not be deleted",
            "can't be deleted",
            "cannot delete",
            "can't delete",
            "not editable",
            "in its current state",
            "current status",
            "is not in a state",
            "state does not allow",
            "status does not allow",
            "not of valid status",
            "status for modification",
            "already fulfilled",
            "already cancelled",
            "already canceled",
            "is closed",
            "has been deleted",
            "in progress",
        ],
    ),
    (
        Cause::MalformedRequest,
        "malformed",
        &[
            "malformed",
            "could not parse",
            "couldn't parse",
            "unable to parse",
            "cannot parse",
            "failed to parse",
            "invalid json",
            "not valid json",
            "json parse",
            "parse error",
            "invalid xml",
            "xml is not well",
            "unexpected token",
            "unexpected character",
            "unexpected end of",
            "syntax error",
            "cannot deserialize",
            "could not deserialize",
            "unable to deserialize",
            "unrecognized request url",
            "requires a payload",
            "request body is missing",
            "empty request body",
            "no request body",
        ],
    ),
    (
        Cause::NotFound,
        "not_found",
        &[
            "not found",
            "does not exist",
            "doesn't exist",
            "do not exist",
            "no such",
            "could not find",
            "couldn't find",
            "cannot find",
            "can not find",
            "can't find",
            "cannot be found",
            "can not be found",
            "unable to find",
            "could not be found",
            "was not found",
            "unknown object",
            "no record",
            "no longer exists",
        ],
    ),
    (
        Cause::MissingField,
        "missing",
        &[
            "is required",
            "are required",
            "required field",
            "required parameter",
            "required param",
            "required value",
            "required property",
            "required attribute",
            "missing",
            "can't be blank",
            "cannot be blank",
            "can not be blank",
            "must not be blank",
            "may not be blank",
            "must be provided",
            "must be present",
            "must be specified",
            "must be supplied",
            "must be set",
            "not provided",
            "not specified",
            "cannot be empty",
            "can't be empty",
            "can not be empty",
            "must not be empty",
            "may not be empty",
            "should not be empty",
            "must not be null",
            "cannot be null",
            "can't be null",
            "may not be null",
            "is mandatory",
            "should not be blank",
            "please provide",
            "please enter",
            "please specify",
            "you must provide",
            "you must specify",
            "field required",
        ],
    ),
    (Cause::Timeout, "timeout", &["timed out", "timeout", "time-out", "time out"]),
    (
        Cause::PlatformOutage,
        "outage",
        &[
            "service unavailable",
            "temporarily unavailable",
            "currently unavailable",
            "maintenance",
            "internal server error",
            "bad gateway",
            "try again later",
            "unexpected error",
            "internal error",
            "server error",
            "service is unavailable",
            "an error occurred on our",
            "something went wrong on our",
        ],
    ),
    (
        Cause::InvalidValue,
        "invalid",
        &[
            "invalid",
            "not valid",
            "is not a valid",
            "must be a ",
            "must be an ",
            "must be greater",
            "must be less",
            "must be at least",
            "must be at most",
            "must be between",
            "must be one of",
            "must be in",
            "must be positive",
            "must be a valid",
            "must be valid",
            "should be a valid",
            "input should be",
            "expected float",
            "expected int",
            "expected string",
            "expected bool",
            "expected number",
            "expected a ",
            "expected an ",
            "unrecognized",
            "unrecognised",
            "characters long",
            "or fewer",
            "read-only",
            "read only",
            "cannot be written to",
            "out of range",
            "too long",
            "too short",
            "too large",
            "too small",
            "exceeds",
            "exceeded",
            "not allowed",
            "unsupported",
            "not supported",
            "incorrect",
            "wrong format",
            "bad format",
            "is not accepted",
            "cannot be negative",
            "can't be negative",
            "greater than",
            "less than",
            "mismatch",
            "does not match",
            "doesn't match",
            "unknown",
        ],
    ),
];

/// The field a sentence names, when it names one: "Missing required parameter: email",
/// "The field 'TaxCode' is invalid", "email has already been taken".
pub(crate) fn field_in(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    // 1. After a noun that introduces a field name (whole words: "parameters", not "param").
    for intro in ["parameter", "param", "field", "property", "attribute", "element", "column"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(intro) {
            let start = from + i;
            let at = start + intro.len();
            from = at;
            let rest = &text[at..];
            let rest = rest.strip_prefix('s').unwrap_or(rest);
            if word_char(lower[..start].chars().next_back()) || word_char(rest.chars().next()) {
                continue;
            }
            let rest = rest.trim_start_matches([':', ' ', '=']);
            let rest = rest.strip_prefix("named ").or_else(|| rest.strip_prefix("name ")).unwrap_or(rest);
            if let Some(f) = identifier(rest) {
                return Some(f);
            }
        }
    }
    // 2. "Invalid Project '10064' specified": the word before a quoted value names the field;
    //    "... passed for `DistributionPackageType`", "... is invalid for EmailAddress".
    if let Some(i) = lower.find("invalid ") {
        let rest = &text[i + "invalid ".len()..];
        let word_end = rest.find(' ').unwrap_or(rest.len());
        if rest[word_end..].trim_start().starts_with(['\'', '"', '`']) {
            if let Some(f) = identifier(&rest[..word_end]) {
                return Some(f);
            }
        }
    }
    for intro in [" passed for ", " invalid for ", " not valid for ", " provided for ", " value for "] {
        if let Some(i) = lower.find(intro) {
            if let Some(f) = identifier(&text[i + intro.len()..]) {
                return Some(f);
            }
        }
    }
    // 3. The first quoted identifier.
    for q in ['\'', '"', '`', '[', '‘', '“'] {
        if let Some(i) = text.find(q) {
            if let Some(f) = identifier(&text[i..]) {
                return Some(f);
            }
        }
    }
    // 4. The word before a phrase that describes a field's problem.
    for phrase in [
        " is required",
        " are required",
        " is missing",
        " can't be blank",
        " cannot be blank",
        " must not be blank",
        " is invalid",
        " is not valid",
        " must be",
        " has already been taken",
        " already exists",
        " is too long",
        " is too short",
        " must not be empty",
        " cannot be empty",
        " is not a valid",
        " is mandatory",
        " cannot be null",
        " must not be null",
    ] {
        if let Some(i) = lower.find(phrase) {
            let before = text[..i].trim_end();
            let word = before.rsplit([' ', '(', ',', ';']).next().unwrap_or("");
            if let Some(f) = identifier(word) {
                return Some(f);
            }
        }
    }
    None
}

/// An identifier at the start of `s` (quotes around it are allowed): letters, digits, `_`, `.`,
/// `-`, `[`, `]`, `/`, `:`; not a word of ordinary prose.
fn identifier(s: &str) -> Option<String> {
    const PROSE: &[&str] = &[
        "a",
        "an",
        "the",
        "this",
        "that",
        "value",
        "values",
        "field",
        "fields",
        "is",
        "are",
        "it",
        "request",
        "parameter",
        "parameters",
        "param",
        "record",
        "object",
        "for",
        "of",
        "to",
        "in",
        "with",
        "must",
        "was",
        "be",
        "not",
        "and",
        "or",
        "your",
        "you",
        "its",
        "missing",
        "required",
        "invalid",
        "provided",
        "supplied",
        "following",
        "one",
        "which",
        "data",
        "body",
        "input",
        "error",
        "errors",
        "name",
        "has",
        "have",
        "been",
        "at",
        "on",
        "from",
        "by",
        "no",
        "any",
    ];
    let s = s.trim_start();
    let (s, close) = match s.chars().next()? {
        '\'' => (&s[1..], Some('\'')),
        '"' => (&s[1..], Some('"')),
        '`' => (&s[1..], Some('`')),
        '[' => (&s[1..], Some(']')),
        '‘' => (&s['‘'.len_utf8()..], Some('’')),
        '“' => (&s['“'.len_utf8()..], Some('”')),
        _ => (s, None),
    };
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']' | '/' | ':')))
        .unwrap_or(s.len());
    let word = s[..end].trim_end_matches(['.', ':', '-', '/']);
    // A quoted token must be closed right after it (so 'the value' is not read as "the").
    if let Some(c) = close {
        if !(s[end..].starts_with(c) || c == ']' && s[..end].ends_with(']')) {
            return None;
        }
    }
    let word = if close == Some(']') { word.trim_end_matches(']') } else { word };
    if word.is_empty() || word.len() > 80 || !word.chars().next()?.is_alphabetic() {
        return None;
    }
    if PROSE.contains(&word.to_ascii_lowercase().as_str()) {
        return None;
    }
    Some(word.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_ordinary_sentences() {
        assert_eq!(field_in("Missing required parameter: email.").as_deref(), Some("email"));
        assert_eq!(field_in("The field 'TaxCode' is invalid").as_deref(), Some("TaxCode"));
        assert_eq!(field_in("email has already been taken").as_deref(), Some("email"));
        assert_eq!(
            field_in("Invalid value for \"amount_money.amount\".").as_deref(),
            Some("amount_money.amount")
        );
        assert_eq!(field_in("Something went wrong"), None);
        assert_eq!(
            field_in("Request has invalid parameters; purchaseOrderNumber cannot be null").as_deref(),
            Some("purchaseOrderNumber")
        );
        assert_eq!(field_in("Invalid Vendor 'V-9999' specified.").as_deref(), Some("Vendor"));
        assert_eq!(
            field_in("Invalid value (`TEST`) passed for `DistributionPackageType`").as_deref(),
            Some("DistributionPackageType")
        );
        assert_eq!(field_in("The value is required"), None);
    }

    #[test]
    fn words_name_causes_specific_first() {
        let c = |s: &str| cause_of_text(&s.to_ascii_lowercase()).map(|(c, _)| c);
        assert_eq!(c("Invalid token"), Some(Cause::CredentialsInvalid));
        assert_eq!(c("Required param missing"), Some(Cause::MissingField));
        assert_eq!(c("Duplicate Name Exists Error"), Some(Cause::DuplicateRecord));
        assert_eq!(c("Object Not Found"), Some(Cause::NotFound));
        assert_eq!(c("Invalid Reference Id"), Some(Cause::InvalidValue));
        assert_eq!(c("Account Period Closed"), Some(Cause::StateConflict));
        assert_eq!(c("hello"), None);
    }
}
