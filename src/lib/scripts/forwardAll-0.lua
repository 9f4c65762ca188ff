--[[
  forwardAll: forward-2.lua over several queues in one call: for each queue in the order given,
  moves its due tasks from scheduled, then from retry, to pending (or back into their group when
  the task hash has a group field, without SADD to groups), 100 per step until none is due, as
  Go's forwarder calls forwardCmd per queue and set until a call moves nothing; the Redis state
  afterwards is the same. A set whose key holds another Redis type is skipped (left untouched)
  and reported, and so is a due task whose task key holds another type (it stays in its set, where
  Go's forwardCmd would fail on it); the other tasks and queues are forwarded all the same.
                                       (asynq-ts only: Go's forwarder calls internal/rdb/rdb.go
                                        forwardCmd per queue and set)

  Input:
    ARGV[1] current unix time in seconds (due limit, and the group zset score)
    ARGV[2] current unix time in nsec (pending_since)
    ARGV[3] most tasks to move in this call: once it has moved that many it stops after the step
            (the caller calls again while a call stops this way)
    ARGV[4], ARGV[5], ...  queue key prefix asynq:{<qname>}: of each queue
    NOTE: builds every key from the ARGV prefixes (<prefix>scheduled, retry, pending, t:<id>,
          g:<group>)
    NOTE: not for Redis Cluster (the queues' keys live in different slots): RDB.forwardIfReady
          calls forward-2.lua per queue and set there

  Output:
    {moved, stopped, skipped}
    moved    number of tasks moved
    stopped  1 when the call stopped at the budget (call again), else 0
    skipped  flat list of (n, error text) pairs, at most 20 pairs for task keys: queue n (1-based,
             in ARGV[4..]) had a scheduled or retry key, or a due task's key, of another Redis
             type, which was left untouched (the budget counts moved tasks only; a call also reads
             past every such task once)
]]
local budget = tonumber(ARGV[3])
local moved = 0
local skipped = {}
for i = 4, #ARGV do
  local prefix = ARGV[i]
  for _, state in ipairs({"scheduled", "retry"}) do
    local source = prefix .. state
    -- Due tasks left in the set because their task key holds another type: they keep the lowest
    -- scores among those not moved yet, so each step reads past them.
    local stuck = 0
    while true do
      local ids = redis.pcall("ZRANGE", source, "-inf", ARGV[1], "BYSCORE", "LIMIT", stuck, 100)
      if ids["err"] then
        table.insert(skipped, i - 3)
        table.insert(skipped, ids["err"])
        break
      end
      for _, id in ipairs(ids) do
        local taskKey = prefix .. "t:" .. id
        local group = redis.pcall("HGET", taskKey, "group")
        if type(group) == "table" and group["err"] then
          if #skipped < 40 then
            table.insert(skipped, i - 3)
            table.insert(skipped, group["err"] .. " (task key " .. taskKey .. ")")
          end
          stuck = stuck + 1
        else
          redis.call("ZREM", source, id)
          if group and group ~= "" then
            redis.call("ZADD", prefix .. "g:" .. group, ARGV[1], id)
            redis.call("HSET", taskKey, "state", "aggregating")
          else
            redis.call("LPUSH", prefix .. "pending", id)
            redis.call("HSET", taskKey, "state", "pending", "pending_since", ARGV[2])
          end
          moved = moved + 1
        end
      end
      if #ids < 100 then
        break
      end
      if moved >= budget then
        return {moved, 1, skipped}
      end
    end
  end
end
return {moved, 0, skipped}
