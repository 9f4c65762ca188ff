--[[
  deleteAll: deletes every task of a zset (scheduled, retry, archived or completed), releasing
  the uniqueness locks they hold.                (mirrors asynq internal/rdb/inspect.go deleteAllCmd)

  Input:
    KEYS[1] asynq:{<qname>}:<scheduled|retry|archived|completed>
    ARGV[1] task key prefix asynq:{<qname>}:t:

  Output:
    integer  number of tasks deleted (hashes and the zset deleted)
  NOTE: builds keys from ARGV[1] and each hash's unique_key field; same slot via {qname}
]]
--- @include "includes/releaseUniqueLock"
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local task_key = ARGV[1] .. id
  releaseUniqueLock(redis.call("HGET", task_key, "unique_key"), id)
  redis.call("DEL", task_key)
end
redis.call("DEL", KEYS[1])
return table.getn(ids)
