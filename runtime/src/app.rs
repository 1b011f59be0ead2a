//! Everything the API and the workers share, built once at start-up.

use crate::cache::{CatalogueCache, PluginCache, WebhookCache};
use crate::config::Settings;
use crate::deliver::policy::NetPolicy;
use crate::deliver::Sender;
use crate::metrics::Metrics;
use crate::plugin::{PluginHost, Quarantine};
use crate::store::Store;
use std::sync::Arc;

/// The shared state of one Herald process.
pub struct App {
    /// Validated settings.
    pub settings: Arc<Settings>,
    /// The Redis store.
    pub store: Store,
    /// Where delivery may go.
    pub policy: Arc<NetPolicy>,
    /// The pooled HTTPS client.
    pub sender: Sender,
    /// Runs plugin calls (on the blocking pool).
    pub host: Arc<PluginHost>,
    /// Loaded plugins.
    pub plugins: PluginCache,
    /// Plugins paused on a webhook after repeated limit failures.
    pub quarantine: Arc<Quarantine>,
    /// Cached webhook configs.
    pub webhooks: WebhookCache,
    /// The cached event-type catalogue (event versions).
    pub catalogue: CatalogueCache,
    /// Metrics.
    pub metrics: Metrics,
    /// Plugin chains allowed to run at once. Plugins are CPU-bound: more
    /// chains than cores only adds live instances (memory) and thread
    /// switches, never throughput.
    pub plugin_runs: Arc<tokio::sync::Semaphore>,
    /// Failed authentications per client address.
    pub auth_failures: crate::auth_limit::AuthLimiter,
}

impl App {
    /// Plugin chains to run at once on this machine: twice its cores.
    pub fn plugin_parallelism() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
    }
}
