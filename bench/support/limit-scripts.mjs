/**
 * Lua for the Redis limit of processing: what one processed task costs Redis, in one call and with
 * no client in between. It runs the text of the real dequeue-6.lua and done-5.lua (each wrapped as
 * a Lua function of its own KEYS and ARGV) on the same task; a real worker needs one or two calls
 * for this (finishAndDequeue fuses them when a backlog exists).
 *
 *   KEYS[1] pending  KEYS[2] paused  KEYS[3] active  KEYS[4] lease  KEYS[5] corrupt
 *   KEYS[6] corrupt_reasons  KEYS[7] processed:<date>  KEYS[8] processed (total)
 *   ARGV[1] lease expiry (unix s)  ARGV[2] task key prefix  ARGV[3] now (unix s)
 *   ARGV[4] corrupt cutoff (unix s)  ARGV[5] corrupt max size  ARGV[6] stats expiry  ARGV[7] max int64
 */
import {scripts} from './lib.mjs';

export const dequeueDoneLua = `
local function dequeue(KEYS, ARGV)
${scripts.dequeue.lua}
end
local function done(KEYS, ARGV)
${scripts.done.lua}
end
local got = dequeue({KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, {ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]})
if not got or not got[2] then
  return nil
end
done({KEYS[3], KEYS[4], ARGV[2] .. got[1], KEYS[7], KEYS[8]}, {got[1], ARGV[6], ARGV[7]})
return got[2]
`;
