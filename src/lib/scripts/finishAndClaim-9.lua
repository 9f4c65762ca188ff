--[[
  finishAndClaim: finishes several successfully processed tasks of one queue, each exactly as
  done-5.lua / doneUnique-6.lua (no completed msg) or markAsComplete-6.lua /
  markAsCompleteUnique-7.lua (with one) would, in order, then claims up to N tasks of the queue,
  each exactly as one dequeue-6.lua call would (a pending id whose task key is unusable is moved
  aside to the corrupt zset instead, and the claim goes on).
                                       (asynq-ts only: Go calls internal/rdb/rdb.go doneCmd or
                                        markAsCompleteCmd once per task and dequeueCmd once per
                                        task; the Redis state afterwards is the same. Every key is
                                        the queue's, so it runs on Redis Cluster)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[4] asynq:{<qname>}:processed
    KEYS[5] asynq:{<qname>}:completed
    KEYS[6] asynq:{<qname>}:pending
    KEYS[7] asynq:{<qname>}:paused
    KEYS[8] asynq:{<qname>}:corrupt
    KEYS[9] asynq:{<qname>}:corrupt_reasons
    ARGV[1] daily stats expiry, unix seconds (now + 90 days)
    ARGV[2] max int64 (the total wraps to 1 when it equals this, compared as Lua numbers like Go)
    ARGV[3] task key prefix asynq:{<qname>}:t:
    ARGV[4] lease expiry of the claimed tasks, unix seconds (now + 30)
    ARGV[5] current unix time in seconds (the corrupt zset score)
    ARGV[6] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[7] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    ARGV[8] N: most tasks to claim (0: finish only)
    ARGV[9] most pending ids to move aside while claiming
    ARGV[10] F: number of tasks to finish; then 4 arguments per task:
    ARGV[11+4i] task id
    ARGV[12+4i] completed-task expiry, unix seconds (now + retention; the zset score), or "" (done)
    ARGV[13+4i] encoded TaskMessage with completed_at = now (markAsComplete), or "" (done: deleted)
    ARGV[14+4i] its uniqueness lock asynq:{<qname>}:unique:<type>:<md5hex(payload)>, or "" (none)
    then, optionally (not on Redis Cluster: the limit keys live in other slots), the limits the
    claimed tasks are decided under (asynq-ts ServerOptions.limits, as limitAcquire-3.lua decides
    them, in the same call instead of one more round trip after the claim):
    ARGV[p] L: number of limits (absent or 0: none), p = 11 + 4F
    ARGV[p+1] current unix time in ms (a task sent to scheduled waits until ceil((this + delay) /
              1000); with "000000" appended, the pending_since in ns of a task a limit sends back)
    ARGV[p+2] default timeout, seconds (a task's deadline when its message has neither)
    then three arguments per limit (few arguments: each one costs the caller and Redis on every
    call):
      the limit itself, one string (the same on every call): "<max> <interval> <burst> <window>
        <grace> <n> <sema key><pattern>": max tokens (0: no cap), emission interval ms (0: no
        rate), burst, rate window ms, the grace ms added to a waiting entry, then n, the length in
        bytes of the sema key asynq:sema:<scope> that follows, and the type pattern (a Lua pattern,
        "" = every type of the queue) after it. The rate and waiting keys are
        asynq:limit:{<sema key>}:rate and asynq:limit:{<sema key>}:waiting (keys.ts)
      the cap's back-off, ms
      which finished tasks give back their token of this limit (ZREM, before the claim): one
        character per finished task in order, "1" gives it back (shorter: the rest do not)
    NOTE: builds task keys from ARGV[3] and takes the lock keys from ARGV; same slot via {qname}

  Output:
    {finished, claimed, wrongType, decisions}
    finished   one entry per task finished, in order: "OK", or the error reply the separate script
               would have given ("NOT FOUND", "INTERNAL", or a Redis error such as WRONGTYPE; the
               steps before it stay applied, as in the separate script); the next task is finished
               all the same
    claimed    3 entries per claimed id, oldest first: id, msg, false (leased as dequeue-6.lua), or
               id, false, reason (moved aside, nothing leased)
    wrongType  false, or "WRONGTYPE <key> holds a <type>, not a <type>": a key the claim uses holds
               another Redis type; checked before the first claim's writes, nothing claimed then
    decisions  (only with limits) 5 entries per claimed task not started, in the order claimed:
               id, 0, the refusing limit's 1-based index, delay_ms, kind ("concurrency" or
               "rate"): not in `claimed`; it went back to wait exactly as limitDefer-5.lua sends an
               active task (the back of pending, state pending, pending_since; or scheduled at
               ceil((now + delay) / 1000) when the delay exceeds the limit's grace and the scheduled
               key is a zset or absent) and is recorded
               in the waiting set; or id, 2, "", 0, "": a message that does not parse
               (messageType, messageFields), in `claimed`, nothing taken; or id, 3, the limit's index, 0, the
               Redis error reading or writing its keys (a key of another type): not started, put
               back at the end dequeued next (pending since now), the claim ends there. Every other
               leased task in `claimed` started under every limit its type matches, a token of each
               cap taken
    The claim stops at N tasks (refused ones count), at a paused or empty queue, once ARGV[9] ids
    were moved aside, at a refusal by a limit of the whole queue, or when a task refused in this
    call comes round again (it is put back where it was, undecided).
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
--- @include "includes/releaseUniqueLock"
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
--- @include "includes/messageType"
--- @include "includes/messageFields"
--- @include "includes/limitState"
local function finish(id, score, msg, lock)
  if not removeFromActive(KEYS[1], KEYS[2], id) then
    return "NOT FOUND"
  end
  local taskKey = ARGV[3] .. id
  if msg ~= "" then
    if redis.call("ZADD", KEYS[5], score, id) ~= 1 then
      return "INTERNAL"
    end
    redis.call("HSET", taskKey, "msg", msg, "state", "completed")
  elseif redis.call("DEL", taskKey) == 0 then
    return "NOT FOUND"
  end
  countStats({KEYS[3]}, {KEYS[4]}, ARGV[1], ARGV[2])
  releaseUniqueLock(lock, id)
  return "OK"
end

-- The limits (after the F tasks' arguments), read before any write: a malformed one is refused
-- with nothing done.
local limits = {}
local p = 11 + 4 * tonumber(ARGV[10])
local nowNs, callerMs, defaultTimeout, nowms
local giveBack = {}
if tonumber(ARGV[p] or 0) > 0 then
  local count = tonumber(ARGV[p])
  callerMs, nowNs, defaultTimeout = tonumber(ARGV[p + 1]), ARGV[p + 1] .. "000000", tonumber(ARGV[p + 2])
  p = p + 3
  for j = 1, count do
    local max, interval, burst, window, grace, n, rest = string.match(ARGV[p] or "", "^(%S+) (%S+) (%S+) (%S+) (%S+) (%d+) (.*)$")
    if not max then
      return redis.error_reply("ERR finishAndClaim: limit " .. j .. " is not \"<max> <interval> <burst> <window> <grace> <n> <key><pattern>\"")
    end
    local sema = string.sub(rest, 1, tonumber(n))
    limits[j] = {
      sema = sema, max = tonumber(max), interval = tonumber(interval), burst = tonumber(burst), window = tonumber(window),
      backoff = tonumber(ARGV[p + 1]), grace = tonumber(grace), pattern = string.sub(rest, tonumber(n) + 1), cap = tonumber(max) > 0,
    }
    local flags, back = ARGV[p + 2] or "", {}
    for i = 1, math.min(#flags, tonumber(ARGV[10])) do
      if string.byte(flags, i) == 49 then
        back[#back + 1] = ARGV[7 + 4 * i]
      end
    end
    giveBack[j] = back
    p = p + 3
  end
end

local finished = {}
for i = 0, tonumber(ARGV[10]) - 1 do
  local base = 11 + 4 * i
  local ok, res = pcall(finish, ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3])
  if not ok then
    res = type(res) == "table" and res.err or tostring(res)
  end
  finished[#finished + 1] = res
end

-- The limits' state, and the tokens the finished tasks give back.
if #limits > 0 then
  local t = redis.call("TIME")
  nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  for j, lim in ipairs(limits) do
    lim.st = limitState(lim.sema, "asynq:limit:{" .. lim.sema .. "}:rate", "asynq:limit:{" .. lim.sema .. "}:waiting", lim.max, lim.interval,
      lim.burst, lim.window, nowms, tonumber(ARGV[5]))
    if #giveBack[j] > 0 then
      -- pcall: a sema key of another type holds no token to give back (the claim reports it).
      redis.pcall("ZREM", lim.sema, unpack(giveBack[j]))
    end
  end
end

local claimed = {}
local decisions = {}
local function finishClaim(wrongType)
  for _, lim in ipairs(limits) do
    -- pcall: only a waiting key of another type can fail here (the others were read while
    -- deciding); the decisions stand without that record.
    pcall(lim.st.flush)
  end
  return {finished, claimed, wrongType, decisions}
end

-- A leased task under the limits: started (its tokens taken) or sent back to wait. Returns whether
-- it started and whether the claim goes on.
local refusedHere = {}
local matchedLimits = {}
local function decided(id, code, info, delay, kind)
  decisions[#decisions + 1] = id
  decisions[#decisions + 1] = code
  decisions[#decisions + 1] = info
  decisions[#decisions + 1] = delay
  decisions[#decisions + 1] = kind
end
-- Puts a claimed task back where it was (the end dequeued next), pending since now.
local function unclaim(id)
  removeFromActive(KEYS[1], KEYS[2], id)
  redis.call("RPUSH", KEYS[6], id)
  redis.call("HSET", ARGV[3] .. id, "state", "pending", "pending_since", nowNs)
end
-- The limits the type matches, in order: the first that refuses (recorded in its waiting set) and
-- its delay and kind, or nil when every one lets it start (matchedLimits[1 .. matched] then).
-- `checking` is the limit being read (a Redis error there, such as a key of another type, is
-- reported against it).
local checking, matched, capMatched = 0, 0, false
local function check(id, mtype)
  matched, capMatched = 0, false
  for j = 1, #limits do
    local lim = limits[j]
    if lim.pattern == "" or string.find(mtype, lim.pattern) then
      checking = j
      local delay, kind = lim.st.refusal(id, lim.backoff)
      if delay then
        lim.st.wait(id, nowms + delay + lim.grace)
        return j, delay, kind
      end
      matched = matched + 1
      matchedLimits[matched] = lim
      capMatched = capMatched or lim.cap
    end
  end
  return nil
end
-- A message that cannot be read here: claimed, nothing taken, decided by the caller.
local function undecided(id)
  decided(id, 2, "", 0, "")
  return true, true
end
local function decide(id, msg)
  -- The type at once when the message begins with it; the whole message is read only when the
  -- type is elsewhere or a cap needs the task's deadline (below).
  local mtype, timeout, deadline = messageType(msg)
  if not mtype then
    mtype, timeout, deadline = messageFields(msg)
    if not mtype then
      return undecided(id)
    end
  end
  if refusedHere[id] then
    -- Round again: put back as it was (pending since this call's refusal).
    unclaim(id)
    return false, false
  end
  local ok, j, delay, kind = pcall(check, id, mtype)
  if not ok then
    -- A limit's key could not be read or written: not started, put back, the claim ends.
    unclaim(id)
    decided(id, 3, checking, 0, type(j) == "table" and j.err or tostring(j))
    return false, false
  end
  if j then
    local lim = limits[j]
    local taskKey = ARGV[3] .. id
    removeFromActive(KEYS[1], KEYS[2], id)
    if delay > lim.grace and type(redis.pcall("ZADD", string.sub(ARGV[3], 1, -3) .. "scheduled", math.ceil((callerMs + delay) / 1000), id)) == "number" then
      redis.call("HSET", taskKey, "state", "scheduled")
    else
      -- Back of pending (also when the scheduled key holds another type).
      redis.call("LPUSH", KEYS[6], id)
      redis.call("HSET", taskKey, "state", "pending", "pending_since", nowNs)
    end
    refusedHere[id] = true
    decided(id, 0, j, delay, kind)
    return false, lim.pattern ~= ""
  end
  if matched == 0 then
    return true, true
  end
  -- Every matching limit lets it start: the semaphore score is the task's deadline (the
  -- processor's computeDeadline, in unix seconds).
  if not timeout then
    if capMatched then
      local t
      t, timeout, deadline = messageFields(msg)
      if not t then
        return undecided(id)
      end
    else
      -- No token to score: the deadline is not needed.
      timeout, deadline = 0, 0
    end
  end
  local now = tonumber(ARGV[5])
  local score = now + defaultTimeout
  if timeout ~= 0 and deadline ~= 0 then
    score = math.min(now + timeout, deadline)
  elseif timeout ~= 0 then
    score = now + timeout
  elseif deadline ~= 0 then
    score = deadline
  end
  for j = 1, matched do
    matchedLimits[j].st.take(id, score)
  end
  return true, true
end

local want = tonumber(ARGV[8])
local budget = tonumber(ARGV[9])
local checked = {}
local n = 0
while n < want do
  local res = dequeueTask(KEYS[6], KEYS[7], KEYS[1], KEYS[2], KEYS[8], KEYS[9], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], checked)
  if not res then
    break
  end
  if res["err"] then
    return finishClaim(res["err"])
  end
  local started, goOn = true, true
  if res[2] and #limits > 0 then
    started, goOn = decide(res[1], res[2])
  end
  if started then
    claimed[#claimed + 1] = res[1]
    claimed[#claimed + 1] = res[2]
    claimed[#claimed + 1] = res[3] or false
  end
  if res[2] then
    n = n + 1
  else
    budget = budget - 1
    if budget <= 0 then
      break
    end
  end
  if not goOn then
    break
  end
end
return finishClaim(false)
