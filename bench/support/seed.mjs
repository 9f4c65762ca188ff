/**
 * Fast seeding by pipelined raw writes (not through enqueue), in each library's own Redis layout:
 * - asynq (Go's layout, spec §3): task hash asynq:{q}:t:<id> {msg, state[, pending_since]}, the id
 *   in pending (list) or scheduled/retry/archived/completed (zsets), the queue in asynq:queues;
 * - BullMQ: job hash bull:<q>:<id> {name, data, opts, timestamp, delay, priority}, the id in
 *   wait (list) or delayed/failed/completed (zsets).
 */
import {randomUUID} from 'node:crypto';
import {asynq, encodeTaskMessage, keys, planEnqueue} from './lib.mjs';

const CHUNK = 2_000;

/** Go-layout task message bytes for a new task of `queue` (the Client's defaults: 25 retries, 30 min timeout). */
export function messageTemplate(queue, payload = {n: 0}) {
  return planEnqueue(new asynq.Task('bench:seed', payload), [{queue}], new Date()).msg;
}

async function inChunks(redis, total, add) {
  for (let start = 0; start < total; start += CHUNK) {
    const p = redis.pipeline();
    for (let i = start; i < Math.min(total, start + CHUNK); i++) add(p, i);
    await p.exec();
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
  const states = Object.entries(counts).flatMap(([state, n]) => Array(n).fill(state));
  const ids = states.map(() => randomUUID());
  const zsetKey = {scheduled: keys.scheduledKey(q), retry: keys.retryKey(q), archived: keys.archivedKey(q), completed: keys.completedKey(q)};
  const score = {scheduled: nowS + 3600, retry: nowS + 3600, archived: nowS, completed: nowS + 3600};
  await inChunks(redis, ids.length, (p, i) => {
    const state = states[i];
    const msg = encodeTaskMessage({...template, id: ids[i], ...(state === 'completed' ? {completedAt: nowS, retention: 3600} : {})});
    const k = keys.taskKey(q, ids[i]);
    if (state === 'pending') {
      p.hset(k, 'msg', msg, 'state', 'pending', 'pending_since', nowNs);
      p.lpush(keys.pendingKey(q), ids[i]);
    } else {
      p.hset(k, 'msg', msg, 'state', state);
      p.zadd(zsetKey[state], score[state], ids[i]);
    }
  });
  return ids.length;
}

/** Seeds BullMQ queue `q` with {wait, delayed, failed, completed} jobs (ids 1..n, as BullMQ numbers them). */
export async function seedBullQueue(redis, q, counts) {
  const nowMs = Date.now();
  const states = Object.entries(counts).flatMap(([state, n]) => Array(n).fill(state));
  const data = JSON.stringify({n: 0});
  await inChunks(redis, states.length, (p, i) => {
    const id = String(i + 1);
    const state = states[i];
    const delay = state === 'delayed' ? 3_600_000 : 0;
    p.hset(`bull:${q}:${id}`, 'name', 'bench:seed', 'data', data, 'opts', '{"attempts":0}', 'timestamp', nowMs, 'delay', delay,
      'priority', 0, ...(state === 'failed' || state === 'completed' ? ['finishedOn', nowMs, 'processedOn', nowMs] : []));
    if (state === 'wait') p.lpush(`bull:${q}:wait`, id);
    else if (state === 'delayed') p.zadd(`bull:${q}:delayed`, (nowMs + delay) * 0x1000, id);
    else p.zadd(`bull:${q}:${state}`, nowMs, id);
  });
  await redis.set(`bull:${q}:id`, states.length);
  return states.length;
}
