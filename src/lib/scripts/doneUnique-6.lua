--[[
  doneUnique: done, then releases the uniqueness lock if this task still owns it.
                                                 (mirrors asynq internal/rdb/rdb.go doneUniqueCmd)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:t:<task_id>
    KEYS[4] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[5] asynq:{<qname>}:processed
    KEYS[6] asynq:{<qname>}:unique:<type>:<md5hex(payload)>
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
--- @include "includes/releaseUniqueLock"
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
if redis.call("DEL", KEYS[3]) == 0 then
  return redis.error_reply("NOT FOUND")
end
countStats({KEYS[4]}, {KEYS[5]}, ARGV[2], ARGV[3])
releaseUniqueLock(KEYS[6], ARGV[1])
return redis.status_reply("OK")
