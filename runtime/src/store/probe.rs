//! Probing a Redis before Herald uses it (for the choice of the local
//! default in [`crate::embedded`]): does it answer, where and how does it
//! keep its data, and does it hold anything that is not Herald's.

use std::time::Duration;

/// What answered on a Redis URL.
#[derive(Debug)]
pub enum Probe {
    /// Nothing listens there.
    Refused,
    /// Something answered but cannot be used as Herald's local Redis.
    Unusable(String),
    /// A Redis.
    Redis(Found),
}

/// What a Redis reported about itself.
#[derive(Debug, Default)]
pub struct Found {
    /// Data that is not Herald's, described; `None`: empty or only Herald's.
    pub other_data: Option<String>,
    /// `CONFIG GET dir`, when allowed.
    pub dir: Option<String>,
    /// `appendonly` and `save`, when allowed.
    pub persistence: Option<String>,
}

impl Found {
    /// Where its data lives, in words.
    pub fn data_lives(&self) -> String {
        match (&self.dir, &self.persistence) {
            (Some(dir), Some(p)) => format!("its data in {dir} ({p})"),
            _ => "its persistence is not visible (CONFIG GET refused)".into(),
        }
    }
}

/// Whether `key` is one of Herald's (every key Herald writes starts so).
fn is_herald_key(key: &[u8]) -> bool {
    key.starts_with(b"herald:") || key.starts_with(b"{herald")
}

/// Asks the server at `url` what it holds and how it persists it, with
/// `check_data` scanning the keyspace for data that is not Herald's.
pub async fn probe(url: &str, check_data: bool) -> Probe {
    let client = match redis::Client::open(url) {
        Ok(client) => client,
        Err(e) => return Probe::Unusable(e.to_string()),
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    let mut con = match client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(con) => con,
        Err(e) if e.is_connection_refusal() => return Probe::Refused,
        Err(e) => return Probe::Unusable(format!("it does not work as a Redis ({e})")),
    };
    if let Err(e) = redis::cmd("PING").query_async::<String>(&mut con).await {
        return Probe::Unusable(format!("it does not answer PING ({e})"));
    }
    let mut found = Found::default();
    let config: Result<Vec<Vec<String>>, _> = redis::pipe()
        .cmd("CONFIG")
        .arg("GET")
        .arg("dir")
        .cmd("CONFIG")
        .arg("GET")
        .arg("appendonly")
        .cmd("CONFIG")
        .arg("GET")
        .arg("save")
        .query_async(&mut con)
        .await;
    if let Ok(values) = config {
        let value = |i: usize| values.get(i).and_then(|pair| pair.get(1)).cloned();
        found.dir = value(0);
        let (appendonly, save) = (value(1).unwrap_or_default(), value(2).unwrap_or_default());
        let mut persistence = format!("appendonly {appendonly}, save {save:?}");
        if appendonly == "no" && save.trim().is_empty() {
            persistence.push_str(": no persistence, the data is lost when it restarts");
        }
        found.persistence = Some(persistence);
    }
    if !check_data {
        return Probe::Redis(found);
    }
    match redis::cmd("INFO")
        .arg("keyspace")
        .query_async::<String>(&mut con)
        .await
    {
        Ok(info) => {
            let other_dbs: Vec<&str> = info
                .lines()
                .filter(|l| l.starts_with("db") && !l.starts_with("db0:"))
                .collect();
            if !other_dbs.is_empty() {
                found.other_data = Some(format!(
                    "other databases hold keys ({})",
                    other_dbs.join("; ")
                ));
                return Probe::Redis(found);
            }
        }
        Err(e) => return Probe::Unusable(format!("INFO keyspace failed ({e})")),
    }
    let mut cursor: u64 = 0;
    loop {
        let page: Result<(u64, Vec<Vec<u8>>), _> = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut con)
            .await;
        match page {
            Err(e) => return Probe::Unusable(format!("SCAN failed ({e})")),
            Ok((next, keys)) => {
                if let Some(key) = keys.iter().find(|k| !is_herald_key(k)) {
                    found.other_data = Some(format!(
                        "it holds data that is not Herald's (e.g. key {:?})",
                        String::from_utf8_lossy(key)
                    ));
                    return Probe::Redis(found);
                }
                if next == 0 {
                    return Probe::Redis(found);
                }
                cursor = next;
            }
        }
    }
}
