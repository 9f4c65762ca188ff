/**
 * Lua for the Redis limit of processing: what one processed task costs Redis, in one call and with
 * no client in between. It runs the text of the real dequeue-4.lua and done-5.lua (each wrapped as
 * a Lua function of its own KEYS and ARGV) on the same task; a real worker needs two calls and two
 * round trips for this. The task id is read first with LINDEX (O(1)), since dequeue returns only
 * the message.
 *
 *   KEYS[1] pending  KEYS[2] paused  KEYS[3] active  KEYS[4] lease
 *   KEYS[5] processed:<date>  KEYS[6] processed (total)
 *   ARGV[1] lease expiry (unix s)  ARGV[2] task key prefix  ARGV[3] stats expiry  ARGV[4] max int64
 */
import {scripts} from './lib.mjs';

export const dequeueDoneLua = `
local function dequeue(KEYS, ARGV)
${scripts.dequeue.lua}
end
local function done(KEYS, ARGV)
${scripts.done.lua}
end
local id = redis.call("LINDEX", KEYS[1], -1)
local msg = dequeue({KEYS[1], KEYS[2], KEYS[3], KEYS[4]}, {ARGV[1], ARGV[2]})
if not msg then
  return nil
end
done({KEYS[3], KEYS[4], ARGV[2] .. id, KEYS[5], KEYS[6]}, {id, ARGV[3], ARGV[4]})
return msg
`;
