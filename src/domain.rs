//! The product's vocabulary (see DOMAIN.md): environments, roles, statuses, the platform
//! catalog and the normalized error codes. Shared by the server and the browser build.

pub mod connection_filter;
pub mod delivery_filter;
pub mod failures;
pub mod guidance;
pub mod overview;
pub mod request_filter;
pub mod request_list;
pub mod retention;
pub mod rollups;
pub mod sync_runs;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value a person or a program sent that cannot be used, with a message that names it and says
/// what is accepted. The services turn it into their "invalid" answer (400 on every boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput(pub String);

impl InvalidInput {
    pub fn new(message: impl Into<String>) -> Self {
        InvalidInput(message.into())
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidInput {}

/// Implements `as_str`, `parse` and `Display` for a plain string enum, so the database, URLs and
/// the UI all spell a value the same way.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        // Serialized as its text too (`"15m"`, `"needs_reauth"`), the same spelling as everywhere.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    serde::de::Error::custom(format!("{text:?} is not a {}", stringify!($name)))
                })
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Compared with its text directly (`status == "queued"`), as rows and tests often do.
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_string()
            }
        }

        // Stored as its text in a TEXT column on both databases; a value the enum does not
        // know fails the row's decoding instead of reaching the UI as an unknown string.
        #[cfg(feature = "ssr")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&'q str as sqlx::Encode<'q, DB>>::encode_by_ref(&self.as_str(), buf)
            }
        }

        #[cfg(feature = "ssr")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                $name::parse(text)
                    .ok_or_else(|| format!("{text:?} is not a {}", stringify!($name)).into())
            }
        }
    };
}

// After the macro, which it uses.
pub mod issues;
pub mod notifications;

string_enum!(
    /// Every organization has both environments; connections, logs and configuration belong to one.
    Environment { Sandbox => "sandbox", Production => "production" }
);

string_enum!(
    /// A member's role inside one organization.
    Role { Owner => "owner", Admin => "admin", Developer => "developer", Viewer => "viewer" }
);

string_enum!(
    /// Roles of Switchboard's own customer-success staff, who can look across organizations.
    StaffRole { Support => "support", SupportAdmin => "support_admin" }
);

string_enum!(
    IntegrationType { Accounting => "accounting", Commerce => "commerce", Payments => "payments" }
);

string_enum!(
    ConnectionStatus {
        Initializing => "initializing",
        Healthy => "healthy",
        Degraded => "degraded",
        NeedsReauth => "needs_reauth",
        Disabled => "disabled",
    }
);

string_enum!(
    SyncRunKind { Initial => "initial", Incremental => "incremental", Backfill => "backfill" }
);

string_enum!(
    SyncRunStatus {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Partial => "partial",
        Failed => "failed",
        NotSupported => "not_supported",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// What queued a sync run: the scheduler, a backfill, a person's "sync now", or a new
    /// connection's first sync.
    TriggerKind { Schedule => "schedule", Backfill => "backfill", User => "user", Connection => "connection" }
);

string_enum!(
    BackfillStatus {
        Queued => "queued",
        Running => "running",
        Succeeded => "succeeded",
        Partial => "partial",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// What an API key may call: `ingest` keys are the data plane's (`POST /api/v1/ingest/...`),
    /// `read` keys are customers' own tooling's (the read endpoints), and `backfills` keys may
    /// also start backfills, the one call from that side that makes the platform do work (and
    /// spend the customer's platform rate limits), so a dashboard's read key cannot.
    KeyScope { Ingest => "ingest", Read => "read", Backfills => "backfills" }
);

impl KeyScope {
    /// The create form's `scope` field; empty means `read`, the narrowest one.
    pub fn from_form(s: &str) -> Result<Self, InvalidInput> {
        match s.trim() {
            "" => Ok(KeyScope::Read),
            other => KeyScope::parse(other).ok_or_else(|| {
                InvalidInput::new(format!(
                    "Unknown scope \u{201c}{other}\u{201d}: choose read, backfills or ingest."
                ))
            }),
        }
    }

    /// Whether a key of this scope may make a call that needs `needed`: a `backfills` key reads
    /// too; `ingest` and `read` keys only do their own.
    pub fn allows(self, needed: KeyScope) -> bool {
        self == needed || (self == KeyScope::Backfills && needed == KeyScope::Read)
    }
}

string_enum!(
    /// Where a webhook delivery stands: waiting for its first attempt, waiting to retry after a
    /// failed one, delivered (a 2xx), or failed for good (attempts exhausted, endpoint disabled
    /// or deleted).
    DeliveryStatus { Pending => "pending", Retrying => "retrying", Delivered => "delivered", Failed => "failed" }
);

string_enum!(
    /// Everything the audit log records, spelled as stored. Every writer names one of these, and
    /// the audit page's filter offers exactly these, so it never offers an action nothing writes.
    AuditAction {
        SyncConfigSave => "sync_config.save",
        SyncConfigRestore => "sync_config.restore",
        SyncConfigApply => "sync_config.apply",
        BackfillCreate => "backfill.create",
        BackfillCancel => "backfill.cancel",
        ConnectionSyncNow => "connection.sync_now",
        ApiKeyCreate => "api_key.create",
        ApiKeyRevoke => "api_key.revoke",
        WebhookEndpointCreate => "webhook_endpoint.create",
        WebhookEndpointUpdate => "webhook_endpoint.update",
        WebhookEndpointEnable => "webhook_endpoint.enable",
        WebhookEndpointDisable => "webhook_endpoint.disable",
        WebhookEndpointDelete => "webhook_endpoint.delete",
        WebhookEndpointRotateSecret => "webhook_endpoint.rotate_secret",
        WebhookEndpointRevealSecret => "webhook_endpoint.reveal_secret",
        WebhookEndpointRecover => "webhook_endpoint.recover",
        WebhookDeliveryResend => "webhook_delivery.resend",
        IssueAcknowledge => "issue.acknowledge",
        IssueMute => "issue.mute",
        IssueUnmute => "issue.unmute",
        IssueResolve => "issue.resolve",
        IssueReopen => "issue.reopen",
        NotificationsUpdate => "notifications.update",
        NotificationsTest => "notifications.test",
        RetentionUpdate => "retention.update",
        StaffBackfillCreate => "staff.backfill.create",
        StaffBackfillCancel => "staff.backfill.cancel",
        StaffConnectionSyncNow => "staff.connection.sync_now",
        StaffWebhookDeliveryResend => "staff.webhook_delivery.resend",
        StaffWebhookEndpointRecover => "staff.webhook_endpoint.recover",
        StaffOpenOrganization => "staff.open_organization",
        StaffSwitchOrganization => "staff.switch_organization",
        StaffViewSyncConfig => "staff.view_sync_config",
        StaffViewConnection => "staff.view_connection",
        StaffViewRequest => "staff.view_request",
        StaffViewWebhookEndpoint => "staff.view_webhook_endpoint",
        StaffViewWebhookDelivery => "staff.view_webhook_delivery",
    }
);

impl AuditAction {
    /// The action as staff doing it in a customer's organization are recorded: the customer's
    /// own log must never show a staff member's act as one of theirs. Staff may do only what has
    /// a `staff.*` spelling (trigger backfills and syncs, resend and recover deliveries); any
    /// other action is refused to them before an entry is made, and keeps its name here.
    pub fn as_staff(self) -> Self {
        use AuditAction::*;
        match self {
            BackfillCreate => StaffBackfillCreate,
            BackfillCancel => StaffBackfillCancel,
            ConnectionSyncNow => StaffConnectionSyncNow,
            WebhookDeliveryResend => StaffWebhookDeliveryResend,
            WebhookEndpointRecover => StaffWebhookEndpointRecover,
            other => other,
        }
    }

    pub fn is_staff(self) -> bool {
        self.as_str().starts_with("staff.")
    }
}

string_enum!(
    /// How often the scheduler queues a connection's incremental syncs.
    Frequency { Every15Minutes => "15m", Hourly => "1h", Every6Hours => "6h", Daily => "24h" }
);

impl Frequency {
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Every15Minutes => "every 15 minutes",
            Frequency::Hourly => "every hour",
            Frequency::Every6Hours => "every 6 hours",
            Frequency::Daily => "every 24 hours",
        }
    }

    pub fn period_ms(self) -> i64 {
        match self {
            Frequency::Every15Minutes => 15 * 60_000,
            Frequency::Hourly => 3_600_000,
            Frequency::Every6Hours => 6 * 3_600_000,
            Frequency::Daily => 24 * 3_600_000,
        }
    }
}

impl Environment {
    pub fn label(self) -> &'static str {
        match self {
            Environment::Sandbox => "Sandbox",
            Environment::Production => "Production",
        }
    }
}

impl Role {
    /// Owners and admins edit configuration, webhooks, keys and members.
    pub fn can_administer(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl ConnectionStatus {
    pub fn label(self) -> &'static str {
        match self {
            ConnectionStatus::Initializing => "Initializing",
            ConnectionStatus::Healthy => "Healthy",
            ConnectionStatus::Degraded => "Degraded",
            ConnectionStatus::NeedsReauth => "Needs re-auth",
            ConnectionStatus::Disabled => "Disabled",
        }
    }
}

impl IntegrationType {
    pub fn label(self) -> &'static str {
        match self {
            IntegrationType::Accounting => "Accounting",
            IntegrationType::Commerce => "Commerce",
            IntegrationType::Payments => "Payments",
        }
    }

    /// The data objects of this integration type, in the order the console lists them.
    pub fn data_objects(self) -> &'static [&'static str] {
        match self {
            IntegrationType::Accounting => &[
                "accounts",
                "customers",
                "vendors",
                "invoices",
                "invoice_payments",
                "bills",
                "bill_payments",
                "expenses",
                "journal_entries",
                "balance_sheets",
                "income_statements",
            ],
            IntegrationType::Commerce => {
                &["orders", "products", "customers", "transactions", "refunds", "payouts", "inventory"]
            }
            IntegrationType::Payments => {
                &["charges", "refunds", "disputes", "payouts", "balance_transactions"]
            }
        }
    }
}

/// One platform of the shipped catalog.
#[derive(Debug, Clone, Copy)]
pub struct PlatformSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub integration_type: IntegrationType,
    pub supports_sync_history: bool,
    /// Data objects of the integration type this platform does not offer.
    pub unsupported_objects: &'static [&'static str],
}

impl PlatformSpec {
    pub fn supported_objects(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.integration_type.data_objects().iter().copied().filter(|o| !self.unsupported_objects.contains(o))
    }
}

/// The catalog to ship (DOMAIN.md). Which objects each platform lacks and which keep no sync
/// history mirrors what these platforms' public APIs offer.
pub const PLATFORMS: &[PlatformSpec] = &[
    PlatformSpec {
        id: "quickbooks_online",
        name: "QuickBooks Online",
        integration_type: IntegrationType::Accounting,
        supports_sync_history: true,
        unsupported_objects: &[],
    },
    PlatformSpec {
        id: "xero",
        name: "Xero",
        integration_type: IntegrationType::Accounting,
        supports_sync_history: true,
        unsupported_objects: &[],
    },
    PlatformSpec {
        id: "netsuite",
        name: "NetSuite",
        integration_type: IntegrationType::Accounting,
        supports_sync_history: true,
        unsupported_objects: &["balance_sheets"],
    },
    PlatformSpec {
        id: "sage_intacct",
        name: "Sage Intacct",
        integration_type: IntegrationType::Accounting,
        supports_sync_history: true,
        unsupported_objects: &["income_statements"],
    },
    PlatformSpec {
        id: "freshbooks",
        name: "FreshBooks",
        integration_type: IntegrationType::Accounting,
        supports_sync_history: false,
        unsupported_objects: &["journal_entries", "balance_sheets", "bill_payments"],
    },
    PlatformSpec {
        id: "shopify",
        name: "Shopify",
        integration_type: IntegrationType::Commerce,
        supports_sync_history: true,
        unsupported_objects: &[],
    },
    PlatformSpec {
        id: "amazon_seller",
        name: "Amazon Seller",
        integration_type: IntegrationType::Commerce,
        supports_sync_history: true,
        unsupported_objects: &["customers"],
    },
    PlatformSpec {
        id: "woocommerce",
        name: "WooCommerce",
        integration_type: IntegrationType::Commerce,
        supports_sync_history: false,
        unsupported_objects: &["payouts"],
    },
    PlatformSpec {
        id: "bigcommerce",
        name: "BigCommerce",
        integration_type: IntegrationType::Commerce,
        supports_sync_history: true,
        unsupported_objects: &["payouts"],
    },
    PlatformSpec {
        id: "etsy",
        name: "Etsy",
        integration_type: IntegrationType::Commerce,
        supports_sync_history: false,
        unsupported_objects: &["inventory"],
    },
    PlatformSpec {
        id: "stripe",
        name: "Stripe",
        integration_type: IntegrationType::Payments,
        supports_sync_history: true,
        unsupported_objects: &[],
    },
    PlatformSpec {
        id: "square",
        name: "Square",
        integration_type: IntegrationType::Payments,
        supports_sync_history: true,
        unsupported_objects: &[],
    },
    PlatformSpec {
        id: "paypal",
        name: "PayPal",
        integration_type: IntegrationType::Payments,
        supports_sync_history: false,
        unsupported_objects: &["balance_transactions"],
    },
];

pub fn platform(id: &str) -> Option<&'static PlatformSpec> {
    PLATFORMS.iter().find(|p| p.id == id)
}

/// A normalized error code of the unified API, with what it means and what to do about it.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodeSpec {
    pub code: &'static str,
    pub status: u16,
    pub title: &'static str,
    pub meaning: &'static str,
    pub next_step: &'static str,
}

pub const ERROR_CODES: &[ErrorCodeSpec] = &[
    ErrorCodeSpec { code: "missing-params", status: 400, title: "A required field is missing", meaning: "The request body lacks a field the platform requires for this operation.", next_step: "Add the field named in the message and send the request again; the raw platform error names the field the platform expected." },
    ErrorCodeSpec { code: "invalid-params", status: 400, title: "A field value is invalid", meaning: "A field is present but its value is not accepted (wrong format, unknown reference, out of range).", next_step: "Correct the value of the field named in the message; the raw platform error says what the platform accepts." },
    ErrorCodeSpec { code: "record-already-exists", status: 400, title: "A record with that value exists", meaning: "The platform enforces uniqueness on a value you sent (a document number, an email, a SKU).", next_step: "Look the existing record up and update it instead, or send a different unique value." },
    ErrorCodeSpec { code: "operation-denied", status: 400, title: "The platform refused the operation", meaning: "The request was well formed, but the platform does not allow this change in the record's current state (a closed period, a paid invoice).", next_step: "Check the record's state in the platform; the raw platform error gives the platform's reason." },
    ErrorCodeSpec { code: "platform-denied", status: 400, title: "The platform refused the request", meaning: "The platform rejected the request as a whole, typically for missing permissions or a plan that lacks the feature.", next_step: "Ask the end customer to check the permissions and plan of the connected account." },
    ErrorCodeSpec { code: "unknown-error", status: 400, title: "Unclassified platform error", meaning: "The platform's error could not be mapped to a normalized code.", next_step: "Read the raw platform error below; if it recurs, send the request ID to support so the mapping can be added." },
    ErrorCodeSpec { code: "unauthorized", status: 401, title: "Credentials expired or revoked", meaning: "The platform no longer accepts the connection's access token.", next_step: "Ask the end customer to reconnect this connection; requests will fail until they do." },
    ErrorCodeSpec { code: "forbidden", status: 403, title: "Access denied by the platform", meaning: "The connected account lacks permission for this resource, or the API key lacks access.", next_step: "Ask the end customer to grant the missing scope and reconnect, or check the API key's environment." },
    ErrorCodeSpec { code: "not-found", status: 404, title: "Record or connection not found", meaning: "The record or connection does not exist in this environment.", next_step: "Check the ID and the environment (sandbox or production) of the API key you used." },
    ErrorCodeSpec { code: "idempotency-conflict", status: 409, title: "Idempotency key reused with a different body", meaning: "A request with the same idempotency key but a different body was already processed.", next_step: "Use a new idempotency key for a different request, or resend the original body unchanged." },
    ErrorCodeSpec { code: "rate-limited", status: 429, title: "Rate limited by the platform", meaning: "The platform's rate limit for this connection was exceeded.", next_step: "Back off and retry after the time in the Retry-After header; spread bulk work over time." },
    ErrorCodeSpec { code: "internal-error", status: 500, title: "Internal error", meaning: "The unified API failed while handling the request.", next_step: "Safe to retry with the same idempotency key; if it persists, send the request ID to support." },
    ErrorCodeSpec { code: "platform-unavailable", status: 503, title: "Platform outage or timeout", meaning: "The platform timed out or reported an outage.", next_step: "The platform is having trouble; retry later with the same idempotency key, which makes the retry safe." },
];

pub fn error_code(code: &str) -> Option<&'static ErrorCodeSpec> {
    ERROR_CODES.iter().find(|e| e.code == code)
}

/// HTTP methods the unified API accepts.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The webhook event catalog: every type an endpoint can subscribe to, and when it is sent.
pub const EVENT_TYPES: &[(&str, &str)] = &[
    ("connection.created", "A customer linked a platform account."),
    ("connection.initial_sync_completed", "A new connection finished its first sync."),
    (
        "connection.needs_reauth",
        "The platform refused the connection's credentials: the customer must link it again.",
    ),
    ("connection.disabled", "A connection was disabled."),
    ("connection.deleted", "A connection was deleted."),
    (
        "sync.completed",
        "A sync finished; the payload lists each data object's status, failed ones as FAILED.",
    ),
    ("backfill.completed", "A backfill ended: succeeded, partly failed or cancelled."),
    ("endpoint.disabled", "A webhook endpoint was disabled automatically (410 Gone, or failing for 5 days)."),
    (
        "issue.opened",
        "An issue was detected (credentials, permissions, rate limiting, failing syncs or endpoints, ...).",
    ),
    ("issue.resolved", "An issue resolved: by itself when its cause cleared, or by a person."),
    ("issue.reopened", "A resolved issue came back within 7 days (a regression)."),
    ("webhook.test", "A test event sent from the console."),
];

/// The ids of a comma- (or space-) separated form value (the backfill and apply forms).
pub fn split_list(s: &str) -> Vec<String> {
    s.split([',', ' ']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

/// Text a person typed, refused when it holds a NUL or another control character that no form
/// field means (PostgreSQL text cannot store NUL at all); line breaks and tabs are kept.
pub fn check_text(label: &str, value: &str) -> Result<(), InvalidInput> {
    match value.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        Some(c) => Err(InvalidInput::new(format!(
            "{label}: remove the control character U+{:04X}; it cannot be stored.",
            c as u32
        ))),
        None => Ok(()),
    }
}

/// One choice of a list filter from a URL: empty means any; anything else must be one of
/// `allowed`, or the message names the filter and its choices.
pub fn one_of(label: &str, value: &str, allowed: &[&str]) -> Result<Option<String>, InvalidInput> {
    let v = value.trim();
    if v.is_empty() {
        Ok(None)
    } else if allowed.contains(&v) {
        Ok(Some(v.to_string()))
    } else {
        Err(InvalidInput::new(format!("Unknown {label} {v:?}: choose one of {}.", allowed.join(", "))))
    }
}
