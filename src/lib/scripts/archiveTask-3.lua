--[[
  archiveTask: moves one task (pending, scheduled, retry, completed or aggregating) to archived.
                                                 (mirrors asynq internal/rdb/inspect.go archiveTaskCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:archived
    KEYS[3] asynq:{<qname>}:groups
    ARGV[1] task id
    ARGV[2] current unix time in seconds (the archived score)
    ARGV[3] cutoff unix seconds (now - 90 days): older archived ids are trimmed
    ARGV[4] max archive size (10000): ids at ranks 0 .. -ARGV[4] are trimmed
    ARGV[5] queue key prefix asynq:{<qname>}:
    ARGV[6] group key prefix asynq:{<qname>}:g:

  Output:
    1  archived (msg unchanged, state archived; trimmed ids' hashes are left behind, as Go)
    0  task not found              -> TaskNotFoundError
   -1  task is already archived    -> FailedPreconditionError
   -2  task is active              -> FailedPreconditionError
    error reply "internal error: ..." when the id is missing from its state's list/zset
  NOTE: builds keys from ARGV[5] and ARGV[6]; same slot via {qname}
]]
--- @include "includes/removeFromState"
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
local fields = redis.call("HMGET", KEYS[1], "state", "group")
local state, group = fields[1], fields[2]
if state == "active" then
  return -2
elseif state == "archived" then
  return -1
end
local err = removeFromState(ARGV[1], state, group, ARGV[5], ARGV[6], KEYS[3], 1)
if err then
  return err
end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[1])
redis.call("HSET", KEYS[1], "state", "archived")
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", ARGV[3])
redis.call("ZREMRANGEBYRANK", KEYS[2], 0, -tonumber(ARGV[4]))
return 1
