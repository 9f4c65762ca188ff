/**
 * Worker memory: peak RSS of a separate worker process (concurrency 100) while it processes N
 * no-op tasks enqueued beforehand. BullMQ: a Worker at concurrency 100, same jobs. Limit: a Node
 * process with ioredis connected, doing nothing.
 */
import {execFile} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';
import {Queue} from 'bullmq';
import {asynq} from '../support/lib.mjs';
import {median} from '../support/measure.mjs';

const run$ = promisify(execFile);
const worker = fileURLToPath(new URL('../support/rss-worker.mjs', import.meta.url));
const Q = 'bench-rss';

async function child(ctx, kind, n) {
  const {stdout} = await run$(process.execPath, [worker, kind, String(ctx.server.port), String(n), '100', Q], {
    timeout: 300_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

export async function run(ctx) {
  const n = ctx.scale(20_000);
  const ours = [];
  const bull = [];
  const floor = [];
  for (let r = 0; r < ctx.runs; r++) {
    await ctx.flush();
    const client = new asynq.Client(ctx.url);
    for (let b = 0; b < n; b += 1000) {
      await client.enqueueMany(
        Array.from({length: Math.min(1000, n - b)}, (_, i) => new asynq.Task('bench:noop', {n: b + i})),
        {queue: Q},
      );
    }
    await client.close();
    ours.push((await child(ctx, 'asynq', n)).peakRssMB);

    floor.push((await child(ctx, 'floor', 0)).peakRssMB);
    if (!ctx.bullmq) continue;
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
    bull.push((await child(ctx, 'bullmq', n)).peakRssMB);
  }
  await ctx.flush();
  return [
    {
      id: 'memory.rss.c100',
      group: 'memory',
      name: `worker peak RSS, concurrency 100, ${n.toLocaleString('en')} tasks`,
      unit: 'MB',
      better: 'lower',
      ours: median(ours),
      bullmq: ctx.bullmq ? median(bull) : null,
      limit: median(floor),
      limitPipelined: null,
      note: 'separate worker process, RSS sampled every 20 ms. Limit: Node + ioredis, connected and idle',
    },
  ];
}
