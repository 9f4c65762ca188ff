--[[
  scheduleUnique: takes the uniqueness lock, then adds the task to the scheduled set.
                                                 (mirrors asynq internal/rdb/rdb.go scheduleUniqueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:unique:<type>:<md5hex(payload)>
    KEYS[2] asynq:{<qname>}:t:<task_id>
    KEYS[3] asynq:{<qname>}:scheduled
    ARGV[1] task id
    ARGV[2] uniqueness lock TTL in seconds (integer >= 1)
    ARGV[3] process-at, unix seconds (the zset score)
    ARGV[4] encoded TaskMessage (protobuf bytes)

  Output:
    1  scheduled
    0  task id already exists   -> TaskIdConflictError (the lock just taken stays held, as in Go)
   -1  lock held by another task -> DuplicateTaskError
]]
--- @include "includes/newTask"
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2]) then
  return -1
end
if not newTask(KEYS[2], "msg", ARGV[4], "state", "scheduled", "unique_key", KEYS[1]) then
  return 0
end
redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1])
return 1
