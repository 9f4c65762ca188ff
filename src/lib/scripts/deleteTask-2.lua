--[[
  deleteTask: deletes one task that is not active, releasing its uniqueness lock if it holds it.
                                                 (mirrors asynq internal/rdb/inspect.go deleteTaskCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:groups
    ARGV[1] task id
    ARGV[2] queue key prefix asynq:{<qname>}:
    ARGV[3] group key prefix asynq:{<qname>}:g:

  Output:
    1  deleted (id removed from its list/zset/group, group name dropped when it empties, hash deleted)
    0  task not found              -> TaskNotFoundError
   -1  task is active              -> FailedPreconditionError
    error reply "internal error: ..." when the id is missing from its state's list/zset
  NOTE: builds keys from ARGV[2], ARGV[3] and the hash's unique_key field; same slot via {qname}
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local fields = redis.call("HMGET", KEYS[1], "state", "group", "unique_key")
local state, group, unique_key = fields[1], fields[2], fields[3]
if state == "active" then
  return -1
elseif state == "pending" then
  local lkey = ARGV[2] .. state
  if redis.call("LREM", lkey, 0, ARGV[1]) == 0 then
    return redis.error_reply("internal error: task id not found in list " .. lkey)
  end
elseif state == "aggregating" then
  local gkey = ARGV[3] .. tostring(group)
  if redis.call("ZREM", gkey, ARGV[1]) == 0 then
    return redis.error_reply("internal error: task id not found in zset " .. gkey)
  end
  if redis.call("ZCARD", gkey) == 0 then
    redis.call("SREM", KEYS[2], group)
  end
else
  local zkey = ARGV[2] .. tostring(state)
  if redis.call("ZREM", zkey, ARGV[1]) == 0 then
    return redis.error_reply("internal error: task id not found in zset " .. zkey)
  end
end
if unique_key and unique_key ~= "" and redis.call("GET", unique_key) == ARGV[1] then
  redis.call("DEL", unique_key)
end
return redis.call("DEL", KEYS[1])
