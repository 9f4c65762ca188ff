/**
 * What the dashboard shows, as pure functions (no React, no Redis): `rememberScreen` folds each
 * read into the latest data of every screen, `selectScreen` picks from it what the screen on
 * display shows and what its keys need, and `screenSizes` gives the rows each screen has in a
 * terminal. App.tsx wires them; the views draw the selection.
 */
import type {
  DailyStats,
  GroupInfo,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
} from '../../lib/inspector.js';
import type {TaskInfo} from '../../lib/task.js';
import {masterRows} from '../components/table.js';
import {dashQuery, type DashData, type QueueQuery} from './fetch.js';
import {foldRates, NO_RATES, type Rate, type RateState} from './rates.js';
import type {BrokenQueue} from './source.js';
import {taskRow, visibleQueues, type DashState, type KeyContext, type QueueScreen} from './state.js';
import {cronEventRows} from './views/CronView.js';
import {historyDays} from './views/HistoryChart.js';
import {queueTableRows} from './views/QueueTable.js';
import {queuePageSize} from './views/QueueView.js';

/** Smallest usable terminal. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

/** The last data of each screen, kept across navigation so a screen never starts blank twice. */
export interface LatestData {
  queues: QueueInfo[] | null;
  /** Queues the last queue-table read left out for bad data. */
  brokenQueues?: BrokenQueue[];
  queue: Extract<DashData, {view: 'queue'}> | null;
  groups: {queue: string; groups: GroupInfo[]} | null;
  servers: ServerInfo[] | null;
  cron: {entries: SchedulerEntry[]; entryId: string | null; events: SchedulerEnqueueEvent[]} | null;
  /** Tasks/s from the change of the counters between reads (rates.ts). */
  rates: RateState;
}

export const NO_DATA: LatestData = {
  queues: null,
  queue: null,
  groups: null,
  servers: null,
  cron: null,
  rates: NO_RATES,
};

/** `latest` with `data` as the last read of its screen (the groups of a queue outlive its task pages). */
export function rememberScreen(latest: LatestData | undefined, data: DashData): LatestData {
  const l = latest ?? NO_DATA;
  switch (data.view) {
    case 'queues':
      return {
        ...l,
        queues: data.queues,
        brokenQueues: data.brokenQueues ?? [],
        rates: foldRates(l.rates, data.queues, true),
      };
    case 'queue':
      return {
        ...l,
        queue: data,
        rates: foldRates(l.rates, [data.info], false),
        groups: data.groups === null ? l.groups : {queue: data.query.queue, groups: data.groups},
      };
    case 'servers':
      return {...l, servers: data.servers};
    case 'cron':
      return {...l, cron: data};
  }
}

/** The frame and the rows of each screen in a terminal of `columns` × `rows`. */
export interface ScreenSizes {
  /** Frame width and height: rows − 1 lines, so the terminal never scrolls. */
  width: number;
  height: number;
  /** Lines between the title bar and the status bar. */
  content: number;
  tooSmall: boolean;
  /** Tasks per page of the queue screen. */
  pageSize: number;
  /** Days of the queue screen's history chart. */
  historyDays: number;
  /** Recent enqueues the cron screen reads. */
  cronEvents: number;
}

export function screenSizes(columns: number, rows: number): ScreenSizes {
  const width = Math.max(1, columns);
  const height = Math.max(4, rows - 1);
  const content = height - 3;
  return {
    width,
    height,
    content,
    tooSmall: columns < MIN_COLUMNS || rows < MIN_ROWS,
    pageSize: queuePageSize(content, true),
    historyDays: historyDays(width),
    cronEvents: cronEventRows(content),
  };
}

/** What the screen on display shows (null: not read yet, or read for another screen). */
export interface ScreenSelection {
  /** Queue table: the queues in display order (filtered and sorted) and how many exist. */
  queues: QueueInfo[];
  totalQueues: number;
  loadingQueues: boolean;
  /** Queues left out for bad data (named under the table). */
  brokenQueues: BrokenQueue[];
  /** Tasks/s of each queue, when known (a queue read once has none yet). */
  rates: Readonly<Record<string, Rate>>;
  /** The last tasks/s of the whole system (queue table), oldest first. */
  systemSeries: readonly Rate[];
  /** The last tasks/s of the open queue (queue screen), oldest first. */
  queueSeries: readonly Rate[];
  /** Queue screen. */
  info: QueueInfo | null;
  history: DailyStats[] | null;
  /** The page of tasks, only when read for the tab, group and page on display. */
  tasks: TaskInfo[] | null;
  /** Row of the task under the cursor: the selected task's row on this page, else the cursor's row. */
  taskCursor: number;
  groups: GroupInfo[] | null;
  detail: TaskInfo | 'gone' | null;
  /** Tasks in the current tab (or picked group), when known. */
  total: number | null;
  /** Paused flag by queue, as last read. */
  paused: Record<string, boolean>;
  /** The page on display came back empty although it is not the first (its tasks were run, archived or deleted). */
  emptyPage: boolean;
  /** Then the page to go back to (the last one), or null when there is none to go to. */
  backToPage: number | null;
  servers: ServerInfo[] | null;
  cronEntries: SchedulerEntry[] | null;
  /** Enqueue events of the entry under the cursor. */
  cronEvents: SchedulerEnqueueEvent[] | null;
  keyContext: KeyContext;
}

function sameTasks(a: QueueQuery, b: QueueQuery): boolean {
  return (
    a.queue === b.queue && a.tab === b.tab && a.group === b.group && a.page === b.page && a.pageSize === b.pageSize
  );
}

export function selectScreen(latest: LatestData, state: DashState, sizes: ScreenSizes): ScreenSelection {
  const l = latest;
  const screen = state.queue;
  const query = dashQuery(state, sizes);
  const qd = screen !== null && l.queue !== null && l.queue.query.queue === screen.name ? l.queue : null;
  const info = qd?.info ?? l.queues?.find((q) => q.queue === screen?.name) ?? null;
  const tasksFresh = qd !== null && query.view === 'queue' && sameTasks(qd.query, query);
  const tasks = tasksFresh ? qd.tasks : null;
  const groups = screen !== null && l.groups?.queue === screen.name ? l.groups.groups : null;
  const detail = qd !== null && screen?.detail !== null && qd.query.detail === screen?.detail ? qd.detail : null;
  const shownQueues = visibleQueues(l.queues ?? [], state.queues);
  const cronEntry = l.cron?.entries[Math.min(state.cron.cursor, l.cron.entries.length - 1)];
  const cronEvents =
    l.cron !== null && cronEntry !== undefined && l.cron.entryId === cronEntry.id ? l.cron.events : null;

  let total: number | null = null;
  if (screen !== null && info !== null) {
    total =
      screen.tab === 'aggregating' ? (groups?.find((g) => g.group === screen.group)?.size ?? null) : info[screen.tab];
  }
  const paused: Record<string, boolean> = {};
  for (const q of l.queues ?? []) paused[q.queue] = q.paused;
  if (qd !== null) paused[qd.info.queue] = qd.info.paused;

  const taskCursor = screen === null ? 0 : taskRow(screen, tasks);
  const emptyPage = tasksFresh && tasks !== null && tasks.length === 0 && screen !== null && screen.page > 1;
  const backToPage = emptyPage && screen !== null ? lastPage(screen, total, sizes.pageSize) : null;

  const keyContext: KeyContext = {
    queueNames: shownQueues.map((q) => q.queue),
    paused,
    tasks: tasks?.map((t) => ({id: t.id, state: t.state})) ?? [],
    groups: groups ?? [],
    total,
    pageSize:
      state.section === 'queues'
        ? screen === null
          ? queueTableRows(sizes.content, true)
          : sizes.pageSize
        : masterRows(sizes.content, Infinity),
    servers: l.servers?.length ?? 0,
    cronEntries: l.cron?.entries.length ?? 0,
    detail: detail !== null && detail !== 'gone' ? {id: detail.id, state: detail.state} : null,
  };
  return {
    queues: shownQueues,
    totalQueues: l.queues?.length ?? 0,
    loadingQueues: l.queues === null,
    brokenQueues: l.brokenQueues ?? [],
    rates: l.rates.rates,
    systemSeries: l.rates.systemSeries,
    queueSeries: screen === null ? [] : (l.rates.queueSeries[screen.name] ?? []),
    info,
    history: qd?.history ?? null,
    tasks,
    taskCursor,
    groups,
    detail,
    total,
    paused,
    emptyPage,
    backToPage,
    servers: l.servers,
    cronEntries: l.cron?.entries ?? null,
    cronEvents,
    keyContext,
  };
}

/** The last page of `total` tasks (the previous page when the total is unknown), if before the page on display. */
function lastPage(screen: QueueScreen, total: number | null, pageSize: number): number | null {
  const last = total === null ? screen.page - 1 : Math.max(1, Math.ceil(total / pageSize));
  return last < screen.page ? last : null;
}
