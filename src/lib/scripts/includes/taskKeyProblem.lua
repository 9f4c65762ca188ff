--[[
  taskKeyProblem(taskKey): why the task key cannot be processed: "no task hash" when it does not
  exist, "task key holds a <type>, not a hash" for another Redis type, "task hash has no msg field";
  nil for a hash with a msg (whether the msg decodes is for the caller to find out).
]]
local function taskKeyProblem(taskKey)
  local t = redis.call("TYPE", taskKey)["ok"]
  if t == "none" then
    return "no task hash"
  end
  if t ~= "hash" then
    return "task key holds a " .. t .. ", not a hash"
  end
  if redis.call("HEXISTS", taskKey, "msg") == 0 then
    return "task hash has no msg field"
  end
  return nil
end
