--[[
  countStats(dailyKeys, totalKeys, expireAt, maxInt): adds 1 to each daily counter (a new one expires
  at expireAt) and to each total; when the first total equals maxInt every total restarts at 1
  instead (compared as Lua numbers, like Go's scripts).
]]
local function countStats(dailyKeys, totalKeys, expireAt, maxInt)
  for _, key in ipairs(dailyKeys) do
    if redis.call("INCR", key) == 1 then
      redis.call("EXPIREAT", key, expireAt)
    end
  end
  if tonumber(redis.call("GET", totalKeys[1])) == tonumber(maxInt) then
    for _, key in ipairs(totalKeys) do
      redis.call("SET", key, 1)
    end
  else
    for _, key in ipairs(totalKeys) do
      redis.call("INCR", key)
    end
  end
end
