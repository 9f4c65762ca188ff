--[[
  writeServerState: replaces one server's info and its workers hash.       (mirrors asynq internal/rdb/rdb.go writeServerStateCmd)

  Input:
    KEYS[1] asynq:servers:{<host>:<pid>:<server_id>}
    KEYS[2] asynq:workers:{<host>:<pid>:<server_id>}
    ARGV[1] TTL in seconds (integer)
    ARGV[2] encoded ServerInfo (protobuf bytes)
    ARGV[3..] pairs: task id, encoded WorkerInfo (protobuf bytes)

  Output:
    OK  written (with no pairs the workers key is left absent)
]]
redis.call("SETEX", KEYS[1], ARGV[1], ARGV[2])
redis.call("DEL", KEYS[2])
local last = #ARGV - 1
for i = 3, last, 2 do
  redis.call("HSET", KEYS[2], ARGV[i], ARGV[i + 1])
end
-- EXPIRE of an absent key is a no-op
redis.call("EXPIRE", KEYS[2], ARGV[1])
return redis.status_reply("OK")
