--[[
  done: deletes a successfully processed task and counts it.   (mirrors asynq internal/rdb/rdb.go doneCmd)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:t:<task_id>
    KEYS[4] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[5] asynq:{<qname>}:processed
    ARGV[1] task id
    ARGV[2] daily stats expiry, unix seconds (now + 90 days)
    ARGV[3] max int64 (the total wraps to 1 when it equals this, compared as Lua numbers like Go)

  Output:
    OK         done
    NOT FOUND  (error reply) id not in active or lease, or no task hash -> TaskNotFoundError;
               steps before the failing one stay applied (scripts are not transactional)
]]
if redis.call("LREM", KEYS[1], 0, ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZREM", KEYS[2], ARGV[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("DEL", KEYS[3]) == 0 then
  return redis.error_reply("NOT FOUND")
end
if redis.call("INCR", KEYS[4]) == 1 then
  redis.call("EXPIREAT", KEYS[4], ARGV[2])
end
if tonumber(redis.call("GET", KEYS[5])) == tonumber(ARGV[3]) then
  redis.call("SET", KEYS[5], 1)
else
  redis.call("INCR", KEYS[5])
end
return redis.status_reply("OK")
