--[[
  removeFromState(id, state, group, queueKeyPrefix, groupKeyPrefix, groupsKey, lremCount): takes a
  task id out of the list or zset its state names: pending is the list <queueKeyPrefix>pending (LREM
  with lremCount); aggregating is the zset <groupKeyPrefix><group>, whose name leaves groupsKey when it
  empties; any other state is the zset <queueKeyPrefix><state>. Returns an error reply
  "internal error: ..." when the id is not there, nil otherwise.
]]
local function removeFromState(id, state, group, queueKeyPrefix, groupKeyPrefix, groupsKey, lremCount)
  if state == "pending" then
    local lkey = queueKeyPrefix .. state
    if redis.call("LREM", lkey, lremCount, id) == 0 then
      return redis.error_reply("internal error: task id not found in list " .. lkey)
    end
  elseif state == "aggregating" then
    local gkey = groupKeyPrefix .. tostring(group)
    if redis.call("ZREM", gkey, id) == 0 then
      return redis.error_reply("internal error: task id not found in zset " .. gkey)
    end
    if redis.call("ZCARD", gkey) == 0 then
      redis.call("SREM", groupsKey, group)
    end
  else
    local zkey = queueKeyPrefix .. tostring(state)
    if redis.call("ZREM", zkey, id) == 0 then
      return redis.error_reply("internal error: task id not found in zset " .. zkey)
    end
  end
  return nil
end
