import {afterEach, describe, expect, it} from 'vitest';
import {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {
  FailedPreconditionError, QueueNotEmptyError, QueueNotFoundError, RedisCommandError, TaskNotFoundError, ValidationError,
} from '../../src/lib/errors.js';
import {Inspector} from '../../src/lib/index.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {useRedis} from '../support/redis.js';
import {BINARY_PAYLOAD, seedEveryState} from '../support/seed-every-state.js';
import {expectRejectsUnchanged} from '../support/seed.js';

const r = useRedis();
const NOW = new Date('2026-03-10T12:00:00Z');
const T = unixSeconds(NOW);
const opened: Inspector[] = [];

function inspector(): Inspector {
  const insp = new Inspector(r.redis, {clock: new SimulatedClock(NOW)});
  opened.push(insp);
  return insp;
}

afterEach(async () => {
  for (const i of opened.splice(0)) await i.close();
});

const ids = (tasks: Array<{id: string}>): string[] => tasks.map((t) => t.id);
const sec = (s: number): Date => new Date(s * 1000);

describe('Inspector: queues and stats', () => {
  it('lists the queues sorted by name', async () => {
    await seedEveryState(r.redis, NOW);
    expect(await inspector().queues()).toEqual(['critical', 'default', 'empty']);
  });

  it('returns QueueInfo with counts per state, today\'s counters, totals, latency in ms and memory usage', async () => {
    await seedEveryState(r.redis, NOW);
    const info = await inspector().getQueueInfo('default');
    expect(info).toEqual({
      queue: 'default', memoryUsage: expect.any(Number), latency: 10_000, size: 11, groups: 1,
      pending: 2, active: 2, scheduled: 2, retry: 1, archived: 1, completed: 1, aggregating: 2,
      processed: 10, failed: 2, processedTotal: 100, failedTotal: 7, paused: false, timestamp: NOW,
    });
    expect(info.memoryUsage).toBeGreaterThan(0);
    expect(await inspector().getQueueInfo('critical')).toMatchObject({paused: true, pending: 1, size: 1, latency: 0});
  });

  it('gives the daily history newest first and rejects days < 1', async () => {
    await seedEveryState(r.redis, NOW);
    expect(await inspector().history('default', 3)).toEqual([
      {queue: 'default', date: '2026-03-10', processed: 10, failed: 2},
      {queue: 'default', date: '2026-03-09', processed: 4, failed: 0},
      {queue: 'default', date: '2026-03-08', processed: 0, failed: 0},
    ]);
    await expect(inspector().history('default', 0)).rejects.toBeInstanceOf(ValidationError);
  });

  it('lists groups with sizes; an unknown queue is QueueNotFoundError, a blank name ValidationError', async () => {
    await seedEveryState(r.redis, NOW);
    await r.redis.zadd(keys.groupKey('default', 'a0'), T, 'x');
    await r.redis.sadd(keys.allGroups('default'), 'a0');
    expect(await inspector().groups('default')).toEqual([{group: 'a0', size: 1}, {group: 'g1', size: 2}]);
    expect(await inspector().groups('empty')).toEqual([]);
    await expect(inspector().groups('nope')).rejects.toBeInstanceOf(QueueNotFoundError);
    await expect(inspector().getQueueInfo(' ')).rejects.toBeInstanceOf(ValidationError);
  });

  it('every per-queue call on an unknown queue fails with QueueNotFoundError and writes nothing', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    const calls: Array<() => Promise<unknown>> = [
      () => i.getQueueInfo('nope'), () => i.history('nope', 1), () => i.groups('nope'), () => i.pauseQueue('nope'),
      () => i.unpauseQueue('nope'), () => i.deleteQueue('nope', true), () => i.getTaskInfo('nope', 'p1'),
      () => i.listTasks('nope', 'pending'), () => i.runTask('nope', 'p1'), () => i.archiveTask('nope', 'p1'),
      () => i.deleteTask('nope', 'p1'), () => i.bulkTasks('delete', 'nope', 'archived'),
      () => i.bulkTasks('run', 'nope', 'aggregating', {group: 'g1'}),
    ];
    for (const call of calls) await expectRejectsUnchanged(r.redis, call, QueueNotFoundError, 'queue "nope" does not exist');
  });
});

describe('Inspector: task listings', () => {
  it('maps every state to TaskInfo with Go\'s next-process times, orphan flag and result', async () => {
    const {msgs} = await seedEveryState(r.redis, NOW);
    const i = inspector();
    const pending = await i.listPendingTasks('default');
    expect(ids(pending)).toEqual(['p1', 'p2']);
    expect(pending[0]).toEqual({
      id: 'p1', queue: 'default', type: 'task:p1', payload: Buffer.from('{"id":"p1"}'), headers: {}, state: 'pending',
      maxRetry: 25, retried: 0, lastErr: '', lastFailedAt: null, timeout: 1_800_000, deadline: null, group: '',
      nextProcessAt: NOW, isOrphaned: false, retention: 0, completedAt: null, result: null,
    });
    const active = await i.listActiveTasks('default');
    expect(active.map((t) => [t.id, t.isOrphaned, t.nextProcessAt])).toEqual([['a1', false, null], ['a2', true, null]]);
    const scheduled = await i.listScheduledTasks('default');
    expect(scheduled.map((t) => [t.id, t.nextProcessAt])).toEqual([['s1', sec(T + 60)], ['s2', sec(T + 3600)]]);
    expect(scheduled[1]!.payload).toEqual(BINARY_PAYLOAD);
    const [retry] = await i.listRetryTasks('default');
    expect(retry).toMatchObject({id: 'r1', state: 'retry', retried: 2, lastErr: 'boom', lastFailedAt: sec(T - 30), nextProcessAt: sec(T + 120)});
    const [archived] = await i.listArchivedTasks('default');
    expect(archived).toMatchObject({id: 'x1', state: 'archived', lastErr: 'fatal', nextProcessAt: null});
    const [completed] = await i.listCompletedTasks('default');
    expect(completed).toMatchObject({id: 'c1', state: 'completed', retention: 3_600_000, completedAt: sec(T - 10), result: Buffer.from('ok')});
    const agg = await i.listAggregatingTasks('default', 'g1');
    expect(agg.map((t) => [t.id, t.state, t.group])).toEqual([['ag1', 'aggregating', 'g1'], ['ag2', 'aggregating', 'g1']]);
    expect(msgs.ag1!.groupKey).toBe('g1');
  });

  it('listTasks dispatches on the state name and pages (1-based)', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    expect(ids(await i.listTasks('default', 'pending', {page: 2, size: 1}))).toEqual(['p2']);
    expect(ids(await i.listTasks('default', 'pending', {page: 3, size: 1}))).toEqual([]);
    expect(ids(await i.listTasks('default', 'aggregating', {group: 'g1', size: 1}))).toEqual(['ag1']);
    for (const s of ['active', 'scheduled', 'retry', 'archived', 'completed']) {
      expect((await i.listTasks('default', s)).every((t) => t.state === s)).toBe(true);
    }
  });

  it('rejects a bad state, a missing group and bad paging with ValidationError', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await expect(i.listTasks('default', 'done')).rejects.toThrow('unsupported state "done": expected one of pending, active, scheduled, retry, archived, completed, aggregating');
    await expect(i.listTasks('default', 'aggregating')).rejects.toThrow('a group is required for listing aggregating tasks');
    await expect(i.listTasks('default', 'pending', {size: 0})).rejects.toThrow('page size must be a positive integer, got 0');
    await expect(i.listTasks('default', 'pending', {page: 0})).rejects.toBeInstanceOf(ValidationError);
  });

  it('getTaskInfo finds a task in any state; TaskNotFoundError otherwise', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    expect(await i.getTaskInfo('default', 's1')).toMatchObject({id: 's1', state: 'scheduled', nextProcessAt: sec(T + 60)});
    expect(await i.getTaskInfo('default', 'p2')).toMatchObject({state: 'pending', nextProcessAt: NOW});
    expect(await i.getTaskInfo('default', 'c1')).toMatchObject({state: 'completed', nextProcessAt: null, result: Buffer.from('ok')});
    await expect(i.getTaskInfo('default', 'missing')).rejects.toThrow(new TaskNotFoundError('default', 'missing'));
  });
});

describe('Inspector: task writes', () => {
  it('runTask moves a retry task to the head of pending; pending and active tasks are refused', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await i.runTask('default', 'r1');
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['r1', 'p2', 'p1']);
    expect(await r.redis.zcard(keys.retryKey('default'))).toBe(0);
    expect(await r.redis.hget(keys.taskKey('default', 'r1'), 'state')).toBe('pending');
    await expectRejectsUnchanged(r.redis, () => i.runTask('default', 'p1'), FailedPreconditionError, 'task is already in pending state');
    await expectRejectsUnchanged(r.redis, () => i.runTask('default', 'a1'), FailedPreconditionError, 'task is already running');
    await expectRejectsUnchanged(r.redis, () => i.runTask('default', 'zz'), TaskNotFoundError);
  });

  it('archiveTask archives at now; deleteTask removes the hash; active tasks are refused', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await i.archiveTask('default', 's1');
    expect(await r.redis.zscore(keys.archivedKey('default'), 's1')).toBe(String(T));
    expect(await r.redis.zscore(keys.scheduledKey('default'), 's1')).toBeNull();
    await i.deleteTask('default', 'ag1');
    expect(await r.redis.exists(keys.taskKey('default', 'ag1'))).toBe(0);
    expect(await r.redis.zrange(keys.groupKey('default', 'g1'), 0, -1)).toEqual(['ag2']);
    await expectRejectsUnchanged(r.redis, () => i.deleteTask('default', 'a1'), FailedPreconditionError);
    await expectRejectsUnchanged(r.redis, () => i.archiveTask('default', 'x1'), FailedPreconditionError);
  });

  it('bulkTasks runs every supported action/state pair and returns the count', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    expect(await i.bulkTasks('run', 'default', 'aggregating', {group: 'g1'})).toBe(2);
    expect(await r.redis.exists(keys.groupKey('default', 'g1'))).toBe(0);
    expect(await r.redis.smembers(keys.allGroups('default'))).toEqual([]);
    expect(await i.bulkTasks('archive', 'default', 'pending')).toBe(4); // p1, p2, ag1, ag2
    expect(await r.redis.llen(keys.pendingKey('default'))).toBe(0);
    expect(await i.bulkTasks('archive', 'default', 'scheduled')).toBe(2);
    expect(await i.bulkTasks('run', 'default', 'retry')).toBe(1);
    expect(await i.bulkTasks('delete', 'default', 'pending')).toBe(1);
    expect(await i.bulkTasks('delete', 'default', 'completed')).toBe(1);
    expect(await i.bulkTasks('run', 'default', 'archived')).toBe(7);
    expect(await i.bulkTasks('delete', 'default', 'pending')).toBe(7);
    expect(await i.bulkTasks('delete', 'default', 'archived')).toBe(0);
    expect(await i.getQueueInfo('default')).toMatchObject({size: 2, active: 2});
    expect(await i.deleteAllScheduledTasks('default')).toBe(0);
    expect(await i.deleteAllRetryTasks('default')).toBe(0);
    expect(await i.archiveAllRetryTasks('default')).toBe(0);
    expect(await i.runAllScheduledTasks('default')).toBe(0);
    expect(await i.deleteAllAggregatingTasks('default', 'g1')).toBe(0);
    expect(await i.archiveAllAggregatingTasks('default', 'g1')).toBe(0);
  });

  it('bulkTasks refuses states an action does not support, and aggregating without a group, before writing', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await expectRejectsUnchanged(r.redis, () => i.bulkTasks('run', 'default', 'pending'), ValidationError,
      'unsupported state "pending": expected one of scheduled, retry, archived, aggregating');
    await expectRejectsUnchanged(r.redis, () => i.bulkTasks('archive', 'default', 'completed'), ValidationError);
    await expectRejectsUnchanged(r.redis, () => i.bulkTasks('delete', 'default', 'active'), ValidationError);
    await expectRejectsUnchanged(r.redis, () => i.bulkTasks('delete', 'default', 'aggregating'), ValidationError,
      'a group is required for deleting aggregating tasks');
  });

  it('cancelProcessing publishes the task id on asynq:cancel', async () => {
    const sub = r.server.client();
    const got = new Promise<[string, string]>((resolve) => sub.on('message', (ch: string, m: string) => resolve([ch, m])));
    await sub.subscribe(keys.cancelChannel);
    await inspector().cancelProcessing('a1');
    expect(await got).toEqual([keys.cancelChannel, 'a1']);
    await sub.quit();
    await expect(inspector().cancelProcessing('')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('Inspector: queue administration', () => {
  it('pauses and unpauses; pausing twice or unpausing a running queue is FailedPreconditionError', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await i.pauseQueue('default');
    expect(await r.redis.get(keys.pausedKey('default'))).toBe(String(T));
    await expectRejectsUnchanged(r.redis, () => i.pauseQueue('default'), FailedPreconditionError, 'queue "default" is already paused');
    await i.unpauseQueue('default');
    expect(await r.redis.exists(keys.pausedKey('default'))).toBe(0);
    await expectRejectsUnchanged(r.redis, () => i.unpauseQueue('default'), FailedPreconditionError, 'queue "default" is not paused');
  });

  it('deleteQueue refuses a non-empty queue without force, and active tasks even with force', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    await expectRejectsUnchanged(r.redis, () => i.deleteQueue('critical', false), QueueNotEmptyError, 'queue "critical" is not empty');
    await expectRejectsUnchanged(r.redis, () => i.deleteQueue('default', true), FailedPreconditionError, 'cannot remove queue with active tasks');
    await i.deleteQueue('critical', true);
    await i.deleteQueue('empty');
    expect(await r.redis.smembers(keys.allQueues)).toEqual(['default']);
    expect(await r.redis.exists(keys.taskKey('critical', 'k1'), keys.pendingKey('critical'))).toBe(0);
  });
});

describe('Inspector: servers and schedulers', () => {
  it('joins servers with their workers', async () => {
    await seedEveryState(r.redis, NOW);
    await r.redis.set(keys.serverInfoKey('a-host', 1, 'srv-0'), Buffer.from([0xff])); // undecodable: skipped
    await r.redis.zadd(keys.allServers, T + 15, keys.serverInfoKey('a-host', 1, 'srv-0'));
    expect(await inspector().servers()).toEqual([{
      id: 'srv-1', host: 'worker-host', pid: 4242, concurrency: 10, queues: {default: 3, critical: 6}, strictPriority: false,
      started: sec(T - 3723), status: 'active',
      activeWorkers: [{taskId: 'a1', taskType: 'task:a1', taskPayload: Buffer.from('{"id":"a1"}'), queue: 'default', started: sec(T - 3), deadline: sec(T + 1797)}],
    }]);
  });

  it('lists scheduler entries sorted by spec with options parsed back; unparsable option strings are dropped', async () => {
    await seedEveryState(r.redis, NOW);
    const entries = await inspector().schedulerEntries();
    expect(entries.map((e) => e.spec)).toEqual(['* * * * *', '@every 30s']);
    const [minute, every] = entries;
    expect(minute).toMatchObject({id: 'entry-0', options: [], opts: {}, prev: null, next: sec(T + 40)});
    expect(every).toMatchObject({
      id: 'entry-1', options: ['Queue("low")', 'MaxRetry(3)', 'TaskID("fixed")'], opts: {queue: 'low', maxRetry: 3, taskId: 'fixed'},
      next: sec(T + 20), prev: sec(T - 10),
    });
    expect(every!.task.type).toBe('cron:ping');
    expect(every!.task.payload.toString()).toBe('{"n":1}');
  });

  it('lists enqueue events newest first, paged', async () => {
    await seedEveryState(r.redis, NOW);
    const i = inspector();
    expect(await i.listSchedulerEnqueueEvents('entry-1')).toEqual([
      {taskId: 't-new', enqueuedAt: sec(T - 30)}, {taskId: 't-old', enqueuedAt: sec(T - 60)},
    ]);
    expect(await i.listSchedulerEnqueueEvents('entry-1', {page: 2, size: 1})).toEqual([{taskId: 't-old', enqueuedAt: sec(T - 60)}]);
    expect(await i.listSchedulerEnqueueEvents('nope')).toEqual([]);
  });
});

describe('Inspector: connection', () => {
  it('reads INFO, and reports that it is not a cluster (CLUSTER KEYSLOT then fails with RedisCommandError)', async () => {
    const i = inspector();
    expect(i.isCluster).toBe(false);
    const {cluster, info} = await i.redisInfo();
    expect(cluster).toBe(false);
    expect(info.redis_version).toMatch(/^\d+\.\d+/);
    expect(info.tcp_port).toBe(String(r.server.port));
    await expect(i.clusterKeySlot('default')).rejects.toBeInstanceOf(RedisCommandError);
  });

  it('close() leaves a passed-in client open, closes its own, and later calls fail', async () => {
    const own = new Inspector(r.server.url);
    await own.ping();
    await own.close();
    await own.close();
    await expect(own.queues()).rejects.toThrow('asynq: inspector is closed');
    const shared = inspector();
    await shared.close();
    expect(await r.redis.ping()).toBe('PONG');
  });

  it('an unreachable server fails with RedisCommandError', async () => {
    const client = new Redis({port: 1, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null});
    client.on('error', () => {});
    const i = new Inspector(client);
    await expect(i.queues()).rejects.toBeInstanceOf(RedisCommandError);
    client.disconnect();
  });

  it('reads nothing it should not: a listing leaves Redis unchanged', async () => {
    await seedEveryState(r.redis, NOW);
    const before = await dumpAll(r.redis);
    const i = inspector();
    await i.getQueueInfo('default');
    for (const s of ['pending', 'active', 'scheduled', 'retry', 'archived', 'completed']) await i.listTasks('default', s);
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });
});
