//! # Herald
//!
//! A WebAssembly-extensible webhook delivery runtime.
//!
//! # Layout
//! The modules, in the order an event passes through them:
//! - [`api`]: the HTTP API: typed requests and responses, permissions as
//!   extractors, the OpenAPI document generated from the same types.
//! - [`event`] and [`model`]: the domain and its input rules (an event's in
//!   [`event::NewEvent::parse`], a webhook's in [`model::rules`]), used by the
//!   API and the ingest stream alike.
//! - [`ingest`]: the producer-facing ingest stream, under the same rules
//!   (rejects kept, counted and listed).
//! - [`store`]: the only code that speaks Redis: publishing (event stored and
//!   fanned out in one script), the sharded work queue, delivery records,
//!   outcomes, stats; key names and hash tags in [`store::keys`]. Webhook
//!   secrets are sealed on the way in by [`secrets`] (the master keyring).
//! - [`worker`]: claims batches, runs attempts, hands outcomes on;
//!   [`lanes`]: receivers that hang kept apart from healthy ones (the slow
//!   lane); [`takeover`]: heartbeats, and the work of dead workers taken over.
//! - [`cache`]: webhook configs and loaded plugins in memory, invalidated by
//!   the change feed.
//! - [`attempt`]: one attempt: [`filter`] (native filters), the plugin chain
//!   ([`plugin`]: the wasmtime host), the request with its signature
//!   ([`sign`]), the send ([`deliver`]: hyper over rustls, address policy).
//! - [`retry`]: the schedule, jitter and `Retry-After`; [`rate`]: per-webhook
//!   rate limits across processes.
//! - [`destination`]: adaptive concurrency and circuit breaking per
//!   receiver `host:port`.
//! - [`operational`]: Herald's own event types (a webhook disabled or
//!   failing, a delivery dead), published into the org like any event.
//! - [`recorder`]: outcomes written in groups, each with its acknowledgement.
//! - [`metrics`]: Prometheus counters and histograms; [`telemetry`]:
//!   OpenTelemetry traces over OTLP, one trace per event.
//! - [`ui`]: the dashboard and customer portal at `/ui/`, a client of the
//!   API with cookie sessions ([`api::session`]).
//!
//! Around them: [`config`] (settings), [`app`] (the state handlers and
//! workers share; [`auth_limit`] counts failed authentications per address),
//! [`serve`] (wiring and shutdown), [`embedded`] (a local Redis when none is
//! configured), [`memory`] (handing idle memory back),
//! [`cli`] (the binary's commands), and the small shared utilities
//! [`clock`], [`id`] and [`shutdown`].

pub mod api;
pub mod app;
pub mod attempt;
pub mod auth_limit;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod deliver;
pub mod destination;
pub mod embedded;
pub mod event;
pub mod filter;
pub mod id;
pub mod ingest;
pub mod lanes;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod operational;
pub mod plugin;
#[cfg(test)]
mod properties;
pub mod rate;
pub mod recorder;
pub mod retry;
pub mod secrets;
pub mod serve;
pub mod shutdown;
pub mod sign;
pub mod store;
pub mod takeover;
pub mod telemetry;
pub mod ui;
pub mod worker;
