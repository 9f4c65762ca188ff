--[[
  moveAside(id, reason, taskKeyPrefix, corruptKey, reasonsKey, now, cutoff, maxSize): records a task
  that cannot be processed in the corrupt zset (score now) and its reason in the reasons hash; a task
  hash gets state "corrupt" (its msg is left as it is; a missing hash is not created, a key of another
  type is not touched). Then trims the corrupt zset like the archive: ids scored at or before cutoff,
  and ranks 0 .. -maxSize, with their reasons and their "corrupt" task hashes.
]]
local function moveAside(id, reason, taskKeyPrefix, corruptKey, reasonsKey, now, cutoff, maxSize)
  redis.call("ZADD", corruptKey, now, id)
  redis.call("HSET", reasonsKey, id, reason)
  if redis.call("TYPE", taskKeyPrefix .. id)["ok"] == "hash" then
    redis.call("HSET", taskKeyPrefix .. id, "state", "corrupt")
  end
  local function drop(ids)
    for _, old in ipairs(ids) do
      redis.call("ZREM", corruptKey, old)
      redis.call("HDEL", reasonsKey, old)
      local key = taskKeyPrefix .. old
      if redis.call("TYPE", key)["ok"] == "hash" and redis.call("HGET", key, "state") == "corrupt" then
        redis.call("DEL", key)
      end
    end
  end
  drop(redis.call("ZRANGE", corruptKey, "-inf", cutoff, "BYSCORE"))
  drop(redis.call("ZRANGE", corruptKey, 0, -tonumber(maxSize)))
end
