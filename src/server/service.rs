//! What every service shares. A service is the one place an operation of a context lives
//! (list, get, create, resend, ...): server functions, API handlers, the worker and the command
//! line parse their input, call it and map its answer. Each takes the shared state, the
//! actor who asks (`server::actor`) and its input, and fails with a [`ServiceError`], which
//! is mapped once to the console's error (`From<ServiceError> for AppError`, here) and once to the
//! API's (`From<ServiceError> for ApiError`, in `api/error.rs`).

use super::store::{Page, StoreError};
use crate::domain::InvalidInput;
use crate::error::AppError;
use crate::ids::parse_id;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input names a problem the caller can fix.
    #[error("{0}")]
    Invalid(String),
    /// The object does not exist or belongs to another organization: the two read the same.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this; the message says who may.
    #[error("{0}")]
    Forbidden(String),
    /// Someone else changed the object since the caller read it, or the id is taken.
    #[error("{0}")]
    Conflict(String),
    /// The database failed: logged with its detail where it is mapped, never shown.
    #[error("database error: {0}")]
    Store(#[from] StoreError),
    /// Something that cannot happen did (a stored value outside the catalog): logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

impl ServiceError {
    pub fn invalid(message: impl Into<String>) -> Self {
        ServiceError::Invalid(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        ServiceError::NotFound(message.into())
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        ServiceError::Conflict(message.into())
    }
}

impl From<InvalidInput> for ServiceError {
    fn from(e: InvalidInput) -> Self {
        ServiceError::Invalid(e.0)
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => AppError::Invalid(m),
            ServiceError::NotFound(m) => AppError::NotFound(m),
            ServiceError::Forbidden(m) => AppError::Forbidden(m),
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Store(e) => internal(e),
            ServiceError::Internal(why) => {
                tracing::error!(%why, "internal error");
                AppError::Internal
            }
        }
    }
}

/// The page of a keyset list that its `before` / `after` cursors ask for: each must be an id of
/// the listed kind (`prefix`, named `kind` in the message); empty counts as absent. Every list
/// reads its cursors here, the console's and the API's.
pub fn page_from_cursors(
    prefix: &'static str,
    kind: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> ServiceResult<Page> {
    let cursor = |name: &str, v: &str| {
        parse_id(prefix, v).map_err(|e| {
            ServiceError::invalid(format!(
                "The page cursor in this link is not valid ({name}={v:?} is not a {kind} ID: {e}). Start again from the newest."
            ))
        })
    };
    fn present(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty())
    }
    match (present(before), present(after)) {
        (Some(_), Some(_)) => Err(ServiceError::invalid(
            "The link has both an older (before) and a newer (after) page cursor: keep one, or start again from the newest.",
        )),
        (Some(b), None) => Ok(Page::Before(cursor("before", b)?)),
        (None, Some(a)) => Ok(Page::After(cursor("after", a)?)),
        (None, None) => Ok(Page::First),
    }
}

/// An id from a URL or a body, of the kind `prefix`; `what` names it with its article ("a
/// connection", "an API key").
pub fn parse_id_param(prefix: &'static str, what: &str, v: &str) -> ServiceResult<String> {
    parse_id(prefix, v.trim()).map_err(|e| ServiceError::invalid(format!("{v:?} is not {what} ID: {e}.")))
}

/// Store failures are logged here with their detail and reach the browser as a generic error.
pub fn internal(err: StoreError) -> AppError {
    tracing::error!(error = %err, "store error");
    AppError::Internal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{make_id, prefix};

    #[test]
    fn cursors_are_ids_of_the_list_and_never_both() {
        let id = make_id(prefix::REQUEST, 1, 2);
        assert_eq!(page_from_cursors(prefix::REQUEST, "request", None, Some("")).unwrap(), Page::First);
        assert_eq!(
            page_from_cursors(prefix::REQUEST, "request", Some(&id), None).unwrap(),
            Page::Before(id.clone())
        );
        assert_eq!(
            page_from_cursors(prefix::REQUEST, "request", Some(" "), Some(&id)).unwrap(),
            Page::After(id.clone())
        );
        assert!(page_from_cursors(prefix::REQUEST, "request", Some(&id), Some(&id)).is_err());
        let e = page_from_cursors(prefix::CONNECTION, "connection", Some(&id), None).unwrap_err();
        assert!(e.to_string().contains("connection ID"), "{e}");
    }
}
