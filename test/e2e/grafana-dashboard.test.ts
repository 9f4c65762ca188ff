/**
 * docs/grafana-dashboard.json: valid JSON, a Grafana dashboard model, and every metric its
 * queries name is one the exporters emit (the queue metrics of `asynq metrics serve`, the worker
 * metrics of `asynq worker run --metrics-port`), with a `queue` label where a query filters on it.
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {QUEUE_METRICS} from '../../src/lib/metrics/queue-metrics.js';
import {workerMetrics} from '../../src/lib/metrics/worker-metrics.js';
import {ROOT} from '../support/cli.js';

interface Panel {
  type: string;
  title: string;
  targets?: Array<{expr: string}>;
}

/** Name → label names of every metric the two exporters emit. */
function emitted(): Map<string, {labels: readonly string[]; histogram: boolean}> {
  const out = new Map<string, {labels: readonly string[]; histogram: boolean}>();
  for (const m of Object.values(QUEUE_METRICS)) out.set(m.name, {labels: m.labelNames, histogram: false});
  for (const m of workerMetrics({concurrency: 1}).registry.getMetricsAsArray()) {
    const {name, labelNames, type} = m as unknown as {name: string; labelNames?: string[]; type?: string};
    out.set(name, {labels: labelNames ?? [], histogram: type === 'histogram'});
  }
  return out;
}

describe('docs/grafana-dashboard.json', () => {
  const text = readFileSync(join(ROOT, 'docs', 'grafana-dashboard.json'), 'utf8');

  it('parses as a Grafana dashboard whose queries name only metrics the exporters emit', () => {
    const dash = JSON.parse(text) as {title: string; panels: Panel[]; templating: {list: Array<{query: unknown}>}};
    expect(dash.title).toBe('asynq');
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const known = emitted();
    const used = new Set<string>();
    for (const expr of exprs) {
      for (const [, raw, selector] of expr.matchAll(/\b(asynq_[a-z_]+)(\{[^}]*\})?/g)) {
        const base = raw!.replace(/_(bucket|sum|count)$/, '');
        const name = known.has(raw!) ? raw! : base;
        const m = known.get(name);
        expect(m, `${raw} in ${expr}`).toBeDefined();
        if (raw !== name) expect(m!.histogram, `${raw}: a series of a histogram`).toBe(true);
        if (selector?.includes('queue')) expect(m!.labels, `${name} has a queue label`).toContain('queue');
        used.add(name);
      }
    }
    // The Go collector's metrics and the worker's the dashboard is meant to show.
    for (const name of [
      'asynq_queue_size',
      'asynq_tasks_processed_total',
      'asynq_tasks_failed_total',
      'asynq_queue_latency_seconds',
      'asynq_worker_task_duration_seconds',
      'asynq_worker_tasks_in_flight',
    ]) {
      expect(used).toContain(name);
    }
    expect(JSON.stringify(dash.templating)).toContain('label_values(asynq_queue_size, queue)');
  });
});
