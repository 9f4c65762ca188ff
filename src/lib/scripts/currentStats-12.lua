--[[
  currentStats: task counts per state, today's and total counters, paused flag, oldest
  pending_since and group counts of one queue.  (mirrors asynq internal/rdb/inspect.go currentStatsCmd)

  Input:
    KEYS[1]  asynq:{<qname>}:pending
    KEYS[2]  asynq:{<qname>}:active
    KEYS[3]  asynq:{<qname>}:scheduled
    KEYS[4]  asynq:{<qname>}:retry
    KEYS[5]  asynq:{<qname>}:archived
    KEYS[6]  asynq:{<qname>}:completed
    KEYS[7]  asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[8]  asynq:{<qname>}:failed:<yyyy-mm-dd>
    KEYS[9]  asynq:{<qname>}:processed
    KEYS[10] asynq:{<qname>}:failed
    KEYS[11] asynq:{<qname>}:paused
    KEYS[12] asynq:{<qname>}:groups
    ARGV[1]  task key prefix asynq:{<qname>}:t:
    ARGV[2]  group key prefix asynq:{<qname>}:g:

  Output:
    flat list of (name, value) pairs: KEYS[1..6] with LLEN/ZCARD; KEYS[7..10] with the counter
    (GET, "0" when missing); KEYS[11] with EXISTS; "oldest_pending_since" with the pending_since
    (unix ns) of the task at the tail of pending, 0 when the list is empty or the field is missing;
    "group_size" with the number of group names; "aggregating_count" with the sum of ZCARD
    over every group
  NOTE: builds keys from ARGV[1] and ARGV[2]; same slot via {qname}
]]
local res = {}
local function put(name, value)
  table.insert(res, name)
  table.insert(res, value)
end
local pending = redis.call("LLEN", KEYS[1])
put(KEYS[1], pending)
put(KEYS[2], redis.call("LLEN", KEYS[2]))
for i = 3, 6 do
  put(KEYS[i], redis.call("ZCARD", KEYS[i]))
end
for i = 7, 10 do
  put(KEYS[i], redis.call("GET", KEYS[i]) or "0")
end
put(KEYS[11], redis.call("EXISTS", KEYS[11]))
local oldest = 0
if pending > 0 then
  local tail = redis.call("LRANGE", KEYS[1], -1, -1)[1]
  -- a corrupt task key of another type is not a reason to fail the queue's stats
  if redis.call("TYPE", ARGV[1] .. tail)["ok"] == "hash" then
    oldest = redis.call("HGET", ARGV[1] .. tail, "pending_since") or 0
  end
end
put("oldest_pending_since", oldest)
local groups = redis.call("SMEMBERS", KEYS[12])
put("group_size", table.getn(groups))
local aggregating = 0
for _, g in ipairs(groups) do
  aggregating = aggregating + redis.call("ZCARD", ARGV[2] .. g)
end
put("aggregating_count", aggregating)
return res
