/**
 * Processing: N no-op tasks at concurrency 10 and 100; three weighted queues (6/3/1); 1% of the
 * tasks failing once and retried. Time from Server.start (BullMQ: new Worker) until every task is
 * done; the tasks are enqueued beforehand (not timed).
 * BullMQ: Worker with the same concurrency, jobs with removeOnComplete (asynq deletes a done task
 * too); weighted → three queues with one Worker each at concurrency 6/3/1 (BullMQ has no weighted
 * multi-queue worker); failing → attempts: 2, no backoff.
 * Limit: redis-benchmark EVALSHA of dequeue-6.lua + done-5.lua as one script over seeded tasks.
 */
import {Queue, Worker} from 'bullmq';
import {asynq, keys} from '../support/lib.mjs';
import {interleaved, now, redisWork, waitUntil} from '../support/measure.mjs';
import {seedAsynqQueue} from '../support/seed.mjs';
import {dequeueDoneLua} from '../support/limit-scripts.mjs';

export const order = 20;

const TYPE = 'bench:noop';
const BULL_JOB_OPTS = {removeOnComplete: true, removeOnFail: true};

/** Enqueues `n` tasks spread over `queues` through Client.enqueueMany (batches of 1000). */
async function enqueueOurs(url, queues, n) {
  const client = new asynq.Client(url);
  for (let b = 0; b < n; b += 1000) {
    const items = [];
    for (let i = b; i < Math.min(n, b + 1000); i++)
      items.push([new asynq.Task(TYPE, {n: i}), {queue: queues[i % queues.length]}]);
    await client.enqueueMany(items);
  }
  await client.close();
}

async function enqueueBull(queue, n, first = 0, step = 1, opts = BULL_JOB_OPTS) {
  const jobs = [];
  for (let i = first; i < n; i += step) jobs.push({name: TYPE, data: {n: i}, opts});
  for (let b = 0; b < jobs.length; b += 1000) await queue.addBulk(jobs.slice(b, b + 1000));
}

/**
 * Redis commands and Redis CPU µs per task between `before` (a redisWork reading) and now, leaving
 * out the measurement's own INFO calls and the `polls` MGET calls of the wait for the end.
 */
async function costSince(ctx, before, n, polls = 0) {
  const after = await redisWork(ctx.admin);
  const calls = after.calls - before.calls - (after.info - before.info) - polls;
  return {commands: calls / n, cpuMicros: ((after.cpu - before.cpu) * 1e6) / n};
}

/**
 * One asynq run: seed, start a Server, wait until `succeeded` tasks are done (processed − failed
 * counters of the queues), shut down. Returns tasks/s; with `cost` (an array), also pushes the
 * Redis commands and Redis CPU per task of the run (costSince).
 */
export async function oursProcessRun(ctx, {n, concurrency, queues, handler, serverOpts = {}, cost}) {
  await ctx.flush();
  const names = Object.keys(queues);
  await enqueueOurs(ctx.url, names, n);
  const server = new asynq.Server(ctx.url, {concurrency, queues, logLevel: 'error', ...serverOpts});
  const counters = names.flatMap((q) => [keys.processedTotalKey(q), keys.failedTotalKey(q)]);
  const before = cost ? await redisWork(ctx.admin) : null;
  let polls = 0;
  const t0 = now();
  await server.start(handler);
  await waitUntil(
    async () => {
      polls++;
      const v = (await ctx.admin.mget(...counters)).map(Number);
      let ok = 0;
      for (let i = 0; i < v.length; i += 2) ok += v[i] - v[i + 1];
      return ok >= n;
    },
    {what: `${n} asynq tasks done`},
  );
  const ms = now() - t0;
  if (cost) cost.push(await costSince(ctx, before, n, polls));
  await server.shutdown();
  return n / (ms / 1000);
}

/** One BullMQ run: one Worker per queue (concurrency each), until `n` completed events. Returns jobs/s. */
export async function bullProcessRun(ctx, {n, workers, processor, jobOpts = BULL_JOB_OPTS, cost}) {
  await ctx.flush();
  const queues = workers.map(({name}) => new Queue(name, {connection: ctx.connection}));
  for (const [k, q] of queues.entries()) await enqueueBull(q, n, k, workers.length, jobOpts);
  let completed = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const before = cost ? await redisWork(ctx.admin) : null;
  const t0 = now();
  const ws = workers.map(({name, concurrency}) => {
    const w = new Worker(name, processor, {connection: ctx.connection, concurrency});
    w.on('completed', () => {
      if (++completed === n) resolveDone();
    });
    w.on('error', () => {});
    return w;
  });
  await done;
  const ms = now() - t0;
  if (cost) cost.push(await costSince(ctx, before, n));
  await Promise.all(ws.map((w) => w.close()));
  await Promise.all(queues.map((q) => q.close()));
  return n / (ms / 1000);
}

/** redis-benchmark arguments for the dequeue+done script over queue q. */
export async function processLimitArgs(ctx, q) {
  const sha = await ctx.admin.script('LOAD', dequeueDoneLua);
  const nowS = Math.floor(Date.now() / 1000);
  return [
    'EVALSHA',
    sha,
    8,
    keys.pendingKey(q),
    keys.pausedKey(q),
    keys.activeKey(q),
    keys.leaseKey(q),
    keys.corruptKey(q),
    keys.corruptReasonsKey(q),
    keys.processedKey(q, new Date()),
    keys.processedTotalKey(q),
    nowS + 30,
    keys.taskKeyPrefix(q),
    nowS,
    nowS - 90 * 86400,
    10000,
    nowS + 90 * 86400,
    '9223372036854775807',
  ];
}

/** Redis limit of processing (tasks/s): seeds exactly `requests` pending tasks, then runs them all. */
export async function processLimit(ctx, {clients, pipeline, requests}) {
  if (!ctx.limits) return null;
  const q = 'bench-limit';
  const n = ctx.scale(requests);
  await ctx.flush();
  await seedAsynqQueue(ctx.admin, q, {pending: n});
  const args = await processLimitArgs(ctx, q);
  const rps = await ctx.limit({requests: n, clients, pipeline, args}, (r) => r.rps);
  if (rps === null) return null;
  const left = await ctx.admin.llen(keys.pendingKey(q));
  if (left !== 0) throw new Error(`process limit: ${left} tasks left (every call must process one)`);
  return rps;
}

export async function run(ctx) {
  const n = ctx.scale(20_000);
  const rows = [];
  const noop = async () => {};
  const pair = (ours, bull) => interleaved(ctx.runs, {ours, bullmq: ctx.bullmq ? bull : null});

  const costRows = [];
  for (const concurrency of [10, 100]) {
    const cost = {ours: [], bullmq: []};
    const r = await pair(
      () => oursProcessRun(ctx, {n, concurrency, queues: {bench: 1}, handler: noop, cost: cost.ours}),
      () => bullProcessRun(ctx, {n, workers: [{name: 'bench', concurrency}], processor: noop, cost: cost.bullmq}),
    );
    const how =
      'the same runs: INFO commandstats and INFO cpu of the Redis server before the start and at the end, ' +
      "the measurement's own INFO and MGET calls left out, divided by the tasks";
    const costRow = (key, what, unit, note) => ({
      id: `process.c${concurrency}.${key}`,
      group: 'process',
      name: `${what} per task, concurrency ${concurrency}`,
      unit,
      better: 'lower',
      ours: cost.ours.map((c) => c[key]),
      bullmq: cost.bullmq.map((c) => c[key]),
      limit: null,
      limitPipelined: null,
      note: `${how}${note}`,
    });
    costRows.push(
      costRow('commands', 'Redis commands', 'commands', '; commands run inside scripts counted one by one'),
      costRow('cpuMicros', 'Redis CPU', 'µs', ": redis-server's user + system CPU time (with its own background work)"),
    );
    const limit = await ctx.rounds(() => processLimit(ctx, {clients: concurrency, pipeline: 1, requests: 30_000}));
    const limitPipelined = await ctx.rounds(() =>
      processLimit(ctx, {clients: concurrency, pipeline: 16, requests: 60_000}),
    );
    rows.push({
      id: `process.c${concurrency}`,
      group: 'process',
      name: `process ${n.toLocaleString('en')} no-op tasks, concurrency ${concurrency}`,
      unit: 'tasks/s',
      better: 'higher',
      ours: r.ours,
      bullmq: r.bullmq,
      limit,
      limitPipelined,
      targets: [
        {of: 'bullmq', cmp: '>=', goal: 2},
        {of: 'limitPipelined', cmp: '>=', goal: 0.5},
      ],
      note:
        `${n.toLocaleString('en')} no-op tasks enqueued beforehand (not timed); time from Server.start until the queue's ` +
        `processed − failed counters reach ${n}. BullMQ: Worker, same concurrency, removeOnComplete. Limit: ` +
        `redis-benchmark EVALSHA of dequeue-6 + done-5 fused into one script (one task per call), -c ${concurrency} / ` +
        `-c ${concurrency} -P 16, over exactly as many seeded tasks`,
    });
  }

  // Three weighted queues, concurrency 10 in all.
  const weighted = {critical: 6, default: 3, low: 1};
  const w = await pair(
    () => oursProcessRun(ctx, {n, concurrency: 10, queues: weighted, handler: noop}),
    () =>
      bullProcessRun(ctx, {
        n,
        workers: Object.entries(weighted).map(([name, c]) => ({name, concurrency: c})),
        processor: noop,
      }),
  );
  const limit10 = rows[0].limit;
  const limit10P = rows[0].limitPipelined;
  rows.push({
    id: 'process.weighted',
    group: 'process',
    name: `three weighted queues 6/3/1, concurrency 10`,
    unit: 'tasks/s',
    better: 'higher',
    ours: w.ours,
    bullmq: w.bullmq,
    limit: limit10,
    limitPipelined: limit10P,
    targets: [{of: 'bullmq', cmp: '>=', goal: 2}],
    note: 'queues critical/default/low weighted 6/3/1, tasks spread evenly, concurrency 10; BullMQ: one Worker per queue at concurrency 6/3/1 (it has no weighted multi-queue worker). Limit as concurrency 10',
  });

  // 1% failing once, then retried.
  const f = await pair(
    () =>
      oursProcessRun(ctx, {
        n,
        concurrency: 10,
        queues: {bench: 1},
        handler: async (task, c) => {
          if (c.retryCount === 0 && task.json().n % 100 === 0) throw new Error('bench: failing once');
        },
        serverOpts: {retryDelayFunc: () => 0, delayedTaskCheckInterval: 100},
      }),
    () =>
      bullProcessRun(ctx, {
        n,
        workers: [{name: 'bench', concurrency: 10}],
        jobOpts: {...BULL_JOB_OPTS, attempts: 2},
        processor: async (job) => {
          if (job.attemptsMade === 0 && job.data.n % 100 === 0) throw new Error('bench: failing once');
        },
      }),
  );
  rows.push({
    id: 'process.failing',
    group: 'process',
    name: '1% failing once then retried, concurrency 10',
    unit: 'tasks/s',
    better: 'higher',
    ours: f.ours,
    bullmq: f.bullmq,
    limit: limit10,
    limitPipelined: limit10P,
    targets: [{of: 'bullmq', cmp: '>=', goal: 2}],
    note: 'every 100th task fails on its first attempt and succeeds on its retry; asynq: retry delay 0, forwarder every 100 ms; BullMQ: attempts 2, no backoff. Limit as concurrency 10',
  });
  rows.push(...costRows);
  return rows;
}
