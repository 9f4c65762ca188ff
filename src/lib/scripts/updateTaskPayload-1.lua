--[[
  updateTaskPayload: replaces the message of a scheduled task (the caller re-encodes it with the
  new payload; other hash fields stay).          (mirrors asynq internal/rdb/inspect.go updateTaskPayloadCmd)

  Input:
    KEYS[1] asynq:{<qname>}:t:<task_id>
    ARGV[1] encoded TaskMessage (protobuf bytes) with the new payload

  Output:
    1  updated
    0  task not found              -> TaskNotFoundError
   -1  task is not scheduled       -> FailedPreconditionError
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
if redis.call("HGET", KEYS[1], "state") ~= "scheduled" then
  return -1
end
redis.call("HSET", KEYS[1], "msg", ARGV[1])
return 1
