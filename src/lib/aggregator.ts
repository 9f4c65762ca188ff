/**
 * Aggregator (Go asynq aggregator.go): only built when the server has a group aggregator. Every
 * `intervalMs` (default min(7 s, grace period)) it checks, for each queue of the server and each
 * group listed in `asynq:{q}:groups`, whether the group is ready (size ≥ maxSize, oldest task ≥
 * maxDelay old, or no new task for the grace period). A ready group's tasks move into an
 * aggregation set; the aggregator builds Task objects from them (type, payload, headers; arrival
 * order), asks the GroupAggregator for one task, enqueues it into the same queue (the queue is
 * forced; the returned task's other options apply) and deletes the set with the original tasks.
 * A task of the set that cannot be processed (undecodable message, a task key of another type) is
 * moved aside to the queue's corrupt zset and logged at error level with its id; the rest of the
 * set is aggregated (a set left with no task is only deleted).
 * If anything fails before the delete, the set stays and the recoverer merges it back into its
 * group after its deadline (2 min): at-least-once, duplicates possible after a crash.
 *
 * At most 3 checks run at once; a tick that finds 3 running is skipped with a warning. A
 * GroupAggregator that never settles keeps its check in flight, and shutdown() waits for it (as Go).
 */
import {movedAsideText, type RDB} from './broker/rdb.js';
import type {RDBGroups} from './broker/groups.js';
import {Client} from './client.js';
import type {Clock} from './clock.js';
import {errorMessage, ValidationError} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {Task} from './task.js';
import {TickLoop} from './tick-loop.js';

/** Go's GroupAggregator: turns the tasks of one group into one task. May be async. */
export interface GroupAggregator {
  aggregate(group: string, tasks: Task[]): Task | Promise<Task>;
}
/** Go's GroupAggregatorFunc. */
export type GroupAggregatorFunc = (group: string, tasks: Task[]) => Task | Promise<Task>;

/** Maximum number of aggregation checks in flight (Go maxConcurrentAggregationChecks). */
const MAX_CONCURRENT_AGGREGATION_CHECKS = 3;
/** Go defaultAggregationCheckInterval; a shorter grace period is used instead when given. */
const DEFAULT_AGGREGATION_CHECK_INTERVAL_MS = 7000;

export interface AggregatorParams {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  /** The server's broker; the aggregated task is enqueued through a Client on its connection. */
  rdb: Pick<RDB, 'client' | 'clock'>;
  groups: Pick<RDBGroups, 'listGroups' | 'aggregationCheck' | 'readAggregationSet' | 'deleteAggregationSet'>;
  /** Queues of this server; only their groups are aggregated. */
  queues: string[];
  /** Aggregate a group once no task was added for this long; ≥ 1000 ms (ValidationError otherwise). Whole seconds count. */
  gracePeriodMs: number;
  /** Aggregate a group once its oldest task waited this long; 0 = no limit. Whole seconds count. */
  maxDelayMs: number;
  /** Aggregate as soon as a group holds this many tasks (taking that many); 0 = no limit. */
  maxSize: number;
  groupAggregator: GroupAggregator | GroupAggregatorFunc;
  /** Check interval; default min(7 s, gracePeriodMs). */
  intervalMs?: number;
  /** Default: the RDB's clock (the aggregation check uses it too). */
  clock?: Clock;
}

/** Go's %q for the log lines. */
const q = (s: string): string => JSON.stringify(s);

export class Aggregator {
  readonly #p: Required<AggregatorParams>;
  readonly #loop: TickLoop;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #client: Client;

  constructor(params: AggregatorParams) {
    if (!(params.gracePeriodMs >= 1000)) {
      throw new ValidationError(`GroupGracePeriod cannot be less than a second (got ${params.gracePeriodMs} ms)`);
    }
    if (!(params.maxDelayMs >= 0)) throw new ValidationError(`GroupMaxDelay cannot be negative (got ${params.maxDelayMs} ms)`);
    if (!Number.isSafeInteger(params.maxSize) || params.maxSize < 0) {
      throw new ValidationError(`GroupMaxSize must be a whole number ≥ 0 (got ${params.maxSize})`);
    }
    if (params.intervalMs !== undefined && !(params.intervalMs > 0)) {
      throw new ValidationError(`aggregation check interval must be positive (got ${params.intervalMs} ms)`);
    }
    this.#p = {
      ...params,
      intervalMs: params.intervalMs ?? Math.min(DEFAULT_AGGREGATION_CHECK_INTERVAL_MS, params.gracePeriodMs),
      clock: params.clock ?? params.rdb.clock,
      outage: params.outage ?? NO_OUTAGE_REPORTER,
    };
    // Go's aggregator holds a Client on the server's broker: the same option composition and scripts.
    this.#client = new Client(params.rdb.client, {clock: this.#p.clock});
    this.#loop = new TickLoop({
      name: 'Aggregator', logger: this.#p.logger, intervalMs: this.#p.intervalMs,
      // Like Go's ticker, a tick does not wait for its check: slow checks overlap up to the limit.
      tick: () => void this.exec(),
      drain: async () => {
        this.#p.logger.debug('Waiting for all aggregation checks to finish...');
        await Promise.all(this.#inFlight);
      },
    });
  }

  /** The check interval in use. */
  get intervalMs(): number {
    return this.#p.intervalMs;
  }

  /** Starts the loop (first check after one interval). Idempotent. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop and waits for every running check. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * One tick: starts an aggregation check over every queue and group with the clock's now, and
   * resolves when that check is done. With 3 checks already running it logs a warning and skips.
   * Never throws.
   */
  exec(): Promise<void> {
    if (this.#inFlight.size >= MAX_CONCURRENT_AGGREGATION_CHECKS) {
      this.#p.logger.warn('Max number of aggregation checks in flight. Skipping');
      return Promise.resolve();
    }
    const check: Promise<void> = this.#aggregate().finally(() => this.#inFlight.delete(check));
    this.#inFlight.add(check);
    return check;
  }

  async #aggregate(): Promise<void> {
    const {logger, groups} = this.#p;
    for (const qname of this.#p.queues) {
      let names: string[];
      try {
        names = await groups.listGroups(qname);
      } catch (err) {
        if (!this.#p.outage.absorb(err)) logger.error(`Failed to list groups in queue: ${q(qname)}: ${errorMessage(err)}`);
        continue;
      }
      for (const group of names) await this.#aggregateGroup(qname, group);
    }
  }

  async #aggregateGroup(qname: string, group: string): Promise<void> {
    const {logger, groups} = this.#p;
    let setId: string | null;
    try {
      setId = await groups.aggregationCheck(qname, group, {
        maxSize: this.#p.maxSize,
        maxDelaySeconds: Math.trunc(this.#p.maxDelayMs / 1000),
        gracePeriodSeconds: Math.trunc(this.#p.gracePeriodMs / 1000),
      });
    } catch (err) {
      if (!this.#p.outage.absorb(err)) logger.error(`Failed to run aggregation check: queue=${q(qname)} group=${q(group)}: ${errorMessage(err)}`);
      return;
    }
    if (setId === null) {
      logger.debug(`No aggregation needed at this time: queue=${q(qname)} group=${q(group)}`);
      return;
    }
    const where = `queue=${q(qname)}, group=${q(group)}, setID=${q(setId)}`;
    let tasks: Task[];
    let deadline: Date;
    try {
      const set = await groups.readAggregationSet(qname, group, setId, (bad) => logger.error(`aggregator: ${movedAsideText(bad)}`));
      tasks = set.msgs.map((m) => new Task(m.type, m.payload, {headers: m.headers}));
      deadline = set.deadline;
    } catch (err) {
      if (!this.#p.outage.absorb(err)) logger.error(`Failed to read aggregation set: ${where}: ${errorMessage(err)}`);
      return;
    }
    if (tasks.length === 0) {
      // Every member was moved aside (or its hash is gone): nothing to aggregate, only the set to drop.
      await this.#deleteSet(qname, group, setId, where);
      return;
    }
    let aggregated: Task;
    try {
      aggregated = await this.#runAggregate(group, tasks);
    } catch (err) {
      logger.error(`GroupAggregator.aggregate failed (group=${q(group)}): ${errorMessage(err)}`);
      return;
    }
    try {
      // Go enqueues under a context with the set's deadline. Past it the recoverer may already have
      // merged the tasks back into the group, so enqueuing now could duplicate them.
      if (this.#p.clock.now().getTime() >= deadline.getTime()) throw new Error('context deadline exceeded');
      await this.#client.enqueue(aggregated, {queue: qname});
    } catch (err) {
      logger.error(`Failed to enqueue aggregated task (${where}): ${errorMessage(err)}`);
      return;
    }
    await this.#deleteSet(qname, group, setId, where);
  }

  async #deleteSet(qname: string, group: string, setId: string, where: string): Promise<void> {
    try {
      await this.#p.groups.deleteAggregationSet(qname, group, setId);
    } catch (err) {
      if (!this.#p.outage.absorb(err)) this.#p.logger.warn(`Failed to delete aggregation set: ${where}: ${errorMessage(err)}`);
    }
  }

  async #runAggregate(group: string, tasks: Task[]): Promise<Task> {
    const ga = this.#p.groupAggregator;
    const task = typeof ga === 'function' ? await ga(group, tasks) : await ga.aggregate(group, tasks);
    if (!(task instanceof Task)) throw new TypeError(`expected a Task, got ${task === null ? 'null' : typeof task}`);
    return task;
  }

}
