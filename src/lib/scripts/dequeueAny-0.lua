--[[
  dequeueAny: dequeue-4.lua over several queues in one call: tries the queues in the order given
  and dequeues from the first one that yields a task, exactly as one dequeue call per queue in
  that order would (paused and empty queues are skipped and left untouched).
                                       (asynq-ts only: Go's dequeue calls internal/rdb/rdb.go
                                        dequeueCmd once per queue; the Redis state afterwards is
                                        the same)

  Input:
    ARGV[1] lease expiry, unix seconds (now + 30)
    ARGV[2], ARGV[3], ...  queue key prefix asynq:{<qname>}: of each queue, in the order to try
    NOTE: builds every key from the ARGV prefixes (<prefix>pending, paused, active, lease, t:<id>)
    NOTE: not for Redis Cluster (the queues' keys live in different slots): RDB.dequeue calls
          dequeue-4.lua once per queue there

  Output:
    {n, <bytes>}  index n (1-based) of the queue in ARGV[2..] and the encoded TaskMessage
    nil           every queue paused or empty (a popped id without hash stays in active and lease,
                  as in Go, and the next queue is tried)
]]
--- @include "includes/dequeueTask"
for i = 2, #ARGV do
  local prefix = ARGV[i]
  local msg = dequeueTask(prefix .. "pending", prefix .. "paused", prefix .. "active", prefix .. "lease", prefix .. "t:", ARGV[1])
  if msg then
    return {i - 1, msg}
  end
end
return nil
