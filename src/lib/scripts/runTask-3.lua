--[[
  runTask: moves one task (scheduled, retry, archived, completed or aggregating) to the head of
  pending.                                       (mirrors asynq internal/rdb/inspect.go runTaskCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:pending
    KEYS[3] asynq:{<qname>}:groups
    ARGV[1] task id
    ARGV[2] queue key prefix asynq:{<qname>}:
    ARGV[3] group key prefix asynq:{<qname>}:g:

  Output:
    1  moved to pending (state pending, no pending_since, as Go)
    0  task not found              -> TaskNotFoundError
   -1  task is active              -> FailedPreconditionError "task is already running"
   -2  task is pending             -> FailedPreconditionError "task is already in pending state"
    error reply "internal error: ..." when the id is missing from its state's zset
  NOTE: builds keys from ARGV[2] and ARGV[3]; same slot via {qname}
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local fields = redis.call("HMGET", KEYS[1], "state", "group")
local state, group = fields[1], fields[2]
if state == "active" then
  return -1
elseif state == "pending" then
  return -2
elseif state == "aggregating" then
  local gkey = ARGV[3] .. tostring(group)
  if redis.call("ZREM", gkey, ARGV[1]) == 0 then
    return redis.error_reply("internal error: task id not found in zset " .. gkey)
  end
  if redis.call("ZCARD", gkey) == 0 then
    redis.call("SREM", KEYS[3], group)
  end
else
  local zkey = ARGV[2] .. tostring(state)
  if redis.call("ZREM", zkey, ARGV[1]) == 0 then
    return redis.error_reply("internal error: task id not found in zset " .. zkey)
  end
end
redis.call("LPUSH", KEYS[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "pending")
return 1
