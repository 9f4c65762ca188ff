--[[
  markAsCompleteUnique: markAsComplete, then releases the uniqueness lock if this task still owns it.
                                                 (mirrors asynq internal/rdb/rdb.go markAsCompleteUniqueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:completed
    KEYS[4] asynq:{<qname>}:t:<task_id>
    KEYS[5] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[6] asynq:{<qname>}:processed
    KEYS[7] asynq:{<qname>}:unique:<type>:<md5hex(payload)>
    ARGV[1] task id
    ARGV[2] daily stats expiry, unix seconds (now + 90 days)
    ARGV[3] completed-task expiry, unix seconds (now + retention; the zset score)
    ARGV[4] encoded TaskMessage with completed_at = now
    ARGV[5] max int64 (the total wraps to 1 when it equals this, compared as Lua numbers like Go)

  Output:
    OK         completed
    NOT FOUND  (error reply) id not in active or lease -> TaskNotFoundError
    INTERNAL   (error reply) id already in the completed set -> InternalError;
               steps before a failing one stay applied (scripts are not transactional)
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
--- @include "includes/releaseUniqueLock"
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
if redis.call("ZADD", KEYS[3], ARGV[3], ARGV[1]) ~= 1 then
  return redis.error_reply("INTERNAL")
end
redis.call("HSET", KEYS[4], "msg", ARGV[4], "state", "completed")
countStats({KEYS[5]}, {KEYS[6]}, ARGV[2], ARGV[5])
releaseUniqueLock(KEYS[7], ARGV[1])
return redis.status_reply("OK")
