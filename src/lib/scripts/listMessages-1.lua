--[[
  listMessages: one page of a task id list with each task's message and result.
                                                 (mirrors asynq internal/rdb/inspect.go listMessagesCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending or asynq:{<qname>}:active
    ARGV[1] start index (negative: counted from the tail)
    ARGV[2] stop index (negative: counted from the tail)
    ARGV[3] task key prefix asynq:{<qname>}:t:

  Output:
    flat list of (msg, result) pairs in list order; nil for a missing field or hash
  NOTE: builds keys from ARGV[3]; same slot via {qname}
]]
local res = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], ARGV[1], ARGV[2])) do
  local fields = redis.call("HMGET", ARGV[3] .. id, "msg", "result")
  table.insert(res, fields[1])
  table.insert(res, fields[2])
end
return res
