--[[
  addToGroup: adds a new task to a group, to be aggregated.  (mirrors asynq internal/rdb/rdb.go addToGroupCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:g:<group>
    KEYS[3] asynq:{<qname>}:groups
    ARGV[1] encoded TaskMessage (protobuf bytes)
    ARGV[2] task id
    ARGV[3] current unix time in seconds (the group zset score)
    ARGV[4] group name

  Output:
    1  added
    0  task id already exists   -> TaskIdConflictError
]]
--- @include "includes/newTask"
if not newTask(KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4]) then
  return 0
end
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
