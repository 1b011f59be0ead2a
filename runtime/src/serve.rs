//! `herald serve`: wires the store, the plugin host, the API and the
//! workers, runs until `shutdown`, then drains in order (stop claiming,
//! finish in-flight attempts, stop the API, stop an embedded Redis).

use crate::app::App;
use crate::cache::{PluginCache, WebhookCache};
use crate::config::Settings;
use crate::deliver::{policy::NetPolicy, tls_config, Sender};
use crate::embedded::{self, EmbeddedRedis};
use crate::metrics::Metrics;
use crate::plugin::{EngineOptions, PluginEngine, PluginHost, PluginLoader};
use crate::store::{Store, StoreError, StoreOptions};
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
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
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
    let mut embedded_redis: Option<EmbeddedRedis> = None;
    let url = match &settings.redis_url {
        Some(url) => url.clone(),
        None => {
            let port = settings.embedded_redis_port;
            if embedded::answers(port).await {
                tracing::info!(port, "using the Redis already running on 127.0.0.1:{port}");
            } else {
                embedded_redis = Some(embedded::start(port, &settings.data_dir).await?);
            }
            format!("redis://127.0.0.1:{port}/")
        }
    };
    let redis_error = |source| ServeError::Redis {
        url: redacted(&url),
        source,
    };
    let store = Store::open(&StoreOptions {
        url: url.clone(),
        response_timeout: Duration::from_secs(5),
        retention: settings.retention,
        log_bound: settings.log_bound_per_webhook,
        shards: settings.queue_shards,
    })
    .await
    .map_err(redis_error)?;
    store.check_layout().await.map_err(redis_error)?;
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
    );
    let engine = PluginEngine::new(EngineOptions::default())?;
    let host = Arc::new(PluginHost::new(
        engine.clone(),
        EngineOptions::default().max_instances,
    ));
    let loader = PluginLoader::new(engine, Some(settings.data_dir.join("plugin-cache")));
    let app = Arc::new(App {
        settings: settings.clone(),
        plugins: PluginCache::new(store.clone(), loader),
        // Changes arrive on the change feed at once; the TTL only bounds how
        // long a change missed by the feed (never seen so far) could linger.
        webhooks: WebhookCache::new(store.clone(), Duration::from_secs(30)),
        store,
        policy,
        sender,
        host,
        metrics: Metrics::new(),
        plugin_runs: Arc::new(tokio::sync::Semaphore::new(App::plugin_parallelism())),
    });

    let work_stop = CancellationToken::new();
    let on_change = {
        let app = app.clone();
        Box::new(move |id: Option<&str>| match id {
            Some(id) => {
                app.webhooks.invalidate(id);
                app.host.evict_webhook(id);
            }
            None => app.webhooks.clear(),
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
        tracing::info!(%addr, "API listening");
        let router = match role {
            Role::Worker => crate::api::ops_router(app.clone()),
            Role::Api | Role::All => crate::api::router(app.clone()),
        };
        let stop = api_stop.clone();
        Some(tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!("API server failed: {e}");
            }
        }))
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
