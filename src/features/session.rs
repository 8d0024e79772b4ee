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
    /// Organizations the viewer can switch to: their memberships, or all of them for staff.
    pub organizations: Vec<OrgOption>,
}

#[server(input = GetUrl)]
pub async fn get_viewer() -> Result<ViewerInfo, AppError> {
    use crate::server::context::{internal, session};
    let (state, viewer) = session()?;
    let organizations = if viewer.is_staff() {
        state
            .store
            .list_organizations()
            .await
            .map_err(internal)?
            .into_iter()
            .map(|o| OrgOption { id: o.id, name: o.name })
            .collect()
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
    Ok(ViewerInfo {
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
