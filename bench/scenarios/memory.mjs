/**
 * Worker memory: peak RSS (VmHWM) of a separate worker process (concurrency 100) while it
 * processes N no-op tasks enqueued beforehand. BullMQ: a Worker at concurrency 100, same jobs.
 * Limit: a Node process with ioredis connected, doing nothing.
 */
import {execFile} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {Queue} from 'bullmq';
import {asynq} from '../support/lib.mjs';

export const order = 50;

const run$ = promisify(execFile);
const worker = fileURLToPath(new URL('../support/rss-worker.mjs', import.meta.url));
const Q = 'bench-rss';

export async function child(ctx, kind, n, concurrency, measure) {
  const args = [worker, kind, String(ctx.server.port), String(n), String(concurrency), Q, measure];
  const {stdout} = await run$(process.execPath, args, {timeout: 300_000});
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

export async function seedOurs(ctx, n) {
  await ctx.flush();
  const client = new asynq.Client(ctx.url);
  for (let b = 0; b < n; b += 1000) {
    await client.enqueueMany(
      Array.from({length: Math.min(1000, n - b)}, (_, i) => new asynq.Task('bench:noop', {n: b + i})),
      {queue: Q},
    );
  }
  await client.close();
}

async function seedBull(ctx, n) {
  await ctx.flush();
  const queue = new Queue(Q, {connection: ctx.connection});
  for (let b = 0; b < n; b += 1000) {
    await queue.addBulk(
      Array.from({length: Math.min(1000, n - b)}, (_, i) => ({
        name: 'bench:noop',
        data: {n: b + i},
        opts: {removeOnComplete: true},
      })),
    );
  }
  await queue.close();
}

/**
 * Each round: `n` tasks enqueued, then a worker child process (rss-worker.mjs, `measure` = rss or
 * alloc) for ours and for BullMQ in turn, and with `floor` the idle Node + ioredis child. Returns
 * every round's child output of each.
 */
export async function childRounds(ctx, {n, concurrency, measure, floor = false}) {
  const out = {ours: [], bullmq: [], floor: []};
  for (let r = 0; r < ctx.runs; r++) {
    await seedOurs(ctx, n);
    out.ours.push(await child(ctx, 'asynq', n, concurrency, measure));
    if (floor) out.floor.push(await child(ctx, 'floor', 0, concurrency, measure));
    if (!ctx.bullmq) continue;
    await seedBull(ctx, n);
    out.bullmq.push(await child(ctx, 'bullmq', n, concurrency, measure));
  }
  await ctx.flush();
  return out;
}

export async function run(ctx) {
  const n = ctx.scale(20_000);
  const got = await childRounds(ctx, {n, concurrency: 100, measure: 'rss', floor: true});
  const mb = (xs) => xs.map((x) => x.peakRssMB);
  return [
    {
      id: 'memory.rss.c100',
      group: 'memory',
      name: `worker peak RSS, concurrency 100, ${n.toLocaleString('en')} tasks`,
      unit: 'MB',
      better: 'lower',
      ours: mb(got.ours),
      bullmq: mb(got.bullmq),
      limit: mb(got.floor),
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 100}],
      note:
        `a separate worker process (Server, concurrency 100; BullMQ: Worker) runs ${n.toLocaleString('en')} no-op tasks ` +
        'enqueued beforehand; its peak RSS is the kernel high-water mark VmHWM (/proc/<pid>/status) at its end. ' +
        'Limit: a Node process with ioredis connected and idle',
    },
  ];
}
