//! The Redis settings: which Redis (one server, a cluster, or the local
//! default), and the checks on their URLs, TLS and CA file.

use super::{variable, ConfigError, Settings};

impl Settings {
    /// The Redis Herald is configured for: a cluster, one server, or none
    /// (the local default, see `crate::embedded`). Insecure TLS is asked
    /// for with `redis_tls_insecure` alone.
    pub fn redis_target(&self) -> Option<crate::store::RedisTarget> {
        use crate::store::{Nodes, RedisTarget};
        let tls = |url: &String| {
            if self.redis_tls_insecure && url.starts_with("rediss://") && !url.contains('#') {
                format!("{url}#insecure")
            } else {
                url.clone()
            }
        };
        let nodes = if !self.redis_cluster_nodes.is_empty() {
            Nodes::Cluster(self.redis_cluster_nodes.iter().map(tls).collect())
        } else {
            Nodes::Single(tls(self.redis_url.as_ref()?))
        };
        Some(RedisTarget {
            nodes,
            ca_file: self.redis_ca_file.clone(),
        })
    }

    pub(super) fn validate_redis(&self) -> Result<(), ConfigError> {
        let name = |key: &str| format!("{key} ({})", variable(key));
        if self.redis_url.is_some() && !self.redis_cluster_nodes.is_empty() {
            return Err(ConfigError::Invalid(format!(
                "both {} and {} are set; set {} for one Redis server or {} for a Redis Cluster, not both",
                name("redis_url"),
                name("redis_cluster_nodes"),
                variable("redis_url"),
                variable("redis_cluster_nodes")
            )));
        }
        let urls = self.redis_url.iter().map(|u| ("redis_url", u)).chain(
            self.redis_cluster_nodes
                .iter()
                .map(|u| ("redis_cluster_nodes", u)),
        );
        for (key, url) in urls {
            if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
                return Err(ConfigError::Invalid(format!(
                    "{} holds {:?}: a Redis URL starts with redis:// (TCP) or rediss:// (TLS)",
                    name(key),
                    redact_url(url)
                )));
            }
            if url.contains("#insecure") && !self.redis_tls_insecure {
                return Err(ConfigError::Invalid(format!(
                    "{} asks for TLS without certificate checks (#insecure); remove it, or set {}=true \
                     for development (never in production: anyone on the path could read the data)",
                    name(key),
                    variable("redis_tls_insecure")
                )));
            }
        }
        if let Some(path) = &self.redis_ca_file {
            if !path.is_file() {
                return Err(ConfigError::Invalid(format!(
                    "{} is {}, which is not a readable file; give the PEM file of the CA that signed \
                     the Redis server's certificate",
                    name("redis_ca_file"),
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// `url` with its password (the user info) hidden, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}
