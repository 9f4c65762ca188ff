--[[
  messageType(msg): the task type of an encoded TaskMessage when the message begins with it, as
  every encoder writes it (Go's and ours put field 1 first): a length-delimited field 1 whose
  length fits in one byte. nil otherwise (the caller then walks the message with messageFields).
  A message that repeats field 1 later (no encoder does) is read by its first type here.
]]
local function messageType(msg)
  local key, n = string.byte(msg, 1, 2)
  if key ~= 10 or not n or n >= 128 or 2 + n > #msg then
    return nil
  end
  return string.sub(msg, 3, 2 + n)
end
