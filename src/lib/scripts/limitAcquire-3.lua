--[[
  limitAcquire: decides, for each of a batch of tasks in turn, whether it may start under one
  limit (a concurrency cap, a rate, or both), and takes what a task needs only when every part
  allows it. A batch is the tasks one worker claimed together: one call instead of one per task.
                                       (asynq-ts only; the cap is Go x/rate's semaphore, same
                                        layout and expiry rule as semaphoreAcquire-1.lua)

  Concurrency cap (ARGV[2] > 0): as semaphoreAcquire-1.lua: holders whose deadline (score) is at or
  before now - 1 are dropped; a task may start when it already holds a token or fewer than
  ARGV[2] do; on success ZADD deadline id.
  Rate (ARGV[3] > 0): GCRA over Redis' own clock (TIME, so servers with skewed clocks share one
  rate): tat = max(stored tat, now); a task may start when now >= tat + interval - burst *
  interval, i.e. at most `burst` starts at once and one more every interval after that. Each start
  adds interval to tat; the starts are counted in a window of ARGV[5] ms (n, and pn for the window
  before: what `asynq limit ls` shows as the rate used), and the hash expires once the bucket is
  full again (tat - now + 2 windows).
  Waiting (KEYS[3]): a refused task is added with score now + delay (+ ARGV[7] of grace for the
  forwarder), entries past their score are dropped, and the key expires after its last entry; a
  task that starts is removed from it.

  Input:
    KEYS[1] asynq:sema:<scope>
    KEYS[2] asynq:limit:{asynq:sema:<scope>}:rate
    KEYS[3] asynq:limit:{asynq:sema:<scope>}:waiting
    ARGV[1] current unix time in seconds (the caller's clock, as Go's semaphore uses)
    ARGV[2] max tokens, 0 = no cap
    ARGV[3] emission interval, ms (per / count), 0 = no rate
    ARGV[4] burst (starts allowed at once), >= 1
    ARGV[5] rate window, ms (the limit's "per")
    ARGV[6] delay, ms, given back when the cap is full (the caller's back-off)
    ARGV[7] grace, ms, added to a waiting entry's score
    ARGV[8] 1 = only look (take nothing, record no waiting task): the probe of an idle worker
    ARGV[9], ARGV[10], ... task id, its deadline in unix seconds (the semaphore score); one pair
      per task, decided in this order

  Output:
    a flat list, three entries per task in the order given:
      1, 0, ""            may start (tokens taken unless ARGV[8] = 1)
      0, delay_ms, kind   refused: kind "concurrency" or "rate"; delay_ms is when to try again
]]
local t = redis.call("TIME")
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local max = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local probe = tonumber(ARGV[8]) == 1

local held = 0
if max > 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", tonumber(ARGV[1]) - 1)
  held = redis.call("ZCARD", KEYS[1])
end
local tat = nowms
if interval > 0 then
  local stored = tonumber(redis.call("HGET", KEYS[2], "tat"))
  if stored and stored > tat then tat = stored end
end

local out = {}
local starts = 0
local waiting = false
for i = 9, #ARGV, 2 do
  local id = ARGV[i]
  local delay, kind
  if max > 0 and held >= max and not redis.call("ZSCORE", KEYS[1], id) then
    delay, kind = tonumber(ARGV[6]), "concurrency"
  elseif interval > 0 and nowms < tat + interval - burst * interval then
    delay, kind = tat + interval - burst * interval - nowms, "rate"
  end
  if delay then
    delay = math.max(1, math.ceil(delay))
    if not probe then
      redis.call("ZADD", KEYS[3], nowms + delay + tonumber(ARGV[7]), id)
      waiting = true
    end
    table.insert(out, 0)
    table.insert(out, delay)
    table.insert(out, kind)
  else
    if not probe then
      if max > 0 and redis.call("ZADD", KEYS[1], ARGV[i + 1], id) == 1 then
        held = held + 1
      end
      if interval > 0 then
        tat = tat + interval
        starts = starts + 1
      end
      redis.call("ZREM", KEYS[3], id)
    end
    table.insert(out, 1)
    table.insert(out, 0)
    table.insert(out, "")
  end
end

if starts > 0 then
  local window = tonumber(ARGV[5])
  local f = redis.call("HMGET", KEYS[2], "ws", "n", "pn")
  local ws, n, pn = tonumber(f[1]), tonumber(f[2]) or 0, tonumber(f[3]) or 0
  if not ws or nowms >= ws + 2 * window then
    ws, n, pn = nowms, 0, 0
  elseif nowms >= ws + window then
    ws, pn, n = ws + window, n, 0
  end
  redis.call("HSET", KEYS[2], "tat", tat, "ws", ws, "n", n + starts, "pn", pn)
  redis.call("PEXPIRE", KEYS[2], tat - nowms + 2 * window)
end
if waiting then
  redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", nowms)
  local last = redis.call("ZRANGE", KEYS[3], -1, -1, "WITHSCORES")
  redis.call("PEXPIRE", KEYS[3], math.max(1, tonumber(last[2]) - nowms + 1000))
end
return out
