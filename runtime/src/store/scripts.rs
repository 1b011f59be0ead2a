//! Every Lua script Herald runs. Each names its keys in `KEYS` (never
//! building a key name inside Lua), and all of a script's keys share one
//! hash slot (see [`super::keys`]).

use redis::Script;
use std::sync::LazyLock;

/// Stores an event and fans it out, all or nothing, idempotently.
///
/// KEYS: 1 org record, 2 trigger index, 3 event, 4 work stream, then for
/// the i-th webhook `4 + 3i - 2` its delivery record, `4 + 3i - 1` its log
/// and `4 + 3i` its line for this event's ordering key (an unordered
/// webhook passes its delivery record again; it is not touched).
/// ARGV: 1 event JSON, 2 retention seconds, 3 now ms, 4 now RFC 3339,
/// 5 log bound, 6 event id, 7 event type, 8 org, 9 delivery id prefix,
/// then the trigger index members the caller expects, sorted (a webhook's
/// id, and for an ordered one `|` and its key's path), then for each the
/// event's ordering key (empty for unordered webhooks).
///
/// An ordered webhook's delivery joins the end of its line and is queued
/// only when the line was empty (it is the head); the next is queued when
/// the head ends ([`LINE_NEXT`]).
///
/// Returns `{1, n}` (created, n deliveries), `{0, n}` (already published),
/// `{-1, 0}` (no such org) or `{-2, 0, members…}`: the trigger index differs
/// from what the caller expected; nothing was written and `members` is the
/// index as it is (the caller retries with those keys).
pub static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local prev = redis.call('HGET', KEYS[3], 'deliveries')
if prev then return {0, tonumber(prev)} end
local hooks = redis.call('SMEMBERS', KEYS[2])
table.sort(hooks)
local n = (#ARGV - 9) / 2
local same = #hooks == n
if same then
  for i = 1, n do
    if hooks[i] ~= ARGV[9 + i] then same = false break end
  end
end
if not same then
  local reply = {-2, 0}
  for i = 1, #hooks do reply[i + 2] = hooks[i] end
  return reply
end
local ttl, now, nowtxt, bound = tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
for i = 1, n do
  local did = ARGV[9] .. string.format('%03x', i)
  local dk, log = KEYS[2 + 3 * i], KEYS[3 + 3 * i]
  local member = ARGV[9 + i]
  local bar = string.find(member, '|', 1, true)
  local wid = member
  if bar then wid = string.sub(member, 1, bar - 1) end
  redis.call('HSET', dk, 'id', did, 'org', ARGV[8], 'webhook_id', wid, 'event_id', ARGV[6],
    'event_type', ARGV[7], 'status', 'pending', 'attempts', 0, 'created_at', nowtxt,
    'updated_at', nowtxt, 'created_ms', now)
  redis.call('EXPIRE', dk, ttl)
  redis.call('ZADD', log, now, did)
  if redis.call('ZCARD', log) > bound then redis.call('ZREMRANGEBYRANK', log, 0, -(bound + 1)) end
  if bar then
    local line = KEYS[4 + 3 * i]
    redis.call('HSET', dk, 'line', line, 'ordering_key', ARGV[9 + n + i])
    local waiting = redis.call('RPUSH', line, did)
    redis.call('EXPIRE', line, ttl)
    if waiting == 1 then redis.call('XADD', KEYS[4], '*', 'd', did) end
  else
    redis.call('XADD', KEYS[4], '*', 'd', did)
  end
end
redis.call('HSET', KEYS[3], 'json', ARGV[1], 'deliveries', n)
redis.call('EXPIRE', KEYS[3], ttl)
return {1, n}
",
    )
});

/// Ends the head of an ordered webhook's line: when delivery `ARGV[1]` is
/// the head, it leaves the line and the next one (if any) is queued; with
/// `ARGV[2]` = `1` (the head died), the dead delivery records which one went
/// next (`next_in_line`). A delivery that is not the head (a duplicate, a
/// replay) changes nothing.
/// KEYS: 1 the line, 2 work stream, 3 the delivery. Returns 1 when the
/// line moved on.
///
/// Sent whole (`EVAL`) inside the outcome's transaction: an `EVALSHA` there
/// would fail the transaction after a Redis restart emptied the script
/// cache, and the text is short (Redis keeps it compiled).
pub const LINE_NEXT: &str = r"
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
local nxt = redis.call('LINDEX', KEYS[1], 0)
if nxt then
  redis.call('XADD', KEYS[2], '*', 'd', nxt)
  if ARGV[2] == '1' then redis.call('HSET', KEYS[3], 'next_in_line', nxt) end
end
return 1
";

/// Moves due retries onto the work stream.
/// KEYS: 1 retry set, 2 work stream. ARGV: 1 now ms, 2 limit. Returns how many.
pub static MOVE_DUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  redis.call('XADD', KEYS[2], '*', 'd', id)
  redis.call('ZREM', KEYS[1], id)
end
return #due
",
    )
});

/// Re-queues a delivery now unless it is pending (queued or in flight).
/// KEYS: 1 delivery, 2 retry set, 3 dead set, 4 work stream. ARGV: 1 id.
/// Returns 1 if queued, 0 if pending or gone.
pub static REQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'next_attempt_at', '')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('XADD', KEYS[4], '*', 'd', ARGV[1])
return 1
",
    )
});

/// Parks a delivery for an inactive webhook, atomically with acknowledging
/// its queue entry, unless the webhook became active meanwhile (then it is
/// re-queued) or was deleted (then it is only acknowledged).
/// KEYS: 1 webhook, 2 parked set, 3 work stream. ARGV: 1 delivery id,
/// 2 now ms, 3 group, 4 entry id. Returns `parked`, `requeued` or `deleted`.
pub static PARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local wh = redis.call('GET', KEYS[1])
local outcome = 'deleted'
if wh then
  if cjson.decode(wh).active then
    redis.call('XADD', KEYS[3], '*', 'd', ARGV[1])
    outcome = 'requeued'
  else
    redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
    outcome = 'parked'
  end
end
redis.call('XACK', KEYS[3], ARGV[3], ARGV[4])
redis.call('XDEL', KEYS[3], ARGV[4])
return outcome
",
    )
});

/// Moves every parked delivery of a webhook back onto the work stream.
/// KEYS: 1 parked set, 2 work stream. Returns how many.
pub static UNPARK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call('XADD', KEYS[2], '*', 'd', id)
end
redis.call('DEL', KEYS[1])
return #ids
",
    )
});

/// Records the layout on first use and returns it: the shard count, and
/// `spread` for a store laid out with spread shard tags (`Keys::new`); a
/// store recorded before them has no `tags` field (`Keys::plain`).
/// KEYS: 1 the layout hash. ARGV: 1 the shard count proposed.
/// Returns [shards, tags or nil].
pub static LAYOUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HSETNX', KEYS[1], 'shards', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'tags', 'spread')
end
return redis.call('HMGET', KEYS[1], 'shards', 'tags')
",
    )
});

/// Announces a change on a channel from inside a transaction. `PUBLISH`
/// names no key, so a cluster client cannot place it; this script names the
/// changed document as its key, so it runs in that document's slot with the
/// rest of the transaction (a cluster still sends the message to every node).
/// KEYS: 1 the changed document (not touched). ARGV: 1 channel, 2 message.
pub static ANNOUNCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
return redis.call('PUBLISH', ARGV[1], ARGV[2])
",
    )
});

/// Replaces a stored document only if it is still the one read (a
/// compare-and-set), and announces the change.
/// KEYS: the document. ARGV: 1 the value read, 2 the new value, 3 the change
/// channel, 4 the message. Returns 1 when replaced, 0 when it changed (or
/// went) meanwhile.
pub static REPLACE_IF_SAME: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
",
    )
});

/// Takes over a dead consumer's idle entries.
/// KEYS: queue stream. ARGV: group, dead consumer, new consumer, min idle
/// (ms), count. Returns the claimed entries (XCLAIM's reply).
pub static TAKE_OVER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[4], '-', '+', ARGV[5], ARGV[2])
if #pending == 0 then return {} end
local ids = {}
for i, p in ipairs(pending) do ids[i] = p[1] end
return redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], ARGV[4], unpack(ids))
",
    )
});

/// Removes a consumer from the group if it holds no entry.
/// KEYS: queue stream. ARGV: group, consumer. Returns 1 if removed.
pub static REMOVE_IDLE_CONSUMER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] end
  end
  if name == ARGV[2] then
    if pending == 0 then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
",
    )
});
