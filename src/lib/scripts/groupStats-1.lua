--[[
  groupStats: every group of a queue with its size.  (mirrors asynq internal/rdb/inspect.go groupStatsCmd)

  Input:
    KEYS[1] asynq:{<qname>}:groups
    ARGV[1] group key prefix asynq:{<qname>}:g:

  Output:
    flat list of (group name, ZCARD of its zset) pairs
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
local res = {}
for _, g in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  table.insert(res, g)
  table.insert(res, redis.call("ZCARD", ARGV[1] .. g))
end
return res
