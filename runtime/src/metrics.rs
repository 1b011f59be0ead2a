//! Prometheus metrics (`GET /metrics`): events ingested, deliveries by
//! outcome (also per webhook, for the first webhooks seen, to bound
//! cardinality), attempts by result, retries scheduled, each queue shard's
//! depth, in-flight entries, retry set and oldest entry's age, delivery
//! latency, plugin call time per plugin, throttled destinations.
//!
//! Names follow Prometheus's conventions: every name starts `herald_`,
//! counters end `_total`, durations are in seconds and say so
//! (`_seconds`), and label values are bounded: outcomes, error classes,
//! shard numbers, plugin references, the first 1000 webhook ids, and
//! destinations only while throttled; never a URL or an event id.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::collections::HashSet;
use std::sync::Mutex;

/// Distinct webhooks that get their own label values.
const MAX_WEBHOOK_LABELS: usize = 1000;

/// An outcome label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// `succeeded`, `failed`, `dead`, `filtered`.
    pub outcome: String,
}

/// A per-webhook outcome label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WebhookOutcomeLabel {
    /// The webhook id, or `other` past the cardinality cap.
    pub webhook: String,
    /// The outcome.
    pub outcome: String,
}

/// An attempt result label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `ok` or an error class.
    pub result: String,
}

/// A queue shard label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ShardLabel {
    /// The shard's number.
    pub shard: String,
}

/// A plugin label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabel {
    /// `name@version`.
    pub plugin: String,
}

/// A destination label (`host:port`; only destinations being throttled
/// or with a circuit not closed have series, so the set stays small).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DestinationLabel {
    /// `host:port`.
    pub destination: String,
}

/// All of Herald's metrics.
pub struct Metrics {
    registry: Registry,
    /// Events accepted.
    pub events_ingested: Counter,
    /// Ingest stream entries rejected by the input rules (kept in the rejected stream).
    pub ingest_rejected: Counter,
    /// Deliveries that reached an outcome.
    pub deliveries: Family<OutcomeLabel, Counter>,
    /// The same per webhook.
    pub webhook_deliveries: Family<WebhookOutcomeLabel, Counter>,
    /// Attempts by result.
    pub attempts: Family<ResultLabel, Counter>,
    /// Retries scheduled.
    pub retries_scheduled: Counter,
    /// Attempts in flight in the slow lane (receivers that hang).
    pub slow_lane_in_flight: Gauge,
    /// Deliveries held (not attempted) while their webhook is slow.
    pub deliveries_held: Counter,
    /// Deliveries put back on the queue to wait for their webhook's rate
    /// limit (without an attempt).
    pub rate_limit_deferred: Counter,
    /// Webhooks deactivated by their auto-disable rule.
    pub webhooks_auto_disabled: Counter,
    /// Deliveries put back on the queue, without an attempt, because their
    /// destination's circuit was open, it was paused, or it was full.
    pub destination_deferred: Counter,
    /// Audit entries that could not be written (the change itself was made).
    pub audit_write_failures: Counter,
    /// Entries in a shard's work stream (waiting or in flight), sampled at
    /// scrape time, as are the three below.
    pub queue_entries: Family<ShardLabel, Gauge>,
    /// Entries of a shard claimed by a worker, not yet acknowledged.
    pub queue_in_flight: Family<ShardLabel, Gauge>,
    /// Deliveries in a shard's retry set (due later, or held).
    pub retry_set_entries: Family<ShardLabel, Gauge>,
    /// Age of a shard's oldest unfinished entry, seconds (0 when empty).
    pub queue_oldest_age: Family<ShardLabel, Gauge<f64, std::sync::atomic::AtomicU64>>,
    /// From acceptance of the event to a successful delivery, seconds.
    pub delivery_latency: Histogram,
    /// Plugin call time, seconds.
    pub plugin_call: Family<PluginLabel, Histogram>,
    /// A throttled destination's concurrency limit (per process).
    pub destination_limit: Family<DestinationLabel, Gauge>,
    /// A destination's circuit: 0 closed, 1 open, 2 half-open (probing).
    pub destination_circuit: Family<DestinationLabel, Gauge>,
    seen_webhooks: Mutex<HashSet<String>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("herald");
        let events_ingested = Counter::default();
        registry.register(
            "events_ingested",
            "Events accepted",
            events_ingested.clone(),
        );
        let ingest_rejected = Counter::default();
        registry.register(
            "ingest_rejected",
            "Ingest stream entries rejected by the input rules",
            ingest_rejected.clone(),
        );
        let deliveries = Family::<OutcomeLabel, Counter>::default();
        registry.register("deliveries", "Deliveries by outcome", deliveries.clone());
        let webhook_deliveries = Family::<WebhookOutcomeLabel, Counter>::default();
        registry.register(
            "webhook_deliveries",
            "Deliveries by webhook and outcome",
            webhook_deliveries.clone(),
        );
        let attempts = Family::<ResultLabel, Counter>::default();
        registry.register("attempts", "Delivery attempts by result", attempts.clone());
        let retries_scheduled = Counter::default();
        registry.register(
            "retries_scheduled",
            "Retries scheduled",
            retries_scheduled.clone(),
        );
        let slow_lane_in_flight = Gauge::default();
        registry.register(
            "slow_lane_in_flight",
            "Attempts in flight in the slow lane (receivers that hang)",
            slow_lane_in_flight.clone(),
        );
        let deliveries_held = Counter::default();
        registry.register(
            "deliveries_held",
            "Deliveries held without an attempt while their webhook is slow",
            deliveries_held.clone(),
        );
        let rate_limit_deferred = Counter::default();
        registry.register(
            "rate_limit_deferred",
            "Deliveries put back on the queue, without an attempt, to wait for their webhook's rate limit",
            rate_limit_deferred.clone(),
        );
        let webhooks_auto_disabled = Counter::default();
        registry.register(
            "webhooks_auto_disabled",
            "Webhooks deactivated by their auto-disable rule (sustained failure)",
            webhooks_auto_disabled.clone(),
        );
        let destination_deferred = Counter::default();
        registry.register(
            "destination_deferred",
            "Deliveries put back on the queue, without an attempt, because their destination's circuit was open, it was paused (Retry-After) or it was full",
            destination_deferred.clone(),
        );
        let audit_write_failures = Counter::default();
        registry.register(
            "audit_write_failures",
            "Audit log entries that could not be written to Redis (the change itself was made; the error is logged)",
            audit_write_failures.clone(),
        );
        let queue_entries = Family::<ShardLabel, Gauge>::default();
        registry.register(
            "queue_entries",
            "Entries in a queue shard's work stream, waiting or in flight (sampled at scrape time)",
            queue_entries.clone(),
        );
        let queue_in_flight = Family::<ShardLabel, Gauge>::default();
        registry.register(
            "queue_in_flight",
            "Entries of a queue shard claimed by a worker and not yet acknowledged",
            queue_in_flight.clone(),
        );
        let retry_set_entries = Family::<ShardLabel, Gauge>::default();
        registry.register(
            "retry_set_entries",
            "Deliveries in a queue shard's retry set (due later, or held for a slow webhook)",
            retry_set_entries.clone(),
        );
        let queue_oldest_age =
            Family::<ShardLabel, Gauge<f64, std::sync::atomic::AtomicU64>>::default();
        registry.register_with_unit(
            "queue_oldest_age",
            "Age of the oldest unfinished entry of a queue shard's work stream (0 when empty)",
            prometheus_client::registry::Unit::Seconds,
            queue_oldest_age.clone(),
        );
        let buckets = [
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            60.0, 300.0,
        ];
        let delivery_latency = Histogram::new(buckets);
        registry.register(
            "delivery_latency_seconds",
            "Event accepted to delivered",
            delivery_latency.clone(),
        );
        let plugin_call = Family::<PluginLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
            ])
        });
        registry.register(
            "plugin_call_seconds",
            "Plugin call time",
            plugin_call.clone(),
        );
        let destination_limit = Family::<DestinationLabel, Gauge>::default();
        registry.register(
            "destination_concurrency_limit",
            "Attempts allowed in flight to a throttled destination (host:port), in this process",
            destination_limit.clone(),
        );
        let destination_circuit = Family::<DestinationLabel, Gauge>::default();
        registry.register(
            "destination_circuit_state",
            "A destination's circuit (host:port): 0 closed, 1 open, 2 half-open",
            destination_circuit.clone(),
        );
        Metrics {
            registry,
            events_ingested,
            ingest_rejected,
            deliveries,
            webhook_deliveries,
            attempts,
            retries_scheduled,
            slow_lane_in_flight,
            deliveries_held,
            rate_limit_deferred,
            webhooks_auto_disabled,
            destination_deferred,
            audit_write_failures,
            queue_entries,
            queue_in_flight,
            retry_set_entries,
            queue_oldest_age,
            delivery_latency,
            plugin_call,
            destination_limit,
            destination_circuit,
            seen_webhooks: Mutex::new(HashSet::new()),
        }
    }

    /// Counts a delivery outcome, globally and for its webhook.
    pub fn delivery(&self, webhook: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&OutcomeLabel {
                outcome: outcome.into(),
            })
            .inc();
        let label = {
            let mut seen = self.seen_webhooks.lock().unwrap_or_else(|p| p.into_inner());
            if seen.contains(webhook) || seen.len() < MAX_WEBHOOK_LABELS {
                seen.insert(webhook.to_string());
                webhook.to_string()
            } else {
                "other".to_string()
            }
        };
        self.webhook_deliveries
            .get_or_create(&WebhookOutcomeLabel {
                webhook: label,
                outcome: outcome.into(),
            })
            .inc();
    }

    /// Sets the queue gauges from `shards`, read now.
    pub fn set_queue(&self, shards: &[crate::store::queue::ShardQueue], now_ms: i64) {
        for q in shards {
            let label = ShardLabel {
                shard: q.shard.0.to_string(),
            };
            let set = |family: &Family<ShardLabel, Gauge>, value: u64| {
                family.get_or_create(&label).set(value as i64);
            };
            set(&self.queue_entries, q.entries);
            set(&self.queue_in_flight, q.in_flight);
            set(&self.retry_set_entries, q.retries);
            let age = q
                .oldest_ms
                .map_or(0.0, |ms| (now_ms - ms).max(0) as f64 / 1000.0);
            self.queue_oldest_age.get_or_create(&label).set(age);
        }
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
