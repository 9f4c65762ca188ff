--[[
  forward: moves up to 100 due tasks of a scheduled or retry set to pending, or back into their
  group when the task hash has a group field (without SADD to groups, as in Go).
                                                 (mirrors asynq internal/rdb/rdb.go forwardCmd)

  Input:
    KEYS[1] asynq:{<qname>}:scheduled or asynq:{<qname>}:retry
    KEYS[2] asynq:{<qname>}:pending
    ARGV[1] current unix time in seconds (due limit, and the group zset score)
    ARGV[2] task key prefix asynq:{<qname>}:t:
    ARGV[3] current unix time in nsec (pending_since)
    ARGV[4] group key prefix asynq:{<qname>}:g:
    NOTE: builds task and group keys from ARGV[2] and ARGV[4]; same slot via {qname}

  Output:
    n  number of tasks moved (0..100; the caller repeats until 0)
]]
local ids = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[1], "BYSCORE", "LIMIT", 0, 100)
for _, id in ipairs(ids) do
  local taskKey = ARGV[2] .. id
  local group = redis.call("HGET", taskKey, "group")
  redis.call("ZREM", KEYS[1], id)
  if group and group ~= "" then
    redis.call("ZADD", ARGV[4] .. group, ARGV[1], id)
    redis.call("HSET", taskKey, "state", "aggregating")
  else
    redis.call("LPUSH", KEYS[2], id)
    redis.call("HSET", taskKey, "state", "pending", "pending_since", ARGV[3])
  end
end
return #ids
