/**
 * RDB.dequeue over several queues outside a Cluster: one dequeueAny-0.lua call. It must take the
 * task the per-queue dequeue calls (dequeue-6.lua) would take, in the same queue order, report the
 * same bad data and leave exactly their Redis state, including paused queues, empty queues, pending
 * ids whose task key is unusable (no hash, a string, no msg: moved aside by the script), an
 * undecodable msg (moved aside by moveAside-5.lua once leased) and a queue whose pending key is a
 * string (WRONGTYPE: reported and skipped, the other queues served).
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import type {BadData, RDB} from '../../../src/lib/broker/rdb.js';
import {dumpAll, dumpAllSince} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb} from '../../support/seed.js';

const r = useRedis();

async function seed(rdb: RDB): Promise<void> {
  for (const [q, n] of [['a', 2], ['b', 0], ['c', 3], ['d', 2]] as const) {
    for (let i = 0; i < n; i++) await rdb.enqueue(makeMsg(`${q}${i}`, {queue: q}));
  }
  await r.redis.set(keys.pausedKey('a'), '1');
  // Next to dequeue in c (RPUSH: the last is next): an undecodable msg, a hash without msg, a task
  // key that is a string, an id without hash.
  await r.redis.rpush(keys.pendingKey('c'), 'ghost', 'str', 'nomsg', 'junk');
  await r.redis.set(keys.taskKey('c', 'str'), 'x');
  await r.redis.hset(keys.taskKey('c', 'nomsg'), 'state', 'pending');
  await r.redis.hset(keys.taskKey('c', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
  await r.redis.sadd(keys.allQueues, 'b', 'e');
  // A queue whose pending list is a string.
  await r.redis.set(keys.pendingKey('e'), 'x');
}

const ORDERS = [['a', 'b', 'e', 'c', 'd'], ['d', 'c', 'b', 'a'], ['b', 'a', 'd', 'c'], ['c', 'd', 'a', 'b'], ['a', 'b', 'c', 'e', 'd'], ['b', 'd']];

async function run(rdb: RDB, oneByOne: boolean): Promise<{got: Array<string | null>; bad: BadData[]}> {
  const got: Array<string | null> = [];
  const bad: BadData[] = [];
  const onBadData = (b: BadData): void => void bad.push(b);
  for (const order of [...ORDERS, ...ORDERS]) {
    let res = null;
    if (oneByOne) {
      for (const q of order) if ((res = await rdb.dequeue([q], 60_000, onBadData))) break;
    } else {
      res = await rdb.dequeue(order, 60_000, onBadData);
    }
    got.push(res ? `${res.msg.queue}/${res.msg.id}@${res.leaseExpiresAt.getTime()}` : null);
  }
  return {got, bad};
}

/** EVAL and EVALSHA calls in INFO commandstats. */
function evalCalls(info: string): number {
  return [...info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('RDB.dequeue with several queues (dequeueAny-0.lua)', () => {
  it('takes the same tasks in the same order and leaves exactly the state of one dequeue call per queue', async () => {
    await seed(newRdb(r.redis).rdb);
    await r.redis.config('RESETSTAT');
    const combined = await run(newRdb(r.redis).rdb, false);
    const info = await r.redis.info('commandstats');
    const afterCombined = await dumpAll(r.redis);

    await r.redis.flushall();
    await seed(newRdb(r.redis).rdb);
    await r.redis.config('RESETSTAT');
    const single = await run(newRdb(r.redis).rdb, true);
    const singleCalls = evalCalls(await r.redis.info('commandstats'));
    expect(combined).toEqual(single);
    expect(afterCombined).toEqual(await dumpAllSince(r.redis, afterCombined)); // same TTLs up to the second boundary
    expect(single.got.filter((x) => x !== null)).toHaveLength(5);
    expect(single.bad.filter((b) => b.id !== undefined).map((b) => b.id)).toEqual(['junk', 'nomsg', 'str', 'ghost']);
    expect(single.bad.filter((b) => b.id === undefined).map((b) => b.queue)).toEqual(['e', 'e', 'e']);
    // One dequeueAny call per dequeue, however many queues it tried, plus one per pending id moved
    // aside (the queue again from there) and a moveAside call for the undecodable msg; after a
    // WRONGTYPE reply one dequeue call per queue from the bad queue on.
    expect(evalCalls(info)).toBe(31);
    expect(singleCalls).toBe(43);
    expect(await r.redis.zrange(keys.corruptKey('c'), 0, -1)).toEqual(expect.arrayContaining(['ghost', 'str', 'nomsg', 'junk']));
    expect(await r.redis.lrange(keys.activeKey('c'), 0, -1)).not.toContain('ghost');
  });
});

describe('the dequeue scripts on an idle or paused queue', () => {
  it('an empty queue costs one command (LINDEX), with one queue or several', async () => {
    const {rdb} = newRdb(r.redis);
    for (const order of [['x'], ['x', 'y', 'z']]) {
      await r.redis.config('RESETSTAT');
      expect(await rdb.dequeue(order, 60_000)).toBeNull();
      const info = await r.redis.info('commandstats');
      const calls = (cmd: string): number => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      expect({lindex: calls('lindex'), exists: calls('exists'), scripts: evalCalls(info)}).toEqual({lindex: order.length, exists: 0, scripts: 1});
    }
  });

  it('a paused queue answers nothing, also when its pending key holds another type (no WRONGTYPE)', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.set(keys.pendingKey('p'), 'x');
    await r.redis.set(keys.pausedKey('p'), '1');
    await rdb.enqueue(makeMsg('q1', {queue: 'q'}));
    const bad: BadData[] = [];
    const before = await dumpAll(r.redis);
    expect(await rdb.dequeue(['p'], 60_000, (b) => void bad.push(b))).toBeNull();
    expect(bad).toEqual([]);
    expect(await dumpAll(r.redis)).toEqual(before);
    expect((await rdb.dequeue(['p', 'q'], 60_000, (b) => void bad.push(b)))?.msg.id).toBe('q1');
    expect(bad).toEqual([]);
    // Resumed, the string is reported as bad data and the queue skipped.
    await r.redis.del(keys.pausedKey('p'));
    expect(await rdb.dequeue(['p'], 60_000, (b) => void bad.push(b))).toBeNull();
    expect(bad.map((b) => b.queue)).toEqual(['p']);
  });
});
