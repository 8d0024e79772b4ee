//! Product features, each owning its wire types, server functions and components.

pub mod api_keys;
pub mod audit;
pub mod backfills;
pub mod charts;
pub mod connections;
pub mod error_codes;
pub mod failures;
pub mod issues;
pub mod notifications;
pub mod overview;
pub mod requests;
pub mod retention;
pub mod search;
pub mod session;
pub mod shell;
pub mod sign_in;
pub mod sync_config;
pub mod ui;
pub mod webhooks;
