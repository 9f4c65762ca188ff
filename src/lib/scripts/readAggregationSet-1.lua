--[[
  readAggregationSet: returns the messages of an aggregation set's tasks.       (mirrors asynq internal/rdb/rdb.go readAggregationSetCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>:<set_id>
    ARGV[1] task key prefix asynq:{<qname>}:t:
  NOTE: builds keys from ARGV[1]; same slot via {qname}

  Output:
    array of encoded TaskMessages (protobuf bytes) in ascending score order;
    nil in place of a member whose task hash is missing
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
local msgs = {}
for i, id in ipairs(ids) do
  -- a missing hash gives false, which replies as nil and keeps the array dense
  msgs[i] = redis.call("HGET", ARGV[1] .. id, "msg")
end
return msgs
