//! How Herald reaches Redis: one server or a Redis Cluster, over TCP or
//! TLS, with an ACL user or none. This module owns the client of each kind
//! (the redis crate's self-reconnecting [`ConnectionManager`] for one
//! server, its cluster-async [`ClusterConnection`] for a cluster, which
//! follows `MOVED`/`ASK` and failovers itself) behind one connection type
//! the rest of the store uses like any other.
//!
//! What differs between the two is said here and nowhere else: a pipeline
//! over several hash slots is split per slot on a cluster
//! ([`Con::pipeline_by_slot`]), a keyless command that belongs to a slot
//! (`SCAN` of one org's keys) is routed to the slot's master
//! ([`Con::query_in_slot`]), and the change feed subscribes over RESP3 on a
//! cluster (a plain `PUBLISH` reaches every node of a cluster).

use super::keys::slot;
use futures_util::future::try_join_all;
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, FromRedisValue, Pipeline, RedisFuture, RedisResult, TlsCertificates, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Where Redis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nodes {
    /// One server: a `redis://` or `rediss://` URL.
    Single(String),
    /// The seed nodes of a Redis Cluster (any of its nodes; the client
    /// learns the rest from them).
    Cluster(Vec<String>),
}

/// Where Redis is and how Herald talks to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTarget {
    /// The server or the cluster's seed nodes.
    pub nodes: Nodes,
    /// PEM roots trusted for `rediss://` instead of the public ones.
    pub ca_file: Option<PathBuf>,
}

impl RedisTarget {
    /// One server at `url`, trusting the public roots for `rediss://`.
    pub fn single(url: &str) -> Self {
        RedisTarget {
            nodes: Nodes::Single(url.to_string()),
            ca_file: None,
        }
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.nodes, Nodes::Cluster(_))
    }

    /// The URL of one server, or the first seed node: what a log line names.
    pub fn first_url(&self) -> &str {
        match &self.nodes {
            Nodes::Single(url) => url,
            Nodes::Cluster(nodes) => nodes.first().map(String::as_str).unwrap_or(""),
        }
    }

    fn certificates(&self) -> RedisResult<Option<TlsCertificates>> {
        let Some(path) = &self.ca_file else {
            return Ok(None);
        };
        let pem = std::fs::read(path).map_err(|e| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "cannot read HERALD_REDIS_CA_FILE",
                format!("{}: {e}", path.display()),
            ))
        })?;
        Ok(Some(TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        }))
    }
}

/// Opens connections to one target (each kind of connection Herald needs).
// One per store, cloned only with it: the size of a client does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(crate) enum Connector {
    Single(redis::Client),
    Cluster(Box<ClusterConnector>),
}

/// What a cluster connector keeps: the client, and how to build another
/// (RESP3, for the change feed).
#[derive(Clone)]
pub(crate) struct ClusterConnector {
    client: ClusterClient,
    target: RedisTarget,
    seeds: Vec<String>,
}

/// Connection settings shared by every connection of a store.
fn manager_config(response_timeout: Duration) -> redis::aio::ConnectionManagerConfig {
    redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(Some(response_timeout))
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2))
}

fn cluster_builder(target: &RedisTarget, seeds: &[String]) -> RedisResult<ClusterClientBuilder> {
    let mut builder = ClusterClientBuilder::new(seeds.to_vec())
        // A slot without a master (failover, resharding) is retried a few
        // times inside the client, then reported; Herald's callers retry
        // further (the worker claims again, the API answers 503).
        .retries(4)
        .min_retry_wait(100)
        .max_retry_wait(1000)
        .connection_timeout(Duration::from_secs(2));
    if let Some(certs) = target.certificates()? {
        builder = builder.certs(certs);
    }
    Ok(builder)
}

impl Connector {
    /// A connector for `target` (no connection is made yet).
    pub(crate) fn new(target: &RedisTarget) -> RedisResult<Connector> {
        match &target.nodes {
            Nodes::Single(url) => Ok(Connector::Single(match target.certificates()? {
                Some(certs) => redis::Client::build_with_tls(url.as_str(), certs)?,
                None => redis::Client::open(url.as_str())?,
            })),
            Nodes::Cluster(seeds) => Ok(Connector::Cluster(Box::new(ClusterConnector {
                client: cluster_builder(target, seeds)?.build()?,
                target: target.clone(),
                seeds: seeds.clone(),
            }))),
        }
    }

    /// A multiplexed connection whose commands fail after `response_timeout`.
    pub(crate) async fn connect(&self, response_timeout: Duration) -> RedisResult<Con> {
        match self {
            Connector::Single(client) => Ok(Con::Single(
                client
                    .get_connection_manager_with_config(manager_config(response_timeout))
                    .await?,
            )),
            Connector::Cluster(cluster) => Ok(Con::Cluster(
                cluster
                    .client
                    .get_async_connection_with_config(
                        ClusterConfig::new()
                            .set_response_timeout(response_timeout)
                            .set_connection_timeout(Duration::from_secs(2)),
                    )
                    .await?,
            )),
        }
    }

    /// Subscribes to `channel`: a stream of message payloads that ends when
    /// the subscription is lost (one server) or never (a cluster connection
    /// resubscribes by itself after a node fails).
    pub(crate) async fn subscribe(
        &self,
        channel: &str,
    ) -> RedisResult<futures_util::stream::BoxStream<'static, String>> {
        use futures_util::StreamExt;
        match self {
            Connector::Single(client) => {
                let mut pubsub = client.get_async_pubsub().await?;
                pubsub.subscribe(channel).await?;
                Ok(pubsub
                    .into_on_message()
                    .filter_map(|m| async move { m.get_payload::<String>().ok() })
                    .boxed())
            }
            Connector::Cluster(cluster) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                let client = cluster_builder(&cluster.target, &cluster.seeds)?
                    .use_protocol(redis::ProtocolVersion::RESP3)
                    .push_sender(tx)
                    .build()?;
                let mut con = client.get_async_connection().await?;
                con.subscribe(channel).await?;
                let messages = tokio_stream_from(rx).filter_map(|push| async move {
                    match push.kind {
                        redis::PushKind::Message => push
                            .data
                            .into_iter()
                            .nth(1)
                            .and_then(|v| String::from_redis_value(v).ok()),
                        _ => None,
                    }
                });
                // The connection lives as long as the stream is read.
                Ok(messages
                    .map(move |m| {
                        let _keep = &con;
                        m
                    })
                    .boxed())
            }
        }
    }
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + 'static {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// A connection to one server or to a cluster. Cheap to clone (both kinds
/// are multiplexed); commands on it are routed by their keys.
#[derive(Clone)]
pub(crate) enum Con {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Con {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Con::Single(c) => c.req_packed_command(cmd),
            Con::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Con::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Con::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Con::Single(c) => c.get_db(),
            Con::Cluster(c) => c.get_db(),
        }
    }
}

impl Con {
    /// Whether this connection is to a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Con::Cluster(_))
    }

    /// Runs `cmd`, which names no key but concerns `key`'s slot (`SCAN …
    /// MATCH` of hash-tagged keys), on the master holding that slot.
    pub(crate) async fn query_in_slot<T: FromRedisValue>(
        &mut self,
        key: &str,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        match self {
            Con::Single(c) => cmd.query_async(c).await,
            Con::Cluster(c) => {
                let route = Route::new(slot(key), SlotAddr::Master);
                let value = c
                    .route_command(
                        cmd.clone(),
                        RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route)),
                    )
                    .await?;
                Ok(T::from_redis_value(value)?)
            }
        }
    }

    /// Runs `cmds`, each given with the key that places it, as one pipeline
    /// on one server, or as one pipeline per hash slot on a cluster (Redis
    /// Cluster refuses a pipeline across slots), sent together. The replies
    /// come back in the order of `cmds`.
    pub(crate) async fn pipeline_by_slot<T: FromRedisValue>(
        &mut self,
        cmds: Vec<(String, Cmd)>,
    ) -> RedisResult<Vec<T>> {
        if cmds.is_empty() {
            return Ok(Vec::new());
        }
        if !self.is_cluster() {
            let mut pipe = redis::pipe();
            for (_, cmd) in cmds {
                pipe.add_command(cmd);
            }
            return pipe.query_async(self).await;
        }
        let count = cmds.len();
        let mut groups: BTreeMap<u16, (Vec<usize>, Pipeline)> = BTreeMap::new();
        for (i, (key, cmd)) in cmds.into_iter().enumerate() {
            let (places, pipe) = groups
                .entry(slot(&key))
                .or_insert_with(|| (Vec::new(), redis::pipe()));
            places.push(i);
            pipe.add_command(cmd);
        }
        let replies = try_join_all(groups.into_values().map(|(places, pipe)| {
            let mut con = self.clone();
            async move {
                let values: Vec<Value> = pipe.query_async(&mut con).await?;
                Ok::<_, redis::RedisError>((places, values))
            }
        }))
        .await?;
        let mut ordered: Vec<Option<Value>> = vec![None; count];
        for (places, values) in replies {
            for (i, v) in places.into_iter().zip(values) {
                ordered[i] = Some(v);
            }
        }
        ordered
            .into_iter()
            .map(|v| Ok(T::from_redis_value(v.unwrap_or(Value::Nil))?))
            .collect()
    }
}
