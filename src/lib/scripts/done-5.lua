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
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
if redis.call("DEL", KEYS[3]) == 0 then
  return redis.error_reply("NOT FOUND")
end
countStats({KEYS[4]}, {KEYS[5]}, ARGV[2], ARGV[3])
return redis.status_reply("OK")
