import {afterEach, describe, expect, it, vi} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {SimulatedClock, unixNanosString, unixSeconds} from '../../src/lib/clock.js';
import {Forwarder} from '../../src/lib/forwarder.js';
import {silentLogger} from '../../src/lib/logger.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {makeMsg, readMsg, seedRetry, seedScheduled, zsetEntries} from '../support/seed.js';

const r = useRedis();
const T0 = new Date('2026-03-01T12:00:00.250Z');

function setup(queues = ['default']) {
  const clock = new SimulatedClock(T0);
  const rdb = new RDB(r.redis, {clock});
  const logger = recordingLogger();
  const forwarder = new Forwarder({logger, rdb, queues, intervalMs: 5000});
  return {clock, rdb, logger, forwarder};
}

const ago = (s: number): Date => new Date(T0.getTime() - s * 1000);

describe('Forwarder.exec', () => {
  it('moves due scheduled tasks to pending with state pending and pending_since = now, leaves future ones', async () => {
    // Given
    const {forwarder} = setup();
    await seedScheduled(r.redis, [
      {msg: makeMsg('s1'), score: ago(10)},
      {msg: makeMsg('s2'), score: ago(0)},
      {msg: makeMsg('s3'), score: ago(-1)},
    ]);
    // When
    await forwarder.exec();
    // Then: oldest first through LPUSH, so the oldest is at the tail (next to dequeue)
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['s2', 's1']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['s3', unixSeconds(T0) + 1]]);
    for (const id of ['s1', 's2']) {
      expect(await r.redis.hgetall(`asynq:{default}:t:${id}`)).toMatchObject({state: 'pending', pending_since: unixNanosString(T0)});
      expect(await readMsg(r.redis, 'default', id)).toEqual(makeMsg(id));
    }
    expect(await r.redis.hgetall('asynq:{default}:t:s3')).toEqual({msg: expect.any(String), state: 'scheduled'});
  });

  it('moves due retry tasks to pending too', async () => {
    const {forwarder} = setup();
    const m = makeMsg('r1', {retried: 2, errorMsg: 'boom', lastFailedAt: unixSeconds(ago(60))});
    await seedRetry(r.redis, [{msg: m, score: ago(1)}, {msg: makeMsg('r2'), score: ago(-30)}]);
    await forwarder.exec();
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['r1']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['r2', unixSeconds(T0) + 30]]);
    expect(await r.redis.hget('asynq:{default}:t:r1', 'state')).toBe('pending');
    expect(await r.redis.hget('asynq:{default}:t:r1', 'pending_since')).toBe(unixNanosString(T0));
    expect(await readMsg(r.redis, 'default', 'r1')).toEqual(m);
  });

  it('forwards a task once the clock reaches its time, not before', async () => {
    const {forwarder, clock} = setup();
    await seedScheduled(r.redis, [{msg: makeMsg('later'), score: new Date(T0.getTime() + 5000)}]);
    await forwarder.exec();
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(0);
    clock.advance(5000);
    await forwarder.exec();
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['later']);
    expect(await r.redis.hget('asynq:{default}:t:later', 'pending_since')).toBe(unixNanosString(clock.now()));
  });

  it('moves more than 100 due tasks of both sets in one round', async () => {
    const {forwarder} = setup();
    for (let i = 0; i < 250; i++) await seedScheduled(r.redis, [{msg: makeMsg(`s${i}`), score: ago(1000 - i)}]);
    for (let i = 0; i < 130; i++) await seedRetry(r.redis, [{msg: makeMsg(`r${i}`), score: ago(500 - i)}]);
    await forwarder.exec();
    expect(await r.redis.exists('asynq:{default}:scheduled', 'asynq:{default}:retry')).toBe(0);
    const pending = await r.redis.lrange('asynq:{default}:pending', 0, -1);
    expect(pending).toHaveLength(380);
    // scheduled first (in score order), then retry: the first forwarded sits at the tail
    expect(pending.at(-1)).toBe('s0');
    expect(pending.at(-250)).toBe('s249');
    expect(pending[0]).toBe('r129');
  });

  it('only looks at its own queues', async () => {
    const {forwarder} = setup(['default', 'critical']);
    await seedScheduled(r.redis, [
      {msg: makeMsg('c1', {queue: 'critical'}), score: ago(5)},
      {msg: makeMsg('o1', {queue: 'other'}), score: ago(5)},
    ]);
    await seedRetry(r.redis, [{msg: makeMsg('o2', {queue: 'other'}), score: ago(5)}]);
    await forwarder.exec();
    expect(await r.redis.lrange('asynq:{critical}:pending', 0, -1)).toEqual(['c1']);
    expect(await r.redis.exists('asynq:{other}:pending')).toBe(0);
    expect(await r.redis.zcard('asynq:{other}:scheduled')).toBe(1);
    expect(await r.redis.zcard('asynq:{other}:retry')).toBe(1);
    expect(await r.redis.hget('asynq:{other}:t:o1', 'state')).toBe('scheduled');
  });

  it('puts a due retry task whose hash has a group back into its group (state aggregating, no SADD groups)', async () => {
    const {forwarder} = setup();
    await seedRetry(r.redis, [{msg: makeMsg('g1', {groupKey: 'batch'}), score: ago(3)}]);
    await r.redis.hset('asynq:{default}:t:g1', 'group', 'batch');
    await forwarder.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', unixSeconds(T0)]]);
    expect(await r.redis.hget('asynq:{default}:t:g1', 'state')).toBe('aggregating');
    expect(await r.redis.exists('asynq:{default}:groups', 'asynq:{default}:pending', 'asynq:{default}:retry')).toBe(0);
  });

  it('logs a Redis failure at error level and does not throw', async () => {
    const logger = recordingLogger();
    const forwarder = new Forwarder({logger, rdb: {forwardIfReady: () => Promise.reject(new Error('connection lost'))}, queues: ['default'], intervalMs: 5000});
    await expect(forwarder.exec()).resolves.toBeUndefined();
    expect(logger.lines).toEqual([['error', 'Failed to forward scheduled tasks: connection lost']]);
  });
});

describe('Forwarder lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('first forwards after one interval, then every interval, and stops on shutdown', async () => {
    vi.useFakeTimers();
    const calls: string[][] = [];
    const logger = recordingLogger();
    const forwarder = new Forwarder({logger, rdb: {forwardIfReady: async (q) => { calls.push(q); return 0; }}, queues: ['a', 'b'], intervalMs: 5000});
    forwarder.start();
    forwarder.start();
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([['a', 'b']]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);
    await forwarder.shutdown();
    await forwarder.shutdown();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
    expect(logger.lines).toEqual([['debug', 'Forwarder shutting down...'], ['debug', 'Forwarder done']]);
  });

  it('shutdown before start is harmless and start afterwards does nothing', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const forwarder = new Forwarder({logger: silentLogger, rdb: {forwardIfReady: async () => { calls++; return 0; }}, queues: ['a'], intervalMs: 10});
    await forwarder.shutdown();
    forwarder.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(0);
  });
});
