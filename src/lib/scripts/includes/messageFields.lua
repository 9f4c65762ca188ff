--[[
  messageFields(msg): the fields of an encoded TaskMessage (protobuf) that a limit needs: type
  (field 1), timeout (8) and deadline (9), each "" or 0 when absent, as proto3 omits them (three values). Walks
  every field whatever its order (varint, 64-bit, length-delimited and 32-bit wire types); nil when
  the bytes are not a well-formed message (a varint or a length that runs past the end, an unknown
  wire type).
]]
local function messageFields(msg)
  local byte, size, pos = string.byte, #msg, 1
  local mtype, timeout, deadline = "", 0, 0
  while pos <= size do
    -- The key, then (varint and length-delimited wire types) the value: a key and a value of one
    -- byte each are read in one call, longer varints in the loops below (written out twice so that
    -- no function is made per message).
    local key, v = byte(msg, pos, pos + 1)
    pos = pos + 1
    local b = key
    if b >= 128 then
      v = nil
      local mul = 128
      key = key - 128
      repeat
        b = byte(msg, pos)
        if not b or mul > 2 ^ 63 then
          return nil
        end
        pos = pos + 1
        key = key + (b % 128) * mul
        mul = mul * 128
      until b < 128
    end
    local wire = key % 8
    if wire == 0 or wire == 2 then
      v = v or byte(msg, pos)
      if not v then
        return nil
      end
      pos = pos + 1
      b = v
      if b >= 128 then
        local mul = 128
        v = v - 128
        repeat
          b = byte(msg, pos)
          if not b or mul > 2 ^ 63 then
            return nil
          end
          pos = pos + 1
          v = v + (b % 128) * mul
          mul = mul * 128
        until b < 128
      end
      if wire == 2 then
        if pos + v - 1 > size then
          return nil
        end
        if key == 10 then
          mtype = string.sub(msg, pos, pos + v - 1)
        end
        pos = pos + v
      elseif key == 64 then
        timeout = v
      elseif key == 72 then
        deadline = v
      end
    elseif wire == 1 then
      pos = pos + 8
    elseif wire == 5 then
      pos = pos + 4
    else
      return nil
    end
  end
  if pos ~= size + 1 then
    return nil
  end
  return mtype, timeout, deadline
end
