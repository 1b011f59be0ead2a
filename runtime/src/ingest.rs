//! Ingest: an event is stored and one delivery per subscribed active
//! webhook is enqueued, atomically (one Lua script: all or nothing), with
//! the producer's event id as idempotency key (publishing it again returns
//! the first answer and enqueues nothing).
//!
//! Producers may also `XADD` to the ingest stream `herald:ingest` with the
//! fields `org`, `type`, `data` (JSON text) and optionally `id` and
//! `environment`; Herald consumes it with the same semantics (consumer
//! group `herald-ingest`), acknowledging an entry only once it is published
//! or found invalid (invalid entries are logged and dropped).

use crate::event::{now_rfc3339, Event};
use crate::store::{keys, now_ms, Store, StoreError};
use redis::Script;
use serde_json::value::RawValue;
use std::sync::LazyLock;

/// KEYS: event key, trigger index, queue, org. ARGV: event JSON, retention
/// seconds, now ms, now RFC 3339, log bound, event id, event type, org,
/// delivery id prefix. Returns {created (0/1, or -1: no such org), deliveries}.
static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[4]) == 0 then return {-1, 0} end
local prev = redis.call('HGET', KEYS[1], 'deliveries')
if prev then return {0, tonumber(prev)} end
local hooks = redis.call('SMEMBERS', KEYS[2])
table.sort(hooks)
local ttl, now, nowtxt, bound = tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
for i, wh in ipairs(hooks) do
  local did = ARGV[9] .. string.format('%03x', i)
  local dk = 'herald:dlv:' .. did
  redis.call('HSET', dk, 'id', did, 'org', ARGV[8], 'webhook_id', wh, 'event_id', ARGV[6],
    'event_type', ARGV[7], 'status', 'pending', 'attempts', 0, 'created_at', nowtxt,
    'updated_at', nowtxt, 'created_ms', now)
  redis.call('EXPIRE', dk, ttl)
  local log = 'herald:wh:' .. wh .. ':dlv'
  redis.call('ZADD', log, now, did)
  if redis.call('ZCARD', log) > bound then redis.call('ZREMRANGEBYRANK', log, 0, -(bound + 1)) end
  redis.call('XADD', KEYS[3], '*', 'd', did)
end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'deliveries', #hooks)
redis.call('EXPIRE', KEYS[1], ttl)
return {1, #hooks}
",
    )
});

/// What a producer sends.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The producer's id (idempotency key), if given.
    pub id: Option<String>,
    /// The event type.
    pub event_type: String,
    /// The JSON payload.
    pub data: Box<RawValue>,
    /// The environment tag.
    pub environment: Option<String>,
}

/// The answer to a publish.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Published {
    /// The event id.
    pub id: String,
    /// Deliveries enqueued (by the first publish of this id).
    pub deliveries: u64,
    /// Whether this call created the event (false: an idempotent repeat).
    #[serde(skip)]
    pub created: bool,
}

/// A new id with a type prefix, e.g. `evt_01J…` (ULIDs: sortable by time).
///
/// Monotonic within this process: ids made in the same millisecond still
/// sort in creation order (lists page by time, then id).
pub fn new_id(prefix: &str) -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let id = GENERATOR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .generate()
        // Overflow needs 2^80 ids in one millisecond; fall back to a random one.
        .unwrap_or_else(|_| ulid::Ulid::new());
    format!("{prefix}_{}", id.to_string().to_lowercase())
}

/// Events accepted by one [`publish_batch`] call, at most.
pub const MAX_BATCH: usize = 1000;

/// The script invocation that publishes `event` for `org`, and its id.
fn invocation(
    store: &Store,
    org: &str,
    event: NewEvent,
) -> (redis::ScriptInvocation<'static>, String) {
    let id = event.id.unwrap_or_else(|| new_id("evt"));
    let stored = Event {
        id: id.clone(),
        event_type: event.event_type,
        timestamp: now_rfc3339(),
        org: org.to_string(),
        environment: event.environment,
        data: event.data,
    };
    let json = serde_json::to_string(&stored).unwrap_or_default();
    let mut invocation = PUBLISH.prepare_invoke();
    invocation
        .key(keys::event(org, &id))
        .key(keys::trigger_index(org, &stored.event_type))
        .key(keys::QUEUE)
        .key(keys::org(org))
        .arg(json)
        .arg(store.retention_secs())
        .arg(now_ms())
        .arg(&stored.timestamp)
        .arg(store.log_bound)
        .arg(&id)
        .arg(&stored.event_type)
        .arg(org)
        .arg(new_id("dlv"));
    (invocation, id)
}

fn published(id: String, (created, deliveries): (i64, u64)) -> Option<Published> {
    (created >= 0).then_some(Published {
        id,
        deliveries,
        created: created == 1,
    })
}

/// Stores `event` for `org` and enqueues its deliveries, in one round trip;
/// `None` if the org does not exist (checked in the same atomic step, so an
/// org deleted meanwhile never receives the event).
pub async fn publish(
    store: &Store,
    org: &str,
    event: NewEvent,
) -> Result<Option<Published>, StoreError> {
    let (invocation, id) = invocation(store, org, event);
    let reply: (i64, u64) = invocation.invoke_async(&mut store.con()).await?;
    Ok(published(id, reply))
}

/// Publishes `events` for `org` in one round trip (at most [`MAX_BATCH`]):
/// each event is stored and fanned out atomically on its own, with the same
/// idempotency as [`publish`]. `None` if the org does not exist. On an error
/// some events may have been stored: retrying the batch is safe for events
/// that carry their own id.
pub async fn publish_batch(
    store: &Store,
    org: &str,
    events: Vec<NewEvent>,
) -> Result<Option<Vec<Published>>, StoreError> {
    let (invocations, ids): (Vec<_>, Vec<_>) = events
        .into_iter()
        .map(|e| invocation(store, org, e))
        .unzip();
    let mut pipe = redis::pipe();
    for i in &invocations {
        pipe.invoke_script(i);
    }
    let mut con = store.con();
    let replies: Vec<(i64, u64)> = match pipe.query_async(&mut con).await {
        // The script cache is empty (Redis restarted): no event ran; load and resend.
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            PUBLISH.load_async(&mut con).await?;
            pipe.query_async(&mut con).await?
        }
        other => other?,
    };
    Ok(ids
        .into_iter()
        .zip(replies)
        .map(|(id, reply)| published(id, reply))
        .collect())
}

/// Consumes the ingest stream until `shutdown`: each entry is published
/// with the same semantics as the API, then acknowledged and deleted. An
/// entry that cannot be published (unknown org, bad JSON) is logged and
/// dropped; one that failed on Redis stays pending and is retried.
pub async fn consume_stream(
    store: Store,
    mut reader: redis::aio::ConnectionManager,
    consumer: String,
    shutdown: tokio_util::sync::CancellationToken,
) {
    use redis::streams::{StreamReadOptions, StreamReadReply};
    use redis::AsyncCommands;
    let create = |store: Store| async move {
        // BUSYGROUP (it exists) is the expected answer once it does.
        let _: redis::RedisResult<()> = store
            .con()
            .xgroup_create_mkstream(keys::INGEST, keys::INGEST_GROUP, "0")
            .await;
    };
    // Entries claimed by this consumer and not yet acknowledged come first ("0"), then new ones.
    let mut cursor = "0".to_string();
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let options = StreamReadOptions::default()
            .group(keys::INGEST_GROUP, &consumer)
            .count(100)
            .block(1000);
        let (streams, ids) = ([keys::INGEST], [cursor.as_str()]);
        let reply: redis::RedisResult<Option<StreamReadReply>> = tokio::select! {
            _ = shutdown.cancelled() => return,
            r = reader.xread_options(&streams, &ids, &options) => r,
        };
        let entries = match reply {
            Ok(r) => r
                .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect::<Vec<_>>())
                .unwrap_or_default(),
            Err(e) => {
                if e.code() != Some("NOGROUP") {
                    tracing::warn!("reading the ingest stream failed: {e}");
                }
                create(store.clone()).await;
                if crate::worker::sleep_or_stop(std::time::Duration::from_millis(500), &shutdown)
                    .await
                {
                    return;
                }
                continue;
            }
        };
        if entries.is_empty() && cursor == "0" {
            cursor = ">".into();
            continue;
        }
        for entry in entries {
            let field = |k: &str| entry.get::<String>(k).filter(|v| !v.is_empty());
            let parsed = (|| {
                let org = field("org").ok_or("missing field `org`")?;
                let event_type = field("type").ok_or("missing field `type`")?;
                let data = field("data").ok_or("missing field `data`")?;
                let data = RawValue::from_string(data).map_err(|_| "`data` is not valid JSON")?;
                Ok::<_, &str>((
                    org,
                    NewEvent {
                        id: field("id"),
                        event_type,
                        data,
                        environment: field("environment"),
                    },
                ))
            })();
            let done = match parsed {
                Err(why) => {
                    tracing::warn!(entry = %entry.id, "dropping ingest stream entry: {why}");
                    true
                }
                Ok((org, event)) => match publish(&store, &org, event).await {
                    Ok(Some(_)) => true,
                    Ok(None) => {
                        tracing::warn!(entry = %entry.id, "dropping ingest stream entry: unknown org {org}");
                        true
                    }
                    Err(e) => {
                        tracing::warn!(entry = %entry.id, "publishing from the ingest stream failed: {e}");
                        false
                    }
                },
            };
            if done {
                let _: redis::RedisResult<()> = redis::pipe()
                    .cmd("XACK")
                    .arg(keys::INGEST)
                    .arg(keys::INGEST_GROUP)
                    .arg(&entry.id)
                    .ignore()
                    .cmd("XDEL")
                    .arg(keys::INGEST)
                    .arg(&entry.id)
                    .ignore()
                    .query_async(&mut store.con())
                    .await;
            }
        }
    }
}
