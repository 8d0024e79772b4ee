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
    let (organizations, more_organizations) =
        crate::server::auth::switchable_organizations(&state, &viewer, STAFF_PICKER_SIZE)
            .await
            .map_err(internal)?;
    let organizations = organizations.into_iter().map(|(id, name)| OrgOption { id, name }).collect();
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
