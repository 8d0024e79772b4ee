//! The audit log's entries, built one way: what was done (`AuditAction`), to which object, by
//! whom, from where, with what details, at the caller's clock. Changes hand the entry to the
//! store method that writes it in the change's own transaction; reads that must leave a trace
//! (staff looking into another organization) record it with [`record`] before returning data.

use super::actor::{Author, Viewer};
use super::service::{page_from_cursors, ServiceError, ServiceResult};
use super::store::{keyset_window, AuditQuery, AuditRow, NewAuditEntry, Store, StoreResult};
use super::AppState;
use crate::domain::AuditAction;
use crate::ids;

/// An audit entry under construction: `Audit::new(action, target, id, now).by(&author)...`.
#[must_use]
pub struct Audit(NewAuditEntry);

impl Audit {
    /// `action` done to the object `target_type`/`target_id` at `now`, by nobody yet.
    pub fn new(action: AuditAction, target_type: &str, target_id: &str, now: i64) -> Self {
        Audit(NewAuditEntry {
            id: ids::make_id(ids::prefix::AUDIT, now, rand::random()),
            organization_id: None,
            actor_user_id: None,
            actor_email: String::new(),
            action,
            target_type: target_type.to_string(),
            target_id: target_id.to_string(),
            ip: None,
            details: "{}".to_string(),
            created_at: now,
        })
    }

    /// Done by this author: a person (user, email, address) or the system (its name). Staff
    /// acting in a customer's organization are recorded under the action's `staff.*` name.
    pub fn by(mut self, author: &Author) -> Self {
        if author.staff {
            self.0.action = self.0.action.as_staff();
        }
        self.0.actor_user_id = author.user_id.clone();
        self.0.actor_email = author.email.clone();
        self.0.ip = author.ip.clone();
        self
    }

    /// Done by this signed-in person, in the organization they are looking at.
    pub fn by_viewer(self, viewer: &Viewer) -> Self {
        let organization_id = viewer.organization_id.clone();
        self.by(&Author::person(viewer)).of_organization(&organization_id)
    }

    /// The organization whose log shows the entry.
    pub fn of_organization(mut self, organization_id: &str) -> Self {
        self.0.organization_id = Some(organization_id.to_string());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.0.details = details.to_string();
        self
    }

    pub fn entry(self) -> NewAuditEntry {
        self.0
    }
}

/// Records a read that must leave a trace before the data is returned.
pub async fn record(store: &dyn Store, audit: Audit) -> StoreResult<()> {
    store.insert_audit(&audit.entry()).await
}

/// A page of the audit log, with the filters as understood.
pub struct LogPage {
    pub rows: Vec<AuditRow>,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub action: Option<AuditAction>,
    /// The person filter, lower-cased; empty for everyone.
    pub actor: String,
}

/// The organization's audit log for its owners and admins, newest first, optionally of one
/// action or one person (by email), `limit` entries from the cursors' page.
pub async fn log_page(
    state: &AppState,
    viewer: &Viewer,
    action: &str,
    actor: &str,
    before: &str,
    after: &str,
    limit: i64,
) -> ServiceResult<LogPage> {
    if !viewer.role.is_some_and(crate::domain::Role::can_administer) {
        return Err(ServiceError::forbidden("The audit log is for the organization's owners and admins."));
    }
    let action = match action.trim() {
        "" => None,
        a => Some(AuditAction::parse(a).ok_or_else(|| {
            ServiceError::invalid(format!("Unknown action {a:?}: choose one from the list, or all actions."))
        })?),
    };
    let actor = actor.trim().to_lowercase();
    if actor.chars().count() > 200 {
        return Err(ServiceError::invalid(
            "The person filter is an email address of at most 200 characters.",
        ));
    }
    let page = page_from_cursors(ids::prefix::AUDIT, "audit entry", Some(before), Some(after))?;
    let q = AuditQuery {
        organization_id: viewer.organization_id.clone(),
        action,
        actor_email: (!actor.is_empty()).then(|| actor.clone()),
        page: page.clone(),
        limit: limit + 1,
    };
    let rows = state.store.audit_page(&q).await?;
    let (rows, newer, older) = keyset_window(rows, &page, limit, |r| r.id.clone());
    Ok(LogPage { rows, newer, older, action, actor })
}
