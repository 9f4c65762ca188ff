--[[
  readAggregationSet: returns the messages of an aggregation set's tasks (read-only).
                                                 (mirrors asynq internal/rdb/rdb.go readAggregationSetCmd)

  Input:
    KEYS[1] asynq:{<qname>}:g:<group>:<set_id>
    ARGV[1] task key prefix asynq:{<qname>}:t:
  NOTE: builds keys from ARGV[1]; same slot via {qname}

  Output:
    flat list of (id, msg, problem) triples in ascending score order: msg is the encoded
    TaskMessage, or nil when the task key is unusable, and problem then says why (another Redis
    type, no msg field; Go fails the whole read on such a key). A member whose task hash is gone
    is left out (as Go, whose HGET gives nil for it).
]]
--- @include "includes/taskKeyProblem"
local res = {}
local ids = redis.call("ZRANGE", KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local taskKey = ARGV[1] .. id
  if redis.call("EXISTS", taskKey) == 1 then
    local problem = taskKeyProblem(taskKey)
    table.insert(res, id)
    if problem then
      table.insert(res, false)
      table.insert(res, problem)
    else
      table.insert(res, redis.call("HGET", taskKey, "msg"))
      table.insert(res, false)
    end
  end
end
return res
