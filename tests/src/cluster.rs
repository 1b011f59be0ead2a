//! A private Redis Cluster per test: three masters and three replicas, each
//! a [`TestRedis`] (free port, own temp dir, killed on drop) started with
//! `--cluster-enabled yes` and a free cluster-bus port, joined with
//! `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`.
//!
//! Masters persist with `appendfsync always`, so a master killed at any
//! moment loses nothing it acknowledged that its replica had not yet got
//! (Redis replication is asynchronous: what the replica misses is the loss
//! window a failover allows; see `RELIABILITY.md`).

use crate::redis::{free_port, TestRedis};
use std::process::Command;
use std::time::{Duration, Instant};

/// A running 3-master, 3-replica cluster owned by one test.
pub struct TestCluster {
    nodes: Vec<TestRedis>,
}

/// One node as `CLUSTER NODES` describes it.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// The node id.
    pub id: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Whether it is a master now.
    pub master: bool,
    /// Whether the cluster marks it failed.
    pub failed: bool,
    /// The slot ranges it serves (masters).
    pub slots: Vec<(u16, u16)>,
}

impl TestCluster {
    /// Starts six nodes and joins them into a cluster with one replica per
    /// master; returns once every node reports `cluster_state:ok`.
    ///
    /// Panics (failing the test) when the cluster does not form.
    pub fn start() -> Self {
        Self::start_with_replicas(true)
    }

    /// Three masters, each with a replica when `replicas` (else masters only).
    pub fn start_with_replicas(replicas: bool) -> Self {
        let count = if replicas { 6 } else { 3 };
        let nodes: Vec<TestRedis> = (0..count)
            .map(|_| {
                let bus = free_port().to_string();
                TestRedis::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-port",
                    &bus,
                    "--cluster-node-timeout",
                    "2000",
                    // A replica takes over however long ago it last heard
                    // from its master (a busy test machine delays pings).
                    "--cluster-replica-validity-factor",
                    "0",
                    "--appendfsync",
                    "always",
                ])
            })
            .collect();
        let mut create = Command::new("redis-cli");
        create.arg("--cluster").arg("create");
        for node in &nodes {
            create.arg(format!("127.0.0.1:{}", node.port()));
        }
        let out = create
            .args(["--cluster-replicas", if replicas { "1" } else { "0" }])
            .arg("--cluster-yes")
            .output()
            .expect("redis-cli must be installed (tests/run.sh installs it)");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = TestCluster { nodes };
        cluster.wait_ok(Duration::from_secs(60));
        if replicas {
            cluster.wait_replicas_linked(Duration::from_secs(60));
        }
        cluster
    }

    /// The seed nodes, as `HERALD_REDIS_CLUSTER_NODES` takes them.
    pub fn seeds(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.url()).collect()
    }

    /// The process ids of every node.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(|n| n.pid()).collect()
    }

    /// The seed nodes, comma-separated.
    pub fn seeds_setting(&self) -> String {
        self.seeds().join(",")
    }

    /// Every node as a live node sees the cluster now.
    pub fn nodes(&self) -> Vec<NodeInfo> {
        for node in &self.nodes {
            if let Some(text) = cli(node.port(), &["CLUSTER", "NODES"]) {
                return parse_nodes(&text);
            }
        }
        Vec::new()
    }

    /// The masters serving slots now.
    pub fn masters(&self) -> Vec<NodeInfo> {
        self.nodes()
            .into_iter()
            .filter(|n| n.master && !n.failed && !n.slots.is_empty())
            .collect()
    }

    /// The master serving `slot` now.
    pub fn master_of(&self, slot: u16) -> Option<NodeInfo> {
        self.masters()
            .into_iter()
            .find(|m| m.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
    }

    /// SIGKILL of the node listening on `port` (no goodbye, no final write).
    pub fn kill9(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port() == port) {
            node.kill9();
        }
    }

    /// Starts the node on `port` again after [`TestCluster::kill9`], with
    /// its data and cluster state: it rejoins as a replica of the master
    /// that replaced it.
    pub fn restart_node(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port() == port) {
            node.start_again();
        }
    }

    /// Waits until every live node says `cluster_state:ok` and agrees on
    /// the masters; panics after `limit`.
    pub fn wait_ok(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let states: Vec<Option<String>> = self
                .nodes
                .iter()
                .map(|n| cli(n.port(), &["CLUSTER", "INFO"]))
                .collect();
            let live: Vec<&String> = states.iter().flatten().collect();
            let all_ok = !live.is_empty() && live.iter().all(|s| s.contains("cluster_state:ok"));
            // Three masters serving slots, none of them a dead process.
            let masters = self.masters();
            let alive = |port: u16| {
                states
                    .iter()
                    .zip(&self.nodes)
                    .any(|(s, n)| n.port() == port && s.is_some())
            };
            if all_ok && masters.len() == 3 && masters.iter().all(|m| alive(m.port)) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not reach cluster_state:ok within {limit:?}: {states:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until every replica's link to its master is up (its first
    /// sync done), so that a master killed from now on has a replica ready.
    pub fn wait_replicas_linked(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let replication: Vec<String> = self
                .nodes
                .iter()
                .filter_map(|n| cli(n.port(), &["INFO", "replication"]))
                .collect();
            let replicas: Vec<&String> = replication
                .iter()
                .filter(|r| r.contains("role:slave"))
                .collect();
            if replicas.len() == 3
                && replicas.iter().all(|r| {
                    r.contains("master_link_status:up") && r.contains("master_sync_in_progress:0")
                })
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replicas did not finish their first sync within {limit:?}: {replication:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The command that moves `slots` slots from the master on port `from`
    /// to the master on port `to` (`redis-cli --cluster reshard`); run it
    /// (`tokio::process::Command::from`) while clients go on.
    pub fn reshard_command(&self, from: u16, to: u16, slots: u16) -> Command {
        let ids = self.nodes();
        let id = |port: u16| {
            ids.iter()
                .find(|n| n.port == port)
                .map(|n| n.id.clone())
                .expect("a node on that port")
        };
        let mut cmd = Command::new("redis-cli");
        cmd.args(["--cluster", "reshard", &format!("127.0.0.1:{from}")])
            .args(["--cluster-from", &id(from)])
            .args(["--cluster-to", &id(to)])
            .args(["--cluster-slots", &slots.to_string()])
            .args(["--cluster-yes", "--cluster-pipeline", "100"]);
        cmd
    }

    /// `redis-cli -p <port> <args…>` on a node: its reply as text.
    pub fn cli(&self, port: u16, args: &[&str]) -> Option<String> {
        cli(port, args)
    }
}

fn cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success() && !text.starts_with("Could not connect")).then_some(text)
}

/// Parses `CLUSTER NODES`.
fn parse_nodes(text: &str) -> Vec<NodeInfo> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let id = fields.first()?.to_string();
            // 127.0.0.1:port@bus
            let port = fields
                .get(1)?
                .split('@')
                .next()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let flags = fields.get(2)?;
            let slots = fields
                .iter()
                .skip(8)
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|n| (n, n)),
                })
                .collect();
            Some(NodeInfo {
                id,
                port,
                master: flags.split(',').any(|f| f == "master"),
                failed: flags.split(',').any(|f| f == "fail" || f == "fail?"),
                slots,
            })
        })
        .collect()
}
