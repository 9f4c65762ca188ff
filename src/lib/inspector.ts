/**
 * Inspector: read and repair queues (Go asynq's Inspector, inspector.go). Reads what Go writes and
 * writes what Go reads: every admin write is one atomic script of the broker (RDBInspector).
 *
 * ```ts
 * const insp = new Inspector('redis://localhost:6379');
 * const info = await insp.getQueueInfo('default');
 * const retry = await insp.listRetryTasks('default', {page: 1, size: 50});
 * await insp.runAllRetryTasks('default');
 * await insp.close();
 * ```
 *
 * Differences from Go, on purpose:
 * - Every call about one queue fails with QueueNotFoundError when the queue is not in
 *   `asynq:queues`, including `groups`, `pauseQueue` and `unpauseQueue` (Go skips the check there,
 *   so a typo silently pauses a queue that does not exist).
 * - Lists are sorted (queues by name, servers by host and PID, scheduler entries by spec).
 * - Durations are milliseconds; Go's zero time is `null`.
 */
import {RDB} from './broker/rdb.js';
import {RDBLimits, type LimitUsage, type PublishedLimit} from './broker/limits.js';
import {RDBInspector, type BadTask, type Pagination, type TaskRecord} from './broker/inspect.js';
import {run} from './broker/session.js';
import {isZeroTime, timestampToDate, type SchedulerEntry as WireSchedulerEntry} from './base/codec.js';
import {validateQueueName, type TaskState} from './base/states.js';
import {realClock, type Clock} from './clock.js';
import {FailedPreconditionError, QueueNotFoundError, ValidationError} from './errors.js';
import {formatParsedOption, parseOptionString, parsedOptionsToTaskOptions, type ParsedOption} from './option-strings.js';
import type {TaskOptions} from './options.js';
import {closeRedisClient, createRedisClient, type RedisConnection, type RedisConnOpt} from './redis.js';
import {Task, taskInfoFromMessage, type TaskInfo} from './task.js';

export type {BadTask, Pagination} from './broker/inspect.js';

/** State of one queue (Go QueueInfo). Counts are task counts; `latency` and `memoryUsage` are estimates. */
export interface QueueInfo {
  queue: string;
  /** Approximate bytes used by the queue's tasks and structures (sampled, as Go: 20 tasks per state, 5 groups). */
  memoryUsage: number;
  /** How long the oldest pending task has waited, in ms (0 when unknown or nothing is pending). */
  latency: number;
  /** pending + active + scheduled + retry + archived + completed + aggregating. */
  size: number;
  /** Number of aggregation groups. */
  groups: number;
  pending: number;
  active: number;
  scheduled: number;
  retry: number;
  archived: number;
  completed: number;
  aggregating: number;
  /** Tasks processed (succeeded or failed) today, UTC. */
  processed: number;
  /** Tasks failed today, UTC. */
  failed: number;
  /** Processed since the counter was created (wraps at 2^63, as Go). */
  processedTotal: number;
  failedTotal: number;
  paused: boolean;
  /** When these numbers were read. */
  timestamp: Date;
}

/** Counters of one UTC day (Go DailyStats). */
export interface DailyStats {
  queue: string;
  /** `YYYY-MM-DD`, UTC. */
  date: string;
  processed: number;
  failed: number;
}

/** An aggregation group and its size (Go GroupInfo). */
export interface GroupInfo {
  group: string;
  size: number;
}

/** A task being processed by a server (Go WorkerInfo). */
export interface WorkerInfo {
  taskId: string;
  taskType: string;
  taskPayload: Buffer;
  queue: string;
  /** When processing started. */
  started: Date;
  /** When the handler's context expires (timeout or deadline). */
  deadline: Date;
}

/** A live worker server (Go ServerInfo), with the tasks its workers are processing. */
export interface ServerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  /** Queue name → priority. */
  queues: Record<string, number>;
  strictPriority: boolean;
  started: Date;
  /** 'active' (pulling tasks) or 'stopped' (no longer pulling, finishing work). */
  status: string;
  /** One entry per task in progress, oldest first. */
  activeWorkers: WorkerInfo[];
  /**
   * The fleet-wide limits this server enforces (ServerOptions.limits) with their use now; absent
   * for a server without limits (and for Go servers, which have none).
   */
  limits?: LimitInfo[];
}

/**
 * A fleet-wide limit (ServerOptions.limits) as the servers publish it, with its use now (read from
 * Redis: the use is the fleet's, not one server's).
 */
export interface LimitInfo extends PublishedLimit, Omit<LimitUsage, 'scope'> {
  /** IDs of the live servers enforcing it. */
  servers: string[];
}

/** A periodic task registered by a live scheduler (Go SchedulerEntry). */
export interface SchedulerEntry {
  id: string;
  /** Cron spec or `@every <duration>`. */
  spec: string;
  task: Task;
  /** Options of the entry, parsed back from their Go strings and printed again (`Queue("low")`); unparsable ones are dropped, as Go. */
  options: string[];
  /** The same options as TaskOptions. */
  opts: TaskOptions;
  /** Next enqueue time. */
  next: Date;
  /** Previous enqueue time; null if the entry has not run yet. */
  prev: Date | null;
}

/** One enqueue of a periodic task (Go SchedulerEnqueueEvent). */
export interface SchedulerEnqueueEvent {
  taskId: string;
  enqueuedAt: Date;
}

/** A Redis Cluster node that serves a queue's hash slot. */
export interface ClusterNode {
  id: string;
  addr: string;
}

/** What `redisInfo()` returns: INFO fields, or CLUSTER INFO fields when connected to a Cluster. */
export interface RedisServerInfo {
  cluster: boolean;
  info: Record<string, string>;
}

export interface InspectorOptions {
  /** Source of "now" (default the system clock); tests pass a SimulatedClock. */
  clock?: Clock;
}

/** States a task list can be asked for, with the group needed for 'aggregating'. */
export interface ListTasksOptions extends Pagination {
  /** Required when state is 'aggregating'. */
  group?: string;
  /**
   * Told about each task of the page that was left out because it cannot be read (no task hash,
   * a key of another Redis type, a message that does not decode); Go skips them silently.
   */
  onBadData?: (bad: BadTask) => void;
}

/** States accepted by the bulk operations (Go CLI's choices). */
export const BULK_STATES = {
  delete: ['pending', 'scheduled', 'retry', 'archived', 'completed', 'aggregating'],
  run: ['scheduled', 'retry', 'archived', 'aggregating'],
  archive: ['pending', 'scheduled', 'retry', 'aggregating'],
} as const satisfies Record<string, readonly TaskState[]>;

export type BulkAction = keyof typeof BULK_STATES;

function checkQueueName(q: string): void {
  const problem = validateQueueName(q);
  if (problem !== undefined) throw new ValidationError(problem);
}

function toInfo(r: TaskRecord): TaskInfo {
  const info = taskInfoFromMessage(r.msg, r.state, r.nextProcessAt, r.result);
  if (r.isOrphaned) info.isOrphaned = true;
  return info;
}

function dateOf(t: {seconds: number; nanos: number}): Date | null {
  return isZeroTime(t) ? null : timestampToDate(t);
}

function parseOptions(strings: readonly string[]): ParsedOption[] {
  const out: ParsedOption[] = [];
  for (const s of strings) {
    try {
      out.push(parseOptionString(s));
    } catch {
      // unparsable option strings are dropped from display, as Go's Inspector does
    }
  }
  return out;
}

function schedulerEntry(e: WireSchedulerEntry): SchedulerEntry {
  const parsed = parseOptions(e.enqueueOptions);
  return {
    id: e.id,
    spec: e.spec,
    task: new Task(e.taskType, e.taskPayload),
    options: parsed.map(formatParsedOption),
    opts: parsedOptionsToTaskOptions(parsed),
    next: timestampToDate(e.nextEnqueueTime),
    prev: dateOf(e.prevEnqueueTime),
  };
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class Inspector {
  readonly #conn: RedisConnection;
  readonly #owned: boolean;
  readonly #rdb: RDB;
  readonly #insp: RDBInspector;
  readonly #limits: RDBLimits;
  #closed = false;

  /**
   * @param conn where Redis is (URI, option object or an ioredis instance, which stays the
   *   caller's: close() then leaves it open).
   */
  constructor(conn: RedisConnOpt, opts: InspectorOptions = {}) {
    const {client, owned} = createRedisClient(conn);
    this.#conn = client;
    this.#owned = owned;
    this.#rdb = new RDB(client, {clock: opts.clock ?? realClock});
    this.#insp = new RDBInspector(this.#rdb);
    this.#limits = new RDBLimits(this.#rdb);
  }

  /** Checks the connection (PING). Rejects with RedisCommandError when Redis cannot be reached. */
  async ping(): Promise<void> {
    this.#checkOpen();
    await run('rdb.Ping', () => this.#rdb.ping());
  }

  /** Closes the Redis connection if the Inspector created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeRedisClient(this.#conn);
  }

  // ---------------------------------------------------------------------------------------------
  // Queues

  /** Names of all queues (members of `asynq:queues`), sorted. */
  async queues(): Promise<string[]> {
    this.#checkOpen();
    return (await this.#insp.allQueues()).sort(byString);
  }

  /**
   * Counts per state, today's counters, totals, latency and memory usage of a queue. Cheap: a
   * fixed number of Redis calls whatever the queue's size (memory usage is sampled, as Go).
   * `{sampleMemory: false}` skips that sampling (memoryUsage 0), most of the Redis time at a big queue.
   */
  async getQueueInfo(queue: string, opts: {sampleMemory?: boolean} = {}): Promise<QueueInfo> {
    this.#queueCall(queue);
    const {latencyMs, ...stats} = await this.#insp.currentStats(queue, opts);
    return {...stats, latency: latencyMs};
  }

  /** Processed/failed counters of the last `days` UTC days (>= 1), today first. */
  async history(queue: string, days: number): Promise<DailyStats[]> {
    this.#queueCall(queue);
    const stats = await this.#insp.historicalStats(queue, days);
    return stats.map((d) => ({queue: d.queue, date: d.date, processed: d.processed, failed: d.failed}));
  }

  /** Aggregation groups of a queue with their sizes, sorted by name. */
  async groups(queue: string): Promise<GroupInfo[]> {
    await this.#requireQueue(queue);
    const groups = await this.#insp.groupStats(queue);
    return groups.map((g) => ({group: g.group, size: g.size})).sort((a, b) => byString(a.group, b.group));
  }

  /** Pauses a queue: servers stop dequeuing from it. FailedPreconditionError if already paused. */
  async pauseQueue(queue: string): Promise<void> {
    await this.#requireQueue(queue);
    await this.#insp.pause(queue);
  }

  /** Resumes a paused queue. FailedPreconditionError if it is not paused. */
  async unpauseQueue(queue: string): Promise<void> {
    await this.#requireQueue(queue);
    await this.#insp.unpause(queue);
  }

  /**
   * Removes a queue (Go DeleteQueue). Without `force` the queue must hold no pending, active,
   * scheduled, retry or archived task (else QueueNotEmptyError); with `force` only active tasks
   * prevent it (FailedPreconditionError). Completed tasks, groups, counters and the paused flag
   * stay, as in Go.
   */
  async deleteQueue(queue: string, force = false): Promise<void> {
    this.#queueCall(queue);
    await this.#insp.removeQueue(queue, force);
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks: reads

  /** One task. TaskNotFoundError when it does not exist. */
  async getTaskInfo(queue: string, id: string): Promise<TaskInfo> {
    this.#queueCall(queue);
    return toInfo(await this.#insp.getTaskInfo(queue, id));
  }

  /** Pending tasks, the next one to be processed first. Pages are 1-based, 30 tasks by default. */
  async listPendingTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listPending(queue, pgn)).map(toInfo);
  }

  /** Active tasks, longest-running first; `isOrphaned` is true when the task's lease expired. */
  async listActiveTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listActive(queue, pgn)).map(toInfo);
  }

  /** Scheduled tasks, earliest process time first. */
  async listScheduledTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listScheduled(queue, pgn)).map(toInfo);
  }

  /** Tasks waiting for a retry, earliest retry first. */
  async listRetryTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listRetry(queue, pgn)).map(toInfo);
  }

  /** Archived tasks, oldest archived first. */
  async listArchivedTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listArchived(queue, pgn)).map(toInfo);
  }

  /** Completed tasks (kept for their retention), earliest expiry first. */
  async listCompletedTasks(queue: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listCompleted(queue, pgn)).map(toInfo);
  }

  /** Tasks waiting in an aggregation group, oldest first. */
  async listAggregatingTasks(queue: string, group: string, pgn?: Pagination & Pick<ListTasksOptions, 'onBadData'>): Promise<TaskInfo[]> {
    this.#queueCall(queue);
    return (await this.#insp.listAggregating(queue, group, pgn)).map(toInfo);
  }

  /**
   * Tasks that were taken out of the flow because they cannot be processed (no task hash, a task
   * key of another Redis type, a message that does not decode), oldest first: asynq-ts moves them
   * to asynq:{<queue>}:corrupt with the reason, where Go would leave them in active for ever.
   * `asynq task inspect` shows the reason too; `asynq task delete` removes one.
   */
  async listCorruptTasks(queue: string, pgn?: Pagination): Promise<Array<{id: string; reason: string; movedAt: Date}>> {
    this.#queueCall(queue);
    return this.#insp.listCorrupt(queue, pgn);
  }

  /**
   * The list method for a state name, for tools that take the state as input (`asynq task ls`).
   * ValidationError for an unknown state, or 'aggregating' without a group.
   */
  async listTasks(queue: string, state: string, opts: ListTasksOptions = {}): Promise<TaskInfo[]> {
    const pgn = {page: opts.page, size: opts.size, ...(opts.onBadData ? {onBadData: opts.onBadData} : {})};
    switch (checkState(state, ['pending', 'active', 'scheduled', 'retry', 'archived', 'completed', 'aggregating'])) {
      case 'pending': return this.listPendingTasks(queue, pgn);
      case 'active': return this.listActiveTasks(queue, pgn);
      case 'scheduled': return this.listScheduledTasks(queue, pgn);
      case 'retry': return this.listRetryTasks(queue, pgn);
      case 'archived': return this.listArchivedTasks(queue, pgn);
      case 'completed': return this.listCompletedTasks(queue, pgn);
      case 'aggregating': return this.listAggregatingTasks(queue, requireGroup(opts.group, 'listing'), pgn);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks: single writes

  /** Deletes a task that is not active (and releases the uniqueness lock it holds). */
  async deleteTask(queue: string, id: string): Promise<void> {
    this.#queueCall(queue);
    await this.#insp.deleteTask(queue, id);
  }

  /** Moves a scheduled, retry, archived, completed or aggregating task to the head of pending. */
  async runTask(queue: string, id: string): Promise<void> {
    this.#queueCall(queue);
    await this.#insp.runTask(queue, id);
  }

  /** Archives a pending, scheduled, retry, completed or aggregating task. */
  async archiveTask(queue: string, id: string): Promise<void> {
    this.#queueCall(queue);
    await this.#insp.archiveTask(queue, id);
  }

  /** Replaces the payload of a scheduled task (Go HEAD UpdateTaskPayload); the unique key is not recomputed. */
  async updateTaskPayload(queue: string, id: string, payload: Uint8Array | string): Promise<void> {
    this.#queueCall(queue);
    await this.#insp.updateTaskPayload(queue, id, typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
  }

  /**
   * Asks whichever server runs the task to cancel it (PUBLISH asynq:cancel). Fire-and-forget, as
   * Go: nothing tells whether a server was running it.
   */
  async cancelProcessing(id: string): Promise<void> {
    this.#checkOpen();
    if (typeof id !== 'string' || id === '') throw new ValidationError('task id must not be empty');
    await this.#rdb.publishCancelation(id);
  }

  // ---------------------------------------------------------------------------------------------
  // Tasks: bulk writes (each one atomic script; the number of tasks affected is returned)

  async deleteAllPendingTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.deleteAllPending(queue)); }
  async deleteAllScheduledTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.deleteAllScheduled(queue)); }
  async deleteAllRetryTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.deleteAllRetry(queue)); }
  async deleteAllArchivedTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.deleteAllArchived(queue)); }
  async deleteAllCompletedTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.deleteAllCompleted(queue)); }
  async deleteAllAggregatingTasks(queue: string, group: string): Promise<number> {
    return this.#bulk(queue, () => this.#insp.deleteAllAggregating(queue, group));
  }

  async runAllScheduledTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.runAllScheduled(queue)); }
  async runAllRetryTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.runAllRetry(queue)); }
  async runAllArchivedTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.runAllArchived(queue)); }
  async runAllAggregatingTasks(queue: string, group: string): Promise<number> {
    return this.#bulk(queue, () => this.#insp.runAllAggregating(queue, group));
  }

  async archiveAllPendingTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.archiveAllPending(queue)); }
  async archiveAllScheduledTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.archiveAllScheduled(queue)); }
  async archiveAllRetryTasks(queue: string): Promise<number> { return this.#bulk(queue, () => this.#insp.archiveAllRetry(queue)); }
  async archiveAllAggregatingTasks(queue: string, group: string): Promise<number> {
    return this.#bulk(queue, () => this.#insp.archiveAllAggregating(queue, group));
  }

  /**
   * Deletes, runs or archives every task of a state, for tools that take the action and state as
   * input (`asynq task deleteall|runall|archiveall`). States per action: BULK_STATES.
   * ValidationError for a state the action does not support, or 'aggregating' without a group.
   */
  async bulkTasks(action: BulkAction, queue: string, state: string, opts: {group?: string} = {}): Promise<number> {
    const s = checkState(state, BULK_STATES[action]);
    const group = s === 'aggregating' ? requireGroup(opts.group, action === 'delete' ? 'deleting' : action === 'run' ? 'running' : 'archiving') : '';
    const table: Record<BulkAction, Partial<Record<TaskState, () => Promise<number>>>> = {
      delete: {
        pending: () => this.deleteAllPendingTasks(queue), scheduled: () => this.deleteAllScheduledTasks(queue),
        retry: () => this.deleteAllRetryTasks(queue), archived: () => this.deleteAllArchivedTasks(queue),
        completed: () => this.deleteAllCompletedTasks(queue), aggregating: () => this.deleteAllAggregatingTasks(queue, group),
      },
      run: {
        scheduled: () => this.runAllScheduledTasks(queue), retry: () => this.runAllRetryTasks(queue),
        archived: () => this.runAllArchivedTasks(queue), aggregating: () => this.runAllAggregatingTasks(queue, group),
      },
      archive: {
        pending: () => this.archiveAllPendingTasks(queue), scheduled: () => this.archiveAllScheduledTasks(queue),
        retry: () => this.archiveAllRetryTasks(queue), aggregating: () => this.archiveAllAggregatingTasks(queue, group),
      },
    };
    return table[action][s]!();
  }

  // ---------------------------------------------------------------------------------------------
  // Servers and schedulers

  /** Live servers with the tasks their workers are processing, sorted by host then PID. */
  async servers(): Promise<ServerInfo[]> {
    this.#checkOpen();
    const [servers, workers] = await Promise.all([this.#insp.listServers(), this.#insp.listWorkers()]);
    const byId = new Map<string, ServerInfo>();
    const out = servers.map((s): ServerInfo => {
      const info: ServerInfo = {
        id: s.serverId, host: s.host, pid: s.pid, concurrency: s.concurrency, queues: {...s.queues},
        strictPriority: s.strictPriority, started: timestampToDate(s.startTime), status: s.status, activeWorkers: [],
      };
      byId.set(s.serverId, info);
      return info;
    });
    for (const w of workers) {
      byId.get(w.serverId)?.activeWorkers.push({
        taskId: w.taskId, taskType: w.taskType, taskPayload: w.taskPayload, queue: w.queue,
        started: timestampToDate(w.startTime), deadline: timestampToDate(w.deadline),
      });
    }
    for (const s of out) s.activeWorkers.sort((a, b) => a.started.getTime() - b.started.getTime() || byString(a.taskId, b.taskId));
    const limits = await this.#limitsOf(servers);
    for (const s of out) {
      const own = limits.filter((l) => l.servers.includes(s.id));
      if (own.length > 0) s.limits = own;
    }
    return out.sort((a, b) => byString(a.host, b.host) || a.pid - b.pid || byString(a.id, b.id));
  }

  /**
   * The fleet-wide limits the live servers enforce, one entry per scope (sorted), with the servers
   * enforcing it and its use now: tokens held, starts in the last rate window, tasks waiting.
   */
  async limits(): Promise<LimitInfo[]> {
    this.#checkOpen();
    return this.#limitsOf(await this.#insp.listServers());
  }

  async #limitsOf(servers: ReadonlyArray<{host: string; pid: number; serverId: string}>): Promise<LimitInfo[]> {
    const published = await this.#limits.readServerLimits(servers);
    const byScope = new Map<string, {limit: PublishedLimit; servers: string[]}>();
    for (const [id, limits] of published) {
      for (const l of limits) {
        if (typeof l?.scope !== 'string') continue;
        const e = byScope.get(l.scope) ?? {limit: l, servers: []};
        e.servers.push(id);
        byScope.set(l.scope, e);
      }
    }
    const entries = [...byScope.values()].sort((a, b) => byString(a.limit.scope, b.limit.scope));
    if (entries.length === 0) return [];
    const usage = await this.#limits.usage(entries.map((e) => e.limit));
    return entries.map((e, i) => {
      const {scope: _scope, ...use} = usage[i]!;
      return {...e.limit, ...use, servers: e.servers.sort()};
    });
  }

  /** Entries of live schedulers, sorted by spec (then ID). */
  async schedulerEntries(): Promise<SchedulerEntry[]> {
    this.#checkOpen();
    const entries = (await this.#insp.listSchedulerEntries()).map(schedulerEntry);
    return entries.sort((a, b) => byString(a.spec, b.spec) || byString(a.id, b.id));
  }

  /** Enqueue events of a scheduler entry, newest first (at most 1000 are kept). */
  async listSchedulerEnqueueEvents(entryId: string, pgn?: Pagination): Promise<SchedulerEnqueueEvent[]> {
    this.#checkOpen();
    const events = await this.#insp.listSchedulerEnqueueEvents(entryId, pgn);
    return events.map((e) => ({taskId: e.taskId, enqueuedAt: timestampToDate(e.enqueueTime)}));
  }

  // ---------------------------------------------------------------------------------------------
  // Redis

  /** Redis Cluster hash slot of the queue's keys. */
  async clusterKeySlot(queue: string): Promise<number> {
    this.#checkOpen();
    checkQueueName(queue);
    return this.#insp.clusterKeySlot(queue);
  }

  /** The Redis Cluster nodes (master first) serving the queue's hash slot. */
  async clusterNodes(queue: string): Promise<ClusterNode[]> {
    this.#checkOpen();
    checkQueueName(queue);
    return this.#insp.clusterNodes(queue);
  }

  /** True when connected to a Redis Cluster. */
  get isCluster(): boolean {
    return this.#rdb.session.isCluster;
  }

  /** INFO of the server, or CLUSTER INFO on a Cluster (what `asynq stats` shows). */
  async redisInfo(): Promise<RedisServerInfo> {
    this.#checkOpen();
    return {cluster: this.isCluster, info: await this.#insp.redisInfo()};
  }

  // ---------------------------------------------------------------------------------------------

  #checkOpen(): void {
    if (this.#closed) throw new FailedPreconditionError('asynq: inspector is closed');
  }

  /** Open and a valid queue name (the broker checks existence in the same call). */
  #queueCall(queue: string): void {
    this.#checkOpen();
    checkQueueName(queue);
  }

  /** For the calls whose broker method does not check existence (Go's exceptions). */
  async #requireQueue(queue: string): Promise<void> {
    this.#queueCall(queue);
    if (!(await this.#insp.queueExists(queue))) throw new QueueNotFoundError(queue);
  }

  async #bulk(queue: string, run: () => Promise<number>): Promise<number> {
    this.#queueCall(queue);
    return run();
  }
}

function checkState<S extends TaskState>(state: string, allowed: readonly S[]): S {
  if ((allowed as readonly string[]).includes(state)) return state as S;
  throw new ValidationError(`unsupported state ${JSON.stringify(state)}: expected one of ${allowed.join(', ')}`);
}

function requireGroup(group: string | undefined, what: string): string {
  if (group === undefined || group === '') throw new ValidationError(`a group is required for ${what} aggregating tasks`);
  return group;
}
