"""Lua scripts: each check-and-set on a slot's status runs atomically inside Redis."""

# KEYS[1] = heartbeat zset, KEYS[2..] = status keys in preference order
# ARGV = now, stale_after, reservation_id, reserved_at_iso
CLAIM = """
local now = tonumber(ARGV[1])
local stale_after = tonumber(ARGV[2])
for i = 2, #KEYS do
  local raw = redis.call('GET', KEYS[i])
  if raw then
    local ok, st = pcall(cjson.decode, raw)
    if ok and type(st) == 'table' and st.status == 'waiting' then
      local slot = string.sub(KEYS[i], 12)
      local hb = tonumber(redis.call('ZSCORE', KEYS[1], slot))
      if hb and (now - hb) <= stale_after then
        st.status = 'reserved'
        st.reservation_id = ARGV[3]
        st.reserved_at = ARGV[4]
        st.reserved_ts = now
        redis.call('SET', KEYS[i], cjson.encode(st))
        return slot
      end
    end
  end
end
return false
"""

# KEYS = status, config, wake, heartbeat zset
# ARGV = config json, ttl, activation_id, client_id, now, stale_after, since_iso
ACTIVATE = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 'no_slot' end
local ok, st = pcall(cjson.decode, raw)
if not ok or type(st) ~= 'table' then return 'corrupt' end
if st.status ~= 'waiting' and st.status ~= 'reserved' then
  return 'busy:' .. tostring(st.status) .. ':' .. tostring(st.client_id or '')
end
local slot = string.sub(KEYS[1], 12)
local hb = tonumber(redis.call('ZSCORE', KEYS[4], slot))
if not hb or (tonumber(ARGV[5]) - hb) > tonumber(ARGV[6]) then return 'stale' end
if redis.call('EXISTS', KEYS[2]) == 1 then return 'pending' end
redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
st.status = 'activating'
st.client_id = ARGV[4]
st.activation_id = ARGV[3]
st.since = ARGV[7]
st.reservation_id = nil
st.reserved_at = nil
st.reserved_ts = nil
redis.call('SET', KEYS[1], cjson.encode(st))
redis.call('LPUSH', KEYS[3], '{"cmd":"activate"}')
redis.call('LTRIM', KEYS[3], 0, 99)
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[2]))
return 'ok'
"""

# Put a status back to a new document only if it still has the expected status.
# KEYS[1] = status; ARGV = expected status, new document, older_than (unix, or '' for any age)
REPLACE_IF = """
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ok, st = pcall(cjson.decode, raw)
if not ok or type(st) ~= 'table' or st.status ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and tonumber(st.reserved_ts or 0) > tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""
