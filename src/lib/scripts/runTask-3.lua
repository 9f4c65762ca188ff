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
--- @include "includes/removeFromState"
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local fields = redis.call("HMGET", KEYS[1], "state", "group")
local state, group = fields[1], fields[2]
if state == "active" then
  return -1
elseif state == "pending" then
  return -2
end
local err = removeFromState(ARGV[1], state, group, ARGV[2], ARGV[3], KEYS[3], 0)
if err then
  return err
end
redis.call("LPUSH", KEYS[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "pending")
return 1
