--[[
  archiveIds(ids, archivedKey, now, cutoff, maxSize, taskKeyPrefix): adds each id to the archived zset
  at score now and sets its hash's state to archived, then trims the archive: ids scored at or before
  cutoff, and ranks 0 .. -maxSize (their hashes are left, as Go).
]]
local function archiveIds(ids, archivedKey, now, cutoff, maxSize, taskKeyPrefix)
  for _, id in ipairs(ids) do
    redis.call("ZADD", archivedKey, now, id)
    redis.call("HSET", taskKeyPrefix .. id, "state", "archived")
  end
  redis.call("ZREMRANGEBYSCORE", archivedKey, "-inf", cutoff)
  redis.call("ZREMRANGEBYRANK", archivedKey, 0, -tonumber(maxSize))
end
