/**
 * PeriodicTaskManager: keeps a Scheduler's entries in sync with a config provider (Go asynq's
 * periodic_task_manager.go).
 *
 * ```ts
 * const mgr = new PeriodicTaskManager({
 *   redis: 'redis://localhost:6379',
 *   provider: new FilePeriodicTaskConfigProvider('periodic.yml'),
 *   syncInterval: '10s',
 * });
 * await mgr.run();   // until SIGINT/SIGTERM
 * ```
 */
import {realClock, type Clock} from './clock.js';
import {parseCronSpec} from './cron-spec.js';
import {toMs, type Duration} from './duration.js';
import {errorMessage, FailedPreconditionError, ValidationError} from './errors.js';
import {createLogger, type Logger} from './logger.js';
import {planEnqueue, type TaskOptions} from './options.js';
import type {RedisConnOpt} from './redis.js';
import {periodicTaskIdentity, Scheduler, type SchedulerEntryInfo, type SchedulerOptions} from './scheduler.js';
import {waitForSignals} from './signals.js';
import {Task} from './task.js';
import {TickLoop} from './tick-loop.js';

/** One periodic task (Go PeriodicTaskConfig). */
export interface PeriodicTaskConfig {
  /** Required, non-empty: see cron-spec.ts. */
  cronspec: string;
  /** Required. */
  task: Task;
  /** Layered over the task's own options at every enqueue. */
  opts?: TaskOptions;
}

/** Where the manager gets its configs from (Go PeriodicTaskConfigProvider); called at start and every sync. */
export interface PeriodicTaskConfigProvider {
  getConfigs(): Promise<PeriodicTaskConfig[]> | PeriodicTaskConfig[];
}

export interface PeriodicTaskManagerOptions {
  /** Where Redis is (URI, option object or ioredis instance). `conn` is an alias. */
  redis?: RedisConnOpt;
  conn?: RedisConnOpt;
  /** Required. */
  provider: PeriodicTaskConfigProvider;
  /** How often the provider is asked again (default 3 min). */
  syncInterval?: Duration;
  /** Options of the underlying Scheduler (location, hooks, logger, heartbeatInterval, clock, timer). */
  schedulerOpts?: SchedulerOptions;
}

const DEFAULT_SYNC_MS = 3 * 60_000;

/**
 * Registers the provider's configs with a Scheduler and re-syncs them every `syncInterval`
 * (Go PeriodicTaskManager).
 *
 * - A config is identified by periodicTaskIdentity (SHA-256 over cronspec, task type, payload and
 *   sorted option strings). At each sync, configs whose identity disappeared are unregistered and
 *   new identities registered; unchanged configs keep their entry IDs (and their history). A
 *   changed config is therefore a removal plus an addition. Identical configs count once.
 * - Each round is all or nothing: every config is checked first (task, non-empty cronspec that
 *   parses, options the Client accepts). A provider error or one invalid config makes start()
 *   reject (nothing left running) or, later, skips that sync round: the entries of the last good
 *   round keep running and an error is logged (for the YAML provider it names file and line).
 *
 * States: new → active (start) → closed (shutdown, or a failed start). It cannot be restarted.
 */
export class PeriodicTaskManager {
  readonly scheduler: Scheduler;
  readonly #provider: PeriodicTaskConfigProvider;
  readonly #syncMs: number;
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** identity → entry ID of what is registered. */
  readonly #registered = new Map<string, string>();
  #status: 'new' | 'active' | 'closed' = 'new';
  #loop?: TickLoop;
  #syncing: Promise<void> = Promise.resolve();

  /** Throws ValidationError for a missing provider or connection, or bad options. */
  constructor(opts: PeriodicTaskManagerOptions) {
    if (!opts || typeof opts !== 'object') throw new ValidationError('PeriodicTaskManager needs {redis, provider}');
    if (!opts.provider || typeof opts.provider.getConfigs !== 'function') {
      throw new ValidationError('PeriodicTaskManager: provider cannot be empty (an object with getConfigs())');
    }
    const conn = opts.redis ?? opts.conn;
    if (conn === undefined || conn === null) throw new ValidationError('PeriodicTaskManager: redis (the Redis connection) cannot be empty');
    this.#syncMs = opts.syncInterval === undefined ? DEFAULT_SYNC_MS : toMs(opts.syncInterval, 'syncInterval');
    if (!(this.#syncMs >= 1000)) throw new ValidationError('syncInterval must be at least 1s');
    this.#provider = opts.provider;
    this.#logger = opts.schedulerOpts?.logger ?? createLogger();
    this.#clock = opts.schedulerOpts?.clock ?? realClock;
    this.scheduler = new Scheduler(conn, {...opts.schedulerOpts, logger: this.#logger});
  }

  /** The scheduler's entries (ID, spec, task, options, next/prev tick). */
  entries(): SchedulerEntryInfo[] {
    return this.scheduler.entries();
  }

  /**
   * Reads the configs, registers them all and starts the scheduler and the sync loop (first
   * re-sync after one interval). Rejects with `asynq: initial call to getConfigs failed: …` or
   * `asynq: initial call to getConfigs contained an invalid config: …`; the manager is then shut
   * down (its connection released). FailedPreconditionError when already started or shut down.
   */
  async start(): Promise<void> {
    if (this.#status !== 'new') throw new FailedPreconditionError(`asynq: the periodic task manager is ${this.#status === 'active' ? 'already running' : 'shut down'}`);
    this.#status = 'active';
    try {
      let configs: PeriodicTaskConfig[];
      try {
        configs = await this.#provider.getConfigs();
      } catch (err) {
        throw new ValidationError(`asynq: initial call to getConfigs failed: ${errorMessage(err)}`, {cause: err});
      }
      const problem = this.#invalid(configs);
      if (problem !== undefined) throw new ValidationError(`asynq: initial call to getConfigs contained an invalid config: ${problem}`);
      this.#apply(configs);
      await this.scheduler.start();
    } catch (err) {
      this.#status = 'closed';
      await this.scheduler.shutdown();
      throw err;
    }
    this.#loop = new TickLoop({name: 'Periodic task syncer', logger: this.#logger, intervalMs: this.#syncMs, tick: () => this.sync()});
    this.#loop.start();
  }

  /**
   * One sync round (the loop calls it every syncInterval; public for tests and for a reload on
   * demand). Rounds never overlap. Never rejects: problems are logged and the current entries kept.
   */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#syncOnce());
    return this.#syncing;
  }

  /** Starts, runs until SIGINT/SIGTERM (or `signal` aborts), then shuts down. */
  async run(opts: {signal?: AbortSignal} = {}): Promise<void> {
    await this.start();
    await waitForSignals(opts.signal);
    await this.shutdown();
  }

  /** Stops the sync loop, then the scheduler (see Scheduler.shutdown). Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#status === 'closed') return;
    this.#status = 'closed';
    await this.#loop?.stop();
    await this.#syncing;
    await this.scheduler.shutdown();
    this.#logger.debug('PeriodicTaskManager exiting');
  }

  async #syncOnce(): Promise<void> {
    if (this.#status !== 'active') return;
    let configs: PeriodicTaskConfig[];
    try {
      configs = await this.#provider.getConfigs();
    } catch (err) {
      this.#logger.error(`Failed to get periodic task configs, keeping the ${this.#registered.size} current entries: ${errorMessage(err)}`);
      return;
    }
    const problem = this.#invalid(configs);
    if (problem !== undefined) {
      this.#logger.error(`Failed to sync: getConfigs returned an invalid config, keeping the ${this.#registered.size} current entries: ${problem}`);
      return;
    }
    // Rewrite the entries in Redis at once when they changed, so `asynq cron ls` and Asynqmon do
    // not show the old set until the scheduler's next heartbeat.
    if (this.#status === 'active' && this.#apply(configs)) await this.scheduler.heartbeat();
  }

  /** The first problem of a config list, if any (Go validatePeriodicTaskConfig, plus spec and option checks). */
  #invalid(configs: unknown): string | undefined {
    if (!Array.isArray(configs)) return 'getConfigs must return an array of configs';
    for (const [i, c] of (configs as unknown[]).entries()) {
      const at = `config #${i + 1}`;
      if (c === null || typeof c !== 'object') return `${at}: PeriodicTaskConfig cannot be empty`;
      const {cronspec, task, opts} = c as Partial<PeriodicTaskConfig>;
      if (task === undefined || task === null) return `${at}: PeriodicTaskConfig.task cannot be empty`;
      if (!(task instanceof Task)) return `${at}: PeriodicTaskConfig.task must be a Task`;
      if (typeof cronspec !== 'string' || cronspec.trim() === '') return `${at}: PeriodicTaskConfig.cronspec cannot be empty`;
      try {
        parseCronSpec(cronspec, this.scheduler.location);
        planEnqueue(task, [opts], this.#clock.now());
      } catch (err) {
        return `${at} (cronspec ${JSON.stringify(cronspec)}, task ${JSON.stringify(task.type)}): ${errorMessage(err)}`;
      }
    }
    return undefined;
  }

  /** Unregisters removed identities, registers new ones (Go diffRemoved/diffAdded). True when anything changed. */
  #apply(configs: readonly PeriodicTaskConfig[]): boolean {
    let changed = false;
    const wanted = new Map<string, PeriodicTaskConfig>();
    for (const c of configs) {
      const id = periodicTaskIdentity(c.cronspec, c.task, c.opts);
      if (wanted.has(id)) this.#logger.warn(`Ignoring a duplicate periodic task config: cronspec=${JSON.stringify(c.cronspec)} task=${JSON.stringify(c.task.type)}`);
      else wanted.set(id, c);
    }
    for (const [identity, entryId] of [...this.#registered]) {
      if (wanted.has(identity)) continue;
      try {
        this.scheduler.unregister(entryId);
        changed = true;
        this.#logger.info(`Successfully unregistered periodic task: entryID=${entryId}`);
      } catch (err) {
        this.#logger.error(`Failed to unregister periodic task: ${errorMessage(err)}`);
      }
      this.#registered.delete(identity);
    }
    for (const [identity, c] of wanted) {
      if (this.#registered.has(identity)) continue;
      try {
        const entryId = this.scheduler.register(c.cronspec, c.task, c.opts);
        this.#registered.set(identity, entryId);
        changed = true;
        this.#logger.info(`Successfully registered periodic task: cronspec=${JSON.stringify(c.cronspec)} task=${JSON.stringify(c.task.type)}, entryID=${entryId}`);
      } catch (err) {
        this.#logger.error(`Failed to register periodic task: cronspec=${JSON.stringify(c.cronspec)} task=${JSON.stringify(c.task.type)}: ${errorMessage(err)}`);
      }
    }
    return changed;
  }
}
