-- The epoch of this Redis: the one kept in KEYS[1] if it was made on this very Redis process
-- (same run_id), else a new one (ARGV[2]). A Redis that restarted may have lost the newest
-- writes (AOF with appendfsync everysec) yet kept older counters, and would then give a seq
-- twice; a new epoch tells clients to count again. The counters at that moment are kept in
-- KEYS[3], the base from which nodes deliver under the new epoch.
--
-- KEYS[1] the epoch hash, KEYS[2] the counters, KEYS[3] the base of the epoch
-- ARGV[1] this Redis's run_id, ARGV[2] a new epoch, used if one is needed
-- Returns {epoch, base as a flat list channel, seq, ...}
local meta = redis.call('HMGET', KEYS[1], 'e', 'r')
if not meta[1] or meta[2] ~= ARGV[1] then
  redis.call('DEL', KEYS[3])
  local counters = redis.call('HGETALL', KEYS[2])
  for i = 1, #counters, 2 do
    redis.call('HSET', KEYS[3], counters[i], counters[i + 1])
  end
  redis.call('HSET', KEYS[1], 'e', ARGV[2], 'r', ARGV[1])
  meta[1] = ARGV[2]
end
return {meta[1], redis.call('HGETALL', KEYS[3])}
