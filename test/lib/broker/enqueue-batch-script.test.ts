/**
 * RDB.enqueueBatch through enqueueBatch-1.lua: runs of pending tasks of one queue go in
 * one call of up to ENQUEUE_BATCH_SIZE tasks; the Redis state must be exactly what one
 * enqueueCmd / scheduleCmd per task leaves (what Go's BatchEnqueue writes).
 */
import {describe, expect, it} from 'vitest';
import {ENQUEUE_BATCH_SIZE} from '../../../src/lib/broker/rdb.js';
import {dumpAll} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb, T0, T0_NS, taskHash} from '../../support/seed.js';

const r = useRedis();

/** 250 items: queues a and b interleaved in runs, with scheduled and past-due items among them. */
function mixedItems() {
  return Array.from({length: 250}, (_, i) => {
    const queue = i < 120 || (i >= 200 && i % 2 === 0) ? 'a' : 'b';
    const msg = makeMsg(`t${i}`, {queue});
    if (i % 37 === 5) return {msg, processAt: new Date(T0.getTime() + 60_000 + i * 1000)};
    if (i % 41 === 7) return {msg, processAt: new Date(T0.getTime() - 5000)};
    return {msg};
  });
}

async function evalCalls(): Promise<number> {
  const info = await r.redis.info('commandstats');
  return [...info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('RDB.enqueueBatch with enqueueBatch-1.lua', () => {
  it('leaves exactly the state of one enqueue or schedule per task, in order', async () => {
    const items = mixedItems();
    const batched = newRdb(r.redis).rdb;
    expect(await batched.enqueueBatch(items)).toEqual(items.map(() => null));
    const afterBatch = await dumpAll(r.redis);

    await r.redis.flushall();
    const single = newRdb(r.redis).rdb;
    for (const {msg, processAt} of items) {
      if (processAt && processAt.getTime() > T0.getTime()) await single.schedule(msg, processAt);
      else await single.enqueue(msg);
    }
    expect(afterBatch).toEqual(await dumpAll(r.redis));
    expect(await r.redis.llen('asynq:{a}:pending') + await r.redis.llen('asynq:{b}:pending')
      + await r.redis.zcard('asynq:{a}:scheduled') + await r.redis.zcard('asynq:{b}:scheduled')).toBe(250);
  });

  it(`sends one call per ${ENQUEUE_BATCH_SIZE} pending tasks of a queue`, async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueBatch([{msg: makeMsg('warm')}]);
    await r.redis.config('RESETSTAT');
    const items = Array.from({length: 2 * ENQUEUE_BATCH_SIZE + 1}, (_, i) => ({msg: makeMsg(`t${i}`)}));
    expect(await rdb.enqueueBatch(items)).toEqual(items.map(() => null));
    expect(await evalCalls()).toBe(3);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(2 * ENQUEUE_BATCH_SIZE + 2);
  });

  it('skips a task ID that exists in the middle of a call, reports it as success and writes the rest', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('dup', {type: 'first'}));
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:dup');
    const res = await rdb.enqueueBatch([{msg: makeMsg('x')}, {msg: makeMsg('dup')}, {msg: makeMsg('y')}]);
    expect(res).toEqual([null, null, null]);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:dup')).toEqual(before);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['y', 'x', 'dup']);
    expect(await taskHash(r.redis, 'default', 'y')).toEqual({msg: makeMsg('y'), state: 'pending', pending_since: T0_NS});
  });
});
