/**
 * Fakes for the dashboard's tests: QueueInfo/TaskInfo builders, a DashSource over plain data that
 * counts its calls, and frame helpers for ink-testing-library.
 */
import type {TaskState} from '../../src/lib/base/states.js';
import {QueueNotFoundError, TaskNotFoundError} from '../../src/lib/errors.js';
import type {
  DailyStats,
  GroupInfo,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
} from '../../src/lib/inspector.js';
import {Task, type TaskInfo} from '../../src/lib/task.js';
import type {DashSource} from '../../src/ui/dash/source.js';

export const NOW = new Date('2024-05-01T12:00:00Z');

export function queueInfo(queue: string, over: Partial<QueueInfo> = {}): QueueInfo {
  const base: QueueInfo = {
    queue,
    memoryUsage: 0,
    latency: 0,
    size: 0,
    groups: 0,
    pending: 0,
    active: 0,
    scheduled: 0,
    retry: 0,
    archived: 0,
    completed: 0,
    aggregating: 0,
    processed: 0,
    failed: 0,
    processedTotal: 0,
    failedTotal: 0,
    paused: false,
    timestamp: NOW,
    ...over,
  };
  base.size =
    base.pending + base.active + base.scheduled + base.retry + base.archived + base.completed + base.aggregating;
  return base;
}

export function taskInfo(id: string, state: TaskState, over: Partial<TaskInfo> = {}): TaskInfo {
  return {
    id,
    queue: 'default',
    type: 'email:send',
    payload: Buffer.from(`{"to":"${id}@example.com"}`),
    headers: {},
    state,
    maxRetry: 25,
    retried: 0,
    lastErr: '',
    lastFailedAt: null,
    timeout: 1_800_000,
    deadline: null,
    group: '',
    nextProcessAt: null,
    isOrphaned: false,
    retention: 0,
    completedAt: null,
    result: null,
    ...over,
  };
}

export interface FakeData {
  queues: QueueInfo[];
  tasks?: Record<string, TaskInfo[]>; // key `${queue}/${state}` or `${queue}/aggregating/${group}`
  groups?: Record<string, GroupInfo[]>;
  history?: Record<string, DailyStats[]>;
  servers?: ServerInfo[];
  entries?: SchedulerEntry[];
  events?: Record<string, SchedulerEnqueueEvent[]>;
}

export interface Call {
  method: string;
  args: unknown[];
}

/** A DashSource over `data` (mutable: tests change it between refreshes); records every call. */
export function fakeSource(data: FakeData): DashSource & {calls: Call[]; data: FakeData; fail?: Error} {
  const calls: Call[] = [];
  const src = {
    calls,
    data,
    fail: undefined as Error | undefined,
  };
  const rec = <T>(method: string, args: unknown[], value: () => T): Promise<T> => {
    calls.push({method, args});
    if (src.fail) return Promise.reject(src.fail);
    try {
      return Promise.resolve(value());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  const q = (name: string): QueueInfo => {
    const info = data.queues.find((x) => x.queue === name);
    if (!info) throw new QueueNotFoundError(name);
    return info;
  };
  const all = (): TaskInfo[] => Object.values(data.tasks ?? {}).flat();
  const source: DashSource = {
    listQueueInfos: () =>
      rec('listQueueInfos', [], () => [...data.queues].sort((a, b) => (a.queue < b.queue ? -1 : 1))),
    getQueueInfo: (name) => rec('getQueueInfo', [name], () => q(name)),
    history: (name, days) => rec('history', [name, days], () => (data.history?.[name] ?? []).slice(0, days)),
    groups: (name) => rec('groups', [name], () => data.groups?.[name] ?? []),
    listTasks: (name, state, opts) =>
      rec('listTasks', [name, state, opts], () => {
        const key = state === 'aggregating' ? `${name}/aggregating/${opts.group}` : `${name}/${state}`;
        const size = opts.size ?? 30;
        const page = opts.page ?? 1;
        return (data.tasks?.[key] ?? []).slice((page - 1) * size, page * size);
      }),
    getTaskInfo: (name, id) =>
      rec('getTaskInfo', [name, id], () => {
        const t = all().find((x) => x.id === id && x.queue === name);
        if (!t) throw new TaskNotFoundError(name, id);
        return t;
      }),
    servers: () => rec('servers', [], () => data.servers ?? []),
    schedulerEntries: () => rec('schedulerEntries', [], () => data.entries ?? []),
    listSchedulerEnqueueEvents: (id, pgn) =>
      rec('listSchedulerEnqueueEvents', [id, pgn], () => (data.events?.[id] ?? []).slice(0, pgn?.size ?? 30)),
    pauseQueue: (name) => rec('pauseQueue', [name], () => void (q(name).paused = true)),
    unpauseQueue: (name) => rec('unpauseQueue', [name], () => void (q(name).paused = false)),
    runTask: (name, id) => rec('runTask', [name, id], () => undefined),
    archiveTask: (name, id) => rec('archiveTask', [name, id], () => undefined),
    deleteTask: (name, id) => rec('deleteTask', [name, id], () => undefined),
    cancelProcessing: (id) => rec('cancelProcessing', [id], () => undefined),
    bulkTasks: (action, name, state, opts) => rec('bulkTasks', [action, name, state, opts], () => 3),
  };
  return Object.assign(src, source);
}

export function entry(id: string, spec: string, type: string, over: Partial<SchedulerEntry> = {}): SchedulerEntry {
  return {
    id,
    spec,
    task: new Task(type, Buffer.from('{}')),
    options: ['Queue("low")'],
    opts: {},
    next: new Date(NOW.getTime() + 30_000),
    prev: null,
    ...over,
  };
}

/** Frame lines without trailing blanks. */
export function lines(frame: string | undefined): string[] {
  return (frame ?? '').split('\n').map((l) => l.trimEnd());
}

/** Waits until the last frame satisfies `test` (default deadline 3 s); returns it. */
export async function waitForFrame(
  lastFrame: () => string | undefined,
  test: (frame: string) => boolean,
  what = 'frame',
  timeoutMs = 3000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = lastFrame() ?? '';
    if (test(f)) return f;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves after `ms` (for letting a few polling intervals pass). */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
