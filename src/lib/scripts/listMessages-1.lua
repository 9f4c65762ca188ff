--[[
  listMessages: one page of a task id list with each task's message and result.
                                                 (mirrors asynq internal/rdb/inspect.go listMessagesCmd)

  Input:
    KEYS[1] asynq:{<qname>}:pending or asynq:{<qname>}:active
    ARGV[1] start index (negative: counted from the tail)
    ARGV[2] stop index (negative: counted from the tail)
    ARGV[3] task key prefix asynq:{<qname>}:t:

  Output:
    flat list of (id, msg, result, key type) quadruples in list order: msg and result are nil for a
    missing field, or when the task key is not a hash (key type "none", or another Redis type, on
    which Go's HMGET fails the whole page)
  NOTE: builds keys from ARGV[3]; same slot via {qname}
]]
local res = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], ARGV[1], ARGV[2])) do
  local fields = {false, false}
  local t = redis.call("TYPE", ARGV[3] .. id)["ok"]
  if t == "hash" then
    fields = redis.call("HMGET", ARGV[3] .. id, "msg", "result")
  end
  table.insert(res, id)
  table.insert(res, fields[1])
  table.insert(res, fields[2])
  table.insert(res, t)
end
return res
