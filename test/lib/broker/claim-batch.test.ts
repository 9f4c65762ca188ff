/**
 * RDB.dequeueBatch (dequeueBatch-0.lua; finishAndClaim-9.lua per queue on a Cluster or with one
 * queue) and RDB.finishAndClaim (finishAndClaim-9.lua): claiming several tasks, and finishing
 * several tasks then claiming, in one call must take the tasks the one-at-a-time calls take
 * (dequeue() per order; done / doneUnique / markAsComplete / markAsCompleteUnique per task) and
 * leave exactly their Redis state, with the same bad-data reports and per-task errors.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import type {TaskMessage} from '../../../src/lib/base/codec.js';
import type {BadData, Dequeued, RDB} from '../../../src/lib/broker/rdb.js';
import {dumpAll, dumpAllSince} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb} from '../../support/seed.js';

const r = useRedis();

/** Queues a (paused, 2 tasks), b (empty), c (3 tasks behind 3 unusable ids), d (4 tasks), f (2 tasks). */
async function seed(rdb: RDB): Promise<void> {
  for (const [q, n] of [['a', 2], ['b', 0], ['c', 3], ['d', 4], ['f', 2]] as const) {
    for (let i = 0; i < n; i++) await rdb.enqueue(makeMsg(`${q}${i}`, {queue: q, ...(i === 1 ? {uniqueKey: `asynq:{${q}}:unique:x`} : {})}));
  }
  await r.redis.set(keys.pausedKey('a'), '1');
  await r.redis.rpush(keys.pendingKey('c'), 'ghost', 'str', 'nomsg');
  await r.redis.set(keys.taskKey('c', 'str'), 'x');
  await r.redis.hset(keys.taskKey('c', 'nomsg'), 'state', 'pending');
  await r.redis.sadd(keys.allQueues, 'b');
}

const text = (got: Dequeued[]): string[] => got.map((g) => `${g.msg.queue}/${g.msg.id}@${g.leaseExpiresAt.getTime()}`);

/** Picks of the weighted kind (each a different order of the same queues) and of the strict kind (one order). */
const WEIGHTED = [['a', 'b', 'c', 'd', 'f'], ['d', 'c', 'b', 'a', 'f'], ['b', 'a', 'f', 'd', 'c'], ['c', 'd', 'a', 'b', 'f'], ['f', 'a', 'b', 'c', 'd']];
const PICKS: Array<{name: string; orders: string[][]}> = [
  {name: 'weighted orders, 3 rounds (runs out of tasks)', orders: [...WEIGHTED, ...WEIGHTED, ...WEIGHTED]},
  {name: 'weighted orders, one round', orders: WEIGHTED},
  {name: 'one order (strict priority), 7 picks', orders: Array.from({length: 7}, () => ['a', 'c', 'f', 'd', 'b'])},
  {name: 'one queue, 3 picks', orders: [['d'], ['d'], ['d']]},
  {name: 'one queue with corrupt ids, 2 picks', orders: [['c'], ['c']]},
];

describe('RDB.dequeueBatch', () => {
  it.each(PICKS)('$name: the tasks, reports and state of one dequeue() per order', async ({orders}) => {
    for (const cluster of [false, true]) {
      await r.redis.flushall();
      await seed(newRdb(r.redis).rdb);
      const {rdb} = newRdb(r.redis);
      // A Cluster client runs the per-queue script (finishAndClaim-9.lua) or one dequeue at a time.
      if (cluster) Object.defineProperty(rdb.session, 'isCluster', {get: () => true});
      const batchBad: BadData[] = [];
      const batch = await rdb.dequeueBatch(orders, 60_000, (b) => void batchBad.push(b));
      const afterBatch = await dumpAll(r.redis);

      await r.redis.flushall();
      await seed(newRdb(r.redis).rdb);
      const single = newRdb(r.redis).rdb;
      const singleBad: BadData[] = [];
      const got: Dequeued[] = [];
      // One at a time; a weighted batch on a Cluster takes the first order's task only.
      const sameOrders = orders.every((o) => o.join() === orders[0]!.join());
      for (const order of cluster && !sameOrders ? orders.slice(0, 1) : orders) {
        const one = await single.dequeue(order, 60_000, (b) => void singleBad.push(b));
        if (!one) break;
        got.push(one);
      }
      expect(text(batch)).toEqual(text(got));
      expect(batchBad).toEqual(singleBad);
      expect(afterBatch).toEqual(await dumpAllSince(r.redis, afterBatch));
    }
  });

  it('an undecodable msg is moved aside once leased and reported; its pick yields no task, the others go on', async () => {
    const {rdb} = newRdb(r.redis);
    for (let i = 0; i < 3; i++) await rdb.enqueue(makeMsg(`t${i}`));
    await r.redis.rpush(keys.pendingKey('default'), 'junk');
    await r.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    const bad: BadData[] = [];
    const got = await rdb.dequeueBatch([['default', 'b'], ['default', 'b'], ['b', 'default']], 60_000, (b) => void bad.push(b));
    expect(got.map((g) => g.msg.id)).toEqual(['t0', 't1']);
    expect(bad).toEqual([{queue: 'default', id: 'junk', reason: expect.any(String)}]);
    expect(await r.redis.zrange(keys.corruptKey('default'), 0, -1)).toEqual(['junk']);
    expect(await r.redis.lrange(keys.activeKey('default'), 0, -1)).toEqual(['t1', 't0']);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['t2']);
  });

  it('a queue key of another Redis type ends the batch; with nothing claimed, dequeue() reports and skips that queue', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('a0', {queue: 'a'}));
    await rdb.enqueue(makeMsg('c0', {queue: 'c'}));
    await r.redis.set(keys.leaseKey('b'), 'x');
    await r.redis.rpush(keys.pendingKey('b'), 'b0');
    const bad: BadData[] = [];
    const onBad = (b: BadData): void => void bad.push(b);
    const orders = [['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b', 'c']];
    expect((await rdb.dequeueBatch(orders, 60_000, onBad)).map((g) => g.msg.id)).toEqual(['a0']);
    expect((await rdb.dequeueBatch(orders, 60_000, onBad)).map((g) => g.msg.id)).toEqual(['c0']);
    expect(bad).toEqual([{queue: 'b', reason: expect.stringMatching(/^rdb\.Dequeue: WRONGTYPE asynq:\{b\}:lease holds a string, not a zset/)}]);
    expect(await r.redis.lrange(keys.pendingKey('b'), 0, -1)).toEqual(['b0']);
  });
});

interface FinishCase {
  name: string;
  /** Tasks leased first (enqueued and dequeued), then finished in this order. */
  finish: TaskMessage[];
  /** Tasks pending behind them. */
  behind: number;
  claim: number;
  paused?: boolean;
  spoil?: (rdb: RDB) => Promise<unknown>;
}

const uniq = (id: string, over: Partial<TaskMessage> = {}): TaskMessage =>
  makeMsg(id, {uniqueKey: `asynq:{default}:unique:task:${id}:x`, uniqueKeyDeadline: 0, ...over});

const FINISH: FinishCase[] = [
  {name: 'done, doneUnique, markAsComplete, markAsCompleteUnique; claim 4 of 3',
    finish: [makeMsg('t1'), uniq('t2'), makeMsg('t3', {retention: 3600}), uniq('t4', {retention: 60})], behind: 3, claim: 4},
  {name: 'finish only', finish: [makeMsg('t1'), makeMsg('t2', {retention: 60})], behind: 2, claim: 0},
  {name: 'claim only', finish: [], behind: 3, claim: 2},
  {name: 'queue paused', finish: [makeMsg('t1')], behind: 2, claim: 2, paused: true},
  {name: 'NOT FOUND (hash gone, not active), INTERNAL (already completed) among good ones',
    finish: [makeMsg('t1'), makeMsg('t2'), makeMsg('t3', {retention: 60}), makeMsg('t4'), makeMsg('t5')], behind: 2, claim: 2,
    spoil: async (rdb) => {
      await rdb.client.del(keys.taskKey('default', 't2'));
      await rdb.client.zadd(keys.completedKey('default'), 1, 't3');
      await rdb.client.lrem(keys.activeKey('default'), 0, 't4');
    }},
  {name: 'unusable pending ids behind (moved aside, the claim goes on)', finish: [makeMsg('t1')], behind: 2, claim: 3,
    spoil: async (rdb) => {
      await rdb.client.lpush(keys.pendingKey('default'), 'ghost', 'str');
      await rdb.client.set(keys.taskKey('default', 'str'), 'x');
      await rdb.client.rpush(keys.pendingKey('default'), 'nomsg');
      await rdb.client.hset(keys.taskKey('default', 'nomsg'), 'state', 'pending');
    }},
  {name: 'corrupt_reasons key a string (WRONGTYPE: finished, nothing claimed)', finish: [uniq('t1')], behind: 1, claim: 1,
    spoil: (rdb) => rdb.client.set(keys.corruptReasonsKey('default'), 'x')},
  {name: 'processed counter a hash (WRONGTYPE for each finish, after its removal from active)', finish: [makeMsg('t1'), makeMsg('t2')], behind: 1, claim: 1,
    spoil: (rdb) => rdb.client.hset(keys.processedTotalKey('default'), 'x', '1')},
];

async function arrange(c: FinishCase): Promise<RDB> {
  const {rdb} = newRdb(r.redis);
  for (const m of c.finish) {
    if (m.uniqueKey) await rdb.enqueueUnique(m, 300);
    else await rdb.enqueue(m);
  }
  for (let i = 0; i < c.behind; i++) await rdb.enqueue(makeMsg(`next${i}`));
  for (const _ of c.finish) await rdb.dequeue(['default']);
  if (c.paused) await r.redis.set(keys.pausedKey('default'), '1');
  await c.spoil?.(rdb);
  return rdb;
}

/** The error's class and message (without the script position Redis adds to an error raised inside a script). */
const errName = (e: unknown): string => (e instanceof Error ? `${e.constructor.name}: ${e.message.replace(/ script: \w+, on @user_script:\d+\.$/, '')}` : 'ok');

describe('RDB.finishAndClaim', () => {
  it.each(FINISH)('$name: the results and state of the separate scripts', async (c) => {
    const batchBad: BadData[] = [];
    const batch = await (await arrange(c)).finishAndClaim('default', c.finish, c.claim, 60_000, (b) => void batchBad.push(b));
    const afterBatch = await dumpAll(r.redis);

    await r.redis.flushall();
    const rdb = await arrange(c);
    const errors: string[] = [];
    for (const m of c.finish) {
      try {
        await (m.retention > 0 ? rdb.markAsComplete(m) : rdb.done(m));
        errors.push('ok');
      } catch (err) {
        errors.push(errName(err));
      }
    }
    const separateBad: BadData[] = [];
    const got: Dequeued[] = [];
    for (let i = 0; i < c.claim; i++) {
      const one = await rdb.dequeue(['default'], 60_000, (b) => void separateBad.push(b));
      if (!one) break;
      got.push(one);
    }
    expect(batch.errors.map(errName)).toEqual(errors);
    expect(text(batch.claimed)).toEqual(text(got));
    expect(batchBad).toEqual(separateBad);
    expect(afterBatch).toEqual(await dumpAllSince(r.redis, afterBatch));
    if (c.name.startsWith('NOT FOUND')) expect(errors.filter((e) => e !== 'ok')).toHaveLength(3);
    if (c.name.startsWith('unusable')) expect(separateBad.map((b) => b.id)).toEqual(['nomsg', 'ghost', 'str']);
  });
});
