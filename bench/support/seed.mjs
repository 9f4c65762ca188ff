/**
 * Fast seeding by raw writes generated inside Redis (not through enqueue): one EVAL writes up to
 * 20,000 tasks, each a hash (HSET) and an entry in a list (LPUSH) or zset (ZADD), from a template
 * the Lua loop fills with each task's id, so a million tasks cost a few seconds and no per-task
 * encoding or network transfer. Each library's own Redis layout:
 * - asynq (Go's layout, internal/rdb/rdb.go): task hash asynq:{q}:t:<id> {msg, state[, pending_since]}, the id
 *   in pending (list) or scheduled/retry/archived/completed (zsets), the queue in asynq:queues;
 *   the msg is the protobuf TaskMessage of the Client's defaults with the task's own id (a UUID-shaped
 *   string: a random 24-character prefix per seeding and the task's number in 12 hex digits);
 * - BullMQ: job hash bull:<q>:<id> {name, data, opts, timestamp, delay, priority}, ids 1..n in
 *   wait (list) or delayed/failed/completed (zsets).
 */
import {randomUUID} from 'node:crypto';
import {asynq, encodeTaskMessage, keys, planEnqueue} from './lib.mjs';

const CHUNK = 20_000;

/**
 * KEYS[1] the list (LPUSH) or zset (ZADD) the ids go to
 * ARGV[1] hash key prefix, ARGV[2] 'list' or 'zset', ARGV[3] zset score, ARGV[4] the field that
 * gets each task's value, ARGV[5] value before the id, ARGV[6] value after the id, ARGV[7] '1' when
 * the id goes into the value (else the value is ARGV[5] .. ARGV[6]), ARGV[8] id prefix, ARGV[9]
 * 'hex' (id = prefix .. 12 hex digits of i) or 'dec' (id = i), ARGV[10] first i, ARGV[11] last i,
 * ARGV[12] count f of the constant fields, ARGV[13 .. 12+f] constant hash fields (name, value, …)
 */
const SEED_LUA = `
local f = tonumber(ARGV[12])
local fixed = {}
for i = 13, 12 + f do fixed[#fixed + 1] = ARGV[i] end
local list = ARGV[2] == "list"
local embed = ARGV[7] == "1"
local hex = ARGV[9] == "hex"
for i = tonumber(ARGV[10]), tonumber(ARGV[11]) do
  local id = hex and (ARGV[8] .. string.format("%012x", i)) or tostring(i)
  local value = embed and (ARGV[5] .. id .. ARGV[6]) or (ARGV[5] .. ARGV[6])
  redis.call("HSET", ARGV[1] .. id, ARGV[4], value, unpack(fixed))
  if list then
    redis.call("LPUSH", KEYS[1], id)
  else
    redis.call("ZADD", KEYS[1], ARGV[3], id)
  end
end
return 0
`;

/** Runs SEED_LUA for ids first..first+n-1, in chunks. */
async function seedChunks(
  redis,
  {key, prefix, kind, score, field, before, after, embed, idPrefix, ids, fields},
  first,
  n,
) {
  for (let from = first; from < first + n; from += CHUNK) {
    const to = Math.min(first + n, from + CHUNK) - 1;
    await redis.eval(
      SEED_LUA,
      1,
      key,
      prefix,
      kind,
      score,
      field,
      before,
      after,
      embed ? '1' : '0',
      idPrefix,
      ids,
      from,
      to,
      fields.length,
      ...fields,
    );
  }
}

/** A message's bytes split around its id: [before, after] (the id is 36 characters, as a UUID). */
function splitAtId(msg) {
  const placeholder = 'ffffffff-ffff-4fff-bfff-ffffffffffff';
  const bytes = Buffer.from(encodeTaskMessage({...msg, id: placeholder}));
  const at = bytes.indexOf(placeholder);
  if (at < 0 || bytes.indexOf(placeholder, at + 1) >= 0) throw new Error('seed: the id is not once in the message');
  return [bytes.subarray(0, at), bytes.subarray(at + placeholder.length)];
}

/** Go-layout task message bytes for a new task of `queue` (the Client's defaults: 25 retries, 30 min timeout). */
export function messageTemplate(queue, payload = {n: 0}) {
  return planEnqueue(new asynq.Task('bench:seed', payload), [{queue}], new Date()).msg;
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
  // Ids: a random prefix per call (unique across calls) and the task's number.
  const idPrefix = randomUUID().slice(0, 24);
  let total = 0;
  for (const [state, n] of Object.entries(counts)) {
    if (!n) continue;
    const extra = state === 'completed' ? {completedAt: nowS, retention: 3600} : {};
    const [before, after] = splitAtId({...template, ...extra});
    const [key, kind, score] = target[state];
    const fields = state === 'pending' ? ['state', 'pending', 'pending_since', nowNs] : ['state', state];
    const spec = {key, prefix: keys.taskKeyPrefix(q), kind, score, field: 'msg', before, after, embed: true};
    await seedChunks(redis, {...spec, idPrefix, ids: 'hex', fields}, total, n);
    total += n;
  }
  return total;
}

/** Seeds BullMQ queue `q` with {wait, delayed, failed, completed} jobs (ids 1..n, as BullMQ numbers them). */
async function seedBullQueue(redis, q, counts) {
  const nowMs = Date.now();
  const data = JSON.stringify({n: 0});
  let next = 1;
  for (const [state, n] of Object.entries(counts)) {
    const delay = state === 'delayed' ? 3_600_000 : 0;
    if (!n) continue;
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
    const spec = {key: `bull:${q}:${state}`, prefix: `bull:${q}:`, kind: state === 'wait' ? 'list' : 'zset', score};
    await seedChunks(
      redis,
      {...spec, field: 'data', before: data, after: '', embed: false, idPrefix: '', ids: 'dec', fields},
      next,
      n,
    );
    next += n;
  }
  await redis.set(`bull:${q}:id`, next - 1);
  return next - 1;
}

const qname = (i) => `q${String(i).padStart(3, '0')}`;

/** Per queue of the big dataset: 60% pending, 10% each scheduled, retry, archived, completed. */
export function datasetShare(total, queues) {
  const n = Math.floor(total / queues);
  const tenth = Math.floor(n / 10);
  return {pending: n - 4 * tenth, scheduled: tenth, retry: tenth, archived: tenth, completed: tenth};
}

/**
 * The monitoring dataset: `queues` queues q000… holding `total` tasks in all in asynq's layout
 * (datasetShare), and with `bullmq` the same counts in BullMQ's layout (wait = pending, delayed =
 * scheduled + retry, failed = archived, completed) under the same queue names. Seeded once and
 * kept for the next scenario that asks for the same (a marker key records what is there); any
 * other content of the server is flushed first. Returns the queue names.
 */
export async function ensureDataset(ctx, {queues, total, bullmq}) {
  const names = Array.from({length: queues}, (_, i) => qname(i));
  const want = JSON.stringify({queues, total, bullmq});
  if ((await ctx.admin.get('bench:dataset')) === want) return names;
  await ctx.flush();
  const t0 = performance.now();
  const c = datasetShare(total, queues);
  for (const q of names) await seedAsynqQueue(ctx.admin, q, c);
  if (bullmq) {
    for (const q of names) {
      await seedBullQueue(ctx.admin, q, {
        wait: c.pending,
        delayed: c.scheduled + c.retry,
        failed: c.archived,
        completed: c.completed,
      });
    }
  }
  await ctx.admin.set('bench:dataset', want);
  const what = bullmq ? 'asynq tasks and as many BullMQ jobs' : 'asynq tasks';
  ctx.log(`  seeded ${total.toLocaleString('en')} ${what} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return names;
}
