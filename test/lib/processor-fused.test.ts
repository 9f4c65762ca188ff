/**
 * Processor with RDB.finishAndDequeue: a successful task is finished and the next one of its
 * queue claimed in one script call, keeping the slot; priorities and the outcome are unchanged.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {RDB} from '../../src/lib/broker/rdb.js';
import {Processor} from '../../src/lib/processor.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {makeMsg} from '../support/seed.js';

const r = useRedis();

async function scriptCalls(): Promise<number> {
  const info = await r.redis.info('commandstats');
  return [...info.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('Processor: complete-and-fetch', () => {
  it('processes a backlog with about one script call per task, leaving what done/markAsComplete leave', async () => {
    const rdb = new RDB(r.redis);
    const N = 200;
    for (let i = 0; i < N; i++) await rdb.enqueue(makeMsg(`t${i}`, {retention: i % 2 ? 600 : 0}));
    const seen: string[] = [];
    const p = new Processor({
      logger: recordingLogger(), rdb, queues: {default: 1}, concurrency: 4, taskCheckIntervalMs: 10,
      handler: {processTask: (t) => void seen.push(t.type)},
    });
    await r.redis.config('RESETSTAT');
    p.start();
    const deadline = Date.now() + 10_000;
    while (seen.length < N && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    await p.shutdown();
    const calls = await scriptCalls();
    expect(new Set(seen).size).toBe(N);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe(String(N));
    expect(await r.redis.zcard(keys.completedKey('default'))).toBe(N / 2);
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'), keys.pendingKey('default'))).toBe(0);
    // Two calls per task (dequeue, then done) without it; a few extra dequeues start the slots and
    // find the queue empty at the end.
    expect(calls).toBeLessThan(N * 1.2);
  });

  it('strict priority: a task of a lower queue is finished alone, the next task comes from the higher queue', async () => {
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('low1', {queue: 'low'}));
    await rdb.enqueue(makeMsg('low2', {queue: 'low'}));
    const seen: string[] = [];
    const p = new Processor({
      logger: recordingLogger(), rdb, queues: {high: 2, low: 1}, strictPriority: true, concurrency: 1, taskCheckIntervalMs: 10,
      handler: {processTask: async (t) => {
        seen.push(t.type);
        if (t.type === 'task:low1') await rdb.enqueue(makeMsg('high1', {queue: 'high'}));
      }},
    });
    p.start();
    const deadline = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    await p.shutdown();
    expect(seen).toEqual(['task:low1', 'task:high1', 'task:low2']);
  });
});
