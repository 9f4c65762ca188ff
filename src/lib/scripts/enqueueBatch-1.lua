--[[
  enqueueBatch: adds new tasks of one queue to its pending list, in order, each exactly as
  enqueue-2.lua does.          (asynq-ts only: Go's BatchEnqueue pipelines internal/rdb/rdb.go
                                enqueueCmd once per task; the Redis state afterwards is the same,
                                and one call covers up to 100 tasks, atomically)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    ARGV[1] task key prefix asynq:{<qname>}:t:
    ARGV[2] current unix time in nsec (pending_since of every task)
    ARGV[3] wake channel asynq:wake:<qname> (asynq-ts only: idle asynq-ts workers poll at once on
            it; pub/sub, nothing stored), published once when a task was added
    ARGV[4], ARGV[5], ...  task id, encoded TaskMessage (protobuf bytes), for each task
    NOTE: builds task keys from ARGV[1]; same slot via {qname}

  Output:
    array of one code per task, in order:
    1  enqueued
    0  task id already exists (nothing written for it; BatchEnqueue reports it as success, as Go)
]]
--- @include "includes/newTask"
--- @include "includes/wakeWorkers"
local res = {}
local added = false
for i = 4, #ARGV, 2 do
  if newTask(ARGV[1] .. ARGV[i], "msg", ARGV[i + 1], "state", "pending", "pending_since", ARGV[2]) then
    redis.call("LPUSH", KEYS[1], ARGV[i])
    res[#res + 1] = 1
    added = true
  else
    res[#res + 1] = 0
  end
end
if added then
  wakeWorkers(ARGV[3])
end
return res
