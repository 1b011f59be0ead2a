//! The Redis a test body runs on, chosen by `HERALD_TEST_REDIS`: one
//! private server ([`TestRedis`], the default) or, with
//! `HERALD_TEST_REDIS=cluster`, a private 3-master, 3-replica Redis Cluster
//! ([`TestCluster`]). `tests/run.sh` runs the core end-to-end tests both
//! ways: the same test bodies, not copies of them.

use crate::cluster::TestCluster;
use crate::redis::TestRedis;
use herald::config::Settings;

/// A private Redis of either kind.
pub enum TestBackend {
    /// One `redis-server`.
    Single(TestRedis),
    /// A Redis Cluster.
    Cluster(TestCluster),
}

impl TestBackend {
    /// The kind `HERALD_TEST_REDIS` names (`cluster`, or one server).
    pub fn start() -> Self {
        match std::env::var("HERALD_TEST_REDIS").as_deref() {
            Ok("cluster") => TestBackend::Cluster(TestCluster::start()),
            _ => TestBackend::Single(TestRedis::start()),
        }
    }

    /// Whether this is a cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self, TestBackend::Cluster(_))
    }

    /// The environment variable and value that point the `herald` binary here.
    pub fn env(&self) -> (&'static str, String) {
        match self {
            TestBackend::Single(redis) => ("HERALD_REDIS_URL", redis.url()),
            TestBackend::Cluster(cluster) => {
                ("HERALD_REDIS_CLUSTER_NODES", cluster.seeds_setting())
            }
        }
    }

    /// A connection for a test's own commands (producers `XADD`ing to the
    /// ingest stream, checks of what Redis holds), routed by key either way.
    pub async fn connection(&self) -> TestConnection {
        match self {
            TestBackend::Single(redis) => TestConnection::Single(
                redis::Client::open(redis.url())
                    .expect("redis url")
                    .get_multiplexed_async_connection()
                    .await
                    .expect("connect to the test redis"),
            ),
            TestBackend::Cluster(cluster) => TestConnection::Cluster(
                redis::cluster::ClusterClient::new(cluster.seeds())
                    .expect("cluster client")
                    .get_async_connection()
                    .await
                    .expect("connect to the test cluster"),
            ),
        }
    }
}

/// A test's own connection to a [`TestBackend`].
#[derive(Clone)]
pub enum TestConnection {
    /// To one server.
    Single(redis::aio::MultiplexedConnection),
    /// To a cluster (commands routed by key).
    Cluster(redis::cluster_async::ClusterConnection),
}

impl redis::aio::ConnectionLike for TestConnection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            TestConnection::Single(c) => c.req_packed_command(cmd),
            TestConnection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            TestConnection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            TestConnection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            TestConnection::Single(c) => c.get_db(),
            TestConnection::Cluster(c) => c.get_db(),
        }
    }
}

/// What points Herald at a Redis: a URL (`&str`, `String`) or a
/// [`TestBackend`].
pub trait UsesRedis {
    /// The environment variable and value that point the binary here.
    fn redis_env(&self) -> (&'static str, String);

    /// Points `settings` here.
    fn apply_to(&self, settings: &mut Settings) {
        match self.redis_env() {
            ("HERALD_REDIS_CLUSTER_NODES", seeds) => {
                settings.redis_url = None;
                settings.redis_cluster_nodes = seeds.split(',').map(String::from).collect();
            }
            (_, url) => {
                settings.redis_url = Some(url);
                settings.redis_cluster_nodes.clear();
            }
        }
    }
}

impl UsesRedis for str {
    fn redis_env(&self) -> (&'static str, String) {
        ("HERALD_REDIS_URL", self.to_string())
    }
}

impl UsesRedis for String {
    fn redis_env(&self) -> (&'static str, String) {
        self.as_str().redis_env()
    }
}

impl UsesRedis for TestBackend {
    fn redis_env(&self) -> (&'static str, String) {
        self.env()
    }
}

impl UsesRedis for TestRedis {
    fn redis_env(&self) -> (&'static str, String) {
        ("HERALD_REDIS_URL", self.url())
    }
}

impl TestBackend {
    /// Entries left in every shard's work stream and retry set (the shard
    /// count read from the layout Herald recorded).
    pub async fn queue_left(&self) -> (u64, u64) {
        use herald::store::{Keys, Shard};
        let mut con = self.connection().await;
        let shards: Option<u16> = redis::cmd("HGET")
            .arg(Keys::new(1).layout())
            .arg("shards")
            .query_async(&mut con)
            .await
            .expect("layout");
        let keys = Keys::new(shards.unwrap_or(1));
        let (mut stream, mut retries) = (0, 0);
        for shard in keys.shards() {
            let len: u64 = redis::cmd("XLEN")
                .arg(keys.queue(shard))
                .query_async(&mut con)
                .await
                .expect("XLEN");
            let waiting: u64 = redis::cmd("ZCARD")
                .arg(keys.retries(Shard(shard.0)))
                .query_async(&mut con)
                .await
                .expect("ZCARD");
            stream += len;
            retries += waiting;
        }
        (stream, retries)
    }
}
