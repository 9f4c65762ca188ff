/**
 * Bad data in Redis: one corrupt task (undecodable message, an id without a task hash, a task key
 * of another Redis type) or one wrong-typed queue key never stalls the other tasks and queues.
 * Such tasks are moved aside to asynq:{<queue>}:corrupt with their reason and logged with their id.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {encodeTaskMessage} from '../../src/lib/base/codec.js';
import {RDB, type BadData} from '../../src/lib/broker/rdb.js';
import {RDBGroups} from '../../src/lib/broker/groups.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {Aggregator} from '../../src/lib/aggregator.js';
import {BadDataError} from '../../src/lib/errors.js';
import {Processor} from '../../src/lib/processor.js';
import {Task} from '../../src/lib/task.js';
import {Recoverer} from '../../src/lib/recoverer.js';
import {recordingLogger} from '../support/logger.js';
import {useRedis} from '../support/redis.js';
import {makeMsg, noonToday, readMsg, seedActive, seedGroup, zsetEntries} from '../support/seed.js';
import {waitFor} from '../support/wait.js';

const r = useRedis();
const T0 = noonToday(500);
const T0_S = unixSeconds(T0);
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

/** The corrupt zset and reasons of a queue. */
async function corrupt(q = 'default'): Promise<{ids: Array<[string, number]>; reasons: Record<string, string>}> {
  return {ids: await zsetEntries(r.redis, keys.corruptKey(q)), reasons: await r.redis.hgetall(keys.corruptReasonsKey(q))};
}

/** Seeds the three kinds of corrupt pending task (oldest first) before the good ones. */
async function seedCorruptPending(q = 'default'): Promise<void> {
  await r.redis.hset(keys.taskKey(q, 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
  await r.redis.set(keys.taskKey(q, 'str'), 'not a hash');
  await r.redis.hset(keys.taskKey(q, 'nomsg'), 'state', 'pending');
  await r.redis.hset(keys.taskKey(q, 'empty'), 'msg', Buffer.alloc(0), 'state', 'pending');
  await r.redis.lpush(keys.pendingKey(q), 'junk', 'dangling', 'str', 'nomsg', 'empty');
}

const REASONS = {
  junk: expect.stringMatching(/^cannot decode TaskMessage: /),
  dangling: 'no task hash',
  str: 'task key holds a string, not a hash',
  nomsg: 'task hash has no msg field',
  empty: 'cannot decode TaskMessage: id is empty',
};

describe('RDB.dequeue: a task that cannot be processed is moved aside', () => {
  it('moves each corrupt pending task aside with its reason and returns the next good one', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    await seedCorruptPending();
    await rdb.enqueue(makeMsg('good'));
    const bad: BadData[] = [];
    const got = await rdb.dequeue(['default'], undefined, (b) => bad.push(b));
    expect(got!.msg.id).toBe('good');
    expect(bad.map((b) => b.id)).toEqual(['junk', 'dangling', 'str', 'nomsg', 'empty']);
    expect(Object.fromEntries(bad.map((b) => [b.id, b.reason]))).toEqual(REASONS);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual([]);
    expect(await r.redis.lrange(keys.activeKey('default'), 0, -1)).toEqual(['good']);
    expect((await zsetEntries(r.redis, keys.leaseKey('default'))).map(([id]) => id)).toEqual(['good']);
    const c = await corrupt();
    expect(c.ids.map(([id]) => id).sort()).toEqual(['dangling', 'empty', 'junk', 'nomsg', 'str']);
    expect(c.ids.every(([, s]) => s === T0_S)).toBe(true);
    expect(c.reasons).toEqual(REASONS);
    // No hash is created for a dangling id, a string key is left as it is, the msg bytes are kept.
    expect(await r.redis.exists(keys.taskKey('default', 'dangling'))).toBe(0);
    expect(await r.redis.get(keys.taskKey('default', 'str'))).toBe('not a hash');
    expect(await r.redis.hgetallBuffer(keys.taskKey('default', 'junk'))).toEqual({msg: Buffer.from([0xff, 0xff, 0xff]), state: Buffer.from('corrupt')});
    expect(await r.redis.hgetall(keys.taskKey('default', 'nomsg'))).toEqual({state: 'corrupt'});
  });

  it('moves aside a message that names another task than its key', async () => {
    const rdb = new RDB(r.redis, {clock: new SimulatedClock(T0)});
    await r.redis.hset(keys.taskKey('default', 'a'), 'msg', encodeTaskMessage(makeMsg('b')), 'state', 'pending');
    await r.redis.lpush(keys.pendingKey('default'), 'a');
    const bad: BadData[] = [];
    expect(await rdb.dequeue(['default'], undefined, (b) => bad.push(b))).toBeNull();
    expect(bad).toEqual([{queue: 'default', id: 'a', reason: 'message is of task "b" in queue "default", not of its key'}]);
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'))).toBe(0);
  });

  it('skips a queue whose pending list is a string and serves the next queue', async () => {
    const rdb = new RDB(r.redis, {clock: new SimulatedClock(T0)});
    await r.redis.set(keys.pendingKey('broken'), 'not a list');
    await rdb.enqueue(makeMsg('ok', {queue: 'fine'}));
    const bad: BadData[] = [];
    const got = await rdb.dequeue(['broken', 'fine'], undefined, (b) => bad.push(b));
    expect(got!.msg.id).toBe('ok');
    expect(bad).toEqual([{queue: 'broken', reason: expect.stringMatching(/^rdb\.Dequeue: WRONGTYPE/)}]);
  });

  it('trims the corrupt zset like the archive: by age (90 days) and size, with reasons and corrupt hashes', async () => {
    const rdb = new RDB(r.redis, {clock: new SimulatedClock(T0)});
    await r.redis.zadd(keys.corruptKey('default'), T0_S - 91 * 86400, 'old');
    await r.redis.hset(keys.corruptReasonsKey('default'), 'old', 'no task hash');
    await r.redis.hset(keys.taskKey('default', 'old'), 'msg', 'x', 'state', 'corrupt');
    await r.redis.lpush(keys.pendingKey('default'), 'dangling');
    expect(await rdb.dequeue(['default'])).toBeNull();
    expect(await corrupt()).toEqual({ids: [['dangling', T0_S]], reasons: {dangling: 'no task hash'}});
    expect(await r.redis.exists(keys.taskKey('default', 'old'))).toBe(0);
  });
});

describe('Processor: corrupt tasks never reach the handler and are logged each time', () => {
  it('runs the good tasks and logs every moved-aside task with its id (not rate limited)', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    const ran: string[] = [];
    const p = new Processor({
      logger, rdb, queues: {default: 1}, concurrency: 1, clock, taskCheckIntervalMs: 4,
      handler: {processTask: (t) => void ran.push(t.type)},
    });
    await seedCorruptPending();
    await rdb.enqueue(makeMsg('good', {type: 'good'}));
    p.start();
    await waitFor(() => ran.includes('good'), 'the good task ran');
    await p.shutdown();
    expect(ran).toEqual(['good']);
    const errors = logger.lines.filter(([l]) => l === 'error').map(([, m]) => m);
    for (const id of ['junk', 'dangling', 'str', 'nomsg', 'empty']) {
      expect(errors.filter((m) => m.startsWith(`task id=${id} in queue "default" cannot be processed and was moved aside to asynq:{default}:corrupt: `))).toHaveLength(1);
    }
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'), keys.pendingKey('default'))).toBe(0);
  });
});

describe('Recoverer: one corrupt leased task does not stop recovery', () => {
  it('recovers the good lease-expired tasks and moves the corrupt ones aside', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    const recoverer = new Recoverer({logger, rdb, groups: new RDBGroups(rdb), queues: ['default', 'other'], clock, retryDelayFunc: () => 10_000});
    await seedActive(r.redis, [{msg: makeMsg('a'), score: at(-31)}]);
    await seedActive(r.redis, [{msg: makeMsg('b', {queue: 'other'}), score: at(-31)}]);
    // An undecodable message, a leased id without a hash and one whose key is a string.
    await r.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'active');
    await r.redis.set(keys.taskKey('default', 'str'), 'x');
    await r.redis.lpush(keys.activeKey('default'), 'junk', 'dangling', 'str');
    await r.redis.zadd(keys.leaseKey('default'), T0_S - 40, 'junk', T0_S - 40, 'dangling', T0_S - 40, 'str');
    await recoverer.exec();
    expect(await r.redis.hget(keys.taskKey('default', 'a'), 'state')).toBe('retry');
    expect(await r.redis.hget(keys.taskKey('other', 'b'), 'state')).toBe('retry');
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'))).toBe(0);
    expect((await corrupt()).reasons).toEqual({junk: REASONS.junk, dangling: 'no task hash', str: 'task key holds a string, not a hash'});
    const errors = logger.lines.filter(([l]) => l === 'error').map(([, m]) => m);
    expect(errors.filter((m) => m.startsWith('recoverer: task id='))).toHaveLength(3);
  });

  it('skips a queue whose lease key is a string and recovers the others', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    const recoverer = new Recoverer({logger, rdb, groups: new RDBGroups(rdb), queues: ['broken', 'default'], clock, retryDelayFunc: () => 10_000});
    await r.redis.set(keys.leaseKey('broken'), 'x');
    await seedActive(r.redis, [{msg: makeMsg('a'), score: at(-31)}]);
    await recoverer.exec();
    expect(await r.redis.hget(keys.taskKey('default', 'a'), 'state')).toBe('retry');
    expect(logger.lines).toContainEqual(['error', expect.stringMatching(/^recoverer: queue "broken" skipped: rdb\.ListLeaseExpired: WRONGTYPE/)]);
  });
});

describe('a task moved aside can be deleted, or run again once repaired', () => {
  it('task delete removes the hash, the corrupt entry and its reason; task run puts it back into pending', async () => {
    const {Inspector} = await import('../../src/lib/inspector.js');
    const rdb = new RDB(r.redis, {clock: new SimulatedClock(T0)});
    await rdb.registerQueue('default');
    for (const id of ['del', 'fix']) await r.redis.hset(keys.taskKey('default', id), 'msg', Buffer.from([0xff]), 'state', 'pending');
    await r.redis.lpush(keys.pendingKey('default'), 'del', 'fix');
    expect(await rdb.dequeue(['default'])).toBeNull();
    const insp = new Inspector(r.redis);
    await insp.deleteTask('default', 'del');
    expect(await r.redis.exists(keys.taskKey('default', 'del'))).toBe(0);
    await r.redis.hset(keys.taskKey('default', 'fix'), 'msg', encodeTaskMessage(makeMsg('fix')));
    await insp.runTask('default', 'fix');
    expect(await corrupt()).toEqual({ids: [], reasons: {}});
    expect((await rdb.dequeue(['default']))!.msg.id).toBe('fix');
  });
});

describe('Aggregator: one corrupt task in a group does not stall the group', () => {
  /** A corrupt member of group `g` in queue default, added as Go's addToGroupCmd would have. */
  async function seedCorruptMember(id: string, value: Buffer | string, score: number): Promise<void> {
    if (typeof value === 'string') await r.redis.set(keys.taskKey('default', id), value);
    else await r.redis.hset(keys.taskKey('default', id), 'msg', value, 'state', 'aggregating', 'group', 'g');
    await r.redis.zadd(keys.groupKey('default', 'g'), score, id);
  }

  it('aggregates the good tasks into one and moves each corrupt one aside with its reason, logged with its id', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    const seen: string[][] = [];
    const aggregator = new Aggregator({
      logger, rdb, groups: new RDBGroups(rdb), queues: ['default'], gracePeriodMs: 5000, maxDelayMs: 0, maxSize: 0, clock,
      groupAggregator: (group, tasks) => {
        seen.push(tasks.map((t) => t.payload.toString()));
        return new Task(`${group}:batch`, tasks.map((t) => t.payload.toString()).join(','), {taskId: 'agg'});
      },
    });
    await seedGroup(r.redis, 'g', [{msg: makeMsg('a'), score: T0_S - 10}, {msg: makeMsg('b'), score: T0_S - 8}]);
    await seedCorruptMember('junk', Buffer.from([0x0a, 0xff]), T0_S - 9);
    await seedCorruptMember('empty', Buffer.alloc(0), T0_S - 9);
    await seedCorruptMember('other', encodeTaskMessage(makeMsg('zzz', {groupKey: 'g'})), T0_S - 9);
    await seedCorruptMember('str', 'not a hash', T0_S - 9);
    await seedCorruptMember('c', encodeTaskMessage(makeMsg('c', {groupKey: 'g'})), T0_S - 7);

    await aggregator.exec();

    // The good tasks were aggregated into one pending task; the set and the group are gone.
    expect(seen).toEqual([['{"id":"a"}', '{"id":"b"}', '{"id":"c"}']]);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['agg']);
    expect((await readMsg(r.redis, 'default', 'agg')).payload.toString()).toBe('{"id":"a"},{"id":"b"},{"id":"c"}');
    expect(await r.redis.exists(keys.taskKey('default', 'a'), keys.taskKey('default', 'b'), keys.taskKey('default', 'c'))).toBe(0);
    expect(await r.redis.exists(keys.groupKey('default', 'g'), keys.allAggregationSets('default'))).toBe(0);
    expect(await r.redis.keys('asynq:{default}:g:g:*')).toEqual([]);
    // The corrupt ones are in the corrupt zset with their reasons; hashes keep their msg, state=corrupt.
    const c = await corrupt();
    expect(c.ids).toEqual(expect.arrayContaining([['junk', T0_S], ['empty', T0_S], ['other', T0_S], ['str', T0_S]]));
    expect(c.reasons).toEqual({
      junk: REASONS.junk,
      empty: 'cannot decode TaskMessage: id is empty',
      other: 'message is of task "zzz" in queue "default", not of its key',
      str: 'task key holds a string, not a hash',
    });
    expect(await r.redis.hgetallBuffer(keys.taskKey('default', 'junk'))).toEqual({
      msg: Buffer.from([0x0a, 0xff]), state: Buffer.from('corrupt'), group: Buffer.from('g'),
    });
    expect(await r.redis.hget(keys.taskKey('default', 'other'), 'state')).toBe('corrupt');
    expect(await r.redis.get(keys.taskKey('default', 'str'))).toBe('not a hash');
    // Each one logged at error level with its id.
    const errors = logger.lines.filter(([l]) => l === 'error').map(([, m]) => m);
    for (const id of ['junk', 'empty', 'other', 'str']) {
      expect(errors.filter((m) => m.startsWith(`aggregator: task id=${id} in queue "default" cannot be processed and was moved aside to asynq:{default}:corrupt: `))).toHaveLength(1);
    }
    expect(errors).toHaveLength(4);
    // The Inspector shows them as the other moved-aside tasks.
    const {Inspector} = await import('../../src/lib/inspector.js');
    const insp = new Inspector(r.redis);
    expect((await insp.listCorruptTasks('default')).map((t) => t.id).sort()).toEqual(['empty', 'junk', 'other', 'str']);
    const err = await insp.getTaskInfo('default', 'junk').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadDataError);
    expect((err as BadDataError).message).toMatch(/^task junk in queue "default" cannot be processed and was moved aside to asynq:\{default\}:corrupt: cannot decode TaskMessage: /);
    // Nothing is left to fail again: the next check finds no group.
    clock.advance(10_000);
    await aggregator.exec();
    expect(seen).toHaveLength(1);
    expect(logger.lines.filter(([l]) => l === 'error')).toHaveLength(4);
  });

  it('only deletes a set whose every task was moved aside (the GroupAggregator is not called)', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    let called = 0;
    const aggregator = new Aggregator({
      logger, rdb, groups: new RDBGroups(rdb), queues: ['default'], gracePeriodMs: 5000, maxDelayMs: 0, maxSize: 0, clock,
      groupAggregator: () => {
        called++;
        return new Task('x', null);
      },
    });
    await r.redis.sadd(keys.allGroups('default'), 'g');
    await seedCorruptMember('junk', Buffer.from([0xff]), T0_S - 10);
    await aggregator.exec();
    expect(called).toBe(0);
    expect((await corrupt()).ids).toEqual([['junk', T0_S]]);
    expect(await r.redis.exists(keys.groupKey('default', 'g'), keys.allAggregationSets('default'), keys.pendingKey('default'))).toBe(0);
    expect(await r.redis.keys('asynq:{default}:g:g:*')).toEqual([]);
  });
});
