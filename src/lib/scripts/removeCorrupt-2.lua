--[[
  removeCorrupt: drops a queue's corrupt zset and reasons hash (asynq-ts only), with the task hashes
  of the tasks moved aside there (state "corrupt"); a task key of another type is left alone.

  Input:
    KEYS[1] asynq:{<qname>}:corrupt
    KEYS[2] asynq:{<qname>}:corrupt_reasons
    ARGV[1] task key prefix asynq:{<qname>}:t:
    NOTE: builds task keys from ARGV[1]; same slot via {qname}

  Output:
    integer  number of ids that were in the corrupt zset
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  if redis.call("TYPE", key)["ok"] == "hash" and redis.call("HGET", key, "state") == "corrupt" then
    redis.call("DEL", key)
  end
end
redis.call("DEL", KEYS[1], KEYS[2])
return table.getn(ids)
