--[[
  reclaimStateAggregationSets: merges aggregation sets past their deadline back into their groups.       (mirrors asynq internal/rdb/rdb.go reclaimStateAggregationSetsCmd; "State" is Go's spelling)

  Input:
    KEYS[1] asynq:{<qname>}:aggregation_sets
    ARGV[1] current time (unix s)
  NOTE: builds keys from the members of KEYS[1] (set key, and group key = set key minus its
        last ":<set_id>"); same slot via {qname}

  Output:
    OK  reclaimed; members keep their scores; the group is NOT added back to asynq:{<qname>}:groups
]]
local stale = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, setKey in ipairs(stale) do
  local groupKey = string.match(setKey, "^(.*):[^:]*$")
  local flat = redis.call("ZRANGE", setKey, 0, -1, "WITHSCORES")
  for i = 1, #flat, 2 do
    redis.call("ZADD", groupKey, flat[i + 1], flat[i])
  end
  redis.call("DEL", setKey)
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
return redis.status_reply("OK")
