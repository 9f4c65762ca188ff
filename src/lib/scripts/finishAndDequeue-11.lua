--[[
  finishAndDequeue: finishes a successfully processed task exactly as done-5.lua / doneUnique-6.lua
  (mode "done") or markAsComplete-6.lua / markAsCompleteUnique-7.lua (mode "complete") do, then,
  if that succeeded, dequeues the next task of the same queue exactly as dequeue-6.lua does
  (a pending id whose task key is unusable is moved aside to the corrupt zset instead).
                                       (asynq-ts only: Go calls internal/rdb/rdb.go doneCmd or
                                        markAsCompleteCmd, then dequeueCmd; the Redis state
                                        afterwards is the same. Every key is the queue's, so it
                                        runs on Redis Cluster)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:lease
    KEYS[3] asynq:{<qname>}:t:<task_id>
    KEYS[4] asynq:{<qname>}:processed:<yyyy-mm-dd>
    KEYS[5] asynq:{<qname>}:processed
    KEYS[6] asynq:{<qname>}:completed
    KEYS[7] asynq:{<qname>}:pending
    KEYS[8] asynq:{<qname>}:paused
    KEYS[9] asynq:{<qname>}:unique:<type>:<md5hex(payload)>, or KEYS[3] again for a task without
            one (ARGV[7] "0": not touched)
    ARGV[1] task id
    ARGV[2] daily stats expiry, unix seconds (now + 90 days)
    ARGV[3] max int64 (the total wraps to 1 when it equals this, compared as Lua numbers like Go)
    ARGV[4] "done" (delete the task) or "complete" (keep it in completed)
    ARGV[5] complete: completed-task expiry, unix seconds (now + retention; the zset score)
    ARGV[6] complete: encoded TaskMessage with completed_at = now
    ARGV[7] "1": release the uniqueness lock KEYS[9] if this task holds it; "0": no lock
    ARGV[8] lease expiry of the next task, unix seconds (now + 30)
    KEYS[10] asynq:{<qname>}:corrupt
    KEYS[11] asynq:{<qname>}:corrupt_reasons
    ARGV[9] task key prefix asynq:{<qname>}:t:
    ARGV[10] current unix time in seconds (the corrupt zset score)
    ARGV[11] cutoff, unix seconds (now - 90 days): corrupt entries scored at or before it are dropped
    ARGV[12] max corrupt entries (10000): ranks 0 .. N-10000 are dropped
    NOTE: builds the next task's key from ARGV[9]; same slot via {qname}

  Output:
    {id, msg}          finished; the next task, now active and leased (as dequeue-6.lua)
    {id, nil, reason}  finished; the oldest pending id was moved aside (nothing leased)
    nil                finished; the queue is paused or empty
    WRONGTYPE  (error reply "WRONGTYPE <key> holds a <type>, not a <type>") a key the dequeue uses
               (pending, active, lease, corrupt, corrupt_reasons) holds another Redis type: checked
               before any write, so nothing is finished either (the caller finishes the task with
               the separate script)
    NOT FOUND  (error reply) id not in active or lease, or (done) no task hash -> TaskNotFoundError;
               nothing dequeued
    INTERNAL   (error reply) (complete) id already in the completed set -> InternalError;
               nothing dequeued; steps before a failing one stay applied, as in the separate scripts
]]
--- @include "includes/removeFromActive"
--- @include "includes/countStats"
--- @include "includes/releaseUniqueLock"
--- @include "includes/keyTypeProblem"
--- @include "includes/moveAside"
--- @include "includes/dequeueTask"
local wrong = keyTypeProblem({{KEYS[7], "list"}, {KEYS[1], "list"}, {KEYS[2], "zset"}, {KEYS[10], "zset"}, {KEYS[11], "hash"}})
if wrong then
  return wrong
end
if not removeFromActive(KEYS[1], KEYS[2], ARGV[1]) then
  return redis.error_reply("NOT FOUND")
end
if ARGV[4] == "complete" then
  if redis.call("ZADD", KEYS[6], ARGV[5], ARGV[1]) ~= 1 then
    return redis.error_reply("INTERNAL")
  end
  redis.call("HSET", KEYS[3], "msg", ARGV[6], "state", "completed")
elseif redis.call("DEL", KEYS[3]) == 0 then
  return redis.error_reply("NOT FOUND")
end
countStats({KEYS[4]}, {KEYS[5]}, ARGV[2], ARGV[3])
if ARGV[7] == "1" then
  releaseUniqueLock(KEYS[9], ARGV[1])
end
return dequeueTask(KEYS[7], KEYS[8], KEYS[1], KEYS[2], KEYS[10], KEYS[11], ARGV[9], ARGV[8], ARGV[10], ARGV[11], ARGV[12])
