--[[
  enqueue: adds a new task to the pending list.       (mirrors asynq internal/rdb/rdb.go enqueueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:pending
    ARGV[1] encoded TaskMessage (protobuf bytes)
    ARGV[2] task id
    ARGV[3] current unix time in nsec
    ARGV[4] wake channel asynq:wake:<qname> (optional; asynq-ts only: idle asynq-ts workers poll
            at once on it; pub/sub, nothing stored)

  Output:
    1  enqueued
    0  task id already exists   -> TaskIdConflictError
]]
--- @include "includes/newTask"
--- @include "includes/wakeWorkers"
if not newTask(KEYS[1], "msg", ARGV[1], "state", "pending", "pending_since", ARGV[3]) then
  return 0
end
redis.call("LPUSH", KEYS[2], ARGV[2])
wakeWorkers(ARGV[4])
return 1
