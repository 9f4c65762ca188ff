--[[
  listServerKeys: live members of a heartbeat zset, dropping expired ones (lazy expiry).
                                                 (mirrors asynq internal/rdb/inspect.go listServerKeysCmd;
                                                   Go's listWorkersCmd and listSchedulerKeysCmd are the
                                                   same script, so this one serves all three)

  Input:
    KEYS[1] asynq:servers, asynq:workers or asynq:schedulers (score = expiry in unix seconds)
    ARGV[1] current unix time in seconds

  Output:
    list of members with score >= ARGV[1]; members with score < ARGV[1] are removed
]]
local now = tonumber(ARGV[1])
local live = redis.call("ZRANGEBYSCORE", KEYS[1], now, "+inf")
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", "(" .. now)
return live
