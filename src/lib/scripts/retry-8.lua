--[[
  retry: moves an active task to the retry set with its updated message; counts it only if it failed.
                                                 (mirrors asynq internal/rdb/rdb.go retryCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:active
    KEYS[3] asynq:{<qname>}:lease
    KEYS[4] asynq:{<qname>}:retry
    KEYS[5] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[6] asynq:{<qname>}:failed:<yyyy-mm-dd>
    KEYS[7] asynq:{<qname>}:processed
    KEYS[8] asynq:{<qname>}:failed
    ARGV[1] task id
    ARGV[2] encoded TaskMessage (retried, error_msg, last_failed_at updated)
    ARGV[3] retry-at, unix seconds (the zset score)
    ARGV[4] daily stats expiry, unix seconds (now + 90 days)
    ARGV[5] is failure: 1 counts processed and failed, 0 counts nothing
    ARGV[6] max int64 (both totals wrap to 1 when processed equals this, compared as Lua numbers like Go)

  Output:
    OK         moved to retry (the uniqueness lock is not touched)
    NOT FOUND  (error reply) id not in active or lease -> TaskNotFoundError
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
if not removeFromActive(KEYS[2], KEYS[3], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "retry")
if tonumber(ARGV[5]) == 1 then
  countStats({KEYS[5], KEYS[6]}, {KEYS[7], KEYS[8]}, ARGV[4], ARGV[6])
end
return redis.status_reply("OK")
