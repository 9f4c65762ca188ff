/**
 * Heap allocations per task: bytes allocated on the V8 heap per no-op task by a worker process
 * (concurrency 10 and 100) in steady state, measured inside the child with v8.GCProfiler (see
 * bench/support/rss-worker.mjs: allocated = heap in use at the end − at the start + what every GC
 * in between freed; the first 10% of the tasks are a warm-up). BullMQ: a Worker, same jobs.
 * No Redis limit (the floor is 0).
 */
import {childRounds} from './memory.mjs';

export const order = 55;

export async function run(ctx) {
  const n = ctx.scale(20_000);
  const rows = [];
  for (const concurrency of [10, 100]) {
    const got = await childRounds(ctx, {n, concurrency, measure: 'alloc'});
    const kb = (xs) => xs.map((x) => x.allocBytesPerTask / 1024);
    const gcs = got.ours.map((x) => x.gcs);
    rows.push({
      id: `alloc.c${concurrency}`,
      group: 'alloc',
      name: `heap allocated per task, concurrency ${concurrency}`,
      unit: 'KiB',
      better: 'lower',
      ours: kb(got.ours),
      bullmq: kb(got.bullmq),
      limit: null,
      limitPipelined: null,
      note:
        `a separate worker process runs ${n.toLocaleString('en')} no-op tasks enqueued beforehand; over tasks ` +
        `${Math.floor(n / 10) + 1}–${n.toLocaleString('en')} (after a 10% warm-up) v8.GCProfiler records every GC ` +
        '(ours: ' +
        `${Math.min(...gcs)}–${Math.max(...gcs)} per round), and the bytes allocated on the V8 heap are the heap in use at ` +
        'the end − at the start + Σ (in use before − after) over the GCs; divided by the tasks. JS heap only (Buffer ' +
        'contents are off-heap). BullMQ: Worker at the same concurrency, measured the same way',
    });
  }
  return rows;
}
