--[[
  addToGroupUnique: takes the uniqueness lock, then adds the task to a group.
                                                 (mirrors asynq internal/rdb/rdb.go addToGroupUniqueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:g:<group>
    KEYS[3] asynq:{<qname>}:groups
    KEYS[4] asynq:{<qname>}:unique:<type>:<md5hex(payload)>
    ARGV[1] encoded TaskMessage (protobuf bytes)
    ARGV[2] task id
    ARGV[3] current unix time in seconds (the group zset score)
    ARGV[4] group name
    ARGV[5] uniqueness lock TTL in seconds (integer >= 1)

  Output:
    1  added (like Go, the hash gets no unique_key field)
    0  task id already exists   -> TaskIdConflictError (the lock just taken stays held, as in Go)
   -1  lock held by another task -> DuplicateTaskError
]]
--- @include "includes/newTask"
if not redis.call("SET", KEYS[4], ARGV[2], "NX", "EX", ARGV[5]) then
  return -1
end
if not newTask(KEYS[1], "msg", ARGV[1], "state", "aggregating", "group", ARGV[4]) then
  return 0
end
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[2])
redis.call("SADD", KEYS[3], ARGV[4])
return 1
