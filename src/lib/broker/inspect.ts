/**
 * RDBInspector: the inspector half of the Redis broker (Go asynq internal/rdb/inspect.go).
 * Reads (stats, history, listings) and admin writes (run, archive, delete, remove queue, pause).
 * Every admin write is one atomic Lua script from src/lib/scripts; like Go, the queue-existence
 * check (SISMEMBER asynq:queues) is a separate command before it.
 * Units as in Go's inspect.go: scores in unix seconds, pending_since in unix ns.
 */
import * as keys from '../base/keys.js';
import {
  decodeSchedulerEnqueueEvent,
  decodeSchedulerEntry,
  decodeServerInfo,
  decodeTaskMessage,
  decodeWorkerInfo,
  encodeTaskMessage,
  type SchedulerEnqueueEvent,
  type SchedulerEntry,
  type ServerInfo,
  type TaskMessage,
  type WorkerInfo,
} from '../base/codec.js';
import {ARCHIVED_EXPIRATION_SECONDS, MAX_ARCHIVE_SIZE, isTaskState, type TaskState} from '../base/states.js';
import {unixSeconds} from '../clock.js';
import {
  BadDataError,
  FailedPreconditionError,
  InternalError,
  QueueNotEmptyError,
  QueueNotFoundError,
  TaskNotFoundError,
  ValidationError,
  errorMessage,
  isBadData,
} from '../errors.js';
import type {ScriptName} from '../scripts/index.js';
import type {ScriptArg} from './script-runner.js';
import type {Op, RedisSession} from './session.js';

/** Inspector default page size (Go: 30). */
const DEFAULT_PAGE_SIZE = 30;
/** Task hashes sampled per list/zset by the memory-usage estimate (Go: 20). */
const MEMORY_TASK_SAMPLE_SIZE = 20;
/** Groups sampled by the memory-usage estimate (Go: 5). */
const MEMORY_GROUP_SAMPLE_SIZE = 5;

/** 1-based page number and page size; defaults: page 1, size 30. */
export interface Pagination {
  page?: number;
  size?: number;
}

/** A task a listing left out because it cannot be read: its id and why. */
export interface BadTask {
  queue: string;
  id: string;
  /** "no task hash", "task key holds a string, not a hash", "cannot decode TaskMessage: …". */
  reason: string;
}

/** A page, and who to tell about each task of it that was left out (Go skips them silently). */
export interface ListOptions extends Pagination {
  onBadData?: (bad: BadTask) => void;
}

/** One task as the inspector sees it (Go base.TaskInfo). */
export interface TaskRecord {
  msg: TaskMessage;
  state: TaskState;
  /** scheduled/retry: the zset score; pending: now; otherwise null (Go's zero time). */
  nextProcessAt: Date | null;
  /** The handler's result bytes, null when none was written (or empty). */
  result: Buffer | null;
  /** Only on active listings: the task's lease expired (score <= now), its worker is presumed gone. */
  isOrphaned?: boolean;
}

/** State of one queue at `timestamp` (Go rdb.Stats). */
export interface QueueStats {
  queue: string;
  /** Approximate bytes (sampled). */
  memoryUsage: number;
  paused: boolean;
  /** pending + active + scheduled + retry + archived + completed + aggregating. */
  size: number;
  /** Number of groups listed in asynq:{q}:groups. */
  groups: number;
  pending: number;
  active: number;
  scheduled: number;
  retry: number;
  archived: number;
  completed: number;
  aggregating: number;
  /** Processed today (UTC), successes and failures. */
  processed: number;
  /** Failed today (UTC). */
  failed: number;
  processedTotal: number;
  failedTotal: number;
  /** now − pending_since of the oldest pending task; 0 when unknown. */
  latencyMs: number;
  timestamp: Date;
}

/** Counters of one UTC day (Go rdb.DailyStats). */
export interface DailyStats {
  queue: string;
  /** The UTC calendar day, `YYYY-MM-DD` (the key suffix). */
  date: string;
  processed: number;
  failed: number;
  /** The instant the day was derived from (now − i days), as Go's DailyStats.Time. */
  time: Date;
}

export interface GroupStat {
  group: string;
  size: number;
}

/** A Redis Cluster node serving a queue's slot (go-redis ClusterNode). */
export interface ClusterNode {
  id: string;
  addr: string;
}

type Reply = Buffer | string | number | null;

export class RDBInspector {
  readonly #s: RedisSession;

  /** Works over `rdb`'s session (connection, scripts, clock, queue cache). */
  constructor(rdb: {readonly session: RedisSession}) {
    this.#s = rdb.session;
  }

  // -------------------------------------------------------------------------------------------
  // Queues and stats
  // -------------------------------------------------------------------------------------------

  /** SMEMBERS asynq:queues. */
  allQueues(): Promise<string[]> {
    return this.#s.run('rdb.AllQueues', () => this.#s.client.smembers(keys.allQueues));
  }

  /** SISMEMBER asynq:queues q. */
  queueExists(qname: string): Promise<boolean> {
    return this.#queueExists('rdb.QueueExists', qname);
  }

  #queueExists(op: Op, qname: string): Promise<boolean> {
    return this.#s.run(op, async () => (await this.#s.client.sismember(keys.allQueues, qname)) === 1);
  }

  /**
   * Go CurrentStats: counts, counters, paused, latency (currentStatsCmd) and memory usage
   * (memoryUsageCmd). `sampleMemory: false` leaves the memory sampling out (memoryUsage 0): most of
   * the call's Redis time at a large queue.
   */
  async currentStats(qname: string, {sampleMemory = true}: {sampleMemory?: boolean} = {}): Promise<QueueStats> {
    const op = 'rdb.CurrentStats';
    await this.#checkQueue(op, qname);
    const now = this.#s.clock.now();
    const res = (await this.#s.script(op, 'currentStats', [
      keys.pendingKey(qname), keys.activeKey(qname), keys.scheduledKey(qname), keys.retryKey(qname),
      keys.archivedKey(qname), keys.completedKey(qname), keys.processedKey(qname, now), keys.failedKey(qname, now),
      keys.processedTotalKey(qname), keys.failedTotalKey(qname), keys.pausedKey(qname), keys.allGroups(qname),
    ], [keys.taskKeyPrefix(qname), keys.groupKeyPrefix(qname)])) as Reply[];
    const v = new Map<string, Reply>();
    for (let i = 0; i + 1 < res.length; i += 2) v.set(String(res[i]), res[i + 1]!);
    const n = (name: string): number => Number(v.get(name) ?? 0);
    const stats: QueueStats = {
      queue: qname,
      memoryUsage: 0,
      paused: n(keys.pausedKey(qname)) !== 0,
      size: 0,
      groups: n('group_size'),
      pending: n(keys.pendingKey(qname)),
      active: n(keys.activeKey(qname)),
      scheduled: n(keys.scheduledKey(qname)),
      retry: n(keys.retryKey(qname)),
      archived: n(keys.archivedKey(qname)),
      completed: n(keys.completedKey(qname)),
      aggregating: n('aggregating_count'),
      processed: n(keys.processedKey(qname, now)),
      failed: n(keys.failedKey(qname, now)),
      processedTotal: n(keys.processedTotalKey(qname)),
      failedTotal: n(keys.failedTotalKey(qname)),
      latencyMs: latencyMs(now, v.get('oldest_pending_since')),
      timestamp: now,
    };
    stats.size = stats.pending + stats.active + stats.scheduled + stats.retry + stats.archived + stats.completed +
      stats.aggregating;
    if (sampleMemory) stats.memoryUsage = await this.#memoryUsage(op, qname);
    return stats;
  }

  async #memoryUsage(op: Op, qname: string): Promise<number> {
    const res = await this.#s.script(op, 'memoryUsage', [
      keys.activeKey(qname), keys.pendingKey(qname), keys.scheduledKey(qname), keys.retryKey(qname),
      keys.archivedKey(qname), keys.completedKey(qname), keys.allGroups(qname),
    ], [keys.taskKeyPrefix(qname), MEMORY_TASK_SAMPLE_SIZE, MEMORY_GROUP_SAMPLE_SIZE, keys.groupKeyPrefix(qname)]);
    return Number(res);
  }

  /**
   * Go HistoricalStats: processed/failed of the last n UTC days, today first, missing days 0.
   * One MGET over the day keys (atomic and single-slot, like Go's read-only historicalStatsCmd).
   */
  async historicalStats(qname: string, n: number): Promise<DailyStats[]> {
    const op = 'rdb.HistoricalStats';
    if (!Number.isInteger(n) || n < 1) throw new ValidationError('the number of days must be positive');
    await this.#checkQueue(op, qname);
    const now = this.#s.clock.now();
    const days: Date[] = [];
    const dayKeys: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = new Date(now.getTime() - i * 24 * 3600 * 1000);
      days.push(t);
      dayKeys.push(keys.processedKey(qname, t), keys.failedKey(qname, t));
    }
    const vals = await this.#s.run(op, () => this.#s.client.mget(...dayKeys));
    return days.map((t, i) => ({
      queue: qname,
      date: keys.utcDate(t),
      processed: Number(vals[2 * i] ?? 0),
      failed: Number(vals[2 * i + 1] ?? 0),
      time: t,
    }));
  }

  /** Go GroupStats (no queue-existence check, as Go): every group with its size. */
  async groupStats(qname: string): Promise<GroupStat[]> {
    const res = (await this.#s.script('rdb.GroupStats', 'groupStats', [keys.allGroups(qname)], [keys.groupKeyPrefix(qname)])) as Reply[];
    const out: GroupStat[] = [];
    for (let i = 0; i + 1 < res.length; i += 2) out.push({group: String(res[i]), size: Number(res[i + 1])});
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Tasks: reads
  // -------------------------------------------------------------------------------------------

  /**
   * Go GetTaskInfo (getTaskInfoCmd). TaskNotFoundError when the hash is missing. BadDataError
   * (naming the task) when it cannot be read: moved aside to asynq:{<qname>}:corrupt (with the
   * reason recorded there), a key of another Redis type, or a message that does not decode.
   */
  async getTaskInfo(qname: string, id: string): Promise<TaskRecord> {
    const op = 'rdb.GetTaskInfo';
    await this.#checkQueue(op, qname);
    let res: Reply[];
    try {
      res = (await this.#s.script(op, 'getTaskInfo', [keys.taskKey(qname, id)],
        [id, unixSeconds(this.#s.clock.now()), keys.queueKeyPrefix(qname)],
        {binary: true, task: {queue: qname, id}})) as Reply[];
    } catch (err) {
      if (err instanceof TaskNotFoundError || isBadData(err)) await this.#throwIfCorrupt(op, qname, id);
      if (isBadData(err)) throw new BadDataError(`task ${id} in queue "${qname}": ${errorMessage(err)}`, {queue: qname, taskId: id, cause: err});
      throw err;
    }
    const [msgBytes, stateBytes, nextAt, result] = res;
    const state = String(stateBytes ?? '');
    if (state === 'corrupt') await this.#throwIfCorrupt(op, qname, id);
    if (!isTaskState(state)) throw new InternalError(`task ${id} in queue "${qname}" has an unknown state "${state}"`);
    if (!Buffer.isBuffer(msgBytes)) throw new BadDataError(`task ${id} in queue "${qname}": task hash has no msg field`, {queue: qname, taskId: id});
    let msg: TaskMessage;
    try {
      msg = decodeTaskMessage(msgBytes);
    } catch (err) {
      throw new BadDataError(`task ${id} in queue "${qname}": ${errorMessage(err)}`, {queue: qname, taskId: id, cause: err});
    }
    const record: TaskRecord = {msg, state, nextProcessAt: unixDateOrNull(nextAt), result: resultOrNull(result)};
    // Go's GetTaskInfo never sets IsOrphaned (only ListActiveTasks does): one computation for both here.
    if (state === 'active') {
      await this.#flagOrphans(op, qname, [record], this.#s.clock.now());
      if (record.isOrphaned !== true) delete record.isOrphaned;
    }
    return record;
  }

  /** BadDataError with the recorded reason when task `id` was moved aside to the corrupt zset. */
  async #throwIfCorrupt(op: Op, qname: string, id: string): Promise<void> {
    const reason = await this.#s.run(op, () => this.#s.client.hget(keys.corruptReasonsKey(qname), id));
    if (reason === null) return;
    throw new BadDataError(`task ${id} in queue "${qname}" cannot be processed and was moved aside to ${keys.corruptKey(qname)}: ${reason}`,
      {queue: qname, taskId: id});
  }

  /**
   * The tasks moved aside to asynq:{<qname>}:corrupt (asynq-ts only), oldest first, with their
   * reasons and when (see RDB.dequeue).
   */
  async listCorrupt(qname: string, pgn?: Pagination): Promise<Array<{id: string; reason: string; movedAt: Date}>> {
    const op = 'rdb.ListCorrupt';
    const {start, stop} = pageRange(pgn);
    await this.#checkQueue(op, qname);
    const flat = await this.#s.run(op, () => this.#s.client.zrange(keys.corruptKey(qname), start, stop, 'WITHSCORES'));
    const ids = flat.filter((_, i) => i % 2 === 0);
    const reasons = ids.length === 0 ? [] : await this.#s.run(op, () => this.#s.client.hmget(keys.corruptReasonsKey(qname), ...ids));
    return ids.map((id, i) => ({id, reason: reasons[i] ?? '', movedAt: new Date(Number(flat[2 * i + 1]) * 1000)}));
  }

  /** Go ListPending: page 1 starts with the next task to be dequeued (the list tail). */
  listPending(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listMessages('rdb.ListPending', qname, 'pending', pgn);
  }

  /** Go ListActive: longest-running first; tasks whose lease expired (score <= now) are flagged orphaned. */
  listActive(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listMessages('rdb.ListActive', qname, 'active', pgn);
  }

  listScheduled(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listZSet('rdb.ListScheduled', qname, 'scheduled', keys.scheduledKey(qname), pgn);
  }

  listRetry(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listZSet('rdb.ListRetry', qname, 'retry', keys.retryKey(qname), pgn);
  }

  listArchived(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listZSet('rdb.ListArchived', qname, 'archived', keys.archivedKey(qname), pgn);
  }

  listCompleted(qname: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listZSet('rdb.ListCompleted', qname, 'completed', keys.completedKey(qname), pgn);
  }

  listAggregating(qname: string, group: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    return this.#listZSet('rdb.ListAggregating', qname, 'aggregating', keys.groupKey(qname, group), pgn);
  }

  async #listMessages(op: Op, qname: string, state: 'pending' | 'active', pgn?: ListOptions): Promise<TaskRecord[]> {
    const {start, stop} = pageRange(pgn);
    await this.#checkQueue(op, qname);
    const key = state === 'pending' ? keys.pendingKey(qname) : keys.activeKey(qname);
    // IDs are LPUSHed: page from the tail and reverse, so page 1 begins with the oldest entry.
    const res = (await this.#s.script(op, 'listMessages', [key], [-stop - 1, -start - 1, keys.taskKeyPrefix(qname)], {binary: true})) as Reply[];
    const now = this.#s.clock.now();
    const out: TaskRecord[] = [];
    const bad: BadTask[] = [];
    for (let i = 0; i + 3 < res.length; i += 4) {
      const msg = readListed(qname, res[i], res[i + 1], res[i + 3], bad);
      if (!msg) continue; // bad data (or a dangling id): skipped, as Go, and reported
      out.push({msg, state, nextProcessAt: state === 'pending' ? now : null, result: resultOrNull(res[i + 2])});
    }
    out.reverse();
    for (const b of bad.reverse()) pgn?.onBadData?.(b);
    if (state === 'active' && out.length > 0) await this.#flagOrphans(op, qname, out, now);
    return out;
  }

  /** Go flags an active task orphaned when its lease score is <= now (ListLeaseExpired(now)). */
  async #flagOrphans(op: Op, qname: string, records: TaskRecord[], now: Date): Promise<void> {
    const scores = await this.#s.run(op, () => this.#s.client.zmscore(keys.leaseKey(qname), ...records.map((r) => r.msg.id)));
    const cutoff = unixSeconds(now);
    records.forEach((r, i) => {
      const s = scores[i];
      r.isOrphaned = s !== null && s !== undefined && Number(s) <= cutoff;
    });
  }

  async #listZSet(op: Op, qname: string, state: TaskState, key: string, pgn?: ListOptions): Promise<TaskRecord[]> {
    const {start, stop} = pageRange(pgn);
    await this.#checkQueue(op, qname);
    const res = (await this.#s.script(op, 'listZSetEntries', [key], [start, stop, keys.taskKeyPrefix(qname)], {binary: true})) as Reply[];
    const withScore = state === 'scheduled' || state === 'retry';
    const out: TaskRecord[] = [];
    const bad: BadTask[] = [];
    for (let i = 0; i + 4 < res.length; i += 5) {
      const msg = readListed(qname, res[i], res[i + 1], res[i + 4], bad);
      if (!msg) continue; // bad data (or a dangling id): skipped, as Go, and reported
      out.push({msg, state, nextProcessAt: withScore ? unixDateOrNull(res[i + 2]) : null, result: resultOrNull(res[i + 3])});
    }
    for (const b of bad) pgn?.onBadData?.(b);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Tasks: admin writes
  // -------------------------------------------------------------------------------------------

  /** Go RunTask: any non-active, non-pending task to the head of pending. */
  async runTask(qname: string, id: string): Promise<void> {
    const op = 'rdb.RunTask';
    await this.#checkQueue(op, qname);
    const n = await this.#s.script(op, 'runTask', [keys.taskKey(qname, id), keys.pendingKey(qname), keys.allGroups(qname)],
      [id, keys.queueKeyPrefix(qname), keys.groupKeyPrefix(qname)]);
    taskOutcome(op, qname, id, n, {
      [-1]: () => new FailedPreconditionError('task is already running'),
      [-2]: () => new FailedPreconditionError('task is already in pending state'),
    });
    await this.#forgetCorrupt(op, qname, id);
  }

  /** A task run or deleted from the corrupt zset (state "corrupt") leaves no reason behind (a separate command). */
  async #forgetCorrupt(op: Op, qname: string, id: string): Promise<void> {
    await this.#s.run(op, () => this.#s.client.hdel(keys.corruptReasonsKey(qname), id));
  }

  runAllScheduled(qname: string): Promise<number> {
    return this.#count('rdb.RunAllScheduled', qname, 'runAll', [keys.scheduledKey(qname), keys.pendingKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  runAllRetry(qname: string): Promise<number> {
    return this.#count('rdb.RunAllRetry', qname, 'runAll', [keys.retryKey(qname), keys.pendingKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  runAllArchived(qname: string): Promise<number> {
    return this.#count('rdb.RunAllArchived', qname, 'runAll', [keys.archivedKey(qname), keys.pendingKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  runAllAggregating(qname: string, group: string): Promise<number> {
    return this.#count('rdb.RunAllAggregating', qname, 'runAllAggregating',
      [keys.groupKey(qname, group), keys.pendingKey(qname), keys.allGroups(qname)], [keys.taskKeyPrefix(qname), group]);
  }

  /** Go ArchiveTask: pending/scheduled/retry/completed/aggregating → archived (score now). */
  async archiveTask(qname: string, id: string): Promise<void> {
    const op = 'rdb.ArchiveTask';
    await this.#checkQueue(op, qname);
    const now = unixSeconds(this.#s.clock.now());
    const n = await this.#s.script(op, 'archiveTask', [keys.taskKey(qname, id), keys.archivedKey(qname), keys.allGroups(qname)],
      [id, now, now - ARCHIVED_EXPIRATION_SECONDS, MAX_ARCHIVE_SIZE, keys.queueKeyPrefix(qname), keys.groupKeyPrefix(qname)]);
    taskOutcome(op, qname, id, n, {
      [-1]: () => new FailedPreconditionError(`task is already archived: id=${id}, queue=${qname}`),
      [-2]: () => new FailedPreconditionError('cannot archive task in active state. use CancelProcessing instead.'),
    });
  }

  archiveAllPending(qname: string): Promise<number> {
    return this.#archiveAll('rdb.ArchiveAllPending', qname, 'archiveAllPending', [keys.pendingKey(qname), keys.archivedKey(qname)]);
  }

  archiveAllScheduled(qname: string): Promise<number> {
    return this.#archiveAll('rdb.ArchiveAllScheduled', qname, 'archiveAll', [keys.scheduledKey(qname), keys.archivedKey(qname)]);
  }

  archiveAllRetry(qname: string): Promise<number> {
    return this.#archiveAll('rdb.ArchiveAllRetry', qname, 'archiveAll', [keys.retryKey(qname), keys.archivedKey(qname)]);
  }

  archiveAllAggregating(qname: string, group: string): Promise<number> {
    return this.#archiveAll('rdb.ArchiveAllAggregating', qname, 'archiveAllAggregating',
      [keys.groupKey(qname, group), keys.archivedKey(qname), keys.allGroups(qname)], [group]);
  }

  #archiveAll(op: Op, qname: string, script: ScriptName, scriptKeys: string[], extra: ScriptArg[] = []): Promise<number> {
    const now = unixSeconds(this.#s.clock.now());
    return this.#count(op, qname, script, scriptKeys,
      [now, now - ARCHIVED_EXPIRATION_SECONDS, MAX_ARCHIVE_SIZE, keys.taskKeyPrefix(qname), ...extra]);
  }

  /** Go DeleteTask: removes a non-active task and releases the uniqueness lock it holds. */
  async deleteTask(qname: string, id: string): Promise<void> {
    const op = 'rdb.DeleteTask';
    await this.#checkQueue(op, qname);
    const n = await this.#s.script(op, 'deleteTask', [keys.taskKey(qname, id), keys.allGroups(qname)],
      [id, keys.queueKeyPrefix(qname), keys.groupKeyPrefix(qname)]);
    taskOutcome(op, qname, id, n, {
      [-1]: () => new FailedPreconditionError('cannot delete task in active state. use CancelProcessing instead.'),
    });    await this.#forgetCorrupt(op, qname, id);
  }

  deleteAllPending(qname: string): Promise<number> {
    return this.#count('rdb.DeleteAllPending', qname, 'deleteAllPending', [keys.pendingKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  deleteAllScheduled(qname: string): Promise<number> {
    return this.#count('rdb.DeleteAllScheduled', qname, 'deleteAll', [keys.scheduledKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  deleteAllRetry(qname: string): Promise<number> {
    return this.#count('rdb.DeleteAllRetry', qname, 'deleteAll', [keys.retryKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  deleteAllArchived(qname: string): Promise<number> {
    return this.#count('rdb.DeleteAllArchived', qname, 'deleteAll', [keys.archivedKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  deleteAllCompleted(qname: string): Promise<number> {
    return this.#count('rdb.DeleteAllCompleted', qname, 'deleteAll', [keys.completedKey(qname)], [keys.taskKeyPrefix(qname)]);
  }

  deleteAllAggregating(qname: string, group: string): Promise<number> {
    return this.#count('rdb.DeleteAllAggregating', qname, 'deleteAllAggregating', [keys.groupKey(qname, group), keys.allGroups(qname)],
      [keys.taskKeyPrefix(qname), group]);
  }

  /**
   * Go UpdateTaskPayload (HEAD): reads the task, replaces the payload in its message and writes it
   * back if the task is (still) scheduled. The unique key is not recomputed. Not atomic as a whole.
   */
  async updateTaskPayload(qname: string, id: string, payload: Uint8Array): Promise<void> {
    const op = 'rdb.UpdateTaskPayload';
    const info = await this.getTaskInfo(qname, id);
    const msg: TaskMessage = {...info.msg, payload: Buffer.from(payload)};
    const n = await this.#s.script(op, 'updateTaskPayload', [keys.taskKey(qname, id)], [encodeTaskMessage(msg)]);
    taskOutcome(op, qname, id, n, {
      [-1]: () => new FailedPreconditionError('cannot update task that is not in scheduled state.'),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Queue administration
  // -------------------------------------------------------------------------------------------

  /**
   * Go RemoveQueue. Without force the queue must hold no pending/active/scheduled/retry/archived
   * task (QueueNotEmptyError); with force only active tasks prevent it. Then SREM asynq:queues
   * (a separate command, as Go) and forget the queue in this process's registration cache.
   */
  async removeQueue(qname: string, force: boolean): Promise<void> {
    const op = 'rdb.RemoveQueue';
    await this.#checkQueue(op, qname);
    const n = Number(await this.#s.script(op, force ? 'removeQueueForce' : 'removeQueue', [
      keys.pendingKey(qname), keys.activeKey(qname), keys.scheduledKey(qname), keys.retryKey(qname),
      keys.archivedKey(qname), keys.leaseKey(qname),
    ], [keys.taskKeyPrefix(qname)]));
    if (n === -1) throw new QueueNotEmptyError(qname);
    if (n === -2) throw new FailedPreconditionError('cannot remove queue with active tasks');
    if (n !== 1) throw new InternalError(`${op}: unexpected return value from Lua script: ${n}`);
    // asynq-ts's own keys of the queue go with it (a Go RemoveQueue leaves them behind).
    await this.#s.script(op, 'removeCorrupt', [keys.corruptKey(qname), keys.corruptReasonsKey(qname)], [keys.taskKeyPrefix(qname)]);
    await this.#s.run(op, () => this.#s.client.srem(keys.allQueues, qname));
    this.#s.publishedQueues.delete(qname);
  }

  /** SETNX asynq:{q}:paused <now unix s> (no queue-existence check, as Go). */
  async pause(qname: string): Promise<void> {
    const ok = await this.#s.run('rdb.Pause', () => this.#s.client.setnx(keys.pausedKey(qname), unixSeconds(this.#s.clock.now())));
    if (ok !== 1) throw new FailedPreconditionError(`queue "${qname}" is already paused`);
  }

  /** DEL asynq:{q}:paused (no queue-existence check, as Go). */
  async unpause(qname: string): Promise<void> {
    const deleted = await this.#s.run('rdb.Unpause', () => this.#s.client.del(keys.pausedKey(qname)));
    if (deleted === 0) throw new FailedPreconditionError(`queue "${qname}" is not paused`);
  }

  // -------------------------------------------------------------------------------------------
  // Servers, workers, schedulers
  // -------------------------------------------------------------------------------------------

  /** Live servers (expired members of asynq:servers are dropped); missing or undecodable values skipped. */
  async listServers(): Promise<ServerInfo[]> {
    const op = 'rdb.ListServers';
    const live = await this.#liveMembers(op, keys.allServers);
    const values = await this.#s.run(op, () => Promise.all(live.map((k) => this.#s.client.getBuffer(k))));
    return decodeAll(values, decodeServerInfo);
  }

  /** Workers of live servers (expired members of asynq:workers are dropped); undecodable values skipped. */
  async listWorkers(): Promise<WorkerInfo[]> {
    const op = 'rdb.ListWorkers';
    const live = await this.#liveMembers(op, keys.allWorkers);
    const values = await this.#s.run(op, () => Promise.all(live.map((k) => this.#s.client.hvalsBuffer(k))));
    return decodeAll(values.flat(), decodeWorkerInfo);
  }

  /** Entries of live schedulers (expired members of asynq:schedulers are dropped); undecodable skipped. */
  async listSchedulerEntries(): Promise<SchedulerEntry[]> {
    const op = 'rdb.ListSchedulerEntries';
    const live = await this.#liveMembers(op, keys.allSchedulers);
    const values = await this.#s.run(op, () => Promise.all(live.map((k) => this.#s.client.lrangeBuffer(k, 0, -1))));
    return decodeAll(values.flat(), decodeSchedulerEntry);
  }

  /** One page of an entry's enqueue events, newest first. An undecodable event fails the call, as Go. */
  async listSchedulerEnqueueEvents(entryId: string, pgn?: Pagination): Promise<SchedulerEnqueueEvent[]> {
    const op = 'rdb.ListSchedulerEnqueueEvents';
    const {start, stop} = pageRange(pgn);
    const members = await this.#s.run(op, () => this.#s.client.zrevrangeBuffer(keys.schedulerHistoryKey(entryId), start, stop));
    return members.map((m) => {
      try {
        return decodeSchedulerEnqueueEvent(m);
      } catch (err) {
        throw new InternalError(`${op}: cannot decode an enqueue event of entry ${entryId}`, {cause: err});
      }
    });
  }

  /** Go's listServerKeysCmd / listWorkersCmd / listSchedulerKeysCmd (one identical script). */
  async #liveMembers(op: Op, zset: string): Promise<string[]> {
    const res = (await this.#s.script(op, 'listServerKeys', [zset], [unixSeconds(this.#s.clock.now())])) as Reply[];
    return res.map(String);
  }

  // -------------------------------------------------------------------------------------------
  // Redis Cluster
  // -------------------------------------------------------------------------------------------

  /** CLUSTER KEYSLOT asynq:{q}:pending. */
  clusterKeySlot(qname: string): Promise<number> {
    return this.#s.run('rdb.ClusterKeySlot', async () => Number(await this.#command('CLUSTER', 'KEYSLOT', keys.pendingKey(qname))));
  }

  /** The nodes of the CLUSTER SLOTS range that holds the queue's slot. */
  async clusterNodes(qname: string): Promise<ClusterNode[]> {
    const op = 'rdb.ClusterNodes';
    const slot = await this.clusterKeySlot(qname);
    const ranges = (await this.#s.run(op, () => this.#command('CLUSTER', 'SLOTS'))) as unknown[][];
    for (const r of ranges) {
      const [from, to, ...nodes] = r as [number, number, ...unknown[][]];
      if (Number(from) <= slot && slot <= Number(to)) {
        return nodes.map((n) => ({id: String(n[2] ?? ''), addr: joinHostPort(String(n[0]), Number(n[1]))}));
      }
    }
    throw new InternalError('nodes not found');
  }

  #command(name: string, ...args: string[]): Promise<unknown> {
    return this.#s.client.call(name, ...args);
  }

  // -------------------------------------------------------------------------------------------
  // Redis server
  // -------------------------------------------------------------------------------------------

  /**
   * Server facts for `asynq stats` (Go RDB.RedisInfo / RDB.RedisClusterInfo): INFO parsed into
   * `field → value`, or on a Redis Cluster CLUSTER INFO of any node instead, as Go's CLI shows.
   */
  async redisInfo(): Promise<Record<string, string>> {
    if (this.#s.isCluster) return parseInfo(String(await this.#s.run('rdb.RedisClusterInfo', () => this.#command('CLUSTER', 'INFO'))));
    return parseInfo(await this.#s.run('rdb.RedisInfo', () => this.#s.client.info()));
  }

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  /** Queue-existence check, then a script that returns a task count (the bulk writes). */
  async #count(op: Op, qname: string, script: ScriptName, scriptKeys: string[], argv: ScriptArg[]): Promise<number> {
    await this.#checkQueue(op, qname);
    return Number(await this.#s.script(op, script, scriptKeys, argv));
  }

  /** Go checkQueueExists: SISMEMBER asynq:queues, a separate command before the operation. */
  async #checkQueue(op: Op, qname: string): Promise<void> {
    if (!(await this.#queueExists(op, qname))) throw new QueueNotFoundError(qname);
  }
}

/** Zero-based inclusive [start, stop] of a 1-based page (Go Pagination{Page: page-1}). */
function pageRange(pgn: Pagination = {}): {start: number; stop: number} {
  const page = pgn.page ?? 1;
  const size = pgn.size ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(page) || page < 1) throw new ValidationError(`page number must be a positive integer, got ${page}`);
  if (!Number.isInteger(size) || size < 1) throw new ValidationError(`page size must be a positive integer, got ${size}`);
  const start = (page - 1) * size;
  return {start, stop: start + size - 1};
}

/** Maps a 1/0/negative script return code of a single-task write to success or the error. */
function taskOutcome(op: Op, qname: string, id: string, n: unknown, failures: Record<number, () => Error>): void {
  const code = Number(n);
  if (code === 1) return;
  if (code === 0) throw new TaskNotFoundError(qname, id);
  const fail = failures[code];
  if (fail) throw fail();
  throw new InternalError(`${op}: unexpected return value from Lua script: ${String(n)}`);
}

/**
 * The message of a listed task, or null after adding to `bad` why it cannot be read: its key is
 * missing or of another Redis type, it has no msg, or the msg does not decode.
 */
function readListed(queue: string, id: Reply | undefined, msg: Reply | undefined, keyType: Reply | undefined, bad: BadTask[]): TaskMessage | null {
  const taskId = String(id);
  const type = String(keyType);
  let reason: string;
  if (type === 'none') reason = 'no task hash';
  else if (type !== 'hash') reason = `task key holds a ${type}, not a hash`;
  else if (!Buffer.isBuffer(msg)) reason = 'task hash has no msg field';
  else {
    try {
      return decodeTaskMessage(msg);
    } catch (err) {
      reason = errorMessage(err);
    }
  }
  bad.push({queue, id: taskId, reason});
  return null;
}

function resultOrNull(v: Reply | undefined): Buffer | null {
  return Buffer.isBuffer(v) && v.length > 0 ? v : null;
}

/** A unix-seconds reply as a Date; 0 or missing → null (Go's zero time). */
function unixDateOrNull(v: Reply | undefined): Date | null {
  if (v === null || v === undefined) return null;
  const s = Number(String(v));
  return s === 0 || !Number.isFinite(s) ? null : new Date(s * 1000);
}

/** now − pending_since (unix ns); 0 when unknown. */
function latencyMs(now: Date, pendingSince: Reply | undefined): number {
  const s = pendingSince === null || pendingSince === undefined ? '0' : String(pendingSince);
  if (!/^-?\d+$/.test(s) || s === '0') return 0;
  return Number(BigInt(now.getTime()) * 1_000_000n - BigInt(s)) / 1e6;
}

function decodeAll<T>(values: Array<Buffer | null>, decode: (b: Buffer) => T): T[] {
  const out: T[] = [];
  for (const v of values) {
    if (!v) continue;
    try {
      out.push(decode(v));
    } catch {
      // bad data: skipped, as Go
    }
  }
  return out;
}

/** Parses `key:value` lines (INFO and CLUSTER INFO); `# Section` headers and blank lines are skipped. */
function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
