--[[
  deleteExpiredCompletedTasks: deletes up to a batch of completed tasks whose retention has ended.
                                                 (mirrors asynq internal/rdb/rdb.go deleteExpiredCompletedTasksCmd)

  Input:
    KEYS[1] asynq:{<qname>}:completed
    ARGV[1] current unix time in seconds (tasks scored at or before it are expired)
    ARGV[2] task key prefix asynq:{<qname>}:t:
    ARGV[3] batch size (max tasks deleted by one call)
    NOTE: builds task keys from ARGV[2]; same slot via {qname}

  Output:
    n  number of tasks deleted (the caller repeats until 0)
]]
local ids = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[1], "BYSCORE", "LIMIT", 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[2] .. id)
  redis.call("ZREM", KEYS[1], id)
end
return #ids
