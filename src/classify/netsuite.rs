//! NetSuite. REST web services: `{"type", "title", "status", "o:errorDetails": [{"detail",
//! "o:errorCode", "o:errorPath", "o:errorQueryParam"}]}`. RESTlets: `{"error": {"code",
//! "message"}}`. SOAP: a fault (HTTP 500, even for logins and concurrency) with
//! `platformFaults:code`, or a record's `platformCore:statusDetail[@type="ERROR"]/code` inside a
//! 200. The status code table (StatusDetailCodeType) names its codes by pattern (`*_REQD`,
//! `DUP_*`, `INVALID_*`, `CANT_*`, `*_DSNT_EXIST`, ...), which the rules follow; REST wraps many
//! record failures in a generic `USER_ERROR`, whose detail text then decides.

use super::body::{key, key_text, xml_child_text};
use super::{Cause, Ctx, Stated, Verdict};

pub(super) fn classify(ctx: &Ctx) -> Option<Verdict> {
    let stated = rest(ctx).or_else(|| restlet(ctx)).or_else(|| soap(ctx))?;
    // A record's UNEXPECTED_ERROR inside a successful response says nothing of its cause
    // (unlike the fault's, which is an outage).
    if stated.code_at == "statusDetail/code" && stated.code.as_deref() == Some("UNEXPECTED_ERROR") {
        return Some(
            Verdict::new(Cause::Unknown, super::Confidence::Medium, "netsuite.soap.record.unexpected_error")
                .evidence("statusDetail/code = UNEXPECTED_ERROR"),
        );
    }
    stated.decide(ctx, "netsuite", stated_format(&stated), by_code)
}

fn stated_format(s: &Stated) -> &'static str {
    match s.code_at {
        "o:errorDetails[0].o:errorCode" => "rest",
        "error.code" => "restlet",
        _ => "soap",
    }
}

fn rest(ctx: &Ctx) -> Option<Stated> {
    let v = ctx.doc.json()?;
    let details = key(v, "o:errorDetails")?.as_array()?;
    let first = details.first()?;
    let path = key_text(first, "o:errorPath").or_else(|| key_text(first, "o:errorQueryParam"));
    Some(Stated {
        code_at: "o:errorDetails[0].o:errorCode",
        code: key_text(first, "o:errorCode").or_else(|| key_text(v, "o:errorCode")),
        messages: key_text(first, "detail").map(strip_prefix).into_iter().collect(),
        field: path.map(|p| last_segment(&p)),
    })
}

fn restlet(ctx: &Ctx) -> Option<Stated> {
    let e = key(ctx.doc.json()?, "error")?;
    if !e.is_object() {
        return None;
    }
    Some(Stated {
        code_at: "error.code",
        code: key_text(e, "code"),
        messages: key_text(e, "message").into_iter().collect(),
        field: None,
    })
}

fn soap(ctx: &Ctx) -> Option<Stated> {
    let d = ctx.doc.xml()?;
    // A record's error inside a successful response, else the fault's code.
    let detail = d.descendants().find(|n| {
        n.is_element()
            && n.tag_name().name() == "statusDetail"
            && n.attribute("type").is_none_or(|t| t == "ERROR")
    });
    if let Some(sd) = detail {
        return Some(Stated {
            code_at: "statusDetail/code",
            code: xml_child_text(sd, "code"),
            messages: xml_child_text(sd, "message").into_iter().collect(),
            field: None,
        });
    }
    let fault = d.descendants().find(|n| n.is_element() && n.tag_name().name() == "Fault")?;
    Some(Stated {
        code_at: "Fault/detail/code",
        code: xml_child_text(fault, "code"),
        messages: [xml_child_text(fault, "message"), xml_child_text(fault, "faultstring")]
            .into_iter()
            .flatten()
            .collect(),
        field: None,
    })
}

/// "Error while accessing a resource. You have entered an Invalid Field Value ..." reads
/// without its preamble.
fn strip_prefix(s: String) -> String {
    for p in ["Error while accessing a resource. ", "Error while accessing resource: "] {
        if let Some(rest) = s.strip_prefix(p) {
            return rest.to_string();
        }
    }
    s
}

fn last_segment(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).split('[').next().unwrap_or(path).to_string()
}

/// The REST codes and the SOAP/SuiteScript status code table, by name and by pattern.
fn by_code(code: &str) -> Option<Cause> {
    let exact = match code {
        // The generic wrappers: their text decides.
        "USER_ERROR" | "UNEXPECTED_ERROR_IN_RECORD" | "WARNING" | "JS_EXCEPTION" => return None,
        "INVALID_LOGIN"
        | "INVALID_LOGIN_ATTEMPT"
        | "INVALID_LOGIN_CREDENTIALS"
        | "INVALID_LOGIN_IP"
        | "IP_REQUEST"
        | "INVALID_ACCT"
        | "INVALID_ROLE"
        | "ROLE_REQUIRED"
        | "DEFAULT_ROLE_REQD"
        | "INVALID_SESSION"
        | "SESSION_TIMED_OUT"
        | "WS_LOG_IN_REQD"
        | "LOGIN_REQD"
        | "PSWD_EXPIRED"
        | "PSWD_REQD"
        | "USER_DISABLED"
        | "LOGIN_DISABLED"
        | "LOGIN_DISABLED_PARTNER_CTR"
        | "TWO_FA_REQD"
        | "TWO_FA_AUTH_REQD"
        | "ADDITIONAL_AUTHENTICATION_REQUIRED_2FA"
        | "ADDITIONAL_AUTHENTICATION_REQUIRED_SQ"
        | "CANT_LOGIN_WITH_OAUTH"
        | "INVALID_APP_ID"
        | "INVALID_PARTNER_ID"
        | "INVALID_SSO"
        | "CERT_EXPD"
        | "CERT_AUTH_EXPD"
        | "ACCT_TEMP_DISABLED"
        | "invalid_grant"
        | "invalid_client"
        | "unauthorized_client"
        | "invalid_token" => Cause::CredentialsInvalid,
        "INSUFFICIENT_PERMISSION"
        | "INSUFFICIENT_FLD_PERMISSION"
        | "PERMISSION_VIOLATION"
        | "WS_PERMISSION_REQD"
        | "OI_PERMISSION_REQD"
        | "ADMIN_ONLY_ACCESS"
        | "ADMIN_ACCESS_REQ"
        | "ADMIN_ACCESS_REQD"
        | "ADMIN_USER_REQD"
        | "APPROVAL_PERMS_REQD"
        | "ACCESS_DENIED"
        | "PARTNER_ACCESS_DENIED"
        | "PRIVATE_RCRD_ACCESS_DISALLWD"
        | "CUST_CNTR_USER_ACCESS_ONLY"
        | "ONLINE_FORM_USER_ACCESS_ONLY" => Cause::PermissionMissing,
        "WS_FEATURE_REQD"
        | "FEATURE_DISABLED"
        | "FEATURE_UNAVAILABLE"
        | "OI_FEATURE_REQD"
        | "ACCT_DISABLED"
        | "BILLING_ISSUES"
        | "EXCEEDS_ALLWD_LICENSES"
        | "EXCEEDED_MAX_USERS_ALLWD"
        | "EXCEEDED_MAX_EMAILS"
        | "MAX_EMAILS_EXCEEDED"
        | "SESSION_TERMD_2ND_LOGIN_DECTD"
        | "ACH_NOT_AVAILBL"
        | "OPENID_NOT_ENABLED" => Cause::PlanUnavailable,
        "CONCURRENCY_LIMIT_EXCEEDED"
        | "SSS_REQUEST_LIMIT_EXCEEDED"
        | "WS_REQUEST_BLOCKED"
        | "WS_CONCUR_SESSION_DISALLWD"
        | "EXCEEDED_MAX_CONCUR_RQST"
        | "WS_EXCEEDED_CONCUR_USERS_ALLWD"
        | "EXCEEDED_MAX_SESSIONS" => Cause::RateLimited,
        "IDEMPOTENCY_ERROR" => Cause::IdempotencyConflict,
        "NONEXISTENT_ID"
        | "RCRD_DSNT_EXIST"
        | "RCRD_NOT_FOUND"
        | "CANT_FIND_RCRD"
        | "RCRD_PREVSLY_DELETED"
        | "RCRD_DELETED_SINCE_RETRIEVED"
        | "TRANSACTION_DELETED"
        | "TIMEOUT_THE_RECORD_DOESNT_EXIST_ANYMORE"
        | "TRANS_DOES_NOT_EXIST"
        | "NO_RCRDS_MATCH"
        | "NO_DATA_FOUND"
        | "INVALID_SAVEDSEARCH"
        | "INVALID_SCRIPT_ID"
        | "INVALID_JOB_ID"
        | "CANT_FIND_SAVED_IMPORT" => Cause::NotFound,
        "INVALID_REQUEST"
        | "INVALID_SOAP_HEADER"
        | "INVALID_SUBLIST_DESC"
        | "INVALID_GET_REF"
        | "INVALID_DELETE_REF"
        | "INVALID_CONTENT_TYPE"
        | "INVALID_DATA_FORMAT"
        | "UNRECOGNIZED_METHOD"
        | "UNSUPPORTED_METHOD"
        | "INVALID_OPERATION"
        | "INVALID_ACTION"
        | "INVALID_VERSION"
        | "UNSUPPORTED_WS_VERSION"
        | "INVALID_WS_VERSION"
        | "VALID_VERSION_REQD_IN_URL"
        | "CHAR_ERROR"
        | "METHOD_NOT_ALLOWED"
        | "invalid_request" => Cause::MalformedRequest,
        "UNEXPECTED_ERROR"
        | "ACCT_TEMP_UNAVAILABLE"
        | "PAYROLL_MAINTENANCE"
        | "SEARCH_ERROR"
        | "JE_UNEXPECTED_ERROR"
        | "CC_PROCESSOR_ERROR"
        | "LOST_UPSELL_CRITERIA"
        | "MASS_UPDATE_CRITERIA_LOST"
        | "MATRIX_INFO_TEMP_LOST" => Cause::PlatformOutage,
        "SEARCH_TIMED_OUT"
        | "ABORT_SEARCH_EXCEEDED_MAX_TIME"
        | "SSS_SEARCH_TIMEOUT"
        | "EXCEEDED_MAX_TIME"
        | "SSS_CONNECTION_TIME_OUT"
        | "SSS_REQUEST_TIME_EXCEEDED" => Cause::Timeout,
        "CLOSED_TRAN_PRD"
        | "TRAN_PERIOD_CLOSED"
        | "TRAN_PRD_CLOSED"
        | "TRANS_EDIT_DISALLWD"
        | "VALID_PRD_REQD"
        | "RCRD_LOCKED_BY_WF"
        | "RCRD_EDITED_SINCE_RETRIEVED"
        | "RCRD_HAS_BEEN_CHANGED"
        | "CANT_UPDATE_RECRD_HAS_CHANGED"
        | "RCRD_UNEDITABLE"
        | "UPDATE_DISALLWD"
        | "TRANS_ALREADY_VOIDED"
        | "TRANS_ALREADY_SETTLED"
        | "TRANS_ALREADY_REFUNDED"
        | "PAYCHECK_ALREADY_PAID"
        | "PAYROLL_COMMITTED"
        | "PMT_ALREADY_APPRVD"
        | "ORD_ALREADY_APPRVD"
        | "SO_HAS_CHILD_TRANS"
        | "INVALID_ORD_STATUS"
        | "PAY_HOLD_ON_SO"
        | "ORD_UNAVAILBL_TO_FULFILL"
        | "OVER_FULFILL_DISALLWD"
        | "BALANCE_EXCEEDS_CREDIT_LIMIT"
        | "AMT_EXCEEDS_APPROVAL_LIMIT"
        | "ONE_ADMIN_REQD_PER_ACCT"
        | "LOCKED_DASHBOARD"
        | "DASHBOARD_LOCKED" => Cause::StateConflict,
        "DUP_RCRD"
        | "CANT_CREATE_NON_UNIQUE_RCRD"
        | "NAME_ALREADY_IN_USE"
        | "ITEM_NOT_UNIQUE"
        | "DATA_MUST_BE_UNIQUE"
        | "NONUNIQUE_INDEX_VALUE"
        | "ALREADY_IN_INVT"
        | "CC_ALREADY_SAVED"
        | "DOMAIN_IN_USE"
        | "DUPLICATE_KEYS" => Cause::DuplicateRecord,
        "INVALID_CONTENT"
        | "INVALID_PARAMETER"
        | "INVALID_HEADER"
        | "INVALID_VALUE"
        | "INVALID_FLD_VALUE"
        | "INVALID_KEY_OR_REF"
        | "INVALID_RCRD_REF"
        | "INVALID_REF_KEY"
        | "MAX_RCRDS_EXCEEDED"
        | "EXCEEDED_RQST_SIZE_LIMIT"
        | "EXCEEDED_MAX_FIELD_LENGTH"
        | "FLD_VALUE_TOO_LARGE"
        | "SINGLE_VALUE_REQD"
        | "PARSING_ERROR"
        | "MISSING_ENUM"
        | "CANT_SET_INTERNALID"
        | "FIELD_NOT_SETTABLE_ON_ADD"
        | "UNKNOWN_RCRD_TYPE"
        | "DATE_EXPECTED" => Cause::InvalidValue,
        _ => return by_pattern(code),
    };
    Some(exact)
}

/// The table's naming conventions, for codes not listed one by one.
fn by_pattern(code: &str) -> Option<Cause> {
    let c = code;
    Some(
        if c.ends_with("_IN_PROGRESS")
            || c.ends_with("_IN_USE")
            || c.starts_with("CANT_")
            || c.starts_with("CONCUR_")
            || c.ends_with("_DISALLWD")
        {
            Cause::StateConflict
        } else if c.starts_with("DUP_")
            || c.starts_with("DUPLICATE_")
            || c.ends_with("_ALREADY_EXISTS")
            || c.starts_with("UNIQUE_")
            || c.ends_with("_ALREADY_USED")
            || c.ends_with("_MUST_BE_UNIQUE")
        {
            Cause::DuplicateRecord
        } else if c.ends_with("_DSNT_EXIST") || c.ends_with("_NOT_FOUND") || c.ends_with("_DOES_NOT_EXIST") {
            Cause::NotFound
        } else if c.ends_with("_FEATURE_DISABLED")
            || c.ends_with("_FEATURE_REQD")
            || c.ends_with("_FEATURE_UNAVAILABLE")
        {
            Cause::PlanUnavailable
        } else if c.ends_with("_PERMISSION_REQD")
            || c.ends_with("_ACCESS_REQD")
            || c.ends_with("_ACCESS_DENIED")
        {
            Cause::PermissionMissing
        } else if (c.ends_with("_REQD")
            || c.ends_with("_REQUIRED")
            || c.starts_with("MISSING_")
            || c.ends_with("_MISSING"))
            && !c.ends_with("_SETUP_REQD")
            && !c.starts_with("POSITIVE_")
            && !c.starts_with("NONZERO_")
            && !c.starts_with("VALID_PRD")
        {
            Cause::MissingField
        } else if c.starts_with("INVALID_")
            || c.starts_with("INVLAID_")
            || c.ends_with("_MISMATCH")
            || c.starts_with("NEGATIVE_")
            || c.starts_with("POSITIVE_")
            || c.starts_with("NONZERO_")
            || c.starts_with("EXCEEDED_MAX_")
            || c.ends_with("_UNBALNCD")
        {
            Cause::InvalidValue
        } else if c.starts_with("SSS_") && (c.contains("LIMIT") || c.contains("EXCEEDED")) {
            // A customer script's governance, not the platform's: nothing this request can fix.
            return None;
        } else {
            return None;
        },
    )
}
