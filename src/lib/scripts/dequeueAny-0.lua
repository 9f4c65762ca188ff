--[[
  dequeueAny: dequeue-6.lua over several queues in one call: tries the queues in the order given
  and stops at the first one that yields something, exactly as one dequeue-6.lua call per queue in
  that order would (paused and empty queues are skipped and left untouched; a pending id whose
  task key is unusable is moved aside to that queue's corrupt zset, as dequeue-6.lua does, and
  that is the answer).
                                       (asynq-ts only: Go's dequeue calls internal/rdb/rdb.go
                                        dequeueCmd once per queue; the Redis state afterwards is
                                        the same as with dequeue-6.lua per queue)

  Input:
    ARGV[1] lease expiry, unix seconds (now + 30)
    ARGV[2] current unix time in seconds (the corrupt zset score)
    ARGV[3] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[4] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    ARGV[5], ARGV[6], ...  queue key prefix asynq:{<qname>}: of each queue, in the order to try
    NOTE: builds every key from the ARGV prefixes (<prefix>pending, paused, active, lease, corrupt,
          corrupt_reasons, t:<id>)
    NOTE: not for Redis Cluster (the queues' keys live in different slots): RDB.dequeue calls
          dequeue-6.lua once per queue there

  Output:
    {n, id, msg}          index n (1-based) of the queue in ARGV[5..]; its dequeued task
    {n, id, nil, reason}  the oldest pending id of queue n was moved aside (nothing leased)
    nil                   every queue paused or empty
    error reply "WRONGTYPE <key> holds a <type>, not a <type>" when a key of a queue tried holds
    another Redis type (checked first, as dequeue-6.lua does; nothing written: the queues before
    it were paused or empty)
]]
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
for i = 5, #ARGV do
  local prefix = ARGV[i]
  local res = dequeueTask(prefix .. "pending", prefix .. "paused", prefix .. "active", prefix .. "lease",
    prefix .. "corrupt", prefix .. "corrupt_reasons", prefix .. "t:", ARGV[1], ARGV[2], ARGV[3], ARGV[4])
  if res then
    if res["err"] then
      return res
    end
    return {i - 4, res[1], res[2], res[3]}
  end
end
return nil
