/**
 * Writes tasks straight into Redis in a given state, the way Go asynq's scripts leave them
 * (internal/testutil Seed*): for tests of the components that act on existing state.
 * Scores are unix seconds, as everywhere in asynq.
 */
import type {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {decodeTaskMessage, encodeTaskMessage, newTaskMessage, type TaskMessage} from '../../src/lib/base/codec.js';

export const unix = (d: Date): number => Math.floor(d.getTime() / 1000);

/** A message with Go client defaults (retry 25, timeout 1800) for tests. */
export function msg(id: string, fields: Partial<TaskMessage> = {}): TaskMessage {
  return newTaskMessage({type: 'test:task', id, queue: 'default', retry: 25, timeout: 1800, ...fields});
}

/** A task in `scheduled` or `retry`: hash (msg, state) + ZADD with the due time. */
export async function seedZSetTask(redis: Redis, state: 'scheduled' | 'retry', m: TaskMessage, dueAt: Date): Promise<void> {
  const zset = state === 'scheduled' ? keys.scheduledKey(m.queue) : keys.retryKey(m.queue);
  await redis.hset(keys.taskKey(m.queue, m.id), 'msg', encodeTaskMessage(m), 'state', state);
  await redis.zadd(zset, unix(dueAt), m.id);
}

/** A completed task: hash (msg with completedAt, state) + ZADD completed with the expiry (completedAt + retention). */
export async function seedCompleted(redis: Redis, m: TaskMessage, expiresAt: Date): Promise<void> {
  await redis.hset(keys.taskKey(m.queue, m.id), 'msg', encodeTaskMessage(m), 'state', 'completed');
  await redis.zadd(keys.completedKey(m.queue), unix(expiresAt), m.id);
}

/** An active task: LPUSH active, ZADD lease with the lease expiry, hash state=active. */
export async function seedActive(redis: Redis, m: TaskMessage, leaseExpiresAt: Date): Promise<void> {
  await redis.hset(keys.taskKey(m.queue, m.id), 'msg', encodeTaskMessage(m), 'state', 'active');
  await redis.lpush(keys.activeKey(m.queue), m.id);
  await redis.zadd(keys.leaseKey(m.queue), unix(leaseExpiresAt), m.id);
}

/** Aggregating tasks as addToGroup leaves them: hash (msg, state, group), ZADD g:<group> at addedAt, SADD groups. */
export async function seedGroup(redis: Redis, group: string, tasks: Array<[TaskMessage, Date]>): Promise<void> {
  for (const [m, addedAt] of tasks) {
    await redis.hset(keys.taskKey(m.queue, m.id), 'msg', encodeTaskMessage({...m, groupKey: group}), 'state', 'aggregating', 'group', group);
    await redis.zadd(keys.groupKey(m.queue, group), unix(addedAt), m.id);
    await redis.sadd(keys.allGroups(m.queue), group);
  }
}

/** The decoded `msg` of a task hash (throws when the hash is missing). */
export async function readMsg(redis: Redis, q: string, id: string): Promise<TaskMessage> {
  const bytes = await redis.hgetBuffer(keys.taskKey(q, id), 'msg');
  if (!bytes) throw new Error(`no task hash for ${q}/${id}`);
  return decodeTaskMessage(bytes);
}

/** ZRANGE WITHSCORES as [member, score] pairs. */
export async function zsetEntries(redis: Redis, key: string): Promise<Array<[string, number]>> {
  const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

/** A logger that records every line, for asserting log output. */
export function recordingLogger(): {lines: Array<[string, string]>; debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void} {
  const lines: Array<[string, string]> = [];
  return {
    lines,
    debug: (m) => lines.push(['debug', m]),
    info: (m) => lines.push(['info', m]),
    warn: (m) => lines.push(['warn', m]),
    error: (m) => lines.push(['error', m]),
  };
}
