--[[
  releaseUniqueLock(lockKey, id): deletes the uniqueness lock lockKey if task id still holds it;
  a nil or empty lockKey (a task without one) does nothing.
]]
local function releaseUniqueLock(lockKey, id)
  if lockKey and lockKey ~= "" and redis.call("GET", lockKey) == id then
    redis.call("DEL", lockKey)
  end
end
