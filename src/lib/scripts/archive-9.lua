--[[
  archive: moves an active task to the archived set with its updated message, trims the archive by
  age and size (deleting the trimmed tasks' hashes) and counts the task as processed and failed.
                                                 (mirrors asynq internal/rdb/rdb.go archiveCmd, HEAD)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    KEYS[2] asynq:{<qname>}:active
    KEYS[3] asynq:{<qname>}:lease
    KEYS[4] asynq:{<qname>}:archived
    KEYS[5] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[6] asynq:{<qname>}:failed:<yyyy-mm-dd>
    KEYS[7] asynq:{<qname>}:processed
    KEYS[8] asynq:{<qname>}:failed
    KEYS[9] task key prefix asynq:{<qname>}:t:
    ARGV[1] task id
    ARGV[2] encoded TaskMessage (error_msg, last_failed_at updated)
    ARGV[3] current unix time in seconds (the zset score)
    ARGV[4] cutoff, unix seconds (now - 90 days): archived tasks scored at or before it are deleted
    ARGV[5] max archive size (10000): ranks 0 .. N-10000 are deleted, leaving at most 9999
    ARGV[6] daily stats expiry, unix seconds (now + 90 days)
    ARGV[7] max int64 (both totals wrap to 1 when processed equals this, compared as Lua numbers like Go)
    NOTE: builds task keys from KEYS[9] (a prefix, as in Go HEAD); same slot via {qname}

  Output:
    OK         archived (the uniqueness lock is not touched)
    NOT FOUND  (error reply) id not in active or lease -> TaskNotFoundError
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
if not removeFromActive(KEYS[2], KEYS[3], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
redis.call("ZADD", KEYS[4], ARGV[3], ARGV[1])
local function drop(ids)
  for _, id in ipairs(ids) do
    redis.call("DEL", KEYS[9] .. id)
    redis.call("ZREM", KEYS[4], id)
  end
end
drop(redis.call("ZRANGE", KEYS[4], "-inf", ARGV[4], "BYSCORE"))
drop(redis.call("ZRANGE", KEYS[4], 0, -tonumber(ARGV[5])))
redis.call("HSET", KEYS[1], "msg", ARGV[2], "state", "archived")
countStats({KEYS[5], KEYS[6]}, {KEYS[7], KEYS[8]}, ARGV[6], ARGV[7])
return redis.status_reply("OK")
