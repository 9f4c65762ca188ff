/**
 * Processor with RDB.finishAndClaim: successful tasks are finished and the next ones of their
 * queue claimed in one script call, keeping the slots; priorities and the outcome are unchanged.
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

  it('a corrupt task behind a finished one (met by finishAndDequeue) or in a later queue (met by dequeueAny) is moved aside and logged, the rest processed', async () => {
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('a1'));
    // Behind a1 in default (LPUSH, as enqueue: the tail is next): an undecodable msg, an id without hash; then a2.
    await r.redis.lpush(keys.pendingKey('default'), 'junk', 'ghost');
    await r.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    await rdb.enqueue(makeMsg('a2'));
    // The low queue: a hash without msg (RPUSH: next), then b1.
    await rdb.enqueue(makeMsg('b1', {queue: 'low'}));
    await r.redis.rpush(keys.pendingKey('low'), 'nomsg');
    await r.redis.hset(keys.taskKey('low', 'nomsg'), 'state', 'pending');
    const logger = recordingLogger();
    const seen: string[] = [];
    const p = new Processor({
      logger, rdb, queues: {default: 2, low: 1}, strictPriority: true, concurrency: 1, taskCheckIntervalMs: 10,
      handler: {processTask: (t) => void seen.push(t.type)},
    });
    p.start();
    const deadline = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    await p.shutdown();
    expect(seen).toEqual(['task:a1', 'task:a2', 'task:b1']);
    expect((await r.redis.zrange(keys.corruptKey('default'), 0, -1)).sort()).toEqual(['ghost', 'junk']);
    expect(await r.redis.zrange(keys.corruptKey('low'), 0, -1)).toEqual(['nomsg']);
    const errors = logger.lines.filter(([level]) => level === 'error').map(([, line]) => line);
    for (const id of ['junk', 'ghost', 'nomsg']) expect(errors.some((l) => l.includes(`task id=${id} `) && l.includes('moved aside'))).toBe(true);
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'), keys.activeKey('low'), keys.leaseKey('low'))).toBe(0);
  });

  it('concurrency 10: claims and outcome writes go in batches (far fewer calls than tasks); shutdown right after the handlers ran still writes every outcome', async () => {
    // Its own connection, dropped as soon as shutdown resolves: a write not made by then is lost.
    const conn = r.redis.duplicate();
    const rdb = new RDB(conn);
    const N = 300;
    await rdb.enqueueBatch(Array.from({length: N}, (_, i) => ({msg: makeMsg(`t${i}`, {retention: i % 3 === 0 ? 600 : 0})})));
    let seen = 0;
    let stopped: Promise<void> | undefined;
    const p: Processor = new Processor({
      logger: recordingLogger(), rdb, queues: {default: 1}, concurrency: 10, taskCheckIntervalMs: 10,
      // Shutdown starts inside the last handler, before its outcome (and maybe others) joined a batch.
      handler: {processTask: () => void (++seen === N && (stopped = p.shutdown()))},
    });
    await r.redis.config('RESETSTAT');
    p.start();
    const deadline = Date.now() + 10_000;
    while (!stopped && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    await stopped;
    conn.disconnect();
    const calls = await scriptCalls();
    expect(seen).toBe(N);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe(String(N));
    expect(await r.redis.zcard(keys.completedKey('default'))).toBe(N / 3);
    expect(await r.redis.exists(keys.activeKey('default'), keys.leaseKey('default'), keys.pendingKey('default'))).toBe(0);
    // One finishAndClaim call per batch of up to 10 successes (each claiming the next 10), plus the
    // first claims and the empty polls at the end; one call per task without batches.
    expect(calls).toBeLessThan(N / 3);
  });
});
