--[[
  schedule: adds a new task to the scheduled set.     (mirrors asynq internal/rdb/rdb.go scheduleCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:scheduled
    ARGV[1] encoded TaskMessage (protobuf bytes)
    ARGV[2] process-at, unix seconds (the zset score)
    ARGV[3] task id

  Output:
    1  scheduled
    0  task id already exists   -> TaskIdConflictError
]]
--- @include "includes/newTask"
if not newTask(KEYS[1], "msg", ARGV[1], "state", "scheduled") then
  return 0
end
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[3])
return 1
