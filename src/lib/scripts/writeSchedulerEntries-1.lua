--[[
  writeSchedulerEntries: replaces one scheduler's entry list.       (mirrors asynq internal/rdb/rdb.go writeSchedulerEntriesCmd)

  Input:
    KEYS[1] asynq:schedulers:{<scheduler_id>}
    ARGV[1] TTL in seconds (integer)
    ARGV[2..] encoded SchedulerEntry values (protobuf bytes), LPUSHed in this order,
              so the list holds them reversed (as Go)

  Output:
    OK  written (with no entries the key is left absent)
]]
redis.call("DEL", KEYS[1])
for i = 2, #ARGV do
  redis.call("LPUSH", KEYS[1], ARGV[i])
end
-- EXPIRE of an absent key is a no-op
redis.call("EXPIRE", KEYS[1], ARGV[1])
return redis.status_reply("OK")
