//! One integration-test binary: the store contract and the HTTP surface, each run against
//! SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.

mod api;
mod backfill_input;
mod cli;
mod demo_model;
mod export;
mod form_fuzz;
mod hardening;
mod helpers;
mod http;
mod issues;
mod notifications;
mod overview;
mod plans;
mod retention;
mod rollups;
mod scale_out;
mod search;
mod secrets_at_rest;
mod store_contract;
mod sweep;
mod sync_config;
mod webhooks;
mod worker;
