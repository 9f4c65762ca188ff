--[[
  dequeue: moves the oldest pending task to active and leases it, unless the queue is paused.
                                                 (mirrors asynq internal/rdb/rdb.go dequeueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    KEYS[2] asynq:{<qname>}:paused
    KEYS[3] asynq:{<qname>}:active
    KEYS[4] asynq:{<qname>}:lease
    ARGV[1] lease expiry, unix seconds (now + 30)
    ARGV[2] task key prefix asynq:{<qname>}:t:
    NOTE: builds task keys from ARGV[2]; same slot via {qname}

  Output:
    <bytes>  encoded TaskMessage of the dequeued task
    nil      queue paused or empty (or the popped id has no hash; it stays in active and lease, as in Go)
]]
--- @include "includes/dequeueTask"
return dequeueTask(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[2], ARGV[1])
