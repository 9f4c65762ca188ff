--[[
  deleteAllAggregating: deletes every task of a group and drops the group (uniqueness locks are
  not released, as Go).                          (mirrors asynq internal/rdb/inspect.go deleteAllAggregatingCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>
    KEYS[2] asynq:{<qname>}:groups
    ARGV[1] task key prefix asynq:{<qname>}:t:
    ARGV[2] group name

  Output:
    integer  number of tasks deleted (hashes and the group zset deleted, name removed from groups)
  NOTE: builds keys from ARGV[1]; same slot via {qname}
]]
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[1] .. id)
end
redis.call("SREM", KEYS[2], ARGV[2])
redis.call("DEL", KEYS[1])
return table.getn(ids)
