//! Who asks a service to do something: a person signed in to the console, or a program calling
//! the API with a key. Services read from it the scope a caller may see, whether they may act,
//! and how an audit entry names them.

use super::access;
use super::auth::Viewer;
use super::service::{ServiceError, ServiceResult};
use super::store::{ObjectKind, Scope};
use super::AppState;
use crate::domain::KeyScope;
use std::sync::Arc;

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
        if self.key_scope == needed {
            return Ok(());
        }
        Err(ServiceError::forbidden(match needed {
            KeyScope::Ingest => "This endpoint needs an ingest key (sb_ingest_...); this is a read key.",
            KeyScope::Read => "This endpoint needs a read key (sb_read_...); this is an ingest key.",
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
            Actor::Person(v) => access::own_scope(v),
            Actor::Key(k) => k.scope.clone(),
            Actor::System { scope, .. } => scope.clone(),
        }
    }

    /// Whether the actor may change an organization's settings (API keys, webhooks,
    /// configuration): owners, admins and support admins, and the system itself.
    pub fn may_administer(&self) -> bool {
        match self {
            Actor::Person(v) => v.can_administer(),
            Actor::Key(_) => false,
            Actor::System { .. } => true,
        }
    }

    /// The scope to load object `id` in. A person goes through `server::access` (staff may look
    /// into another organization, audited; a customer gets "not found" for another's id); a key
    /// only ever sees its own environment, where another's id is simply not found.
    pub async fn scope_for(&self, state: &AppState, kind: ObjectKind, id: &str) -> ServiceResult<Scope> {
        match self {
            Actor::Person(v) => access::scope_for(state, v, kind, id).await,
            Actor::Key(k) => Ok(k.scope.clone()),
            Actor::System { scope, .. } => Ok(scope.clone()),
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
