--[[
  removeFromActive(activeKey, leaseKey, id): takes the id out of the active list, then out of the
  lease zset. Returns false when either did not hold it (the lease is not touched when active did
  not; an id removed from active stays removed).
]]
local function removeFromActive(activeKey, leaseKey, id)
  if redis.call("LREM", activeKey, 0, id) == 0 then
    return false
  end
  return redis.call("ZREM", leaseKey, id) ~= 0
end
