/**
 * One Redis data set with tasks in every state, used by the Inspector and CLI tests: written the
 * way Go asynq's scripts leave it (through seed.ts), plus counters, a live server with a worker,
 * a scheduler entry and its enqueue history. All times are relative to `now` (unix seconds).
 *
 * Queue "default":
 *   pending      p1 (tail: next to run, pending since now-10s), p2 (since now-5s)
 *   active       a1 (lease now+30s), a2 (lease expired now-60s: orphaned)
 *   scheduled    s1 (at now+60s), s2 (at now+3600s, non-printable payload)
 *   retry        r1 (at now+120s, retried 2/25, "boom" failed at now-30s)
 *   archived     x1 (archived at now-100s, "fatal" failed at now-100s)
 *   completed    c1 (completed at now-10s, retention 1h, result "ok")
 *   group g1     ag1 (now-20s), ag2 (now-10s)
 *   counters     processed today 10, failed today 2, totals 100 / 7
 * Queue "critical": pending k1; paused.   Queue "empty": registered, no tasks.
 * Server "srv-1" on host "worker-host" pid 4242 (concurrency 10, default:3 critical:6), working on a1.
 * Scheduler "sched-1" entry "entry-1" ("@every 30s", type "cron:ping", options Queue/MaxRetry/TaskID
 * plus one unparsable string), with enqueue events t-old (now-60s) and t-new (now-30s).
 */
import type {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {
  encodeSchedulerEnqueueEvent,
  encodeSchedulerEntry,
  encodeServerInfo,
  encodeWorkerInfo,
  ZERO_TIME,
  type TaskMessage,
} from '../../src/lib/base/codec.js';
import {unixSeconds} from '../../src/lib/clock.js';
import {
  makeMsg,
  seedActive,
  seedArchived,
  seedCompleted,
  seedGroup,
  seedPending,
  seedRetry,
  seedScheduled,
} from './seed.js';

export const BINARY_PAYLOAD = Buffer.from([0xff, 0x00, 0xfe]);

export interface Seeded {
  now: Date;
  nowS: number;
  msgs: Record<string, TaskMessage>;
}

const ts = (seconds: number) => ({seconds, nanos: 0});

export async function seedEveryState(c: Redis, now: Date): Promise<Seeded> {
  const t = unixSeconds(now);
  const msgs: Record<string, TaskMessage> = {
    p1: makeMsg('p1'),
    p2: makeMsg('p2'),
    a1: makeMsg('a1'),
    a2: makeMsg('a2'),
    s1: makeMsg('s1'),
    s2: makeMsg('s2', {payload: BINARY_PAYLOAD}),
    r1: makeMsg('r1', {retried: 2, errorMsg: 'boom', lastFailedAt: t - 30}),
    x1: makeMsg('x1', {retried: 25, errorMsg: 'fatal', lastFailedAt: t - 100}),
    c1: makeMsg('c1', {retention: 3600, completedAt: t - 10}),
    ag1: makeMsg('ag1'),
    ag2: makeMsg('ag2'),
    k1: makeMsg('k1', {queue: 'critical'}),
  };
  await seedPending(c, [
    {msg: msgs.p1!, pendingSince: new Date(now.getTime() - 10_000)},
    {msg: msgs.p2!, pendingSince: new Date(now.getTime() - 5_000)},
  ]);
  await seedActive(c, [
    {msg: msgs.a1!, score: t + 30},
    {msg: msgs.a2!, score: t - 60},
  ]);
  await seedScheduled(c, [
    {msg: msgs.s1!, score: t + 60},
    {msg: msgs.s2!, score: t + 3600},
  ]);
  await seedRetry(c, [{msg: msgs.r1!, score: t + 120}]);
  await seedArchived(c, [{msg: msgs.x1!, score: t - 100}]);
  await seedCompleted(c, [{msg: msgs.c1!, score: t + 3600, result: Buffer.from('ok')}]);
  await seedGroup(c, 'g1', [
    {msg: msgs.ag1!, score: t - 20},
    {msg: msgs.ag2!, score: t - 10},
  ]);
  msgs.ag1 = {...msgs.ag1!, groupKey: 'g1'};
  msgs.ag2 = {...msgs.ag2!, groupKey: 'g1'};
  await seedPending(c, [{msg: msgs.k1!, pendingSince: now}]);
  await c.set(keys.pausedKey('critical'), String(t - 5));
  await c.sadd(keys.allQueues, 'empty');
  await c.set(keys.processedKey('default', now), '10');
  await c.set(keys.failedKey('default', now), '2');
  await c.set(keys.processedTotalKey('default'), '100');
  await c.set(keys.failedTotalKey('default'), '7');
  await c.set(keys.processedKey('default', new Date(now.getTime() - 86_400_000)), '4');

  const srvKey = keys.serverInfoKey('worker-host', 4242, 'srv-1');
  const wrkKey = keys.workersKey('worker-host', 4242, 'srv-1');
  await c.set(
    srvKey,
    encodeServerInfo({
      host: 'worker-host',
      pid: 4242,
      serverId: 'srv-1',
      concurrency: 10,
      queues: {default: 3, critical: 6},
      strictPriority: false,
      status: 'active',
      startTime: ts(t - 3723),
      activeWorkerCount: 1,
    }),
  );
  await c.hset(
    wrkKey,
    'a1',
    encodeWorkerInfo({
      host: 'worker-host',
      pid: 4242,
      serverId: 'srv-1',
      taskId: 'a1',
      taskType: 'task:a1',
      taskPayload: msgs.a1!.payload,
      queue: 'default',
      startTime: ts(t - 3),
      deadline: ts(t + 1797),
    }),
  );
  await c.zadd(keys.allServers, t + 15, srvKey);
  await c.zadd(keys.allWorkers, t + 15, wrkKey);

  const schedKey = keys.schedulerEntriesKey('sched-1');
  await c.lpush(
    schedKey,
    encodeSchedulerEntry({
      id: 'entry-1',
      spec: '@every 30s',
      taskType: 'cron:ping',
      taskPayload: Buffer.from('{"n":1}'),
      enqueueOptions: ['Queue("low")', 'MaxRetry(3)', 'TaskID("fixed")', 'Bogus(1)'],
      nextEnqueueTime: ts(t + 20),
      prevEnqueueTime: ts(t - 10),
    }),
  );
  await c.lpush(
    schedKey,
    encodeSchedulerEntry({
      id: 'entry-0',
      spec: '* * * * *',
      taskType: 'cron:minute',
      taskPayload: Buffer.alloc(0),
      enqueueOptions: [],
      nextEnqueueTime: ts(t + 40),
      prevEnqueueTime: ZERO_TIME,
    }),
  );
  await c.zadd(keys.allSchedulers, t + 15, schedKey);
  const hist = keys.schedulerHistoryKey('entry-1');
  await c.zadd(hist, t - 60, encodeSchedulerEnqueueEvent({taskId: 't-old', enqueueTime: ts(t - 60)}));
  await c.zadd(hist, t - 30, encodeSchedulerEnqueueEvent({taskId: 't-new', enqueueTime: ts(t - 30)}));
  return {now, nowS: t, msgs};
}
