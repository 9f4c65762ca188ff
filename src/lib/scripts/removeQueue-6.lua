--[[
  removeQueue: removes the task structures of an empty queue.
                                                 (mirrors asynq internal/rdb/inspect.go removeQueueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    KEYS[2] asynq:{<qname>}:active
    KEYS[3] asynq:{<qname>}:scheduled
    KEYS[4] asynq:{<qname>}:retry
    KEYS[5] asynq:{<qname>}:archived
    KEYS[6] asynq:{<qname>}:lease
    ARGV[1] task key prefix asynq:{<qname>}:t: (unused: an empty queue has no task to delete)

  Output:
    1  removed (KEYS[1..6] deleted; completed, groups, counters and paused stay, as Go)
   -1  pending, active, scheduled, retry or archived holds a task -> QueueNotEmptyError
]]
if redis.call("LLEN", KEYS[1]) > 0 or redis.call("LLEN", KEYS[2]) > 0 then
  return -1
end
for i = 3, 5 do
  if redis.call("ZCARD", KEYS[i]) > 0 then
    return -1
  end
end
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
