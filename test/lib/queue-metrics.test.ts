/**
 * queueMetrics(inspector, {registry}): registers Go's queue metrics on the caller's registry next
 * to its own metrics, and reuses one collection for the interval (counted with onCollect).
 */
import {Counter, Registry} from 'prom-client';
import {describe, expect, it} from 'vitest';
import {Client, Inspector, queueMetrics, Task} from '../../src/lib/index.js';
import {parseMetrics, sampleValue} from '../support/prometheus.js';
import {useRedis} from '../support/redis.js';
import {seedEveryState} from '../support/seed-every-state.js';

const r = useRedis();

describe('queueMetrics', () => {
  it('registers on a given registry; concurrent reads share one collection until the interval has passed', async () => {
    await seedEveryState(r.redis, new Date());
    const registry = new Registry();
    new Counter({name: 'app_requests_total', help: 'Requests.', registers: [registry]}).inc(3);
    let now = 1_000_000;
    const collections: number[] = [];
    const qm = queueMetrics(new Inspector(r.redis), {registry, intervalMs: 15_000, now: () => now, onCollect: (c) => collections.push(c.queues)});
    expect(qm.registry).toBe(registry);
    const texts = await Promise.all(Array.from({length: 10}, () => registry.metrics()));
    expect(collections).toEqual([3]);
    const fams = parseMetrics(texts[0]!);
    expect(sampleValue(fams, 'app_requests_total')).toBe(3);
    expect(sampleValue(fams, 'asynq_queue_size', {queue: 'default'})).toBe(11);
    now += 14_999;
    await qm.metrics();
    expect(collections).toEqual([3]);
    now += 1;
    await r.redis.srem('asynq:queues', 'empty');
    const after = parseMetrics(await qm.metrics());
    expect(collections).toEqual([3, 2]);
    expect(after.get('asynq_queue_size')!.samples.map((s) => s.labels.queue)).toEqual(['critical', 'default']); // a removed queue leaves no stale series
  });

  it('samples the memory usage at most every memoryIntervalMs; the collections in between report the last sample', async () => {
    await seedEveryState(r.redis, new Date());
    let now = 1_000_000;
    const qm = queueMetrics(new Inspector(r.redis), {intervalMs: 1_000, memoryIntervalMs: 60_000, now: () => now});
    const read = async (): Promise<{memory: number; size: number}> => {
      const fams = parseMetrics(await qm.metrics());
      return {
        memory: sampleValue(fams, 'asynq_queue_memory_usage_approx_bytes', {queue: 'default'})!,
        size: sampleValue(fams, 'asynq_queue_size', {queue: 'default'})!,
      };
    };
    const first = await read();
    expect(first.memory).toBeGreaterThan(0);
    const client = new Client(r.redis);
    await client.enqueue(new Task('big', Buffer.alloc(200_000, 1)), {queue: 'default'});
    now += 1_000; // a new collection: counts read again, memory not sampled
    const second = await read();
    expect(second.size).toBe(first.size + 1);
    expect(second.memory).toBe(first.memory);
    now += 59_000; // 60 s after the first sample: sampled again, the 200 kB task counted
    const third = await read();
    expect(third.memory).toBeGreaterThan(first.memory + 150_000);
  });

  it('spreads the memory sampling: after the first collection, each samples its share of the queues, the oldest samples first', async () => {
    const names = Array.from({length: 8}, (_, i) => `q${i}`);
    const client = new Client(r.redis);
    for (const q of names) await client.enqueue(new Task('t'), {queue: q});
    const sampled: string[][] = [];
    class Recording extends Inspector {
      override getQueueInfo(q: string, opts?: {sampleMemory?: boolean}) {
        if (opts?.sampleMemory !== false) sampled.at(-1)!.push(q);
        return super.getQueueInfo(q, opts);
      }
    }
    let now = 1_000_000;
    const qm = queueMetrics(new Recording(r.redis), {intervalMs: 15_000, memoryIntervalMs: 60_000, now: () => now});
    const collect = async (): Promise<string[]> => {
      sampled.push([]);
      await qm.metrics();
      now += 15_000;
      return sampled.at(-1)!.sort();
    };
    expect(await collect()).toEqual(names); // every queue is new
    for (let i = 0; i < 3; i++) expect(await collect()).toEqual([]); // 15, 30, 45 s: none due
    // 60 s on: every queue is due, a quarter of them (15 s of 60) per collection, oldest first.
    const cycle: string[][] = [];
    for (let i = 0; i < 4; i++) cycle.push(await collect());
    expect(cycle.map((c) => c.length)).toEqual([2, 2, 2, 2]);
    expect(cycle.flat().sort()).toEqual(names);
    // From then on each queue is sampled every 60 s, two per collection.
    const next: string[][] = [];
    for (let i = 0; i < 4; i++) next.push(await collect());
    expect(next).toEqual(cycle);
    // A collection after a long pause samples every due queue; a new queue is sampled at once.
    now += 120_000;
    await client.enqueue(new Task('t'), {queue: 'q8'});
    expect(await collect()).toEqual([...names, 'q8']);
  });

  it('a failed collection exports no series and is logged', async () => {
    const errors: string[] = [];
    const logger = {debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m)};
    const qm = queueMetrics(new Inspector(r.redis), {logger});
    await r.redis.set('asynq:queues', 'not a set');
    const fams = parseMetrics(await qm.metrics());
    expect([...fams.values()].flatMap((f) => f.samples)).toEqual([]);
    expect(errors[0]).toMatch(/^Failed to collect metrics data: .*WRONGTYPE/);
  });
});
