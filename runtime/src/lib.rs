//! # Herald
//!
//! A WebAssembly-extensible webhook delivery runtime.
//!
//! # Layout
//! The modules, in the order an event passes through them:
//! - [`api`]: the HTTP API (publish, webhooks, logs, plugins, health, metrics).
//! - [`ingest`]: an event stored and its deliveries enqueued, atomically and idempotently.
//! - [`queue`]: the Redis stream and consumer group; retries due; take-over of dead workers' work.
//! - [`worker`]: claims deliveries, runs attempts, records outcomes, schedules retries.
//! - [`attempt`]: one attempt: [`filter`] (native), [`plugin`] (filters, transforms), [`sign`], [`deliver`].
//! - [`retry`]: the schedule, jitter and `Retry-After`.
//! - [`store`]: orgs, webhooks, events, deliveries, attempts and stats in Redis.
//! - [`metrics`]: Prometheus counters and histograms.
//!
//! Around them: [`config`] (settings), [`model`] (the resources), [`event`]
//! (the event and its default payload), [`cache`] (webhooks and plugins in
//! memory), [`app`] (shared state), [`embedded`] (a local Redis when none is
//! configured), [`serve`] (wiring and shutdown) and [`cli`] (the binary).

pub mod api;
pub mod app;
pub mod attempt;
pub mod cache;
pub mod cli;
pub mod config;
pub mod deliver;
pub mod embedded;
pub mod event;
pub mod filter;
pub mod ingest;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod plugin;
pub mod queue;
pub mod recorder;
pub mod retry;
pub mod serve;
pub mod sign;
pub mod store;
pub mod worker;
