/**
 * Client: single enqueues from concurrent callers share round trips (auto-pipelining on the
 * client's own connection), and leave exactly the Redis state of one enqueue after another.
 * Round trips are counted by Redis itself: INFO stats total_reads_processed counts the reads
 * of client sockets (a pipeline arriving in one write is one read).
 */
import {describe, expect, it} from 'vitest';
import {Client} from '../../src/lib/client.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {Task} from '../../src/lib/task.js';
import {dumpAll} from '../support/dump.js';
import {useRedis} from '../support/redis.js';

const r = useRedis();
const START = new Date('2026-01-01T00:00:00.123Z');
const N = 50;

async function reads(): Promise<number> {
  return Number(/^total_reads_processed:(\d+)/m.exec(await r.redis.info('stats'))?.[1]);
}

/** Reads Redis made while `fn` ran (minus the INFO that measures it). */
async function readsDuring(fn: () => Promise<unknown>): Promise<number> {
  const before = await reads();
  await fn();
  return (await reads()) - before - 1;
}

const tasks = (): Array<[Task, {taskId: string; queue: string}]> =>
  Array.from({length: N}, (_, i) => [new Task('t', {i}), {taskId: `id${i}`, queue: i % 2 ? 'a' : 'b'}]);

describe('Client auto-pipelining', () => {
  it(`${N} concurrent enqueues take a few round trips and leave the state of ${N} enqueues one by one`, async () => {
    const client = new Client(r.server.url, {clock: new SimulatedClock(START)});
    // A second client: the first one remembers its registered queues.
    const single = new Client(r.server.url, {clock: new SimulatedClock(START)});
    try {
      await client.enqueue(new Task('warm'), {taskId: 'warm', queue: 'a'});
      await client.enqueue(new Task('warm'), {taskId: 'warm', queue: 'b'});
      const n = await readsDuring(() => Promise.all(tasks().map(([t, o]) => client.enqueue(t, o))));
      // Measured: 1 (the 50 scripts in one write); Redis may split a large write into a few reads.
      expect(n).toBeLessThanOrEqual(5);
      const concurrent = await dumpAll(r.redis);

      await r.redis.flushall();
      await single.enqueue(new Task('warm'), {taskId: 'warm', queue: 'a'});
      await single.enqueue(new Task('warm'), {taskId: 'warm', queue: 'b'});
      const m = await readsDuring(async () => {
        for (const [t, o] of tasks()) await single.enqueue(t, o);
      });
      expect(m).toBeGreaterThanOrEqual(N);
      expect(concurrent).toEqual(await dumpAll(r.redis));
    } finally {
      await client.close();
      await single.close();
    }
  });

  it('a connection passed in keeps its own setting', async () => {
    const conn = r.server.client();
    const client = new Client(conn);
    try {
      expect(conn.options.enableAutoPipelining).toBeFalsy();
      await client.enqueue(new Task('t'));
    } finally {
      await client.close();
      conn.disconnect();
    }
  });
});
