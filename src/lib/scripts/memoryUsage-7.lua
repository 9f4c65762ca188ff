--[[
  memoryUsage: approximate bytes used by a queue, sampling task hashes from every list/zset and
  from the first groups.                         (mirrors asynq internal/rdb/inspect.go memoryUsageCmd,
                                                   HEAD semantics: missing hashes and empty samples skipped)

  Input:
    KEYS[1] asynq:{<qname>}:active
    KEYS[2] asynq:{<qname>}:pending
    KEYS[3] asynq:{<qname>}:scheduled
    KEYS[4] asynq:{<qname>}:retry
    KEYS[5] asynq:{<qname>}:archived
    KEYS[6] asynq:{<qname>}:completed
    KEYS[7] asynq:{<qname>}:groups
    ARGV[1] task key prefix asynq:{<qname>}:t:
    ARGV[2] task sample size per list/zset (20)
    ARGV[3] number of groups to sample (5)
    ARGV[4] group key prefix asynq:{<qname>}:g:

  Output:
    integer  bytes: per structure, average MEMORY USAGE of its sampled task hashes x its length,
             plus MEMORY USAGE of the structure; for groups, the average over the samples of the
             first ARGV[3] groups x the total aggregating count
    error reply "sample size must be a positive number" when ARGV[2] <= 0
  NOTE: builds keys from ARGV[1] and ARGV[4]; same slot via {qname}
]]
local sample_size = tonumber(ARGV[2])
if not sample_size or sample_size <= 0 then
  return redis.error_reply("sample size must be a positive number")
end
-- Adds MEMORY USAGE of every existing task hash of ids to acc = {bytes, count}.
local function sample(ids, acc)
  for _, id in ipairs(ids) do
    local bytes = redis.call("MEMORY", "USAGE", ARGV[1] .. id)
    if bytes then
      acc[1] = acc[1] + bytes
      acc[2] = acc[2] + 1
    end
  end
end
local function extrapolate(acc, total)
  if acc[2] == 0 then
    return 0
  end
  return acc[1] / acc[2] * total
end
local memusg = 0
for i = 1, 6 do
  local ids, total
  if i <= 2 then
    ids = redis.call("LRANGE", KEYS[i], 0, sample_size - 1)
    total = redis.call("LLEN", KEYS[i])
  else
    ids = redis.call("ZRANGE", KEYS[i], 0, sample_size - 1)
    total = redis.call("ZCARD", KEYS[i])
  end
  local acc = {0, 0}
  sample(ids, acc)
  memusg = memusg + extrapolate(acc, total)
  local own = redis.call("MEMORY", "USAGE", KEYS[i])
  if own then
    memusg = memusg + own
  end
end
local groups = redis.call("SMEMBERS", KEYS[7])
local group_acc = {0, 0}
local aggregating = 0
for i, g in ipairs(groups) do
  local gkey = ARGV[4] .. g
  aggregating = aggregating + redis.call("ZCARD", gkey)
  if i <= tonumber(ARGV[3]) then
    sample(redis.call("ZRANGE", gkey, 0, sample_size - 1), group_acc)
  end
end
memusg = memusg + extrapolate(group_acc, aggregating)
return math.floor(memusg)
