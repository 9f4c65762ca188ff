/** Shared helpers for the rdb-*.test.ts files: a fixed clock, task messages, and Redis readers. */
import type {Redis} from 'ioredis';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {decodeTaskMessage, newTaskMessage, type TaskMessage} from '../../../src/lib/base/codec.js';
import {SimulatedClock, unixSeconds} from '../../../src/lib/clock.js';

/**
 * Today 12:00:00.250 UTC. Close to the wall clock on purpose: Redis applies EXPIREAT and EX
 * against its own clock, so a "now" far in the past would expire the 90-day stats keys at once.
 */
export const T0 = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 12 * 3_600_000 + 250);
export const T0_S = unixSeconds(T0);
export const T0_NS = (BigInt(T0.getTime()) * 1_000_000n).toString();
export const DAY_S = 86_400;
export const TODAY = T0.toISOString().slice(0, 10);

export function newRdb(redis: Redis, at: Date = T0): {rdb: RDB; clock: SimulatedClock} {
  const clock = new SimulatedClock(at);
  return {rdb: new RDB(redis, {clock}), clock};
}

/** A task message as Go's client builds it (retry 25, timeout 1800), with overrides. */
export function msg(id: string, fields: Partial<TaskMessage> = {}): TaskMessage {
  return newTaskMessage({type: 'email:welcome', payload: Buffer.from('{"user_id":42}'), id, queue: 'default', retry: 25, timeout: 1800, ...fields});
}

/** Every field of a hash as strings, except `msg`, which is decoded. */
export async function taskHash(redis: Redis, key: string): Promise<{msg?: TaskMessage; fields: Record<string, string>}> {
  const raw = await redis.hgetallBuffer(key);
  const fields: Record<string, string> = {};
  let decoded: TaskMessage | undefined;
  for (const [f, v] of Object.entries(raw)) {
    if (f === 'msg') decoded = decodeTaskMessage(v as Buffer);
    else fields[f] = (v as Buffer).toString();
  }
  return {msg: decoded, fields};
}

export async function zset(redis: Redis, key: string): Promise<Array<[string, number]>> {
  const flat = await redis.zrange(key, 0, -1, 'WITHSCORES');
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

/** Absolute expiry of a key in unix seconds (Redis 7 EXPIRETIME): -1 no TTL, -2 no key. */
export async function expireTime(redis: Redis, key: string): Promise<number> {
  return Number(await redis.call('EXPIRETIME', key));
}

/** Enqueues the messages (in order) and dequeues as many: all of them end up active and leased. */
export async function seedActive(rdb: RDB, ...msgs: TaskMessage[]): Promise<void> {
  for (const m of msgs) await rdb.enqueue(m);
  for (const m of msgs) await rdb.dequeue([m.queue]);
}
