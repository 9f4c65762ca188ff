/** RDB.forwardIfReady and deleteExpiredCompletedTasks (Go rdb.go forwardCmd, deleteExpiredCompletedTasksCmd, and their group quirks). */
import {describe, expect, it} from 'vitest';
import {dumpAll, keyTypes, type KeyDump} from '../../support/dump.js';
import type {RDB} from '../../../src/lib/broker/rdb.js';
import {WrongTypeError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {ValidationError} from '../../../src/lib/errors.js';
import {enqueueAndDequeue, makeMsg, newRdb, T0, T0_NS, T0_S, taskHash, zsetEntries} from '../../support/seed.js';

const r = useRedis();
const at = (s: number): Date => new Date((T0_S + s) * 1000);

/** Due and future tasks in 3 queues, both sets, a group task, 1,200 due in one queue (past the per-call budget). */
async function seedForward(rdb: RDB): Promise<void> {
  for (let i = 0; i < 1_200; i++) await rdb.schedule(makeMsg(`big${i}`, {queue: 'big'}), at(i % 9));
  for (const q of ['a', 'b']) {
    for (let i = 0; i < 5; i++) await rdb.schedule(makeMsg(`${q}s${i}`, {queue: q}), at(i * 3));
    await enqueueAndDequeue(rdb, makeMsg(`${q}r`, {queue: q}));
    await rdb.retry(makeMsg(`${q}r`, {queue: q}), at(4), 'boom', true);
  }
  await rdb.addToGroup(makeMsg('g1', {queue: 'b', groupKey: 'batch'}), 'batch');
  await r.redis.zrem('asynq:{b}:g:batch', 'g1');
  await r.redis.del('asynq:{b}:groups');
  await r.redis.hset('asynq:{b}:t:g1', 'state', 'retry');
  await r.redis.zadd('asynq:{b}:retry', T0_S + 2, 'g1');
}

describe('RDB.forwardIfReady outside a Cluster: one forwardAll-0.lua call for every queue', () => {
  it('leaves exactly the state of forward-2.lua called per queue and set until it moves nothing (Go forwarder)', async () => {
    const queues = ['a', 'big', 'b', 'empty'];
    const one = newRdb(r.redis);
    await seedForward(one.rdb);
    one.clock.set(at(7));
    await r.redis.config('RESETSTAT');
    const moved = await one.rdb.forwardIfReady(queues);
    const stats = await r.redis.info('commandstats');
    const calls = [...stats.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    // The daily counters of the seeding's retries expire at a fixed time, so their TTLs count down
    // between the two runs; they are the seeding's, not the forwarder's.
    const noCounters = (d: KeyDump[]): KeyDump[] => d.filter((k) => !/:(processed|failed):\d{4}-/.test(k.key));
    const batched = noCounters(await dumpAll(r.redis));
    await r.redis.flushdb();
    const per = newRdb(r.redis);
    await seedForward(per.rdb);
    per.clock.set(at(7));
    let perMoved = 0;
    for (const q of queues) {
      for (const set of ['scheduled', 'retry']) {
        for (;;) {
          const n = Number(await per.rdb.runner.run('forward', [`asynq:{${q}}:${set}`, `asynq:{${q}}:pending`],
            [T0_S + 7, `asynq:{${q}}:t:`, ((BigInt(T0_S + 7) * 1_000_000_000n)).toString(), `asynq:{${q}}:g:`]));
          perMoved += n;
          if (n === 0) break;
        }
      }
    }
    expect(moved).toBe(perMoved);
    expect(moved).toBeGreaterThan(1_000);
    expect(batched).toEqual(noCounters(await dumpAll(r.redis)));
    // 1,0xx tasks: the budget of 1,000 per call makes it two calls, not one per queue and set.
    expect(calls).toBe(2);
  });

  it('a queue whose retry key holds another type is skipped; the others are forwarded, then the round rejects', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.schedule(makeMsg('x1', {queue: 'x'}), at(1));
    await rdb.schedule(makeMsg('z1', {queue: 'z'}), at(1));
    await r.redis.set('asynq:{y}:retry', 'not a zset');
    clock.set(at(5));
    await expect(rdb.forwardIfReady(['x', 'y', 'z'])).rejects.toBeInstanceOf(WrongTypeError);
    expect(await r.redis.lrange('asynq:{x}:pending', 0, -1)).toEqual(['x1']);
    expect(await r.redis.lrange('asynq:{z}:pending', 0, -1)).toEqual(['z1']);
    expect(await r.redis.get('asynq:{y}:retry')).toBe('not a zset');
  });

  it('a due task whose task key holds another type stays in its set; the other tasks and queues are forwarded, then the round rejects', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.schedule(makeMsg('x0', {queue: 'x'}), at(0));
    for (let i = 1; i <= 150; i++) await rdb.schedule(makeMsg(`x${i}`, {queue: 'x'}), at(1));
    await rdb.schedule(makeMsg('z1', {queue: 'z'}), at(1));
    // The oldest due task of x: its task key is a string.
    await r.redis.del('asynq:{x}:t:x0');
    await r.redis.set('asynq:{x}:t:x0', 'not a hash');
    clock.set(at(5));
    await expect(rdb.forwardIfReady(['x', 'z'])).rejects.toBeInstanceOf(WrongTypeError);
    expect((await r.redis.lrange('asynq:{x}:pending', 0, -1)).sort()).toEqual(Array.from({length: 150}, (_, i) => `x${i + 1}`).sort());
    expect(await r.redis.lrange('asynq:{z}:pending', 0, -1)).toEqual(['z1']);
    expect(await zsetEntries(r.redis, 'asynq:{x}:scheduled')).toEqual([['x0', T0_S]]);
    expect(await r.redis.get('asynq:{x}:t:x0')).toBe('not a hash');
  });
});

describe('RDB.forwardIfReady', () => {
  it('moves due scheduled tasks to pending with a fresh pending_since, leaving future ones', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.schedule(makeMsg('s1'), at(10));
    await rdb.schedule(makeMsg('s2'), at(20));
    await rdb.schedule(makeMsg('s3'), at(21));
    clock.set(new Date(T0.getTime() + 20_000));
    expect(await rdb.forwardIfReady(['default'])).toBe(2);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['s2', 's1']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['s3', T0_S + 21]]);
    const ns = (BigInt(T0.getTime() + 20_000) * 1_000_000n).toString();
    for (const id of ['s1', 's2']) {
      expect(await taskHash(r.redis, 'default', id)).toEqual({msg: makeMsg(id), state: 'pending', pending_since: ns});
    }
    expect(await taskHash(r.redis, 'default', 's3')).toEqual({msg: expect.anything(), state: 'scheduled'});
  });

  it('moves due retry tasks back to pending', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('r1'));
    await rdb.retry(makeMsg('r1'), at(30), 'boom', true);
    clock.set(at(29));
    expect(await rdb.forwardIfReady(['default'])).toBe(0);
    clock.set(at(30));
    expect(await rdb.forwardIfReady(['default'])).toBe(1);
    expect(await r.redis.exists('asynq:{default}:retry')).toBe(0);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['r1']);
    const h = await taskHash(r.redis, 'default', 'r1');
    expect(h).toEqual({msg: expect.anything(), state: 'pending', pending_since: (BigInt((T0_S + 30) * 1000) * 1_000_000n).toString()});
    expect(h.msg.errorMsg).toBe('boom');
  });

  it('forwards more than 100 due tasks of several queues and both sets in one call', async () => {
    const {rdb, clock} = newRdb(r.redis);
    for (let i = 0; i < 250; i++) await rdb.schedule(makeMsg(`s${i}`), at(i % 7));
    for (let i = 0; i < 130; i++) await rdb.schedule(makeMsg(`q${i}`, {queue: 'q2'}), at(1));
    await r.redis.zadd('asynq:{q2}:retry', T0_S, 'rx');
    await r.redis.hset('asynq:{q2}:t:rx', 'msg', 'x', 'state', 'retry');
    clock.set(at(10));
    expect(await rdb.forwardIfReady(['default', 'q2'])).toBe(381);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(250);
    expect(await r.redis.llen('asynq:{q2}:pending')).toBe(131);
    expect(await r.redis.exists('asynq:{default}:scheduled', 'asynq:{q2}:scheduled', 'asynq:{q2}:retry')).toBe(0);
    // In score order: the earliest-due tasks are pushed first, so they sit at the tail (dequeued first).
    expect(await r.redis.lindex('asynq:{default}:pending', -1)).toMatch(/^s\d+$/);
    expect(Number((await r.redis.lindex('asynq:{default}:pending', -1))!.slice(1)) % 7).toBe(0);
  });

  it('moves at most 100 tasks per script call (the loop does the rest)', async () => {
    const {rdb, clock} = newRdb(r.redis);
    for (let i = 0; i < 150; i++) await rdb.schedule(makeMsg(`s${i}`), at(1));
    clock.set(at(5));
    const call = () => rdb.runner.run('forward', ['asynq:{default}:scheduled', 'asynq:{default}:pending'],
      [T0_S + 5, 'asynq:{default}:t:', T0_NS, 'asynq:{default}:g:']);
    expect(await call()).toBe(100);
    expect(await r.redis.zcard('asynq:{default}:scheduled')).toBe(50);
    expect(await call()).toBe(50);
    expect(await call()).toBe(0);
  });

  it('forwards a retry task whose hash has a group into g:<group> with score now, without SADD to groups', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.addToGroup(makeMsg('g1', {groupKey: 'batch'}), 'batch');
    // Move it to retry by hand, as the aggregated path would leave it (group field kept).
    await r.redis.zrem('asynq:{default}:g:batch', 'g1');
    await r.redis.del('asynq:{default}:groups');
    await r.redis.hset('asynq:{default}:t:g1', 'state', 'retry');
    await r.redis.zadd('asynq:{default}:retry', T0_S + 5, 'g1');
    clock.set(at(8));
    expect(await rdb.forwardIfReady(['default'])).toBe(1);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', T0_S + 8]]);
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:g:batch': 'zset',
      'asynq:{default}:t:g1': 'hash',
    });
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: expect.anything(), state: 'aggregating', group: 'batch'});
  });

  it('sends a scheduled task with a group key in its message to pending (no group field, Go quirk of scheduleCmd)', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.schedule(makeMsg('s1', {groupKey: 'batch'}), at(60));
    clock.set(at(60));
    expect(await rdb.forwardIfReady(['default'])).toBe(1);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['s1']);
    expect(await r.redis.exists('asynq:{default}:g:batch')).toBe(0);
  });

  it('does nothing for queues without due tasks', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('p'));
    const before = await keyTypes(r.redis);
    expect(await rdb.forwardIfReady(['default', 'none'])).toBe(0);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect((await taskHash(r.redis, 'default', 'p')).pending_since).toBe(T0_NS);
  });
});

describe('RDB.deleteExpiredCompletedTasks', () => {
  it('deletes completed tasks whose expiry is at or before now, in batches, and keeps the rest', async () => {
    const {rdb, clock} = newRdb(r.redis);
    for (let i = 0; i < 7; i++) {
      await enqueueAndDequeue(rdb, makeMsg(`c${i}`, {retention: 10 + i}));
      await rdb.markAsComplete(makeMsg(`c${i}`, {retention: 10 + i}));
    }
    clock.set(at(13));
    expect(await rdb.deleteExpiredCompletedTasks('default', 2)).toBe(4);
    expect((await zsetEntries(r.redis, 'asynq:{default}:completed')).map(([id]) => id)).toEqual(['c4', 'c5', 'c6']);
    for (let i = 0; i < 4; i++) expect(await r.redis.exists(`asynq:{default}:t:c${i}`)).toBe(0);
    expect((await taskHash(r.redis, 'default', 'c4')).state).toBe('completed');
    expect(await rdb.deleteExpiredCompletedTasks('default', 100)).toBe(0);
    clock.set(at(100));
    expect(await rdb.deleteExpiredCompletedTasks('default', 100)).toBe(3);
    expect((await r.redis.keys('asynq:{default}:t:*'))).toEqual([]);
    expect(await r.redis.exists('asynq:{default}:completed')).toBe(0);
  });

  it('rejects a batch size below 1', async () => {
    const {rdb} = newRdb(r.redis);
    await expect(rdb.deleteExpiredCompletedTasks('default', 0)).rejects.toBeInstanceOf(ValidationError);
  });
});
