--[[
  semaphoreAcquire: takes a token of a counting semaphore for a task, as Go's x/rate Semaphore.Acquire:
  drops the holders whose deadline has passed, then adds the task if fewer than max hold one.
  A task that already holds a token keeps it (its deadline is updated) and gets true: Go's
  script would answer false there when the semaphore is full; both add nothing else.
                                       (mirrors asynq x/rate/semaphore.go acquireCmd)

  Input:
    KEYS[1] asynq:sema:<scope>
    ARGV[1] max tokens
    ARGV[2] current unix time in seconds
    ARGV[3] the task's deadline, unix seconds (the member's score)
    ARGV[4] task id

  Output:
    1  acquired (or already held)
    0  every token is held
]]
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", tonumber(ARGV[2]) - 1)
if redis.call("ZSCORE", KEYS[1], ARGV[4]) or redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
  return 1
end
return 0
