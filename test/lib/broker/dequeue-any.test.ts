/**
 * RDB.dequeue over several queues outside a Cluster: one dequeueAny-0.lua call. It must take the
 * task the per-queue dequeue calls (dequeue-4.lua, Go's dequeueCmd) would take, in the same queue
 * order, and leave exactly their Redis state, including paused queues, empty queues and a popped
 * id without hash (left in active and lease, as Go; the next queue is tried).
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import type {RDB} from '../../../src/lib/broker/rdb.js';
import {dumpAll} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb} from '../../support/seed.js';

const r = useRedis();

async function seed(rdb: RDB): Promise<void> {
  for (const [q, n] of [['a', 2], ['b', 0], ['c', 3], ['d', 2]] as const) {
    for (let i = 0; i < n; i++) await rdb.enqueue(makeMsg(`${q}${i}`, {queue: q}));
  }
  await r.redis.set(keys.pausedKey('a'), '1');
  // An id without hash at the head of c.
  await r.redis.rpush(keys.pendingKey('c'), 'ghost');
  await r.redis.sadd(keys.allQueues, 'b');
}

const ORDERS = [['a', 'b', 'c', 'd'], ['d', 'c', 'b', 'a'], ['b', 'a', 'd', 'c'], ['c', 'd', 'a', 'b'], ['a', 'b', 'c', 'd'], ['b', 'd']];

async function run(rdb: RDB, oneByOne: boolean): Promise<Array<string | null>> {
  const got: Array<string | null> = [];
  for (const order of [...ORDERS, ...ORDERS]) {
    let res = null;
    if (oneByOne) {
      for (const q of order) if ((res = await rdb.dequeue([q], 60_000))) break;
    } else {
      res = await rdb.dequeue(order, 60_000);
    }
    got.push(res ? `${res.msg.queue}/${res.msg.id}@${res.leaseExpiresAt.getTime()}` : null);
  }
  return got;
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
    const single = await run(newRdb(r.redis).rdb, true);
    expect(combined).toEqual(single);
    expect(afterCombined).toEqual(await dumpAll(r.redis));
    expect(single.filter((x) => x !== null)).toHaveLength(5);
    // One script call per dequeue: 12 calls, however many queues each tried.
    const calls = [...info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(calls).toBe(12);
    expect(await r.redis.lrange(keys.activeKey('c'), 0, -1)).toContain('ghost');
  });
});
