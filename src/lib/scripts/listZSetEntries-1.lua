--[[
  listZSetEntries: one page of a task id zset (ascending score) with each task's message, score
  and result.                                    (mirrors asynq internal/rdb/inspect.go listZSetEntriesCmd)

  Input:
    KEYS[1] asynq:{<qname>}:<scheduled|retry|archived|completed> or asynq:{<qname>}:g:<group>
    ARGV[1] start rank
    ARGV[2] stop rank
    ARGV[3] task key prefix asynq:{<qname>}:t:

  Output:
    flat list of (msg, score, result) triples; nil for a missing field or hash
  NOTE: builds keys from ARGV[3]; same slot via {qname}
]]
local res = {}
local pairs_ = redis.call("ZRANGE", KEYS[1], ARGV[1], ARGV[2], "WITHSCORES")
for i = 1, table.getn(pairs_), 2 do
  local fields = redis.call("HMGET", ARGV[3] .. pairs_[i], "msg", "result")
  table.insert(res, fields[1])
  table.insert(res, pairs_[i + 1])
  table.insert(res, fields[2])
end
return res
