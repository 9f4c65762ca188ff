/**
 * Processor (Go asynq processor.go): pulls tasks from the server's queues and runs the
 * handler on them, at most `concurrency` at once.
 *
 * - Slots: a semaphore of `concurrency` tokens. The fetch loop takes a token, computes the queue
 *   order (strict: priority desc; weighted: random, a queue comes first with probability
 *   proportional to its priority) and runs the dequeue script per queue until one yields a task.
 * - Idle: when every queue is empty or paused, the loop sleeps `interval/2 + uniform[0, interval)`
 *   and releases the token. Go's interval is a fixed 1 s; ours starts at taskCheckInterval
 *   (DEFAULT_TASK_CHECK_INTERVAL_MS, 20 ms) and doubles after each empty poll up to
 *   maxIdleIntervalMs (the Server: idleBackoffCeilingMs), back to the start once a task is found.
 *   wake() (an asynq-ts client's enqueue notification, a forward) ends the sleep at once. A poll
 *   of several queues is one dequeueAny call outside a Cluster (RDB.dequeue), with the effects of
 *   the per-queue dequeue calls Go makes, so Go clients and servers need nothing new.
 * - Parallel fetches: the run loop is the one idle poller. While dequeues keep finding tasks, each
 *   success starts one more fetch loop (up to MAX_PARALLEL_FETCHES, each holding a slot like any
 *   fetch), so several dequeue round trips are in flight at once and the round trip does not cap
 *   throughput (Go's single fetch loop is bounded by it too, at Go's speed). A helper loop that
 *   finds every queue empty (or fails) releases its slot and ends without sleeping. Each dequeue
 *   is the same script on its own, so Redis sees nothing a Go server would not send.
 * - "All queues are empty" is logged (debug) once when the server becomes idle, and again only after
 *   it started a task: Go logs it on each poll, once a second; ours polls ~50 times a second.
 * - Dequeue errors are logged at most once per 3 s and followed by the same idle sleep (Go retries
 *   at once; the sleep keeps a Redis outage from becoming a hot loop). A task that cannot be
 *   processed (no task hash, a key of another type, a message that does not decode) never reaches
 *   a handler: the dequeue moves it aside to asynq:{<queue>}:corrupt and it is logged with its id,
 *   every time. A queue with a key of the wrong Redis type is skipped; the others are served.
 * - One attempt: deadline = computeDeadline(msg); a deadline already past fails the task with
 *   `context deadline exceeded` without calling the handler. Otherwise the handler runs with a
 *   TaskContext whose signal aborts on the deadline; the first of these events decides:
 *   shutdown timeout → requeue; lease lost → `asynq: task lease expired` (no Redis write);
 *   signal aborted (deadline, cancelation) → failure with the signal's reason; handler settled →
 *   success or failure.
 * - Success: retention > 0 → markAsComplete, else done. Failure: the error handler first, then
 *   RevokeTask → done; RetryAfterError → retry after its delay, never counted as a failure (also
 *   when no retries are left); retries exhausted or SkipRetry → archive; else retry after
 *   retryDelayFunc(retried, err, task), counted only if isFailure(err).
 * - Limits (ServerOptions.limits, `gate`, src/lib/limits/gate.ts): the queues the gate keeps out
 *   are left out of each dequeue; a dequeued task the gate does not admit is sent back to wait by
 *   the gate and frees its slot without running; the gate gets the task back (release) as soon as
 *   the attempt is decided, before the outcome write.
 * - Every outcome write is skipped when the local lease has expired (the recoverer will finish
 *   the task); a failed write is handed to the syncer, which retries it until the lease deadline.
 * - Shutdown: stop fetching; after shutdownTimeout the unfinished tasks are requeued to the tail of
 *   pending and their signals aborted (`context canceled`); then wait for every worker slot. A
 *   handler that ignores its signal is not waited for (as Go does not wait for its goroutine), and
 *   its late result is ignored.
 */
import type {TaskMessage} from './base/codec.js';
import {DEFAULT_TIMEOUT_SECONDS, LEASE_SECONDS} from './base/states.js';
import {movedAsideText, type BadData, type RDB} from './broker/rdb.js';
import {realClock, unixSeconds, type Clock} from './clock.js';
import {BadDataError, CanceledError, DeadlineExceededError, HandlerPanicError, LeaseExpiredError, ValidationError, errorMessage} from './errors.js';
import {
  TaskResultWriter, toHandlerError,
  type ErrorHandler, type ErrorHandlerFunc, type Handler, type TaskContext,
} from './handler.js';
import {Lease} from './lease.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {
  defaultIsFailure, defaultRetryDelayFunc, guardedIsFailure, guardedRetryDelay, isRevokeTask, isSkipRetry, retryAfterMs, type IsFailureFunc,
  type RetryDelayFunc,
} from './retry.js';
import type {TaskGate} from './limits/gate.js';
import {setLongTimeout} from './sleep.js';
import type {SyncRequest} from './syncer.js';
import {Task} from './task.js';

/** Default idle poll interval (Go: 1 s); the actual sleep is uniform in [0.5×, 1.5×). */
export const DEFAULT_TASK_CHECK_INTERVAL_MS = 20;

/**
 * The longest idle poll interval the Server backs off to: 120 ms for a few queues, 3 ms per queue
 * beyond that, at most 1 s (an idle poll costs about two Redis commands per queue, so about 25
 * commands/s for one queue, 700/s for 100, 2,000/s for 1,000).
 */
export function idleBackoffCeilingMs(queueCount: number): number {
  return Math.min(1_000, Math.max(120, 3 * queueCount));
}
/** Go's default ShutdownTimeout. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 8_000;
/** Most dequeues in flight at once while tasks keep coming (see Parallel fetches above). */
export const MAX_PARALLEL_FETCHES = 32;
/** Dequeue errors are logged at most once per this many ms (Go errLogLimiter). */
const ERROR_LOG_INTERVAL_MS = 3_000;

/** A task in flight, as the heartbeater reports it. */
export interface ActiveWorker {
  readonly msg: TaskMessage;
  readonly startedAt: Date;
  /** The attempt's deadline (computeDeadline). */
  readonly deadline: Date;
  readonly lease: Lease;
}

export interface ProcessorParams {
  logger: Logger;
  rdb: Pick<RDB, 'dequeue' | 'done' | 'markAsComplete' | 'requeue' | 'retry' | 'archive' | 'writeResult'> & Partial<Pick<RDB, 'finishAndDequeue'>>;
  /** Queue → priority, as returned by normalizeQueues (priorities are positive integers). */
  queues: Record<string, number>;
  /** Max tasks in flight. */
  concurrency: number;
  /** Set here or later with setHandler() (the Server gets it in start()). */
  handler?: Handler;
  /** Default false (weighted order). */
  strictPriority?: boolean;
  /** Idle poll interval; default DEFAULT_TASK_CHECK_INTERVAL_MS. */
  taskCheckIntervalMs?: number;
  /**
   * Back-off: each empty poll doubles the interval up to this (default taskCheckIntervalMs: no
   * back-off); a task found or wake() starts again at taskCheckIntervalMs.
   */
  maxIdleIntervalMs?: number;
  /** How long shutdown() lets handlers finish before requeueing their tasks; default 8 s. */
  shutdownTimeoutMs?: number;
  /** The lease a dequeue takes on a task; default 30 s (Go's base.LeaseDuration). */
  leaseMs?: number;
  /** Milliseconds before a retry; default Go's n⁴ + 15 + rand[0,30)·(n+1) s. */
  retryDelayFunc?: RetryDelayFunc;
  /** Whether an error counts as a failure (retried + 1, failed counters); default: every error. */
  isFailure?: IsFailureFunc;
  /** Called once per failed attempt, before the retry/archive/revoke write. */
  errorHandler?: ErrorHandler | ErrorHandlerFunc;
  /** Receives outcome writes that failed (Syncer.add). Without one they are only logged. */
  syncer?: {add(req: SyncRequest): void};
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  /** Called for every failed dequeue (metrics). */
  onDequeueError?: (err: unknown) => void;
  /** ServerOptions.limits (src/lib/limits/gate.ts): queues to skip, and whether a dequeued task may start. */
  gate?: TaskGate;
  clock?: Clock;
  /** Random source in [0, 1) for the weighted queue order and the idle jitter. */
  random?: () => number;
}

/**
 * The server's queue configuration: drops blank names and priorities ≤ 0 (and non-numbers); falls
 * back to `{default: 1}` when nothing is left (Go server.go `NewServerFromRedisClient`). Throws
 * ValidationError for a positive priority that is not an integer (Go's priorities are ints).
 */
export function normalizeQueues(queues: Record<string, number> | undefined | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, prio] of Object.entries(queues ?? {})) {
    if (name.trim() === '' || typeof prio !== 'number' || !(prio > 0)) continue;
    if (!Number.isSafeInteger(prio)) throw new ValidationError(`queue "${name}": priority must be a whole number, got ${prio}`);
    out[name] = prio;
  }
  return Object.keys(out).length > 0 ? out : {default: 1};
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Returns a function giving the order in which queues are tried for one dequeue (Go
 * processor.queues()). One queue: just it. Strict: priority desc (ties by name). Weighted:
 * priorities divided by their GCD, each queue repeated that many times, shuffled and
 * de-duplicated keeping the first occurrence, so a queue comes first with probability
 * priority / sum of priorities.
 */
export function queueOrder(queues: Record<string, number>, strict: boolean, random: () => number = Math.random): () => string[] {
  const names = Object.keys(queues);
  if (names.length <= 1 || strict) {
    const fixed = names.sort((a, b) => queues[b]! - queues[a]! || (a < b ? -1 : a > b ? 1 : 0));
    return () => [...fixed];
  }
  const divisor = names.reduce((g, n) => gcd(queues[n]!, g), 0);
  const slots = names.flatMap((n) => Array<string>(queues[n]! / divisor).fill(n));
  return () => {
    const s = [...slots];
    for (let i = s.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [s[i], s[j]] = [s[j]!, s[i]!];
    }
    return [...new Set(s)];
  };
}

/**
 * Deadline of one attempt (Go processor.go `computeDeadline`): timeout and deadline → the earlier of
 * now + timeout (whole seconds) and deadline; only timeout → now + timeout; only deadline → it;
 * neither → now + 30 min. "Set" means non-zero, as in Go: a Go client stores Timeout(-5s) as -5,
 * which gives a deadline already past.
 */
export function computeDeadline(msg: Pick<TaskMessage, 'timeout' | 'deadline'>, now: Date): Date {
  if (msg.timeout !== 0 && msg.deadline !== 0) return new Date(Math.min(unixSeconds(now) + msg.timeout, msg.deadline) * 1000);
  if (msg.timeout !== 0) return new Date(now.getTime() + msg.timeout * 1000);
  if (msg.deadline !== 0) return new Date(msg.deadline * 1000);
  return new Date(now.getTime() + DEFAULT_TIMEOUT_SECONDS * 1000);
}

/**
 * The reason a finished attempt's signal aborts with: a CanceledError without a stack trace
 * (capturing a stack there cost more than running a no-op task, and it would only point into the
 * processor). Built only when something reads it (Attempt.finish).
 */
function attemptOver(): CanceledError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new CanceledError();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Counting semaphore whose acquire() gives up (false) once `signal` aborts: then every waiter gets
 * false at once (one abort listener in all, however many fetch loops wait).
 */
class Semaphore {
  #free: number;
  readonly #waiters: Array<(granted: boolean) => void> = [];
  readonly #signal: AbortSignal;

  constructor(n: number, signal: AbortSignal) {
    this.#free = n;
    this.#signal = signal;
    signal.addEventListener('abort', () => {
      for (const w of this.#waiters.splice(0)) w(false);
    }, {once: true});
  }

  acquire(): Promise<boolean> {
    if (this.#signal.aborted) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next(true);
    else this.#free++;
  }
}

type Outcome =
  | {kind: 'shutdown'}
  | {kind: 'leaseLost'}
  | {kind: 'aborted'}
  | {kind: 'settled'; err?: Error};

/**
 * How one attempt ends early (deadline, cancelation, lease loss, shutdown) without an
 * AbortController per task: the handler's `ctx.signal` is created on first use (already aborted
 * when the attempt is), and the events that end an attempt call `end` directly instead of
 * signalling listeners. A no-op handler that never reads its signal costs no AbortSignal at all.
 */
class Attempt {
  #controller?: AbortController;
  #reason?: unknown;
  #aborted = false;
  /** Finished (finish()) with the attemptOver() reason, not built yet. */
  #over = false;
  /** Set while the processor waits for the attempt's first event (#race). */
  end?: (o: Outcome) => void;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    if (this.#over) {
      this.#over = false;
      this.#reason = attemptOver();
    }
    return this.#reason;
  }

  /** The handler's AbortSignal (ctx.signal). */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Aborts once (later calls change nothing). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /**
   * The attempt is over: aborts with attemptOver(), which is built only if the signal or the
   * reason is read (a handler that never reads its signal costs no Error).
   */
  finish(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#over = true;
    if (this.#controller) this.#controller.abort(this.reason);
  }
}

interface Worker extends ActiveWorker {
  readonly attempt: Attempt;
  /**
   * Frees the task's slot and drops it from the in-flight workers (once). Called as soon as the
   * outcome write is queued on the connection (see #write), else when the attempt ends.
   */
  readonly release: () => void;
  /** Drops it from the in-flight workers and hands its slot over to the next task (#finishAndFetch). */
  readonly handOff: () => void;
}

export class Processor {
  readonly #p: Required<Omit<ProcessorParams, 'handler' | 'errorHandler' | 'syncer' | 'onDequeueError' | 'gate'>> &
    Pick<ProcessorParams, 'errorHandler' | 'syncer' | 'onDequeueError' | 'gate'>;
  #handler?: Handler;
  readonly #order: () => string[];
  readonly #slots: Semaphore;
  /** Aborted by stop(): no more fetching. */
  readonly #fetch = new AbortController();
  /** Aborted when the shutdown timeout elapses: unfinished tasks are requeued. */
  readonly #abandon = new AbortController();
  readonly #workers = new Map<string, Worker>();
  readonly #inflight = new Set<Promise<void>>();
  /** Helper fetch loops running besides the run loop (see Parallel fetches). */
  readonly #fetchers = new Set<Promise<void>>();
  #loop?: Promise<void>;
  #shutdown?: Promise<void>;
  #lastErrorLog = -Infinity;
  /** Set when a fetch found every queue empty, cleared when a task starts: "All queues are empty" is logged once per idle period. */
  #idle = false;
  /** The next idle sleep's interval (back-off, see maxIdleIntervalMs). */
  #idleMs: number;
  /** Ends the idle sleeps in progress (wake()). */
  readonly #sleepers = new Set<() => void>();
  /** A wake() came while no idle sleep was in progress: the next one is skipped. */
  #woken = false;
  /** A queue order drawn by #canFuse and not used there: the next fetch's. */
  #drawn: string[] | undefined;
  /** The queue when the server has just one. */
  readonly #onlyQueue: string | undefined;

  constructor(params: ProcessorParams) {
    const {handler, ...given} = params;
    // Options passed as undefined (Server passes every option it got) take the defaults too.
    const rest = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as typeof given;
    const base = rest.taskCheckIntervalMs ?? DEFAULT_TASK_CHECK_INTERVAL_MS;
    this.#p = {
      strictPriority: false, taskCheckIntervalMs: DEFAULT_TASK_CHECK_INTERVAL_MS, shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      leaseMs: LEASE_SECONDS * 1000, retryDelayFunc: defaultRetryDelayFunc, isFailure: defaultIsFailure, clock: realClock, random: Math.random, outage: NO_OUTAGE_REPORTER,
      maxIdleIntervalMs: base, ...rest,
    };
    this.#idleMs = this.#p.taskCheckIntervalMs;
    const names = Object.keys(this.#p.queues);
    this.#onlyQueue = names.length === 1 ? names[0] : undefined;
    this.#handler = handler;
    this.#order = queueOrder(this.#p.queues, this.#p.strictPriority, this.#p.random);
    this.#slots = new Semaphore(Math.max(1, this.#p.concurrency), this.#fetch.signal);
  }

  /** Sets the handler (before start()). */
  setHandler(handler: Handler): void {
    this.#handler = handler;
  }

  /** The queue order for the next dequeue. */
  queues(): string[] {
    return this.#order();
  }

  /** Tasks in flight (for the heartbeater). */
  activeWorkers(): ActiveWorker[] {
    return [...this.#workers.values()];
  }

  /** Aborts the in-flight task with this ID (`context canceled`); false if it is not running here. */
  cancel(taskId: string): boolean {
    const w = this.#workers.get(taskId);
    if (!w) return false;
    w.attempt.abort(new CanceledError());
    w.attempt.end?.({kind: 'aborted'});
    return true;
  }

  /**
   * A task may be waiting (an asynq-ts enqueue notified its queue, or the forwarder moved tasks):
   * an idle poller polls at once, and the back-off starts again. A wake that comes while a poll is
   * in flight makes the next idle sleep return at once.
   */
  wake(): void {
    this.#idleMs = this.#p.taskCheckIntervalMs;
    if (this.#sleepers.size === 0) {
      this.#woken = true;
      return;
    }
    for (const end of [...this.#sleepers]) end();
  }

  /** The idle sleep: the current back-off interval with jitter [0.5×, 1.5×), ended early by wake() or stop(). */
  #idleSleep(): Promise<void> {
    const signal = this.#fetch.signal;
    if (this.#woken || signal.aborted) {
      this.#woken = false;
      return Promise.resolve();
    }
    const interval = this.#idleMs;
    this.#idleMs = Math.max(this.#p.taskCheckIntervalMs, Math.min(this.#p.maxIdleIntervalMs, interval * 2));
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', end);
        this.#sleepers.delete(end);
        resolve();
      };
      const timer = setTimeout(end, interval / 2 + this.#p.random() * interval);
      signal.addEventListener('abort', end, {once: true});
      this.#sleepers.add(end);
    });
  }

  /** Starts the fetch loop. Idempotent; does nothing after stop(). */
  start(): void {
    if (this.#fetch.signal.aborted) return;
    this.#loop ??= this.#run();
  }

  /** Stops fetching new tasks; tasks in flight go on (Go Server.Stop). Idempotent. */
  stop(): void {
    if (this.#fetch.signal.aborted) return;
    this.#p.logger.debug('Processor shutting down...');
    this.#fetch.abort();
  }

  /**
   * Stops fetching, lets handlers run for shutdownTimeout, then requeues the unfinished tasks and
   * aborts their signals, and waits for every worker. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.stop();
      const cancelTimer = setLongTimeout(() => {
        this.#abandon.abort();
        for (const w of this.#workers.values()) w.attempt.end?.({kind: 'shutdown'});
      }, this.#p.shutdownTimeoutMs);
      this.#p.logger.info('Waiting for all workers to finish...');
      await this.#loop;
      await this.waitForWorkers();
      cancelTimer();
      this.#p.logger.info('All workers have finished');
      this.#p.logger.debug('Processor done');
    })();
    return this.#shutdown;
  }

  /** Resolves when every task in flight has been handled and its outcome written (for tests and shutdown). */
  async waitForWorkers(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight);
  }

  /**
   * One fetch: waits for a free slot, dequeues from the queues in order and starts the handler on
   * the task without waiting for it. Empty or paused queues (or a dequeue error) → idle sleep.
   * Returns without fetching once stopped. Never throws.
   */
  async exec(): Promise<void> {
    await this.#fetchOne(true, false);
  }

  /**
   * One fetch (exec). `idleSleep`: when nothing was started, sleep before releasing the slot (the
   * idle poller) or release it at once (a helper loop). `grow`: on success start one more helper
   * loop. Resolves whether a task was started. Never throws.
   */
  async #fetchOne(idleSleep: boolean, grow: boolean): Promise<boolean> {
    if (!(await this.#slots.acquire())) return false;
    let started = false;
    try {
      let order = this.#drawn ?? this.queues();
      this.#drawn = undefined;
      // Queues a limit keeps out for now (no head-of-line blocking: the others are served).
      const excluded = this.#p.gate?.excluded();
      if (excluded) order = order.filter((q) => !excluded.has(q));
      const got = order.length === 0 ? null : await this.#p.rdb.dequeue(order, this.#p.leaseMs, (bad) => this.#logBadData(bad));
      if (got) {
        this.#startWorker(got.msg, got.leaseExpiresAt);
        started = true;
        this.#idle = false;
        this.#idleMs = this.#p.taskCheckIntervalMs;
        if (grow) this.#addFetcher();
        return true;
      }
      if (!this.#idle) this.#p.logger.debug('All queues are empty');
      this.#idle = true;
    } catch (err) {
      this.#p.onDequeueError?.(err);
      const now = this.#p.clock.now().getTime();
      if (!this.#p.outage.absorb(err) && now - this.#lastErrorLog >= ERROR_LOG_INTERVAL_MS) {
        this.#lastErrorLog = now;
        this.#p.logger.error(`Dequeue error: ${errorMessage(err)}`);
      }
    } finally {
      if (!started) {
        if (idleSleep) await this.#idleSleep();
        this.#slots.release();
      }
    }
    return false;
  }

  /**
   * Bad data met while dequeueing: every task moved aside is logged with its id (never rate
   * limited: each is a task that will not run); a skipped queue (a key of the wrong Redis type) at
   * most once per ERROR_LOG_INTERVAL_MS, with the dequeue errors.
   */
  #logBadData(bad: BadData): void {
    if (bad.id !== undefined) {
      this.#p.logger.error(movedAsideText(bad));
      return;
    }
    // A queue skipped for bad data (a key of another Redis type) is a failed fetch of that queue.
    this.#p.onDequeueError?.(new BadDataError(`queue "${bad.queue}" skipped: ${bad.reason}`, {queue: bad.queue}));
    const now = this.#p.clock.now().getTime();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#p.logger.error(`Dequeue error: queue "${bad.queue}" skipped: ${bad.reason}`);
  }

  async #run(): Promise<void> {
    while (!this.#fetch.signal.aborted) await this.#fetchOne(true, true);
    while (this.#fetchers.size > 0) await Promise.all(this.#fetchers);
  }

  /** Starts one more fetch loop, which dequeues until it finds nothing (up to MAX_PARALLEL_FETCHES − 1 helpers). */
  #addFetcher(): void {
    if (this.#fetchers.size >= Math.min(MAX_PARALLEL_FETCHES, this.#p.concurrency) - 1 || this.#fetch.signal.aborted) return;
    const loop: Promise<void> = (async () => {
      while (await this.#fetchOne(false, true));
    })().finally(() => this.#fetchers.delete(loop));
    this.#fetchers.add(loop);
  }

  #startWorker(msg: TaskMessage, leaseExpiresAt: Date): void {
    let released = false;
    const freeSlot = (keep?: 'keep'): void => {
      if (released) return;
      released = true;
      if (keep !== 'keep') this.#slots.release();
    };
    // A task a limit does not let start has been sent back to wait by the gate: its slot is free.
    const admitted = this.#p.gate ? this.#p.gate.admit(msg, computeDeadline(msg, this.#p.clock.now())) : true;
    const work = admitted === true ? this.#work(msg, leaseExpiresAt, freeSlot)
      : admitted.then((ok) => (ok ? this.#work(msg, leaseExpiresAt, freeSlot) : undefined));
    const run = work
      .catch((err: unknown) => this.#p.logger.error(`Internal error while processing task id=${msg.id}: ${errorMessage(err)}`))
      .finally(() => {
        this.#inflight.delete(run);
        freeSlot();
      });
    this.#inflight.add(run);
  }

  async #work(msg: TaskMessage, leaseExpiresAt: Date, freeSlot: (keep?: 'keep') => void): Promise<void> {
    const clock = this.#p.clock;
    const now = clock.now();
    const attempt = new Attempt();
    const w: Worker = {
      msg, startedAt: now, deadline: computeDeadline(msg, now), lease: new Lease(leaseExpiresAt, clock), attempt,
      release: () => {
        // A later attempt of the same ID may be running here by now (this one lost its lease and
        // was recovered meanwhile): only this attempt's entry goes.
        if (this.#workers.get(msg.id) === w) this.#workers.delete(msg.id);
        freeSlot();
      },
      handOff: () => {
        if (this.#workers.get(msg.id) === w) this.#workers.delete(msg.id);
        freeSlot('keep');
      },
    };
    if (msg.timeout === 0 && msg.deadline === 0) {
      this.#p.logger.error(`asynq: internal error: both timeout and deadline are not set for the task message: ${msg.id}`);
    }
    const ctx: TaskContext = {
      get signal() {
        return attempt.signal;
      },
      taskId: msg.id, queue: msg.queue, retryCount: msg.retried, maxRetry: msg.retry, deadline: w.deadline,
    };
    const task = new Task(msg.type, msg.payload, {headers: msg.headers});
    task.resultWriter = new TaskResultWriter({rdb: this.#p.rdb, queue: msg.queue, taskId: msg.id, signal: attempt});
    this.#workers.set(msg.id, w);
    let cancelTimer = (): void => {};
    try {
      const left = w.deadline.getTime() - clock.now().getTime();
      if (left <= 0) {
        attempt.abort(new DeadlineExceededError());
        await this.#handleFailure(w, task, ctx, attempt.reason as Error);
        return;
      }
      cancelTimer = setLongTimeout(() => {
        attempt.abort(new DeadlineExceededError());
        attempt.end?.({kind: 'aborted'});
      }, left);
      const outcome = await this.#race(w, task, ctx);
      // Limit tokens go back before the outcome write, so the next task's acquire comes after it.
      this.#p.gate?.release(msg);
      switch (outcome.kind) {
        case 'shutdown':
          this.#p.logger.warn('Quitting worker. task', {taskId: msg.id});
          await this.#requeue(w);
          return;
        case 'leaseLost': {
          const err = new LeaseExpiredError();
          attempt.abort(err);
          await this.#handleFailure(w, task, ctx, err);
          return;
        }
        case 'aborted':
          await this.#handleFailure(w, task, ctx, toHandlerError(attempt.reason));
          return;
        case 'settled':
          if (outcome.err) await this.#handleFailure(w, task, ctx, outcome.err);
          else await this.#handleSuccess(w);
      }
    } finally {
      this.#p.gate?.release(msg);
      cancelTimer();
      attempt.finish();
      w.release();
    }
  }

  /**
   * The first of: shutdown timeout, lease lost, attempt aborted (deadline, cancel), handler
   * settled. The shutdown timer, the lease, the deadline timer and cancel() call `attempt.end`.
   */
  #race(w: Worker, task: Task, ctx: TaskContext): Promise<Outcome> {
    return new Promise((resolve) => {
      const {attempt} = w;
      let unsubscribe = (): void => {};
      const settle = (o: Outcome): void => {
        if (attempt.end !== settle) return;
        attempt.end = undefined;
        unsubscribe();
        resolve(o);
      };
      attempt.end = settle;
      if (this.#abandon.signal.aborted) return settle({kind: 'shutdown'});
      unsubscribe = w.lease.onLost(() => settle({kind: 'leaseLost'}));
      if (attempt.end !== settle) return;
      if (attempt.aborted) return settle({kind: 'aborted'});
      void this.#perform(task, ctx).then((err) => settle({kind: 'settled', err}));
    });
  }

  /** Runs the handler; resolves with the failure (panics as HandlerPanicError) or undefined. Never rejects. */
  async #perform(task: Task, ctx: TaskContext): Promise<Error | undefined> {
    try {
      if (!this.#handler) throw new Error('asynq: server cannot run with nil handler');
      await this.#handler.processTask(task, ctx);
      return undefined;
    } catch (thrown) {
      const err = toHandlerError(thrown);
      if (err instanceof HandlerPanicError) {
        this.#p.logger.error(`recovering from panic. See the stack trace below for details:\n${err.stack ?? err.message}`);
      }
      return err;
    }
  }

  async #handleSuccess(w: Worker): Promise<void> {
    const {msg} = w;
    if (this.#canFuse(msg)) return this.#finishAndFetch(w);
    if (msg.retention > 0) {
      await this.#write(w, () => `Could not move task id=${msg.id} type=${JSON.stringify(msg.type)} to completed`, () => this.#p.rdb.markAsComplete(msg));
    } else {
      await this.#write(w, () => `Could not remove task id=${msg.id} type=${JSON.stringify(msg.type)} from active`, () => this.#p.rdb.done(msg));
    }
  }

  /**
   * Whether a success may finish the task and claim the next one of its queue in one call: the
   * broker has finishAndDequeue, the fetch loop runs, and the queue is the one a dequeue would try
   * first now (strict priority: the highest; weighted: drawn first in a fresh queue order, which
   * otherwise goes to the next fetch, so each queue still comes first with its probability).
   */
  #canFuse(msg: TaskMessage): boolean {
    // Only under start(): exec() is one fetch.
    if (this.#p.rdb.finishAndDequeue === undefined || this.#loop === undefined || this.#fetch.signal.aborted) return false;
    if (this.#p.gate?.excluded()?.has(msg.queue)) return false;
    if (this.#onlyQueue !== undefined) return this.#onlyQueue === msg.queue;
    const order = this.queues();
    if (order[0] === msg.queue) return true;
    // Not this queue: the next fetch uses this draw, so every dequeue still follows one draw of its own.
    this.#drawn = order;
    return false;
  }

  /**
   * Success through RDB.finishAndDequeue: done/markAsComplete and a dequeue of the same queue in
   * one script call. The task's slot is kept for the next task when one comes back, else freed.
   * Skipped (as #write) when the lease expired; a failure goes to the syncer as the plain write.
   */
  async #finishAndFetch(w: Worker): Promise<void> {
    const {msg} = w;
    if (!w.lease.isValid()) {
      this.#p.logger.debug(`Lease of task id=${msg.id} expired; leaving it to the recoverer`);
      return;
    }
    let got: Awaited<ReturnType<NonNullable<ProcessorParams['rdb']['finishAndDequeue']>>>;
    try {
      got = await this.#p.rdb.finishAndDequeue!(msg, this.#p.leaseMs, (bad) => this.#logBadData(bad));
    } catch (err) {
      w.release();
      const plain = msg.retention > 0 ? () => this.#p.rdb.markAsComplete(msg) : () => this.#p.rdb.done(msg);
      const text = `${msg.retention > 0 ? `Could not move task id=${msg.id} type=${JSON.stringify(msg.type)} to completed`
        : `Could not remove task id=${msg.id} type=${JSON.stringify(msg.type)} from active`}: ${errorMessage(err)}`;
      if (!this.#p.outage.absorb(err)) this.#p.logger.warn(`${text}; Will retry syncing`);
      this.#p.syncer?.add({fn: plain, errMsg: text, deadline: w.lease.deadline});
      return;
    }
    if (!got) {
      w.release();
      return;
    }
    w.handOff();
    this.#idle = false;
    this.#idleMs = this.#p.taskCheckIntervalMs;
    this.#startWorker(got.msg, got.leaseExpiresAt);
  }

  async #handleFailure(w: Worker, task: Task, ctx: TaskContext, err: Error): Promise<void> {
    const {msg} = w;
    await this.#callErrorHandler(task, err, ctx);
    const text = errorMessage(err);
    if (isRevokeTask(err)) {
      this.#p.logger.warn('revoke task', {taskId: msg.id});
      await this.#write(w, () => `Could not remove task id=${msg.id} type=${JSON.stringify(msg.type)} from active`, () => this.#p.rdb.done(msg));
    } else if (retryAfterMs(err) !== undefined && !isSkipRetry(err)) {
      // The handler asked for "later" (RetryAfterError): its delay, never counted as a failure.
      const retryAt = new Date(this.#p.clock.now().getTime() + retryAfterMs(err)!);
      await this.#write(w, () => `Could not move task id=${msg.id} from active to retry`, () => this.#p.rdb.retry(msg, retryAt, text, false));
    } else if (msg.retried >= msg.retry || isSkipRetry(err)) {
      this.#p.logger.warn('Retry exhausted for task', {taskId: msg.id});
      await this.#write(w, () => `Could not move task id=${msg.id} from active to archived`, () => this.#p.rdb.archive(msg, text));
    } else {
      const {logger, random} = this.#p;
      const delayMs = guardedRetryDelay(this.#p.retryDelayFunc, msg.retried, err, task, msg.id, logger, random);
      const retryAt = new Date(this.#p.clock.now().getTime() + delayMs);
      const failure = guardedIsFailure(this.#p.isFailure, err, logger);
      await this.#write(w, () => `Could not move task id=${msg.id} from active to retry`, () => this.#p.rdb.retry(msg, retryAt, text, failure));
    }
  }

  async #callErrorHandler(task: Task, err: Error, ctx: TaskContext): Promise<void> {
    const eh = this.#p.errorHandler;
    if (!eh) return;
    try {
      await (typeof eh === 'function' ? eh(task, err, ctx) : eh.handleError(task, err, ctx));
    } catch (e) {
      this.#p.logger.error(`Error handler failed for task id=${ctx.taskId}: ${errorMessage(e)}`);
    }
  }

  /**
   * An outcome write: skipped when the local lease expired (the recoverer finishes the task);
   * on error handed to the syncer, which retries it until the lease deadline.
   */
  async #write(w: Worker, errMsg: () => string, fn: () => Promise<void>): Promise<void> {
    if (!w.lease.isValid()) {
      this.#p.logger.debug(`Lease of task id=${w.msg.id} expired; leaving it to the recoverer`);
      return;
    }
    try {
      // The RDB methods queue their script on the connection before their first await, so the
      // slot can go now: the next dequeue of this connection runs after this write in Redis, and
      // Redis never holds more of our tasks in active than `concurrency`; with auto-pipelining both
      // travel in one round trip (Go releases its token after the reply).
      const sent = fn();
      w.release();
      await sent;
    } catch (err) {
      const text = `${errMsg()}: ${errorMessage(err)}`;
      if (!this.#p.outage.absorb(err)) this.#p.logger.warn(`${text}; Will retry syncing`);
      this.#p.syncer?.add({fn, errMsg: text, deadline: w.lease.deadline});
    }
  }

  async #requeue(w: Worker): Promise<void> {
    if (!w.lease.isValid()) return;
    try {
      await this.#p.rdb.requeue(w.msg);
      this.#p.logger.info(`Pushed task id=${w.msg.id} back to queue`);
    } catch (err) {
      this.#p.logger.error(`Could not push task id=${w.msg.id} back to queue: ${errorMessage(err)}`);
    }
  }
}
