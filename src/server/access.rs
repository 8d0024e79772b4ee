//! Which organization and environment a caller may read an object in: the one path by which
//! an id from a URL becomes a [`Scope`] for the store.
//!
//! Customers get their own organization and selected environment. An id of theirs in the other
//! environment gets a "switch environment" answer (it is their own data, so saying so leaks
//! nothing). An id of another organization is "not found" for customers, word for word the same
//! as an id that does not exist. Staff may read another organization's object, and every such
//! look is written to the audit log before anything is returned.

use super::actor::{Actor, Author};
use super::audit::Audit;
use super::auth::Viewer;
use super::service::{ServiceError, ServiceResult};
use super::store::{ObjectKind, Scope};
use super::AppState;

/// The scope to load `id` in, for this viewer.
pub async fn scope_for(
    state: &AppState,
    viewer: &Viewer,
    kind: ObjectKind,
    id: &str,
) -> ServiceResult<Scope> {
    let not_found =
        || ServiceError::not_found(format!("No {} {id} was found in your organization.", kind.as_str()));
    let own = Scope::new(viewer.organization_id.clone(), viewer.environment.as_str());
    let Some(found) = state.store.locate(kind, id).await? else {
        return Err(not_found());
    };
    if found == own {
        return Ok(own);
    }
    if found.organization_id == viewer.organization_id && !(viewer.is_staff() && viewer.role.is_none()) {
        return Err(ServiceError::not_found(format!(
            "{} {id} belongs to the {} environment of {}. Switch to {} (top right) to open it.",
            capitalize(kind.as_str()),
            found.environment,
            viewer.organization_name,
            found.environment,
        )));
    }
    if !viewer.is_staff() {
        return Err(not_found());
    }
    let entry = Audit::new(kind.staff_view_action(), kind.code(), id, state.clock.now_ms())
        .by(&Author::person(viewer))
        .of_organization(&found.organization_id)
        .details(serde_json::json!({"environment": found.environment}));
    super::audit::record(state.store.as_ref(), entry).await?;
    Ok(found)
}

impl Actor {
    /// The scope to load object `id` in. A person goes through `server::access` (staff may look
    /// into another organization, audited; a customer gets "not found" for another's id); a key
    /// only ever sees its own environment, where another's id is simply not found.
    pub async fn scope_for(&self, state: &AppState, kind: ObjectKind, id: &str) -> ServiceResult<Scope> {
        match self {
            Actor::Person(v) => scope_for(state, v, kind, id).await,
            Actor::Key(k) => Ok(k.scope.clone()),
            Actor::System { scope, .. } => Ok(scope.clone()),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}
