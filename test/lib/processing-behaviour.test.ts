/**
 * Behaviour checklist (docs/behaviour-checklist.md), section E/F/I items that had no test of their
 * own: attempt deadline through the Processor (8), unique lock TTL after retry/archive (40),
 * weighted priority over real dequeues (63), no double processing by two workers (67), a queue
 * never registered in asynq:queues (68), result visibility (71), the default retry delay (73),
 * ErrorHandler on cancelation (82), a canceled task with no retries left (110) and cancel messages
 * for tasks running nowhere (111).
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import * as keys from '../../src/lib/base/keys.js';
import {newTaskMessage} from '../../src/lib/base/codec.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {CanceledError, TaskNotFoundError} from '../../src/lib/errors.js';
import {Inspector} from '../../src/lib/inspector.js';
import {Processor, type ProcessorParams} from '../../src/lib/processor.js';
import type {HandlerFunc, TaskContext} from '../../src/lib/handler.js';
import {defaultRetryDelayFunc} from '../../src/lib/retry.js';
import {Server} from '../../src/lib/server.js';
import {Client} from '../../src/lib/client.js';
import {Task} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {dumpAll} from '../support/dump.js';
import {makeMsg, noonToday, readMsg, seedArchived, seedPending, seedRetry, seedScheduled} from '../support/seed.js';
import {recordingLogger} from '../support/logger.js';
import {deferred, waitFor} from '../support/wait.js';

const r = useRedis();

// Today at noon UTC: the daily stats keys the outcome scripts write expire 90 days after "now".
const T0 = noonToday();

const fn = (h: HandlerFunc): {processTask: HandlerFunc} => ({processTask: h});

function setup(params: Partial<ProcessorParams> & {at?: Date} = {}) {
  const clock = new SimulatedClock(params.at ?? T0);
  const rdb = new RDB(r.redis, {clock});
  const p = new Processor({
    logger: recordingLogger(), rdb, queues: {default: 1}, concurrency: 1, clock, taskCheckIntervalMs: 4,
    retryDelayFunc: () => 60_000, handler: fn(() => {}), ...params,
  });
  return {clock, rdb, p};
}

async function runOne(p: Processor): Promise<void> {
  await p.exec();
  await p.waitForWorkers();
}

describe('checklist 8: the attempt deadline is min(now + timeout, deadline)', () => {
  it('hands the handler the earlier of now + timeout (whole seconds) and the deadline, or either alone', async () => {
    // Given: "now" 700 ms into a second, and three tasks with timeout and/or deadline
    const at = new Date(T0.getTime() + 700);
    const nowS = unixSeconds(at);
    const seen: Record<string, Date> = {};
    const {p, rdb} = setup({at, handler: fn((t, ctx) => void (seen[t.type] = ctx.deadline))});
    await rdb.enqueue(makeMsg('timeout-first', {type: 'timeout-first', timeout: 10, deadline: nowS + 100}));
    await rdb.enqueue(makeMsg('deadline-first', {type: 'deadline-first', timeout: 100, deadline: nowS + 10}));
    await rdb.enqueue(makeMsg('timeout-only', {type: 'timeout-only', timeout: 10, deadline: 0}));
    // When
    for (let i = 0; i < 3; i++) await runOne(p);
    // Then
    expect(seen).toEqual({
      'timeout-first': new Date((nowS + 10) * 1000),
      'deadline-first': new Date((nowS + 10) * 1000),
      'timeout-only': new Date(at.getTime() + 10_000),
    });
    expect(seen['timeout-first']!.getTime()).toBeLessThan(at.getTime() + 10_000); // truncated to the second
  });
});

describe('checklist 40: after a retry or an archive the unique lock keeps its value and its TTL', () => {
  it('neither removes nor refreshes the lock TTL', async () => {
    const clock = new SimulatedClock(T0);
    const client = new Client(r.redis, {clock});
    const rdb = new RDB(r.redis, {clock});
    const lockA = 'asynq:{default}:unique:a:';
    const lockB = 'asynq:{default}:unique:b:';
    await client.enqueue(new Task('a', null, {taskId: 'a'}), {unique: '1h'});
    await r.redis.expire(lockA, 500); // a TTL the scripts would not produce: any rewrite shows
    const a = await rdb.dequeue(['default']);
    await rdb.retry(a!.msg, new Date(T0.getTime() + 60_000), 'boom', true);
    expect(await r.redis.get(lockA)).toBe('a');
    expect(await r.redis.ttl(lockA)).toBeGreaterThan(495);
    expect(await r.redis.ttl(lockA)).toBeLessThanOrEqual(500);

    await client.enqueue(new Task('b', null, {taskId: 'b'}), {unique: '1h'});
    await r.redis.expire(lockB, 400);
    const b = await rdb.dequeue(['default']);
    await rdb.archive(b!.msg, 'boom');
    expect(await r.redis.get(lockB)).toBe('b');
    expect(await r.redis.ttl(lockB)).toBeGreaterThan(395);
    expect(await r.redis.ttl(lockB)).toBeLessThanOrEqual(400);
  });
});

describe('checklist 63: weighted priority over real dequeues', () => {
  it('takes tasks from critical:6, default:3, low:1 in shares close to 6:3:1 while all are non-empty', async () => {
    // Given: 1000 pending tasks in each queue (none can run dry in 1000 dequeues)
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    for (const q of ['critical', 'default', 'low']) {
      await rdb.enqueueBatch(Array.from({length: 1000}, (_, i) => ({msg: makeMsg(`${q}-${i}`, {queue: q})})));
    }
    const taken: Record<string, number> = {critical: 0, default: 0, low: 0};
    const p = new Processor({
      logger: recordingLogger(), rdb, queues: {critical: 6, default: 3, low: 1}, concurrency: 1, clock,
      handler: fn((_t, ctx) => void taken[ctx.queue]!++),
    });
    // When
    const N = 1000;
    for (let i = 0; i < N; i++) await runOne(p);
    // Then: binomial sd ≤ 0.0155 at n = 1000; the tolerance 0.07 is > 4.5 sd
    expect(taken.critical! + taken.default! + taken.low!).toBe(N);
    expect(Math.abs(taken.critical! / N - 0.6)).toBeLessThan(0.07);
    expect(Math.abs(taken.default! / N - 0.3)).toBeLessThan(0.07);
    expect(Math.abs(taken.low! / N - 0.1)).toBeLessThan(0.05);
    for (const q of ['critical', 'default', 'low']) {
      expect(await r.redis.llen(keys.pendingKey(q))).toBe(1000 - taken[q]!);
    }
  });
});

describe('checklist 67: two workers on one queue never process the same dequeued task twice', () => {
  it('processes each of 300 tasks exactly once with two processors on separate connections', async () => {
    // Given
    const conns = [r.server.client(), r.server.client()];
    try {
      const seen: string[] = [];
      const producer = new RDB(r.redis);
      await producer.enqueueBatch(Array.from({length: 300}, (_, i) => ({msg: makeMsg(`t${i}`)})));
      const procs = conns.map((c) => new Processor({
        logger: recordingLogger(), rdb: new RDB(c), queues: {default: 1}, concurrency: 4, taskCheckIntervalMs: 2,
        handler: fn(async (_t, ctx) => {
          seen.push(ctx.taskId);
          await new Promise((res) => setImmediate(res));
        }),
      }));
      // When
      for (const p of procs) p.start();
      await waitFor(async () => (await r.redis.get(keys.processedTotalKey('default'))) === '300', 'all 300 processed');
      await Promise.all(procs.map((p) => p.shutdown()));
      // Then
      expect(seen).toHaveLength(300);
      expect(new Set(seen).size).toBe(300);
      expect(await r.redis.exists(keys.pendingKey('default'), keys.activeKey('default'), keys.leaseKey('default'))).toBe(0);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });
});

describe('checklist 68: a queue that is not in asynq:queues is still served', () => {
  it('processes a task written without SADD (as by a peer that registered it elsewhere) and registers nothing', async () => {
    // Given: a pending task in queue "unlisted", which asynq:queues does not hold
    await seedPending(r.redis, [{msg: makeMsg('u1', {queue: 'unlisted'})}], {register: false});
    const got: string[] = [];
    const {p} = setup({queues: {unlisted: 1}, handler: fn((t) => void got.push(t.type))});
    // When
    await runOne(p);
    // Then
    expect(got).toEqual(['task:u1']);
    expect(await r.redis.exists(keys.taskKey('unlisted', 'u1'), keys.pendingKey('unlisted'))).toBe(0);
    expect(await r.redis.get(keys.processedTotalKey('unlisted'))).toBe('1');
    expect(await r.redis.exists(keys.allQueues)).toBe(0);
  });
});

describe('checklist 71: a result is visible through GetTaskInfo only when the task is retained', () => {
  it('keeps the result of a retained task and loses it with the task otherwise', async () => {
    // Given: two tasks whose handler writes a result, one with retention
    const {p, rdb, clock} = setup({handler: fn(async (t) => void (await t.resultWriter!.write(`result of ${t.type}`)))});
    await rdb.enqueue(makeMsg('kept', {type: 'kept', retention: 3600}));
    await rdb.enqueue(makeMsg('gone', {type: 'gone'}));
    const insp = new Inspector(r.redis, {clock});
    try {
      // When
      await runOne(p);
      await runOne(p);
      // Then
      const kept = await insp.getTaskInfo('default', 'kept');
      expect(kept).toMatchObject({state: 'completed', result: Buffer.from('result of kept')});
      expect(await r.redis.hget(keys.taskKey('default', 'kept'), 'result')).toBe('result of kept');
      await expect(insp.getTaskInfo('default', 'gone')).rejects.toBeInstanceOf(TaskNotFoundError);
      expect(await r.redis.exists(keys.taskKey('default', 'gone'))).toBe(0);
    } finally {
      await insp.close();
    }
  });
});

describe('checklist 73: the default retry delay', () => {
  it('is n⁴ + 15 s at the lowest and n⁴ + 15 + 29·(n+1) s at the highest draw', () => {
    for (let n = 0; n <= 12; n++) {
      expect(defaultRetryDelayFunc(n, new Error('x'), undefined, () => 0)).toBe((n ** 4 + 15) * 1000);
      expect(defaultRetryDelayFunc(n, new Error('x'), undefined, () => 0.999_999)).toBe((n ** 4 + 15 + 29 * (n + 1)) * 1000);
    }
  });

  it('stays within the bounds, in whole multiples of (n+1) s, for real random draws', () => {
    for (const n of [0, 1, 2, 5, 10]) {
      const seen = new Set<number>();
      const bad: number[] = [];
      for (let i = 0; i < 2000; i++) {
        const s = defaultRetryDelayFunc(n) / 1000;
        const step = (s - n ** 4 - 15) / (n + 1);
        if (!Number.isInteger(step) || step < 0 || step > 29) bad.push(s);
        seen.add(s);
      }
      expect(bad).toEqual([]);
      expect(seen.size).toBe(30); // every one of the 30 steps occurs in 2000 draws
    }
  });
});

describe('checklist 82: ErrorHandler is called once for a canceled task', () => {
  it('reports `context canceled` exactly once, before the retry write', async () => {
    const calls: Array<[string, string, string | null]> = [];
    let ctx: TaskContext | undefined;
    const {p, rdb} = setup({
      handler: fn((_t, c) => new Promise((_res, rej) => {
        ctx = c;
        c.signal.addEventListener('abort', () => rej(c.signal.reason));
      })),
      errorHandler: async (t, err) => {
        calls.push([t.type, err.message, await r.redis.hget(keys.taskKey('default', 'c1'), 'state')]);
      },
    });
    await rdb.enqueue(makeMsg('c1'));
    await p.exec();
    await waitFor(() => ctx, 'handler running');
    expect(p.cancel('c1')).toBe(true);
    await p.waitForWorkers();
    expect(calls).toEqual([['task:c1', 'context canceled', 'active']]);
    expect(await r.redis.hget(keys.taskKey('default', 'c1'), 'state')).toBe('retry');
    expect((await readMsg(r.redis, 'default', 'c1')).errorMsg).toBe('context canceled');
  });
});

describe('checklist 110: a canceled task is a failure, retried or archived per its retries', () => {
  it('archives a canceled task with no retries left, error `context canceled`, counted as processed and failed', async () => {
    let ctx: TaskContext | undefined;
    const {p, rdb} = setup({handler: fn((_t, c) => new Promise((_res, rej) => {
      ctx = c;
      c.signal.addEventListener('abort', () => rej(c.signal.reason));
    }))});
    await rdb.enqueue(makeMsg('last', {retry: 2, retried: 2}));
    await p.exec();
    await waitFor(() => ctx, 'handler running');
    expect(p.cancel('last')).toBe(true);
    await p.waitForWorkers();
    expect(await r.redis.hget(keys.taskKey('default', 'last'), 'state')).toBe('archived');
    expect(await r.redis.zscore(keys.archivedKey('default'), 'last')).toBe(String(unixSeconds(T0)));
    expect(await readMsg(r.redis, 'default', 'last')).toMatchObject({retried: 2, errorMsg: 'context canceled', lastFailedAt: unixSeconds(T0)});
    expect(await r.redis.mget(keys.processedTotalKey('default'), keys.failedTotalKey('default'))).toEqual(['1', '1']);
  });
});

describe('checklist 111: a cancel message for a task not running anywhere changes nothing', () => {
  it('leaves tasks in every other state untouched while the running task is canceled', async () => {
    // Given: a server running task "run"; tasks "p", "s", "r", "x" in other states; an unknown id
    const nowS = unixSeconds(new Date());
    await seedPending(r.redis, [{msg: makeMsg('p', {queue: 'elsewhere'})}]);
    await seedScheduled(r.redis, [{msg: makeMsg('s'), score: nowS + 3600}]);
    await seedRetry(r.redis, [{msg: makeMsg('r'), score: nowS + 3600}]);
    await seedArchived(r.redis, [{msg: makeMsg('x'), score: nowS - 10}]);
    // Every key of those tasks; the retry zset without the canceled task "run", which lands there.
    const others = async () => (await dumpAll(r.redis))
      .filter((d) => /:t:[psrx]$|:(scheduled|retry|archived)$|\{elsewhere\}:pending$/.test(d.key))
      .map((d) => (d.type === 'zset' ? {...d, value: d.value.filter((e) => e.member !== 'run')} : d));
    const before = await others();
    expect(before).toHaveLength(8);
    const running = deferred<TaskContext>();
    const srv = new Server(r.server.url, {logger: recordingLogger(), concurrency: 1});
    try {
      await srv.start((_t, ctx) => new Promise((_res, rej) => {
        running.resolve(ctx);
        ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason));
      }));
      await waitFor(async () => Number((await r.redis.pubsub('NUMSUB', keys.cancelChannel))[1]) > 0, 'subscriber connected');
      await new RDB(r.redis).enqueue(makeMsg('run'));
      const ctx = await running.promise;
      // When: cancels for ids not running here, then one for the running task (delivered in order)
      for (const id of ['p', 's', 'r', 'x', 'no-such-task']) await r.redis.publish(keys.cancelChannel, id);
      await r.redis.publish(keys.cancelChannel, 'run');
      await waitFor(async () => (await r.redis.hget(keys.taskKey('default', 'run'), 'state')) === 'retry', 'run canceled');
      // Then
      expect(ctx.signal.reason).toBeInstanceOf(CanceledError);
      expect(await others()).toEqual(before);
    } finally {
      await srv.shutdown();
    }
  });
});

it('the fixtures build Go-default messages (sanity for the checks above)', () => {
  expect(makeMsg('x')).toEqual(newTaskMessage({
    type: 'task:x', id: 'x', queue: 'default', retry: 25, timeout: 1800, payload: Buffer.from('{"id":"x"}'),
  }));
});
