--[[
  runIds(ids, pendingKey, taskKeyPrefix): LPUSHes each id onto the pending list, in order, and sets
  its hash's state to pending (no pending_since, as Go).
]]
local function runIds(ids, pendingKey, taskKeyPrefix)
  for _, id in ipairs(ids) do
    redis.call("LPUSH", pendingKey, id)
    redis.call("HSET", taskKeyPrefix .. id, "state", "pending")
  end
end
