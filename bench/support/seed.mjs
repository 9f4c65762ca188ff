/**
 * Fast seeding by raw writes (not through enqueue: HSET and LPUSH/ZADD run by a small Lua loop,
 * one EVAL per 5,000 tasks), in each library's own Redis layout:
 * - asynq (Go's layout, internal/rdb/rdb.go): task hash asynq:{q}:t:<id> {msg, state[, pending_since]}, the id
 *   in pending (list) or scheduled/retry/archived/completed (zsets), the queue in asynq:queues;
 * - BullMQ: job hash bull:<q>:<id> {name, data, opts, timestamp, delay, priority}, the id in
 *   wait (list) or delayed/failed/completed (zsets).
 */
import {randomUUID} from 'node:crypto';
import {asynq, encodeTaskMessage, keys, planEnqueue} from './lib.mjs';

const CHUNK = 5_000;

/** Go-layout task message bytes for a new task of `queue` (the Client's defaults: 25 retries, 30 min timeout). */
export function messageTemplate(queue, payload = {n: 0}) {
  return planEnqueue(new asynq.Task('bench:seed', payload), [{queue}], new Date()).msg;
}

/**
 * Writes one chunk of tasks inside Redis (one EVAL per chunk and state instead of two commands per
 * task: seeding a million tasks takes seconds, not half a minute).
 *   KEYS[1] the list (LPUSH) or zset (ZADD) the ids go to
 *   ARGV[1] hash key prefix, ARGV[2] 'list' or 'zset', ARGV[3] zset score, ARGV[4] the field that
 *   gets each task's value, ARGV[5] count f of the constant fields, ARGV[6 .. 5+f] constant hash
 *   fields (name, value, …), then per task: id, value
 */
const SEED_LUA = `
local f = tonumber(ARGV[5])
local fixed = {}
for i = 6, 5 + f do fixed[#fixed + 1] = ARGV[i] end
for i = 6 + f, #ARGV, 2 do
  local id = ARGV[i]
  redis.call("HSET", ARGV[1] .. id, ARGV[4], ARGV[i + 1], unpack(fixed))
  if ARGV[2] == "list" then
    redis.call("LPUSH", KEYS[1], id)
  else
    redis.call("ZADD", KEYS[1], ARGV[3], id)
  end
end
return 0
`;

/** Runs SEED_LUA over `tasks` ([id, value] pairs) in chunks. */
async function seedChunks(redis, {key, prefix, kind, score, field, fields}, tasks) {
  for (let start = 0; start < tasks.length; start += CHUNK) {
    const args = [prefix, kind, score, field, fields.length, ...fields];
    for (const [id, msg] of tasks.slice(start, start + CHUNK)) args.push(id, msg);
    await redis.eval(SEED_LUA, 1, key, ...args);
  }
}

/**
 * Seeds `counts` = {pending, scheduled, retry, archived, completed} tasks into asynq queue `q`.
 * Returns the number of tasks written.
 */
export async function seedAsynqQueue(redis, q, counts) {
  const template = messageTemplate(q);
  const nowS = Math.floor(Date.now() / 1000);
  const nowNs = `${BigInt(Date.now()) * 1_000_000n}`;
  await redis.sadd(keys.allQueues, q);
  const target = {
    pending: [keys.pendingKey(q), 'list', 0],
    scheduled: [keys.scheduledKey(q), 'zset', nowS + 3600],
    retry: [keys.retryKey(q), 'zset', nowS + 3600],
    archived: [keys.archivedKey(q), 'zset', nowS],
    completed: [keys.completedKey(q), 'zset', nowS + 3600],
  };
  let total = 0;
  for (const [state, n] of Object.entries(counts)) {
    const extra = state === 'completed' ? {completedAt: nowS, retention: 3600} : {};
    const tasks = Array.from({length: n}, () => {
      const id = randomUUID();
      return [id, encodeTaskMessage({...template, id, ...extra})];
    });
    const [key, kind, score] = target[state];
    const fields = state === 'pending' ? ['state', 'pending', 'pending_since', nowNs] : ['state', state];
    await seedChunks(redis, {key, prefix: keys.taskKeyPrefix(q), kind, score, field: 'msg', fields}, tasks);
    total += n;
  }
  return total;
}

/** Seeds BullMQ queue `q` with {wait, delayed, failed, completed} jobs (ids 1..n, as BullMQ numbers them). */
export async function seedBullQueue(redis, q, counts) {
  const nowMs = Date.now();
  const data = JSON.stringify({n: 0});
  let next = 1;
  for (const [state, n] of Object.entries(counts)) {
    const delay = state === 'delayed' ? 3_600_000 : 0;
    const tasks = Array.from({length: n}, () => [String(next++), data]);
    const fields = [
      'name',
      'bench:seed',
      'opts',
      '{"attempts":0}',
      'timestamp',
      nowMs,
      'delay',
      delay,
      'priority',
      0,
      ...(state === 'failed' || state === 'completed' ? ['finishedOn', nowMs, 'processedOn', nowMs] : []),
    ];
    const score = state === 'delayed' ? (nowMs + delay) * 0x1000 : nowMs;
    await seedChunks(
      redis,
      {
        key: `bull:${q}:${state}`,
        prefix: `bull:${q}:`,
        kind: state === 'wait' ? 'list' : 'zset',
        score,
        field: 'data',
        fields,
      },
      tasks,
    );
  }
  await redis.set(`bull:${q}:id`, next - 1);
  return next - 1;
}
