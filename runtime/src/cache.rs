//! In-memory caches on the delivery path: webhook configs, the event-type
//! catalogue (for event versions) and loaded plugins (`name@version` is
//! immutable, so they never go stale).
//!
//! Every change to a webhook is announced on the Redis channel
//! `herald:changes` in the same transaction that makes it; each process
//! follows the channel ([`follow_changes`]) and drops its cached copy (and
//! the plugin instances kept for that webhook) at once. Messages missed
//! while the feed was down are covered by clearing the cache whenever it
//! (re)subscribes, and by a TTL as a last resort.

use crate::model::{EventType, Webhook};
use crate::plugin::{LoadError, Plugin, PluginLoader};
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When an entry was read, and what it was (`None`: no such webhook).
type Entry = (Instant, Option<Arc<Webhook>>);

/// Cached webhooks.
pub struct WebhookCache {
    store: Store,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// Bumped by every invalidation: a read that raced with one is not cached.
    generation: AtomicU64,
}

impl WebhookCache {
    /// A cache over `store`; entries older than `ttl` are re-read.
    pub fn new(store: Store, ttl: Duration) -> Self {
        WebhookCache {
            store,
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The webhook `id` of `org`, or `None` if it does not exist.
    pub async fn get(&self, org: &str, id: &str) -> Result<Option<Arc<Webhook>>, StoreError> {
        if let Some((at, hook)) = self.lock().get(id) {
            if at.elapsed() < self.ttl {
                return Ok(hook.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let hook = self.store.webhook(org, id).await?.map(Arc::new);
        let mut entries = self.lock();
        // A change announced while we read may be newer than what we read.
        if self.generation.load(Ordering::Acquire) == generation {
            if entries.len() > 100_000 {
                entries.clear();
            }
            entries.insert(id.to_string(), (Instant::now(), hook.clone()));
        }
        Ok(hook)
    }

    /// Forgets a webhook (it changed or was deleted).
    pub fn invalidate(&self, id: &str) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(id);
    }

    /// Forgets every webhook (changes may have been missed).
    pub fn clear(&self) {
        let mut entries = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

/// The catalogue as read, by type.
type Catalogue = Arc<HashMap<String, Arc<EventType>>>;

/// The event-type catalogue (for event versions), cached whole: dropped
/// when the change feed says it changed, re-read after `ttl` at the latest.
pub struct CatalogueCache {
    store: Store,
    ttl: Duration,
    read: Mutex<Option<(Instant, Catalogue)>>,
    /// Bumped by every invalidation: a read that raced with one is not cached.
    generation: AtomicU64,
}

impl CatalogueCache {
    /// A cache over `store`'s catalogue.
    pub fn new(store: Store, ttl: Duration) -> Self {
        CatalogueCache {
            store,
            ttl,
            read: Mutex::new(None),
            generation: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, Catalogue)>> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The catalogue entry of `event_type`, if it has one.
    pub async fn get(&self, event_type: &str) -> Result<Option<Arc<EventType>>, StoreError> {
        if let Some((at, all)) = &*self.lock() {
            if at.elapsed() < self.ttl {
                return Ok(all.get(event_type).cloned());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let all: HashMap<String, EventType> = self.store.event_types().await?;
        let all: Catalogue = Arc::new(all.into_iter().map(|(t, e)| (t, Arc::new(e))).collect());
        let found = all.get(event_type).cloned();
        let mut read = self.lock();
        if self.generation.load(Ordering::Acquire) == generation {
            *read = Some((Instant::now(), all));
        }
        Ok(found)
    }

    /// Forgets the catalogue (it changed, or changes may have been missed).
    pub fn clear(&self) {
        let mut read = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        *read = None;
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
        let bytes = self.store.plugin_wasm(reference).await?;
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
        // The limits its registration recorded (none for plugins
        // registered before limits were: the language's defaults).
        #[derive(serde::Deserialize)]
        struct Recorded {
            #[serde(default)]
            limits: Option<crate::plugin::limits::PluginLimitsRecord>,
        }
        let recorded: Option<Recorded> = self.store.plugin_meta(reference).await?;
        let plugin = match recorded.and_then(|r| r.limits) {
            Some(limits) => limits.apply(&plugin),
            None => plugin,
        };
        self.insert(reference, plugin.clone());
        Ok(plugin)
    }
}

/// A change announced on the feed: one webhook (`Some(id)`), or all of
/// them (`None`: the feed (re)connected, so changes may have been missed).
pub type ChangeHandler = Box<dyn Fn(Option<&str>) + Send + Sync>;

/// Follows the webhook change feed until `shutdown`, calling `on_change`
/// for each changed webhook, and with `None` on every (re)subscription,
/// since changes made while unsubscribed were missed; a lost connection is
/// retried each second.
pub async fn follow_changes(
    store: Store,
    on_change: ChangeHandler,
    shutdown: tokio_util::sync::CancellationToken,
) {
    use futures_util::StreamExt;
    loop {
        match store.webhook_changes().await {
            Ok(messages) => {
                on_change(None);
                let mut messages = std::pin::pin!(messages);
                loop {
                    let message = tokio::select! {
                        _ = shutdown.cancelled() => return,
                        m = messages.next() => m,
                    };
                    let Some(id) = message else { break };
                    on_change(Some(&id));
                }
                tracing::warn!("lost the webhook change feed; resubscribing");
            }
            Err(e) => tracing::warn!("cannot follow webhook changes yet: {e}"),
        }
        if crate::shutdown::sleep_or_stop(Duration::from_secs(1), &shutdown).await {
            return;
        }
    }
}
