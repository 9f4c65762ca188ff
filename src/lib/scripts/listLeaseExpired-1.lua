--[[
  listLeaseExpired: lists the tasks whose lease expired at or before a cutoff (read-only).
                                                 (mirrors asynq internal/rdb/rdb.go listLeaseExpiredCmd, HEAD)

  Input:
    KEYS[1] asynq:{<qname>}:lease
    ARGV[1] cutoff, unix seconds
    ARGV[2] task key prefix asynq:{<qname>}:t:
    NOTE: builds task keys from ARGV[2]; same slot via {qname}

  Output:
    flat list of (id, msg, problem) triples in lease order: msg is the encoded TaskMessage, or nil
    when the task key is unusable, and problem then says why (no hash, another Redis type, no msg
    field; Go skips these ids and a key of another type fails its whole listing)
]]
--- @include "includes/taskKeyProblem"
local res = {}
local ids = redis.call("ZRANGE", KEYS[1], "-inf", ARGV[1], "BYSCORE")
for _, id in ipairs(ids) do
  local problem = taskKeyProblem(ARGV[2] .. id)
  table.insert(res, id)
  if problem then
    table.insert(res, false)
    table.insert(res, problem)
  else
    table.insert(res, redis.call("HGET", ARGV[2] .. id, "msg"))
    table.insert(res, false)
  end
end
return res
