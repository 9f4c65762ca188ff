--[[
  aggregationCheck: moves a ready group's tasks into a new aggregation set.       (mirrors asynq internal/rdb/rdb.go aggregationCheckCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>
    KEYS[2] asynq:{<qname>}:g:<group>:<set_id>      (the new aggregation set)
    KEYS[3] asynq:{<qname>}:aggregation_sets
    KEYS[4] asynq:{<qname>}:groups
    ARGV[1] max group size (0 = unlimited)
    ARGV[2] max delay in seconds (0 = none)
    ARGV[3] grace period in seconds
    ARGV[4] aggregation set deadline (unix s, now + 120)
    ARGV[5] current time = the aggregator tick (unix s)
    ARGV[6] group name

  Output:
    1  an aggregation set was created (KEYS[2])
    0  the group is empty or not ready; nothing written
]]
local size = redis.call("ZCARD", KEYS[1])
if size == 0 then
  return 0
end
local maxSize = tonumber(ARGV[1])
local maxDelay = tonumber(ARGV[2])
local now = tonumber(ARGV[5])

-- Moves the `n` lowest-scored members (every member when n is 0) with their scores from the
-- group into the set, and registers the set with its deadline.
local function moveOldest(n)
  local stop = n - 1
  local flat = redis.call("ZRANGE", KEYS[1], 0, stop, "WITHSCORES")
  for i = 1, #flat, 2 do
    redis.call("ZADD", KEYS[2], flat[i + 1], flat[i])
  end
  redis.call("ZREMRANGEBYRANK", KEYS[1], 0, stop)
  redis.call("ZADD", KEYS[3], ARGV[4], KEYS[2])
end

-- 1. size: take exactly maxSize; the group stays listed unless that took all of it
if maxSize ~= 0 and size >= maxSize then
  moveOldest(maxSize)
  if size == maxSize then
    redis.call("SREM", KEYS[4], ARGV[6])
  end
  return 1
end

-- From here on size < maxSize (or maxSize is 0), so a move empties the group.
local ready = false
-- 2. max delay: the oldest task has waited long enough
if maxDelay ~= 0 then
  local oldest = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  ready = tonumber(oldest[2]) <= now - maxDelay
end
-- 3. grace period: no task arrived for a whole grace period
if not ready then
  local newest = redis.call("ZRANGE", KEYS[1], -1, -1, "WITHSCORES")
  ready = tonumber(newest[2]) <= now - tonumber(ARGV[3])
end
if not ready then
  return 0
end
moveOldest(maxSize)
redis.call("SREM", KEYS[4], ARGV[6])
return 1
