--[[
  dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, corruptKey, reasonsKey, taskKeyPrefix,
  leaseExpiry, now, cutoff, maxSize, checked): dequeue-6.lua's body, for one queue. Needs keyTypeProblem
  and moveAside included before it. Checks the queue's key types before any write;
  unless the queue is paused, takes the oldest pending id: a usable task key is moved to active,
  its hash marked active (without pending_since) and leased until leaseExpiry; an unusable one (no
  hash, another Redis type, no msg field: the reasons of taskKeyProblem, found here with one HGET
  for a good task) is taken out of pending and moved aside to corruptKey with its reason (moveAside
  with now, cutoff, maxSize), nothing leased. A paused queue returns nil before any type check
  and any write; an empty one after one LINDEX.
  `checked` (optional, a table): a caller that dequeues several tasks of the queue in one script
  passes the same table each time; the key types are then checked once (checked.done), as nothing
  else writes those keys meanwhile.
  Returns {id, msg} (leased), {id, false, reason} (moved aside), nil (paused or empty), or the
  WRONGTYPE error reply of keyTypeProblem (a table with an err field; nothing written).
]]
local function dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, corruptKey, reasonsKey, taskKeyPrefix, leaseExpiry, now, cutoff, maxSize, checked)
  -- An empty queue stops here with one command (LINDEX; Go's dequeue sends EXISTS paused, then
  -- RPOPLPUSH): an idle poll costs one command per queue. Paused is checked once there is a task
  -- (or a pending key of another type: a paused queue answers nil, never its type problem); the
  -- other keys' types only once there is a task to move, still before any write.
  local id = redis.pcall("LINDEX", pendingKey, -1)
  if not id then
    return nil
  end
  if redis.call("EXISTS", pausedKey) == 1 then
    return nil
  end
  if type(id) == "table" and id.err then
    return keyTypeProblem({{pendingKey, "list"}})
  end
  if not (checked and checked.done) then
    local wrong = keyTypeProblem({{activeKey, "list"}, {leaseKey, "zset"}, {corruptKey, "zset"}, {reasonsKey, "hash"}})
    if wrong then
      return wrong
    end
    if checked then
      checked.done = true
    end
  end
  local taskKey = taskKeyPrefix .. id
  -- One HGET for a usable task (the reply is the msg to return); the reason only when it fails.
  local msg = redis.pcall("HGET", taskKey, "msg")
  local problem
  if type(msg) == "table" then
    problem = "task key holds a " .. redis.call("TYPE", taskKey)["ok"] .. ", not a hash"
  elseif not msg then
    problem = redis.call("EXISTS", taskKey) == 0 and "no task hash" or "task hash has no msg field"
  end
  if problem then
    redis.call("RPOP", pendingKey)
    moveAside(id, problem, taskKeyPrefix, corruptKey, reasonsKey, now, cutoff, maxSize)
    return {id, false, problem}
  end
  redis.call("RPOPLPUSH", pendingKey, activeKey)
  redis.call("HSET", taskKey, "state", "active")
  redis.call("HDEL", taskKey, "pending_since")
  redis.call("ZADD", leaseKey, leaseExpiry, id)
  return {id, msg}
end
