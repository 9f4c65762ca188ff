--[[
  requeue: puts an active task back at the tail of pending (next to dequeue); no stats, no pending_since.
                                                 (mirrors asynq internal/rdb/rdb.go requeueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:pending
    KEYS[4] asynq:{<qname>}:t:<task_id>
    ARGV[1] task id

  Output:
    OK         requeued
    NOT FOUND  (error reply) id not in active or lease -> TaskNotFoundError
]]
--- @include "includes/removeFromActive"
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
redis.call("RPUSH", KEYS[3], ARGV[1])
redis.call("HSET", KEYS[4], "state", "pending")
return redis.status_reply("OK")
