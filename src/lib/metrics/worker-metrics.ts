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
 * One queue and task type. prom-client hashes the label set on every call, also through a
 * labelled child, so the counters and the in-flight gauge are kept here as plain numbers and
 * handed to prom-client when it collects (each metric's collect()); only the duration is
 * observed per task, through its child looked up once.
 */
interface Series {
  labels: {queue: string; task_type: string};
  counts: Record<Count, number>;
  /** What the prom-client counters already hold. */
  pushed: Record<Count, number>;
  inFlight: number;
  duration: Histogram.Internal<'queue' | 'task_type'>;
}

/** The counters, histogram and gauges of one worker process. */
export class WorkerMetrics {
  readonly registry: Registry;
  readonly #isFailure: IsFailureFunc;
  readonly #duration: Histogram<'queue' | 'task_type'>;
  readonly #concurrency: Gauge;
  readonly #dequeueErrors: Counter;
  readonly #series = new Map<string, Series>();

  constructor(opts: WorkerMetricsOptions = {}) {
    const {Counter, Gauge, Histogram, Registry} = promClient();
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
    this.#duration = new Histogram({
      name: 'asynq_worker_task_duration_seconds', help: 'How long the handler ran, per task attempt.', labelNames, registers,
      buckets: opts.buckets ?? DEFAULT_TASK_DURATION_BUCKETS,
    });
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
          series.duration.observe((performance.now() - started) / 1000);
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
    const key = `${queue}\u0000${type}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      const labels = {queue, task_type: type};
      const zero = (): Record<Count, number> => ({processed: 0, failed: 0, retried: 0, archived: 0, skipped: 0});
      s = {labels, counts: zero(), pushed: zero(), inFlight: 0, duration: this.#duration.labels(labels)};
      this.#series.set(key, s);
    }
    return s;
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
