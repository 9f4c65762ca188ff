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
if redis.call("LREM", KEYS[2], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[3], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "retry")
if tonumber(ARGV[5]) == 1 then
  for i = 5, 6 do
    if redis.call("INCR", KEYS[i]) == 1 then
      redis.call("EXPIREAT", KEYS[i], ARGV[4])
    end
  end
  if tonumber(redis.call("GET", KEYS[7])) == tonumber(ARGV[6]) then
    redis.call("SET", KEYS[7], 1)
    redis.call("SET", KEYS[8], 1)
  else
    redis.call("INCR", KEYS[7])
    redis.call("INCR", KEYS[8])
  end
end
return redis.status_reply("OK")
