//! The error classifier: from a raw platform error, as the platform sent it, to a normalized
//! error code, a cause, the field it names, how sure the mapping is, whether a retry can succeed,
//! and the rule that decided.
//!
//! A pure module: no I/O, no clock, no database. Ingestion, the sync runs, the demo seed, the
//! sandbox data plane and `switchboard classify` all call [`classify`].
//!
//! Rules follow each platform's documented error format (QuickBooks `Fault`, Xero
//! `ValidationErrors`, NetSuite `o:errorDetails`, Stripe `error.type`, ...) in one module per
//! platform; a general fallback reads the messages of any format; the HTTP status alone decides
//! last, at low confidence. Precision comes first: when nothing recognises the error, the answer
//! is `unknown-error` (or the status's own meaning at low confidence), never a confident guess.
//! Its accuracy is measured on the labelled corpus in `src/classify/corpus` (see `accuracy`).

pub mod accuracy;
mod body;
mod general;

mod amazon_seller;
mod bigcommerce;
mod etsy;
mod freshbooks;
mod netsuite;
mod paypal;
mod quickbooks_online;
mod sage_intacct;
mod shopify;
mod square;
mod stripe;
mod woocommerce;
mod xero;

use serde::{Deserialize, Serialize};

pub use body::Doc;

/// A raw platform error as the data plane saw it.
#[derive(Debug, Clone, Default)]
pub struct RawError {
    /// The platform's catalog id, such as `quickbooks_online`.
    pub platform: String,
    pub http_status: Option<u16>,
    /// Response headers (names in any case).
    pub headers: Vec<(String, String)>,
    /// The response body exactly as sent: JSON, XML, HTML or text.
    pub body: String,
    /// The request's method and path, when known.
    pub method: Option<String>,
    pub path: Option<String>,
}

/// A raw error as `switchboard classify` and the corpus write it: headers as an object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub platform: String,
    pub http_status: Option<u16>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    pub method: Option<String>,
    pub path: Option<String>,
}

impl From<Input> for RawError {
    fn from(i: Input) -> Self {
        RawError {
            platform: i.platform,
            http_status: i.http_status,
            headers: i.headers.into_iter().collect(),
            body: i.body,
            method: i.method,
            path: i.path,
        }
    }
}

impl RawError {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why the request failed, in the terms of what someone must do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    CredentialsInvalid,
    PermissionMissing,
    RateLimited,
    MissingField,
    InvalidValue,
    DuplicateRecord,
    NotFound,
    StateConflict,
    PlanUnavailable,
    PaymentDeclined,
    IdempotencyConflict,
    MalformedRequest,
    PlatformOutage,
    Timeout,
    Unknown,
}

impl Cause {
    pub const ALL: [Cause; 15] = [
        Cause::CredentialsInvalid,
        Cause::PermissionMissing,
        Cause::RateLimited,
        Cause::MissingField,
        Cause::InvalidValue,
        Cause::DuplicateRecord,
        Cause::NotFound,
        Cause::StateConflict,
        Cause::PlanUnavailable,
        Cause::PaymentDeclined,
        Cause::IdempotencyConflict,
        Cause::MalformedRequest,
        Cause::PlatformOutage,
        Cause::Timeout,
        Cause::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cause::CredentialsInvalid => "credentials_invalid",
            Cause::PermissionMissing => "permission_missing",
            Cause::RateLimited => "rate_limited",
            Cause::MissingField => "missing_field",
            Cause::InvalidValue => "invalid_value",
            Cause::DuplicateRecord => "duplicate_record",
            Cause::NotFound => "not_found",
            Cause::StateConflict => "state_conflict",
            Cause::PlanUnavailable => "plan_unavailable",
            Cause::PaymentDeclined => "payment_declined",
            Cause::IdempotencyConflict => "idempotency_conflict",
            Cause::MalformedRequest => "malformed_request",
            Cause::PlatformOutage => "platform_outage",
            Cause::Timeout => "timeout",
            Cause::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Cause> {
        Cause::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What a person reads: "Expired or revoked credentials".
    pub fn label(self) -> &'static str {
        match self {
            Cause::CredentialsInvalid => "Expired or revoked credentials",
            Cause::PermissionMissing => "Missing permission or scope",
            Cause::RateLimited => "Rate limited",
            Cause::MissingField => "A required field is missing",
            Cause::InvalidValue => "A field value is invalid",
            Cause::DuplicateRecord => "Duplicate record",
            Cause::NotFound => "Record not found",
            Cause::StateConflict => "The record's state forbids the change",
            Cause::PlanUnavailable => "Plan or feature not available",
            Cause::PaymentDeclined => "Payment declined",
            Cause::IdempotencyConflict => "Idempotency key reused",
            Cause::MalformedRequest => "Malformed request",
            Cause::PlatformOutage => "Platform outage",
            Cause::Timeout => "Timeout",
            Cause::Unknown => "Unknown",
        }
    }

    /// The normalized code (one of `domain::ERROR_CODES`) each cause means.
    pub fn code(self) -> &'static str {
        match self {
            Cause::CredentialsInvalid => "unauthorized",
            Cause::PermissionMissing => "forbidden",
            Cause::RateLimited => "rate-limited",
            Cause::MissingField => "missing-params",
            Cause::InvalidValue => "invalid-params",
            Cause::DuplicateRecord => "record-already-exists",
            Cause::NotFound => "not-found",
            Cause::StateConflict => "operation-denied",
            Cause::PlanUnavailable => "platform-denied",
            // The card, bank or payer refused: the platform refused the operation, not the
            // request's shape.
            Cause::PaymentDeclined => "operation-denied",
            Cause::IdempotencyConflict => "idempotency-conflict",
            // The unified API built the request the platform could not parse: its bug, not
            // the caller's data.
            Cause::MalformedRequest => "internal-error",
            Cause::PlatformOutage | Cause::Timeout => "platform-unavailable",
            Cause::Unknown => "unknown-error",
        }
    }

    pub fn retryable(self) -> Retryable {
        match self {
            Cause::RateLimited | Cause::PlatformOutage | Cause::Timeout => Retryable::Yes,
            Cause::Unknown => Retryable::Unknown,
            _ => Retryable::No,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retryable {
    Yes,
    No,
    Unknown,
}

impl Retryable {
    pub fn as_str(self) -> &'static str {
        match self {
            Retryable::Yes => "yes",
            Retryable::No => "no",
            Retryable::Unknown => "unknown",
        }
    }
}

/// What the classifier concluded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// One of `domain::ERROR_CODES`.
    pub code: &'static str,
    pub cause: Cause,
    /// The field the error names, spelled as the platform spells it.
    pub field: Option<String>,
    pub confidence: Confidence,
    pub retryable: Retryable,
    /// The rule that decided, such as `quickbooks_online.fault.6240`.
    pub rule: String,
    /// The part of the body that decided, such as `Fault.Error[0].code = 6240`.
    pub evidence: Option<String>,
}

/// A rule's conclusion, before the code and the retry advice are derived from the cause.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    pub cause: Cause,
    pub confidence: Confidence,
    pub rule: String,
    pub field: Option<String>,
    pub evidence: Option<String>,
}

impl Verdict {
    pub fn new(cause: Cause, confidence: Confidence, rule: impl Into<String>) -> Self {
        Verdict { cause, confidence, rule: rule.into(), field: None, evidence: None }
    }
    pub fn field(mut self, field: Option<impl Into<String>>) -> Self {
        self.field = field.map(Into::into).filter(|f: &String| !f.trim().is_empty());
        self
    }
    pub fn evidence(mut self, evidence: impl Into<String>) -> Self {
        self.evidence = Some(evidence.into());
        self
    }
}

/// Everything a rule reads: the input and its body parsed once.
pub(crate) struct Ctx<'a> {
    pub raw: &'a RawError,
    pub doc: Doc<'a>,
}

impl Ctx<'_> {
    pub fn status(&self) -> u16 {
        self.raw.http_status.unwrap_or(0)
    }
}

/// Classify one raw platform error.
pub fn classify(raw: &RawError) -> Classification {
    let ctx = Ctx { raw, doc: Doc::parse(&raw.body) };
    let platform = match raw.platform.as_str() {
        "quickbooks_online" => quickbooks_online::classify(&ctx),
        "xero" => xero::classify(&ctx),
        "netsuite" => netsuite::classify(&ctx),
        "sage_intacct" => sage_intacct::classify(&ctx),
        "freshbooks" => freshbooks::classify(&ctx),
        "shopify" => shopify::classify(&ctx),
        "amazon_seller" => amazon_seller::classify(&ctx),
        "woocommerce" => woocommerce::classify(&ctx),
        "bigcommerce" => bigcommerce::classify(&ctx),
        "etsy" => etsy::classify(&ctx),
        "stripe" => stripe::classify(&ctx),
        "square" => square::classify(&ctx),
        "paypal" => paypal::classify(&ctx),
        _ => None,
    };
    let verdict = platform
        .or_else(|| general::transport(&ctx))
        .or_else(|| general::messages(&ctx))
        .unwrap_or_else(|| general::status(&ctx));
    finish(&ctx, verdict)
}

fn finish(ctx: &Ctx, v: Verdict) -> Classification {
    let mut v = v;
    // A documented code that fits no cause is known not to fit: not a confident answer.
    if v.cause == Cause::Unknown && v.confidence == Confidence::High {
        v.confidence = Confidence::Medium;
    }
    let mut retryable = v.cause.retryable();
    // A platform that says when to come back means a retry can succeed.
    if retryable == Retryable::Unknown && ctx.raw.header("retry-after").is_some() {
        retryable = Retryable::Yes;
    }
    Classification {
        code: v.cause.code(),
        cause: v.cause,
        field: v.field,
        confidence: v.confidence,
        retryable,
        rule: v.rule,
        evidence: v.evidence.map(|e| body::clip(&e, 200)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_means_a_code_of_the_catalog() {
        for c in Cause::ALL {
            assert!(crate::domain::error_code(c.code()).is_some(), "{c:?}");
            assert_eq!(Cause::parse(c.as_str()), Some(c));
        }
        for spec in crate::domain::ERROR_CODES {
            assert!(Cause::ALL.iter().any(|c| c.code() == spec.code), "{} has no cause", spec.code);
        }
    }

    #[test]
    fn nothing_recognisable_is_unknown_or_the_status_at_low_confidence() {
        let raw = |status, body: &str| RawError {
            platform: "xero".into(),
            http_status: Some(status),
            body: body.into(),
            ..Default::default()
        };
        let c = classify(&raw(400, "something odd happened"));
        assert_eq!((c.code, c.confidence), ("unknown-error", Confidence::Low));
        let c = classify(&raw(404, ""));
        assert_eq!((c.code, c.confidence), ("not-found", Confidence::Low));
        let c = classify(&RawError { platform: "nope".into(), ..Default::default() });
        assert_eq!(c.code, "unknown-error");
    }
}

/// One error as a platform's documented structure states it: its code (or type), its message
/// texts, and the field it names.
#[derive(Debug, Default, Clone)]
pub(crate) struct Stated {
    /// Where in the body the code sits, for the evidence: `Fault.Error[0].code`.
    pub code_at: &'static str,
    pub code: Option<String>,
    pub messages: Vec<String>,
    pub field: Option<String>,
}

impl Stated {
    /// The verdict of a platform's code table, else of the words of its messages (medium or
    /// low confidence), else none (the general rules go on). `format` names the structure in
    /// the rule: `quickbooks_online.fault.6240`.
    pub fn decide(
        &self,
        ctx: &Ctx,
        platform: &str,
        format: &str,
        table: impl Fn(&str) -> Option<Cause>,
    ) -> Option<Verdict> {
        let field_for = |cause: Cause| -> Option<String> {
            if !matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord) {
                return None;
            }
            self.field
                .clone()
                .filter(|f| !f.trim().is_empty())
                .or_else(|| self.messages.iter().find_map(|m| general::field_in(m)))
        };
        if let Some(code) = self.code.as_deref().filter(|c| !c.is_empty()) {
            if let Some(cause) = table(code) {
                // A code the table knows only by its family (a validation catch-all) may be
                // made precise by its message.
                return Some(
                    Verdict::new(cause, Confidence::High, format!("{platform}.{format}.{}", rule_part(code)))
                        .field(field_for(cause))
                        .evidence(format!("{} = {code}", self.code_at)),
                );
            }
        }
        let (cause, rule, evidence) = general::first_stated(&self.messages)?;
        let confidence =
            if general::status_agrees(ctx.status(), cause) { Confidence::Medium } else { Confidence::Low };
        Some(
            Verdict::new(cause, confidence, format!("{platform}.{format}.text.{rule}"))
                .field(field_for(cause))
                .evidence(evidence),
        )
    }
}

impl Stated {
    /// `decide` without a code table, as if the response had `status` (for errors that arrive
    /// inside a 200 but are documented as validation failures).
    pub fn decide_with_status(&self, status: u16, platform: &str, format: &str) -> Option<Verdict> {
        let (cause, rule, evidence) = general::first_stated(&self.messages)?;
        let confidence =
            if general::status_agrees(status, cause) { Confidence::Medium } else { Confidence::Low };
        let field = matches!(cause, Cause::MissingField | Cause::InvalidValue | Cause::DuplicateRecord)
            .then(|| self.field.clone().or_else(|| general::field_in(&evidence)))
            .flatten();
        Some(
            Verdict::new(cause, confidence, format!("{platform}.{format}.text.{rule}"))
                .field(field)
                .evidence(evidence),
        )
    }
}

/// A code as a rule name's last part: lower case, spaces and dots as underscores.
fn rule_part(code: &str) -> String {
    code.trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '_' })
        .collect()
}
