//! The checks [`Settings`] pass once loaded: ranges, and the combinations
//! that would make Herald unsafe (a visibility timeout shorter than the
//! longest attempt) or unusable. Each message names the setting, its
//! variable and what to change.

use super::{format_bytes, forms, variable, ConfigError, Settings};
use std::time::Duration;

impl Settings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let name = |key: &str| format!("{key} ({})", variable(key));
        let at_least_one = [
            ("worker_concurrency", self.worker_concurrency as u64),
            ("slow_lane_concurrency", self.slow_lane_concurrency as u64),
            ("log_bound_per_webhook", self.log_bound_per_webhook as u64),
            ("max_body_bytes", self.max_body_bytes as u64),
            ("api_max_connections", self.api_max_connections as u64),
            (
                "auth_failures_per_minute",
                u64::from(self.auth_failures_per_minute),
            ),
            ("plugin_max_input_bytes", self.plugin_max_input_bytes as u64),
            (
                "plugin_max_output_bytes",
                self.plugin_max_output_bytes as u64,
            ),
            (
                "plugin_max_calls_per_instance",
                self.plugin_max_calls_per_instance,
            ),
            ("plugin_max_instances", u64::from(self.plugin_max_instances)),
            ("embedded_redis_port", u64::from(self.embedded_redis_port)),
        ];
        if let Some((key, _)) = at_least_one.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid(format!(
                "{} must be at least 1",
                name(key)
            )));
        }
        if let Some(threads) = self.threads.filter(|n| !(1..=1024).contains(n)) {
            return Err(ConfigError::Invalid(format!(
                "{} must be from 1 to 1024, not {threads}",
                name("threads"),
            )));
        }
        if let Some(shards) = self.queue_shards.filter(|n| !(1..=256).contains(n)) {
            return Err(ConfigError::Invalid(format!(
                "{} must be from 1 to 256, not {shards}",
                name("queue_shards"),
            )));
        }
        self.validate_redis()?;
        if self.plugin_deadline < Duration::from_millis(1) {
            return Err(ConfigError::Invalid(format!(
                "{} must be at least 1ms",
                name("plugin_deadline")
            )));
        }
        if !(1 << 20..=4 << 30).contains(&(self.plugin_memory_bytes as u64)) {
            return Err(ConfigError::Invalid(format!(
                "{} must be from 1MiB to 4GiB (a 32-bit guest's limit), not {}",
                name("plugin_memory_bytes"),
                format_bytes(self.plugin_memory_bytes)
            )));
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600))
            .contains(&self.receiver_idle_timeout)
        {
            return Err(ConfigError::Invalid(format!(
                "{} must be from 1s to 1h, not {:?}",
                name("receiver_idle_timeout"),
                self.receiver_idle_timeout
            )));
        }
        if self.slow_after < Duration::from_millis(100) {
            return Err(ConfigError::Invalid(format!(
                "{} must be at least 100ms (a receiver answering in time is not slow)",
                name("slow_after")
            )));
        }
        if self.default_timeout > self.max_timeout {
            return Err(ConfigError::Invalid(format!(
                "{} is {:?}, more than max_timeout ({:?}); lower it or raise {}",
                name("default_timeout"),
                self.default_timeout,
                self.max_timeout,
                name("max_timeout")
            )));
        }
        if self.visibility_timeout <= self.longest_attempt() {
            return Err(ConfigError::Invalid(format!(
                "{} ({:?}) must exceed the longest attempt (max_timeout + 5s = {:?}), \
                 or a slow but live attempt could be sent twice",
                name("visibility_timeout"),
                self.visibility_timeout,
                self.longest_attempt()
            )));
        }
        if let Some(url) = &self.public_url {
            if !forms::web_origin(url) {
                return Err(ConfigError::Invalid(format!(
                    "{} must be an http(s) origin like https://herald.example.com, not {url:?}",
                    name("public_url")
                )));
            }
        }
        if let Some(bad) = self
            .ui_frame_ancestors
            .iter()
            .find(|o| !forms::web_origin(o))
        {
            return Err(ConfigError::Invalid(format!(
                "{} entries must be origins like https://app.example.com, not {bad:?}",
                name("ui_frame_ancestors")
            )));
        }
        if self.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err(ConfigError::Invalid(format!(
                "{} must be at least 16 characters",
                name("admin_token")
            )));
        }
        Ok(())
    }
}
