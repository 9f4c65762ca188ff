import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector, type TaskRecord} from '../../../src/lib/broker/inspect.js';
import {encodeTaskMessage} from '../../../src/lib/base/codec.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {QueueNotFoundError, TaskNotFoundError, ValidationError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {dumpAll, dumpAllSince} from '../../support/dump.js';
import {
  makeMsg, seedActive, seedArchived, seedCompleted, seedGroup, seedPending, seedRetry, seedScheduled,
} from '../../support/seed.js';

const r = useRedis();

const NOW = new Date('2026-03-10T12:00:00.750Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const at = (s: number): Date => new Date(s * 1000);

function inspector(): RDBInspector {
  return new RDBInspector(new RDB(r.redis, {clock: new SimulatedClock(NOW)}));
}

const ids = (rs: TaskRecord[]): string[] => rs.map((x) => x.msg.id);

describe('RDBInspector.getTaskInfo', () => {
  it('returns msg, state, next process time and result for every state, as Go', async () => {
    const insp = inspector();
    await seedPending(r.redis, [{msg: makeMsg('p')}], {now: NOW});
    await seedActive(r.redis, [{msg: makeMsg('a'), score: NOW_S + 30}]);
    await seedScheduled(r.redis, [{msg: makeMsg('s'), score: NOW_S + 600}]);
    await seedRetry(r.redis, [{msg: makeMsg('r', {retried: 2, errorMsg: 'boom', lastFailedAt: NOW_S - 5}), score: NOW_S + 120}]);
    await seedArchived(r.redis, [{msg: makeMsg('x'), score: NOW_S - 60}]);
    await seedCompleted(r.redis, [{msg: makeMsg('c', {completedAt: NOW_S - 1, retention: 3600}), score: NOW_S + 3599, result: Buffer.from('{"ok":true}')}]);
    await seedGroup(r.redis, 'g', [{msg: makeMsg('ag', {groupKey: 'g'}), score: NOW_S}]);
    const before = await dumpAll(r.redis);

    expect(await insp.getTaskInfo('default', 'p')).toEqual({msg: makeMsg('p'), state: 'pending', nextProcessAt: at(NOW_S), result: null});
    expect(await insp.getTaskInfo('default', 'a')).toEqual({msg: makeMsg('a'), state: 'active', nextProcessAt: null, result: null});
    expect(await insp.getTaskInfo('default', 's')).toEqual({msg: makeMsg('s'), state: 'scheduled', nextProcessAt: at(NOW_S + 600), result: null});
    const retry = await insp.getTaskInfo('default', 'r');
    expect(retry).toEqual({msg: makeMsg('r', {retried: 2, errorMsg: 'boom', lastFailedAt: NOW_S - 5}), state: 'retry', nextProcessAt: at(NOW_S + 120), result: null});
    expect(await insp.getTaskInfo('default', 'x')).toEqual({msg: makeMsg('x'), state: 'archived', nextProcessAt: null, result: null});
    expect(await insp.getTaskInfo('default', 'c')).toEqual({
      msg: makeMsg('c', {completedAt: NOW_S - 1, retention: 3600}), state: 'completed', nextProcessAt: null, result: Buffer.from('{"ok":true}'),
    });
    expect(await insp.getTaskInfo('default', 'ag')).toEqual({msg: makeMsg('ag', {groupKey: 'g'}), state: 'aggregating', nextProcessAt: null, result: null});
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });

  it('reads an empty result as null (Go: nil unless len > 0)', async () => {
    await seedCompleted(r.redis, [{msg: makeMsg('c'), score: NOW_S, result: Buffer.alloc(0)}]);
    expect((await inspector().getTaskInfo('default', 'c')).result).toBeNull();
  });

  it('fails with TaskNotFoundError (Go wording) for a missing task and QueueNotFoundError for an unknown queue', async () => {
    const insp = inspector();
    await r.redis.sadd('asynq:queues', 'default');
    const err = await insp.getTaskInfo('default', 'nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskNotFoundError);
    expect((err as Error).message).toBe('cannot find task with id=nope in queue "default"');
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'other'})}], {register: false});
    await expect(insp.getTaskInfo('other', 'p')).rejects.toBeInstanceOf(QueueNotFoundError);
  });
});

describe('RDBInspector list pending/active', () => {
  it('pages pending from the tail: page 1 starts with the next task to be dequeued', async () => {
    const insp = inspector();
    await seedPending(r.redis, ['p0', 'p1', 'p2', 'p3', 'p4'].map((id) => ({msg: makeMsg(id)})), {now: NOW});
    expect(await r.redis.lrange('asynq:{default}:pending', -1, -1)).toEqual(['p0']); // next to dequeue
    expect(ids(await insp.listPending('default', {page: 1, size: 2}))).toEqual(['p0', 'p1']);
    expect(ids(await insp.listPending('default', {page: 2, size: 2}))).toEqual(['p2', 'p3']);
    expect(ids(await insp.listPending('default', {page: 3, size: 2}))).toEqual(['p4']);
    expect(await insp.listPending('default', {page: 4, size: 2})).toEqual([]);
    const all = await insp.listPending('default');
    expect(ids(all)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(all[0]).toEqual({msg: makeMsg('p0'), state: 'pending', nextProcessAt: NOW, result: null});
  });

  it('uses page 1 and size 30 by default', async () => {
    const insp = inspector();
    await seedPending(r.redis, Array.from({length: 35}, (_, i) => ({msg: makeMsg(`t${String(i).padStart(2, '0')}`)})));
    const page1 = await insp.listPending('default');
    expect(page1).toHaveLength(30);
    expect(page1[0]!.msg.id).toBe('t00');
    expect(page1[29]!.msg.id).toBe('t29');
    expect(ids(await insp.listPending('default', {page: 2}))).toEqual(['t30', 't31', 't32', 't33', 't34']);
  });

  it('skips undecodable messages and dangling ids', async () => {
    const insp = inspector();
    await seedPending(r.redis, [{msg: makeMsg('good1')}]);
    await r.redis.lpush('asynq:{default}:pending', 'dangling');
    await r.redis.hset('asynq:{default}:t:bad', 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    await r.redis.lpush('asynq:{default}:pending', 'bad');
    await seedPending(r.redis, [{msg: makeMsg('good2')}]);
    expect(ids(await insp.listPending('default'))).toEqual(['good1', 'good2']);
  });

  it('lists active tasks longest-running first and flags those whose lease expired (score <= now) as orphaned', async () => {
    const insp = inspector();
    await seedActive(r.redis, [
      {msg: makeMsg('expired'), score: NOW_S - 1},
      {msg: makeMsg('boundary'), score: NOW_S},
      {msg: makeMsg('live'), score: NOW_S + 30},
    ]);
    await r.redis.lpush('asynq:{default}:active', 'nolease');
    await r.redis.hset('asynq:{default}:t:nolease', 'msg', encodeTaskMessage(makeMsg('nolease')), 'state', 'active');
    const before = await dumpAll(r.redis);
    const list = await insp.listActive('default');
    expect(list).toEqual([
      {msg: makeMsg('expired'), state: 'active', nextProcessAt: null, result: null, isOrphaned: true},
      {msg: makeMsg('boundary'), state: 'active', nextProcessAt: null, result: null, isOrphaned: true},
      {msg: makeMsg('live'), state: 'active', nextProcessAt: null, result: null, isOrphaned: false},
      {msg: makeMsg('nolease'), state: 'active', nextProcessAt: null, result: null, isOrphaned: false},
    ]);
    expect(ids(await insp.listActive('default', {page: 2, size: 3}))).toEqual(['nolease']);
    expect(await insp.listActive('default', {page: 3, size: 3})).toEqual([]);
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });
});

describe('RDBInspector list zsets', () => {
  it('lists scheduled and retry tasks by ascending score with NextProcessAt = score', async () => {
    const insp = inspector();
    await seedScheduled(r.redis, [
      {msg: makeMsg('late'), score: NOW_S + 300},
      {msg: makeMsg('soon'), score: NOW_S + 10},
      {msg: makeMsg('mid'), score: NOW_S + 100},
    ]);
    expect(await insp.listScheduled('default')).toEqual([
      {msg: makeMsg('soon'), state: 'scheduled', nextProcessAt: at(NOW_S + 10), result: null},
      {msg: makeMsg('mid'), state: 'scheduled', nextProcessAt: at(NOW_S + 100), result: null},
      {msg: makeMsg('late'), state: 'scheduled', nextProcessAt: at(NOW_S + 300), result: null},
    ]);
    expect(ids(await insp.listScheduled('default', {page: 2, size: 2}))).toEqual(['late']);
    await seedRetry(r.redis, [{msg: makeMsg('r2'), score: NOW_S + 20}, {msg: makeMsg('r1'), score: NOW_S + 5}]);
    expect(await insp.listRetry('default', {size: 1})).toEqual([
      {msg: makeMsg('r1'), state: 'retry', nextProcessAt: at(NOW_S + 5), result: null},
    ]);
  });

  it('lists archived (oldest first), completed (with result) and a group\'s aggregating tasks without NextProcessAt', async () => {
    const insp = inspector();
    await seedArchived(r.redis, [{msg: makeMsg('x2'), score: NOW_S - 10}, {msg: makeMsg('x1'), score: NOW_S - 100}]);
    await seedCompleted(r.redis, [{msg: makeMsg('c1'), score: NOW_S + 50, result: Buffer.from([0, 1, 2])}]);
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g2'), score: NOW_S}, {msg: makeMsg('g1'), score: NOW_S - 3}]);
    await seedGroup(r.redis, 'other', [{msg: makeMsg('o1'), score: NOW_S}]);
    expect(await insp.listArchived('default')).toEqual([
      {msg: makeMsg('x1'), state: 'archived', nextProcessAt: null, result: null},
      {msg: makeMsg('x2'), state: 'archived', nextProcessAt: null, result: null},
    ]);
    expect(await insp.listCompleted('default')).toEqual([
      {msg: makeMsg('c1'), state: 'completed', nextProcessAt: null, result: Buffer.from([0, 1, 2])},
    ]);
    expect(await insp.listAggregating('default', 'g')).toEqual([
      {msg: makeMsg('g1', {groupKey: 'g'}), state: 'aggregating', nextProcessAt: null, result: null},
      {msg: makeMsg('g2', {groupKey: 'g'}), state: 'aggregating', nextProcessAt: null, result: null},
    ]);
    expect(await insp.listAggregating('default', 'nosuchgroup')).toEqual([]);
  });

  it('skips undecodable messages and dangling ids in zsets', async () => {
    const insp = inspector();
    await seedArchived(r.redis, [{msg: makeMsg('ok'), score: NOW_S - 1}]);
    await r.redis.zadd('asynq:{default}:archived', NOW_S - 5, 'dangling');
    await r.redis.hset('asynq:{default}:t:bad', 'msg', Buffer.from([0xff, 0xff]), 'state', 'archived');
    await r.redis.zadd('asynq:{default}:archived', NOW_S - 3, 'bad');
    expect(ids(await insp.listArchived('default'))).toEqual(['ok']);
  });
});

describe('RDBInspector listing errors', () => {
  it('rejects a page or size below 1 or not an integer with ValidationError', async () => {
    const insp = inspector();
    await r.redis.sadd('asynq:queues', 'default');
    for (const pgn of [{page: 0}, {page: -1}, {size: 0}, {size: 2.5}, {page: 1.5}]) {
      await expect(insp.listPending('default', pgn)).rejects.toBeInstanceOf(ValidationError);
      await expect(insp.listScheduled('default', pgn)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('fails every listing of an unknown queue with QueueNotFoundError', async () => {
    const insp = inspector();
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'ghost'})}], {register: false});
    for (const call of [
      () => insp.listPending('ghost'), () => insp.listActive('ghost'), () => insp.listScheduled('ghost'),
      () => insp.listRetry('ghost'), () => insp.listArchived('ghost'), () => insp.listCompleted('ghost'),
      () => insp.listAggregating('ghost', 'g'),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(QueueNotFoundError);
    }
  });
});
