--[[
  getTaskInfo: reads one task with its state, next process time and result.
                                                 (mirrors asynq internal/rdb/inspect.go getTaskInfoCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    ARGV[1] task id
    ARGV[2] current unix time in seconds
    ARGV[3] queue key prefix asynq:{<qname>}:

  Output:
    {msg, state, next_process_at, result}: next_process_at is the zset score for scheduled/retry,
    ARGV[2] for pending, 0 otherwise; result nil when absent
    error reply "NOT FOUND" when the task hash does not exist -> TaskNotFoundError
  NOTE: builds keys from ARGV[3]; same slot via {qname}
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return redis.error_reply("NOT FOUND")
end
local fields = redis.call("HMGET", KEYS[1], "msg", "state", "result")
local state = fields[2]
local next_process_at = 0
if state == "scheduled" or state == "retry" then
  next_process_at = redis.call("ZSCORE", ARGV[3] .. state, ARGV[1])
elseif state == "pending" then
  next_process_at = ARGV[2]
end
return {fields[1], state, next_process_at, fields[3]}
