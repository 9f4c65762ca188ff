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
--- @include "includes/removeFromState"
--- @include "includes/releaseUniqueLock"
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local fields = redis.call("HMGET", KEYS[1], "state", "group", "unique_key")
local state, group, unique_key = fields[1], fields[2], fields[3]
if state == "active" then
  return -1
end
local err = removeFromState(ARGV[1], state, group, ARGV[2], ARGV[3], KEYS[2], 0)
if err then
  return err
end
releaseUniqueLock(unique_key, ARGV[1])
return redis.call("DEL", KEYS[1])
