"""The Lua scripts behind the shared limiter: each limiter operation is one atomic script.

Keys of one scope (KEYS): 1 quota hash, 2 slots zset (permit -> lease end), 3 unsettled zset
(permits whose answer has not reported Remaining yet), 4 queue list (waiter ids, FIFO), 5 waiters
zset (waiter -> lease end). ARGV[1] is always the wake-key prefix: a waiter blocks (BLPOP) on
prefix..id and any script that may have freed something pushes to the head's wake key.

Times are the Redis server's (TIME), so workers on hosts with skewed clocks agree. The quota
arithmetic mirrors `asyncdam.engine.quota.QuotaState` (fixed windows, refill at the server's reset,
initial rate before the first answer, probing when nobody knows the window).
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "LEAVE", "OBSERVE", "RELEASE", "RENEW"]

_COMMON = r"""
local MIN_WAIT = 0.001
local MAX_PROBE = 60.0
local TOL = 0.5
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local now = server_now()
local wake_prefix = ARGV[1]
local q = {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do q[raw[i]] = raw[i + 1] end
local function num(name)
  local v = q[name]
  if v == nil or v == '' then return nil end
  return tonumber(v)
end
local S = {
  cap = num('cap'), known = num('known') or 0, tokens = num('tokens'), reset = num('reset'),
  kind = q['kind'], window = num('window'), newest = num('newest'), floor = num('floor'),
  gen = num('gen') or 0, probe = num('probe'), probe_base = num('probe_base'),
  max_wait = num('max_wait'), syncs = num('syncs') or 0,
}
local fresh = (raw[1] == nil)
local function save(ttl)
  local fields = {}
  for _, name in ipairs({'cap', 'known', 'tokens', 'reset', 'kind', 'window', 'newest', 'floor',
                         'gen', 'probe', 'probe_base', 'max_wait', 'syncs'}) do
    local v = S[name]
    if v == nil then v = '' elseif type(v) == 'number' then v = string.format('%.6f', v) end
    table.insert(fields, name); table.insert(fields, v)
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('EXPIRE', KEYS[1], ttl)
end
local function purge()
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  -- Waiters whose process died stop renewing; drop them from the front of the line.
  while true do
    local head = redis.call('LINDEX', KEYS[4], 0)
    if not head then break end
    local until_ = redis.call('ZSCORE', KEYS[5], head)
    if until_ and tonumber(until_) > now then break end
    redis.call('LPOP', KEYS[4])
    redis.call('ZREM', KEYS[5], head)
  end
end
local function wake_head(lease)
  local head = redis.call('LINDEX', KEYS[4], 0)
  if head then
    local key = wake_prefix .. head
    redis.call('RPUSH', key, '1')
    redis.call('PEXPIRE', key, math.floor(lease * 1000))
  end
end
local function advance(inflight, unreported)
  if S.reset == nil or now < S.reset then return end
  if S.kind == 'probe' then
    if inflight > 0 then S.reset = now + S.probe; return end
    if S.tokens ~= nil then S.tokens = math.max(S.tokens, 1) end
  elseif S.cap ~= nil then
    S.tokens = math.max(0, S.cap - inflight - unreported)
  end
  S.gen = S.gen + 1; S.reset = nil; S.kind = nil; S.floor = nil
end
local function ttl()
  return math.max(3600, math.ceil(2 * (S.max_wait or 0)))
end
"""

# ARGV: wake_prefix, waiter, permit, concurrency, init_limit (0 = none), init_window, lease,
#       max_wait, probe_delay. Returns {1, generation} granted, {0, wait} wait.
ACQUIRE = (
    _COMMON
    + r"""
local waiter, permit = ARGV[2], ARGV[3]
local concurrency, lease = tonumber(ARGV[4]), tonumber(ARGV[7])
if fresh then
  local limit, window = tonumber(ARGV[5]), tonumber(ARGV[6])
  S.max_wait = math.max(tonumber(ARGV[8]), window, MIN_WAIT)
  S.probe_base = math.min(math.max(tonumber(ARGV[9]), MIN_WAIT), S.max_wait)
  S.probe = S.probe_base
  if limit > 0 then S.cap = limit; S.known = 1; S.tokens = limit; S.window = window end
end
if not redis.call('ZSCORE', KEYS[5], waiter) then redis.call('RPUSH', KEYS[4], waiter) end
redis.call('ZADD', KEYS[5], now + lease, waiter)
purge()
local function idle(wait, quota)
  save(ttl())
  return {0, string.format('%.6f', wait), quota or ''}
end
if redis.call('LINDEX', KEYS[4], 0) ~= waiter then return idle(lease) end
if redis.call('ZCARD', KEYS[2]) >= concurrency then return idle(lease) end
local inflight = redis.call('ZCARD', KEYS[3])
advance(inflight, 0)
if S.tokens ~= nil then
  if S.tokens > 0 then
    S.tokens = S.tokens - 1
    if S.reset == nil and S.window ~= nil then S.reset = now + S.window; S.kind = 'local' end
  else
    if S.reset == nil and S.window ~= nil then S.reset = now + S.window; S.kind = 'local' end
    if S.reset == nil then
      local delay = S.probe
      S.probe = math.min(S.probe * 2, MAX_PROBE, S.max_wait)
      S.reset = now + delay; S.kind = 'probe'
      return idle(delay, 'quota')
    end
    return idle(math.min(math.max(S.reset - now, MIN_WAIT), S.max_wait), 'quota')
  end
end
redis.call('LPOP', KEYS[4])
redis.call('ZREM', KEYS[5], waiter)
redis.call('DEL', wake_prefix .. waiter)
redis.call('ZADD', KEYS[2], now + lease, permit)
if S.tokens ~= nil then redis.call('ZADD', KEYS[3], now + lease, permit) end
for i = 2, 5 do redis.call('EXPIRE', KEYS[i], ttl()) end
save(ttl())
-- The next in line may go at once only if a slot is still free; else a release will wake it.
if redis.call('ZCARD', KEYS[2]) < concurrency then wake_head(lease) end
return {1, tostring(S.gen)}
"""
)

# ARGV: wake_prefix, permit, limit ('' unknown), remaining (''), reset in seconds from now (''),
#       lease. Returns 1 when Remaining settled this permit's token.
OBSERVE = (
    _COMMON
    + r"""
if fresh then return 0 end
local permit, lease = ARGV[2], tonumber(ARGV[6])
purge()
local mine = redis.call('ZREM', KEYS[3], permit)
local others = redis.call('ZCARD', KEYS[3])
advance(others, 1)
local limit, remaining, reset_in = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local settled = 0
local usable = true
if limit ~= nil and limit > 0 then
  local old = S.cap
  S.cap = limit; S.known = 1
  if S.tokens == nil then S.tokens = math.max(0, limit - others)
  elseif old ~= nil and limit ~= old then
    S.tokens = math.max(0, math.min(limit, S.tokens + limit - old))
  end
end
if reset_in ~= nil then
  local reset = now + reset_in
  if S.newest ~= nil and reset < S.newest - TOL then usable = false
  elseif reset <= now then
    usable = not (S.newest ~= nil and reset <= S.newest + TOL)
  else
    local same = S.kind == 'server' and S.newest ~= nil and math.abs(reset - S.newest) <= TOL
    S.window = math.max(S.window or 0, math.min(reset - now, S.max_wait))
    if not same then
      S.newest = reset; S.reset = math.min(reset, now + S.max_wait); S.kind = 'server'
      S.floor = nil
    end
  end
end
if usable and remaining ~= nil and remaining >= 0 then
  if not (S.floor ~= nil and remaining > S.floor) then
    S.floor = remaining
    if S.known == 0 then S.cap = math.max(S.cap or 0, remaining + 1) end
    S.tokens = math.max(0, math.min(S.cap, remaining - others))
    S.syncs = S.syncs + 1
    if remaining > 0 then S.probe = S.probe_base end
    settled = 1
  end
end
if settled == 0 and mine == 1 then
  -- Not settled by a Remaining: it still counts as unanswered until released.
  redis.call('ZADD', KEYS[3], now + lease, permit)
end
save(ttl())
wake_head(lease)
return settled
"""
)

# ARGV: wake_prefix, permit, refund (0/1), generation, lease.
RELEASE = (
    _COMMON
    + r"""
local permit, refund, gen, lease = ARGV[2], ARGV[3] == '1', tonumber(ARGV[4]), tonumber(ARGV[5])
redis.call('ZREM', KEYS[2], permit)
local unsettled = redis.call('ZREM', KEYS[3], permit)
purge()
if not fresh then
  advance(redis.call('ZCARD', KEYS[3]), 0)
  if refund and unsettled == 1 and gen == S.gen and S.tokens ~= nil and S.cap ~= nil then
    S.tokens = math.min(S.cap, S.tokens + 1)
  end
  save(ttl())
end
wake_head(lease)
return 1
"""
)

# ARGV: wake_prefix, permit, lease. Returns 1 while the slot is still held.
RENEW = (
    _COMMON
    + r"""
local permit, lease = ARGV[2], tonumber(ARGV[3])
local held = redis.call('ZADD', KEYS[2], 'XX', 'CH', now + lease, permit)
redis.call('ZADD', KEYS[3], 'XX', now + lease, permit)
if redis.call('ZSCORE', KEYS[2], permit) then return 1 end
return 0
"""
)

# ARGV: wake_prefix, waiter, lease. A cancelled waiter leaves the line and wakes the next one.
LEAVE = (
    _COMMON
    + r"""
local waiter, lease = ARGV[2], tonumber(ARGV[3])
redis.call('LREM', KEYS[4], 1, waiter)
redis.call('ZREM', KEYS[5], waiter)
redis.call('DEL', wake_prefix .. waiter)
purge()
wake_head(lease)
return 1
"""
)
