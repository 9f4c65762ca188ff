/**
 * Scheduler: enqueues tasks on cron schedules (Go asynq's Scheduler, scheduler.go; its
 * Redis writes are rdb.go `WriteSchedulerEntries` and `RecordSchedulerEnqueueEvent`), plus what
 * Go lacks: several schedulers running the same entries
 * enqueue each tick exactly once.
 *
 * ```ts
 * const s = new Scheduler('redis://localhost:6379', {location: 'Europe/Berlin'});
 * s.register('0 9 * * 1-5', new Task('report:daily'), {queue: 'low'});
 * s.register('@every 30s', new Task('ping'));
 * await s.run();   // until SIGINT/SIGTERM
 * ```
 */
import {createHash, randomUUID} from 'node:crypto';
import {hostname} from 'node:os';
import {timestampFromDate, ZERO_TIME, type SchedulerEntry as WireSchedulerEntry} from './base/codec.js';
import {RDB} from './broker/rdb.js';
import {TickLocks, type TickLockRef} from './broker/scheduler-lock.js';
import {RDBState} from './broker/state.js';
import {Client} from './client.js';
import {realClock, unixSeconds, type Clock} from './clock.js';
import {checkTimeZone, parseCronSpec, type CronSchedule} from './cron-spec.js';
import {toMs, type Duration} from './duration.js';
import {AsynqError, DuplicateTaskError, errorMessage, FailedPreconditionError, ValidationError} from './errors.js';
import {createLogger, type Logger} from './logger.js';
import {mergeOptionLayers, optionStrings} from './option-strings.js';
import {planEnqueue, type TaskOptions} from './options.js';
import {closeRedisClient, createRedisClient, type RedisConnection, type RedisConnOpt} from './redis.js';
import {waitForSignals} from './signals.js';
import {sleep} from './sleep.js';
import {Task, type TaskInfo} from './task.js';
import {TickLoop} from './tick-loop.js';

/** How the scheduler waits for the next tick; tests pass one that never fires and call tick(). */
export interface SchedulerTimer {
  /** Resolves after `ms` milliseconds, or as soon as `signal` aborts. Never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface SchedulerOptions {
  /** IANA time zone the cron specs are read in (default 'UTC'); a spec's `CRON_TZ=` prefix overrides it. */
  location?: string;
  /**
   * Called before each enqueue with the task and the entry's options (Go PreEnqueueFunc). Awaited;
   * keep it quick. A throw is logged and does not stop the enqueue.
   */
  preEnqueueFunc?: (task: Task, opts: TaskOptions) => void | Promise<void>;
  /**
   * Called after each enqueue attempt with the TaskInfo or the error (Go PostEnqueueFunc), e.g.
   * DuplicateTaskError for a `unique` entry whose previous task still holds the lock. Not called
   * for a tick that another scheduler instance enqueued. Awaited; a throw is logged.
   */
  postEnqueueFunc?: (info: TaskInfo | null, err: Error | null) => void | Promise<void>;
  /** Default: asynq's text logger on stderr at level info. */
  logger?: Logger;
  /**
   * How often the entries are written to Redis for `asynq cron ls`/Asynqmon (default 10 s); they
   * expire after twice this interval.
   */
  heartbeatInterval?: Duration;
  /** Source of "now" (default the system clock). */
  clock?: Clock;
  /** Default: real timers. */
  timer?: SchedulerTimer;
}

/** A registered entry, as `entries()` reports it. */
export interface SchedulerEntryInfo {
  id: string;
  spec: string;
  task: Task;
  opts: TaskOptions;
  /** Go String() forms of the task's and the entry's options, as written to Redis. */
  optionStrings: string[];
  /** SHA-256 hex identifying the entry across processes (see periodicTaskIdentity). */
  identity: string;
  /** Next tick; null before start(). */
  next: Date | null;
  /** Last tick; null if none yet. */
  prev: Date | null;
}

interface Entry {
  id: string;
  spec: string;
  schedule: CronSchedule;
  task: Task;
  opts: TaskOptions;
  optionStrings: string[];
  identity: string;
  queue: string;
  next: Date | null;
  prev: Date | null;
  seq: number;
}

const DEFAULT_HEARTBEAT_MS = 10_000;

/**
 * How long a tick lock outlives the end of its tick window: covers clock skew and slow timers
 * between scheduler instances, which must stay well below this.
 */
const TICK_LOCK_MARGIN_MS = 60_000;

const realTimer: SchedulerTimer = {sleep};

/**
 * Identity of a periodic task across processes (Go PeriodicTaskConfig.hash): SHA-256 hex over the
 * cron spec, the task type, the payload bytes and the sorted option strings, concatenated. The
 * option strings are those of the task's own options merged with `opts` (so headers count, as
 * `Header(...)` strings) with times written in UTC, so the identity does not depend on the
 * scheduler's location.
 */
export function periodicTaskIdentity(cronspec: string, task: Task, opts?: TaskOptions | null): string {
  const h = createHash('sha256');
  h.update(cronspec, 'utf8');
  h.update(task.type, 'utf8');
  h.update(task.payload);
  for (const s of optionStrings(mergeOptionLayers(task.opts, opts)).sort()) h.update(s, 'utf8');
  return h.digest('hex');
}

async function callHook(logger: Logger, name: string, f: () => void | Promise<void>): Promise<void> {
  try {
    await f();
  } catch (err) {
    logger.error(`Scheduler ${name} threw: ${errorMessage(err)}`);
  }
}

/**
 * Kicks off tasks at regular intervals (Go Scheduler).
 *
 * **No duplicates across instances.** Before enqueueing a tick, a scheduler takes a short Redis
 * lock (`SET NX PX`) named after the entry's identity (periodicTaskIdentity: stable across
 * processes) and the tick's *nominal* time — the cron schedule's minute, never "now" — so
 * schedulers with the same entries enqueue each tick once, whatever their clock skew (up to about
 * a minute). The loser skips the tick silently: no hooks, no history. For `@every d` entries,
 * whose ticks depend on each instance's start time, the lock is per window of d aligned to the
 * Unix epoch: every instance ticks once per window, so each window's first tick wins and the
 * others skip (a scheduler restarted within a window also skips the tick its predecessor already
 * enqueued there). The lock key carries the queue's hash tag and expires a minute after its
 * window; the task itself is a normal asynq task with a random ID (or the entry's taskId), so Go
 * workers process it as any other.
 * Why a lock rather than a task ID derived from the tick: a derived ID only collides while the
 * first task still exists, so a peer a few hundred ms late would enqueue the tick again once a
 * fast worker had deleted the task; and with `unique` entries the uniqueness lock would answer
 * first, indistinguishable from a real duplicate.
 * If the enqueue fails with a Redis error the lock is released so a peer may still enqueue the
 * tick; a scheduler that dies between the lock and the enqueue loses that tick (at most once).
 *
 * **Heartbeat.** The entries are written to `asynq:schedulers:{<host>:<pid>:<uuid>}` (TTL twice
 * the heartbeat interval) right at start() and then every interval. Go writes the first one only
 * after one interval; writing at once makes a new scheduler visible to `asynq cron ls` and
 * Asynqmon immediately, and lets a scheduler that runs for less than one interval be seen at all.
 *
 * Each firing: preEnqueueFunc → Client.enqueue (all client rules apply: unique, group,
 * processIn…) → postEnqueueFunc(info, err) → on success a SchedulerEnqueueEvent (task ID, now) in
 * `asynq:scheduler_history:<entryId>` (newest 1000 kept).
 *
 * States: new → active (start) → closed (shutdown). start() twice or after shutdown rejects with
 * FailedPreconditionError; shutdown() before start() only releases the connection, and a second
 * shutdown() does nothing.
 */
export class Scheduler {
  /** `<hostname>:<pid>:<uuid>`, as Go. */
  readonly id: string;
  readonly location: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #timer: SchedulerTimer;
  readonly #heartbeatMs: number;
  readonly #pre?: SchedulerOptions['preEnqueueFunc'];
  readonly #post?: SchedulerOptions['postEnqueueFunc'];
  readonly #conn: RedisConnection;
  readonly #ownsConn: boolean;
  readonly #client: Client;
  readonly #state: RDBState;
  readonly #tickLocks: TickLocks;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Set<Promise<void>>();
  #seq = 0;
  #status: 'new' | 'active' | 'closed' = 'new';
  #heartbeat?: TickLoop;
  #loop?: Promise<void>;
  #wake = new AbortController();

  /**
   * @param conn where Redis is (URI, option object, or an ioredis instance, which stays the
   *   caller's: shutdown() then leaves it open).
   * Throws ValidationError for a bad location, heartbeat interval or connection option.
   */
  constructor(conn: RedisConnOpt, opts: SchedulerOptions = {}) {
    this.location = checkTimeZone(opts.location ?? 'UTC', 'scheduler location');
    this.#heartbeatMs = opts.heartbeatInterval === undefined ? DEFAULT_HEARTBEAT_MS : toMs(opts.heartbeatInterval, 'heartbeatInterval');
    if (!(this.#heartbeatMs >= 1000)) throw new ValidationError('heartbeatInterval must be at least 1s');
    this.#logger = opts.logger ?? createLogger();
    this.#clock = opts.clock ?? realClock;
    this.#timer = opts.timer ?? realTimer;
    this.#pre = opts.preEnqueueFunc;
    this.#post = opts.postEnqueueFunc;
    const {client, owned} = createRedisClient(conn);
    this.#conn = client;
    this.#ownsConn = owned;
    this.#client = new Client(client, {clock: this.#clock});
    const rdb = new RDB(client, {clock: this.#clock});
    this.#state = new RDBState(rdb);
    this.#tickLocks = new TickLocks(rdb);
    this.id = `${hostname()}:${process.pid}:${randomUUID()}`;
  }

  /**
   * Registers a task to be enqueued on `cronspec` (see cron-spec.ts: 5 fields, `@daily`…,
   * `@every 30s`, `CRON_TZ=` prefix) with `opts` layered over the task's own options, and returns
   * the new entry's ID (a UUIDv4). Works before and while the scheduler runs; a running scheduler
   * computes the first tick from now. Throws ValidationError for a bad spec, task or option
   * (nothing registered), FailedPreconditionError after shutdown.
   */
  register(cronspec: string, task: Task, opts?: TaskOptions): string {
    if (this.#status === 'closed') throw new FailedPreconditionError('asynq: the scheduler has already been stopped');
    const schedule = parseCronSpec(cronspec, this.location);
    if (!(task instanceof Task)) throw new ValidationError('expected a Task (new Task(type, payload, opts))');
    const options: TaskOptions = {...opts};
    // The same checks the Client makes at every firing, now, so a bad entry fails at registration.
    const plan = planEnqueue(task, [options], this.#clock.now());
    const entry: Entry = {
      id: randomUUID(),
      spec: cronspec,
      schedule,
      task,
      opts: options,
      optionStrings: optionStrings(mergeOptionLayers(task.opts, options), schedule.timeZone),
      identity: periodicTaskIdentity(cronspec, task, options),
      queue: plan.msg.queue,
      next: null,
      prev: null,
      seq: this.#seq++,
    };
    if (this.#status === 'active') entry.next = this.#nextTick(entry, this.#clock.now());
    this.#entries.set(entry.id, entry);
    this.#wakeLoop();
    return entry.id;
  }

  /**
   * Removes an entry; it fires no more (a firing already under way completes). Its history stays
   * in Redis (Go: only entries still registered at shutdown have their history deleted).
   * Throws ValidationError when no entry has this ID.
   */
  unregister(entryId: string): void {
    if (!this.#entries.delete(entryId)) throw new ValidationError(`asynq: no scheduler entry found with id "${entryId}"`);
    this.#wakeLoop();
  }

  /** The registered entries, ordered by next tick (as Go's cron lists them), then by registration. */
  entries(): SchedulerEntryInfo[] {
    return this.#sorted().map((e) => ({
      id: e.id, spec: e.spec, task: e.task, opts: {...e.opts}, optionStrings: [...e.optionStrings],
      identity: e.identity, next: e.next, prev: e.prev,
    }));
  }

  /**
   * Starts the timer loop and the heartbeat (the first heartbeat is written before this resolves).
   * Rejects with FailedPreconditionError if already running or shut down.
   */
  async start(): Promise<void> {
    if (this.#status === 'active') throw new FailedPreconditionError('asynq: the scheduler is already running');
    if (this.#status === 'closed') throw new FailedPreconditionError('asynq: the scheduler has already been stopped');
    this.#status = 'active';
    this.#logger.info('Scheduler starting');
    this.#logger.info(`Scheduler timezone is set to ${this.location}`);
    const now = this.#clock.now();
    for (const e of this.#entries.values()) e.next = this.#nextTick(e, now);
    await this.heartbeat();
    this.#heartbeat = new TickLoop({
      name: 'Scheduler heartbeater', logger: this.#logger, intervalMs: this.#heartbeatMs, tick: () => this.heartbeat(),
    });
    this.#heartbeat.start();
    this.#loop = this.#run();
  }

  /**
   * Starts the scheduler and runs until SIGINT or SIGTERM (or until `signal` aborts), then shuts
   * down gracefully.
   */
  async run(opts: {signal?: AbortSignal} = {}): Promise<void> {
    await this.start();
    await waitForSignals(opts.signal);
    await this.shutdown();
  }

  /**
   * Stops the scheduler: no more ticks or heartbeats; removes the entries key and its
   * `asynq:schedulers` member; waits for firings under way; deletes the history of every entry
   * still registered; closes the Redis connection if the scheduler created it. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#status !== 'active') {
      if (this.#status === 'new') await this.#close();
      this.#status = 'closed';
      return;
    }
    this.#status = 'closed';
    this.#logger.info('Scheduler shutting down');
    this.#wake.abort();
    await this.#loop;
    await this.#heartbeat?.stop();
    try {
      await this.#state.clearSchedulerEntries(this.id);
    } catch (err) {
      this.#logger.warn(`Scheduler could not clear its entries: ${errorMessage(err)}`);
    }
    await Promise.all([...this.#inFlight]);
    for (const e of this.#entries.values()) {
      try {
        await this.#state.clearSchedulerHistory(e.id);
      } catch (err) {
        this.#logger.warn(`Could not clear scheduler history for entry "${e.id}": ${errorMessage(err)}`);
      }
    }
    await this.#close();
    this.#logger.info('Scheduler stopped');
  }

  /**
   * Fires every entry due at `now` (next tick <= now) and waits for those firings; each entry's
   * prev becomes its tick and next the first tick after `now`. The timer loop calls this; tests
   * call it directly with a controlled clock. Entries have no tick before start(). Never rejects.
   */
  async tick(now: Date = this.#clock.now()): Promise<void> {
    const jobs: Array<Promise<void>> = [];
    for (const e of this.#sorted()) {
      if (e.next === null || e.next.getTime() > now.getTime()) continue;
      const at = e.next;
      e.prev = at;
      e.next = this.#nextTick(e, now);
      jobs.push(this.#track(this.#fire(e, at)));
    }
    await Promise.all(jobs);
  }

  /** Writes the current entries to Redis (Go beat); called at start and every heartbeat interval. Never rejects. */
  async heartbeat(): Promise<void> {
    const entries: WireSchedulerEntry[] = this.#sorted().map((e) => ({
      id: e.id,
      spec: e.spec,
      taskType: e.task.type,
      taskPayload: e.task.payload,
      enqueueOptions: e.optionStrings,
      nextEnqueueTime: e.next === null ? ZERO_TIME : timestampFromDate(e.next),
      prevEnqueueTime: e.prev === null ? ZERO_TIME : timestampFromDate(e.prev),
    }));
    try {
      await this.#state.writeSchedulerEntries(this.id, entries, Math.max(1, Math.ceil((2 * this.#heartbeatMs) / 1000)));
    } catch (err) {
      this.#logger.warn(`Scheduler could not write heartbeat data: ${errorMessage(err)}`);
    }
  }

  /** The entry's first tick after `now`; null (never fires again) if the spec has none. */
  #nextTick(e: Entry, now: Date): Date | null {
    try {
      return e.schedule.next(now);
    } catch (err) {
      this.#logger.error(`Scheduler entry ${e.id} (${JSON.stringify(e.spec)}) will not fire again: ${errorMessage(err)}`);
      return null;
    }
  }

  /** Entries ordered by next tick (unset last), then registration order. */
  #sorted(): Entry[] {
    const key = (e: Entry): number => (e.next === null ? Infinity : e.next.getTime());
    return [...this.#entries.values()].sort((a, b) => key(a) - key(b) || a.seq - b.seq);
  }

  #wakeLoop(): void {
    if (this.#status !== 'active') return;
    this.#wake.abort();
    this.#wake = new AbortController();
  }

  #track(p: Promise<void>): Promise<void> {
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
    return p;
  }

  /** robfig's run loop: sleep until the earliest next tick (or a register/unregister), then fire. */
  async #run(): Promise<void> {
    while (this.#status === 'active') {
      const wake = this.#wake;
      const now = this.#clock.now();
      const first = this.#sorted()[0];
      const wait = first?.next ? first.next.getTime() - now.getTime() : Infinity;
      if (wait > 0) {
        await this.#timer.sleep(wait === Infinity ? 2 ** 31 - 1 : wait, wake.signal);
        continue;
      }
      void this.tick(now); // firings run on their own (tracked for shutdown), as robfig starts a goroutine per job
    }
  }

  /** The lock of one tick: nominal unix seconds for cron specs, the epoch-aligned window for @every. */
  #tickLock(e: Entry, at: Date): {ref: TickLockRef; ttlMs: number} {
    const sec = unixSeconds(at);
    const every = e.schedule.everyMs;
    if (every === undefined) {
      return {ref: {queue: e.queue, identity: e.identity, tick: sec}, ttlMs: at.getTime() + TICK_LOCK_MARGIN_MS - this.#clock.now().getTime()};
    }
    const window = Math.floor((sec * 1000) / every);
    const windowEnd = (window + 1) * every;
    return {ref: {queue: e.queue, identity: e.identity, tick: window}, ttlMs: windowEnd + TICK_LOCK_MARGIN_MS - this.#clock.now().getTime()};
  }

  /** One firing (Go enqueueJob.Run), after winning the tick's lock. Never rejects. */
  async #fire(e: Entry, at: Date): Promise<void> {
    const {ref, ttlMs} = this.#tickLock(e, at);
    let lockErr: unknown;
    try {
      if (!(await this.#tickLocks.acquire(ref, this.id, ttlMs))) {
        this.#logger.debug(`Scheduler entry ${e.id} (${e.spec}, ${e.task.type}): tick ${at.toISOString()} already enqueued by another scheduler`);
        return;
      }
    } catch (err) {
      lockErr = err;
    }
    if (this.#pre) await callHook(this.#logger, 'preEnqueueFunc', () => this.#pre!(e.task, {...e.opts}));
    let info: TaskInfo | null = null;
    let error: Error | null = null;
    if (lockErr !== undefined) error = lockErr instanceof Error ? lockErr : new Error(String(lockErr));
    else {
      try {
        info = await this.#client.enqueue(e.task, e.opts);
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (this.#post) await callHook(this.#logger, 'postEnqueueFunc', () => this.#post!(info, error));
    if (error !== null || info === null) {
      this.#logEnqueueError(e, error);
      // A transport failure may be ours alone: give the tick back so a peer can still enqueue it
      // (bad data, a key of the wrong type, may be repaired before a peer's try, so it too).
      // Other errors (duplicate, ID conflict, bad option) would hit every peer alike.
      const transport = !(error instanceof AsynqError) || error.code === 'REDIS_COMMAND' || error.code === 'REDIS_UNAVAILABLE' ||
        error.code === 'BAD_DATA';
      if (lockErr === undefined && transport) await this.#tickLocks.release(ref).catch(() => {});
      return;
    }
    this.#logger.debug(`Scheduler enqueued a task: id=${info.id} type=${info.type} queue=${info.queue} entry=${e.id}`);
    try {
      await this.#state.recordSchedulerEnqueueEvent(e.id, {taskId: info.id, enqueueTime: timestampFromDate(this.#clock.now())});
    } catch (err) {
      this.#logger.warn(`Scheduler could not record enqueue event of enqueued task ${info.id}: ${errorMessage(err)}`);
    }
  }

  #logEnqueueError(e: Entry, err: Error | null): void {
    const what = `entry ${e.id} (spec ${JSON.stringify(e.spec)}, task ${JSON.stringify(e.task.type)})`;
    if (err instanceof DuplicateTaskError) this.#logger.info(`Scheduler skipped ${what}: ${err.message} (unique)`);
    else this.#logger.error(`Scheduler could not enqueue ${what}: ${errorMessage(err)}`);
  }

  async #close(): Promise<void> {
    await this.#client.close();
    if (this.#ownsConn) await closeRedisClient(this.#conn);
  }
}
