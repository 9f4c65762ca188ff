--[[
  keyTypeProblem(expected): checks, before any write, that each key holds its Redis type or does not
  exist; expected is a list of {key, type} pairs. Returns a WRONGTYPE error reply naming the first
  key that holds another type (a script stopped by Redis' own WRONGTYPE half-way would keep the
  writes made before), nil when all are fine.
]]
local function keyTypeProblem(expected)
  for _, kt in ipairs(expected) do
    local t = redis.call("TYPE", kt[1])["ok"]
    if t ~= "none" and t ~= kt[2] then
      return redis.error_reply("WRONGTYPE " .. kt[1] .. " holds a " .. t .. ", not a " .. kt[2])
    end
  end
  return nil
end
