/**
 * WorkerMetrics' duration histogram is kept as plain numbers and handed to prom-client's registry
 * at collection time (src/lib/metrics/worker-metrics.ts): its output must be exactly what
 * prom-client's own Histogram gives for the same observations, as text and as JSON.
 */
import {Histogram, Registry} from 'prom-client';
import {afterEach, describe, expect, it, vi} from 'vitest';
import {Task, workerMetrics, type TaskContext} from '../../src/lib/index.js';

const NAME = 'asynq_worker_task_duration_seconds';
const HELP = 'How long the handler ran, per task attempt.';

/** The lines of one metric family in a registry's text output. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`# HELP ${name} `) || l.startsWith(`# TYPE ${name} `) || l.startsWith(`${name}_`));
}

function ctxOf(queue: string): TaskContext {
  return {signal: new AbortController().signal, taskId: 'id', queue, retryCount: 0, maxRetry: 5, deadline: new Date(0)} as unknown as TaskContext;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('WorkerMetrics duration histogram', () => {
  // Queue, type, seconds: on a bound, between bounds, above the last bound, zero, label values
  // that need escaping, series interleaved (first-seen order is kept).
  const runs: Array<[string, string, number]> = [
    ['default', 'email:send', 0.005],
    ['default', 'email:send', 0.0051],
    ['low', 'report', 2.5],
    ['default', 'email:send', 400],
    ['q"\\\n', 'type "x"', 0],
    ['low', 'report', 0.3],
    ['default', 'email:send', 0.02],
    ['default', 'other', 1],
  ];

  it('gives exactly what prom-client’s Histogram gives for the same observations (text and JSON)', async () => {
    const ours = workerMetrics();
    const ref = new Registry();
    const refHist = new Histogram({name: NAME, help: HELP, labelNames: ['queue', 'task_type'], registers: [ref], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]});

    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    for (const [queue, type, seconds] of runs) {
      const fail = type === 'report';
      const handler = ours.wrap(async () => {
        clock += seconds * 1000;
        if (fail) throw new Error('boom');
      });
      await handler.processTask(new Task(type, null), ctxOf(queue)).catch(() => {});
      refHist.observe({queue, task_type: type}, seconds);
    }
    vi.restoreAllMocks();

    const text = family(await ours.registry.metrics(), NAME);
    expect(text.length).toBe(2 + 4 * 18); // HELP, TYPE; 4 series × (15 bounds, +Inf, sum, count)
    expect(text).toEqual(family(await ref.metrics(), NAME));
    expect(text).toContain('asynq_worker_task_duration_seconds_bucket{le="0.005",queue="default",task_type="email:send"} 1');
    expect(text).toContain('asynq_worker_task_duration_seconds_bucket{le="300",queue="default",task_type="email:send"} 3');
    expect(text).toContain('asynq_worker_task_duration_seconds_count{queue="default",task_type="email:send"} 4');

    const json = (await ours.registry.getMetricsAsJSON()).find((m) => m.name === NAME);
    const refJson = (await ref.getMetricsAsJSON()).find((m) => m.name === NAME);
    expect(json).toEqual(refJson);

    // reset: no series until the next observation, as prom-client.
    ours.registry.resetMetrics();
    ref.resetMetrics();
    expect(family(await ours.registry.metrics(), NAME)).toEqual(family(await ref.metrics(), NAME));
    expect(family(await ours.registry.metrics(), NAME)).toHaveLength(2);
  });

  it('custom buckets', async () => {
    const ours = workerMetrics({buckets: [0.1, 1]});
    const ref = new Registry();
    const refHist = new Histogram({name: NAME, help: HELP, labelNames: ['queue', 'task_type'], registers: [ref], buckets: [0.1, 1]});
    let clock = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => clock);
    for (const seconds of [0.05, 0.1, 0.5, 3]) {
      await ours.wrap(async () => {
        clock += seconds * 1000;
      }).processTask(new Task('t', null), ctxOf('q'));
      refHist.observe({queue: 'q', task_type: 't'}, seconds);
    }
    vi.restoreAllMocks();
    const text = family(await ours.registry.metrics(), NAME);
    expect(text).toEqual(family(await ref.metrics(), NAME));
    expect(text).toEqual([
      `# HELP ${NAME} ${HELP}`,
      `# TYPE ${NAME} histogram`,
      `${NAME}_bucket{le="0.1",queue="q",task_type="t"} 2`,
      `${NAME}_bucket{le="1",queue="q",task_type="t"} 3`,
      `${NAME}_bucket{le="+Inf",queue="q",task_type="t"} 4`,
      `${NAME}_sum{queue="q",task_type="t"} 3.65`,
      `${NAME}_count{queue="q",task_type="t"} 4`,
    ]);
  });
});
