//! `herald serve`: wires the store, the plugin host, the API and the
//! workers, runs until `shutdown`, then drains in order (stop claiming,
//! finish in-flight attempts, stop the API, stop an embedded Redis).

use crate::app::App;
use crate::cache::{CatalogueCache, PluginCache, WebhookCache};
use crate::config::Settings;
use crate::deliver::{connector::Resolver, policy::NetPolicy, tls_config, Sender};
use crate::embedded;
use crate::metrics::Metrics;
use crate::plugin::{EngineOptions, PluginEngine, PluginHost, PluginLimits, PluginLoader};
use crate::secrets::{KeySource, Keyring};
use crate::store::{RedisTarget, Store, StoreError, StoreOptions};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Which parts this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// The API only.
    Api,
    /// Workers and the retry scheduler only.
    Worker,
    /// Everything.
    All,
}

/// Why Herald could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// No Redis.
    #[error(transparent)]
    Embedded(#[from] embedded::EmbeddedError),
    /// Redis refused the connection, or holds data Herald cannot use.
    #[error("cannot use Redis at {url}: {source}")]
    Redis {
        /// The URL (credentials removed).
        url: String,
        /// Why.
        source: StoreError,
    },
    /// The master keys that seal secrets at rest.
    #[error(transparent)]
    Keys(#[from] crate::secrets::KeyError),
    /// TLS roots.
    #[error(transparent)]
    Tls(#[from] crate::deliver::TlsSetupError),
    /// The plugin engine.
    #[error(transparent)]
    Engine(#[from] crate::plugin::EngineError),
    /// The listener.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

fn redacted(url: &str) -> String {
    crate::config::redact_url(url)
}

/// Tells the operator something about startup: at info level, and on stderr
/// when the log filter hides info (the default `warn`), so which Redis and
/// which address are in use is always said once.
fn announce(line: &str) {
    tracing::info!("{line}");
    banner(line);
}

/// `line` on stderr, unless info-level logging already shows the same.
fn banner(line: &str) {
    if !tracing::enabled!(tracing::Level::INFO) {
        eprintln!("herald: {line}");
    }
}

/// How the store is opened from `settings`, on `target`, sealing with `keyring`
/// (`herald serve` and `herald secrets rotate-master` alike).
pub fn store_options(
    settings: &Settings,
    target: &RedisTarget,
    keyring: Arc<Keyring>,
) -> StoreOptions {
    StoreOptions {
        target: target.clone(),
        response_timeout: Duration::from_secs(5),
        retention: settings.retention,
        log_bound: settings.log_bound_per_webhook,
        shards: settings.queue_shards,
        keyring,
        wait_replicas: settings.redis_wait_replicas,
    }
}

/// The master keyring, and a startup line saying where its key came from
/// (and that it was generated, when it was).
pub fn open_keyring(settings: &Settings) -> Result<Arc<Keyring>, crate::secrets::KeyError> {
    let (keyring, source) = Keyring::from_settings(settings)?;
    let id = keyring.current_id().to_string();
    let origin = match source {
        KeySource::Setting => "from HERALD_MASTER_KEY".to_string(),
        KeySource::File(path) => format!("from {}", path.display()),
        KeySource::DataDir(path) => format!("from {}", path.display()),
        KeySource::Generated(path) => format!(
            "generated into {} (mode 0600): keep it with the Redis data, without it the \
             webhook secrets stored there cannot be read",
            path.display()
        ),
    };
    let older = keyring.ids().into_iter().skip(1).collect::<Vec<_>>();
    let older = if older.is_empty() {
        String::new()
    } else {
        format!("; older keys that still open: {}", older.join(", "))
    };
    announce(&format!(
        "secrets at rest sealed with master key {id}, {origin}{older}"
    ));
    Ok(Arc::new(keyring))
}

/// The plugin engine as the settings ask (limits per call and instance).
fn engine_options(settings: &Settings) -> EngineOptions {
    let defaults = EngineOptions::default();
    EngineOptions {
        limits: PluginLimits {
            deadline: settings.plugin_deadline,
            memory_bytes: settings.plugin_memory_bytes,
            max_input_bytes: settings.plugin_max_input_bytes,
            max_output_bytes: settings.plugin_max_output_bytes,
            max_calls_per_instance: settings.plugin_max_calls_per_instance,
            ..defaults.limits
        },
        max_instances: settings.plugin_max_instances,
        ..defaults
    }
}

/// Runs Herald until `shutdown` is cancelled. `listener` is bound by the
/// caller (tests bind port 0); `None` binds `settings.listen`.
pub async fn run(
    settings: Settings,
    role: Role,
    listener: Option<TcpListener>,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    let settings = Arc::new(settings);
    let keyring = open_keyring(&settings)?;
    let redis = embedded::choose(&settings).await?;
    announce(&format!(
        "Redis {}: {}",
        redacted(redis.target.first_url()),
        redis.description
    ));
    let (target, embedded_redis) = (redis.target, redis.embedded);
    let redis_error = |source| ServeError::Redis {
        url: redacted(target.first_url()),
        source,
    };
    let mut store = Store::open(&store_options(&settings, &target, keyring))
        .await
        .map_err(redis_error)?;
    store.check_layout().await.map_err(redis_error)?;
    announce(&format!(
        "{} queue shard(s){}",
        store.keys.shard_count(),
        if store.is_cluster() {
            " spread over the cluster's masters"
        } else {
            ""
        }
    ));
    // Blocking reads wait up to a second; they get connections of their own.
    let (worker_reader, ingest_reader) = if role == Role::Api {
        (None, None)
    } else {
        let reader = || store.dedicated(Duration::from_secs(10));
        (
            Some(reader().await.map_err(redis_error)?),
            Some(reader().await.map_err(redis_error)?),
        )
    };

    let policy = Arc::new(NetPolicy {
        allow_http: settings.allow_http,
        allowed_nets: settings.allow_private_nets.clone(),
    });
    let sender = Sender::new(
        policy.clone(),
        tls_config(settings.extra_ca_file.as_deref())?,
        Resolver::new(&settings.dns_servers),
        settings.http2,
        settings.receiver_idle_timeout,
    );
    let engine_options = engine_options(&settings);
    let max_instances = engine_options.max_instances;
    let engine = PluginEngine::new(engine_options)?;
    let host = Arc::new(PluginHost::new(engine.clone(), max_instances));
    let loader = PluginLoader::new(engine, Some(settings.data_dir.join("plugin-cache")));
    let app = Arc::new(App {
        settings: settings.clone(),
        plugins: PluginCache::new(store.clone(), loader),
        quarantine: Arc::new(crate::plugin::Quarantine::new()),
        // Changes arrive on the change feed at once; the TTL only bounds how
        // long a change missed by the feed (never seen so far) could linger.
        webhooks: WebhookCache::new(store.clone(), Duration::from_secs(30)),
        catalogue: CatalogueCache::new(store.clone(), Duration::from_secs(30)),
        store,
        policy,
        sender,
        host,
        metrics: Metrics::new(),
        plugin_runs: Arc::new(tokio::sync::Semaphore::new(App::plugin_parallelism())),
        auth_failures: crate::auth_limit::AuthLimiter::new(settings.auth_failures_per_minute),
    });

    let work_stop = CancellationToken::new();
    let on_change = {
        let app = app.clone();
        Box::new(move |id: Option<&str>| match id {
            Some(crate::store::keys::CATALOGUE_CHANGED) => app.catalogue.clear(),
            Some(id) => {
                app.webhooks.invalidate(id);
                app.host.evict_webhook(id);
            }
            None => {
                app.webhooks.clear();
                app.catalogue.clear();
            }
        })
    };
    let mut tasks = vec![tokio::spawn(crate::cache::follow_changes(
        app.store.clone(),
        on_change,
        work_stop.clone(),
    ))];
    if let (Some(worker_reader), Some(ingest_reader)) = (worker_reader, ingest_reader) {
        tasks.push(tokio::spawn(crate::worker::run(
            app.clone(),
            worker_reader,
            work_stop.clone(),
        )));
        tasks.push(tokio::spawn(crate::worker::schedule_retries(
            app.clone(),
            work_stop.clone(),
        )));
        tasks.push(tokio::spawn(crate::ingest::consume_stream(
            app.store.clone(),
            ingest_reader,
            crate::ingest::Counters {
                ingested: app.metrics.events_ingested.clone(),
                rejected: app.metrics.ingest_rejected.clone(),
            },
            crate::worker::consumer_name(),
            work_stop.clone(),
        )));
    }
    let api_stop = CancellationToken::new();
    let api = {
        let listener =
            match listener {
                Some(l) => l,
                None => TcpListener::bind(settings.listen).await.map_err(|source| {
                    ServeError::Listen {
                        addr: settings.listen.to_string(),
                        source,
                    }
                })?,
            };
        let addr = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        // Tests find the address in this line (`addr=…`).
        tracing::info!(%addr, "API listening");
        banner(&format!("API on http://{addr}"));
        let router = match role {
            Role::Worker => crate::api::ops_router(app.clone()),
            Role::Api | Role::All => {
                crate::api::router(app.clone(), crate::ui::router(app.clone()))
            }
        };
        let stop = api_stop.clone();
        let limits = crate::api::server::Limits {
            header_timeout: settings.api_header_timeout,
            request_timeout: settings.api_request_timeout,
            max_connections: settings.api_max_connections,
        };
        Some(tokio::spawn(crate::api::server::serve(
            listener,
            router,
            limits,
            stop,
            Duration::from_secs(5),
        )))
    };
    tracing::info!(?role, "herald is running");

    shutdown.cancelled().await;
    tracing::info!("shutting down: no new claims, finishing in-flight deliveries");
    work_stop.cancel();
    for task in tasks {
        let _ = task.await;
    }
    api_stop.cancel();
    if let Some(api) = api {
        let _ = tokio::time::timeout(Duration::from_secs(5), api).await;
    }
    if let Some(redis) = embedded_redis {
        redis.stop().await;
    }
    tracing::info!("herald stopped");
    Ok(())
}

/// Resolves when SIGINT or SIGTERM arrives.
pub async fn signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_limits_come_from_the_settings_with_the_host_defaults() {
        let defaults = engine_options(&Settings::default());
        assert_eq!(defaults.limits, PluginLimits::default());
        assert_eq!(
            defaults.max_instances,
            EngineOptions::default().max_instances
        );
        let settings = Settings {
            plugin_deadline: Duration::from_millis(200),
            plugin_memory_bytes: 64 << 20,
            plugin_max_input_bytes: 1 << 20,
            plugin_max_output_bytes: 2 << 20,
            plugin_max_calls_per_instance: 7,
            plugin_max_instances: 12,
            ..Settings::default()
        };
        let o = engine_options(&settings);
        assert_eq!(o.limits.deadline, Duration::from_millis(200));
        assert_eq!(o.limits.memory_bytes, 64 << 20);
        assert_eq!(o.limits.max_input_bytes, 1 << 20);
        assert_eq!(o.limits.max_output_bytes, 2 << 20);
        assert_eq!(o.limits.max_calls_per_instance, 7);
        assert_eq!(o.max_instances, 12);
    }

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redacted("redis://u:secret@host:6379/"),
            "redis://***@host:6379/"
        );
        assert_eq!(
            redacted("redis://127.0.0.1:6379/"),
            "redis://127.0.0.1:6379/"
        );
    }
}
