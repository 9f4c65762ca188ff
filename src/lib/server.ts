/**
 * Server (Go asynq server.go): pulls tasks from Redis and runs a handler on them, with
 * the background components of Go asynq around it. States: new → active (start) → stopped (stop,
 * SIGTSTP: no new tasks, keeps heartbeating with status "stopped") → closed (shutdown). Illegal
 * transitions throw ServerStateError / ServerClosedError; shutting down twice is harmless.
 *
 *   const srv = new Server('redis://localhost:6379', {concurrency: 10, queues: {critical: 6, default: 3, low: 1}});
 *   await srv.run(mux);          // until SIGINT/SIGTERM, then a graceful shutdown
 */
import {availableParallelism, hostname} from 'node:os';
import {randomUUID} from 'node:crypto';
import {RDB} from './broker/rdb.js';
import {RDBGroups} from './broker/groups.js';
import {RDBState} from './broker/state.js';
import {LEASE_SECONDS} from './base/states.js';
import {realClock, type Clock} from './clock.js';
import {toMs, type Duration} from './duration.js';
import {RedisUnavailableError, ServerClosedError, ServerStateError, ValidationError, errorMessage} from './errors.js';
import {Aggregator, type GroupAggregator, type GroupAggregatorFunc} from './aggregator.js';
import {Forwarder} from './forwarder.js';
import {toHandler, type ErrorHandler, type ErrorHandlerFunc, type Handler, type HandlerFunc} from './handler.js';
import {Healthchecker, DEFAULT_HEALTH_CHECK_INTERVAL_MS, type HealthCheckFunc} from './healthchecker.js';
import {DEFAULT_HEARTBEAT_INTERVAL_MS, Heartbeater, type ServerStatus} from './heartbeater.js';
import {Janitor} from './janitor.js';
import {RDBLimits} from './broker/limits.js';
import {LimitGate} from './limits/gate.js';
import {normalizeLimits, type LimitSpec} from './limits/spec.js';
import {createLogger, withLevel, type Logger, type LogLevel} from './logger.js';
import {RedisOutageReporter} from './redis-outage.js';
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS, DEFAULT_TASK_CHECK_INTERVAL_MS, Processor, idleBackoffCeilingMs, normalizeQueues,
} from './processor.js';
import {DEFAULT_RECOVERER_INTERVAL_MS, LEASE_EXPIRY_GRACE_MS, Recoverer} from './recoverer.js';
import {closeRedisClient, createRedisClient, dropRedisClient, type RedisConnection, type RedisConnOpt} from './redis.js';
import type {IsFailureFunc, RetryDelayFunc} from './retry.js';
import {onStopSignals} from './signals.js';
import {PendingWatch} from './broker/pending-watch.js';
import {Subscriber} from './subscriber.js';
import {Syncer} from './syncer.js';

/** Go's defaults (server.go `NewServerFromRedisClient`). */
export const DEFAULT_DELAYED_TASK_CHECK_INTERVAL_MS = 5_000;
const DEFAULT_GROUP_GRACE_PERIOD_MS = 60_000;
export const DEFAULT_JANITOR_INTERVAL_MS = 8_000;
const DEFAULT_JANITOR_BATCH_SIZE = 100;

/**
 * Server configuration (Go asynq Config). Durations are milliseconds or strings like '8s'.
 * Zero or absent values take the defaults below, as Go's zero values do.
 */
export interface ServerOptions {
  /** Max tasks processed at once; default the number of CPUs (also when < 1). */
  concurrency?: number;
  /**
   * Queue → priority. Blank names and priorities ≤ 0 are dropped; nothing left → `{default: 1}`.
   * Priorities must be whole numbers.
   */
  queues?: Record<string, number>;
  /**
   * true: a lower-priority queue is served only when every higher one is empty. false (default):
   * weighted; a queue is tried first with probability priority / sum of priorities.
   */
  strictPriority?: boolean;
  /** Milliseconds before the next attempt of a failed task; default n⁴ + 15 + rand[0,30)·(n+1) s. */
  retryDelayFunc?: RetryDelayFunc;
  /** Whether an error counts as a failure (retried + 1, failed stats); default every error. */
  isFailure?: IsFailureFunc;
  /** Called once for every failed attempt (errors, timeouts, cancelations, revokes). */
  errorHandler?: ErrorHandler | ErrorHandlerFunc;
  /**
   * How long shutdown() lets running handlers finish before requeueing their tasks; default 8 s.
   * The whole shutdown ends within about this + 1 s, also while Redis is unreachable: a server that
   * created its connection then closes it, and the tasks whose outcome or requeue could not be
   * written stay active until their lease expires and a recoverer retries them.
   */
  shutdownTimeout?: Duration;
  /**
   * How long the lease on a task lasts without renewal; default 30 s (Go's fixed lease), at least
   * 5 s. The server renews the leases of its running tasks every 5 s, or every third of the lease
   * when that is shorter. A crashed worker's tasks are recovered
   * leaseDuration + recoveryGrace + up to recoveryInterval after its last renewal. Go-compatible:
   * the lease expiry is the score in `asynq:{<queue>}:lease`, which a Go recoverer reads too (it
   * then recovers the tasks of a crashed worker sooner, after its own 30 s grace).
   */
  leaseDuration?: Duration;
  /** How often the recoverer looks for tasks whose lease expired; default 1 min (Go's), at least 1 s. */
  recoveryInterval?: Duration;
  /**
   * How long a lease must have been expired before the recoverer takes its task: an allowance for
   * clock differences between the hosts (leases are written with the worker's clock and read with
   * the recoverer's). Default 30 s (Go's); 0 is allowed (no allowance) when the clocks agree, e.g.
   * NTP-synchronised. The tasks of Go workers keep their 30 s lease, renewed every 5 s, whatever
   * this server's settings.
   */
  recoveryGrace?: Duration;
  /** Called every healthCheckInterval with the result of a Redis PING (undefined = healthy). */
  healthCheckFunc?: HealthCheckFunc;
  /** Default 15 s. */
  healthCheckInterval?: Duration;
  /** How often scheduled and retry tasks are moved to pending; default 5 s. */
  delayedTaskCheckInterval?: Duration;
  /**
   * Idle poll interval when every queue is empty (actual sleep uniform in [0.5×, 1.5×)). Default:
   * 20 ms (Go: 1 s), doubling after each empty poll up to idleBackoffCeilingMs (90 ms for one
   * queue, 2 ms per queue, at most 1 s), back to 20 ms once a task is found; a task enqueued by an
   * asynq-ts client wakes the idle server at once (pub/sub), so the back-off only delays tasks
   * written by Go clients; a server with one queue waits on its pending list instead (BLMOVE of
   * the list onto itself, src/lib/broker/pending-watch.ts) and polls once a second besides. A
   * value given here is a fixed interval (no back-off, no waiting).
   */
  taskCheckInterval?: Duration;
  /** Aggregate a group once no task joined it for this long; default 1 min, at least 1 s. */
  groupGracePeriod?: Duration;
  /** Aggregate a group once its oldest task waited this long; default 0 = no limit. */
  groupMaxDelay?: Duration;
  /** Aggregate a group as soon as it holds this many tasks; default 0 = no limit. */
  groupMaxSize?: number;
  /** Turns a group's tasks into one task. Without it group keys are never touched. */
  groupAggregator?: GroupAggregator | GroupAggregatorFunc;
  /** How often expired completed tasks are deleted; default 8 s. */
  janitorInterval?: Duration;
  /** Completed tasks deleted per script call; default 100 (more logs a warning). */
  janitorBatchSize?: number;
  /** Where log lines go; default stderr in Go asynq's format. */
  logger?: Logger;
  /** Minimum level logged; default 'info'. */
  logLevel?: LogLevel;
  /** Time source (tests); default the real clock. */
  clock?: Clock;
  /** Called for every failed attempt to fetch a task (e.g. WorkerMetrics.dequeueError). */
  onDequeueError?: (err: unknown) => void;
  /**
   * Fleet-wide flow control (asynq-ts only; README "Rate limits and concurrency caps"): each entry
   * matches a queue and/or a task type pattern (`email:*`) and caps how many matching tasks run at
   * once (`concurrency`, Go x/rate's semaphore asynq:sema:<scope>) and/or how many start per
   * interval (`rate: {count, per, burst?}`) across every asynq-ts server on this Redis. A task over
   * a limit is not started: it waits in `scheduled` for the limit to free, not counted as failed.
   */
  limits?: LimitSpec[];
}

type State = 'new' | 'active' | 'stopped' | 'closed';

/** The shortest leaseDuration: the heartbeater renews leases every third of it. */
const MIN_LEASE_MS = 5_000;
const MIN_RECOVERY_INTERVAL_MS = 1_000;

/** How long after shutdownTimeout a shutdown may still wait for Redis before it drops the connection. */
const SHUTDOWN_GRACE_MS = 1_000;

/** A Duration option as milliseconds; ≤ 0 or absent → the default (Go's zero value). */
function durationOpt(d: Duration | undefined, name: string, def: number): number {
  if (d === undefined) return def;
  const ms = toMs(d, name);
  return ms > 0 ? ms : def;
}

function countOpt(n: number | undefined, name: string): number | undefined {
  if (n === undefined) return undefined;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new ValidationError(`${name} must be a number, got ${String(n)}`);
  return Math.trunc(n);
}

export class Server {
  readonly host = hostname();
  readonly pid = process.pid;
  readonly serverId = randomUUID();

  readonly #logger: Logger;
  readonly #client: RedisConnection;
  readonly #owned: boolean;
  readonly #shutdownTimeoutMs: number;
  readonly #rdb: RDB;
  readonly #processor: Processor;
  readonly #heartbeater: Heartbeater;
  /** ServerOptions.limits, when there are any. */
  readonly #limits?: LimitGate;
  readonly #syncer: Syncer;
  readonly #subscriber: Subscriber;
  readonly #forwarder: Forwarder;
  /** One queue and the default idle polling: the idle processor blocks on its pending list (src/lib/broker/pending-watch.ts). */
  readonly #pendingWatch?: PendingWatch;
  readonly #recoverer: Recoverer;
  readonly #janitor: Janitor;
  readonly #healthchecker?: Healthchecker;
  readonly #aggregator?: Aggregator;
  /** Says once that Redis is unreachable and once that it is back; the components hand it their failed commands. */
  readonly #outage: RedisOutageReporter;
  #state: State = 'new';
  #shutdown?: Promise<void>;
  #closedResolve!: () => void;
  /** Resolves when shutdown() has finished (run() waits for it). */
  readonly #closed = new Promise<void>((resolve) => (this.#closedResolve = resolve));

  /**
   * Builds the server and its components; nothing runs until start()/run(). Throws
   * ValidationError for bad options (before any connection is made). The Redis connection is
   * created here (unless an ioredis instance is passed), so call shutdown() even on a server that
   * was never started.
   */
  constructor(conn: RedisConnOpt, opts: ServerOptions = {}) {
    const clock = opts.clock ?? realClock;
    const level = opts.logLevel ?? 'info';
    const logger = opts.logger ? withLevel(opts.logger, level) : createLogger({level});
    const concurrency = countOpt(opts.concurrency, 'concurrency') ?? 0;
    const queues = normalizeQueues(opts.queues);
    const qnames = Object.keys(queues);
    const strictPriority = opts.strictPriority ?? false;
    const shutdownTimeoutMs = durationOpt(opts.shutdownTimeout, 'shutdownTimeout', DEFAULT_SHUTDOWN_TIMEOUT_MS);
    const healthCheckIntervalMs = durationOpt(opts.healthCheckInterval, 'healthCheckInterval', DEFAULT_HEALTH_CHECK_INTERVAL_MS);
    const delayedMs = durationOpt(opts.delayedTaskCheckInterval, 'delayedTaskCheckInterval', DEFAULT_DELAYED_TASK_CHECK_INTERVAL_MS);
    const taskCheckIntervalMs = durationOpt(opts.taskCheckInterval, 'taskCheckInterval', DEFAULT_TASK_CHECK_INTERVAL_MS);
    const gracePeriodMs = opts.groupGracePeriod === undefined || toMs(opts.groupGracePeriod, 'groupGracePeriod') === 0
      ? DEFAULT_GROUP_GRACE_PERIOD_MS : toMs(opts.groupGracePeriod, 'groupGracePeriod');
    if (gracePeriodMs < 1000) throw new ValidationError('GroupGracePeriod cannot be less than a second');
    const maxDelayMs = Math.max(0, opts.groupMaxDelay === undefined ? 0 : toMs(opts.groupMaxDelay, 'groupMaxDelay'));
    const maxSize = Math.max(0, countOpt(opts.groupMaxSize, 'groupMaxSize') ?? 0);
    const janitorIntervalMs = durationOpt(opts.janitorInterval, 'janitorInterval', DEFAULT_JANITOR_INTERVAL_MS);
    const leaseMs = durationOpt(opts.leaseDuration, 'leaseDuration', LEASE_SECONDS * 1000);
    if (leaseMs < MIN_LEASE_MS) throw new ValidationError(`leaseDuration must be at least ${MIN_LEASE_MS / 1000}s, got ${leaseMs} ms`);
    const recoveryIntervalMs = durationOpt(opts.recoveryInterval, 'recoveryInterval', DEFAULT_RECOVERER_INTERVAL_MS);
    if (recoveryIntervalMs < MIN_RECOVERY_INTERVAL_MS) {
      throw new ValidationError(`recoveryInterval must be at least ${MIN_RECOVERY_INTERVAL_MS / 1000}s, got ${recoveryIntervalMs} ms`);
    }
    const recoveryGraceMs = opts.recoveryGrace === undefined ? LEASE_EXPIRY_GRACE_MS : toMs(opts.recoveryGrace, 'recoveryGrace');
    if (recoveryGraceMs < 0) throw new ValidationError(`recoveryGrace cannot be negative, got ${recoveryGraceMs} ms`);
    const limits = normalizeLimits(opts.limits);
    const janitorBatchSize = Math.max(0, countOpt(opts.janitorBatchSize, 'janitorBatchSize') ?? 0) || DEFAULT_JANITOR_BATCH_SIZE;
    if (janitorBatchSize > DEFAULT_JANITOR_BATCH_SIZE) {
      logger.warn(`Janitor batch size of ${janitorBatchSize} is greater than the recommended batch size of ${DEFAULT_JANITOR_BATCH_SIZE}. This might cause a long-running script`);
    }

    const {client, owned} = createRedisClient(conn);
    // No auto-pipelining on the server's own connection: each command is written as it is sent.
    // Measured side by side (alternating rounds of 60,000 no-op tasks) after outcome writes and
    // claims became batched: 17.1k → 19.6k tasks/s at concurrency 10 and 26.2k → 37.9k at 100
    // without it (an auto-pipeline holds the turn's commands until the next one and copies the
    // scripts defined on the client onto each pipeline). A connection passed in stays as its owner
    // configured it.
    this.#client = client;
    this.#owned = owned;
    this.#shutdownTimeoutMs = shutdownTimeoutMs;
    this.#logger = logger;
    const rdb = (this.#rdb = new RDB(client, {clock}));
    const outage = (this.#outage = new RedisOutageReporter(client, logger, clock));
    const groups = new RDBGroups(rdb);
    const workers = concurrency >= 1 ? concurrency : availableParallelism();

    this.#syncer = new Syncer({logger, clock});
    const heartbeatMs = Math.min(DEFAULT_HEARTBEAT_INTERVAL_MS, Math.floor(leaseMs / 3));
    if (limits.length > 0) {
      this.#limits = new LimitGate({
        limits, rdb: new RDBLimits(rdb), logger, clock, onFree: () => this.#processor.wake(), graceMs: delayedMs + 1_000,
        server: {host: this.host, pid: this.pid, serverId: this.serverId}, publishIntervalMs: heartbeatMs,
        // Outside Redis Cluster the claim script decides the claimed tasks (the limit keys are in other slots on a Cluster).
        fuseClaims: !rdb.session.isCluster,
      });
    }
    // A server with one queue waits on it while idle instead of polling (the default back-off only:
    // an explicit taskCheckInterval is a fixed poll interval).
    if (qnames.length === 1 && opts.taskCheckInterval === undefined) this.#pendingWatch = new PendingWatch(client, qnames[0]!);
    this.#processor = new Processor({
      logger, rdb, queues, concurrency: workers, strictPriority, taskCheckIntervalMs, shutdownTimeoutMs, leaseMs,
      // An explicit taskCheckInterval is a fixed poll interval; by default the poll backs off.
      maxIdleIntervalMs: opts.taskCheckInterval === undefined ? idleBackoffCeilingMs(qnames.length) : taskCheckIntervalMs,
      retryDelayFunc: opts.retryDelayFunc, isFailure: opts.isFailure, errorHandler: opts.errorHandler, syncer: this.#syncer, clock, outage,
      onDequeueError: opts.onDequeueError, gate: this.#limits, pendingWatch: this.#pendingWatch,
    });
    this.#heartbeater = new Heartbeater({
      logger, state: new RDBState(rdb), rdb, host: this.host, pid: this.pid, serverId: this.serverId, concurrency: workers,
      queues, strictPriority, status: () => this.#status(), workers: () => this.#processor.activeWorkers(), clock, outage,
      leaseMs, intervalMs: heartbeatMs,
    });
    this.#subscriber = new Subscriber({
      logger, rdb, outage, onCancel: (id) => void this.#processor.cancel(id),
      wake: {queues: qnames, onWake: () => this.#processor.wake()},
    });
    this.#forwarder = new Forwarder({logger, rdb, queues: qnames, intervalMs: delayedMs, outage, onForward: () => this.#processor.wake()});
    this.#recoverer = new Recoverer({
      logger, rdb, groups, queues: qnames, clock, outage, intervalMs: recoveryIntervalMs, graceMs: recoveryGraceMs,
      ...(opts.retryDelayFunc ? {retryDelayFunc: opts.retryDelayFunc} : {}), ...(opts.isFailure ? {isFailure: opts.isFailure} : {}),
    });
    this.#janitor = new Janitor({logger, rdb, queues: qnames, intervalMs: janitorIntervalMs, batchSize: janitorBatchSize, clock, outage});
    if (opts.healthCheckFunc) {
      this.#healthchecker = new Healthchecker({logger, rdb, healthCheckFunc: opts.healthCheckFunc, intervalMs: healthCheckIntervalMs});
    }
    if (opts.groupAggregator) {
      this.#aggregator = new Aggregator({
        logger, rdb, groups, queues: qnames, gracePeriodMs, maxDelayMs, maxSize, groupAggregator: opts.groupAggregator, clock, outage,
      });
    }
  }

  /** 'new', 'active', 'stopped' or 'closed'. */
  get state(): State {
    return this.#state;
  }

  /**
   * Starts processing with the handler (a ServeMux, a Handler or a function) and returns once
   * Redis answered a PING and every component runs. Throws ValidationError for a missing handler,
   * RedisUnavailableError when Redis cannot be reached (the server stays new), ServerStateError
   * when already started or stopped, ServerClosedError after shutdown.
   */
  async start(handler: Handler | HandlerFunc): Promise<void> {
    let h: Handler;
    try {
      h = toHandler(handler);
    } catch {
      throw new ValidationError('asynq: server cannot run with nil handler');
    }
    switch (this.#state) {
      case 'active':
        throw new ServerStateError('asynq: the server is already running');
      case 'stopped':
        throw new ServerStateError('asynq: the server is in the stopped state. Waiting for shutdown.');
      case 'closed':
        throw new ServerClosedError();
    }
    this.#state = 'active';
    try {
      await this.#rdb.ping();
    } catch (err) {
      if (this.#state === 'active') this.#state = 'new';
      throw new RedisUnavailableError(`asynq: cannot connect to Redis: ${errorMessage(err)}`, {cause: err});
    }
    if (this.#state !== 'active') throw new ServerClosedError();
    this.#processor.setHandler(h);
    this.#outage.watch();
    this.#logger.info('Starting processing');
    // Go's start order: state and cancelation plumbing first, the task flow after.
    this.#heartbeater.start();
    this.#limits?.start();
    this.#healthchecker?.start();
    this.#subscriber.start();
    this.#syncer.start();
    this.#recoverer.start();
    this.#forwarder.start();
    this.#processor.start();
    this.#janitor.start();
    this.#aggregator?.start();
  }

  /**
   * Stops taking new tasks; running ones go on, and the server keeps heartbeating with status
   * "stopped" until shutdown() (Go Stop, SIGTSTP). Harmless when already stopped; throws
   * ServerStateError before start() and ServerClosedError after shutdown.
   */
  stop(): void {
    switch (this.#state) {
      case 'stopped':
        return;
      case 'new':
        throw new ServerStateError('asynq: the server is not running');
      case 'closed':
        throw new ServerClosedError();
    }
    this.#state = 'stopped';
    this.#logger.info('Stopping processor');
    this.#processor.stop();
    this.#pendingWatch?.close();
    this.#logger.info('Processor stopped');
  }

  /**
   * Graceful shutdown: stops fetching, waits up to shutdownTimeout for running handlers, requeues
   * the tasks still running (tail of pending, signals aborted), stops every component, clears the
   * server state and closes the Redis connection if the server created it. Idempotent: later calls
   * return the same promise. On a server never started it only closes the connection.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  /**
   * start(handler), then waits for SIGINT or SIGTERM and shuts down gracefully; resolves when the
   * server is closed (also when shutdown() is called elsewhere). SIGTSTP stops fetching (stop()).
   * The signal handlers (signals.ts onStopSignals) are removed at the first SIGINT/SIGTERM, so a
   * second one ends the process at once (Node's default), the usual "press Ctrl-C again to force".
   */
  async run(handler: Handler | HandlerFunc): Promise<void> {
    await this.start(handler);
    const dispose = onStopSignals({
      stop: () => void this.shutdown(),
      tstp: () => {
        if (this.#state === 'active') this.stop();
      },
    });
    try {
      await this.#closed;
    } finally {
      dispose();
    }
  }

  async #doShutdown(): Promise<void> {
    const wasRunning = this.#state === 'active' || this.#state === 'stopped';
    this.#state = 'closed';
    this.#failFast();
    const hardStop = wasRunning ? this.#armHardStop() : undefined;
    try {
      if (wasRunning) {
        this.#logger.info('Starting graceful shutdown');
        // The order matters: senders stop before their receivers (Go server.go Shutdown).
        // - forwarder first: nothing new becomes pending while we drain;
        // - processor next: it waits for (or requeues) the tasks in flight; it sends failed
        //   outcome writes to the syncer and its workers to the heartbeater, so both outlive it;
        // - recoverer after the processor, so it never races our own last writes;
        // - syncer then flushes every write the processor left behind;
        // - subscriber, janitor, aggregator, healthchecker: nothing depends on them any more (a
        //   cancel arriving now finds no task in flight and changes nothing);
        // - heartbeater last: the server stays visible (status "closed") until everything has
        //   stopped, and only then clears its server and workers keys.
        await this.#forwarder.shutdown();
        await this.#processor.shutdown();
        this.#pendingWatch?.close();
        await this.#recoverer.shutdown();
        await this.#syncer.shutdown();
        await this.#subscriber.shutdown();
        await this.#janitor.shutdown();
        await this.#aggregator?.shutdown();
        await this.#healthchecker?.shutdown();
        // The limits' published key goes with the server's own keys.
        await this.#limits?.shutdown();
        await this.#heartbeater.shutdown();
      }
      this.#outage.close();
      if (this.#owned) await closeRedisClient(this.#client);
      if (wasRunning) this.#logger.info('Exiting');
    } finally {
      clearTimeout(hardStop);
      this.#closedResolve();
    }
  }

  /**
   * From shutdown on, the server's own connection fails a command at the next failed reconnect
   * attempt instead of keeping it queued for 20 of them (ioredis maxRetriesPerRequest: ~10 s at the
   * start of an outage, ~40 s later on), as Go's commands fail at once while Redis is unreachable.
   * Otherwise every component would wait that long in turn, and a shutdown during an outage took
   * minutes. A Cluster client, which queues commands for as long as no node answers, ends at its
   * next failed reconnect instead (rejecting them). Nothing changes while the connection is up (if
   * it drops during the shutdown, the commands in flight fail rather than wait to be resent). A
   * connection passed in is left as its owner configured it.
   */
  #failFast(): void {
    if (!this.#owned) return;
    Object.assign(this.#client.options, this.#client.isCluster ? {clusterRetryStrategy: () => null} : {maxRetriesPerRequest: 0});
  }

  /**
   * Bounds a shutdown while Redis is unreachable or not answering: shutdownTimeout +
   * SHUTDOWN_GRACE_MS after it began, the server's own connection is closed, so every write still
   * waiting for Redis (outcome writes, the syncer's last attempt, requeues, clearing the server
   * state) fails at once and the remaining steps end. Without it, twenty completions that could not
   * be written took half a minute (the syncer tries them one by one, each failing only at the next
   * reconnect attempt). The tasks whose outcome was not written stay active with their lease, and
   * a recoverer retries them once it expires (at-least-once, as after a crash). A connection
   * passed in is left open.
   */
  #armHardStop(): NodeJS.Timeout | undefined {
    if (!this.#owned) return undefined;
    return setTimeout(() => {
      this.#logger.warn(`Shutdown still waiting for Redis ${this.#shutdownTimeoutMs + SHUTDOWN_GRACE_MS} ms after it began: closing the connection; tasks whose state could not be written are left to the recoverer`);
      dropRedisClient(this.#client);
    }, this.#shutdownTimeoutMs + SHUTDOWN_GRACE_MS);
  }

  #status(): ServerStatus {
    return this.#state === 'new' ? 'active' : this.#state;
  }
}
