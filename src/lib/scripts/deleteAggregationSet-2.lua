--[[
  deleteAggregationSet: deletes an aggregation set and its tasks.       (mirrors asynq internal/rdb/rdb.go deleteAggregationSetCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>:<set_id>
    KEYS[2] asynq:{<qname>}:aggregation_sets
    ARGV[1] task key prefix asynq:{<qname>}:t:
  NOTE: builds keys from ARGV[1]; same slot via {qname}

  Output:
    OK  deleted (unique locks of the tasks are not released; they expire by TTL)
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[1] .. id)
end
redis.call("DEL", KEYS[1])
redis.call("ZREM", KEYS[2], KEYS[1])
return redis.status_reply("OK")
