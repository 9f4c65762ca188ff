--[[
  dequeueBatch: several dequeueAny-0.lua calls in one: for each pick, tries the queues in the pick's
  order and takes the first task one of them yields, exactly as one dequeue-6.lua call per queue in
  that order would (paused and empty queues are skipped and left untouched; a pending id whose task
  key is unusable is moved aside to that queue's corrupt zset, as dequeue-6.lua does, and the pick
  tries that queue again, moving on to the next queue after ARGV[5] such ids in one queue).
                                       (asynq-ts only: Go's dequeue calls internal/rdb/rdb.go
                                        dequeueCmd once per queue per task; the Redis state
                                        afterwards is the same as with dequeue-6.lua calls in the
                                        picks' orders)

  Input:
    ARGV[1] lease expiry, unix seconds (now + 30)
    ARGV[2] current unix time in seconds (the corrupt zset score)
    ARGV[3] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[4] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    ARGV[5] most pending ids one pick moves aside in one queue before it tries the next queue
    ARGV[6] Q: number of queues; ARGV[7] .. ARGV[6+Q]: queue key prefix asynq:{<qname>}: of each
    ARGV[7+Q], ...  the picks, one per task to claim: the 1-based indices of the queues to try, in
            order, comma-separated ("2,1,3")
    NOTE: builds every key from the ARGV prefixes (<prefix>pending, paused, active, lease, corrupt,
          corrupt_reasons, t:<id>)
    NOTE: not for Redis Cluster (the queues' keys live in different slots): RDB.dequeueBatch uses
          finishAndClaim-9.lua per queue there

  Output:
    {claimed, wrongType}
    claimed    4 entries per claimed or moved-aside id, in the order taken: n (1-based index of the
               queue in ARGV[7..]), id, msg, false (leased as dequeue-6.lua), or n, id, false,
               reason (moved aside, nothing leased); a pick that takes no task (its queues paused or
               empty, or ARGV[5] ids moved aside in its last queue) ends the picks (the later ones
               would find the same)
    wrongType  false, or "WRONGTYPE <key> holds a <type>, not a <type>" for a key of a queue tried
               that holds another Redis type (checked as dequeue-6.lua does, before its writes):
               the picks stop there, the claims before it stay
]]
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
local q = tonumber(ARGV[6])
local limit = tonumber(ARGV[5])
local checked = {}
local claimed = {}
for p = 7 + q, #ARGV do
  local res
  for n in string.gmatch(ARGV[p], "%d+") do
    local i = tonumber(n)
    local prefix = ARGV[6 + i]
    checked[i] = checked[i] or {}
    local aside = 0
    repeat
      res = dequeueTask(prefix .. "pending", prefix .. "paused", prefix .. "active", prefix .. "lease",
        prefix .. "corrupt", prefix .. "corrupt_reasons", prefix .. "t:", ARGV[1], ARGV[2], ARGV[3], ARGV[4], checked[i])
      if res then
        if res["err"] then
          return {claimed, res["err"]}
        end
        claimed[#claimed + 1] = i
        claimed[#claimed + 1] = res[1]
        claimed[#claimed + 1] = res[2]
        claimed[#claimed + 1] = res[3] or false
        if not res[2] then
          aside = aside + 1
        end
      end
    until not res or res[2] or aside >= limit
    if res and res[2] then
      break
    end
  end
  if not (res and res[2]) then
    break
  end
end
return {claimed, false}
