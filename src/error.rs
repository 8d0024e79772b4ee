//! The error type of the server-function boundary. Every server function returns it; the browser
//! receives it as JSON and shows its message. Internal details never cross: the server logs them
//! and sends `Internal` with a generic message.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the user must sign in (again).
    #[error("Your session has ended. Sign in again to continue.")]
    Unauthorized,
    /// Signed in, but the role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The object does not exist, or belongs to another organization: the two are
    /// indistinguishable on purpose.
    #[error("{0}")]
    NotFound(String),
    /// The input names a problem the user can fix.
    #[error("{0}")]
    Invalid(String),
    /// Someone else changed the object since this request's version of it was read.
    #[error("{0}")]
    Conflict(String),
    #[error("Something went wrong on our side. Try again; if it keeps happening, contact support.")]
    Internal,
    /// Transport or encoding failure between the browser and the server.
    #[error("The server could not be reached: {0}")]
    Transport(String),
}

impl AppError {
    pub fn forbidden(msg: impl Into<String>) -> Self {
        AppError::Forbidden(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        AppError::NotFound(msg.into())
    }
    pub fn invalid(msg: impl Into<String>) -> Self {
        AppError::Invalid(msg.into())
    }
}

impl From<crate::domain::InvalidInput> for AppError {
    fn from(e: crate::domain::InvalidInput) -> Self {
        AppError::Invalid(e.0)
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status a server function answers with when it fails this way.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid(_) | AppError::Transport(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::Invalid(format!("The request could not be read: {msg}"))
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
