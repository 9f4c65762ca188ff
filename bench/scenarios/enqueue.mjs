/**
 * Enqueue: single enqueue with 1 and 8 concurrent callers, enqueueMany in batches of 1000.
 * BullMQ: Queue.add / addBulk with the same payloads, run in turn with ours (interleaved rounds).
 * Limit: redis-benchmark EVALSHA of the real enqueue-2.lua with a message of the same size,
 * unpipelined (-c = callers) and pipelined (-P 16).
 */
import {Queue} from 'bullmq';
import {asynq, encodeTaskMessage, keys, scripts} from '../support/lib.mjs';
import {concurrently, interleaved, now} from '../support/measure.mjs';
import {messageTemplate} from '../support/seed.mjs';

export const order = 10;

const Q = 'bench-enqueue';
const TYPE = 'bench:noop';

/** redis-benchmark arguments for one enqueue-2.lua call, like Client.enqueue sends it. */
export async function enqueueLimitArgs(ctx) {
  const sha = await ctx.admin.script('LOAD', scripts.enqueue.lua);
  const msgSize = encodeTaskMessage(messageTemplate(Q, {n: 123456})).length;
  const nowNs = `${BigInt(Date.now()) * 1_000_000n}`;
  return [
    'EVALSHA',
    sha,
    2,
    keys.taskKey(Q, '__rand_int__'),
    keys.pendingKey(Q),
    'x'.repeat(msgSize),
    '__rand_int__',
    nowNs,
  ];
}

/** tasks/s of `n` calls of `call(i)` by `callers` concurrent callers, on a flushed server. */
const rate = (ctx, n, callers, call) => async () => {
  await ctx.flush();
  return n / ((await concurrently(n, callers, call)) / 1000);
};

/** tasks/s of `n` tasks sent as batches of 1000 through `batch(from)`. */
const batchRate = (ctx, n, batch) => async () => {
  await ctx.flush();
  const t0 = now();
  for (let b = 0; b < n; b += 1000) await batch(b);
  return n / ((now() - t0) / 1000);
};

export async function run(ctx) {
  const nSingle = ctx.scale(5_000);
  const nMany = ctx.scale(20_000);
  const client = new asynq.Client(ctx.url);
  await client.ping();
  const queue = ctx.bullmq ? new Queue(Q, {connection: ctx.connection}) : null;
  await queue?.waitUntilReady();

  const oursAdd = (i) => client.enqueue(new asynq.Task(TYPE, {n: i}), {queue: Q});
  const bullAdd = (i) => queue.add(TYPE, {n: i});
  const oursBatch = async (b) => {
    const res = await client.enqueueMany(
      Array.from({length: 1000}, (_, i) => new asynq.Task(TYPE, {n: b + i})),
      {queue: Q},
    );
    const failed = res.find((r) => r instanceof Error);
    if (failed) throw failed;
  };
  const bullBatch = (b) => queue.addBulk(Array.from({length: 1000}, (_, i) => ({name: TYPE, data: {n: b + i}})));
  const pair = (ours, bull) => interleaved(ctx.runs, {ours, bullmq: queue ? bull : null}, {warmup: 1});
  const c1 = await pair(rate(ctx, nSingle, 1, oursAdd), rate(ctx, nSingle, 1, bullAdd));
  const c8 = await pair(rate(ctx, nSingle * 2, 8, oursAdd), rate(ctx, nSingle * 2, 8, bullAdd));
  const many = await pair(batchRate(ctx, nMany, oursBatch), batchRate(ctx, nMany, bullBatch));
  await client.close();
  await queue?.close();

  // Redis limit
  await ctx.flush();
  const args = await enqueueLimitArgs(ctx);
  // Each round on an empty server (FLUSHALL keeps the loaded script), as ours and BullMQ's rounds.
  const lim = (clients, pipeline, requests) =>
    ctx.rounds(async () => {
      await ctx.flush();
      return ctx.limit({requests: ctx.scale(requests), clients, pipeline, args}, (r) => r.rps);
    });
  const limC1 = await lim(1, 1, 10_000);
  const limC8 = await lim(8, 1, 30_000);
  const limP16 = await lim(1, 16, 100_000);
  const limC8P16 = await lim(8, 16, 100_000);
  const how = 'redis-benchmark EVALSHA enqueue-2.lua';
  return [
    {
      id: 'enqueue.single.c1',
      group: 'enqueue',
      name: '`enqueue`, 1 caller',
      unit: 'tasks/s',
      better: 'higher',
      ours: c1.ours,
      bullmq: c1.bullmq,
      limit: limC1,
      limitPipelined: limP16,
      targets: [{of: 'bullmq', cmp: '>=', goal: 1.5}],
      note: `${nSingle.toLocaleString('en')} Client.enqueue calls one after the other (one warm-up round first). BullMQ: Queue.add. Limit: ${how}, -c 1 / -c 1 -P 16`,
    },
    {
      id: 'enqueue.single.c8',
      group: 'enqueue',
      name: '`enqueue`, 8 concurrent callers',
      unit: 'tasks/s',
      better: 'higher',
      ours: c8.ours,
      bullmq: c8.bullmq,
      limit: limC8,
      limitPipelined: limC8P16,
      targets: [{of: 'bullmq', cmp: '>=', goal: 1.5}],
      note: `${(nSingle * 2).toLocaleString('en')} Client.enqueue calls by 8 async callers sharing one Client (BullMQ: one Queue, Queue.add). Limit: ${how}, -c 8 / -c 8 -P 16`,
    },
    {
      id: 'enqueue.many',
      group: 'enqueue',
      name: '`enqueueMany`, batches of 1000',
      unit: 'tasks/s',
      better: 'higher',
      ours: many.ours,
      bullmq: many.bullmq,
      limit: limC1,
      limitPipelined: limC8P16.length ? limP16.map((x, i) => Math.max(x, limC8P16[i] ?? 0)) : limP16,
      targets: [{of: 'limitPipelined', cmp: '>=', goal: 0.3}],
      note: `${nMany.toLocaleString('en')} tasks through Client.enqueueMany in batches of 1000 (BullMQ: addBulk). Limit: ${how}, -c 1 / best of -c 1 -P 16 and -c 8 -P 16 in each round`,
    },
  ];
}
