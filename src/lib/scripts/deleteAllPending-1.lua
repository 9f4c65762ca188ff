--[[
  deleteAllPending: deletes every pending task (uniqueness locks are not released, as Go).
                                                 (mirrors asynq internal/rdb/inspect.go deleteAllPendingCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    ARGV[1] task key prefix asynq:{<qname>}:t:

  Output:
    integer  number of tasks deleted (hashes and the list deleted)
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
local ids = redis.call("LRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[1] .. id)
end
redis.call("DEL", KEYS[1])
return table.getn(ids)
