-- One channel's history, read at one instant: {first, last, entries}. first is the oldest
-- seq the stream holds (0 if none), last the channel's counter (0 if none).
--
-- KEYS[1] the counters, KEYS[2] the channel's stream
-- ARGV[1] channel, ARGV[2] 'after' or 'latest', ARGV[3] the first seq wanted ('after') or
-- the count ('latest'), ARGV[4] the limit ('after')
local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
local first = 0
if #oldest > 0 then
  first = tonumber(string.match(oldest[1][1], '^(%d+)'))
end
local entries
if ARGV[2] == 'after' and ARGV[4] == '0' or ARGV[2] == 'latest' and ARGV[3] == '0' then
  entries = {}
elseif ARGV[2] == 'after' then
  entries = redis.call('XRANGE', KEYS[2], ARGV[3] .. '-0', '+', 'COUNT', ARGV[4])
else
  entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3])
end
return {first, last, entries}
