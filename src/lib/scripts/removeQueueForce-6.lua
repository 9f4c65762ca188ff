--[[
  removeQueueForce: removes a queue without active tasks, deleting its pending, scheduled, retry
  and archived tasks.                            (mirrors asynq internal/rdb/inspect.go removeQueueForceCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    KEYS[2] asynq:{<qname>}:active
    KEYS[3] asynq:{<qname>}:scheduled
    KEYS[4] asynq:{<qname>}:retry
    KEYS[5] asynq:{<qname>}:archived
    KEYS[6] asynq:{<qname>}:lease
    ARGV[1] task key prefix asynq:{<qname>}:t:

  Output:
    1  removed (task hashes and KEYS[1..6] deleted; completed, groups, counters and paused stay, as Go)
   -2  the queue has active tasks  -> FailedPreconditionError "cannot remove queue with active tasks"
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
if redis.call("LLEN", KEYS[2]) > 0 then
  return -2
end
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  redis.call("DEL", ARGV[1] .. id)
end
for i = 3, 5 do
  for _, id in ipairs(redis.call("ZRANGE", KEYS[i], 0, -1)) do
    redis.call("DEL", ARGV[1] .. id)
  end
end
redis.call("DEL", KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
return 1
