--[[
  limitState(semaKey, rateKey, waitingKey, max, interval, burst, window, nowms, nowSec): one limit
  (a concurrency cap, a rate, or both) for deciding several tasks in one script. Reads Redis only
  when a task is first decided under it, and writes the rate and waiting state once, in flush().
    max       most tokens (0: no cap); the cap is Go x/rate's semaphore (semaKey: task ids scored
              by deadline, unix s): a holder whose deadline is at or before nowSec - 1 is expired
              and dropped, as Go's Acquire drops it; pruned only when the cap looks full (one ZCARD
              otherwise), which decides exactly as pruning first would
    interval  ms between starts (0: no rate); GCRA: a task may start when nowms >= tat + interval -
              burst * interval; each start adds interval to tat
    window    the limit's "per" in ms: starts are counted per window (n, and pn for the window
              before) for `asynq limit ls`
  Returns a table with:
    refusal(id, backoff)  nil when the task may start; else delay_ms (>= 1), kind ("concurrency":
                          delay = backoff; "rate": when the next start is due)
    take(id, score)       takes a token (score: the task's deadline, unix s) and a start
    wait(id, until)       records the task as waiting until `until` (ms)
    flush()               adds the tokens taken (one ZADD), writes tat and the window counts (the hash expires once the bucket is
                          full again: tat - now + 2 windows), drops the started tasks from the
                          waiting set (one ZREM, when it exists), trims it and sets its expiry
]]
local function limitState(semaKey, rateKey, waitingKey, max, interval, burst, window, nowms, nowSec)
  local st = {}
  local held, pruned, rate
  local started, tokens = {}, {}
  local waiting = false
  function st.refusal(id, backoff)
    if max > 0 then
      if not held then
        held = redis.call("ZCARD", semaKey)
      end
      if held >= max and not pruned then
        pruned = true
        -- The tokens taken so far in this call first, so that they are counted.
        if #tokens > 0 then
          redis.call("ZADD", semaKey, unpack(tokens))
          tokens = {}
        end
        redis.call("ZREMRANGEBYSCORE", semaKey, "-inf", nowSec - 1)
        held = redis.call("ZCARD", semaKey)
      end
      if held >= max and not redis.call("ZSCORE", semaKey, id) then
        return backoff, "concurrency"
      end
    end
    if interval > 0 then
      if not rate then
        local f = redis.call("HMGET", rateKey, "tat", "ws", "n", "pn")
        rate = {tat = math.max(nowms, tonumber(f[1]) or 0), ws = tonumber(f[2]), n = tonumber(f[3]) or 0, pn = tonumber(f[4]) or 0}
      end
      local due = rate.tat + interval - burst * interval
      if nowms < due then
        return math.max(1, math.ceil(due - nowms)), "rate"
      end
    end
    return nil
  end
  function st.take(id, score)
    if max > 0 then
      -- Counted as a new holder (a task that held a token already, a rare rerun, is counted twice
      -- until the call ends: at worst one task waits a back-off it need not have); added in flush.
      held = held + 1
      tokens[#tokens + 1] = score
      tokens[#tokens + 1] = id
    end
    if interval > 0 then
      rate.tat = rate.tat + interval
    end
    started[#started + 1] = id
  end
  function st.wait(id, untilMs)
    redis.call("ZADD", waitingKey, untilMs, id)
    waiting = true
  end
  function st.flush()
    if #tokens > 0 then
      redis.call("ZADD", semaKey, unpack(tokens))
    end
    if #started > 0 then
      if interval > 0 then
        local ws, n, pn = rate.ws, rate.n, rate.pn
        if not ws or nowms >= ws + 2 * window then
          ws, n, pn = nowms, 0, 0
        elseif nowms >= ws + window then
          ws, pn, n = ws + window, n, 0
        end
        redis.call("HSET", rateKey, "tat", rate.tat, "ws", ws, "n", n + #started, "pn", pn)
        -- Whole ms: an interval such as 1000 / 3 makes tat fractional, and PEXPIRE takes an integer.
        redis.call("PEXPIRE", rateKey, math.ceil(rate.tat - nowms + 2 * window))
      end
      if redis.call("EXISTS", waitingKey) == 1 then
        redis.call("ZREM", waitingKey, unpack(started))
      end
    end
    if waiting then
      redis.call("ZREMRANGEBYSCORE", waitingKey, "-inf", nowms)
      local last = redis.call("ZRANGE", waitingKey, -1, -1, "WITHSCORES")
      if last[2] then
        redis.call("PEXPIRE", waitingKey, math.max(1, math.ceil(tonumber(last[2]) - nowms + 1000)))
      end
    end
  end
  return st
end
