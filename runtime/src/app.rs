//! Everything the API and the workers share, built once at start-up.

use crate::cache::{PluginCache, WebhookCache};
use crate::config::Settings;
use crate::deliver::policy::NetPolicy;
use crate::deliver::Sender;
use crate::metrics::Metrics;
use crate::plugin::PluginHost;
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
    /// Cached webhook configs.
    pub webhooks: WebhookCache,
    /// Metrics.
    pub metrics: Metrics,
}
