--[[
  runAllAggregating: moves every task of a group to pending and drops the group.
                                                 (mirrors asynq internal/rdb/inspect.go runAllAggregatingCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>
    KEYS[2] asynq:{<qname>}:pending
    KEYS[3] asynq:{<qname>}:groups
    ARGV[1] task key prefix asynq:{<qname>}:t:
    ARGV[2] group name

  Output:
    integer  number of tasks moved (state pending; group zset deleted, name removed from groups)
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
--- @include "includes/runIds"
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
runIds(ids, KEYS[2], ARGV[1])
redis.call("DEL", KEYS[1])
redis.call("SREM", KEYS[3], ARGV[2])
return table.getn(ids)
