/**
 * What one refresh of each screen reads (Go dash's `dataFetcher.Fetch`), as a plain query → data
 * function, so the call pattern is tested without React. The query holds only what changes the
 * reads: moving the cursor on the queue table does not refetch anything.
 */
import type {TaskState} from '../../lib/base/states.js';
import {TaskNotFoundError} from '../../lib/errors.js';
import type {
  DailyStats,
  GroupInfo,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
} from '../../lib/inspector.js';
import type {TaskInfo} from '../../lib/task.js';
import type {BrokenQueue, DashSource} from './source.js';
import type {DashState} from './state.js';

export type DashQuery =
  | {view: 'queues'}
  | {
      view: 'queue';
      queue: string;
      tab: TaskState;
      /** null on the aggregating tab before a group is picked: the groups are read instead of tasks. */
      group: string | null;
      page: number;
      pageSize: number;
      detail: string | null;
      historyDays: number;
    }
  | {view: 'servers'}
  | {view: 'cron'; cursor: number; events: number};

export type QueueQuery = Extract<DashQuery, {view: 'queue'}>;

export type DashData =
  | {view: 'queues'; queues: QueueInfo[]; brokenQueues?: BrokenQueue[]}
  | {
      view: 'queue';
      /** The query this was read for (parts stay usable while another query loads). */
      query: QueueQuery;
      info: QueueInfo;
      history: DailyStats[];
      /** The page of tasks (null when the group picker is shown). */
      tasks: TaskInfo[] | null;
      /** The queue's groups (picker only). */
      groups: GroupInfo[] | null;
      /** The task of the detail pane: null when none is open, 'gone' when it no longer exists. */
      detail: TaskInfo | 'gone' | null;
    }
  | {view: 'servers'; servers: ServerInfo[]}
  | {view: 'cron'; entries: SchedulerEntry[]; entryId: string | null; events: SchedulerEnqueueEvent[]};

/** The query of the screen on display. */
export function dashQuery(s: DashState, sizes: {pageSize: number; historyDays: number; cronEvents: number}): DashQuery {
  switch (s.section) {
    case 'servers':
      return {view: 'servers'};
    case 'cron':
      return {view: 'cron', cursor: s.cron.cursor, events: sizes.cronEvents};
    case 'queues': {
      const q = s.queue;
      if (q === null) return {view: 'queues'};
      const picker = q.tab === 'aggregating' && q.group === null;
      return {
        view: 'queue',
        queue: q.name,
        tab: q.tab,
        group: q.tab === 'aggregating' ? q.group : null,
        page: picker ? 1 : q.page,
        pageSize: sizes.pageSize,
        detail: q.detail,
        historyDays: sizes.historyDays,
      };
    }
  }
}

/** A stable string for a query (the polling key). */
export function queryKey(q: DashQuery): string {
  return JSON.stringify(q);
}

/** Reads what the query's screen shows; every read of one refresh runs concurrently. */
export async function fetchDash(source: DashSource, q: DashQuery, signal?: AbortSignal): Promise<DashData> {
  switch (q.view) {
    case 'queues': {
      const brokenQueues: BrokenQueue[] = [];
      const queues = await source.listQueueInfos(signal, (b) => brokenQueues.push(b));
      return {view: 'queues', queues, ...(brokenQueues.length > 0 ? {brokenQueues} : {})};
    }
    case 'servers':
      return {view: 'servers', servers: await source.servers()};
    case 'cron': {
      const entries = await source.schedulerEntries();
      const entry = entries[Math.min(q.cursor, entries.length - 1)];
      const events =
        entry === undefined || signal?.aborted
          ? []
          : await source.listSchedulerEnqueueEvents(entry.id, {page: 1, size: q.events});
      return {view: 'cron', entries, entryId: entry?.id ?? null, events};
    }
    case 'queue': {
      const picker = q.tab === 'aggregating' && q.group === null;
      const [info, history, tasks, groups, detail] = await Promise.all([
        source.getQueueInfo(q.queue),
        source.history(q.queue, Math.max(1, q.historyDays)),
        picker
          ? null
          : source.listTasks(q.queue, q.tab, {
              page: q.page,
              size: q.pageSize,
              ...(q.group === null ? {} : {group: q.group}),
            }),
        picker ? source.groups(q.queue) : null,
        q.detail === null
          ? null
          : source.getTaskInfo(q.queue, q.detail).catch((err: unknown) => {
              if (err instanceof TaskNotFoundError) return 'gone' as const;
              throw err;
            }),
      ]);
      return {view: 'queue', query: q, info, history, tasks, groups, detail};
    }
  }
}
