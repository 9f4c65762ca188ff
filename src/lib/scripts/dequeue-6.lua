--[[
  dequeue: moves the oldest pending task to active and leases it, unless the queue is paused. A
  pending id whose task key is unusable (no hash, another Redis type, no msg field) is taken out of
  pending and moved aside to the corrupt zset instead, with its reason (asynq-ts only: Go would lease
  it and leave it in active for ever).
                                                 (mirrors asynq internal/rdb/rdb.go dequeueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    KEYS[2] asynq:{<qname>}:paused
    KEYS[3] asynq:{<qname>}:active
    KEYS[4] asynq:{<qname>}:lease
    KEYS[5] asynq:{<qname>}:corrupt
    KEYS[6] asynq:{<qname>}:corrupt_reasons
    ARGV[1] lease expiry, unix seconds (now + 30)
    ARGV[2] task key prefix asynq:{<qname>}:t:
    ARGV[3] current unix time in seconds (the corrupt zset score)
    ARGV[4] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[5] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    NOTE: builds task keys from ARGV[2]; same slot via {qname}

  Output:
    {id, msg}          the dequeued task: its id and encoded TaskMessage
    {id, nil, reason}  the oldest pending id was moved aside (nothing leased)
    nil                queue paused or empty
    error reply "WRONGTYPE <key> holds a <type>, not a <type>" before any write when a key of the
    queue holds another Redis type
]]
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
return dequeueTask(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[2], ARGV[1], ARGV[3], ARGV[4], ARGV[5])
