--[[
  dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, corruptKey, reasonsKey, taskKeyPrefix,
  leaseExpiry, now, cutoff, maxSize): dequeue-6.lua's body, for one queue. Needs keyTypeProblem,
  taskKeyProblem and moveAside included before it. Checks the queue's key types before any write;
  unless the queue is paused, takes the oldest pending id: a usable task key is moved to active,
  its hash marked active (without pending_since) and leased until leaseExpiry; an unusable one (see
  taskKeyProblem) is taken out of pending and moved aside to corruptKey with its reason (moveAside
  with now, cutoff, maxSize), nothing leased. A paused queue returns nil before any type check.
  Returns {id, msg} (leased), {id, false, reason} (moved aside), nil (paused or empty), or the
  WRONGTYPE error reply of keyTypeProblem (a table with an err field; nothing written).
]]
local function dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, corruptKey, reasonsKey, taskKeyPrefix, leaseExpiry, now, cutoff, maxSize)
  if redis.call("EXISTS", pausedKey) == 1 then
    return nil
  end
  -- An idle poll stops here (EXISTS + LINDEX, as Go's EXISTS + RPOPLPUSH); the other keys' types
  -- are checked only once there is a task to move, still before any write.
  local id = redis.pcall("LINDEX", pendingKey, -1)
  if type(id) == "table" and id.err then
    return keyTypeProblem({{pendingKey, "list"}})
  end
  if not id then
    return nil
  end
  local wrong = keyTypeProblem({{activeKey, "list"}, {leaseKey, "zset"}, {corruptKey, "zset"}, {reasonsKey, "hash"}})
  if wrong then
    return wrong
  end
  local taskKey = taskKeyPrefix .. id
  local problem = taskKeyProblem(taskKey)
  if problem then
    redis.call("RPOP", pendingKey)
    moveAside(id, problem, taskKeyPrefix, corruptKey, reasonsKey, now, cutoff, maxSize)
    return {id, false, problem}
  end
  redis.call("RPOPLPUSH", pendingKey, activeKey)
  redis.call("HSET", taskKey, "state", "active")
  redis.call("HDEL", taskKey, "pending_since")
  redis.call("ZADD", leaseKey, leaseExpiry, id)
  return {id, redis.call("HGET", taskKey, "msg")}
end
