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
 *   the per-queue dequeue calls Go makes, so Go clients and servers need nothing new. With a
 *   pendingWatch (the Server's, for one queue) the sleep also ends when the queue's pending list
 *   gets a task, whoever wrote it, and its timer is at least WATCHED_IDLE_MS.
 * - Claims in batches: while tasks keep coming (the last fetch found one), a fetch takes every free
 *   slot (up to the batch size, see BATCH_SIZE) and claims that many tasks in one RDB.dequeueBatch call, one queue
 *   order drawn per task, with the effects of one dequeue per order (strict priority and weighted
 *   selection hold per task). Every claimed task starts at once in its own slot, so no task waits
 *   in a local buffer and the heartbeater extends every claimed lease; an idle poll claims one.
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
 * - Success: retention > 0 → markAsComplete, else done. Under start() the successes of a queue
 *   are written in batches (RDB.finishAndClaim: one call for the successes that finish in one turn
 *   of the event loop, at most the batch size), and the same call claims as many tasks of that queue as
 *   it frees slots when that queue is the one a dequeue would try first (strict: the highest;
 *   weighted: one fresh draw per task, the draws that start with another queue kept for the next
 *   fetches; never a queue a limit keeps out). A success keeps its slot and its lease (extended by
 *   the heartbeater) until written; shutdown waits for the writes. Failure: the error handler first, then
 *   RevokeTask → done; RetryAfterError → retry after its delay, never counted as a failure (also
 *   when no retries are left); retries exhausted or SkipRetry → archive; else retry after
 *   retryDelayFunc(retried, err, task), counted only if isFailure(err).
 * - Limits (ServerOptions.limits, `gate`, src/lib/limits/gate.ts): the queues the gate keeps out
 *   are left out of each dequeue; a dequeued task the gate does not admit is sent back to wait by
 *   the gate and frees its slot without running; the gate gets the task back (release) as soon as
 *   the attempt is decided, before the outcome write. The claims of one queue (finishAndClaim, and
 *   dequeueBatch of a single queue) carry the gate's ClaimPlan: the script decides those tasks
 *   (they start without admit) and takes back the successes' tokens written in the same call.
 * - Every outcome write is skipped when the local lease has expired (the recoverer will finish
 *   the task); a failed write is handed to the syncer, which retries it until the lease deadline.
 * - Stop (SIGTSTP) and shutdown stop fetching; a task claimed by a call that was in flight when
 *   stop() came is requeued at once (head of pending), not started.
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
  ATTEMPT_STATE, TaskResultWriter, toHandlerError,
  type ErrorHandler, type ErrorHandlerFunc, type Handler, type TaskContext,
} from './handler.js';
import {Lease, type LeaseListener} from './lease.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {
  defaultIsFailure, defaultRetryDelayFunc, guardedIsFailure, guardedRetryDelay, isRevokeTask, isSkipRetry, retryAfterMs, type IsFailureFunc,
  type RetryDelayFunc,
} from './retry.js';
import type {TaskGate} from './limits/gate.js';
import type {ClaimPlan} from './broker/limits.js';
import type {PendingWatch} from './broker/pending-watch.js';
import {MAX_TIMER_MS, setLongTimeout} from './sleep.js';
import type {SyncRequest} from './syncer.js';
import {Task} from './task.js';

/**
 * The idle sleep of a server whose queue is watched (ProcessorParams.pendingWatch): the watch ends
 * it when a task arrives, so the timer is only the fallback (Go's idle poll interval).
 */
const WATCHED_IDLE_MS = 1_000;
/** Default idle poll interval (Go: 1 s); the actual sleep is uniform in [0.5×, 1.5×). */
export const DEFAULT_TASK_CHECK_INTERVAL_MS = 20;

/**
 * The longest idle poll interval the Server backs off to: 90 ms for a few queues, 2 ms per queue
 * beyond that, at most 1 s. An idle poll is one script call and one command (LINDEX) per empty
 * queue, so about 22 commands/s for one queue, 500/s for 100, 1,000/s for 1,000; a Go-written task
 * (no wake-up notification) waits about 45 ms for the next poll on a server with few queues.
 */
export function idleBackoffCeilingMs(queueCount: number): number {
  return Math.min(1_000, Math.max(90, 2 * queueCount));
}
/** Go's default ShutdownTimeout. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 8_000;
/** Most dequeues in flight at once while tasks keep coming (see Parallel fetches above). */
export const MAX_PARALLEL_FETCHES = 32;
/**
 * Most tasks one claim (RDB.dequeueBatch) or one outcome batch (RDB.finishAndClaim) carries: one
 * call keeps Redis busy well under a millisecond. A processor splits its concurrency into the
 * fewest equal batches of at most this (100 → 2 × 50), so that with a backlog two or more calls
 * are in flight and Redis works on one while the worker runs the tasks of the other (measured
 * side by side at concurrency 100: 50 per call beat 64 + 36; at concurrency 10 one batch of 10
 * beat two of 5).
 */
const BATCH_SIZE = 64;
/** Most queue orders drawn for an outcome write's claim and not used there, kept for the next fetches. */
const MAX_STASHED_DRAWS = 256;
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
  rdb: Pick<RDB, 'dequeue' | 'done' | 'markAsComplete' | 'requeue' | 'retry' | 'archive' | 'writeResult'> & Partial<Pick<RDB, 'dequeueBatch' | 'finishAndClaim'>>;
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
  /**
   * A server with one queue: the idle sleep also ends when that queue's pending list gets a task
   * (PendingWatch, a blocking BLMOVE of the list onto itself), and the timer is a fallback of
   * WATCHED_IDLE_MS at least (see Idle above).
   */
  pendingWatch?: Pick<PendingWatch, 'wait' | 'available'>;
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

/** What a failed done write logs. */
const doneFailedText = (msg: TaskMessage): string => `Could not remove task id=${msg.id} type=${JSON.stringify(msg.type)} from active`;
/** What a failed markAsComplete write logs. */
const completeFailedText = (msg: TaskMessage): string => `Could not move task id=${msg.id} type=${JSON.stringify(msg.type)} to completed`;

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

  /** Takes up to `max` free tokens without waiting; returns how many. */
  tryAcquire(max: number): number {
    if (this.#signal.aborted) return 0;
    const n = Math.max(0, Math.min(max, this.#free));
    this.#free -= n;
    return n;
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next(true);
    else this.#free++;
  }
}

/** Successful tasks of one queue whose outcomes are written in one call (Processor #addOutcome). */
interface OutcomeBatch {
  readonly queue: string;
  readonly workers: Work[];
  /** Resolves once the outcomes are written (or handed to the syncer). */
  readonly written: Promise<void>;
  resolve: () => void;
  sent: boolean;
}

type Outcome =
  | {kind: 'shutdown'}
  | {kind: 'leaseLost'}
  | {kind: 'aborted'}
  | {kind: 'settled'; err?: Error};

/** The outcomes that carry nothing of their own: one object each, not one per task. */
const SHUTDOWN: Outcome = {kind: 'shutdown'};
const LEASE_LOST: Outcome = {kind: 'leaseLost'};
const ABORTED: Outcome = {kind: 'aborted'};
const SUCCEEDED: Outcome = {kind: 'settled'};

/**
 * How one attempt ends early (deadline, cancelation, lease loss, shutdown) without an
 * AbortController per task: the handler's `ctx.signal` is created on first use (already aborted
 * when the attempt is), and the events that end an attempt call Work.end directly instead of
 * signalling listeners. A no-op handler that never reads its signal costs no AbortSignal at all.
 */
class Attempt {
  #controller?: AbortController;
  #reason?: unknown;
  #aborted = false;
  /** Finished (finish()) with the attemptOver() reason, not built yet. */
  #over = false;

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

/** The Work whose #race promise is being created (set and cleared around `new Promise`, which runs its executor at once). */
let racing: Work | undefined;

/** #race's promise executor: module-level, so that a task's wait costs no closure of its own. */
function waitForOutcome(resolve: (o: Outcome) => void): void {
  racing!.waitFor(resolve);
}

/** The deadline timer's callback (the Work is the timer's argument: no closure per task). */
function deadlineExceeded(w: Work): void {
  w.abort(new DeadlineExceededError());
  w.end(ABORTED);
}

/**
 * One task in flight, in one object: its attempt, what the heartbeater reports (ActiveWorker),
 * its worker slot, its deadline timer and the wait for its first event (#race), with methods
 * instead of closures per task.
 */
class Work extends Attempt implements ActiveWorker, LeaseListener {
  readonly msg: TaskMessage;
  readonly startedAt: Date;
  readonly deadline: Date;
  readonly lease: Lease;
  /** The processor's in-flight tasks by ID and worker slots. */
  readonly #workers: Map<string, Work>;
  readonly #slots: Semaphore;
  #slotGone = false;
  /** Set while the processor waits for the attempt's first event (#race): the first end() settles it. */
  #settle?: (o: Outcome) => void;
  #timer?: NodeJS.Timeout;
  #cancelLongTimer?: () => void;
  /** The processing of this task (#work), for waitForWorkers. */
  done: Promise<void> = Promise.resolve();

  constructor(msg: TaskMessage, leaseExpiresAt: Date, clock: Clock, workers: Map<string, Work>, slots: Semaphore) {
    super();
    const now = clock.now();
    this.msg = msg;
    this.startedAt = now;
    this.deadline = computeDeadline(msg, now);
    this.lease = new Lease(leaseExpiresAt, clock);
    this.#workers = workers;
    this.#slots = slots;
  }

  /** The attempt's first event (shutdown timeout, lease lost, deadline, cancel, handler settled) will call `settle`. */
  waitFor(settle: (o: Outcome) => void): void {
    this.#settle = settle;
  }

  /** Ends the wait when the heartbeater finds the lease expired (at once if it already was). */
  watchLease(): void {
    this.lease.setListener(this);
  }

  /** Whether #race still waits (nothing has ended it yet). */
  get waiting(): boolean {
    return this.#settle !== undefined;
  }

  /** Ends #race's wait with `o`; the first call wins, later ones (and calls outside the wait) do nothing. */
  end(o: Outcome): void {
    const settle = this.#settle;
    if (settle === undefined) return;
    this.#settle = undefined;
    this.lease.setListener(undefined);
    settle(o);
  }

  leaseLost(): void {
    this.end(LEASE_LOST);
  }

  /** Aborts the attempt with DeadlineExceededError in `ms` (chained timers past setTimeout's limit). */
  armDeadline(ms: number): void {
    if (ms <= MAX_TIMER_MS) this.#timer = setTimeout(deadlineExceeded, ms, this);
    else this.#cancelLongTimer = setLongTimeout(() => deadlineExceeded(this), ms);
  }

  disarmDeadline(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#cancelLongTimer?.();
  }

  /**
   * Frees the task's slot and drops it from the in-flight workers (once). Called as soon as the
   * outcome write is queued on the connection (see #write), else when the attempt ends.
   */
  release(): void {
    this.#forget();
    this.freeSlot();
  }

  /** Drops it from the in-flight workers and hands its slot over to the next task (#writeOutcomes). */
  handOff(): void {
    this.#forget();
    this.#slotGone = true;
  }

  /** Frees the slot unless it was freed or handed over already. */
  freeSlot(): void {
    if (this.#slotGone) return;
    this.#slotGone = true;
    this.#slots.release();
  }

  /**
   * A later attempt of the same ID may be running here by now (this one lost its lease and was
   * recovered meanwhile): only this attempt's entry goes.
   */
  #forget(): void {
    if (this.#workers.get(this.msg.id) === this) this.#workers.delete(this.msg.id);
  }
}

/**
 * The handler's TaskContext: `signal` is a getter (the attempt's AbortSignal, built on first
 * read) that reads the attempt from the context itself, so the getter captures nothing.
 */
function contextOf(w: Work): TaskContext {
  return {
    get signal(): AbortSignal {
      return (this as unknown as {[ATTEMPT_STATE]: Attempt})[ATTEMPT_STATE].signal;
    },
    taskId: w.msg.id, queue: w.msg.queue, retryCount: w.msg.retried, maxRetry: w.msg.retry, deadline: w.deadline,
    [ATTEMPT_STATE]: w,
  } as TaskContext;
}

export class Processor {
  readonly #p: Required<Omit<ProcessorParams, 'handler' | 'errorHandler' | 'syncer' | 'onDequeueError' | 'gate' | 'pendingWatch'>> &
    Pick<ProcessorParams, 'errorHandler' | 'syncer' | 'onDequeueError' | 'gate' | 'pendingWatch'>;
  #handler?: Handler;
  readonly #order: () => string[];
  readonly #slots: Semaphore;
  /** Aborted by stop(): no more fetching. */
  readonly #fetch = new AbortController();
  /** Aborted when the shutdown timeout elapses: unfinished tasks are requeued. */
  readonly #abandon = new AbortController();
  readonly #workers = new Map<string, Work>();
  /** Tasks being processed (and admissions and give-backs in progress): waitForWorkers waits for each `done`. */
  readonly #inflight = new Set<{readonly done: Promise<void>}>();
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
  /** The last idle sleep was ended by the pending watch: if the poll after it found nothing, the next sleep does not watch. */
  #watchWoke = false;
  /** Queue orders drawn by #claimable and not used there: the next fetches' (oldest first). */
  readonly #drawn: string[][] = [];
  /** Successes waiting for their outcome write, per queue (#addOutcome). */
  readonly #outcomes = new Map<string, OutcomeBatch>();
  /** The queue when the server has just one. */
  readonly #onlyQueue: string | undefined;
  /** Most tasks per claim or outcome write: concurrency in the fewest equal parts of at most BATCH_SIZE. */
  readonly #batchSize: number;

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
    const concurrency = Math.max(1, this.#p.concurrency);
    this.#batchSize = Math.ceil(concurrency / Math.ceil(concurrency / BATCH_SIZE));
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
    w.abort(new CanceledError());
    w.end(ABORTED);
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

  /**
   * The idle sleep: the current back-off interval with jitter [0.5×, 1.5×), ended early by wake() or
   * stop(). With a pending watch (one queue) it also ends when the queue gets a task, and the
   * timer is at least WATCHED_IDLE_MS; not right after a watch wake whose poll found nothing (a
   * paused queue's backlog, a task another worker took): that sleep is the timer alone, so a list
   * that stays non-empty is not polled in a loop.
   */
  #idleSleep(): Promise<void> {
    const signal = this.#fetch.signal;
    if (this.#woken || signal.aborted) {
      this.#woken = false;
      return Promise.resolve();
    }
    const interval = this.#idleMs;
    this.#idleMs = Math.max(this.#p.taskCheckIntervalMs, Math.min(this.#p.maxIdleIntervalMs, interval * 2));
    const watch = this.#p.pendingWatch;
    const watching = watch !== undefined && !this.#watchWoke && watch.available();
    this.#watchWoke = false;
    return new Promise((resolve) => {
      let done = false;
      const end = (): void => {
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', end);
        this.#sleepers.delete(end);
        resolve();
      };
      const jittered = interval / 2 + this.#p.random() * interval;
      const timer = setTimeout(end, watching ? Math.max(WATCHED_IDLE_MS, jittered) : jittered);
      signal.addEventListener('abort', end, {once: true});
      this.#sleepers.add(end);
      if (watching) {
        void watch.wait().then((got) => {
          if (done || got === 'timeout') return;
          // 'unavailable' (closed, old Redis, an error): poll now, then sleep on the timer alone.
          if (got === 'found') this.#watchWoke = true;
          end();
        });
      }
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
        for (const w of this.#workers.values()) w.end(SHUTDOWN);
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
    while (this.#inflight.size > 0) await Promise.all(Array.from(this.#inflight, (x) => x.done));
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
    // Slots held for this fetch: one, and while tasks keep coming (not idle) the free ones, up to
    // the batch size, claimed in one call (only under start(): exec() is one fetch).
    let held = 1;
    let started = 0;
    try {
      const {rdb} = this.#p;
      if (rdb.dequeueBatch !== undefined && this.#loop !== undefined && !this.#idle) held += this.#slots.tryAcquire(this.#batchSize - 1);
      const onBad = (bad: BadData): void => this.#logBadData(bad);
      const orders: string[][] = [];
      for (let i = 0; i < held; i++) {
        const order = this.#draw();
        if (order.length > 0) orders.push(order);
      }
      if (orders.length > 1) {
        for (const got of await rdb.dequeueBatch!(orders, this.#p.leaseMs, onBad, this.#planFor)) {
          this.#startWorker(got.msg, got.leaseExpiresAt, got.admitted);
          started++;
        }
      } else if (orders.length === 1) {
        const got = await rdb.dequeue(orders[0]!, this.#p.leaseMs, onBad);
        if (got) {
          this.#startWorker(got.msg, got.leaseExpiresAt);
          started++;
        }
      }
      if (started > 0) {
        this.#foundWork();
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
      // The started tasks keep their slots; the others go (after the idle sleep when nothing started).
      if (started === 0 && idleSleep) await this.#idleSleep();
      for (let i = started; i < held; i++) this.#slots.release();
    }
    return false;
  }

  /**
   * A claim found tasks: the idle state ends, the back-off starts again and the next idle sleep
   * watches the queue again (a watch wake only skips the next watch when its poll found nothing).
   */
  #foundWork(): void {
    this.#idle = false;
    this.#idleMs = this.#p.taskCheckIntervalMs;
    this.#watchWoke = false;
  }

  /** The queue order for the next dequeue: one stashed by #claimable, else a fresh draw. */
  #draw(): string[] {
    const order = this.#drawn.shift() ?? this.queues();
    // Queues a limit keeps out for now (no head-of-line blocking: the others are served).
    const excluded = this.#p.gate?.excluded();
    return excluded ? order.filter((q) => !excluded.has(q)) : order;
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

  /** `decided`: the claim decided it under the limits already (a ClaimPlan), its tokens taken. */
  #startWorker(msg: TaskMessage, leaseExpiresAt: Date, decided?: true): void {
    if (this.#fetch.signal.aborted) {
      if (decided) this.#p.gate?.release(msg);
      return this.#giveBack(msg);
    }
    // A task a limit does not let start has been sent back to wait by the gate: its slot is free.
    const admitted = this.#p.gate && !decided ? this.#p.gate.admit(msg, computeDeadline(msg, this.#p.clock.now())) : true;
    if (admitted === true) {
      this.#begin(msg, leaseExpiresAt);
      return;
    }
    const deciding = {done: Promise.resolve()};
    deciding.done = admitted
      .then((ok) => (ok ? this.#begin(msg, leaseExpiresAt) : this.#slots.release()), (err: unknown) => {
        this.#p.logger.error(`Internal error while processing task id=${msg.id}: ${errorMessage(err)}`);
        this.#slots.release();
      })
      .finally(() => this.#inflight.delete(deciding));
    this.#inflight.add(deciding);
  }

  /** Starts the handler on a claimed task that holds a worker slot. */
  #begin(msg: TaskMessage, leaseExpiresAt: Date): void {
    const w = new Work(msg, leaseExpiresAt, this.#p.clock, this.#workers, this.#slots);
    this.#inflight.add(w);
    w.done = this.#work(w);
  }

  /** Processes one task to its outcome write; never rejects; frees the slot at the latest when it ends. */
  async #work(w: Work): Promise<void> {
    const {msg} = w;
    try {
      if (msg.timeout === 0 && msg.deadline === 0) {
        this.#p.logger.error(`asynq: internal error: both timeout and deadline are not set for the task message: ${msg.id}`);
      }
      const ctx = contextOf(w);
      const task = new Task(msg.type, msg.payload, {headers: msg.headers});
      task.resultWriter = new TaskResultWriter({rdb: this.#p.rdb, queue: msg.queue, taskId: msg.id, signal: w});
      this.#workers.set(msg.id, w);
      try {
        const left = w.deadline.getTime() - this.#p.clock.now().getTime();
        if (left <= 0) {
          w.abort(new DeadlineExceededError());
          await this.#handleFailure(w, task, ctx, w.reason as Error);
          return;
        }
        w.armDeadline(left);
        const outcome = await this.#race(w, task, ctx);
        // Limit tokens go back before the outcome write, so the next task's acquire comes after it;
        // a success written in a batch gives them back in that write (#writeOutcomes).
        if (outcome.kind !== 'settled' || outcome.err || !this.#batching()) this.#p.gate?.release(msg);
        switch (outcome.kind) {
          case 'shutdown':
            this.#p.logger.warn('Quitting worker. task', {taskId: msg.id});
            await this.#requeue(w);
            return;
          case 'leaseLost': {
            const err = new LeaseExpiredError();
            w.abort(err);
            await this.#handleFailure(w, task, ctx, err);
            return;
          }
          case 'aborted':
            await this.#handleFailure(w, task, ctx, toHandlerError(w.reason));
            return;
          case 'settled':
            if (outcome.err) await this.#handleFailure(w, task, ctx, outcome.err);
            else await this.#handleSuccess(w);
        }
      } finally {
        this.#p.gate?.release(msg);
        w.disarmDeadline();
        w.finish();
        w.release();
      }
    } catch (err) {
      this.#p.logger.error(`Internal error while processing task id=${msg.id}: ${errorMessage(err)}`);
    } finally {
      this.#inflight.delete(w);
      w.freeSlot();
    }
  }

  /**
   * The first of: shutdown timeout, lease lost, attempt aborted (deadline, cancel), handler
   * settled. The shutdown timer, the lease, the deadline timer and cancel() call Work.end.
   */
  #race(w: Work, task: Task, ctx: TaskContext): Promise<Outcome> {
    racing = w;
    const outcome = new Promise<Outcome>(waitForOutcome);
    racing = undefined;
    if (this.#abandon.signal.aborted) w.end(SHUTDOWN);
    else {
      w.watchLease();
      if (!w.waiting) return outcome; // the lease was lost already
      if (w.aborted) w.end(ABORTED);
      else void this.#perform(w, task, ctx);
    }
    return outcome;
  }

  /** Runs the handler and ends the attempt's wait with its outcome (panics as HandlerPanicError). Never rejects. */
  async #perform(w: Work, task: Task, ctx: TaskContext): Promise<void> {
    try {
      if (!this.#handler) throw new Error('asynq: server cannot run with nil handler');
      await this.#handler.processTask(task, ctx);
      w.end(SUCCEEDED);
    } catch (thrown) {
      const err = toHandlerError(thrown);
      if (err instanceof HandlerPanicError) {
        this.#p.logger.error(`recovering from panic. See the stack trace below for details:\n${err.stack ?? err.message}`);
      }
      w.end({kind: 'settled', err});
    }
  }

  async #handleSuccess(w: Work): Promise<void> {
    const {msg} = w;
    if (this.#batching()) return this.#addOutcome(w);
    if (msg.retention > 0) {
      await this.#write(w, () => completeFailedText(msg), () => this.#p.rdb.markAsComplete(msg));
    } else {
      await this.#write(w, () => doneFailedText(msg), () => this.#p.rdb.done(msg));
    }
  }

  /** Successes are written in batches: under start() with a broker that has finishAndClaim (exec() is one fetch). */
  #batching(): boolean {
    return this.#p.rdb.finishAndClaim !== undefined && this.#loop !== undefined;
  }

  /** The limits a claim of queue q decides its tasks under (the gate's ClaimPlan; nothing to finish). */
  readonly #planFor = (q: string): ClaimPlan | undefined => this.#p.gate?.claimPlan(q, []);

  /**
   * Outcome batching: a success joins its queue's batch, written by one RDB.finishAndClaim call on
   * the next turn of the event loop (setImmediate: the tasks that finish meanwhile join it) or at
   * once when it holds the batch size (see BATCH_SIZE). Resolves once written, so shutdown (waitForWorkers) waits for
   * every write before the heartbeater stops; the task keeps its slot and its lease is extended
   * meanwhile. Not yet written when the process dies: the task is still active and the recoverer
   * takes it back when its lease expires, as after a crash in the middle of a done call.
   */
  #addOutcome(w: Work): Promise<void> {
    const q = w.msg.queue;
    let b = this.#outcomes.get(q);
    if (!b) {
      let resolve = (): void => {};
      const written = new Promise<void>((res) => (resolve = res));
      const batch: OutcomeBatch = {queue: q, workers: [], written, resolve, sent: false};
      this.#outcomes.set(q, batch);
      setImmediate(() => void this.#flush(batch));
      b = batch;
    }
    b.workers.push(w);
    if (b.workers.length >= this.#batchSize) void this.#flush(b);
    return b.written;
  }

  async #flush(b: OutcomeBatch): Promise<void> {
    if (b.sent) return;
    b.sent = true;
    if (this.#outcomes.get(b.queue) === b) this.#outcomes.delete(b.queue);
    try {
      await this.#writeOutcomes(b.queue, b.workers);
    } catch (err) {
      this.#p.logger.error(`Internal error while writing outcomes of queue "${b.queue}": ${errorMessage(err)}`);
    } finally {
      b.resolve();
    }
  }

  /**
   * One batch of successes of queue q: each finished (done, or markAsComplete with retention) and,
   * when q is the queue a dequeue would try first (#claimable), as many tasks of q claimed as the
   * batch frees slots, in one RDB.finishAndClaim call; the claimed tasks take over the finished
   * tasks' slots, the other slots are freed. A task whose local lease expired is skipped (the
   * recoverer finishes it); a failed write is handed to the syncer with the task's own script.
   */
  async #writeOutcomes(q: string, workers: Work[]): Promise<void> {
    const live: Work[] = [];
    for (const w of workers) {
      if (w.lease.isValid()) live.push(w);
      else {
        this.#p.logger.debug(`Lease of task id=${w.msg.id} expired; leaving it to the recoverer`);
        w.release();
      }
    }
    const msgs = live.map((w) => w.msg);
    // The successes' limit tokens: given back inside this call when the gate decides claims there (then before the claim), else by the gate now.
    const plan = this.#p.gate?.claimPlan(q, msgs);
    if (live.length === 0) return;
    const claim = this.#claimable(q, live.length);
    const sent = this.#p.rdb.finishAndClaim!(q, msgs, claim, this.#p.leaseMs, (bad) => this.#logBadData(bad), plan);
    // Nothing to claim: the slots can go now, as in #write (the call is queued on the connection).
    if (claim === 0) for (const w of live) w.release();
    let res: Awaited<typeof sent>;
    try {
      res = await sent;
    } catch (err) {
      live.forEach((w, i) => {
        w.release();
        this.#toSyncer(msgs[i]!, w, err);
      });
      return;
    }
    res.errors.forEach((err, i) => {
      if (err) this.#toSyncer(msgs[i]!, live[i]!, err);
    });
    live.forEach((w, i) => (i < res.claimed.length ? w.handOff() : w.release()));
    if (res.claimed.length > 0) this.#foundWork();
    for (const got of res.claimed) this.#startWorker(got.msg, got.leaseExpiresAt, got.admitted);
  }

  /** A success whose write failed: logged (unless Redis is unreachable) and retried by the syncer until its lease deadline. */
  #toSyncer(msg: TaskMessage, w: Work, err: unknown): void {
    const complete = msg.retention > 0;
    const text = `${complete ? completeFailedText(msg) : doneFailedText(msg)}: ${errorMessage(err)}`;
    if (!this.#p.outage.absorb(err)) this.#p.logger.warn(`${text}; Will retry syncing`);
    const fn = complete ? () => this.#p.rdb.markAsComplete(msg) : () => this.#p.rdb.done(msg);
    this.#p.syncer?.add({fn, errMsg: text, deadline: w.lease.deadline});
  }

  /**
   * How many of n freed slots may claim a task of queue q in the outcome write: all while fetching
   * and q is the queue a dequeue would try first (one queue; strict priority: the highest), none
   * otherwise; weighted: one per fresh queue order that starts with q, and every other order goes
   * to the next fetches (#draw), so each dequeue still follows one draw of its own and each queue
   * comes first with its probability.
   */
  #claimable(q: string, n: number): number {
    if (this.#fetch.signal.aborted || this.#p.gate?.excluded()?.has(q)) return 0;
    if (this.#onlyQueue !== undefined) return this.#onlyQueue === q ? n : 0;
    if (this.#p.strictPriority) return this.queues()[0] === q ? n : 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const order = this.queues();
      if (order[0] === q) c++;
      else if (this.#drawn.length < MAX_STASHED_DRAWS) this.#drawn.push(order);
    }
    return c;
  }

  async #handleFailure(w: Work, task: Task, ctx: TaskContext, err: Error): Promise<void> {
    const {msg} = w;
    await this.#callErrorHandler(task, err, ctx);
    const text = errorMessage(err);
    if (isRevokeTask(err)) {
      this.#p.logger.warn('revoke task', {taskId: msg.id});
      await this.#write(w, () => doneFailedText(msg), () => this.#p.rdb.done(msg));
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
  async #write(w: Work, errMsg: () => string, fn: () => Promise<void>): Promise<void> {
    if (!w.lease.isValid()) {
      this.#p.logger.debug(`Lease of task id=${w.msg.id} expired; leaving it to the recoverer`);
      return;
    }
    try {
      // The RDB methods queue their script on the connection before their first await, so the
      // slot can go now: the next dequeue of this connection runs after this write in Redis, and
      // Redis never holds more of our tasks in active than `concurrency`; on an auto-pipelining connection both
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

  /**
   * A task claimed by a call that was in flight when stop() came (a dequeue, or an outcome write's
   * claim; Redis may run a later enqueue first): a stopped server takes no new task, so it goes
   * back to the head of pending at once (requeue, as at shutdown) instead of starting. If that
   * write fails, the task stays active and the recoverer takes it back when its lease expires.
   */
  #giveBack(msg: TaskMessage): void {
    const run = {done: Promise.resolve()};
    run.done = this.#p.rdb.requeue(msg)
      .then(() => this.#p.logger.debug(`Pushed task id=${msg.id} back to queue: the processor is stopped`))
      .catch((err: unknown) => this.#p.logger.error(`Could not push task id=${msg.id} back to queue: ${errorMessage(err)}`))
      .finally(() => {
        this.#inflight.delete(run);
        this.#slots.release();
      });
    this.#inflight.add(run);
  }

  async #requeue(w: Work): Promise<void> {
    if (!w.lease.isValid()) return;
    try {
      await this.#p.rdb.requeue(w.msg);
      this.#p.logger.info(`Pushed task id=${w.msg.id} back to queue`);
    } catch (err) {
      this.#p.logger.error(`Could not push task id=${w.msg.id} back to queue: ${errorMessage(err)}`);
    }
  }
}
