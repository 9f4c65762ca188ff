--[[
  moveAside: takes an active task whose message cannot be decoded out of active and lease and
  records it in the corrupt zset with its reason (asynq-ts only; Go has no such state).

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:corrupt
    KEYS[4] asynq:{<qname>}:corrupt_reasons
    KEYS[5] asynq:{<qname>}:t:<task_id>
    ARGV[1] task id
    ARGV[2] reason (the decode error)
    ARGV[3] current unix time in seconds (the corrupt zset score)
    ARGV[4] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[5] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    ARGV[6] task key prefix asynq:{<qname>}:t:
    NOTE: builds task keys from ARGV[6]; same slot via {qname}

  Output:
    1  moved aside (the task hash, if any, has state "corrupt"; its msg is left as it is)
    0  the id is neither active nor leased any more (another worker or recoverer handled it): nothing written
    error reply "WRONGTYPE <key> holds a <type>, not a <type>" before any write when a key of the
    queue holds another Redis type
]]
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
local wrong = keyTypeProblem({{KEYS[1], "list"}, {KEYS[2], "zset"}, {KEYS[3], "zset"}, {KEYS[4], "hash"}})
if wrong then
  return wrong
end
local wasActive = redis.call("LREM", KEYS[1], 0, ARGV[1])
local wasLeased = redis.call("ZREM", KEYS[2], ARGV[1])
if wasActive == 0 and wasLeased == 0 then
  return 0
end
moveAside(ARGV[1], ARGV[2], ARGV[6], KEYS[3], KEYS[4], ARGV[3], ARGV[4], ARGV[5])
return 1
