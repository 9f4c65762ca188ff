--[[
  archiveAllAggregating: moves every task of a group to archived and drops the group.
                                                 (mirrors asynq internal/rdb/inspect.go archiveAllAggregatingCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>
    KEYS[2] asynq:{<qname>}:archived
    KEYS[3] asynq:{<qname>}:groups
    ARGV[1] current unix time in seconds (the archived score)
    ARGV[2] cutoff unix seconds (now - 90 days)
    ARGV[3] max archive size (10000)
    ARGV[4] task key prefix asynq:{<qname>}:t:
    ARGV[5] group name

  Output:
    integer  number of tasks archived (group zset deleted, name removed from groups)
  NOTE: builds keys from ARGV[4]; same slot via {qname}
]]
--- @include "includes/archiveIds"
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
archiveIds(ids, KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
redis.call("DEL", KEYS[1])
redis.call("SREM", KEYS[3], ARGV[5])
return table.getn(ids)
