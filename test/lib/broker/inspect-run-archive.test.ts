import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {encodeTaskMessage} from '../../../src/lib/base/codec.js';
import {SimulatedClock, unixNanosString} from '../../../src/lib/clock.js';
import {FailedPreconditionError, InternalError, QueueNotFoundError, TaskNotFoundError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {keyTypes} from '../../support/dump.js';
import {
  expectRejectsUnchanged, makeMsg, seedActive, seedArchived, seedCompleted, seedGroup, seedPending, seedRetry, seedScheduled,
  taskHash, zsetEntries,
} from '../../support/seed.js';

const r = useRedis();

const NOW = new Date('2026-03-10T12:00:00.250Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const DAY = 24 * 3600;

function inspector(): RDBInspector {
  return new RDBInspector(new RDB(r.redis, {clock: new SimulatedClock(NOW)}));
}

describe('RDBInspector.runTask', () => {
  for (const [state, seed] of [
    ['scheduled', seedScheduled], ['retry', seedRetry], ['archived', seedArchived], ['completed', seedCompleted],
  ] as const) {
    it(`moves the ${state} task to the head of pending with state pending and no pending_since`, async () => {
      await seedPending(r.redis, [{msg: makeMsg('already')}], {now: NOW});
      await seed(r.redis, [{msg: makeMsg('t'), score: NOW_S + 100}, {msg: makeMsg('other'), score: NOW_S + 200}]);
      await inspector().runTask('default', 't');
      expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['t', 'already']);
      expect(await zsetEntries(r.redis, `asynq:{default}:${state}`)).toEqual([['other', NOW_S + 200]]);
      expect(await taskHash(r.redis, 'default', 't')).toEqual({msg: makeMsg('t'), state: 'pending'});
    });
  }

  it('moves an aggregating task out of its group, dropping the group name once the group is empty', async () => {
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S}, {msg: makeMsg('g2'), score: NOW_S}]);
    const insp = inspector();
    await insp.runTask('default', 'g1');
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['g2', NOW_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['g']);
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: makeMsg('g1', {groupKey: 'g'}), state: 'pending', group: 'g'});
    await insp.runTask('default', 'g2');
    expect(await keyTypes(r.redis)).not.toHaveProperty(['asynq:{default}:g:g']);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual([]);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['g2', 'g1']);
  });

  it('refuses pending, active, missing and inconsistent tasks and unknown queues, changing nothing', async () => {
    const insp = inspector();
    await seedPending(r.redis, [{msg: makeMsg('p')}], {now: NOW});
    await seedActive(r.redis, [{msg: makeMsg('a'), score: NOW_S + 30}]);
    await r.redis.hset('asynq:{default}:t:ghost', 'msg', encodeTaskMessage(makeMsg('ghost')), 'state', 'scheduled');
    await expectRejectsUnchanged(r.redis, () => insp.runTask('default', 'p'), FailedPreconditionError, 'task is already in pending state');
    await expectRejectsUnchanged(r.redis, () => insp.runTask('default', 'a'), FailedPreconditionError, 'task is already running');
    await expectRejectsUnchanged(r.redis, () => insp.runTask('default', 'nope'), TaskNotFoundError,
      'cannot find task with id=nope in queue "default"');
    await expectRejectsUnchanged(r.redis, () => insp.runTask('default', 'ghost'), InternalError);
    await expectRejectsUnchanged(r.redis, () => insp.runTask('nosuchqueue', 'p'), QueueNotFoundError);
  });
});

describe('RDBInspector.runAll*', () => {
  for (const [state, seed, run] of [
    ['scheduled', seedScheduled, (i: RDBInspector) => i.runAllScheduled('default')],
    ['retry', seedRetry, (i: RDBInspector) => i.runAllRetry('default')],
    ['archived', seedArchived, (i: RDBInspector) => i.runAllArchived('default')],
  ] as const) {
    it(`moves every ${state} task to pending (earliest score dequeued first) and deletes the zset`, async () => {
      await seed(r.redis, [{msg: makeMsg('late'), score: NOW_S + 9}, {msg: makeMsg('early'), score: NOW_S + 1}]);
      const insp = inspector();
      expect(await run(insp)).toBe(2);
      expect(await keyTypes(r.redis)).not.toHaveProperty([`asynq:{default}:${state}`]);
      expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['late', 'early']);
      expect(await taskHash(r.redis, 'default', 'early')).toEqual({msg: makeMsg('early'), state: 'pending'});
      expect(await taskHash(r.redis, 'default', 'late')).toEqual({msg: makeMsg('late'), state: 'pending'});
      expect(await run(insp)).toBe(0);
    });
  }

  it('runAllAggregating moves a whole group to pending and drops only that group', async () => {
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S - 2}, {msg: makeMsg('g2'), score: NOW_S}]);
    await seedGroup(r.redis, 'keep', [{msg: makeMsg('k1'), score: NOW_S}]);
    expect(await inspector().runAllAggregating('default', 'g')).toBe(2);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['g2', 'g1']);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['keep']);
    expect(await keyTypes(r.redis)).not.toHaveProperty(['asynq:{default}:g:g']);
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: makeMsg('g1', {groupKey: 'g'}), state: 'pending', group: 'g'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:keep')).toEqual([['k1', NOW_S]]);
  });

  it('fails for an unknown queue, changing nothing', async () => {
    const insp = inspector();
    await seedScheduled(r.redis, [{msg: makeMsg('s', {queue: 'ghost'}), score: NOW_S}], {register: false});
    await expectRejectsUnchanged(r.redis, () => insp.runAllScheduled('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.runAllRetry('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.runAllArchived('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.runAllAggregating('ghost', 'g'), QueueNotFoundError);
  });
});

describe('RDBInspector.archiveTask', () => {
  it('archives a pending task (score now, msg and other fields unchanged)', async () => {
    await seedPending(r.redis, [{msg: makeMsg('p')}, {msg: makeMsg('q')}], {now: new Date(NOW.getTime() - 5000)});
    await inspector().archiveTask('default', 'p');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['q']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['p', NOW_S]]);
    expect(await taskHash(r.redis, 'default', 'p')).toEqual({msg: makeMsg('p'), state: 'archived', pending_since: unixNanosString(new Date(NOW.getTime() - 5000))});
  });

  for (const [state, seed] of [['scheduled', seedScheduled], ['retry', seedRetry], ['completed', seedCompleted]] as const) {
    it(`archives a ${state} task`, async () => {
      await seed(r.redis, [{msg: makeMsg('t'), score: NOW_S + 100}]);
      await inspector().archiveTask('default', 't');
      expect(await keyTypes(r.redis)).not.toHaveProperty([`asynq:{default}:${state}`]);
      expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['t', NOW_S]]);
      expect(await taskHash(r.redis, 'default', 't')).toEqual({msg: makeMsg('t'), state: 'archived'});
    });
  }

  it('archives an aggregating task, dropping the group name once empty', async () => {
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S}]);
    await inspector().archiveTask('default', 'g1');
    expect(await keyTypes(r.redis)).not.toHaveProperty(['asynq:{default}:g:g']);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual([]);
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: makeMsg('g1', {groupKey: 'g'}), state: 'archived', group: 'g'});
  });

  it('trims archived ids older than 90 days and beyond 9 999, leaving their hashes behind (Go quirk)', async () => {
    await seedArchived(r.redis, [{msg: makeMsg('ancient'), score: NOW_S - 90 * DAY}, {msg: makeMsg('recent'), score: NOW_S - 89 * DAY}]);
    await seedScheduled(r.redis, [{msg: makeMsg('s'), score: NOW_S + 1}]);
    const insp = inspector();
    await insp.archiveTask('default', 's');
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['recent', NOW_S - 89 * DAY], ['s', NOW_S]]);
    expect(await taskHash(r.redis, 'default', 'ancient')).toEqual({msg: makeMsg('ancient'), state: 'archived'});

    // Size: 10 000 ids + 1 archived → ranks 0..1 removed, 9 999 remain.
    await r.redis.del('asynq:{default}:archived');
    const args: Array<string | number> = [];
    for (let i = 0; i < 10_000; i++) args.push(NOW_S - 10_000 + i, `old${i}`);
    await r.redis.zadd('asynq:{default}:archived', ...args);
    await seedRetry(r.redis, [{msg: makeMsg('r'), score: NOW_S + 1}]);
    await insp.archiveTask('default', 'r');
    expect(await r.redis.zcard('asynq:{default}:archived')).toBe(9_999);
    expect(await r.redis.zrange('asynq:{default}:archived', 0, 0)).toEqual(['old2']);
    expect(await r.redis.zscore('asynq:{default}:archived', 'r')).toBe(String(NOW_S));
  });

  it('refuses archived, active, missing and inconsistent tasks and unknown queues, changing nothing', async () => {
    const insp = inspector();
    await seedArchived(r.redis, [{msg: makeMsg('x'), score: NOW_S - 1}]);
    await seedActive(r.redis, [{msg: makeMsg('a'), score: NOW_S + 30}]);
    await r.redis.hset('asynq:{default}:t:ghost', 'msg', encodeTaskMessage(makeMsg('ghost')), 'state', 'pending');
    await expectRejectsUnchanged(r.redis, () => insp.archiveTask('default', 'x'), FailedPreconditionError,
      'task is already archived: id=x, queue=default');
    await expectRejectsUnchanged(r.redis, () => insp.archiveTask('default', 'a'), FailedPreconditionError,
      'cannot archive task in active state. use CancelProcessing instead.');
    await expectRejectsUnchanged(r.redis, () => insp.archiveTask('default', 'nope'), TaskNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.archiveTask('default', 'ghost'), InternalError);
    await expectRejectsUnchanged(r.redis, () => insp.archiveTask('nosuchqueue', 'x'), QueueNotFoundError);
  });
});

describe('RDBInspector.archiveAll*', () => {
  it('archives every pending task and deletes the list', async () => {
    await seedPending(r.redis, [{msg: makeMsg('p1')}, {msg: makeMsg('p2')}], {now: NOW});
    expect(await inspector().archiveAllPending('default')).toBe(2);
    expect(await keyTypes(r.redis)).not.toHaveProperty(['asynq:{default}:pending']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['p1', NOW_S], ['p2', NOW_S]]);
    expect((await taskHash(r.redis, 'default', 'p1')).state).toBe('archived');
  });

  for (const [state, seed, run] of [
    ['scheduled', seedScheduled, (i: RDBInspector) => i.archiveAllScheduled('default')],
    ['retry', seedRetry, (i: RDBInspector) => i.archiveAllRetry('default')],
  ] as const) {
    it(`archives every ${state} task, deletes the zset and trims old archived ids`, async () => {
      await seedArchived(r.redis, [{msg: makeMsg('ancient'), score: NOW_S - 91 * DAY}]);
      await seed(r.redis, [{msg: makeMsg('t1'), score: NOW_S + 1}, {msg: makeMsg('t2'), score: NOW_S + 2}]);
      const insp = inspector();
      expect(await run(insp)).toBe(2);
      expect(await keyTypes(r.redis)).not.toHaveProperty([`asynq:{default}:${state}`]);
      expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['t1', NOW_S], ['t2', NOW_S]]);
      expect(await taskHash(r.redis, 'default', 't2')).toEqual({msg: makeMsg('t2'), state: 'archived'});
      expect(await run(insp)).toBe(0);
    });
  }

  it('archives a whole group and drops only that group', async () => {
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S}, {msg: makeMsg('g2'), score: NOW_S}]);
    await seedGroup(r.redis, 'keep', [{msg: makeMsg('k1'), score: NOW_S}]);
    expect(await inspector().archiveAllAggregating('default', 'g')).toBe(2);
    expect(await keyTypes(r.redis)).not.toHaveProperty(['asynq:{default}:g:g']);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['keep']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['g1', NOW_S], ['g2', NOW_S]]);
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: makeMsg('g1', {groupKey: 'g'}), state: 'archived', group: 'g'});
  });

  it('fails for an unknown queue, changing nothing', async () => {
    const insp = inspector();
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'ghost'})}], {register: false});
    await expectRejectsUnchanged(r.redis, () => insp.archiveAllPending('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.archiveAllScheduled('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.archiveAllRetry('ghost'), QueueNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.archiveAllAggregating('ghost', 'g'), QueueNotFoundError);
  });
});
