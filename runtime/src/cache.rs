//! In-memory caches on the delivery path: webhook configs (short TTL,
//! evicted at once on changes made through this process) and loaded
//! plugins (`name@version` is immutable, so they never go stale).

use crate::model::Webhook;
use crate::plugin::{LoadError, Plugin, PluginLoader};
use crate::store::{keys, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When an entry was read, and what it was (`None`: no such webhook).
type Entry = (Instant, Option<Arc<Webhook>>);

/// Cached webhooks.
pub struct WebhookCache {
    store: Store,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl WebhookCache {
    /// A cache over `store`; entries older than `ttl` are re-read.
    pub fn new(store: Store, ttl: Duration) -> Self {
        WebhookCache {
            store,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The webhook, or `None` if it does not exist.
    pub async fn get(&self, id: &str) -> Result<Option<Arc<Webhook>>, StoreError> {
        if let Some((at, hook)) = self.lock().get(id) {
            if at.elapsed() < self.ttl {
                return Ok(hook.clone());
            }
        }
        let hook = self.store.webhook(id).await?.map(Arc::new);
        let mut entries = self.lock();
        if entries.len() > 100_000 {
            entries.clear();
        }
        entries.insert(id.to_string(), (Instant::now(), hook.clone()));
        Ok(hook)
    }

    /// Forgets a webhook (it changed or was deleted).
    pub fn invalidate(&self, id: &str) {
        self.lock().remove(id);
    }
}

/// Why a plugin could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum PluginLookupError {
    /// Not registered.
    #[error("plugin {0} is not registered")]
    NotRegistered(String),
    /// Registered but unusable.
    #[error("plugin {plugin}: {source}")]
    Load {
        /// `name@version`.
        plugin: String,
        /// Why.
        source: LoadError,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Loaded plugins by `name@version`.
pub struct PluginCache {
    store: Store,
    loader: PluginLoader,
    loaded: Mutex<HashMap<String, Plugin>>,
}

impl PluginCache {
    /// A cache loading through `loader`.
    pub fn new(store: Store, loader: PluginLoader) -> Self {
        PluginCache {
            store,
            loader,
            loaded: Mutex::new(HashMap::new()),
        }
    }

    /// The loader (for registration).
    pub fn loader(&self) -> &PluginLoader {
        &self.loader
    }

    /// Keeps an already loaded plugin (just registered).
    pub fn insert(&self, reference: &str, plugin: Plugin) {
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(reference.to_string(), plugin);
    }

    /// Forgets a plugin (deleted).
    pub fn remove(&self, reference: &str) {
        self.loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(reference);
    }

    /// The plugin `name@version`, loading (and compiling, or reading the
    /// compiled cache) on first use.
    pub async fn get(&self, reference: &str) -> Result<Plugin, PluginLookupError> {
        if let Some(p) = self
            .loaded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(reference)
        {
            return Ok(p.clone());
        }
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(keys::plugin_wasm(reference))
            .query_async(&mut self.store.con())
            .await
            .map_err(StoreError::from)?;
        let bytes = bytes.ok_or_else(|| PluginLookupError::NotRegistered(reference.to_string()))?;
        let loader = self.loader.clone();
        let plugin = tokio::task::spawn_blocking(move || loader.load(&bytes))
            .await
            .map_err(|e| PluginLookupError::Load {
                plugin: reference.into(),
                source: LoadError::Compile(e.to_string()),
            })?
            .map_err(|source| PluginLookupError::Load {
                plugin: reference.into(),
                source,
            })?;
        self.insert(reference, plugin.clone());
        Ok(plugin)
    }
}
