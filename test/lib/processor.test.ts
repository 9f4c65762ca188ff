import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {
  Processor, computeDeadline, normalizeQueues, queueOrder, type ProcessorParams,
} from '../../src/lib/processor.js';
import {CanceledError, DeadlineExceededError, HandlerPanicError, LeaseExpiredError, RevokeTask, SkipRetry, ValidationError} from '../../src/lib/errors.js';
import type {HandlerFunc, TaskContext} from '../../src/lib/handler.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Syncer} from '../../src/lib/syncer.js';
import type {Task} from '../../src/lib/task.js';
import type {TaskMessage} from '../../src/lib/base/codec.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {deferred, waitFor} from '../support/wait.js';
import {makeMsg, noonToday, readMsg, TODAY, zsetEntries} from '../support/seed.js';

const r = useRedis();

// Today at noon UTC: daily stats keys expire 90 days after "now", so "now" must be near the real date.
const T0 = noonToday();

function setup(params: Partial<ProcessorParams> & {handler?: ProcessorParams['handler']; at?: Date} = {}) {
  const clock = new SimulatedClock(params.at ?? T0);
  const rdb = new RDB(r.redis, {clock});
  const logger = recordingLogger();
  const p = new Processor({
    logger, rdb, queues: {default: 1}, concurrency: 1, clock, taskCheckIntervalMs: 4, retryDelayFunc: () => 60_000, ...params,
  });
  return {clock, rdb, p, logger};
}

const fn = (h: HandlerFunc): {processTask: HandlerFunc} => ({processTask: h});

/** One fetch and the attempt's outcome written. */
async function runOne(p: Processor): Promise<void> {
  await p.exec();
  await p.waitForWorkers();
}

async function counters(q = 'default'): Promise<Record<string, string | null>> {
  return {
    processed: await r.redis.get(keys.processedTotalKey(q)),
    failed: await r.redis.get(keys.failedTotalKey(q)),
    processedToday: await r.redis.get(`asynq:{${q}}:processed:${TODAY}`),
    failedToday: await r.redis.get(`asynq:{${q}}:failed:${TODAY}`),
  };
}

describe('queue configuration and order (pure)', () => {
  it('drops blank names and priorities ≤ 0, and falls back to {default: 1}', () => {
    expect(normalizeQueues({critical: 6, '': 3, ' ': 2, low: 0, neg: -1, ok: 1})).toEqual({critical: 6, ok: 1});
    expect(normalizeQueues({low: 0})).toEqual({default: 1});
    expect(normalizeQueues(undefined)).toEqual({default: 1});
    expect(() => normalizeQueues({a: 1.5})).toThrow(ValidationError);
  });

  it('strict priority: always highest priority first', () => {
    const order = queueOrder({low: 1, critical: 6, default: 3}, true);
    for (let i = 0; i < 20; i++) expect(order()).toEqual(['critical', 'default', 'low']);
  });

  it('one queue: just that queue', () => {
    expect(queueOrder({only: 5}, false)()).toEqual(['only']);
  });

  it('weighted: every queue once per order, first pick proportional to priority (6:3:1)', () => {
    const order = queueOrder({critical: 6, default: 3, low: 1}, false);
    const first: Record<string, number> = {critical: 0, default: 0, low: 0};
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const o = order();
      expect([...o].sort()).toEqual(['critical', 'default', 'low']);
      first[o[0]!]!++;
    }
    // Binomial sd at n=20000 is ≤ 0.0036; 0.02 is > 5 sd.
    expect(first.critical! / N).toBeCloseTo(0.6, 1);
    expect(Math.abs(first.critical! / N - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(first.default! / N - 0.3)).toBeLessThan(0.02);
    expect(Math.abs(first.low! / N - 0.1)).toBeLessThan(0.02);
  });

  it('weighted: priorities are GCD-normalised (60:30 behaves as 2:1)', () => {
    let seq = 0;
    const picks: number[] = [];
    // A random source that records how many draws one order takes: 2 + 1 slots → 2 swaps.
    const order = queueOrder({a: 60, b: 30}, false, () => {
      seq++;
      return 0.5;
    });
    order();
    picks.push(seq);
    expect(picks).toEqual([2]);
  });

  it('computeDeadline follows Go: min(now+timeout whole seconds, deadline), or either alone, or now+30 min', () => {
    const now = new Date('2026-03-01T12:00:00.700Z');
    const nowS = unixSeconds(now);
    expect(computeDeadline({timeout: 10, deadline: nowS + 100}, now)).toEqual(new Date((nowS + 10) * 1000));
    expect(computeDeadline({timeout: 100, deadline: nowS + 10}, now)).toEqual(new Date((nowS + 10) * 1000));
    expect(computeDeadline({timeout: 10, deadline: 0}, now)).toEqual(new Date(now.getTime() + 10_000));
    expect(computeDeadline({timeout: 0, deadline: nowS + 5}, now)).toEqual(new Date((nowS + 5) * 1000));
    expect(computeDeadline({timeout: 0, deadline: 0}, now)).toEqual(new Date(now.getTime() + 1_800_000));
  });

  it('computeDeadline: a negative timeout is set (Go tests != 0): a Go client stores Timeout(-5s) as -5, and Go fails it at once', () => {
    const now = new Date('2026-03-01T12:00:00.700Z');
    const nowS = unixSeconds(now);
    expect(computeDeadline({timeout: -5, deadline: 0}, now)).toEqual(new Date(now.getTime() - 5_000));
    expect(computeDeadline({timeout: -5, deadline: nowS + 100}, now)).toEqual(new Date((nowS - 5) * 1000));
  });
});

describe('Processor: dequeue', () => {
  it('takes the oldest pending task and hands the handler its type, payload, headers and facts', async () => {
    let seen: {task: Task; ctx: TaskContext} | undefined;
    const {p, rdb} = setup({handler: fn((task, ctx) => void (seen = {task, ctx}))});
    await rdb.enqueue(makeMsg('first', {type: 'email:welcome', payload: Buffer.from('{"a":1}'), headers: {k: 'v'}, retried: 2, retry: 5}));
    await rdb.enqueue(makeMsg('second'));
    await runOne(p);
    expect(seen!.task.type).toBe('email:welcome');
    expect(seen!.task.payload.toString()).toBe('{"a":1}');
    expect(seen!.task.headers).toEqual({k: 'v'});
    expect(seen!.task.resultWriter?.taskId).toBe('first');
    expect(seen!.ctx).toMatchObject({taskId: 'first', queue: 'default', retryCount: 2, maxRetry: 5, deadline: new Date(T0.getTime() + 1_800_000)});
    expect(seen!.ctx.signal.aborted).toBe(true); // aborted once the attempt is over
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['second']);
  });

  it('skips a paused queue and leaves its tasks pending until it is unpaused', async () => {
    const done: string[] = [];
    const {p, rdb} = setup({queues: {low: 1, default: 1}, handler: fn((t) => void done.push(t.type))});
    await rdb.enqueue(makeMsg('l1', {queue: 'low', type: 'low'}));
    await rdb.enqueue(makeMsg('d1', {type: 'default'}));
    await r.redis.set(keys.pausedKey('low'), unixSeconds(T0));
    await runOne(p);
    await runOne(p); // idle round: low is paused, default is empty
    expect(done).toEqual(['default']);
    expect(await r.redis.lrange(keys.pendingKey('low'), 0, -1)).toEqual(['l1']);
    expect(await r.redis.hget(keys.taskKey('low', 'l1'), 'state')).toBe('pending');
    await r.redis.del(keys.pausedKey('low'));
    await runOne(p);
    expect(done).toEqual(['default', 'low']);
  });

  it('strict priority: nothing from default runs while critical has pending tasks', async () => {
    const order: string[] = [];
    const {p, rdb} = setup({queues: {critical: 6, default: 3, low: 1}, strictPriority: true, handler: fn((t) => void order.push(t.type))});
    for (let i = 0; i < 3; i++) {
      await rdb.enqueue(makeMsg(`l${i}`, {queue: 'low', type: 'low'}));
      await rdb.enqueue(makeMsg(`d${i}`, {type: 'default'}));
      await rdb.enqueue(makeMsg(`c${i}`, {queue: 'critical', type: 'critical'}));
    }
    for (let i = 0; i < 9; i++) await runOne(p);
    expect(order).toEqual(['critical', 'critical', 'critical', 'default', 'default', 'default', 'low', 'low', 'low']);
  });

  it('never runs more than `concurrency` handlers at once', async () => {
    let running = 0;
    let max = 0;
    const gate = deferred();
    const {p, rdb} = setup({
      concurrency: 3,
      handler: fn(async () => {
        running++;
        max = Math.max(max, running);
        await gate.promise;
        running--;
      }),
    });
    for (let i = 0; i < 8; i++) await rdb.enqueue(makeMsg(`t${i}`));
    p.start();
    await waitFor(() => running === 3, '3 handlers running');
    // The loop is now blocked on a slot: give it several Redis round trips to over-take.
    for (let i = 0; i < 10; i++) {
      expect(await r.redis.llen(keys.activeKey('default'))).toBe(3);
      expect(await r.redis.llen(keys.pendingKey('default'))).toBe(5);
    }
    gate.resolve();
    await waitFor(async () => (await r.redis.get(keys.processedTotalKey('default'))) === '8', 'all 8 processed');
    await p.shutdown();
    expect(max).toBe(3);
  });

  it('picks up a task enqueued while idle within a few tens of milliseconds (default interval)', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const picked = deferred<number>();
    const p = new Processor({
      logger: recordingLogger(), rdb, queues: {default: 1}, concurrency: 1, clock,
      handler: fn(() => picked.resolve(Date.now())),
    });
    p.start();
    await new Promise((res) => setTimeout(res, 50)); // let it go idle
    const enqueuedAt = Date.now();
    await rdb.enqueue(makeMsg('late'));
    const latency = (await picked.promise) - enqueuedAt;
    await p.shutdown();
    expect(latency).toBeLessThan(250);
  });

  it('logs "All queues are empty" once when it becomes idle, and again only after it processed a task', async () => {
    const {p, rdb, logger} = setup({handler: fn(() => {})});
    const empty = (): number => logger.lines.filter(([, m]) => m === 'All queues are empty').length;
    for (let i = 0; i < 30; i++) await p.exec();
    expect(empty()).toBe(1);
    await rdb.enqueue(makeMsg('one'));
    await runOne(p);
    for (let i = 0; i < 30; i++) await p.exec();
    expect(empty()).toBe(2);
    expect(logger.lines.find(([, m]) => m === 'All queues are empty')![0]).toBe('debug');
  });

  it('an idle worker polling at the default interval logs "All queues are empty" once, not ~33 times a second', async () => {
    const clock = new SimulatedClock(T0);
    const logger = recordingLogger();
    const p = new Processor({logger, rdb: new RDB(r.redis, {clock}), queues: {default: 1, low: 1}, concurrency: 4, clock, handler: fn(() => {})});
    p.start();
    await new Promise((res) => setTimeout(res, 400));
    await p.shutdown();
    expect(logger.lines.filter(([, m]) => m === 'All queues are empty')).toHaveLength(1);
  });
});

describe('Processor: outcomes', () => {
  it('success with retention 0: deletes the task and counts it as processed', async () => {
    const {p, rdb} = setup({handler: fn(() => {})});
    await rdb.enqueue(makeMsg('ok'));
    await runOne(p);
    expect(await r.redis.exists(keys.taskKey('default', 'ok'))).toBe(0);
    expect(await r.redis.llen(keys.activeKey('default'))).toBe(0);
    expect(await r.redis.zcard(keys.leaseKey('default'))).toBe(0);
    expect(await counters()).toEqual({processed: '1', failed: null, processedToday: '1', failedToday: null});
  });

  it('success with retention: completed, with the result the handler wrote; writing afterwards is refused', async () => {
    let writer: Task['resultWriter'];
    const {p, rdb} = setup({
      handler: fn(async (task) => {
        writer = task.resultWriter;
        expect(await task.resultWriter!.write('done!')).toBe(5);
      }),
    });
    await rdb.enqueue(makeMsg('kept', {retention: 3600}));
    await runOne(p);
    expect(await r.redis.hget(keys.taskKey('default', 'kept'), 'state')).toBe('completed');
    expect(await r.redis.hget(keys.taskKey('default', 'kept'), 'result')).toBe('done!');
    expect(await zsetEntries(r.redis, keys.completedKey('default'))).toEqual([['kept', unixSeconds(T0) + 3600]]);
    expect((await readMsg(r.redis, 'default', 'kept')).completedAt).toBe(unixSeconds(T0));
    await expect(writer!.write('late')).rejects.toThrow('failed to write task result: context canceled');
    expect(await r.redis.hget(keys.taskKey('default', 'kept'), 'result')).toBe('done!');
  });

  it('failure with retries left: retry zset at now + delay, error text, retried + 1, processed and failed + 1', async () => {
    const calls: Array<[number, string, string, Record<string, string>]> = [];
    const {p, rdb} = setup({
      handler: fn(async () => {
        throw new Error('smtp down');
      }),
      retryDelayFunc: (n, err, task) => {
        calls.push([n, (err as Error).message, task.type, {...task.headers}]);
        return 90_000;
      },
    });
    await rdb.enqueue(makeMsg('f', {retried: 3, headers: {h: '1'}}));
    await runOne(p);
    expect(calls).toEqual([[3, 'smtp down', 'task:f', {h: '1'}]]);
    expect(await r.redis.hget(keys.taskKey('default', 'f'), 'state')).toBe('retry');
    expect(await zsetEntries(r.redis, keys.retryKey('default'))).toEqual([['f', unixSeconds(T0) + 90]]);
    const m = await readMsg(r.redis, 'default', 'f');
    expect(m).toMatchObject({retried: 4, errorMsg: 'smtp down', lastFailedAt: unixSeconds(T0)});
    expect(await counters()).toEqual({processed: '1', failed: '1', processedToday: '1', failedToday: '1'});
  });

  it('isFailure false: back to retry with retried unchanged and no counter change', async () => {
    const {p, rdb} = setup({handler: fn(() => Promise.reject(new Error('rate limited'))), isFailure: () => false});
    await rdb.enqueue(makeMsg('nf', {retried: 1}));
    await runOne(p);
    expect(await r.redis.hget(keys.taskKey('default', 'nf'), 'state')).toBe('retry');
    expect(await readMsg(r.redis, 'default', 'nf')).toMatchObject({retried: 1, errorMsg: 'rate limited'});
    expect(await counters()).toEqual({processed: null, failed: null, processedToday: null, failedToday: null});
  });

  it('retries exhausted: archived with the error, retried unchanged, processed and failed + 1', async () => {
    const {p, rdb} = setup({handler: fn(() => {
      throw new Error('bad');
    })});
    await rdb.enqueue(makeMsg('x', {retry: 0}));
    await runOne(p);
    expect(await r.redis.hget(keys.taskKey('default', 'x'), 'state')).toBe('archived');
    expect(await zsetEntries(r.redis, keys.archivedKey('default'))).toEqual([['x', unixSeconds(T0)]]);
    expect(await readMsg(r.redis, 'default', 'x')).toMatchObject({retried: 0, errorMsg: 'bad'});
    expect(await counters()).toEqual({processed: '1', failed: '1', processedToday: '1', failedToday: '1'});
  });

  it('SkipRetry, also wrapped as a cause, archives at once with retries left', async () => {
    const {p, rdb} = setup({handler: fn((t) => {
      throw t.type === 'a' ? new SkipRetry('no point') : new Error('outer', {cause: new SkipRetry()});
    })});
    await rdb.enqueue(makeMsg('a', {type: 'a'}));
    await rdb.enqueue(makeMsg('b', {type: 'b'}));
    await runOne(p);
    await runOne(p);
    expect(await r.redis.zrange(keys.archivedKey('default'), 0, -1)).toEqual(expect.arrayContaining(['a', 'b']));
    expect((await readMsg(r.redis, 'default', 'a')).errorMsg).toBe('no point');
    expect((await readMsg(r.redis, 'default', 'b')).errorMsg).toBe('outer');
  });

  it('RevokeTask deletes the task like a success (processed + 1, failed unchanged, lock released)', async () => {
    const {p, rdb} = setup({handler: fn(() => Promise.reject(new RevokeTask()))});
    const lock = keys.uniqueKey('default', 'task:rv', null);
    await r.redis.set(lock, 'rv');
    await rdb.enqueue(makeMsg('rv', {uniqueKey: lock}));
    await runOne(p);
    expect(await r.redis.exists(keys.taskKey('default', 'rv'), lock)).toBe(0);
    expect(await counters()).toEqual({processed: '1', failed: null, processedToday: '1', failedToday: null});
  });

  it('treats thrown non-Errors and engine TypeErrors as panics, other Errors by their message', async () => {
    const thrown: Record<string, () => unknown> = {
      str: () => 'boom',
      undef: () => undefined,
      type: () => (null as unknown as {x: number}).x,
      custom: () => new (class MyErr extends TypeError {})('subclass is not a panic'),
      wrapped: () => new TypeError('fetch failed', {cause: new Error('ECONNREFUSED')}),
      json: () => {
        try {
          JSON.parse('{bad');
        } catch (e) {
          return e;
        }
      },
    };
    const {p, rdb} = setup({handler: fn((t) => {
      const v = thrown[t.type]!();
      if (t.type !== 'type') throw v;
    })});
    for (const type of Object.keys(thrown)) await rdb.enqueue(makeMsg(type, {type}));
    for (let i = 0; i < 6; i++) await runOne(p);
    const text = async (id: string): Promise<string> => (await readMsg(r.redis, 'default', id)).errorMsg;
    expect(await text('str')).toBe('panic error cause by: panic: boom');
    expect(await text('undef')).toBe('panic error cause by: panic: undefined');
    expect(await text('type')).toMatch(/^panic error cause by: panic \[.*processor\.test\.ts:\d+\]: TypeError: Cannot read properties of null/);
    expect(await text('custom')).toBe('subclass is not a panic');
    expect(await text('wrapped')).toBe('fetch failed');
    expect(await text('json')).toMatch(/^(Unexpected token|Expected property name)/);
  });

  it('handles a synchronous throw from a non-async handler', async () => {
    const {p, rdb} = setup({handler: fn(() => {
      throw new Error('sync');
    })});
    await rdb.enqueue(makeMsg('s'));
    await runOne(p);
    expect((await readMsg(r.redis, 'default', 's')).errorMsg).toBe('sync');
  });

  it('an unknown type under ServeMux fails with `handler not found` and is retried', async () => {
    const {p, rdb} = setup({handler: new ServeMux().handleFunc('email:', () => {})});
    await rdb.enqueue(makeMsg('u', {type: 'image:resize'}));
    await runOne(p);
    expect(await r.redis.hget(keys.taskKey('default', 'u'), 'state')).toBe('retry');
    expect((await readMsg(r.redis, 'default', 'u')).errorMsg).toBe('handler not found for task "image:resize"');
  });

  it('calls the error handler once per failure, before the write, with the error', async () => {
    const seen: Array<[string, string, boolean]> = [];
    const {p, rdb} = setup({
      handler: fn((t) => {
        if (t.type === 'revoke') throw new RevokeTask();
        if (t.type === 'fail') throw new Error('nope');
      }),
      errorHandler: async (task, err) => {
        seen.push([task.type, err.message, await r.redis.exists(keys.taskKey('default', task.type)) === 1]);
      },
    });
    for (const type of ['ok', 'fail', 'revoke']) await rdb.enqueue(makeMsg(type, {type}));
    for (let i = 0; i < 3; i++) await runOne(p);
    expect(seen).toEqual([['fail', 'nope', true], ['revoke', 'revoke task', true]]);
  });

  it('a timeout aborts the signal with DeadlineExceededError and stores `context deadline exceeded`', async () => {
    // The clock stands 50 ms before the task's deadline (a whole second), so the timer fires quickly.
    const at = new Date(T0.getTime() + 950);
    let reason: unknown;
    const errs: string[] = [];
    const {p, rdb} = setup({
      at,
      handler: fn((_t, ctx) => new Promise((_res, rej) => ctx.signal.addEventListener('abort', () => {
        reason = ctx.signal.reason;
        rej(new Error('handler saw abort'));
      }))),
      errorHandler: (_t, err) => void errs.push(err.message),
    });
    await rdb.enqueue(makeMsg('slow', {timeout: 0, deadline: unixSeconds(at) + 1}));
    await runOne(p);
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect(errs).toEqual(['context deadline exceeded']);
    expect(await r.redis.hget(keys.taskKey('default', 'slow'), 'state')).toBe('retry');
    expect((await readMsg(r.redis, 'default', 'slow')).errorMsg).toBe('context deadline exceeded');
  });

  it('a task whose deadline already passed fails without calling the handler', async () => {
    let called = false;
    const errs: unknown[] = [];
    const {p, rdb} = setup({handler: fn(() => void (called = true)), errorHandler: (_t, err) => void errs.push(err)});
    await rdb.enqueue(makeMsg('late', {timeout: 0, deadline: unixSeconds(T0) - 5}));
    await runOne(p);
    expect(called).toBe(false);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toBeInstanceOf(DeadlineExceededError);
    expect((await readMsg(r.redis, 'default', 'late')).errorMsg).toBe('context deadline exceeded');
    expect(await r.redis.hget(keys.taskKey('default', 'late'), 'state')).toBe('retry');
  });

  it('a message with a negative timeout (a Go client\'s Timeout(-5s)) fails without calling the handler and logs no internal error', async () => {
    let called = false;
    const {p, rdb, logger} = setup({handler: fn(() => void (called = true))});
    await rdb.enqueue(makeMsg('neg', {timeout: -5, deadline: 0}));
    await runOne(p);
    expect(called).toBe(false);
    expect((await readMsg(r.redis, 'default', 'neg')).errorMsg).toBe('context deadline exceeded');
    expect(logger.lines.filter(([l]) => l === 'error')).toEqual([]);
  });

  it('cancel(id) aborts only that task with `context canceled`', async () => {
    const started = new Map<string, TaskContext>();
    const gate = deferred();
    const {p, rdb} = setup({
      concurrency: 2,
      handler: fn(async (t, ctx) => {
        started.set(t.type, ctx);
        await Promise.race([gate.promise, new Promise((_res, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason)))]);
      }),
    });
    await rdb.enqueue(makeMsg('a', {type: 'a'}));
    await rdb.enqueue(makeMsg('b', {type: 'b'}));
    await p.exec();
    await p.exec();
    await waitFor(() => started.size === 2, 'both running');
    expect(p.cancel('a')).toBe(true);
    expect(p.cancel('nope')).toBe(false);
    await waitFor(async () => (await r.redis.hget(keys.taskKey('default', 'a'), 'state')) === 'retry', 'a retried');
    expect(started.get('a')!.signal.reason).toBeInstanceOf(CanceledError);
    expect(started.get('b')!.signal.aborted).toBe(false);
    expect((await readMsg(r.redis, 'default', 'a')).errorMsg).toBe('context canceled');
    gate.resolve();
    await p.waitForWorkers();
    expect(await r.redis.exists(keys.taskKey('default', 'b'))).toBe(0);
  });
});

describe('Processor: error paths keep the slot', () => {
  it('concurrency 1: an undecodable message, a sync throw, a throwing error handler and retryDelayFunc, then a task still runs', async () => {
    const ran: string[] = [];
    const {p, rdb, logger} = setup({
      handler: {processTask: (t) => {
        ran.push(t.type);
        if (t.type === 'bad') throw new Error('sync throw'); // not async: throws synchronously
      }},
      errorHandler: () => { throw new Error('error handler broke'); },
      retryDelayFunc: () => { throw new Error('delay broke'); },
    });
    // An undecodable message: dequeue moves it aside (Go would leave it in active for ever).
    await r.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    await r.redis.lpush(keys.pendingKey('default'), 'junk');
    await rdb.enqueue(makeMsg('bad', {type: 'bad'}));
    await rdb.enqueue(makeMsg('good', {type: 'good'}));
    p.start();
    await waitFor(() => ran.includes('good'), 'the last task ran');
    await p.shutdown();
    expect(ran).toEqual(['bad', 'good']);
    expect(await r.redis.hget(keys.taskKey('default', 'bad'), 'state')).toBe('retry');
    expect(await r.redis.exists(keys.taskKey('default', 'good'))).toBe(0);
    const errors = logger.lines.filter(([l]) => l === 'error').map(([, m]) => m);
    expect(errors.some((m) => m.startsWith('task id=junk in queue "default" cannot be processed and was moved aside to asynq:{default}:corrupt: cannot decode TaskMessage'))).toBe(true);
    expect(errors).toContain('Error handler failed for task id=bad: error handler broke');
    expect(errors).toContain('retryDelayFunc failed for task id=bad: delay broke; using the default delay');
  });

  it('a message with neither timeout nor deadline runs with now + 30 min and logs Go\'s internal error', async () => {
    let ctx: TaskContext | undefined;
    const {p, rdb, logger} = setup({handler: fn((_t, c) => void (ctx = c))});
    await rdb.enqueue(makeMsg('bare', {timeout: 0, deadline: 0}));
    await runOne(p);
    expect(ctx!.deadline).toEqual(new Date(T0.getTime() + 30 * 60_000));
    expect(logger.lines).toContainEqual(['error', 'asynq: internal error: both timeout and deadline are not set for the task message: bare']);
    expect(await r.redis.exists(keys.taskKey('default', 'bare'))).toBe(0);
  });
});

describe('Processor: leases and failed writes', () => {
  it('a lost lease aborts the handler with `asynq: task lease expired` and writes nothing', async () => {
    let ctx: TaskContext | undefined;
    const errs: string[] = [];
    const {p, rdb, clock} = setup({
      handler: fn((_t, c) => new Promise((res) => {
        ctx = c;
        c.signal.addEventListener('abort', () => res());
      })),
      errorHandler: (_t, err) => void errs.push(err.message),
    });
    await rdb.enqueue(makeMsg('l'));
    await p.exec();
    await waitFor(() => ctx, 'handler started');
    const before = await r.redis.hgetall(keys.taskKey('default', 'l'));
    clock.advance(31_000);
    expect(p.activeWorkers()[0]!.lease.notifyExpiration()).toBe(true);
    await p.waitForWorkers();
    expect(ctx!.signal.reason).toBeInstanceOf(LeaseExpiredError);
    expect(errs).toEqual(['asynq: task lease expired']);
    // Still active with its old lease: the recoverer will finish it.
    expect(await r.redis.hgetall(keys.taskKey('default', 'l'))).toEqual(before);
    expect(await r.redis.lrange(keys.activeKey('default'), 0, -1)).toEqual(['l']);
    expect(await zsetEntries(r.redis, keys.leaseKey('default'))).toEqual([['l', unixSeconds(T0) + 30]]);
    expect(await counters()).toEqual({processed: null, failed: null, processedToday: null, failedToday: null});
  });

  it('skips the outcome write when the local lease expired while the handler ran', async () => {
    const gate = deferred();
    const {p, rdb, clock} = setup({handler: fn(() => gate.promise)});
    await rdb.enqueue(makeMsg('e'));
    await p.exec();
    clock.advance(31_000);
    gate.resolve();
    await p.waitForWorkers();
    expect(await r.redis.hget(keys.taskKey('default', 'e'), 'state')).toBe('active');
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBeNull();
  });

  it('a second attempt of the same task ID stays tracked when the first one ends (lease lost here, recovered, dequeued again)', async () => {
    // The first attempt lost its lease and is still in its error handler when the recoverer's
    // retry makes the task pending again and this server dequeues it: the first attempt's end
    // must not drop the second from the workers (heartbeat, lease extension, cancel).
    const clock = new SimulatedClock(T0);
    const m = makeMsg('twice');
    const ehGate = deferred();
    const handlerGate = deferred();
    let calls = 0;
    let retried = false;
    const fake: ProcessorParams['rdb'] = {
      dequeue: async () => ({msg: m, leaseExpiresAt: new Date(clock.now().getTime() + 30_000)}),
      done: async () => {}, markAsComplete: async () => {}, requeue: async () => {}, archive: async () => {},
      retry: async () => void (retried = true),
      writeResult: async () => 0,
    };
    const p = new Processor({
      logger: recordingLogger(), rdb: fake, queues: {default: 1}, concurrency: 2, clock,
      handler: fn(async () => {
        if (++calls === 1) throw new Error('first attempt fails');
        await handlerGate.promise;
      }),
      errorHandler: () => ehGate.promise,
    });
    await p.exec(); // first attempt: fails, waits in the error handler
    await waitFor(() => calls === 1, 'first attempt');
    await p.exec(); // second attempt of the same ID: its handler runs
    await waitFor(() => calls === 2, 'second attempt');
    ehGate.resolve();
    await waitFor(() => retried, 'first attempt written');
    await new Promise((res) => setTimeout(res, 10)); // its clean-up runs right after the write
    expect(p.activeWorkers().map((w) => w.msg.id)).toEqual(['twice']);
    expect(p.cancel('twice')).toBe(true);
    handlerGate.resolve();
    await p.waitForWorkers();
    expect(p.activeWorkers()).toEqual([]);
  });

  it('hands a failed outcome write to the syncer, which completes it on its next round', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    let failNext = true;
    const flaky: ProcessorParams['rdb'] = {
      dequeue: (q) => rdb.dequeue(q), markAsComplete: (m) => rdb.markAsComplete(m), requeue: (m) => rdb.requeue(m),
      retry: (...a) => rdb.retry(...a), archive: (...a) => rdb.archive(...a), writeResult: (...a) => rdb.writeResult(...a),
      done: async (m: TaskMessage) => {
        if (failNext) {
          failNext = false;
          throw new Error('connection reset');
        }
        return rdb.done(m);
      },
    };
    const logger = recordingLogger();
    const syncer = new Syncer({logger, clock});
    const p = new Processor({logger, rdb: flaky, queues: {default: 1}, concurrency: 1, clock, syncer, handler: fn(() => {})});
    await rdb.enqueue(makeMsg('s'));
    await runOne(p);
    expect(syncer.pending).toBe(1);
    expect(await r.redis.hget(keys.taskKey('default', 's'), 'state')).toBe('active');
    expect(logger.lines.some(([lvl, m]) => lvl === 'warn' && m.includes('connection reset') && m.includes('Will retry syncing'))).toBe(true);
    await syncer.exec();
    expect(syncer.pending).toBe(0);
    expect(await r.redis.exists(keys.taskKey('default', 's'))).toBe(0);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe('1');
  });
});

describe('Processor: shutdown', () => {
  it('lets tasks that finish within the shutdown timeout complete normally', async () => {
    const gate = deferred();
    const {p, rdb} = setup({shutdownTimeoutMs: 5_000, handler: fn(() => gate.promise)});
    await rdb.enqueue(makeMsg('quick'));
    p.start();
    await waitFor(async () => (await r.redis.llen(keys.activeKey('default'))) === 1, 'task active');
    const shut = p.shutdown();
    gate.resolve();
    await shut;
    expect(await r.redis.exists(keys.taskKey('default', 'quick'))).toBe(0);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe('1');
  });

  it('requeues a task still running after the timeout to the tail of pending, aborts its signal, changes no stats', async () => {
    let ctx: TaskContext | undefined;
    const never = new Promise<void>(() => {});
    const {p, rdb} = setup({shutdownTimeoutMs: 50, handler: fn((_t, c) => {
      ctx = c;
      return never; // ignores its signal
    })});
    await rdb.enqueue(makeMsg('stuck', {retried: 2}));
    await rdb.enqueue(makeMsg('waiting'));
    // Dequeue takes 'stuck' (the oldest); 'waiting' stays pending.
    await p.exec();
    await waitFor(() => ctx, 'handler started');
    await p.shutdown();
    expect(ctx!.signal.reason).toBeInstanceOf(CanceledError);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['waiting', 'stuck']);
    expect(await r.redis.llen(keys.activeKey('default'))).toBe(0);
    expect(await r.redis.zcard(keys.leaseKey('default'))).toBe(0);
    const h = await r.redis.hgetall(keys.taskKey('default', 'stuck'));
    expect(h.state).toBe('pending');
    expect(h.pending_since).toBeUndefined();
    expect((await readMsg(r.redis, 'default', 'stuck')).retried).toBe(2);
    expect(await counters()).toEqual({processed: null, failed: null, processedToday: null, failedToday: null});
    // The next dequeue gets the requeued task first.
    expect((await rdb.dequeue(['default']))!.msg.id).toBe('stuck');
  });

  it('stop() ends fetching but lets running tasks finish', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const {p, rdb} = setup({handler: fn(async (t) => {
      seen.push(t.type);
      await gate.promise;
    })});
    await rdb.enqueue(makeMsg('one', {type: 'one'}));
    p.start();
    await waitFor(() => seen.length === 1, 'first task running');
    p.stop();
    await rdb.enqueue(makeMsg('two', {type: 'two'}));
    gate.resolve();
    await p.waitForWorkers();
    await p.exec(); // returns at once: stopped
    expect(seen).toEqual(['one']);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['two']);
    await p.shutdown();
  });
});

it('HandlerPanicError carries the thrown value', () => {
  const e = new HandlerPanicError(42);
  expect(e.value).toBe(42);
  expect(e.message).toBe('panic error cause by: panic: 42');
});
