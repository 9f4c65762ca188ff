/**
 * Worker throughput with worker metrics on vs off (issue 13: ≥ 95%): N no-op tasks enqueued
 * beforehand, processed by a separate worker process (bench/support/rss-worker.mjs `rate`) plainly
 * and with everything `asynq worker run --metrics-port` adds (`rate-metrics`: the metrics
 * middleware, the dequeue-error counter, prom-client's default process metrics, the health state
 * and its HTTP server); a fresh process each time, so that neither pays for the other's observers.
 * Off and on run in turn within a round, off first in even rounds and on first in odd ones; each
 * round gives on/off as a percentage.
 */
import {median} from '../support/measure.mjs';
import {child, seedOurs} from './memory.mjs';

export const order = 25;

export async function run(ctx) {
  // 45,000 timed tasks (2-3 s at concurrency 100): with 18,000 (under a second) one pause of the
  // machine moved a round by 15% either way.
  const n = ctx.scale(50_000);
  const rows = [];
  for (const concurrency of [10, 100]) {
    const off = [];
    const on = [];
    for (let r = 0; r < ctx.runs; r++) {
      // Off first in even rounds, on first in odd ones: neither always runs on a machine the
      // other has just warmed (or heated).
      for (const on1 of r % 2 === 0 ? [false, true] : [true, false]) {
        await seedOurs(ctx, n);
        (on1 ? on : off).push(
          (await child(ctx, 'asynq', n, concurrency, on1 ? 'rate-metrics' : 'rate')).tasksPerSecond,
        );
      }
    }
    await ctx.flush();
    const fmt = (xs) => Math.round(median(xs)).toLocaleString('en');
    rows.push({
      id: `metrics.worker.c${concurrency}`,
      group: 'metrics',
      name: `process ${n.toLocaleString('en')} no-op tasks, concurrency ${concurrency}, worker metrics on / off`,
      unit: '%',
      better: 'higher',
      ours: on.map((x, i) => (x / off[i]) * 100),
      bullmq: null,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '>=', goal: 95}],
      note:
        `a separate worker process (Server, concurrency ${concurrency}) runs ${n.toLocaleString('en')} no-op tasks enqueued ` +
        'beforehand, timed from the start of task n/10 to that of the last (start-up not timed); plain, then with the metrics middleware, dequeue-error ' +
        'counter, default process metrics, health state and its HTTP server (what --metrics-port adds), in turn (off first in even rounds, on first in odd ones); ' +
        `each round's on/off. Medians: off ${fmt(off)} tasks/s, on ${fmt(on)} tasks/s`,
    });
  }
  return rows;
}
