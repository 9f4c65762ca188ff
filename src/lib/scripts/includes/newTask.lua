--[[
  newTask(taskKey, field, value, ...): writes a new task hash with the given fields, in that order.
  Returns false, writing nothing, when taskKey already exists (the task id is taken).
]]
local function newTask(taskKey, ...)
  if redis.call("EXISTS", taskKey) == 1 then
    return false
  end
  redis.call("HSET", taskKey, ...)
  return true
end
