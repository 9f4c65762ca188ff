/**
 * Worker metrics for Prometheus (asynq-ts's own; Go asynq has no worker collector): a middleware
 * that counts each attempt by queue and task type, times it and tracks the tasks in flight, plus
 * the server's concurrency and dequeue errors (ServerOptions.onDequeueError), and the state
 * behind /healthz and /readyz (WorkerHealth).
 *
 * The outcome of a failed attempt is decided as the Server's processor decides it: RevokeTask or
 * SkipRetry → skipped (removed or archived without a retry); retries used up → archived; else
 * retried; a failure only when isFailure(err) (a "retry later" error is neither processed nor
 * failed, as in Go's daily counters). An attempt aborted by its deadline, a cancelation or a lost
 * lease counts with the abort reason when its handler returns (aborting is cooperative); one
 * abandoned at the shutdown timeout (requeued) counts as retried.
 */
import type {Counter, Gauge, Histogram, Registry} from 'prom-client';
import {promClient} from './prom-client.js';
import type {Handler, HandlerFunc, MiddlewareFunc, TaskContext} from '../handler.js';
import {attemptState, toHandler, toHandlerError} from '../handler.js';
import {defaultIsFailure, isRevokeTask, isSkipRetry, type IsFailureFunc} from '../retry.js';
import type {Task} from '../task.js';

/** Default duration buckets in seconds: 5 ms to 5 min. */
export const DEFAULT_TASK_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface WorkerMetricsOptions {
  /** Registry to register on (default: a new one, see WorkerMetrics.registry). */
  registry?: Registry;
  /** The Server's isFailure, to count failures as it does (default: every error). */
  isFailure?: IsFailureFunc;
  /** Histogram buckets of asynq_worker_task_duration_seconds, in seconds. */
  buckets?: number[];
  /** Tasks the server processes at once (asynq_worker_concurrency); settable later with setConcurrency. */
  concurrency?: number;
}

type Outcome = 'success' | 'retried' | 'archived' | 'skipped';

type Count = 'processed' | 'failed' | Exclude<Outcome, 'success'>;

/**
 * One queue and task type. prom-client hashes and checks the label set on every call, also
 * through a labelled child, so everything counted per task is kept here as plain numbers and
 * handed to prom-client when it collects: the counters and the in-flight gauge through each
 * metric's collect(), the duration histogram as the values of its series (durationHistogram()).
 */
interface Series {
  labels: {queue: string; task_type: string};
  counts: Record<Count, number>;
  /** What the prom-client counters already hold. */
  pushed: Record<Count, number>;
  inFlight: number;
  /** Observations per bucket (not cumulative): [i] counts those ≤ bounds[i] and > bounds[i - 1]. */
  buckets: number[];
  sum: number;
  /** All observations, those above the last bound included. */
  count: number;
}

/** A value of prom-client's histogram output (what its Histogram.getForPromString gives). */
interface HistogramValue {
  labels: Record<string, string | number>;
  sharedLabels: Series['labels'];
  value: number;
  metricName: string;
  exemplar?: null;
}

/**
 * A prom-client Histogram whose values are those of `series` (observed by the middleware as
 * plain numbers), in exactly the form prom-client's own histogram gives them to the registry:
 * cumulative `_bucket` values per bound and `+Inf`, `_sum` and `_count`, per series in the order
 * the series were first seen. The registry formats them (text and JSON) as for any histogram;
 * a test compares the output with prom-client's own histogram fed the same observations.
 */
function durationHistogram(
  config: {name: string; help: string; labelNames: readonly string[]; registers: Registry[]; buckets: number[]},
  series: ReadonlyMap<string, Series>,
): Histogram<'queue' | 'task_type'> {
  const {Histogram} = promClient();
  const {name, buckets: bounds} = config;
  const values = (): HistogramValue[] => {
    const out: HistogramValue[] = [];
    for (const s of series.values()) {
      if (s.count === 0) continue;
      let acc = 0;
      for (let i = 0; i < bounds.length; i++) {
        acc += s.buckets[i]!;
        out.push({labels: {le: bounds[i]!}, sharedLabels: s.labels, value: acc, metricName: `${name}_bucket`, exemplar: null});
      }
      out.push(
        {labels: {le: '+Inf'}, sharedLabels: s.labels, value: s.count, metricName: `${name}_bucket`, exemplar: null},
        {labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${name}_sum`},
        {labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${name}_count`},
      );
    }
    return out;
  };
  class SeriesHistogram extends Histogram<'queue' | 'task_type'> {
    /** What the registry formats as text (prom-client's registry calls it when a metric has it). */
    async getForPromString(): Promise<{name: string; help: string; type: 'histogram'; values: HistogramValue[]; aggregator: 'sum'}> {
      return {name, help: config.help, type: 'histogram', values: values(), aggregator: 'sum'};
    }

    /** getMetricsAsJSON's form: the series' labels and `le` in one object. */
    override async get(): ReturnType<Histogram<'queue' | 'task_type'>['get']> {
      const data = await this.getForPromString();
      const out = data.values.map(({sharedLabels, labels, ...rest}) => ({...rest, labels: {...labels, ...sharedLabels}}));
      return {...data, values: out} as unknown as Awaited<ReturnType<Histogram<'queue' | 'task_type'>['get']>>;
    }

    override reset(): void {
      super.reset();
      for (const s of series.values()) {
        s.buckets.fill(0);
        s.sum = 0;
        s.count = 0;
      }
    }
  }
  return new SeriesHistogram({...config, labelNames: config.labelNames as Array<'queue' | 'task_type'>});
}

/** The counters, histogram and gauges of one worker process. */
export class WorkerMetrics {
  readonly registry: Registry;
  readonly #isFailure: IsFailureFunc;
  readonly #bounds: readonly number[];
  readonly #concurrency: Gauge;
  readonly #dequeueErrors: Counter;
  readonly #series = new Map<string, Series>();
  /** The series of the last task (most workers run one queue and type over and over). */
  #last: Series | undefined;

  constructor(opts: WorkerMetricsOptions = {}) {
    const {Counter, Gauge, Registry} = promClient();
    this.registry = opts.registry ?? new Registry();
    this.#isFailure = opts.isFailure ?? defaultIsFailure;
    const registers = [this.registry];
    const labelNames = ['queue', 'task_type'] as const;
    const series = this.#series;
    const counter = (count: Count, name: string, help: string): void => {
      new Counter({
        name, help, labelNames, registers,
        collect() {
          for (const s of series.values()) {
            const add = s.counts[count] - s.pushed[count];
            if (add > 0) this.inc(s.labels, add);
            s.pushed[count] = s.counts[count];
          }
        },
      });
    };
    counter('processed', 'asynq_worker_tasks_processed_total', 'Task attempts finished by this worker, succeeded or failed (not counting errors that isFailure excludes).');
    counter('failed', 'asynq_worker_tasks_failed_total', 'Task attempts of this worker that failed.');
    counter('retried', 'asynq_worker_tasks_retried_total', 'Task attempts of this worker that ended with the task scheduled for a retry.');
    counter('archived', 'asynq_worker_tasks_archived_total', 'Task attempts of this worker that ended with the task archived after its last retry.');
    counter('skipped', 'asynq_worker_tasks_skipped_total', 'Task attempts of this worker that ended without a retry on the handler\'s request (SkipRetry, RevokeTask).');
    const buckets = [...(opts.buckets ?? DEFAULT_TASK_DURATION_BUCKETS)];
    durationHistogram({
      name: 'asynq_worker_task_duration_seconds', help: 'How long the handler ran, per task attempt.', labelNames, registers, buckets,
    }, series);
    this.#bounds = buckets;
    new Gauge({
      name: 'asynq_worker_tasks_in_flight', help: 'Tasks whose handler is running on this worker.', labelNames, registers,
      collect() {
        for (const s of series.values()) this.set(s.labels, s.inFlight);
      },
    });
    this.#concurrency = new Gauge({name: 'asynq_worker_concurrency', help: 'Tasks this worker processes at once at most.', registers});
    this.#dequeueErrors = new Counter({name: 'asynq_worker_dequeue_errors_total', help: 'Failed attempts of this worker to fetch a task from Redis.', registers});
    if (opts.concurrency !== undefined) this.setConcurrency(opts.concurrency);
  }

  setConcurrency(n: number): void {
    this.#concurrency.set(n);
  }

  /** Pass as ServerOptions.onDequeueError. */
  readonly dequeueError = (): void => {
    this.#dequeueErrors.inc();
  };

  /** The middleware (ServeMux.use, or wrap(handler)). */
  readonly middleware: MiddlewareFunc = (next) => this.wrap(next);

  /** `handler`, counted and timed. */
  wrap(handler: Handler | HandlerFunc): Handler {
    const next = toHandler(handler);
    return {
      processTask: async (task: Task, ctx: TaskContext): Promise<void> => {
        const series = this.#seriesOf(ctx.queue, task.type);
        series.inFlight++;
        const started = performance.now();
        let err: Error | undefined;
        try {
          await next.processTask(task, ctx);
        } catch (thrown) {
          err = toHandlerError(thrown);
          throw thrown;
        } finally {
          this.#observe(series, (performance.now() - started) / 1000);
          series.inFlight--;
          if (err === undefined) {
            const state = attemptState(ctx);
            if (state.aborted) err = toHandlerError(state.reason);
          }
          this.#count(series, ctx, err);
        }
      },
    };
  }

  #seriesOf(queue: string, type: string): Series {
    const last = this.#last;
    if (last !== undefined && last.labels.queue === queue && last.labels.task_type === type) return last;
    const key = `${queue}\u0000${type}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      const zero = (): Record<Count, number> => ({processed: 0, failed: 0, retried: 0, archived: 0, skipped: 0});
      s = {
        labels: {queue, task_type: type}, counts: zero(), pushed: zero(), inFlight: 0,
        buckets: new Array<number>(this.#bounds.length).fill(0), sum: 0, count: 0,
      };
      this.#series.set(key, s);
    }
    this.#last = s;
    return s;
  }

  /** One duration, in seconds, into its bucket (the first bound it does not exceed, as prom-client). */
  #observe(s: Series, seconds: number): void {
    const bounds = this.#bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (seconds <= bounds[i]!) {
        s.buckets[i]!++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  #count(series: Series, ctx: TaskContext, err: Error | undefined): void {
    const c = series.counts;
    if (err === undefined) {
      c.processed++;
      return;
    }
    let failure = true;
    let outcome: Outcome;
    if (isRevokeTask(err) || isSkipRetry(err)) outcome = 'skipped';
    else if (ctx.retryCount >= ctx.maxRetry) outcome = 'archived';
    else {
      outcome = 'retried';
      try {
        failure = Boolean(this.#isFailure(err));
      } catch {} // the processor counts it as a failure too
    }
    if (failure) {
      c.processed++;
      c.failed++;
    }
    c[outcome]++;
  }
}

/** Worker metrics on `opts.registry` or a new Registry; use `.middleware` and `.dequeueError`. */
export function workerMetrics(opts: WorkerMetricsOptions = {}): WorkerMetrics {
  return new WorkerMetrics(opts);
}
