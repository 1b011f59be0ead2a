//! Publishing: an event is stored and one delivery per subscribed active
//! webhook is enqueued, in one script ([`scripts::PUBLISH`]): all or
//! nothing, idempotent by event id, in the org's shard slot.
//!
//! The script needs every key it writes in `KEYS`, so the caller passes the
//! webhooks it expects from the trigger index; the script checks them
//! against the index and, when they differ, writes nothing and answers the
//! index as it is, and the call is made again with those. The last index
//! seen is kept per (org, type) in memory, so a publish is one round trip
//! unless subscriptions changed since the previous publish of that type.
//! An ordered webhook's member in the index carries its key's path, so the
//! key is read here and its line named in `KEYS` ([`super::lines`]).

use super::{lines, scripts, Store, StoreError};
use crate::event::{Event, NewEvent};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The answer to a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The event id.
    pub id: String,
    /// Deliveries enqueued (by the first publish of this id).
    pub deliveries: u64,
    /// Whether this call created the event (false: an idempotent repeat).
    pub created: bool,
}

/// Events accepted by one [`Store::publish_batch`] call, at most.
pub const MAX_BATCH: usize = 1000;

/// Rounds of "the index changed, try again" before giving up.
const MAX_ROUNDS: usize = 8;

/// Sorted trigger index members (webhook ids, with an ordered webhook's
/// key path) by (org, event type).
type Subscribers = HashMap<(String, String), Arc<[String]>>;

/// The subscribed webhooks last seen per (org, event type), sorted.
#[derive(Clone, Default)]
pub struct TriggerCache(Arc<Mutex<Subscribers>>);

impl TriggerCache {
    fn get(&self, org: &str, event_type: &str) -> Arc<[String]> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(org.to_string(), event_type.to_string()))
            .cloned()
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    fn set(&self, org: &str, event_type: &str, hooks: Vec<String>) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert((org.to_string(), event_type.to_string()), hooks.into());
    }
}

/// One event ready to publish.
struct Prepared {
    id: String,
    event_type: String,
    json: String,
    timestamp: String,
    /// Delivery ids are this prefix and a 3-hex-digit index.
    delivery_prefix: String,
}

impl Prepared {
    fn new(org: &str, event: NewEvent) -> Self {
        let id = event.id.unwrap_or_else(|| crate::id::new_id("evt"));
        let stored = Event {
            id: id.clone(),
            event_type: event.event_type,
            timestamp: crate::clock::now_rfc3339(),
            org: org.to_string(),
            environment: event.environment,
            data: event.data,
            traceparent: event.traceparent,
        };
        Prepared {
            json: serde_json::to_string(&stored).unwrap_or_default(),
            id,
            event_type: stored.event_type,
            timestamp: stored.timestamp,
            delivery_prefix: crate::id::new_id("dlv"),
        }
    }
}

/// What one script call answered.
enum Reply {
    Done(Option<Published>),
    Stale(Vec<String>),
}

impl Store {
    fn invocation(
        &self,
        org: &str,
        event: &Prepared,
        hooks: &[String],
    ) -> redis::ScriptInvocation<'static> {
        let k = &self.keys;
        let mut invocation = scripts::PUBLISH.prepare_invoke();
        invocation
            .key(k.org(org))
            .key(k.trigger_index(org, &event.event_type))
            .key(k.event(org, &event.id))
            .key(k.queue(k.shard_of(org)));
        // Ordered webhooks' keys, read from the event once it is parsed
        // (only when one of its subscribers is ordered).
        let mut envelope: Option<serde_json::Value> = None;
        let mut key_values = Vec::with_capacity(hooks.len());
        for (i, member) in hooks.iter().enumerate() {
            let (hook, path) = lines::split_member(member);
            let delivery = k.delivery(org, &format!("{}{:03x}", event.delivery_prefix, i + 1));
            invocation
                .key(&delivery)
                .key(k.webhook_deliveries(org, hook));
            match path {
                None => {
                    invocation.key(delivery);
                    key_values.push(String::new());
                }
                Some(path) => {
                    let envelope = envelope.get_or_insert_with(|| {
                        serde_json::from_str(&event.json).unwrap_or_default()
                    });
                    let value = lines::key_value(envelope, path);
                    invocation.key(k.line(org, hook, &lines::key_hash(&value)));
                    key_values.push(lines::shown(&value).to_string());
                }
            }
        }
        invocation
            .arg(&event.json)
            .arg(self.retention_secs())
            .arg(super::now_ms())
            .arg(&event.timestamp)
            .arg(self.log_bound)
            .arg(&event.id)
            .arg(&event.event_type)
            .arg(org)
            .arg(&event.delivery_prefix);
        for member in hooks {
            invocation.arg(member);
        }
        for value in key_values {
            invocation.arg(value);
        }
        invocation
    }

    fn reply(&self, org: &str, event: &Prepared, reply: Vec<String>) -> Reply {
        let code: i64 = reply.first().and_then(|c| c.parse().ok()).unwrap_or(-1);
        let deliveries: u64 = reply.get(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        match code {
            -2 => {
                let hooks: Vec<String> = reply.into_iter().skip(2).collect();
                self.triggers.set(org, &event.event_type, hooks.clone());
                Reply::Stale(hooks)
            }
            -1 => Reply::Done(None),
            code => Reply::Done(Some(Published {
                id: event.id.clone(),
                deliveries,
                created: code == 1,
            })),
        }
    }

    /// Stores `event` for `org` and enqueues its deliveries, in one round
    /// trip in the steady state; `None` if the org does not exist (checked
    /// in the same atomic step, so an org deleted meanwhile never receives
    /// the event).
    pub async fn publish(
        &self,
        org: &str,
        event: NewEvent,
    ) -> Result<Option<Published>, StoreError> {
        let event = Prepared::new(org, event);
        let mut hooks: Vec<String> = self.triggers.get(org, &event.event_type).to_vec();
        for _ in 0..MAX_ROUNDS {
            let reply: Vec<String> = self
                .invocation(org, &event, &hooks)
                .invoke_async(&mut self.con())
                .await?;
            match self.reply(org, &event, reply) {
                Reply::Done(published) => {
                    self.wait_for_replicas(org).await?;
                    return Ok(published);
                }
                Reply::Stale(now) => hooks = now,
            }
        }
        Err(unsettled())
    }

    /// Publishes `events` for `org` (at most [`MAX_BATCH`]), pipelined in
    /// one round trip in the steady state: each event is stored and fanned
    /// out atomically on its own, with the same idempotency as
    /// [`Store::publish`]. `None` if the org does not exist. On an error
    /// some events may have been stored: retrying the batch is safe for
    /// events that carry their own id.
    pub async fn publish_batch(
        &self,
        org: &str,
        events: Vec<NewEvent>,
    ) -> Result<Option<Vec<Published>>, StoreError> {
        let events: Vec<Prepared> = events.into_iter().map(|e| Prepared::new(org, e)).collect();
        let mut hooks: Vec<Vec<String>> = events
            .iter()
            .map(|e| self.triggers.get(org, &e.event_type).to_vec())
            .collect();
        let mut answers: Vec<Option<Option<Published>>> = vec![None; events.len()];
        for _ in 0..MAX_ROUNDS {
            let todo: Vec<usize> = (0..events.len())
                .filter(|&i| answers[i].is_none())
                .collect();
            if todo.is_empty() {
                break;
            }
            let invocations: Vec<_> = todo
                .iter()
                .map(|&i| self.invocation(org, &events[i], &hooks[i]))
                .collect();
            let mut pipe = redis::pipe();
            for invocation in &invocations {
                pipe.invoke_script(invocation);
            }
            let mut con = self.con();
            let replies: Vec<Vec<String>> = match pipe.query_async(&mut con).await {
                // The script cache is empty (Redis restarted): no event ran; load and resend.
                Err(e)
                    if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
                {
                    scripts::PUBLISH.load_async(&mut con).await?;
                    pipe.query_async(&mut con).await?
                }
                other => other?,
            };
            for (i, reply) in todo.into_iter().zip(replies) {
                match self.reply(org, &events[i], reply) {
                    Reply::Done(published) => answers[i] = Some(published),
                    Reply::Stale(now) => {
                        // Later events of the same type see the new index too.
                        for (j, e) in events.iter().enumerate().skip(i) {
                            if e.event_type == events[i].event_type {
                                hooks[j] = now.clone();
                            }
                        }
                    }
                }
            }
        }
        self.wait_for_replicas(org).await?;
        let mut published = Vec::with_capacity(events.len());
        for answer in answers {
            match answer {
                None => return Err(unsettled()),
                Some(None) => return Ok(None),
                Some(Some(p)) => published.push(p),
            }
        }
        Ok(Some(published))
    }

    /// With `wait_replicas` set, waits (`WAIT`, on the master holding
    /// `org`'s slot) until that many replicas have every write this
    /// connection sent so far, the publish just made included: an event is
    /// accepted only once a failover cannot lose it. Fewer within a second
    /// is [`StoreError::NotReplicated`] (503; the event is stored, and a
    /// retry with its id is idempotent).
    async fn wait_for_replicas(&self, org: &str) -> Result<(), StoreError> {
        if self.wait_replicas == 0 {
            return Ok(());
        }
        let mut wait = redis::cmd("WAIT");
        wait.arg(self.wait_replicas).arg(1000);
        let got: u16 = self.con().query_in_slot(&self.keys.org(org), &wait).await?;
        if got < self.wait_replicas {
            return Err(StoreError::NotReplicated {
                wanted: self.wait_replicas,
                got,
            });
        }
        Ok(())
    }

    /// An event's stored JSON, if it is still kept.
    pub async fn event_json(
        &self,
        org: &str,
        event_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(redis::cmd("HGET")
            .arg(self.keys.event(org, event_id))
            .arg("json")
            .query_async(&mut self.con())
            .await?)
    }
}

fn unsettled() -> StoreError {
    StoreError::Corrupt {
        key: "trigger index".into(),
        message: format!("it changed {MAX_ROUNDS} times while publishing; try again"),
    }
}
