import {afterEach, describe, expect, it, vi} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {Janitor} from '../../src/lib/janitor.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {makeMsg, seedCompleted, zsetEntries} from '../support/seed.js';

const r = useRedis();
const T0 = new Date('2026-03-01T12:00:00.750Z');
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

function setup(queues = ['default'], batchSize = 100) {
  const clock = new SimulatedClock(T0);
  const rdb = new RDB(r.redis, {clock});
  const logger = recordingLogger();
  const janitor = new Janitor({logger, rdb, queues, intervalMs: 8000, batchSize, clock});
  return {clock, janitor, logger};
}

describe('Janitor.exec', () => {
  it('deletes completed tasks whose retention ran out (hash and zset entry) and keeps the others', async () => {
    // Given: completed 1 h ago with retention 1 h (expires now), 10 s ago (expired), and one still kept
    const {janitor} = setup();
    await seedCompleted(r.redis, [
      {msg: makeMsg('now', {retention: 3600, completedAt: unixSeconds(at(-3600))}), score: at(0)},
      {msg: makeMsg('old', {retention: 60, completedAt: unixSeconds(at(-70))}), score: at(-10)},
      {msg: makeMsg('kept', {retention: 60, completedAt: unixSeconds(at(-59))}), score: at(1)},
    ]);
    // When
    await janitor.exec();
    // Then
    expect(await r.redis.exists('asynq:{default}:t:now', 'asynq:{default}:t:old')).toBe(0);
    expect(await zsetEntries(r.redis, 'asynq:{default}:completed')).toEqual([['kept', unixSeconds(at(1))]]);
    expect(await r.redis.hget('asynq:{default}:t:kept', 'state')).toBe('completed');
  });

  it('deletes a kept task once the clock passes completed_at + retention', async () => {
    const {janitor, clock} = setup();
    await seedCompleted(r.redis, [{msg: makeMsg('t1', {retention: 30}), score: at(30)}]);
    await janitor.exec();
    expect(await r.redis.exists('asynq:{default}:t:t1')).toBe(1);
    clock.advance(30_000);
    await janitor.exec();
    expect(await r.redis.exists('asynq:{default}:t:t1', 'asynq:{default}:completed')).toBe(0);
  });

  it('deletes more than one batch in one round', async () => {
    const {janitor} = setup(['default'], 3);
    for (let i = 0; i < 10; i++) await seedCompleted(r.redis, [{msg: makeMsg(`c${i}`), score: at(-i)}]);
    await seedCompleted(r.redis, [{msg: makeMsg('future'), score: at(100)}]);
    await janitor.exec();
    expect(await r.redis.keys('asynq:{default}:t:*')).toEqual(['asynq:{default}:t:future']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:completed')).toEqual([['future', unixSeconds(at(100))]]);
  });

  it('only cleans its own queues', async () => {
    const {janitor} = setup(['default', 'low']);
    await seedCompleted(r.redis, [
      {msg: makeMsg('d', {queue: 'default'}), score: at(-1)},
      {msg: makeMsg('l', {queue: 'low'}), score: at(-1)},
      {msg: makeMsg('o', {queue: 'other'}), score: at(-1)},
    ], {register: false});
    await janitor.exec();
    expect((await r.redis.keys('asynq:*')).sort()).toEqual(['asynq:{other}:completed', 'asynq:{other}:t:o']);
  });

  it('logs a failing queue at error level and still cleans the others', async () => {
    const logger = recordingLogger();
    const seen: Array<[string, number]> = [];
    const rdb = {
      deleteExpiredCompletedTasks: async (q: string, n: number) => {
        seen.push([q, n]);
        if (q === 'a') throw new Error('READONLY You can\'t write against a read only replica.');
        return 0;
      },
    };
    const janitor = new Janitor({logger, rdb, queues: ['a', 'b'], intervalMs: 8000, batchSize: 50});
    await expect(janitor.exec()).resolves.toBeUndefined();
    expect(seen).toEqual([['a', 50], ['b', 50]]);
    expect(logger.lines).toEqual([
      ['error', 'Failed to delete expired completed tasks from queue "a": READONLY You can\'t write against a read only replica.'],
    ]);
  });
});

describe('Janitor lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('first runs after one interval, then every interval, until shutdown', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const logger = recordingLogger();
    const janitor = new Janitor({logger, rdb: {deleteExpiredCompletedTasks: async () => { calls++; return 0; }}, queues: ['a'], intervalMs: 8000, batchSize: 100});
    janitor.start();
    await vi.advanceTimersByTimeAsync(7999);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(8000);
    expect(calls).toBe(2);
    await janitor.shutdown();
    await vi.advanceTimersByTimeAsync(80_000);
    expect(calls).toBe(2);
    expect(logger.lines).toEqual([['debug', 'Janitor shutting down...'], ['debug', 'Janitor done']]);
  });
});
