//! Every Redis key name Herald uses, built here and nowhere else (scripts
//! receive theirs through `KEYS`).
//!
//! # Hash tags
//! Keys carry a hash tag (the part in `{…}`), so that every script and
//! every transaction touches one hash slot, as Redis Cluster requires:
//!
//! - `{herald}`, the global slot: the org list, API keys and each org's key
//!   index, the plugin registry, the event-type catalogue, rejected ingest
//!   entries and the layout record.
//! - `{sN}` (or `{sN-k}`, see [`Keys::new`]), one slot per queue shard (`N`
//!   in `0..shards`): the shard's work
//!   stream and retry set, and all the data of the orgs assigned to it:
//!   the org record, its webhooks and trigger index, events, deliveries and
//!   their attempts, webhook logs, dead letters, parked deliveries, stats.
//!
//! An org belongs to shard `fnv1a(org id) mod shards`, so publishing an
//! event (event, deliveries, logs, queue entries) and recording an outcome
//! (delivery, attempt, counters, acknowledgement) are each one script or
//! transaction in one slot. The price: an org's data lives on one shard,
//! and the shard count is fixed once data exists (recorded under
//! [`Keys::layout`]; a different `queue_shards` is refused at start).
//!
//! Two names stay untagged because outside parties use them: the ingest
//! stream [`INGEST`] producers `XADD` to, and the change channel [`CHANGES`].

/// The documented ingest stream producers may `XADD` to.
pub const INGEST: &str = "herald:ingest";
/// The ingest stream's consumer group.
pub const INGEST_GROUP: &str = "herald-ingest";
/// The consumer group of every work stream, shared by all Herald processes.
pub const GROUP: &str = "herald-workers";
/// Pub/sub channel: the id of every webhook created, changed or deleted,
/// and [`CATALOGUE_CHANGED`] (each Herald process drops its cached copy).
pub const CHANGES: &str = "herald:changes";
/// The message on [`CHANGES`] that says the event-type catalogue changed
/// (webhook ids start with `wh_`, so it is never one).
pub const CATALOGUE_CHANGED: &str = "event-types";

/// A queue shard: the hash slot that holds a share of the orgs and their work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard(pub u16);

/// Builds key names for a store with a given number of shards.
#[derive(Debug, Clone)]
pub struct Keys {
    shards: u16,
    /// Each shard's hash tag (`s3`, or `s3-17` where a suffix spreads the
    /// shards' slots evenly over the slot space).
    tags: std::sync::Arc<[Box<str>]>,
}

/// The hash tag of `shard` of `shards`, chosen so that the shards' slots
/// are spread evenly over the 16384 slots (shard `n` lands in the `n`-th
/// equal part), and with them over a cluster's masters, whose slot ranges
/// are contiguous: `sN` itself when it lands there (always with one
/// shard), else `sN-k` with the smallest `k` that does. A pure function of
/// its arguments: every process and version names the same keys.
fn spread_tag(shard: u16, shards: u16) -> String {
    let part = |slot: u16| u32::from(slot) * u32::from(shards) / 16384;
    let plain = format!("s{shard}");
    if part(crc16(plain.as_bytes()) % 16384) == u32::from(shard) {
        return plain;
    }
    (1u32..)
        .map(|k| format!("s{shard}-{k}"))
        .find(|tag| part(crc16(tag.as_bytes()) % 16384) == u32::from(shard))
        .unwrap_or(plain)
}

/// FNV-1a, 32 bits: a stable hash (the same in every process and version).
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

const GLOBAL: &str = "herald:{herald}";

impl Keys {
    /// Key names for `shards` shards (at least 1), their slots spread
    /// evenly ([`Keys::layout`] records that a store is laid out so).
    pub fn new(shards: u16) -> Self {
        let shards = shards.max(1);
        Keys {
            shards,
            tags: (0..shards).map(|n| spread_tag(n, shards).into()).collect(),
        }
    }

    /// Key names as stores laid out before the spread tags have them
    /// (`sN` for every shard).
    pub fn plain(shards: u16) -> Self {
        let shards = shards.max(1);
        Keys {
            shards,
            tags: (0..shards).map(|n| format!("s{n}").into()).collect(),
        }
    }

    /// How many shards there are.
    pub fn shard_count(&self) -> u16 {
        self.shards
    }

    /// Every shard.
    pub fn shards(&self) -> impl Iterator<Item = Shard> {
        (0..self.shards).map(Shard)
    }

    /// The shard holding `org`'s data and work.
    pub fn shard_of(&self, org: &str) -> Shard {
        Shard((fnv1a(org) % u32::from(self.shards)) as u16)
    }

    fn org_prefix(&self, org: &str) -> String {
        self.shard_prefix(self.shard_of(org))
    }

    fn shard_prefix(&self, shard: Shard) -> String {
        let tag = self.tags.get(usize::from(shard.0)).map_or("s0", |t| &**t);
        format!("herald:{{{tag}}}")
    }

    // ---- the global slot ----

    /// The layout record: hash {shards}.
    pub fn layout(&self) -> String {
        format!("{GLOBAL}:layout")
    }

    /// All orgs: sorted set by creation time.
    pub fn orgs(&self) -> String {
        format!("{GLOBAL}:orgs")
    }

    /// An API key: hash {json}.
    pub fn api_key(&self, id: &str) -> String {
        format!("{GLOBAL}:key:{id}")
    }

    /// A dashboard session or a one-time portal link (`kind`), by the
    /// SHA-256 of the secret the browser holds: JSON, with a TTL.
    pub fn ui_session(&self, kind: &str, hash: &str) -> String {
        format!("{GLOBAL}:ui-{kind}:{hash}")
    }

    /// An org's API keys: sorted set by creation time.
    pub fn org_keys(&self, org: &str) -> String {
        format!("{GLOBAL}:org-keys:{org}")
    }

    /// Registered plugins: hash `name@version` → JSON metadata.
    pub fn plugins(&self) -> String {
        format!("{GLOBAL}:plugins")
    }

    /// A registered plugin's `.wasm` bytes.
    pub fn plugin_wasm(&self, reference: &str) -> String {
        format!("{GLOBAL}:plugin:{reference}")
    }

    /// The event-type catalogue: hash type → JSON.
    pub fn event_types(&self) -> String {
        format!("{GLOBAL}:event-types")
    }

    /// The audit log of every org and the operator's own changes: stream,
    /// field `e` the entry's JSON ([`crate::store::audit`]).
    pub fn audit(&self) -> String {
        format!("{GLOBAL}:audit")
    }

    /// Ingest stream entries that failed the input rules, with their reason.
    pub fn rejected(&self) -> String {
        format!("{GLOBAL}:rejected")
    }

    /// A worker's heartbeat (consumer name → expiring key): present while
    /// the worker lives ([`crate::store::consumers`]).
    pub fn heartbeat(&self, consumer: &str) -> String {
        format!("{GLOBAL}:heartbeat:{consumer}")
    }

    // ---- a shard's slot: work ----

    /// A shard's work stream (consumer group [`GROUP`]).
    pub fn queue(&self, shard: Shard) -> String {
        format!("{}:q", self.shard_prefix(shard))
    }

    /// A shard's due retries: sorted set, score = due Unix ms, member = delivery id.
    pub fn retries(&self, shard: Shard) -> String {
        format!("{}:retry", self.shard_prefix(shard))
    }

    /// Webhooks of the shard's orgs using a plugin: set.
    pub fn plugin_users(&self, shard: Shard, reference: &str) -> String {
        format!("{}:plugin-users:{reference}", self.shard_prefix(shard))
    }

    // ---- a shard's slot: an org's data ----

    /// An org's own audit log: stream, as [`Keys::audit`].
    pub fn org_audit(&self, org: &str) -> String {
        format!("{}:audit:{org}", self.org_prefix(org))
    }

    /// An org: hash {json}.
    pub fn org(&self, org: &str) -> String {
        format!("{}:org:{org}", self.org_prefix(org))
    }

    /// An org's webhooks: sorted set by creation time.
    pub fn org_webhooks(&self, org: &str) -> String {
        format!("{}:org:{org}:webhooks", self.org_prefix(org))
    }

    /// The active webhooks of an org subscribed to an event type: set.
    pub fn trigger_index(&self, org: &str, event_type: &str) -> String {
        format!("{}:idx:{org}:{event_type}", self.org_prefix(org))
    }

    /// An ordered webhook's line for one key (`key_hash`: a hash of the
    /// key's value): list of delivery ids in publish order, the one in
    /// flight first.
    pub fn line(&self, org: &str, webhook: &str, key_hash: &str) -> String {
        format!("{}:line:{webhook}:{key_hash}", self.org_prefix(org))
    }

    /// An event: hash {json, deliveries}.
    pub fn event(&self, org: &str, id: &str) -> String {
        format!("{}:evt:{org}:{id}", self.org_prefix(org))
    }

    /// The pattern matching every event of an org (for deleting them).
    pub fn events_pattern(&self, org: &str) -> String {
        format!("{}:evt:{org}:*", self.org_prefix(org))
    }

    /// A webhook: JSON string.
    pub fn webhook(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}", self.org_prefix(org))
    }

    /// A webhook's rate limit state (GCRA): its theoretical arrival time,
    /// µs on Redis's clock, with a TTL.
    pub fn rate(&self, org: &str, id: &str) -> String {
        format!("{}:rate:{id}", self.org_prefix(org))
    }

    /// A webhook's delivery log: sorted set by creation time (ms).
    pub fn webhook_deliveries(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}:dlv", self.org_prefix(org))
    }

    /// A webhook's dead letters: sorted set by time of death (ms).
    pub fn webhook_dead(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}:dead", self.org_prefix(org))
    }

    /// Deliveries waiting for an inactive webhook: sorted set by time parked.
    pub fn webhook_parked(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}:parked", self.org_prefix(org))
    }

    /// A webhook's counters for one hour (Unix hours): hash.
    pub fn webhook_stats(&self, org: &str, id: &str, hour: i64) -> String {
        format!("{}:wh:{id}:stats:{hour}", self.org_prefix(org))
    }

    /// A webhook's failures since its last success (auto-disable): hash
    /// {since_ms, dead, fails}.
    pub fn webhook_health(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}:health", self.org_prefix(org))
    }

    /// A webhook's last attempt: hash {at, status, status_code, ok_ms (its
    /// last success)}.
    pub fn webhook_last(&self, org: &str, id: &str) -> String {
        format!("{}:wh:{id}:last", self.org_prefix(org))
    }

    /// A delivery: hash.
    pub fn delivery(&self, org: &str, id: &str) -> String {
        format!("{}:dlv:{id}", self.org_prefix(org))
    }

    /// A delivery's attempts: list of JSON.
    pub fn attempts(&self, org: &str, id: &str) -> String {
        format!("{}:dlv:{id}:attempts", self.org_prefix(org))
    }

    /// A delivery in a known shard (read from that shard's stream).
    pub fn delivery_in(&self, shard: Shard, id: &str) -> String {
        format!("{}:dlv:{id}", self.shard_prefix(shard))
    }
}

/// The hash slot of a key, as Redis Cluster computes it (CRC16 of the hash
/// tag, or of the whole key without one, mod 16384). Used by tests to prove
/// that every script and transaction stays in one slot.
pub fn slot(key: &str) -> u16 {
    let bytes = key.as_bytes();
    let tagged = key.find('{').and_then(|open| {
        let close = key[open + 1..].find('}')? + open + 1;
        (close > open + 1).then(|| &bytes[open + 1..close])
    });
    crc16(tagged.unwrap_or(bytes)) % 16384
}

/// CRC16-CCITT (XModem), the checksum Redis Cluster uses for slots.
fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| {
        (0..8).fold(crc ^ (u16::from(b) << 8), |c, _| {
            if c & 0x8000 != 0 {
                (c << 1) ^ 0x1021
            } else {
                c << 1
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_match_redis_cluster() {
        // Vectors from the Redis Cluster specification.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(slot("{user1000}.following"), slot("{user1000}.followers"));
        assert_eq!(slot("foo{}{bar}"), slot("foo{}{bar}"));
        assert_eq!(slot("foo{{bar}}zap"), crc16(b"{bar") % 16384);
    }

    #[test]
    fn shard_slots_spread_evenly_and_one_shard_keeps_its_old_name() {
        assert_eq!(Keys::new(1).queue(Shard(0)), Keys::plain(1).queue(Shard(0)));
        for shards in [2u16, 3, 12, 64, 256] {
            let k = Keys::new(shards);
            for shard in k.shards() {
                let part = u32::from(slot(&k.queue(shard))) * u32::from(shards) / 16384;
                assert_eq!(
                    part,
                    u32::from(shard.0),
                    "{shards} shards: {}",
                    k.queue(shard)
                );
            }
        }
    }

    #[test]
    fn an_orgs_keys_share_its_shards_slot() {
        let k = Keys::new(8);
        let org = "org_01abc";
        let shard = k.shard_of(org);
        let all = [
            k.queue(shard),
            k.retries(shard),
            k.plugin_users(shard, "p@1"),
            k.org(org),
            k.org_webhooks(org),
            k.trigger_index(org, "order.created"),
            k.event(org, "e1"),
            k.webhook(org, "wh_1"),
            k.webhook_deliveries(org, "wh_1"),
            k.webhook_dead(org, "wh_1"),
            k.webhook_parked(org, "wh_1"),
            k.webhook_stats(org, "wh_1", 7),
            k.webhook_last(org, "wh_1"),
            k.delivery(org, "d1"),
            k.attempts(org, "d1"),
            k.delivery_in(shard, "d1"),
        ];
        assert!(all.iter().all(|key| slot(key) == slot(&all[0])), "{all:?}");
        let global = [k.layout(), k.orgs(), k.api_key("a"), k.org_keys(org)];
        assert!(global.iter().all(|key| slot(key) == slot(&global[0])));
    }

    #[test]
    fn orgs_spread_over_shards_stably() {
        let k = Keys::new(4);
        let used: std::collections::HashSet<Shard> =
            (0..100).map(|i| k.shard_of(&format!("org_{i}"))).collect();
        assert_eq!(used.len(), 4);
        assert_eq!(k.shard_of("org_x"), Keys::new(4).shard_of("org_x"));
        assert_eq!(Keys::new(1).shard_of("anything"), Shard(0));
    }
}
