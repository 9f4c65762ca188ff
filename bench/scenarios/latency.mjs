/**
 * Latency from the enqueue call to the handler's start, p50/p99 over a series of probes, each sent
 * after the previous one was picked up plus a random gap (so probes land at every phase of the
 * idle poll and its back-off). Worker concurrency 10. Each round gives a p50 and a p99; the rows
 * report the median and spread of those over the rounds.
 * - idle: nothing else to do, gaps of 0–100 ms (the worker backs off between probes; the client's
 *   wake-up notification is what makes it pick up at once);
 * - busy: the same worker also runs a background load of 1,000 tasks/s that take 5 ms each
 *   (about half of its 10 slots busy), enqueued by the same process in batches every 20 ms.
 * BullMQ: Queue.add → Worker processor, same load. Limit: redis-benchmark -c 1 latency of the
 * enqueue script plus that of the dequeue+done script (a zero-wait handoff).
 */
import {Queue, Worker} from 'bullmq';
import {asynq} from '../support/lib.mjs';
import {now, percentile, sleep} from '../support/measure.mjs';
import {enqueueLimitArgs} from './enqueue.mjs';
import {seedAsynqQueue} from '../support/seed.mjs';
import {processLimitArgs} from './process.mjs';

export const order = 30;

const Q = 'bench-latency';
const LOAD_PER_SECOND = 1000;
const LOAD_TASK_MS = 5;

/**
 * Sends `probes` probes through `send(i)`; `started` is a Map the handler fills with i → time.
 * Between probes: a gap uniform in [gapMs[0], gapMs[1]).
 */
export async function probe(probes, send, started, gapMs = [0, 10]) {
  const lat = [];
  for (let i = 0; i < probes; i++) {
    const t0 = now();
    await send(i);
    while (!started.has(i)) await sleep(0.5);
    lat.push(started.get(i) - t0);
    await sleep(gapMs[0] + Math.random() * (gapMs[1] - gapMs[0]));
  }
  return lat;
}

/** Gaps between probes: idle → 0–100 ms (back-off builds up), busy → 0–10 ms. */
const gapOf = (busy) => (busy ? [0, 10] : [0, 100]);

/** Starts the background load: `enqueue(count)` called every 20 ms; returns stop(). */
function startLoad(enqueue) {
  let stopped = false;
  const loop = (async () => {
    const per = (LOAD_PER_SECOND * 20) / 1000;
    while (!stopped) {
      const t = now();
      await enqueue(per);
      await sleep(Math.max(0, 20 - (now() - t)));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
  };
}

async function ours(ctx, probes, busy) {
  await ctx.flush();
  const started = new Map();
  const server = new asynq.Server(ctx.url, {concurrency: 10, queues: {[Q]: 1}, logLevel: 'error'});
  await server.start(async (task) => {
    if (task.type === 'probe') started.set(task.json().i, now());
    else await sleep(LOAD_TASK_MS);
  });
  const client = new asynq.Client(ctx.url);
  await client.ping();
  const stopLoad = busy
    ? startLoad((k) =>
        client.enqueueMany(
          Array.from({length: k}, () => new asynq.Task('load', null)),
          {queue: Q},
        ),
      )
    : async () => {};
  if (busy) await sleep(300);
  const lat = await probe(
    probes,
    (i) => client.enqueue(new asynq.Task('probe', {i}), {queue: Q}),
    started,
    gapOf(busy),
  );
  await stopLoad();
  await client.close();
  await server.shutdown();
  return lat;
}

async function bull(ctx, probes, busy) {
  await ctx.flush();
  const started = new Map();
  const queue = new Queue(Q, {connection: ctx.connection});
  const worker = new Worker(
    Q,
    async (job) => {
      if (job.name === 'probe') started.set(job.data.i, now());
      else await sleep(LOAD_TASK_MS);
    },
    {connection: ctx.connection, concurrency: 10, removeOnComplete: {count: 0}},
  );
  worker.on('error', () => {});
  await worker.waitUntilReady();
  await queue.waitUntilReady();
  const stopLoad = busy
    ? startLoad((k) =>
        queue.addBulk(Array.from({length: k}, () => ({name: 'load', data: null, opts: {removeOnComplete: true}}))),
      )
    : async () => {};
  if (busy) await sleep(300);
  const lat = await probe(probes, (i) => queue.add('probe', {i}, {removeOnComplete: true}), started, gapOf(busy));
  await stopLoad();
  await worker.close();
  await queue.close();
  return lat;
}

/** Redis limit of a pickup (ms): redis-benchmark -c 1 latency of enqueue plus that of dequeue+done. */
export async function pickupLimit(ctx) {
  if (!ctx.limits) return null;
  await ctx.flush();
  const enq = await ctx.limit(
    {requests: ctx.scale(5_000), clients: 1, pipeline: 1, args: await enqueueLimitArgs(ctx)},
    (r) => r,
  );
  await ctx.flush();
  const n = ctx.scale(5_000);
  await seedAsynqQueue(ctx.admin, 'bench-limit', {pending: n});
  const deq = await ctx.limit(
    {requests: n, clients: 1, pipeline: 1, args: await processLimitArgs(ctx, 'bench-limit')},
    (r) => r,
  );
  return enq && deq ? {p50: enq.p50Ms + deq.p50Ms, p99: enq.p99Ms + deq.p99Ms} : null;
}

export async function run(ctx) {
  const probes = ctx.scale(100);
  const rows = [];
  // Limit: the two scripts back to back with no wait in between, one client.
  const limits = await ctx.rounds(() => pickupLimit(ctx));

  for (const busy of [false, true]) {
    // Each round: ours then BullMQ, each a series of probes giving a p50 and a p99.
    const runs = {ours: [], bullmq: []};
    for (let r = 0; r < ctx.runs; r++) {
      runs.ours.push(await ours(ctx, probes, busy));
      if (ctx.bullmq) runs.bullmq.push(await bull(ctx, probes, busy));
    }
    const label = busy ? 'busy worker (1,000 × 5 ms tasks/s)' : 'idle worker, asynq-ts client';
    const how =
      'Limit: redis-benchmark -c 1 latency (p50, p99) of enqueue-2 plus that of dequeue+done, i.e. a zero-wait handoff';
    const goals = busy ? {} : {50: 2, 99: 10};
    for (const p of [50, 99]) {
      rows.push({
        id: `latency.${busy ? 'busy' : 'idle'}.p${p}`,
        group: 'latency',
        name: `pickup (enqueue → handler start), ${label}, p${p}`,
        unit: 'ms',
        better: 'lower',
        ours: runs.ours.map((l) => percentile(l, p)),
        bullmq: runs.bullmq.map((l) => percentile(l, p)),
        limit: limits.map((l) => l[`p${p}`]),
        limitPipelined: null,
        targets: goals[p] ? [{of: 'value', cmp: '<=', goal: goals[p]}] : [],
        note:
          `${probes} probes per round, each enqueued by Client.enqueue ${busy ? 'while the worker runs a background load of 1,000 tasks/s of 5 ms (enqueued every 20 ms by enqueueMany)' : 'to an otherwise idle worker'}, ` +
          `gaps of ${gapOf(busy).join('–')} ms between probes; worker concurrency 10; the round's p${p}. BullMQ: Queue.add → Worker. ${how}`,
      });
    }
  }
  return rows;
}
