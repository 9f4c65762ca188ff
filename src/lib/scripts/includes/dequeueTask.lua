--[[
  dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, taskKeyPrefix, leaseExpiry): unless the
  queue is paused, moves the oldest pending id to active, marks its hash active (without
  pending_since) and leases it until leaseExpiry. Returns the task's msg, or false/nil when the
  queue is paused or empty, or the popped id has no hash (it stays in active and lease, as in Go).
]]
local function dequeueTask(pendingKey, pausedKey, activeKey, leaseKey, taskKeyPrefix, leaseExpiry)
  if redis.call("EXISTS", pausedKey) == 1 then
    return nil
  end
  local id = redis.call("RPOPLPUSH", pendingKey, activeKey)
  if not id then
    return nil
  end
  local taskKey = taskKeyPrefix .. id
  redis.call("HSET", taskKey, "state", "active")
  redis.call("HDEL", taskKey, "pending_since")
  redis.call("ZADD", leaseKey, leaseExpiry, id)
  return redis.call("HGET", taskKey, "msg")
end
