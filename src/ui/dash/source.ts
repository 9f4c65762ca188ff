/**
 * DashSource: everything `asynq dash` reads and does, the equivalent of Go dash's `fetcher`.
 * The App receives it as a prop, so component tests pass a fake; the command passes
 * `inspectorSource(new Inspector(conn))`.
 *
 * Cost per refresh, whatever the number of tasks: one `queues()` plus one `getQueueInfo` per queue
 * on the queues screen; one `getQueueInfo`, one `history` and one page of tasks (or the groups of
 * the queue, on the aggregating tab before a group is picked) on a queue screen; no call scans
 * every task.
 */
import type {TaskState} from '../../lib/base/states.js';
import {QueueNotFoundError, errorMessage, isBadData} from '../../lib/errors.js';
import type {
  BulkAction,
  DailyStats,
  GroupInfo,
  Inspector,
  ListTasksOptions,
  Pagination,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
} from '../../lib/inspector.js';
import type {TaskInfo} from '../../lib/task.js';

/** A queue left out of the queue table because its keys hold bad data, and the error. */
export interface BrokenQueue {
  queue: string;
  error: string;
}

export interface DashSource {
  /**
   * Every queue's info, sorted by name; queues removed while reading are left out, and so are
   * queues whose keys hold bad data (a key of the wrong Redis type), told to `onBroken`.
   */
  listQueueInfos(signal?: AbortSignal, onBroken?: (broken: BrokenQueue) => void): Promise<QueueInfo[]>;
  getQueueInfo(queue: string): Promise<QueueInfo>;
  /** Daily counters, today first. */
  history(queue: string, days: number): Promise<DailyStats[]>;
  groups(queue: string): Promise<GroupInfo[]>;
  /** One page of a state's tasks ('aggregating' needs `group`). */
  listTasks(queue: string, state: TaskState, opts: ListTasksOptions): Promise<TaskInfo[]>;
  getTaskInfo(queue: string, id: string): Promise<TaskInfo>;
  servers(): Promise<ServerInfo[]>;
  schedulerEntries(): Promise<SchedulerEntry[]>;
  listSchedulerEnqueueEvents(entryId: string, pgn?: Pagination): Promise<SchedulerEnqueueEvent[]>;

  pauseQueue(queue: string): Promise<void>;
  unpauseQueue(queue: string): Promise<void>;
  runTask(queue: string, id: string): Promise<void>;
  archiveTask(queue: string, id: string): Promise<void>;
  deleteTask(queue: string, id: string): Promise<void>;
  cancelProcessing(id: string): Promise<void>;
  /** Runs, archives or deletes every task of a state (of a group for 'aggregating'); returns how many. */
  bulkTasks(action: BulkAction, queue: string, state: TaskState, opts?: {group?: string}): Promise<number>;
}

/** The Inspector methods the dashboard uses. */
export type DashInspector = Pick<
  Inspector,
  | 'queues'
  | 'getQueueInfo'
  | 'history'
  | 'groups'
  | 'listTasks'
  | 'getTaskInfo'
  | 'servers'
  | 'schedulerEntries'
  | 'listSchedulerEnqueueEvents'
  | 'pauseQueue'
  | 'unpauseQueue'
  | 'runTask'
  | 'archiveTask'
  | 'deleteTask'
  | 'cancelProcessing'
  | 'bulkTasks'
>;

/** A DashSource over an Inspector (which stays the caller's to close). */
export function inspectorSource(insp: DashInspector): DashSource {
  return {
    async listQueueInfos(signal, onBroken) {
      const names = await insp.queues();
      if (signal?.aborted) return [];
      const infos = await Promise.all(
        names.map((q) =>
          insp.getQueueInfo(q).catch((err: unknown) => {
            if (err instanceof QueueNotFoundError) return null; // removed between the two reads
            if (!isBadData(err)) throw err;
            onBroken?.({queue: q, error: errorMessage(err)}); // the other queues are still shown
            return null;
          }),
        ),
      );
      return infos.filter((i): i is QueueInfo => i !== null);
    },
    getQueueInfo: (q) => insp.getQueueInfo(q),
    history: (q, days) => insp.history(q, days),
    groups: (q) => insp.groups(q),
    listTasks: (q, state, opts) => insp.listTasks(q, state, opts),
    getTaskInfo: (q, id) => insp.getTaskInfo(q, id),
    servers: () => insp.servers(),
    schedulerEntries: () => insp.schedulerEntries(),
    listSchedulerEnqueueEvents: (id, pgn) => insp.listSchedulerEnqueueEvents(id, pgn),
    pauseQueue: (q) => insp.pauseQueue(q),
    unpauseQueue: (q) => insp.unpauseQueue(q),
    runTask: (q, id) => insp.runTask(q, id),
    archiveTask: (q, id) => insp.archiveTask(q, id),
    deleteTask: (q, id) => insp.deleteTask(q, id),
    cancelProcessing: (id) => insp.cancelProcessing(id),
    bulkTasks: (action, q, state, opts) => insp.bulkTasks(action, q, state, opts),
  };
}
