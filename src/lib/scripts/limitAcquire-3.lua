--[[
  limitAcquire: decides whether a task may start under one limit (a concurrency cap, a rate, or
  both), and takes what it needs only when every part allows it.
                                       (asynq-ts only; the cap is Go x/rate's semaphore, same
                                        layout and expiry rule as semaphoreAcquire-1.lua)

  Concurrency cap (ARGV[4] > 0): as semaphoreAcquire-1.lua: holders whose deadline (score) is at or
  before now - 1 are dropped; the task may start when it already holds a token or fewer than
  ARGV[4] do; on success ZADD deadline id.
  Rate (ARGV[5] > 0): GCRA over Redis' own clock (TIME, so servers with skewed clocks share one
  rate): tat = max(stored tat, now); the task may start when now >= tat + interval - burst *
  interval, i.e. at most `burst` starts at once and one more every interval after that. On success
  tat += interval, the start is counted in a window of ARGV[7] ms (n, and pn for the window
  before: what `asynq limit ls` shows as the rate used), and the hash expires once the bucket is
  full again (tat - now + 2 windows).
  Waiting (KEYS[3]): a refused task is added with score now + delay (+ ARGV[9] of grace for the
  forwarder), entries past their score are dropped, and the key expires after its last entry; a
  task that starts is removed from it.

  Input:
    KEYS[1] asynq:sema:<scope>
    KEYS[2] asynq:limit:{asynq:sema:<scope>}:rate
    KEYS[3] asynq:limit:{asynq:sema:<scope>}:waiting
    ARGV[1] task id
    ARGV[2] current unix time in seconds (the caller's clock, as Go's semaphore uses)
    ARGV[3] the task's deadline, unix seconds (the semaphore score)
    ARGV[4] max tokens, 0 = no cap
    ARGV[5] emission interval, ms (per / count), 0 = no rate
    ARGV[6] burst (starts allowed at once), >= 1
    ARGV[7] rate window, ms (the limit's "per")
    ARGV[8] delay, ms, given back when the cap is full (the caller's back-off)
    ARGV[9] grace, ms, added to a waiting entry's score
    ARGV[10] 1 = only look (take nothing, record no waiting task): the probe of an idle worker

  Output:
    {1, 0, ""}            may start (tokens taken unless ARGV[10] = 1)
    {0, delay_ms, kind}   refused: kind "concurrency" or "rate"; delay_ms is when to try again
]]
local t = redis.call("TIME")
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ARGV[1]
local max = tonumber(ARGV[4])
local interval = tonumber(ARGV[5])
local probe = tonumber(ARGV[10]) == 1

local function refuse(delay, kind)
  delay = math.max(1, math.ceil(delay))
  if not probe then
    redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", nowms)
    local due = nowms + delay + tonumber(ARGV[9])
    redis.call("ZADD", KEYS[3], due, id)
    local last = redis.call("ZRANGE", KEYS[3], -1, -1, "WITHSCORES")
    redis.call("PEXPIRE", KEYS[3], math.max(1, tonumber(last[2]) - nowms + 1000))
  end
  return {0, delay, kind}
end

if max > 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", tonumber(ARGV[2]) - 1)
  if not redis.call("ZSCORE", KEYS[1], id) and redis.call("ZCARD", KEYS[1]) >= max then
    return refuse(tonumber(ARGV[8]), "concurrency")
  end
end

local tat = nowms
if interval > 0 then
  local stored = tonumber(redis.call("HGET", KEYS[2], "tat"))
  if stored and stored > tat then tat = stored end
  local allowAt = tat + interval - tonumber(ARGV[6]) * interval
  if nowms < allowAt then
    return refuse(allowAt - nowms, "rate")
  end
end

if probe then
  return {1, 0, ""}
end
if max > 0 then
  redis.call("ZADD", KEYS[1], ARGV[3], id)
end
if interval > 0 then
  local window = tonumber(ARGV[7])
  local f = redis.call("HMGET", KEYS[2], "ws", "n")
  local ws, n, pn = tonumber(f[1]), tonumber(f[2]) or 0, 0
  if not ws or nowms >= ws + 2 * window then
    ws, n, pn = nowms, 0, 0
  elseif nowms >= ws + window then
    ws, pn, n = ws + window, n, 0
  else
    pn = tonumber(redis.call("HGET", KEYS[2], "pn")) or 0
  end
  redis.call("HSET", KEYS[2], "tat", tat + interval, "ws", ws, "n", n + 1, "pn", pn)
  redis.call("PEXPIRE", KEYS[2], tat + interval - nowms + 2 * window)
end
redis.call("ZREM", KEYS[3], id)
return {1, 0, ""}
