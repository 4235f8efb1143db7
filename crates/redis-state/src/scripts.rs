//! The Lua scripts; each is sent once per connection (`EVALSHA`, falling back to `SCRIPT LOAD`).

use std::sync::LazyLock;

use redis::Script;

/// Creates a task hash unless it exists, and sets its TTL, atomically.
///
/// `KEYS[1]` task hash; `ARGV[1]` TTL in ms; `ARGV[2..]` field, value pairs.
/// Returns 1 when created, 0 when the key already existed (nothing written).
pub(crate) static CREATE_TASK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
",
    )
});

/// Checks and applies one state change of a task, then publishes its event, atomically.
///
/// `KEYS[1]` task hash.
/// `ARGV[1]` target status; `ARGV[2]` now (RFC 3339); `ARGV[3]` events channel; `ARGV[4]` task
/// id; `ARGV[5]` `1` when the target status is final (the event then carries result and error);
/// `ARGV[6]` new progress or `''` to keep it; `ARGV[7]` `'='..step` or `''` to keep it;
/// `ARGV[8]` result JSON or `''`; `ARGV[9]` error JSON or `''`; `ARGV[10..]` the statuses the
/// target may be reached from (computed from `TaskStatus::can_transition_to`).
///
/// Returns `{'missing'}`, `{'illegal', current status}`, or `{'ok', field, value, ...}` (the
/// whole hash after the change). The hash's TTL is untouched (HSET keeps it).
pub(crate) static TRANSITION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local key = KEYS[1]
local cur = redis.call('HGET', key, 'status')
if not cur then
  return {'missing'}
end
local allowed = false
for i = 10, #ARGV do
  if ARGV[i] == cur then
    allowed = true
    break
  end
end
if not allowed then
  return {'illegal', cur}
end
local to, now = ARGV[1], ARGV[2]
redis.call('HSET', key, 'status', to, 'updated_at', now)
if ARGV[6] ~= '' then redis.call('HSET', key, 'progress', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', key, 'step', string.sub(ARGV[7], 2)) end
if ARGV[8] ~= '' then redis.call('HSET', key, 'result', ARGV[8]) end
if ARGV[9] ~= '' then redis.call('HSET', key, 'error', ARGV[9]) end
local f = redis.call('HMGET', key, 'progress', 'step', 'result', 'error')
local parts = {
  '{"task_id":', cjson.encode(ARGV[4]),
  ',"status":', cjson.encode(to),
  ',"progress":', tostring(tonumber(f[1]) or 0),
  ',"step":', f[2] and cjson.encode(f[2]) or 'null',
  ',"at":', cjson.encode(now),
}
if ARGV[5] == '1' then
  if f[3] then
    table.insert(parts, ',"result":')
    table.insert(parts, f[3])
  end
  if f[4] then
    table.insert(parts, ',"error":')
    table.insert(parts, f[4])
  end
end
table.insert(parts, '}')
redis.call('PUBLISH', ARGV[3], table.concat(parts))
local out = redis.call('HGETALL', key)
table.insert(out, 1, 'ok')
return out
"#,
    )
});

/// `SET key value NX PX ttl`, returning the existing value when the key was already there.
///
/// `KEYS[1]` key; `ARGV[1]` value; `ARGV[2]` TTL in ms. Returns nil when this call set the key.
pub(crate) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
return redis.call('GET', KEYS[1])
",
    )
});

/// `INCR` a window counter and give it a TTL if it has none, atomically.
///
/// `KEYS[1]` counter; `ARGV[1]` TTL in ms. Returns the new count.
pub(crate) static HIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local n = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
",
    )
});

/// A sliding-window limit: KEYS[1] a sorted set of accepted hits (score = time in ms);
/// ARGV = now (ms), window (ms), limit, a unique member. Drops the hits older than the window;
/// below the limit adds this one and returns {1, count}; else returns {0, count, ms until the
/// oldest hit leaves the window}.
pub(crate) static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, n + 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, n, tonumber(oldest[2]) + window - now}
",
    )
});
