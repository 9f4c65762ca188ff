/**
 * Processor fetching for throughput: parallel dequeues while tasks keep coming, one
 * idle poller otherwise; the stack-free reason of a finished attempt's signal.
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {CanceledError} from '../../src/lib/errors.js';
import type {TaskContext} from '../../src/lib/handler.js';
import {Lease} from '../../src/lib/lease.js';
import {MAX_PARALLEL_FETCHES, Processor} from '../../src/lib/processor.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';
import {makeMsg, noonToday, zsetEntries} from '../support/seed.js';

const r = useRedis();
const T0 = noonToday();

/** A Processor whose dequeues are counted while in flight (each held `delayMs` before Redis). */
function setup(concurrency: number, delayMs: number, handler: (ctx: TaskContext) => void | Promise<void> = () => {}) {
  const clock = new SimulatedClock(T0);
  const rdb = new RDB(r.redis, {clock});
  const stats = {inFlight: 0, maxInFlight: 0, calls: 0};
  const counted = {
    ...pick(rdb),
    async dequeue(qnames: string[]) {
      stats.calls++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        await new Promise((res) => setTimeout(res, delayMs));
        return await rdb.dequeue(qnames);
      } finally {
        stats.inFlight--;
      }
    },
  };
  const p = new Processor({
    logger: recordingLogger(), rdb: counted, queues: {default: 1}, concurrency, clock, taskCheckIntervalMs: 10,
    handler: {processTask: (_t, ctx) => handler(ctx)},
  });
  return {p, rdb, stats};
}

function pick(rdb: RDB) {
  return {
    done: rdb.done.bind(rdb), markAsComplete: rdb.markAsComplete.bind(rdb), requeue: rdb.requeue.bind(rdb),
    retry: rdb.retry.bind(rdb), archive: rdb.archive.bind(rdb), writeResult: rdb.writeResult.bind(rdb),
  };
}

const processed = async (): Promise<number> => Number(await r.redis.get(keys.processedTotalKey('default')));

describe('Processor: parallel fetches', () => {
  it('keeps several dequeues in flight while tasks keep coming, at most MAX_PARALLEL_FETCHES', async () => {
    const {p, rdb, stats} = setup(50, 3);
    for (let i = 0; i < 200; i++) await rdb.enqueue(makeMsg(`t${i}`));
    p.start();
    await waitFor(async () => (await processed()) === 200, 'all 200 processed');
    await p.shutdown();
    expect(stats.maxInFlight).toBeGreaterThan(1);
    expect(stats.maxInFlight).toBeLessThanOrEqual(MAX_PARALLEL_FETCHES);
    expect(await r.redis.llen(keys.pendingKey('default'))).toBe(0);
    expect(await r.redis.llen(keys.activeKey('default'))).toBe(0);
  });

  it('many fetch loops waiting for slots add no abort listener each (no MaxListenersExceededWarning)', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const {p, rdb, stats} = setup(100, 2, () => new Promise((res) => setTimeout(res, 5)));
      for (let i = 0; i < 400; i++) await rdb.enqueue(makeMsg(`t${i}`));
      p.start();
      await waitFor(async () => (await processed()) === 400, 'all 400 processed');
      await p.shutdown();
      await new Promise((res) => setImmediate(res));
      expect(stats.maxInFlight).toBeGreaterThan(10);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('never has more dequeues in flight than free slots (concurrency 2)', async () => {
    const {p, rdb, stats} = setup(2, 3);
    for (let i = 0; i < 40; i++) await rdb.enqueue(makeMsg(`t${i}`));
    p.start();
    await waitFor(async () => (await processed()) === 40, 'all 40 processed');
    await p.shutdown();
    expect(stats.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('polls with a single loop while every queue is empty', async () => {
    const {p, stats} = setup(50, 1);
    p.start();
    await waitFor(() => stats.calls >= 10, '10 idle polls');
    await p.shutdown();
    expect(stats.maxInFlight).toBe(1);
  });

  it('falls back to one poller once the queue drains, and picks up a later task', async () => {
    const {p, rdb, stats} = setup(50, 2);
    for (let i = 0; i < 30; i++) await rdb.enqueue(makeMsg(`a${i}`));
    p.start();
    await waitFor(async () => (await processed()) === 30, 'first 30 processed');
    const before = stats.calls;
    await waitFor(() => stats.calls >= before + 5, 'idle polls');
    stats.maxInFlight = stats.inFlight;
    await waitFor(() => stats.calls >= before + 15, 'more idle polls');
    expect(stats.maxInFlight).toBe(1);
    await rdb.enqueue(makeMsg('late'));
    await waitFor(async () => (await processed()) === 31, 'the late task processed');
    await p.shutdown();
  });
});

describe('Processor: end of an attempt', () => {
  it("aborts the handler's signal with `context canceled` once the handler returned", async () => {
    let signal: AbortSignal | undefined;
    const {p, rdb} = setup(1, 0, (ctx) => {
      signal = ctx.signal;
      expect(ctx.signal.aborted).toBe(false);
    });
    await rdb.enqueue(makeMsg('one'));
    await p.exec();
    await p.waitForWorkers();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(CanceledError);
    expect((signal?.reason as Error).message).toBe('context canceled');
  });
});

describe('Processor: options passed as undefined', () => {
  it('uses the default isFailure and retry delay, without logging errors (as Server passes them)', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const logger = recordingLogger();
    const p = new Processor({
      logger, rdb, queues: {default: 1}, concurrency: 1, clock, taskCheckIntervalMs: 10,
      retryDelayFunc: undefined, isFailure: undefined, errorHandler: undefined, syncer: undefined, strictPriority: undefined,
      handler: {processTask: () => { throw new Error('boom'); }},
    });
    await rdb.enqueue(makeMsg('f', {retry: 3}));
    await p.exec();
    await p.waitForWorkers();
    expect(logger.lines.filter(([level]) => level === 'error')).toEqual([]);
    const entries = await zsetEntries(r.redis, keys.retryKey('default'));
    expect(entries.map(([id]) => id)).toEqual(['f']);
    const score = entries[0]![1];
    // Go's default delay for the first retry: 15 + rand[0,30) s after now.
    expect(score - T0.getTime() / 1000).toBeGreaterThanOrEqual(15);
    expect(score - T0.getTime() / 1000).toBeLessThan(45);
    expect(await r.redis.get(keys.failedTotalKey('default'))).toBe('1'); // counted as a failure
  });
});

describe('Processor: attempts without listeners', () => {
  it('cancel() decides the outcome even when the handler never listens; a signal read afterwards is aborted', async () => {
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    let later: AbortSignal | undefined;
    const {p, rdb} = setup(1, 0, async (ctx) => {
      await gate;
      later = ctx.signal; // first read, after the cancelation
    });
    await rdb.enqueue(makeMsg('c', {retry: 3}));
    await p.exec();
    await waitFor(() => p.activeWorkers().length === 1, 'running');
    expect(p.cancel('c')).toBe(true);
    await waitFor(async () => (await r.redis.hget(keys.taskKey('default', 'c'), 'state')) === 'retry', 'c retried');
    release();
    await waitFor(() => later !== undefined, 'handler resumed');
    expect(later!.aborted).toBe(true);
    expect(later!.reason).toBeInstanceOf(CanceledError);
    await p.waitForWorkers();
  });
});

describe('Lease.onLost', () => {
  it('calls back once on expiry, at once when already lost, and not after unsubscribing', () => {
    const clock = new SimulatedClock(T0);
    const lease = new Lease(new Date(T0.getTime() + 1000), clock);
    const calls: string[] = [];
    lease.onLost(() => calls.push('a'));
    const off = lease.onLost(() => calls.push('b'));
    off();
    expect(lease.notifyExpiration()).toBe(false);
    clock.advance(2000);
    expect(lease.notifyExpiration()).toBe(true);
    expect(lease.notifyExpiration()).toBe(true);
    expect(calls).toEqual(['a']);
    expect(lease.lost.aborted).toBe(true); // created after the fact, already aborted
    lease.onLost(() => calls.push('late'));
    expect(calls).toEqual(['a', 'late']);
  });
});

describe('Processor: slot freed once the outcome write is queued', () => {
  it('Redis never holds more of its tasks in active than `concurrency`, while handlers overlap the writes', async () => {
    const {p, rdb} = setup(2, 0);
    for (let i = 0; i < 150; i++) await rdb.enqueue(makeMsg(`t${i}`));
    const probe = r.server.client();
    let max = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) max = Math.max(max, await probe.llen(keys.activeKey('default')));
    })();
    p.start();
    await waitFor(async () => (await processed()) === 150, 'all 150 processed');
    sampling = false;
    await sampler;
    await p.shutdown();
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(2);
  });

  it('a failed outcome write still goes to the syncer after the slot was freed', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const synced: string[] = [];
    const p = new Processor({
      logger: recordingLogger(), clock, queues: {default: 1}, concurrency: 1, taskCheckIntervalMs: 10,
      rdb: {...pick(rdb), dequeue: rdb.dequeue.bind(rdb), done: async () => { throw new Error('connection lost'); }},
      syncer: {add: (req) => void synced.push(req.errMsg)},
      handler: {processTask: () => {}},
    });
    await rdb.enqueue(makeMsg('w'));
    await p.exec();
    await p.waitForWorkers();
    expect(synced).toEqual(['Could not remove task id=w type="task:w" from active: connection lost']);
    expect(p.activeWorkers()).toEqual([]);
  });
});

describe('Processor: a claim that returns after stop()', () => {
  // Checklist 90: a stopped server takes no new task. A dequeue or an outcome write's claim sent
  // before stop() can return a task after it (Redis may even run an enqueue sent later first):
  // that task goes back to the head of pending instead of starting.
  async function expectGivenBack(id: string): Promise<void> {
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual([id]);
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'))).toBe(0);
    expect(await r.redis.hget(keys.taskKey('default', id), 'state')).toBe('pending');
  }

  it('a dequeue in flight when stop() comes: its task is requeued, not started', async () => {
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('x'));
    const seen: string[] = [];
    const rdbStopping = {
      ...pick(rdb),
      async dequeue(qnames: string[], leaseMs?: number) {
        const got = await rdb.dequeue(qnames, leaseMs);
        p.stop();
        return got;
      },
    };
    const p: Processor = new Processor({
      logger: recordingLogger(), rdb: rdbStopping, queues: {default: 1}, concurrency: 1, taskCheckIntervalMs: 10,
      handler: {processTask: (t) => void seen.push(t.type)},
    });
    p.start();
    await p.shutdown();
    expect(seen).toEqual([]);
    await expectGivenBack('x');
  });

  it("an outcome write's claim that returns after stop(): the finished task is done, the claimed one requeued", async () => {
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('a1'));
    await rdb.enqueue(makeMsg('a2'));
    const seen: string[] = [];
    let claims = 0;
    const rdbStopping = {
      ...pick(rdb),
      dequeue: rdb.dequeue.bind(rdb),
      async finishAndClaim(...args: Parameters<RDB['finishAndClaim']>) {
        const res = await rdb.finishAndClaim(...args);
        claims += res.claimed.length;
        p.stop();
        return res;
      },
    };
    const p: Processor = new Processor({
      logger: recordingLogger(), rdb: rdbStopping, queues: {default: 1}, concurrency: 1, taskCheckIntervalMs: 10,
      handler: {processTask: (t) => void seen.push(t.type)},
    });
    p.start();
    await waitFor(() => claims > 0, 'a claim by the outcome write');
    await p.shutdown();
    expect(seen).toEqual(['task:a1']);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe('1');
    await expectGivenBack('a2');
  });
});
