/**
 * Queue metrics for Prometheus, with the names, help texts, types and labels of Go asynq's
 * QueueMetricsCollector (x/metrics/metrics.go), so dashboards built for Go keep working.
 *
 * Go calls Inspector.Queues() and GetQueueInfo(q) for each queue on every scrape; GetQueueInfo
 * samples MEMORY USAGE, which at scale blocks Redis. Here one collection serves every scrape for
 * `intervalMs`: scrapes that arrive while a collection runs wait for it, later ones get the cached
 * result until it is older than the interval. A failed collection is logged and, as in Go,
 * exports no series; it is cached for the interval too, so a Redis outage is not hammered.
 */
import type {Gauge, Registry} from 'prom-client';
import {promClient} from './prom-client.js';
import type {Inspector, QueueInfo} from '../inspector.js';
import {errorMessage} from '../errors.js';
import {silentLogger, type Logger} from '../logger.js';

/** The metrics of Go's QueueMetricsCollector: name, help text and labels (x/metrics/metrics.go). */
export const QUEUE_METRICS = {
  tasksEnqueued: {name: 'asynq_tasks_enqueued_total', help: 'Number of tasks enqueued; broken down by queue and state.', labelNames: ['queue', 'state']},
  queueSize: {name: 'asynq_queue_size', help: 'Number of tasks in a queue', labelNames: ['queue']},
  queueLatency: {name: 'asynq_queue_latency_seconds', help: 'Number of seconds the oldest pending task is waiting in pending state to be processed.', labelNames: ['queue']},
  queueMemory: {name: 'asynq_queue_memory_usage_approx_bytes', help: 'Number of memory used by a given queue (approximated number by sampling).', labelNames: ['queue']},
  tasksProcessed: {name: 'asynq_tasks_processed_total', help: 'Number of tasks processed (both succeeded and failed); broken down by queue', labelNames: ['queue']},
  tasksFailed: {name: 'asynq_tasks_failed_total', help: 'Number of tasks failed; broken down by queue', labelNames: ['queue']},
  queuePaused: {name: 'asynq_queue_paused_total', help: 'Number of queues paused', labelNames: ['queue']},
} as const;

/** The `state` label values of asynq_tasks_enqueued_total, in Go's order (aggregating is not exported, as in Go). */
const STATES = ['active', 'pending', 'scheduled', 'retry', 'archived', 'completed'] as const;

/** Default time a collection is reused: 15 s, Prometheus's default scrape interval. */
export const DEFAULT_QUEUE_METRICS_INTERVAL_MS = 15_000;

/** Default time between two samplings of the queues' memory usage: 60 s. */
const DEFAULT_QUEUE_MEMORY_INTERVAL_MS = 60_000;

export interface QueueMetricsOptions {
  /** Registry to register the metrics on (default: a new one, see QueueMetrics.registry). */
  registry?: Registry;
  /** How long one collection is reused, in ms (default 15 s). */
  intervalMs?: number;
  /**
   * How often each queue's memory usage is sampled (MEMORY USAGE of sampled tasks, most of a
   * collection's Redis time), in ms; the collections in between report the last sample. Default
   * 60 s; at most intervalMs means every collection, as Go's collector does. The work is spread:
   * a collection samples the queues sampled longest ago, as many as keep every queue's sample
   * about memoryIntervalMs old (its share of the queues for the time since the last collection),
   * so no collection samples them all at once after the first. A new queue is sampled at once.
   */
  memoryIntervalMs?: number;
  /** Logs failed collections (default: silent). */
  logger?: Logger;
  /** Called after each collection (for instrumentation and tests). */
  onCollect?: (result: {queues: number; durationMs: number; error?: unknown}) => void;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** The queue metrics of one Inspector, registered on a prom-client Registry. */
export class QueueMetrics {
  readonly registry: Registry;
  readonly #inspector: Inspector;
  readonly #intervalMs: number;
  readonly #memoryIntervalMs: number;
  /** The last memory sample of each queue, and when it was taken (a queue not sampled yet is sampled). */
  readonly #memory = new Map<string, {bytes: number; at: number}>();
  /** When the last collection started. */
  #collectedAt = -Infinity;
  readonly #logger: Logger;
  readonly #onCollect: QueueMetricsOptions['onCollect'];
  readonly #now: () => number;
  #cached?: {at: number; infos: Promise<QueueInfo[]>};

  constructor(inspector: Inspector, opts: QueueMetricsOptions = {}) {
    this.#inspector = inspector;
    this.#intervalMs = opts.intervalMs ?? DEFAULT_QUEUE_METRICS_INTERVAL_MS;
    this.#memoryIntervalMs = opts.memoryIntervalMs ?? DEFAULT_QUEUE_MEMORY_INTERVAL_MS;
    this.#logger = opts.logger ?? silentLogger;
    this.#onCollect = opts.onCollect;
    this.#now = opts.now ?? Date.now;
    this.registry = opts.registry ?? new (promClient().Registry)();
    this.#register();
  }

  /** The QueueInfo of every queue, from the current collection (a new one when the last is older than the interval). */
  queueInfos(): Promise<QueueInfo[]> {
    const now = this.#now();
    if (this.#cached === undefined || now - this.#cached.at >= this.#intervalMs) {
      this.#cached = {at: now, infos: this.#collect()};
    }
    return this.#cached.infos;
  }

  /** The registry's metrics in the Prometheus text format. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** Go QueueMetricsCollector.collectQueueInfo: Queues(), then GetQueueInfo of each, here all at once (failures export nothing). */
  async #collect(): Promise<QueueInfo[]> {
    const start = performance.now();
    try {
      const infos: QueueInfo[] = [];
      const at = this.#now();
      const queues = await this.#inspector.queues();
      const sample = this.#toSample(queues, at);
      // Every queue's reads sent at once (one connection: they share round trips), in queue order.
      const read = await Promise.all(
        queues.map(async (q) => {
          const sampleMemory = sample.has(q);
          return {q, sampleMemory, info: await this.#inspector.getQueueInfo(q, {sampleMemory})};
        }),
      );
      for (const {q, sampleMemory, info} of read) {
        if (sampleMemory) this.#memory.set(q, {bytes: info.memoryUsage, at});
        else info.memoryUsage = this.#memory.get(q)!.bytes;
        infos.push(info);
      }
      const listed = new Set(queues);
      for (const q of this.#memory.keys()) if (!listed.has(q)) this.#memory.delete(q);
      this.#onCollect?.({queues: infos.length, durationMs: performance.now() - start});
      return infos;
    } catch (error) {
      this.#logger.error(`Failed to collect metrics data: ${errorMessage(error)}`);
      this.#onCollect?.({queues: 0, durationMs: performance.now() - start, error});
      return [];
    }
  }

  /**
   * The queues whose memory this collection samples: new ones, and of those sampled at least
   * memoryIntervalMs ago the oldest, up to their share for the time since the last collection.
   */
  #toSample(queues: readonly string[], at: number): Set<string> {
    // Every collection samples every queue, as Go's collector (a clock read a millisecond apart
    // from the cache's must not skip a reading).
    if (this.#memoryIntervalMs <= this.#intervalMs) return new Set(queues);
    const out = new Set<string>();
    const due: Array<{q: string; at: number}> = [];
    for (const q of queues) {
      const m = this.#memory.get(q);
      if (!m) out.add(q);
      else if (at - m.at >= this.#memoryIntervalMs) due.push({q, at: m.at});
    }
    const elapsed = at - this.#collectedAt;
    this.#collectedAt = at;
    const share = Math.min(1, elapsed / this.#memoryIntervalMs);
    const quota = Math.ceil(queues.length * share);
    due.sort((a, b) => a.at - b.at);
    for (const d of due.slice(0, quota)) out.add(d.q);
    return out;
  }

  #register(): void {
    const {Counter, Gauge} = promClient();
    const infos = () => this.queueInfos();
    const registers = [this.registry];
    const gauge = (def: {name: string; help: string; labelNames: readonly string[]}, set: (g: Gauge, info: QueueInfo) => void) =>
      new Gauge({
        ...def, labelNames: [...def.labelNames], registers,
        async collect() {
          const all = await infos();
          this.reset();
          for (const info of all) set(this, info);
        },
      });
    const counter = (def: {name: string; help: string; labelNames: readonly string[]}, value: (info: QueueInfo) => number) =>
      new Counter({
        ...def, labelNames: [...def.labelNames], registers,
        async collect() {
          const all = await infos();
          this.reset();
          for (const info of all) this.inc({queue: info.queue}, value(info));
        },
      });
    gauge(QUEUE_METRICS.tasksEnqueued, (g, info) => {
      for (const state of STATES) g.set({queue: info.queue, state}, info[state]);
    });
    gauge(QUEUE_METRICS.queueSize, (g, info) => g.set({queue: info.queue}, info.size));
    gauge(QUEUE_METRICS.queueLatency, (g, info) => g.set({queue: info.queue}, info.latency / 1000));
    gauge(QUEUE_METRICS.queueMemory, (g, info) => g.set({queue: info.queue}, info.memoryUsage));
    counter(QUEUE_METRICS.tasksProcessed, (info) => info.processedTotal);
    counter(QUEUE_METRICS.tasksFailed, (info) => info.failedTotal);
    gauge(QUEUE_METRICS.queuePaused, (g, info) => g.set({queue: info.queue}, info.paused ? 1 : 0));
  }
}

/**
 * The queue metrics of `inspector` (Go asynq's x/metrics QueueMetricsCollector), registered on
 * `opts.registry` or a new Registry; `.metrics()` gives the Prometheus text.
 */
export function queueMetrics(inspector: Inspector, opts: QueueMetricsOptions = {}): QueueMetrics {
  return new QueueMetrics(inspector, opts);
}
