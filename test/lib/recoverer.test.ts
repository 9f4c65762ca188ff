import {afterEach, describe, expect, it, vi} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBGroups} from '../../src/lib/broker/groups.js';
import type {TaskMessage} from '../../src/lib/base/codec.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {LeaseExpiredError} from '../../src/lib/errors.js';
import {Recoverer, type RecovererParams} from '../../src/lib/recoverer.js';
import type {Task} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {makeMsg, noonToday, readMsg, seedActive, TODAY, zsetEntries} from '../support/seed.js';

const r = useRedis();
// Today at 12:00:00.500 UTC: daily stats keys get EXPIREAT now + 90 days from the script, so a
// simulated "now" far from the real date would make Redis expire them at once.
const T0 = noonToday(500);
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);
const NINETY_DAYS = 90 * 24 * 3600;

function setup(over: Partial<RecovererParams> = {}) {
  const clock = new SimulatedClock(T0);
  const rdb = new RDB(r.redis, {clock});
  const groups = new RDBGroups(rdb);
  const logger = recordingLogger();
  const delays: Array<{retried: number; err: unknown; task: Task}> = [];
  const recoverer = new Recoverer({
    logger, rdb, groups, queues: ['default'], intervalMs: 60_000, clock,
    retryDelayFunc: (retried, err, task) => {
      delays.push({retried, err, task});
      return 10_000 * (retried + 1);
    },
    isFailure: () => true,
    ...over,
  });
  return {clock, rdb, groups, logger, recoverer, delays};
}

async function counters(q = 'default'): Promise<Record<string, string | null>> {
  const names = [`asynq:{${q}}:processed`, `asynq:{${q}}:failed`, `asynq:{${q}}:processed:${TODAY}`, `asynq:{${q}}:failed:${TODAY}`];
  const values = await r.redis.mget(...names);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? null]));
}

describe('Recoverer.exec: lease-expired tasks', () => {
  it('retries a task whose lease expired ≥ 30 s ago with "asynq: task lease expired", retried+1 and counters', async () => {
    // Given
    const {recoverer, delays} = setup();
    const m = makeMsg('a', {retried: 1, headers: {trace: 'x1'}, payload: Buffer.from('{"n":1}')});
    await seedActive(r.redis, [{msg: m, score: at(-31)}]);
    // When
    await recoverer.exec();
    // Then
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['a', unixSeconds(T0) + 20]]);
    expect(await r.redis.hget('asynq:{default}:t:a', 'state')).toBe('retry');
    const stored = await readMsg(r.redis, 'default', 'a');
    expect(stored).toEqual<TaskMessage>({...m, retried: 2, errorMsg: 'asynq: task lease expired', lastFailedAt: unixSeconds(T0)});
    expect(await counters()).toEqual({
      'asynq:{default}:processed': '1', 'asynq:{default}:failed': '1',
      [`asynq:{default}:processed:${TODAY}`]: '1', [`asynq:{default}:failed:${TODAY}`]: '1',
    });
    expect(await r.redis.call('EXPIRETIME', `asynq:{default}:failed:${TODAY}`)).toBe(unixSeconds(T0) + NINETY_DAYS);
    // the delay function saw the pre-increment count, the lease error and the task with headers
    expect(delays).toHaveLength(1);
    expect(delays[0]!.retried).toBe(1);
    expect(delays[0]!.err).toBeInstanceOf(LeaseExpiredError);
    expect((delays[0]!.err as Error).message).toBe('asynq: task lease expired');
    expect(delays[0]!.task.type).toBe('task:a');
    expect(Buffer.from(delays[0]!.task.payload).toString()).toBe('{"n":1}');
    expect(delays[0]!.task.headers).toEqual({trace: 'x1'});
  });

  it('recovers at exactly 30 s past the lease, not at 29 s or before expiry', async () => {
    const {recoverer} = setup();
    await seedActive(r.redis, [
      {msg: makeMsg('at30'), score: at(-30)},
      {msg: makeMsg('at29'), score: at(-29)},
      {msg: makeMsg('live'), score: at(20)},
    ]);
    await recoverer.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['at30', unixSeconds(T0) + 10]]);
    expect((await r.redis.lrange('asynq:{default}:active', 0, -1)).sort()).toEqual(['at29', 'live']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:lease')).toEqual([['at29', unixSeconds(T0) - 29], ['live', unixSeconds(T0) + 20]]);
    expect(await r.redis.hget('asynq:{default}:t:at29', 'state')).toBe('active');
  });

  it('archives a lease-expired task whose retries are used up (retried unchanged, counters +1)', async () => {
    const {recoverer, delays} = setup();
    const m = makeMsg('done-for', {retry: 3, retried: 3});
    await seedActive(r.redis, [{msg: m, score: at(-120)}]);
    await recoverer.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['done-for', unixSeconds(T0)]]);
    expect(await r.redis.hget('asynq:{default}:t:done-for', 'state')).toBe('archived');
    expect(await readMsg(r.redis, 'default', 'done-for')).toEqual({...m, errorMsg: 'asynq: task lease expired', lastFailedAt: unixSeconds(T0)});
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease', 'asynq:{default}:retry')).toBe(0);
    expect(await counters()).toEqual({
      'asynq:{default}:processed': '1', 'asynq:{default}:failed': '1',
      [`asynq:{default}:processed:${TODAY}`]: '1', [`asynq:{default}:failed:${TODAY}`]: '1',
    });
    expect(delays).toEqual([]);
  });

  it('archives a task with MaxRetry 0 at once', async () => {
    const {recoverer} = setup();
    await seedActive(r.redis, [{msg: makeMsg('zero', {retry: 0}), score: at(-60)}]);
    await recoverer.exec();
    expect(await r.redis.hget('asynq:{default}:t:zero', 'state')).toBe('archived');
  });

  it('retries without counting when isFailure says the lease expiry is not a failure', async () => {
    const seen: unknown[] = [];
    const {recoverer} = setup({isFailure: (err) => { seen.push(err); return false; }});
    const m = makeMsg('soft', {retried: 4});
    await seedActive(r.redis, [{msg: m, score: at(-40)}]);
    await recoverer.exec();
    expect(await r.redis.hget('asynq:{default}:t:soft', 'state')).toBe('retry');
    expect((await readMsg(r.redis, 'default', 'soft')).retried).toBe(4);
    expect(await counters()).toEqual({
      'asynq:{default}:processed': null, 'asynq:{default}:failed': null,
      [`asynq:{default}:processed:${TODAY}`]: null, [`asynq:{default}:failed:${TODAY}`]: null,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(LeaseExpiredError);
  });

  it('uses Go\'s default retry delay when none is given (n⁴ + 15 … + 29·(n+1) s)', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const recoverer = new Recoverer({logger: recordingLogger(), rdb, groups: new RDBGroups(rdb), queues: ['default'], clock});
    await seedActive(r.redis, [{msg: makeMsg('d', {retried: 2}), score: at(-31)}]);
    await recoverer.exec();
    const [[, score]] = (await zsetEntries(r.redis, 'asynq:{default}:retry')) as [[string, number]];
    expect(score).toBeGreaterThanOrEqual(unixSeconds(T0) + 16 + 15);
    expect(score).toBeLessThanOrEqual(unixSeconds(T0) + 16 + 15 + 29 * 3);
  });

  it('a retryDelayFunc that throws or returns a non-number, or an isFailure that throws, does not leave the task active (as the processor)', async () => {
    const cases: Array<[string, Partial<RecovererParams>]> = [
      ['throws', {retryDelayFunc: () => { throw new Error('bad delay'); }}],
      ['nan', {retryDelayFunc: () => Number.NaN}],
      ['inf', {retryDelayFunc: () => Number.POSITIVE_INFINITY}],
      ['isfail', {isFailure: () => { throw new Error('bad isFailure'); }}],
    ];
    for (const [id, over] of cases) {
      await r.redis.flushall();
      const {recoverer, logger} = setup(over);
      await seedActive(r.redis, [{msg: makeMsg(id, {retried: 1}), score: at(-31)}]);
      await recoverer.exec();
      expect(await r.redis.hget(`asynq:{default}:t:${id}`, 'state'), id).toBe('retry');
      const [[, score]] = (await zsetEntries(r.redis, 'asynq:{default}:retry')) as [[string, number]];
      if (id === 'isfail') {
        expect(score).toBe(unixSeconds(T0) + 20); // the given delay; counted as a failure
        expect((await readMsg(r.redis, 'default', id)).retried).toBe(2);
      } else {
        // Go's default delay for n = 1: 1 + 15 + [0, 29]·2 s.
        expect(score, id).toBeGreaterThanOrEqual(unixSeconds(T0) + 16);
        expect(score, id).toBeLessThanOrEqual(unixSeconds(T0) + 16 + 58);
      }
      expect(logger.lines.filter(([l]) => l === 'error').map(([, m]) => m), id).toEqual([
        id === 'isfail' ? 'isFailure failed: bad isFailure; counting the error as a failure'
          : `retryDelayFunc ${id === 'throws' ? 'failed for task id=throws: bad delay;' : `returned ${id === 'nan' ? 'NaN' : 'Infinity'} for task id=${id};`} using the default delay`,
      ]);
    }
  });

  it('a negative retry delay retries now', async () => {
    const {recoverer} = setup({retryDelayFunc: () => -60_000});
    await seedActive(r.redis, [{msg: makeMsg('neg'), score: at(-31)}]);
    await recoverer.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['neg', unixSeconds(T0)]]);
  });

  it('only looks at the queues configured on its server', async () => {
    const {recoverer} = setup({queues: ['default', 'critical']});
    await seedActive(r.redis, [
      {msg: makeMsg('d1'), score: at(-60)},
      {msg: makeMsg('c1', {queue: 'critical'}), score: at(-60)},
      {msg: makeMsg('o1', {queue: 'other'}), score: at(-60)},
    ]);
    await recoverer.exec();
    expect(await r.redis.hget('asynq:{default}:t:d1', 'state')).toBe('retry');
    expect(await r.redis.hget('asynq:{critical}:t:c1', 'state')).toBe('retry');
    expect(await r.redis.hget('asynq:{other}:t:o1', 'state')).toBe('active');
    expect(await r.redis.lrange('asynq:{other}:active', 0, -1)).toEqual(['o1']);
    expect(await zsetEntries(r.redis, 'asynq:{other}:lease')).toEqual([['o1', unixSeconds(T0) - 60]]);
  });

  it('moves aside a leased ID whose task hash is missing (logged), and recovers the others', async () => {
    const {recoverer, logger} = setup();
    await r.redis.zadd('asynq:{default}:lease', unixSeconds(T0) - 100, 'ghost');
    await r.redis.lpush('asynq:{default}:active', 'ghost');
    await seedActive(r.redis, [{msg: makeMsg('real'), score: at(-100)}]);
    await recoverer.exec();
    expect(await r.redis.hget('asynq:{default}:t:real', 'state')).toBe('retry');
    expect(await zsetEntries(r.redis, 'asynq:{default}:lease')).toEqual([]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:corrupt')).toEqual([['ghost', unixSeconds(T0)]]);
    expect(logger.lines.filter(([l]) => l !== 'debug')).toEqual([
      ['error', 'recoverer: task id=ghost in queue "default" cannot be processed and was moved aside to asynq:{default}:corrupt: no task hash'],
    ]);
  });

  it('moves aside a message that cannot be decoded, recovers the others, and still reclaims stale sets', async () => {
    const {recoverer, logger, rdb, groups, clock} = setup({queues: ['default', 'bad']});
    await seedActive(r.redis, [{msg: makeMsg('ok'), score: at(-100)}]);
    await r.redis.hset('asynq:{bad}:t:junk', 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'active');
    await r.redis.zadd('asynq:{bad}:lease', unixSeconds(T0) - 100, 'junk');
    await rdb.addToGroup(makeMsg('g1'), 'grp');
    clock.advance(60_000);
    expect(await groups.aggregationCheck('default', 'grp', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 10})).not.toBeNull();
    clock.advance(121_000);
    await recoverer.exec();
    expect(await r.redis.hget('asynq:{default}:t:ok', 'state')).toBe('retry');
    expect(await r.redis.hget('asynq:{bad}:t:junk', 'state')).toBe('corrupt');
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:grp')).toEqual([['g1', unixSeconds(T0)]]);
    expect(await r.redis.exists('asynq:{default}:aggregation_sets')).toBe(0);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]![0]).toBe('error');
    expect(logger.lines[0]![1]).toMatch(/^recoverer: task id=junk in queue "bad" cannot be processed and was moved aside to asynq:\{bad\}:corrupt: cannot decode TaskMessage/);
  });

  it('logs a failed retry or archive and goes on with the next task', async () => {
    const logger = recordingLogger();
    const done: string[] = [];
    const rdb = {
      listLeaseExpired: async () => [makeMsg('x'), makeMsg('y', {retry: 0}), makeMsg('z')],
      retry: async (m: TaskMessage) => {
        if (m.id === 'x') throw new Error('NOT FOUND');
        done.push(`retry ${m.id}`);
      },
      archive: async (m: TaskMessage) => {
        done.push(`archive ${m.id}`);
        throw new Error('LOADING Redis is loading the dataset in memory');
      },
    };
    const recoverer = new Recoverer({logger, rdb, groups: {reclaimStaleAggregationSets: async () => {}}, queues: ['default'], retryDelayFunc: () => 1000});
    await expect(recoverer.exec()).resolves.toBeUndefined();
    expect(done).toEqual(['archive y', 'retry z']);
    expect(logger.lines).toEqual([
      ['warn', 'recoverer: could not retry lease expired task: NOT FOUND'],
      ['warn', 'recoverer: could not move task to archive: LOADING Redis is loading the dataset in memory'],
    ]);
  });
});

describe('Recoverer.exec: stale aggregation sets', () => {
  it('merges a set whose deadline passed back into its group with the original scores, per configured queue', async () => {
    // Given: two tasks aggregated into a set (deadline = check time + 120 s) that nobody deleted
    const {recoverer, rdb, groups, clock} = setup({queues: ['default', 'low']});
    await rdb.addToGroup(makeMsg('t1'), 'g');
    clock.advance(5000);
    await rdb.addToGroup(makeMsg('t2'), 'g');
    await rdb.addToGroup(makeMsg('o1', {queue: 'other'}), 'g');
    clock.advance(60_000);
    const setId = await groups.aggregationCheck('default', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30});
    const otherSet = await groups.aggregationCheck('other', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30});
    expect(setId).not.toBeNull();
    const setKey = `asynq:{default}:g:g:${setId}`;
    const deadline = unixSeconds(clock.now()) + 120;
    // When: before the deadline nothing happens
    clock.advance(119_000);
    await recoverer.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets')).toEqual([[setKey, deadline]]);
    // When: at the deadline
    clock.advance(1000);
    await recoverer.exec();
    // Then
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['t1', unixSeconds(T0)], ['t2', unixSeconds(T0) + 5]]);
    expect(await r.redis.exists(setKey, 'asynq:{default}:aggregation_sets')).toBe(0);
    expect(await r.redis.hget('asynq:{default}:t:t1', 'state')).toBe('aggregating');
    // Go quirk (reclaimStateAggregationSetsCmd never SADDs): the group is not listed in `groups` again
    expect(await r.redis.exists('asynq:{default}:groups')).toBe(0);
    // a queue this server does not serve is left alone
    expect(await r.redis.exists(`asynq:{other}:g:g:${otherSet}`)).toBe(1);
    expect(await r.redis.zcard('asynq:{other}:aggregation_sets')).toBe(1);
  });

  it('logs a failing queue and still reclaims the others', async () => {
    const logger = recordingLogger();
    const reclaimed: string[] = [];
    const groups = {
      reclaimStaleAggregationSets: async (q: string) => {
        if (q === 'a') throw new Error('CLUSTERDOWN');
        reclaimed.push(q);
      },
    };
    const rdb = {listLeaseExpired: async () => [], retry: async () => {}, archive: async () => {}};
    const recoverer = new Recoverer({logger, rdb, groups, queues: ['a', 'b']});
    await recoverer.exec();
    expect(reclaimed).toEqual(['b']);
    expect(logger.lines).toEqual([['warn', 'recoverer: could not reclaim stale aggregation sets in queue "a": CLUSTERDOWN']]);
  });
});

describe('Recoverer lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs once at start, then every interval (default 1 min), until shutdown', async () => {
    vi.useFakeTimers();
    const cutoffs: number[] = [];
    const logger = recordingLogger();
    const clock = new SimulatedClock(T0);
    const rdb = {listLeaseExpired: async (cutoff: Date) => { cutoffs.push(cutoff.getTime()); return []; }, retry: async () => {}, archive: async () => {}};
    const recoverer = new Recoverer({logger, rdb, groups: {reclaimStaleAggregationSets: async () => {}}, queues: ['a'], clock});
    recoverer.start();
    recoverer.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(cutoffs).toEqual([T0.getTime() - 30_000]);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(cutoffs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(cutoffs).toHaveLength(2);
    await recoverer.shutdown();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(cutoffs).toHaveLength(2);
    expect(logger.lines).toEqual([['debug', 'Recoverer shutting down...'], ['debug', 'Recoverer done']]);
  });
});
