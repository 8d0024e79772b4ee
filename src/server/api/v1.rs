//! The `/api/v1` handlers, one file per resource, and the extractors they share.

pub mod backfills;
pub mod connections;
pub mod extract;
pub mod ingest;
pub mod issues;
pub mod request_logs;
pub mod webhook_deliveries;
