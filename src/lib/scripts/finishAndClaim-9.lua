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
    NOTE: builds task keys from ARGV[3] and takes the lock keys from ARGV; same slot via {qname}

  Output:
    {finished, claimed, wrongType}
    finished   one entry per task finished, in order: "OK", or the error reply the separate script
               would have given ("NOT FOUND", "INTERNAL", or a Redis error such as WRONGTYPE; the
               steps before it stay applied, as in the separate script); the next task is finished
               all the same
    claimed    3 entries per claimed id, oldest first: id, msg, false (leased as dequeue-6.lua), or
               id, false, reason (moved aside, nothing leased)
    wrongType  false, or "WRONGTYPE <key> holds a <type>, not a <type>": a key the claim uses holds
               another Redis type; checked before the first claim's writes, nothing claimed then
    The claim stops at N tasks, at a paused or empty queue, or once ARGV[9] ids were moved aside.
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
--- @include "includes/releaseUniqueLock"
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
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

local finished = {}
for i = 0, tonumber(ARGV[10]) - 1 do
  local base = 11 + 4 * i
  local ok, res = pcall(finish, ARGV[base], ARGV[base + 1], ARGV[base + 2], ARGV[base + 3])
  if not ok then
    res = type(res) == "table" and res.err or tostring(res)
  end
  finished[#finished + 1] = res
end

local claimed = {}
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
    return {finished, claimed, res["err"]}
  end
  claimed[#claimed + 1] = res[1]
  claimed[#claimed + 1] = res[2]
  claimed[#claimed + 1] = res[3] or false
  if res[2] then
    n = n + 1
  else
    budget = budget - 1
    if budget <= 0 then
      break
    end
  end
end
return {finished, claimed, false}
