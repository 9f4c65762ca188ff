--[[
  listZSetEntries: one page of a task id zset (ascending score) with each task's message, score
  and result.                                    (mirrors asynq internal/rdb/inspect.go listZSetEntriesCmd)

  Input:
    KEYS[1] asynq:{<qname>}:<scheduled|retry|archived|completed> or asynq:{<qname>}:g:<group>
    ARGV[1] start rank
    ARGV[2] stop rank
    ARGV[3] task key prefix asynq:{<qname>}:t:

  Output:
    flat list of (id, msg, score, result, key type) quintuples: msg and result are nil for a missing
    field, or when the task key is not a hash (key type "none", or another Redis type, on which Go's
    HMGET fails the whole page)
  NOTE: builds keys from ARGV[3]; same slot via {qname}
]]
local res = {}
local pairs_ = redis.call("ZRANGE", KEYS[1], ARGV[1], ARGV[2], "WITHSCORES")
for i = 1, table.getn(pairs_), 2 do
  local fields = {false, false}
  local t = redis.call("TYPE", ARGV[3] .. pairs_[i])["ok"]
  if t == "hash" then
    fields = redis.call("HMGET", ARGV[3] .. pairs_[i], "msg", "result")
  end
  table.insert(res, pairs_[i])
  table.insert(res, fields[1])
  table.insert(res, pairs_[i + 1])
  table.insert(res, fields[2])
  table.insert(res, t)
end
return res
