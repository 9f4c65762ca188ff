--[[
  recordSchedulerEnqueueEvent: adds one event to an entry's history, capped.       (mirrors asynq internal/rdb/rdb.go recordSchedulerEnqueueEventCmd)

  Input:
    KEYS[1] asynq:scheduler_history:<entry_id>
    ARGV[1] enqueue time (unix s), the score
    ARGV[2] encoded SchedulerEnqueueEvent (protobuf bytes), the member
    ARGV[3] max number of events (1000)

  Output:
    OK  recorded; first everything but the newest ARGV[3]-1 events is trimmed,
        so at most ARGV[3] remain
]]
local max = tonumber(ARGV[3])
redis.call("ZREMRANGEBYRANK", KEYS[1], 0, -max)
redis.call("ZADD", KEYS[1], ARGV[1], ARGV[2])
return redis.status_reply("OK")
