--[[
  limitDefer: sends an active task that a limit did not let start back to wait, its message
  (retried, error_msg …) and the counters untouched, so the attempt counts neither as processed
  nor as failed: to the back of pending (the end dequeued last) when ARGV[2] is 0, else to the
  scheduled set until ARGV[2] (a limit that frees only later).
                                       (asynq-ts only; the effects are those of Go's enqueueCmd
                                        (LPUSH, state pending, pending_since) or scheduleCmd (ZADD,
                                        state scheduled) for a task that was active: Go readers
                                        see a pending or scheduled task, and Go's forwarder moves a
                                        scheduled one back to pending when it is due)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:pending
    KEYS[4] asynq:{<qname>}:scheduled
    KEYS[5] asynq:{<qname>}:t:<task_id>
    ARGV[1] task id
    ARGV[2] process-at, unix seconds (the scheduled score); 0 = back of pending
    ARGV[3] current unix time in nsec (pending_since)

  Output:
    OK         moved
    NOT FOUND  (error reply) id not in active or lease -> TaskNotFoundError
]]
--- @include "includes/removeFromActive"
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
if tonumber(ARGV[2]) == 0 then
  redis.call("LPUSH", KEYS[3], ARGV[1])
  redis.call("HSET", KEYS[5], "state", "pending", "pending_since", ARGV[3])
else
  redis.call("ZADD", KEYS[4], ARGV[2], ARGV[1])
  redis.call("HSET", KEYS[5], "state", "scheduled")
end
return redis.status_reply("OK")
