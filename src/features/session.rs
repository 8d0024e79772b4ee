//! Who is signed in, in which organization and environment: what the shell shows.

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgOption {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewerInfo {
    pub email: String,
    pub name: String,
    pub role_label: String,
    pub is_staff: bool,
    pub can_administer: bool,
    pub organization: OrgOption,
    pub environment: String,
    /// Organizations the viewer can switch to: their memberships, or for staff the first
    /// [`STAFF_PICKER_SIZE`] by name (plus the current one); staff open others by slug or ID.
    pub organizations: Vec<OrgOption>,
    /// Staff: there are more organizations than the picker lists.
    pub more_organizations: bool,
}

pub const STAFF_PICKER_SIZE: i64 = 50;

#[server(input = GetUrl, endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<ViewerInfo, AppError> {
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let mut more_organizations = false;
    let mut organizations: Vec<OrgOption> = if viewer.is_staff() {
        let mut rows = state.store.list_organizations(None, STAFF_PICKER_SIZE + 1).await.map_err(internal)?;
        more_organizations = rows.len() as i64 > STAFF_PICKER_SIZE;
        rows.truncate(STAFF_PICKER_SIZE as usize);
        rows.into_iter().map(|o| OrgOption { id: o.id, name: o.name }).collect()
    } else {
        state
            .store
            .memberships(&viewer.user_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|m| OrgOption { id: m.organization_id, name: m.organization_name })
            .collect()
    };
    if !organizations.iter().any(|o| o.id == viewer.organization_id) {
        organizations.insert(
            0,
            OrgOption { id: viewer.organization_id.clone(), name: viewer.organization_name.clone() },
        );
    }
    Ok(ViewerInfo {
        more_organizations,
        email: viewer.email.clone(),
        name: viewer.name.clone(),
        role_label: viewer.role_label(),
        is_staff: viewer.is_staff(),
        can_administer: viewer.can_administer(),
        organization: OrgOption {
            id: viewer.organization_id.clone(),
            name: viewer.organization_name.clone(),
        },
        environment: viewer.environment.as_str().to_string(),
        organizations,
    })
}
