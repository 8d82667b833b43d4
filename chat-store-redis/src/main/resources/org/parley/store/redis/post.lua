-- Stores one post: checks its id, numbers it, appends it to its channel's stream and to the
-- stream of all channels, and publishes it to every node. Redis runs a script whole, one at a
-- time, so the numbers of a channel have no gap and no two posts share one.
--
-- KEYS[1] the epoch hash (e: epoch, r: run_id of the Redis that holds it)
-- KEYS[2] the counters: a hash, channel -> newest seq
-- KEYS[3] the channel's stream, entry ids <seq>-0
-- KEYS[4] the stream of all channels
-- KEYS[5] the post's id key
-- ARGV: 1 run_id the node saw when it connected, 2 channel, 3 user, 4 time (ms since 1970),
--       5 text, 6 the node's tag of the post, 7 cap of a channel's stream, 8 cap of the
--       stream of all channels, 9 how long the id is kept (ms), 10 the pub/sub channel
-- Returns {1, seq, epoch} for a post stored now; {0, seq, time, tag} for a repeat of a
-- stored post (its time, and the tag it was stored with); {2} for an id used before for
-- another post; an error PARLEY_STALE when this Redis is not the one the epoch was made on
-- (it restarted): the node checks the epoch again.
local meta = redis.call('HMGET', KEYS[1], 'e', 'r')
if not meta[1] or meta[2] ~= ARGV[1] then
  return redis.error_reply('PARLEY_STALE the epoch must be checked again')
end
local digest = redis.sha1hex(ARGV[5])
local seen = redis.call('GET', KEYS[5])
if seen then
  local channel, seq, time, tag, sha = string.match(seen, '^(.-)\n(%d+)\n(%d+)\n(.-)\n(%x+)$')
  if channel == ARGV[2] and sha == digest then
    return {0, tonumber(seq), tonumber(time), tag}
  end
  return {2}
end
local seq = redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], seq .. '-0',
  'u', ARGV[3], 't', ARGV[4], 'o', ARGV[6], 'x', ARGV[5])
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[8], '*',
  'c', ARGV[2], 's', seq, 'u', ARGV[3], 't', ARGV[4], 'x', ARGV[5])
redis.call('SET', KEYS[5], ARGV[2] .. '\n' .. seq .. '\n' .. ARGV[4] .. '\n' .. ARGV[6] .. '\n' .. digest,
  'PX', ARGV[9])
redis.call('PUBLISH', ARGV[10], meta[1] .. '\n' .. ARGV[2] .. '\n' .. seq .. '\n' .. ARGV[3] .. '\n'
  .. ARGV[4] .. '\n' .. ARGV[6] .. '\n' .. ARGV[5])
return {1, seq, meta[1]}
