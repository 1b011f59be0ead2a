//! Herald's end-to-end tests, one binary: real plugins built from source,
//! the real `herald` binary, real Redis and HTTP(S) receivers.

mod api;
mod cli;
mod cluster;
mod dashboard;
mod delivery;
mod first_requests;
mod ingest;
mod log_format;
mod observability;
mod plugin_cases;
mod plugin_host;
mod plugin_languages;
mod recovery;
mod redis_choice;
mod redis_full;
mod redis_tls;
mod resilience;
mod sdk;
mod secrets_at_rest;
mod tracing;
