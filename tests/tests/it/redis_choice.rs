//! Which Redis Herald uses with no `HERALD_REDIS_URL`: a Redis on the local
//! default port is used only while it holds nothing but Herald's keys;
//! otherwise Herald starts its own on another port, remembers that port in
//! its data directory, and says so at startup.

use herald_e2e::herald::{HeraldProcess, Options};
use herald_e2e::redis::TestRedis;

/// Stops Herald gracefully (SIGTERM) when dropped, so the `redis-server` it
/// started is stopped with it even when the test fails.
struct Graceful(HeraldProcess);

impl Drop for Graceful {
    fn drop(&mut self) {
        self.0.terminate();
    }
}

async fn start(default_port: u16, data_dir: &std::path::Path) -> Graceful {
    Graceful(
        HeraldProcess::start(Options {
            redis_url: None,
            env: vec![
                (
                    "HERALD_EMBEDDED_REDIS_PORT".into(),
                    default_port.to_string(),
                ),
                ("HERALD_DATA_DIR".into(), data_dir.display().to_string()),
            ],
            role: None,
        })
        .await,
    )
}

async fn connection(redis: &TestRedis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect")
}

async fn keys(con: &mut redis::aio::MultiplexedConnection) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(con)
        .await
        .expect("KEYS");
    keys.sort();
    keys
}

/// The "Redis <url>: ..." line Herald logged at startup.
fn redis_line(herald: &HeraldProcess) -> String {
    let log = herald.log();
    log.lines()
        .find(|l| l.contains("Redis redis://"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no startup line naming the Redis:\n{log}"))
}

fn port_of(line: &str) -> String {
    line.split("redis://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a port")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_holding_other_data_is_left_alone() {
    let theirs = TestRedis::start();
    let mut con = connection(&theirs).await;
    let _: () = redis::cmd("SET")
        .arg("session:42")
        .arg("someone else's")
        .query_async(&mut con)
        .await
        .expect("SET");
    let dir = tempfile::tempdir().expect("data dir");

    let herald = start(theirs.port(), dir.path()).await;
    let line = redis_line(&herald.0);
    assert!(line.contains("started by Herald"), "{line}");
    assert!(line.contains("not Herald's"), "{line}");
    assert!(
        line.contains(&format!("not on 127.0.0.1:{}", theirs.port())),
        "{line}"
    );
    assert!(
        line.contains(&dir.path().join("redis").display().to_string()),
        "{line}"
    );
    let port = port_of(&line);
    assert_ne!(port, theirs.port().to_string());
    let org = herald.0.org().await;
    assert_eq!(
        keys(&mut con).await,
        ["session:42"],
        "Herald wrote into their Redis"
    );
    drop(herald);

    // The next start finds its own data on the same port.
    let herald = start(theirs.port(), dir.path()).await;
    let line = redis_line(&herald.0);
    assert_eq!(port_of(&line), port, "{line}");
    let (status, _) = herald.0.call("GET", &format!("/v1/orgs/{org}"), None).await;
    assert_eq!(status, 200, "the org created before the restart is there");
    assert_eq!(keys(&mut con).await, ["session:42"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_redis_on_the_default_port_is_used_and_named() {
    let empty = TestRedis::start();
    let dir = tempfile::tempdir().expect("data dir");
    let herald = start(empty.port(), dir.path()).await;
    let line = redis_line(&herald.0);
    assert!(
        line.contains("an existing Redis, not started by Herald"),
        "{line}"
    );
    assert_eq!(port_of(&line), empty.port().to_string(), "{line}");
    assert!(
        line.contains("appendonly yes"),
        "its persistence is reported: {line}"
    );
    herald.0.org().await;
    let mut con = connection(&empty).await;
    let keys = keys(&mut con).await;
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k.starts_with("herald:")),
        "{keys:?}"
    );
    drop(herald);

    // Holding only Herald's keys, it is used again.
    let herald = start(empty.port(), dir.path()).await;
    let line = redis_line(&herald.0);
    assert!(line.contains("not started by Herald"), "{line}");
}
