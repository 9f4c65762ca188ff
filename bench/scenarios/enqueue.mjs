/**
 * Enqueue: single enqueue with 1 and 8 concurrent callers, enqueueMany in batches of 1000.
 * BullMQ: Queue.add / addBulk with the same payloads. Limit: redis-benchmark EVALSHA of the real
 * enqueue-2.lua with a message of the same size, unpipelined (-c = callers) and pipelined (-P 16).
 */
import {Queue} from 'bullmq';
import {asynq, encodeTaskMessage, keys, scripts} from '../support/lib.mjs';
import {concurrently, now, repeat} from '../support/measure.mjs';
import {messageTemplate} from '../support/seed.mjs';

const Q = 'bench-enqueue';
const TYPE = 'bench:noop';

/** redis-benchmark arguments for one enqueue-2.lua call, like Client.enqueue sends it. */
export async function enqueueLimitArgs(ctx) {
  const sha = await ctx.admin.script('LOAD', scripts.enqueue.lua);
  const msgSize = encodeTaskMessage(messageTemplate(Q, {n: 123456})).length;
  const nowNs = `${BigInt(Date.now()) * 1_000_000n}`;
  return ['EVALSHA', sha, 2, keys.taskKey(Q, '__rand_int__'), keys.pendingKey(Q), 'x'.repeat(msgSize), '__rand_int__', nowNs];
}

export async function run(ctx) {
  const {url} = ctx;
  const nSingle = ctx.scale(5_000);
  const nMany = ctx.scale(20_000);
  const rows = [];

  // ours
  const client = new asynq.Client(url);
  await client.ping();
  const oursSingle = async (callers, n) => (await repeat(ctx.runs, async () => {
    await ctx.flush();
    const ms = await concurrently(n, callers, (i) => client.enqueue(new asynq.Task(TYPE, {n: i}), {queue: Q}));
    return n / (ms / 1000);
  }, {warmup: 1})).median;
  const oursMany = async (n) => (await repeat(ctx.runs, async () => {
    await ctx.flush();
    const t0 = now();
    for (let b = 0; b < n; b += 1000) {
      const tasks = Array.from({length: 1000}, (_, i) => new asynq.Task(TYPE, {n: b + i}));
      const res = await client.enqueueMany(tasks, {queue: Q});
      const failed = res.find((r) => r instanceof Error);
      if (failed) throw failed;
    }
    return n / ((now() - t0) / 1000);
  }, {warmup: 1})).median;
  const ours = {c1: await oursSingle(1, nSingle), c8: await oursSingle(8, nSingle * 2), many: await oursMany(nMany)};
  await client.close();

  // BullMQ
  const bull = ctx.bullmq ? await bullmq(ctx) : {c1: null, c8: null, many: null};

  // Redis limit
  await ctx.flush();
  const args = await enqueueLimitArgs(ctx);
  const lim = (clients, pipeline, requests) => ctx.limit({requests: ctx.scale(requests), clients, pipeline, args}, (r) => r.rps);
  const limC1 = await lim(1, 1, 30_000);
  const limC8 = await lim(8, 1, 100_000);
  const limP16 = await lim(1, 16, 300_000);
  const limC8P16 = await lim(8, 16, 300_000);
  const how = 'redis-benchmark EVALSHA enqueue-2.lua';

  rows.push({
    id: 'enqueue.single.c1', group: 'enqueue', name: '`enqueue`, 1 caller', unit: 'tasks/s', better: 'higher',
    ours: ours.c1, bullmq: bull.c1, limit: limC1, limitPipelined: limP16,
    note: `BullMQ: Queue.add. Limit: ${how}, -c 1 / -c 1 -P 16`,
  });
  rows.push({
    id: 'enqueue.single.c8', group: 'enqueue', name: '`enqueue`, 8 concurrent callers', unit: 'tasks/s', better: 'higher',
    ours: ours.c8, bullmq: bull.c8, limit: limC8, limitPipelined: limC8P16,
    note: `one Client / one Queue shared by 8 async callers. Limit: ${how}, -c 8 / -c 8 -P 16`,
  });
  rows.push({
    id: 'enqueue.many', group: 'enqueue', name: '`enqueueMany`, batches of 1000', unit: 'tasks/s', better: 'higher',
    ours: ours.many, bullmq: bull.many, limit: limC1, limitPipelined: limP16 === null ? limC8P16 : Math.max(limP16, limC8P16 ?? 0),
    note: `BullMQ: addBulk. Limit: ${how}, -c 1 / best of -c 1 -P 16 and -c 8 -P 16`,
  });
  return rows;
}

async function bullmq(ctx) {
  const nSingle = ctx.scale(5_000);
  const nMany = ctx.scale(20_000);
  const queue = new Queue(Q, {connection: ctx.connection});
  await queue.waitUntilReady();
  const bullSingle = async (callers, n) => (await repeat(ctx.runs, async () => {
    await ctx.flush();
    const ms = await concurrently(n, callers, (i) => queue.add(TYPE, {n: i}));
    return n / (ms / 1000);
  }, {warmup: 1})).median;
  const bullMany = async (n) => (await repeat(ctx.runs, async () => {
    await ctx.flush();
    const t0 = now();
    for (let b = 0; b < n; b += 1000) {
      await queue.addBulk(Array.from({length: 1000}, (_, i) => ({name: TYPE, data: {n: b + i}})));
    }
    return n / ((now() - t0) / 1000);
  }, {warmup: 1})).median;
  const bull = {c1: await bullSingle(1, nSingle), c8: await bullSingle(8, nSingle * 2), many: await bullMany(nMany)};
  await queue.close();
  return bull;
}
