--[[
  limitAcquire: decides, for each of a batch of tasks in turn, whether it may start under one
  limit (a concurrency cap, a rate, or both), and takes what a task needs only when every part
  allows it. A batch is the tasks one worker claimed together: one call instead of one per task.
                                       (asynq-ts only; the cap is Go x/rate's semaphore, same
                                        layout and expiry rule as semaphoreAcquire-1.lua)

  Concurrency cap (ARGV[2] > 0): as semaphoreAcquire-1.lua: holders whose deadline (score) is at or
  before now - 1 are dropped (only when the cap looks full: the same decision with one ZCARD
  otherwise); a task may start when it already holds a token or fewer than ARGV[2] do; on success
  ZADD deadline id.
  Rate (ARGV[3] > 0): GCRA over Redis' own clock (TIME, so servers with skewed clocks share one
  rate): tat = max(stored tat, now); a task may start when now >= tat + interval - burst *
  interval, i.e. at most `burst` starts at once and one more every interval after that. Each start
  adds interval to tat; the starts are counted in a window of ARGV[5] ms (n, and pn for the window
  before: what `asynq limit ls` shows as the rate used), and the hash expires once the bucket is
  full again (tat - now + 2 windows).
  Waiting (KEYS[3]): a refused task is added with score now + delay (+ ARGV[7] of grace for the
  forwarder), entries past their score are dropped, and the key expires after its last entry; the
  tasks that start are removed from it (one ZREM).
  The decisions are includes/limitState.lua's, shared with finishAndClaim-9.lua.

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
--- @include "includes/limitState"
local t = redis.call("TIME")
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local probe = tonumber(ARGV[8]) == 1
local backoff = tonumber(ARGV[6])
local grace = tonumber(ARGV[7])
local st = limitState(KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]),
  nowms, tonumber(ARGV[1]))

local out = {}
for i = 9, #ARGV, 2 do
  local id = ARGV[i]
  local delay, kind = st.refusal(id, backoff)
  if delay then
    if not probe then
      st.wait(id, nowms + delay + grace)
    end
    out[#out + 1] = 0
    out[#out + 1] = delay
    out[#out + 1] = kind
  else
    if not probe then
      st.take(id, ARGV[i + 1])
    end
    out[#out + 1] = 1
    out[#out + 1] = 0
    out[#out + 1] = ""
  end
end
st.flush()
return out
