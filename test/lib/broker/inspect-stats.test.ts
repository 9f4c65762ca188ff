import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {QueueNotFoundError, ValidationError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {dumpAll, dumpAllSince, keyTypes} from '../../support/dump.js';
import {
  makeMsg, seedActive, seedArchived, seedCompleted, seedGroup, seedPending, seedRetry, seedScheduled,
} from '../../support/seed.js';

const r = useRedis();

const NOW = new Date('2026-03-10T12:00:00.500Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);

function setup(now: Date = NOW): {clock: SimulatedClock; insp: RDBInspector} {
  const clock = new SimulatedClock(now);
  return {clock, insp: new RDBInspector(new RDB(r.redis, {clock}))};
}

describe('RDBInspector.allQueues / queueExists', () => {
  it('returns the members of asynq:queues', async () => {
    const {insp} = setup();
    expect(await insp.allQueues()).toEqual([]);
    await r.redis.sadd('asynq:queues', 'default', 'critical');
    expect((await insp.allQueues()).sort()).toEqual(['critical', 'default']);
    expect(await insp.queueExists('critical')).toBe(true);
    expect(await insp.queueExists('low')).toBe(false);
  });
});

describe('RDBInspector.currentStats', () => {
  it('fails with QueueNotFoundError for a queue not in asynq:queues, writing nothing', async () => {
    const {insp} = setup();
    await r.redis.lpush('asynq:{ghost}:pending', 'x');
    const before = await dumpAll(r.redis);
    const err = await insp.currentStats('ghost').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueNotFoundError);
    expect((err as Error).message).toBe('queue "ghost" does not exist');
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });

  it('counts every state, today\'s and total counters, groups, paused and latency', async () => {
    const {insp} = setup();
    const today = '2026-03-10';
    await seedPending(r.redis, [
      {msg: makeMsg('p-oldest'), pendingSince: new Date(NOW.getTime() - 12_345)},
      {msg: makeMsg('p-newer'), pendingSince: new Date(NOW.getTime() - 1_000)},
    ]);
    await seedActive(r.redis, [{msg: makeMsg('a1'), score: NOW_S + 30}]);
    await seedScheduled(r.redis, [{msg: makeMsg('s1'), score: NOW_S + 60}]);
    await seedRetry(r.redis, [{msg: makeMsg('r1'), score: NOW_S + 60}, {msg: makeMsg('r2'), score: NOW_S + 90}]);
    await seedArchived(r.redis, [{msg: makeMsg('x1'), score: NOW_S - 60}]);
    await seedCompleted(r.redis, [{msg: makeMsg('c1'), score: NOW_S + 3600}]);
    await seedGroup(r.redis, 'g1', [{msg: makeMsg('g1a'), score: NOW_S}, {msg: makeMsg('g1b'), score: NOW_S}]);
    await seedGroup(r.redis, 'g2', [{msg: makeMsg('g2a'), score: NOW_S}]);
    await r.redis.set(`asynq:{default}:processed:${today}`, 5);
    await r.redis.set(`asynq:{default}:failed:${today}`, 2);
    await r.redis.set('asynq:{default}:processed:2026-03-09', 50);
    await r.redis.set('asynq:{default}:processed', 100);
    await r.redis.set('asynq:{default}:failed', 7);
    await r.redis.set('asynq:{default}:paused', NOW_S - 5);
    const before = await dumpAll(r.redis);

    const stats = await insp.currentStats('default');

    expect(stats).toEqual({
      queue: 'default',
      memoryUsage: expect.any(Number),
      paused: true,
      size: 2 + 1 + 1 + 2 + 1 + 1 + 3,
      groups: 2,
      pending: 2,
      active: 1,
      scheduled: 1,
      retry: 2,
      archived: 1,
      completed: 1,
      aggregating: 3,
      processed: 5,
      failed: 2,
      processedTotal: 100,
      failedTotal: 7,
      latencyMs: 12_345,
      timestamp: NOW,
    });
    expect(stats.memoryUsage).toBeGreaterThan(0);
    expect(await dumpAllSince(r.redis, before)).toEqual(before); // a pure read
  });

  it('reads latency 0 when the oldest pending task has no pending_since (requeued or run task)', async () => {
    const {insp} = setup();
    await seedPending(r.redis, [
      {msg: makeMsg('tail'), pendingSince: null},
      {msg: makeMsg('head'), pendingSince: new Date(NOW.getTime() - 60_000)},
    ]);
    const stats = await insp.currentStats('default');
    expect(stats.pending).toBe(2);
    expect(stats.latencyMs).toBe(0);
    expect(stats.groups).toBe(0);
    expect(stats.aggregating).toBe(0);
  });

  it('reports an unpaused, empty registered queue as all zeros', async () => {
    const {insp} = setup();
    await r.redis.sadd('asynq:queues', 'empty');
    expect(await insp.currentStats('empty')).toEqual({
      queue: 'empty', memoryUsage: 0, paused: false, size: 0, groups: 0, pending: 0, active: 0, scheduled: 0,
      retry: 0, archived: 0, completed: 0, aggregating: 0, processed: 0, failed: 0, processedTotal: 0,
      failedTotal: 0, latencyMs: 0, timestamp: NOW,
    });
  });

  it('does not fail on a dangling id (no task hash) or a listed group whose zset is empty', async () => {
    const {insp} = setup();
    await seedPending(r.redis, [{msg: makeMsg('real'), pendingSince: new Date(NOW.getTime() - 5000)}]);
    await r.redis.rpush('asynq:{default}:pending', 'dangling'); // at the tail: the "oldest" task
    await r.redis.zadd('asynq:{default}:scheduled', NOW_S, 'dangling-scheduled');
    await r.redis.sadd('asynq:{default}:groups', 'empty-group');
    const stats = await insp.currentStats('default');
    expect(stats.pending).toBe(2);
    expect(stats.scheduled).toBe(1);
    expect(stats.groups).toBe(1);
    expect(stats.aggregating).toBe(0);
    expect(stats.latencyMs).toBe(0); // the tail has no hash: latency unknown
    expect(Number.isFinite(stats.memoryUsage)).toBe(true);
    expect(stats.memoryUsage).toBeGreaterThan(0);
  });

  it('estimates memory as Go: average of the first 20 sampled hashes x length + the structure itself', async () => {
    const {insp} = setup();
    const items = Array.from({length: 45}, (_, i) => ({
      msg: makeMsg(`t${i}`, {payload: Buffer.alloc(i * 40, 'x')}), // sizes differ, so the sample matters
    }));
    await seedPending(r.redis, items);
    const sample = await r.redis.lrange('asynq:{default}:pending', 0, 19);
    let total = 0;
    for (const id of sample) total += Number(await r.redis.call('MEMORY', 'USAGE', `asynq:{default}:t:${id}`));
    const own = Number(await r.redis.call('MEMORY', 'USAGE', 'asynq:{default}:pending'));
    const expected = Math.floor((total / 20) * 45 + own);
    expect((await insp.currentStats('default')).memoryUsage).toBe(expected);
  });
});

describe('RDBInspector.historicalStats', () => {
  it('rejects a day count below 1 (or not an integer) before touching Redis', async () => {
    const {insp} = setup();
    for (const n of [0, -1, 1.5]) {
      const err = await insp.historicalStats('nope', n).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toBe('the number of days must be positive');
    }
  });

  it('fails with QueueNotFoundError for an unknown queue', async () => {
    const {insp} = setup();
    await expect(insp.historicalStats('nope', 3)).rejects.toBeInstanceOf(QueueNotFoundError);
  });

  it('returns n UTC days, today first, missing days as 0', async () => {
    // 00:30 UTC: yesterday is another month in UTC (a local-time date would differ in many zones).
    const now = new Date('2026-03-01T00:30:00Z');
    const {insp} = setup(now);
    await r.redis.sadd('asynq:queues', 'q');
    await r.redis.set('asynq:{q}:processed:2026-03-01', 10);
    await r.redis.set('asynq:{q}:failed:2026-03-01', 3);
    await r.redis.set('asynq:{q}:processed:2026-02-27', 4);
    await r.redis.set('asynq:{q}:processed:2026-02-26', 99); // outside the window
    const before = await dumpAll(r.redis);

    const days = await insp.historicalStats('q', 3);

    const day = 24 * 3600 * 1000;
    expect(days).toEqual([
      {queue: 'q', date: '2026-03-01', processed: 10, failed: 3, time: now},
      {queue: 'q', date: '2026-02-28', processed: 0, failed: 0, time: new Date(now.getTime() - day)},
      {queue: 'q', date: '2026-02-27', processed: 4, failed: 0, time: new Date(now.getTime() - 2 * day)},
    ]);
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });
});

describe('RDBInspector.groupStats', () => {
  it('lists every group with its size, without a queue-existence check (as Go)', async () => {
    const {insp} = setup();
    expect(await insp.groupStats('default')).toEqual([]);
    await seedGroup(r.redis, 'a', [{msg: makeMsg('1'), score: NOW_S}, {msg: makeMsg('2'), score: NOW_S}]);
    await seedGroup(r.redis, 'b', [{msg: makeMsg('3'), score: NOW_S}]);
    await r.redis.srem('asynq:queues', 'default');
    const stats = await insp.groupStats('default');
    expect(stats.sort((x, y) => x.group.localeCompare(y.group))).toEqual([{group: 'a', size: 2}, {group: 'b', size: 1}]);
    expect(await keyTypes(r.redis)).not.toHaveProperty('asynq:queues');
  });
});
