--[[
  runAll: moves every task of a zset (scheduled, retry or archived) to pending.
                                                 (mirrors asynq internal/rdb/inspect.go runAllCmd)

  Input:
    KEYS[1] asynq:{<qname>}:<scheduled|retry|archived>
    KEYS[2] asynq:{<qname>}:pending
    ARGV[1] task key prefix asynq:{<qname>}:t:

  Output:
    integer  number of tasks moved (LPUSHed in ascending score order, state pending, zset deleted)
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
--- @include "includes/runIds"
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
runIds(ids, KEYS[2], ARGV[1])
redis.call("DEL", KEYS[1])
return table.getn(ids)
