import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {decodeTaskMessage, encodeTaskMessage} from '../../../src/lib/base/codec.js';
import {uniqueKey} from '../../../src/lib/base/keys.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {
  FailedPreconditionError, InternalError, QueueNotEmptyError, QueueNotFoundError, TaskNotFoundError,
} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {dumpAll, keyTypes} from '../../support/dump.js';
import {
  expectRejectsUnchanged, makeMsg, seedActive, seedArchived, seedCompleted, seedGroup, seedPending, seedRetry,
  seedScheduled,
} from '../../support/seed.js';

const r = useRedis();

const NOW = new Date('2026-03-10T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;

function setup(): {rdb: RDB; insp: RDBInspector} {
  const rdb = new RDB(r.redis, {clock: new SimulatedClock(NOW)});
  return {rdb, insp: new RDBInspector(rdb)};
}

/** A message holding the uniqueness lock of (type, payload) in `default`. */
function uniqueMsg(id: string, over: Parameters<typeof makeMsg>[1] = {}): ReturnType<typeof makeMsg> {
  const m = makeMsg(id, over);
  return {...m, uniqueKey: uniqueKey(m.queue, m.type, m.payload)};
}

describe('RDBInspector.deleteTask', () => {
  for (const [state, seed, key] of [
    ['scheduled', seedScheduled, 'asynq:{default}:scheduled'],
    ['retry', seedRetry, 'asynq:{default}:retry'],
    ['archived', seedArchived, 'asynq:{default}:archived'],
    ['completed', seedCompleted, 'asynq:{default}:completed'],
  ] as const) {
    it(`deletes a ${state} task and releases the uniqueness lock it holds`, async () => {
      const m = uniqueMsg('t');
      await seed(r.redis, [{msg: m, score: NOW_S}, {msg: makeMsg('other'), score: NOW_S}]);
      expect(await r.redis.get(m.uniqueKey)).toBe('t');
      await setup().insp.deleteTask('default', 't');
      expect(await r.redis.exists('asynq:{default}:t:t', m.uniqueKey)).toBe(0);
      expect(await r.redis.zrange(key, 0, -1)).toEqual(['other']);
    });
  }

  it('deletes a pending task but keeps a uniqueness lock now held by another task', async () => {
    const m = uniqueMsg('p');
    await seedPending(r.redis, [{msg: m}, {msg: makeMsg('q')}], {now: NOW});
    await r.redis.set(m.uniqueKey, 'someone-else', 'EX', 100);
    await setup().insp.deleteTask('default', 'p');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['q']);
    expect(await r.redis.exists('asynq:{default}:t:p')).toBe(0);
    expect(await r.redis.get(m.uniqueKey)).toBe('someone-else');
    expect(await r.redis.ttl(m.uniqueKey)).toBe(100);
  });

  it('deletes an aggregating task and drops the group name once the group is empty', async () => {
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S}, {msg: makeMsg('g2'), score: NOW_S}]);
    const {insp} = setup();
    await insp.deleteTask('default', 'g1');
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['g']);
    await insp.deleteTask('default', 'g2');
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set'});
  });

  it('refuses active, missing and inconsistent tasks and unknown queues, changing nothing', async () => {
    const {insp} = setup();
    await seedActive(r.redis, [{msg: makeMsg('a'), score: NOW_S + 30}]);
    await r.redis.hset('asynq:{default}:t:ghost', 'msg', encodeTaskMessage(makeMsg('ghost')), 'state', 'retry');
    await expectRejectsUnchanged(r.redis, () => insp.deleteTask('default', 'a'), FailedPreconditionError,
      'cannot delete task in active state. use CancelProcessing instead.');
    await expectRejectsUnchanged(r.redis, () => insp.deleteTask('default', 'nope'), TaskNotFoundError,
      'cannot find task with id=nope in queue "default"');
    await expectRejectsUnchanged(r.redis, () => insp.deleteTask('default', 'ghost'), InternalError);
    await expectRejectsUnchanged(r.redis, () => insp.deleteTask('nosuchqueue', 'a'), QueueNotFoundError);
  });
});

describe('RDBInspector.deleteAll*', () => {
  for (const [state, seed, run] of [
    ['scheduled', seedScheduled, (i: RDBInspector) => i.deleteAllScheduled('default')],
    ['retry', seedRetry, (i: RDBInspector) => i.deleteAllRetry('default')],
    ['archived', seedArchived, (i: RDBInspector) => i.deleteAllArchived('default')],
    ['completed', seedCompleted, (i: RDBInspector) => i.deleteAllCompleted('default')],
  ] as const) {
    it(`deletes every ${state} task, releasing only the locks they still hold`, async () => {
      const held = uniqueMsg('held');
      const lost = uniqueMsg('lost', {type: 'other:type'});
      await seed(r.redis, [{msg: held, score: NOW_S}, {msg: lost, score: NOW_S + 1}, {msg: makeMsg('plain'), score: NOW_S + 2}]);
      await r.redis.set(lost.uniqueKey, 'newer-task');
      await seedPending(r.redis, [{msg: makeMsg('bystander')}], {now: NOW});
      const {insp} = setup();
      expect(await run(insp)).toBe(3);
      expect(await keyTypes(r.redis)).toEqual({
        'asynq:queues': 'set',
        'asynq:{default}:pending': 'list',
        'asynq:{default}:t:bystander': 'hash',
        [lost.uniqueKey]: 'string',
      });
      expect(await r.redis.get(lost.uniqueKey)).toBe('newer-task');
      expect(await run(insp)).toBe(0);
    });
  }

  it('deletes every pending task without releasing locks (Go)', async () => {
    const m = uniqueMsg('p1');
    await seedPending(r.redis, [{msg: m}, {msg: makeMsg('p2')}], {now: NOW});
    expect(await setup().insp.deleteAllPending('default')).toBe(2);
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set', [m.uniqueKey]: 'string'});
  });

  it('deletes a whole group without releasing locks and drops only that group', async () => {
    const m = uniqueMsg('g1');
    await seedGroup(r.redis, 'g', [{msg: m, score: NOW_S}, {msg: makeMsg('g2'), score: NOW_S}]);
    await seedGroup(r.redis, 'keep', [{msg: makeMsg('k1'), score: NOW_S}]);
    expect(await setup().insp.deleteAllAggregating('default', 'g')).toBe(2);
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:g:keep': 'zset',
      'asynq:{default}:groups': 'set',
      'asynq:{default}:t:k1': 'hash',
      [m.uniqueKey]: 'string',
    });
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['keep']);
  });

  it('fails for an unknown queue, changing nothing', async () => {
    const {insp} = setup();
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'ghost'})}], {register: false});
    for (const call of [
      () => insp.deleteAllPending('ghost'), () => insp.deleteAllScheduled('ghost'), () => insp.deleteAllRetry('ghost'),
      () => insp.deleteAllArchived('ghost'), () => insp.deleteAllCompleted('ghost'), () => insp.deleteAllAggregating('ghost', 'g'),
    ]) {
      await expectRejectsUnchanged(r.redis, call, QueueNotFoundError);
    }
  });
});

describe('RDBInspector.updateTaskPayload', () => {
  it('replaces only the payload of a scheduled task; score, lock and other fields stay', async () => {
    const m = uniqueMsg('s', {retry: 3, headers: {k: 'v'}});
    await seedScheduled(r.redis, [{msg: m, score: NOW_S + 60}]);
    await setup().insp.updateTaskPayload('default', 's', Buffer.from('{"new":true}'));
    const h = await r.redis.hgetallBuffer('asynq:{default}:t:s');
    expect(Object.keys(h).sort()).toEqual(['msg', 'state', 'unique_key']);
    expect(decodeTaskMessage(h.msg!)).toEqual({...m, payload: Buffer.from('{"new":true}')});
    expect(h.state!.toString()).toBe('scheduled');
    expect(h.unique_key!.toString()).toBe(m.uniqueKey); // not recomputed, as Go
    expect(await r.redis.zscore('asynq:{default}:scheduled', 's')).toBe(String(NOW_S + 60));
    expect(await r.redis.get(m.uniqueKey)).toBe('s');
  });

  it('refuses a task that is not scheduled, a missing task and an unknown queue, changing nothing', async () => {
    const {insp} = setup();
    await seedPending(r.redis, [{msg: makeMsg('p')}], {now: NOW});
    await seedRetry(r.redis, [{msg: makeMsg('r'), score: NOW_S}]);
    const payload = Buffer.from('x');
    await expectRejectsUnchanged(r.redis, () => insp.updateTaskPayload('default', 'p', payload), FailedPreconditionError,
      'cannot update task that is not in scheduled state.');
    await expectRejectsUnchanged(r.redis, () => insp.updateTaskPayload('default', 'r', payload), FailedPreconditionError);
    await expectRejectsUnchanged(r.redis, () => insp.updateTaskPayload('default', 'nope', payload), TaskNotFoundError);
    await expectRejectsUnchanged(r.redis, () => insp.updateTaskPayload('ghost', 'p', payload), QueueNotFoundError);
  });
});

describe('RDBInspector.removeQueue', () => {
  /** What seedEverything writes that RemoveQueue keeps (Go: completed, groups, counters, paused). */
  const KEPT_BY_REMOVE = {
    'asynq:{default}:completed': 'zset',
    'asynq:{default}:g:g': 'zset',
    'asynq:{default}:groups': 'set',
    'asynq:{default}:paused': 'string',
    'asynq:{default}:processed': 'string',
    'asynq:{default}:t:c': 'hash',
    'asynq:{default}:t:g1': 'hash',
  };

  async function seedEverything(): Promise<void> {
    await seedCompleted(r.redis, [{msg: makeMsg('c'), score: NOW_S + 60}]);
    await seedGroup(r.redis, 'g', [{msg: makeMsg('g1'), score: NOW_S}]);
    await r.redis.set('asynq:{default}:processed', 9);
    await r.redis.set('asynq:{default}:paused', NOW_S);
    await r.redis.zadd('asynq:{default}:lease', NOW_S - 100, 'stale');
  }

  it('removes an empty queue: deletes the five structures and lease, SREMs it; completed, groups, counters, paused stay', async () => {
    await seedEverything();
    await r.redis.sadd('asynq:queues', 'other');
    const {insp} = setup();
    await insp.removeQueue('default', false);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['other']);
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set', ...KEPT_BY_REMOVE});
  });

  for (const [state, seed] of [
    ['pending', (id: string) => seedPending(r.redis, [{msg: makeMsg(id)}], {now: NOW})],
    ['active', (id: string) => seedActive(r.redis, [{msg: makeMsg(id), score: NOW_S + 30}])],
    ['scheduled', (id: string) => seedScheduled(r.redis, [{msg: makeMsg(id), score: NOW_S}])],
    ['retry', (id: string) => seedRetry(r.redis, [{msg: makeMsg(id), score: NOW_S}])],
    ['archived', (id: string) => seedArchived(r.redis, [{msg: makeMsg(id), score: NOW_S}])],
  ] as const) {
    it(`without force refuses a queue with a ${state} task (QueueNotEmptyError), changing nothing`, async () => {
      await seed('t');
      const {insp} = setup();
      await expectRejectsUnchanged(r.redis, () => insp.removeQueue('default', false), QueueNotEmptyError,
        'queue "default" is not empty');
    });
  }

  it('with force deletes pending/scheduled/retry/archived tasks and their hashes, keeping completed and groups', async () => {
    await seedEverything();
    await seedPending(r.redis, [{msg: makeMsg('p')}], {now: NOW});
    await seedScheduled(r.redis, [{msg: makeMsg('s'), score: NOW_S}]);
    await seedRetry(r.redis, [{msg: makeMsg('r'), score: NOW_S}]);
    await seedArchived(r.redis, [{msg: makeMsg('x'), score: NOW_S}]);
    await setup().insp.removeQueue('default', true);
    expect(await keyTypes(r.redis)).toEqual(KEPT_BY_REMOVE);
  });

  it('with force still refuses a queue with an active task, changing nothing', async () => {
    await seedPending(r.redis, [{msg: makeMsg('p')}], {now: NOW});
    await seedActive(r.redis, [{msg: makeMsg('a'), score: NOW_S + 30}]);
    await expectRejectsUnchanged(r.redis, () => setup().insp.removeQueue('default', true), FailedPreconditionError,
      'cannot remove queue with active tasks');
  });

  it('fails for an unknown queue, changing nothing', async () => {
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'ghost'})}], {register: false});
    await expectRejectsUnchanged(r.redis, () => setup().insp.removeQueue('ghost', true), QueueNotFoundError);
  });

  it('forgets the queue in the RDB registration cache, so the next enqueue registers it again', async () => {
    const {rdb, insp} = setup();
    await rdb.enqueue(makeMsg('first'));
    await insp.deleteAllPending('default');
    await insp.removeQueue('default', false);
    expect(await r.redis.exists('asynq:queues')).toBe(0);
    await rdb.enqueue(makeMsg('second'));
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
  });
});

describe('RDBInspector.pause / unpause', () => {
  it('SETNXes the paused key with now (unix s, no TTL) without a queue check; a second pause fails unchanged', async () => {
    const {insp} = setup();
    await insp.pause('unregistered');
    expect(await dumpAll(r.redis)).toEqual([
      {key: 'asynq:{unregistered}:paused', type: 'string', ttl: -1, value: Buffer.from(String(NOW_S))},
    ]);
    await expectRejectsUnchanged(r.redis, () => insp.pause('unregistered'), FailedPreconditionError,
      'queue "unregistered" is already paused');
  });

  it('unpause deletes the key; unpausing an unpaused queue fails unchanged', async () => {
    const {insp} = setup();
    await r.redis.set('asynq:{default}:paused', 123);
    await insp.unpause('default');
    expect(await keyTypes(r.redis)).toEqual({});
    await expectRejectsUnchanged(r.redis, () => insp.unpause('default'), FailedPreconditionError,
      'queue "default" is not paused');
  });
});
