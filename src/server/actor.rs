//! Who asks a service to do something: a person signed in to the console, or a program calling
//! the API with a key. Services read from it the scope a caller may see, whether they may act,
//! and how an audit entry names them.

use super::service::{ServiceError, ServiceResult};
use super::store::SessionRow;
use super::store::{ObjectKind, Scope};
use crate::domain::KeyScope;
use crate::domain::{Environment, Role, StaffRole};
use std::sync::Arc;

/// The signed-in user as every server function sees them, for the organization and environment
/// currently selected in their session.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub token_hash: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub staff_role: Option<StaffRole>,
    pub organization_id: String,
    pub organization_name: String,
    pub environment: Environment,
    /// Role in the selected organization; `None` when staff look into an organization that is
    /// not theirs.
    pub role: Option<Role>,
    pub ip: Option<String>,
}

impl Viewer {
    pub(crate) fn from_row(row: SessionRow, ip: Option<String>) -> Self {
        Viewer {
            token_hash: row.token_hash,
            user_id: row.user_id,
            email: row.email,
            name: row.user_name,
            staff_role: row.staff_role,
            organization_id: row.organization_id,
            organization_name: row.organization_name,
            environment: Environment::parse(&row.environment).unwrap_or(Environment::Production),
            role: row.role,
            ip,
        }
    }

    pub fn is_staff(&self) -> bool {
        self.staff_role.is_some()
    }

    /// Owners and admins of the organization may manage its API keys and read its audit log.
    /// Staff never: keys are the customer's credentials, and staff rights end at reading,
    /// triggering syncs and resending deliveries (DOMAIN).
    pub fn can_administer(&self) -> bool {
        self.role.is_some_and(Role::can_administer)
    }

    /// Whether this viewer may read data of `organization_id`; staff may read any.
    pub fn may_read(&self, organization_id: &str) -> bool {
        self.is_staff() || organization_id == self.organization_id
    }

    /// The viewer's own organization and selected environment.
    pub fn own_scope(&self) -> Scope {
        Scope::new(self.organization_id.clone(), self.environment.as_str())
    }

    /// A role name for display: the membership role, or the staff role.
    pub fn role_label(&self) -> String {
        match (self.role, self.staff_role) {
            (Some(r), _) => r.as_str().to_string(),
            (None, Some(s)) => format!("staff · {}", s.as_str()),
            (None, None) => "none".into(),
        }
    }
}

/// The API key a call was made with (set by the API's authentication middleware).
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub key_id: String,
    pub key_prefix: String,
    pub key_scope: KeyScope,
    pub scope: Scope,
}

impl ApiCaller {
    /// Refuses a key of the other scope, saying which one the call needs.
    pub fn require(&self, needed: KeyScope) -> ServiceResult<()> {
        if self.key_scope.allows(needed) {
            return Ok(());
        }
        let this = match self.key_scope {
            KeyScope::Ingest => "an ingest key",
            KeyScope::Read => "a read key",
            KeyScope::Backfills => "a backfills key",
        };
        Err(ServiceError::forbidden(match needed {
            KeyScope::Ingest => format!("This endpoint needs an ingest key (sb_ingest_...); this is {this}."),
            KeyScope::Read => {
                format!("This endpoint needs a read or backfills key (sb_read_..., sb_backfills_...); this is {this}.")
            }
            KeyScope::Backfills => format!(
                "Creating a backfill needs a backfills key (sb_backfills_...); this is {this}. Create one at /settings/api-keys."
            ),
        }))
    }
}

#[derive(Debug, Clone)]
pub enum Actor {
    /// A person signed in to the console.
    Person(Arc<Viewer>),
    /// A program calling the API with a key.
    Key(ApiCaller),
    /// The command line, the built-in data plane, benchmarks: trusted, working in one scope,
    /// named in the audit log by what they are (`cli`, `serve --demo`).
    System { name: String, scope: Scope },
}

impl Actor {
    /// The organization and environment the actor works in: a person's selected ones, a key's own.
    pub fn scope(&self) -> Scope {
        match self {
            Actor::Person(v) => v.own_scope(),
            Actor::Key(k) => k.scope.clone(),
            Actor::System { scope, .. } => scope.clone(),
        }
    }

    /// Whether the actor may manage an organization's API keys: its owners and admins, and the
    /// system itself; never staff or a key.
    pub fn may_administer(&self) -> bool {
        match self {
            Actor::Person(v) => v.can_administer(),
            Actor::Key(_) => false,
            Actor::System { .. } => true,
        }
    }

    /// "Not found" for an id the actor cannot see, worded for where the actor reads it; the same
    /// for an id of another organization as for one that does not exist.
    pub fn not_found(&self, kind: ObjectKind, id: &str) -> ServiceError {
        match self {
            Actor::Person(_) => {
                ServiceError::not_found(format!("No {} {id} was found in your organization.", kind.as_str()))
            }
            Actor::Key(_) | Actor::System { .. } => {
                ServiceError::not_found(format!("No {} {id} in this environment.", kind.as_str()))
            }
        }
    }

    /// How audit entries and authored objects (a backfill's "created by") name the actor.
    pub fn author(&self) -> Author {
        match self {
            Actor::Person(v) => Author::person(v),
            Actor::Key(k) => Author {
                user_id: None,
                email: format!("API key {}", k.key_prefix),
                ip: None,
                staff: false,
                idempotency_scope: k.key_id.clone(),
            },
            Actor::System { name, .. } => Author::system(name),
        }
    }
}

/// Who did something, as the audit log and authored objects record it.
#[derive(Debug, Clone)]
pub struct Author {
    /// The user, for people; `None` for an API key or the system.
    pub user_id: Option<String>,
    /// What the audit log and the backfill page show as its author.
    pub email: String,
    pub ip: Option<String>,
    /// Staff acting inside a customer's organization (audited as `staff.*`).
    pub staff: bool,
    /// Scopes an idempotency key: the same key from two authors is two objects.
    pub idempotency_scope: String,
}

impl Author {
    pub fn person(viewer: &Viewer) -> Self {
        Author {
            user_id: Some(viewer.user_id.clone()),
            email: viewer.email.clone(),
            ip: viewer.ip.clone(),
            staff: viewer.role.is_none() && viewer.staff_role.is_some(),
            idempotency_scope: viewer.user_id.clone(),
        }
    }

    /// The command line, the built-in data plane, benchmarks: named by what they are.
    pub fn system(name: &str) -> Self {
        Author {
            user_id: None,
            email: name.to_string(),
            ip: None,
            staff: false,
            idempotency_scope: name.to_string(),
        }
    }
}
