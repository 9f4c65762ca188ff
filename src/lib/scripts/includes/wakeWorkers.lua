--[[
  wakeWorkers(channel): PUBLISH an empty message on channel (asynq:wake:<qname>), on which idle
  asynq-ts workers poll at once; nil (a caller that passes none) does nothing. Pub/sub only:
  nothing is stored, a Go peer sees nothing.
]]
local function wakeWorkers(channel)
  if channel then
    redis.call("PUBLISH", channel, "")
  end
end
