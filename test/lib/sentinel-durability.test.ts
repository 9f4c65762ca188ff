/**
 * What a `SENTINEL FAILOVER` costs a producer, per waitForReplicas setting, on the README's set-up:
 * a master, two replicas, three sentinels, every Redis server with `min-replicas-to-write 1`.
 * A producer starts an enqueue every few milliseconds without waiting for the previous one (about
 * 250 a second, each with its own task ID) while the master is switched; once the failover has
 * settled (the old master replicates the new one), every enqueue the Client acknowledged must be
 * on the new master. Counted per run: acknowledged enqueues lost, enqueues rejected, the longest
 * time an enqueue took to settle, and TaskIdConflictErrors (each ID is enqueued once, so any
 * conflict is false).
 *
 * With two replicas a planned switchover loses writes unless every replica acknowledges them: the
 * old master keeps accepting writes while the replica not promoted still follows it, and they are
 * wiped when both resync from the new master. `replicas: 'all'` (the replicas the master has,
 * never fewer than it had on this connection) loses none; an enqueue still settles within its
 * timeout while the replicas cannot acknowledge (it is rejected with ReplicationTimeoutError), instead
 * of waiting behind the other enqueues' WAITs on the one connection.
 *
 * `ASYNQ_TEST_REPORT=1` prints one line of figures per failover (the README's loss and stall figures).
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {Client, type ClientOptions} from '../../src/lib/client.js';
import {ReplicationTimeoutError, TaskIdConflictError} from '../../src/lib/errors.js';
import type {TaskContext} from '../../src/lib/handler.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {recordingLogger} from '../support/logger.js';
import {startRedisSentinel, type RedisSentinel} from '../support/redis-sentinel.js';
import {waitFor} from '../support/wait.js';

let topo: RedisSentinel;

beforeAll(async () => {
  topo = await startRedisSentinel({replicas: 2, sentinels: 3, dataArgs: ['--min-replicas-to-write', '1']});
});
afterAll(async () => {
  await topo?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface FailoverRun {
  acked: number;
  /** Handler calls (with a worker). */
  processed: number;
  /** Acknowledged enqueues missing on the new master once the failover settled. */
  lost: number;
  /** Rejected with ReplicationTimeoutError / with any other error (TaskIdConflictError apart). */
  unconfirmed: number;
  failed: number;
  /** TaskIdConflictError: every ID is enqueued once, so each is false. */
  conflicts: number;
  /** The longest time from an enqueue call to its result (ms). */
  slowestMs: number;
}

/**
 * Streams enqueues into `queue` (one every `everyMs`, without waiting for the previous one) from
 * 400 ms before a SENTINEL FAILOVER until 800 ms after it completed, then checks on the new master
 * which acknowledged enqueues survived. With `worker`, a Server (3 workers) processes the stream
 * meanwhile: a processed task is deleted, so lost = acknowledged, never processed, not stored.
 */
async function failoverUnder(queue: string, opts: ClientOptions, {everyMs = 4, worker = false, kill = false} = {}): Promise<FailoverRun> {
  const sentinelAddrs = topo.sentinels.map((s) => `${s.host}:${s.port}`);
  const client = new Client({masterName: topo.masterName, sentinelAddrs}, opts);
  const acked: string[] = [];
  const run: FailoverRun = {acked: 0, processed: 0, lost: 0, unconfirmed: 0, failed: 0, conflicts: 0, slowestMs: 0};
  const processed = new Set<string>();
  const server = worker
    ? new Server({masterName: topo.masterName, sentinelAddrs}, {concurrency: 3, queues: {[queue]: 1}, shutdownTimeout: '1s', logger: recordingLogger(), logLevel: 'error'})
    : undefined;
  await server?.start((_task: Task, ctx: TaskContext) => {
    processed.add(ctx.taskId);
  });
  const inflight = new Set<Promise<void>>();
  let stop = false;
  const producer = (async () => {
    for (let n = 0; !stop; n++) {
      const id = `${queue}-${n}`;
      const t0 = Date.now();
      const p = client.enqueue(new Task('stream', String(n), {taskId: id, queue})).then(
        () => void acked.push(id),
        (err: unknown) => {
          if (err instanceof ReplicationTimeoutError) run.unconfirmed++;
          else if (err instanceof TaskIdConflictError) run.conflicts++;
          else run.failed++;
        },
      ).finally(() => {
        run.slowestMs = Math.max(run.slowestMs, Date.now() - t0);
        inflight.delete(p);
      });
      inflight.add(p);
      await sleep(everyMs);
    }
  })();
  try {
    await sleep(400);
    await topo.failover({kill});
    await sleep(800);
  } finally {
    stop = true;
    await producer;
    await Promise.all(inflight);
    await client.close();
  }
  const m = topo.master.client();
  if (server) {
    await waitFor(async () => (await m.llen(keys.pendingKey(queue))) === 0, 'the worker to drain the queue', 10_000).catch(() => {});
    await server.shutdown();
  }
  // failover() returned once the old master replicates the new one: what it had that the new
  // master lacks is gone. Read on the new master after its replicas caught up.
  await waitFor(async () => Number(await m.call('WAIT', topo.replicas.length, 1000)) === topo.replicas.length,
    'the replicas to catch up with the new master', 20_000);
  const pipe = m.pipeline();
  for (const id of acked) pipe.exists(keys.taskKey(queue, id));
  const found = (await pipe.exec())!.map(([, n]) => n);
  run.acked = acked.length;
  run.processed = processed.size;
  run.lost = acked.filter((id, i) => found[i] !== 1 && !processed.has(id)).length;
  if (process.env.ASYNQ_TEST_REPORT) console.log(JSON.stringify({queue, ...opts.waitForReplicas, ...run}));
  return run;
}

// The tests share the topology and run in order; each failover promotes one of the replicas.
describe('SENTINEL FAILOVER with two replicas, min-replicas-to-write 1, a producer not waiting for its enqueues', () => {
  it("waitForReplicas {replicas: 'all'}: no acknowledged enqueue lost in three failovers; each enqueue settles within its timeout; no false conflict", {timeout: 120_000}, async () => {
    for (let i = 0; i < 3; i++) {
      const run = await failoverUnder(`all${i}`, {waitForReplicas: {replicas: 'all', timeout: '1s'}});
      expect(run.acked).toBeGreaterThan(50); // the stream ran on both sides of the failover
      expect(run.lost).toBe(0);
      expect(run.conflicts).toBe(0);
      // 1 s WAIT timeout; the rest is room for a loaded machine (before: 8–11 s behind other WAITs).
      expect(run.slowestMs).toBeLessThan(2_500);
    }
  });

  it('measures the other settings (figures with ASYNQ_TEST_REPORT=1); no false conflict', {timeout: 120_000}, async () => {
    for (const [name, opts] of [['one', {waitForReplicas: {replicas: 1, timeout: '1s'}}], ['none', {}]] as const) {
      const run = await failoverUnder(name, opts);
      expect(run.acked).toBeGreaterThan(50);
      expect(run.conflicts).toBe(0);
    }
  });

  // A producer's enqueue whose reply was lost in the switch is resent (by ioredis, or by the
  // waitForReplicas retry) and meets its own task, which a worker may be processing or may have
  // processed already: that is no TaskIdConflictError.
  it('with a worker processing the stream: no false TaskIdConflictError, nothing lost with replicas all', {timeout: 120_000}, async () => {
    for (const [name, opts] of [
      ['wone', {waitForReplicas: {replicas: 1, timeout: '1s'}}], ['wnone', {}], ['wall', {waitForReplicas: {replicas: 'all', timeout: '1s'}}],
    ] as const) {
      const run = await failoverUnder(name, opts, {worker: true});
      expect(run.acked).toBeGreaterThan(50);
      expect(run.processed).toBeGreaterThan(50);
      expect(run.conflicts).toBe(0);
      if (name.startsWith('wall')) expect(run.lost).toBe(0);
    }
  });

  // Last: the killed master does not come back, one replica is left. Writes replicated to the
  // promoted replica just before the kill lose their reply; ioredis resends them, and they meet
  // their own task, which the worker processes while the WAIT waits for the other replica.
  it('master killed, with a worker: no false TaskIdConflictError', {timeout: 120_000}, async () => {
    const run = await failoverUnder('wkill', {waitForReplicas: {replicas: 1, timeout: '1s'}}, {worker: true, kill: true});
    expect(run.acked).toBeGreaterThan(50);
    expect(run.conflicts).toBe(0);
  });
});
