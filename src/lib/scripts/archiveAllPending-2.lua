--[[
  archiveAllPending: moves every pending task to archived.
                                                 (mirrors asynq internal/rdb/inspect.go archiveAllPendingCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending
    KEYS[2] asynq:{<qname>}:archived
    ARGV[1] current unix time in seconds (the archived score)
    ARGV[2] cutoff unix seconds (now - 90 days)
    ARGV[3] max archive size (10000)
    ARGV[4] task key prefix asynq:{<qname>}:t:

  Output:
    integer  number of tasks archived (pending list deleted; archive trimmed, hashes left, as Go)
  NOTE: builds keys from ARGV[4]; same slot via {qname}
]]
--- @include "includes/archiveIds"
local ids = redis.call("LRANGE", KEYS[1], 0, -1)
archiveIds(ids, KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
redis.call("DEL", KEYS[1])
return table.getn(ids)
