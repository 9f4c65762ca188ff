--[[
  listLeaseExpired: lists the messages of tasks whose lease expired at or before a cutoff (read-only).
                                                 (mirrors asynq internal/rdb/rdb.go listLeaseExpiredCmd, HEAD)

  Input:
    KEYS[1] asynq:{<qname>}:lease
    ARGV[1] cutoff, unix seconds
    ARGV[2] task key prefix asynq:{<qname>}:t:
    NOTE: builds task keys from ARGV[2]; same slot via {qname}

  Output:
    array of encoded TaskMessages in lease order; ids without a task hash are skipped
]]
local res = {}
local ids = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[1], "BYSCORE")
for _, id in ipairs(ids) do
  local msg = redis.call("HGET", ARGV[2] .. id, "msg")
  if msg then
    table.insert(res, msg)
  end
end
return res
