--[[
  enqueueUnique: takes the uniqueness lock, then adds the task to the pending list.
                                                 (mirrors asynq internal/rdb/rdb.go enqueueUniqueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:unique:<type>:<md5hex(payload)>
    KEYS[2] asynq:{<qname>}:t:<task_id>
    KEYS[3] asynq:{<qname>}:pending
    ARGV[1] task id
    ARGV[2] uniqueness lock TTL in seconds (integer >= 1)
    ARGV[3] encoded TaskMessage (protobuf bytes)
    ARGV[4] current unix time in nsec
    ARGV[5] wake channel asynq:wake:<qname> (optional; asynq-ts only: idle asynq-ts workers poll
            at once on it; pub/sub, nothing stored)

  Output:
    1  enqueued
    0  task id already exists   -> TaskIdConflictError (the lock just taken stays held, as in Go)
   -1  lock held by another task -> DuplicateTaskError
]]
--- @include "includes/newTask"
--- @include "includes/wakeWorkers"
if not redis.call("SET", KEYS[1], ARGV[1], "NX", "EX", ARGV[2]) then
  return -1
end
if not newTask(KEYS[2], "msg", ARGV[3], "state", "pending", "pending_since", ARGV[4], "unique_key", KEYS[1]) then
  return 0
end
redis.call("LPUSH", KEYS[3], ARGV[1])
wakeWorkers(ARGV[5])
return 1
