/**
 * The dashboard's state machine (Go dash's key_event.go, as pure functions): `keyToAction` turns a
 * key press into an action, given the state and what is on screen (`KeyContext`); `reduceDash`
 * applies it. Neither touches Redis or React: App.tsx wires `useReducer`, `useInput` and the
 * polling hooks, and runs the one side effect an action can ask for (`execute`).
 *
 * Screens: three sections switched with Tab (queues, servers, cron). The queues section drills
 * into a queue (state tabs, a page of tasks, a group picker on the aggregating tab) and into a
 * task (detail pane). `?` overlays help. `q` and Ctrl+C quit from anywhere; Esc goes back.
 */
import type {TaskState} from '../../lib/base/states.js';
import {BULK_STATES, type QueueInfo} from '../../lib/inspector.js';
import {STATE_ORDER} from '../theme.js';

/** The subset of Ink's `Key` the dashboard reads (Ink's Key is assignable to it). */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

export const SECTIONS = ['queues', 'servers', 'cron'] as const;
export type Section = (typeof SECTIONS)[number];

/** Columns the queue table can be sorted by (`s` cycles, `S` reverses). */
const SORT_KEYS = [
  'queue',
  'size',
  'pending',
  'active',
  'scheduled',
  'retry',
  'archived',
  'completed',
  'aggregating',
  'processed',
  'failed',
  'errorRate',
  'latency',
  'memoryUsage',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

type TaskAction = 'run' | 'archive' | 'delete' | 'cancel';
type QueueAction = 'pause' | 'unpause';

/** A confirmed operation for App to run against the DashSource. */
export interface ActionRequest {
  kind: TaskAction | QueueAction;
  queue: string;
  /** The task of a single-task action. */
  taskId?: string;
  /** The task's state (single) or the tab's state (all). */
  state?: TaskState;
  /** The group, for aggregating tasks. */
  group?: string;
  /** Every task of `state` (of `group`) instead of one. */
  all?: boolean;
}

/** The y/n prompt on screen: `y` runs `one`, `a` runs `all`, `n`/Esc cancels. */
export interface ConfirmState {
  one: ActionRequest | null;
  all: ActionRequest | null;
  /** How many tasks `all` would touch, when known. */
  allCount: number | null;
}

interface StatusMessage {
  kind: 'info' | 'ok' | 'warn' | 'error';
  text: string;
}

/** The drilled-into queue. */
export interface QueueScreen {
  name: string;
  tab: TaskState;
  /** 1-based page of the task table. */
  page: number;
  /** Row of the page (where `selected` was last seen). */
  cursor: number;
  /**
   * ID of the task under the cursor, once one was picked: the cursor follows it when a refresh
   * reorders the page (selectScreen), and stays at `cursor` when it left the page.
   */
  selected?: string;
  /** Picked group on the aggregating tab (null: the group picker is shown). */
  group: string | null;
  groupCursor: number;
  /** ID of the task in the detail pane. */
  detail: string | null;
}

export interface DashState {
  section: Section;
  help: boolean;
  queues: {
    cursor: number;
    sort: SortKey;
    desc: boolean;
    /** Applied name filter ('' = none). */
    filter: string;
    /** The filter being typed after `/` (null when not editing); the list follows it live. */
    draft: string | null;
  };
  queue: QueueScreen | null;
  servers: {cursor: number};
  cron: {cursor: number};
  confirm: ConfirmState | null;
  status: StatusMessage | null;
  /** An action is running (no new one until it settles). */
  busy: boolean;
  /** Bumped to refresh now (`r`, after an action). */
  refresh: number;
  quit: boolean;
}

export type DashAction =
  | {type: 'quit'}
  | {type: 'help'}
  | {type: 'section'; section: Section}
  | {type: 'refresh'}
  | {type: 'cursor'; value: number; /** The task at that row (queue screen's task table). */ id?: string}
  | {type: 'openQueue'; queue: string}
  | {type: 'back'}
  | {type: 'tab'; tab: TaskState}
  | {type: 'page'; page: number}
  | {type: 'openTask'; id: string; index: number}
  /** The page of tasks now on display (queue, tab, group, page as read): the cursor keeps to its task. */
  | {type: 'tasksShown'; queue: string; tab: TaskState; group: string | null; page: number; ids: readonly string[]}
  | {type: 'selectGroup'; group: string}
  | {type: 'sort'; key: SortKey; desc: boolean}
  | {type: 'filterStart'}
  | {type: 'filterInput'; text: string}
  | {type: 'filterBackspace'}
  | {type: 'filterApply'}
  | {type: 'filterCancel'}
  | {type: 'filterClear'}
  | {type: 'confirm'; confirm: ConfirmState}
  | {type: 'confirmCancel'}
  | {type: 'execute'; request: ActionRequest}
  | {type: 'actionDone'; request: ActionRequest; text: string}
  | {type: 'actionFailed'; request: ActionRequest; text: string}
  | {type: 'status'; status: StatusMessage};

/** What is on screen, for the keys that depend on it. */
export interface KeyContext {
  /** Queue names in display order (queues screen: filtered and sorted). */
  queueNames: readonly string[];
  /** Paused flag by queue, as last read. */
  paused: Readonly<Record<string, boolean>>;
  /** Tasks of the visible page (queue screen). */
  tasks: readonly {id: string; state: TaskState}[];
  /** Groups of the queue (aggregating tab, picker). */
  groups: readonly {group: string; size: number}[];
  /** Tasks in the current tab (or picked group), when known. */
  total: number | null;
  /** Rows the focused list shows at once (page size of the task table). */
  pageSize: number;
  /** Rows of the servers and cron screens. */
  servers: number;
  cronEntries: number;
  /** The task in the detail pane, once loaded. */
  detail: {id: string; state: TaskState} | null;
}

export function initialDashState(): DashState {
  return {
    section: 'queues',
    help: false,
    queues: {cursor: 0, sort: 'queue', desc: false, filter: '', draft: null},
    queue: null,
    servers: {cursor: 0},
    cron: {cursor: 0},
    confirm: null,
    status: null,
    busy: false,
    refresh: 0,
    quit: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Selectors

/** failed / processed today, -1 when nothing was processed (sorts below 0 %). */
function errorRatio(q: Pick<QueueInfo, 'processed' | 'failed'>): number {
  return q.processed > 0 ? q.failed / q.processed : -1;
}

function sortValue(q: QueueInfo, key: SortKey): number | string {
  if (key === 'errorRate') return errorRatio(q);
  return q[key];
}

/** The queues the table shows: names containing the filter (case-insensitive), sorted; ties by name. */
export function visibleQueues(infos: readonly QueueInfo[], qs: DashState['queues']): QueueInfo[] {
  const needle = (qs.draft ?? qs.filter).toLowerCase();
  const rows = needle === '' ? [...infos] : infos.filter((q) => q.queue.toLowerCase().includes(needle));
  const dir = qs.desc ? -1 : 1;
  return rows.sort((a, b) => {
    const va = sortValue(a, qs.sort);
    const vb = sortValue(b, qs.sort);
    const c = va < vb ? -1 : va > vb ? 1 : 0;
    return c * dir || (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0);
  });
}

/** The row of the task table the cursor is on: the selected task's row on `tasks` (a refresh may have moved it), else `cursor`. */
export function taskRow(q: QueueScreen, tasks: readonly {id: string}[] | null): number {
  const at = q.selected === undefined || tasks === null ? -1 : tasks.findIndex((t) => t.id === q.selected);
  return at >= 0 ? at : q.cursor;
}

/** Whether `n` may go to the next page. */
export function hasNextPage(page: number, pageSize: number, onPage: number, total: number | null): boolean {
  if (total === null) return onPage >= pageSize;
  return (page - 1) * pageSize + onPage < total;
}

// ---------------------------------------------------------------------------------------------
// Keys

/** States a single task can be in for each action (the Inspector refuses the others). */
const SINGLE_STATES: Record<TaskAction, readonly TaskState[]> = {
  run: ['scheduled', 'retry', 'archived', 'completed', 'aggregating'],
  archive: ['pending', 'scheduled', 'retry', 'completed', 'aggregating'],
  delete: ['pending', 'scheduled', 'retry', 'archived', 'completed', 'aggregating'],
  cancel: ['active'],
};

const ACTION_KEYS: Record<string, TaskAction> = {R: 'run', A: 'archive', D: 'delete', C: 'cancel'};

function whyNot(kind: TaskAction, state: TaskState): string {
  if (kind === 'cancel') return 'only active tasks can be canceled';
  if (state === 'active')
    return `an active task cannot be ${kind === 'run' ? 'run again' : `${kind}d`}: cancel it first (C)`;
  if (kind === 'run' && state === 'pending') return 'pending tasks are already waiting to run';
  if (kind === 'archive' && state === 'archived') return 'the task is already archived';
  return `${state} tasks cannot be ${kind === 'run' ? 'run' : `${kind}d`}`;
}

function cycle<T>(list: readonly T[], current: T, delta: number): T {
  const i = list.indexOf(current);
  return list[(i + delta + list.length) % list.length]!;
}

/** Cursor movement on a list of `count` rows: ↑↓/jk wrap (as Go), PgUp/PgDn, Home/End, g/G. */
function moveCursor(input: string, key: KeyPress, cursor: number, count: number, visible: number): number | null {
  if (count <= 0) return null;
  const c = Math.max(0, Math.min(cursor, count - 1));
  if (key.downArrow || input === 'j') return (c + 1) % count;
  if (key.upArrow || input === 'k') return (c - 1 + count) % count;
  if (key.pageDown) return Math.min(count - 1, c + Math.max(1, visible));
  if (key.pageUp) return Math.max(0, c - Math.max(1, visible));
  if (key.home || input === 'g') return 0;
  if (key.end || input === 'G') return count - 1;
  return null;
}

function pauseConfirm(queue: string | undefined, ctx: KeyContext): DashAction | null {
  if (queue === undefined) return null;
  const paused = ctx.paused[queue];
  if (paused === undefined) return null;
  return {type: 'confirm', confirm: {one: {kind: paused ? 'unpause' : 'pause', queue}, all: null, allCount: null}};
}

function taskConfirm(
  kind: TaskAction,
  q: QueueScreen,
  task: {id: string; state: TaskState} | null,
  ctx: KeyContext,
): DashAction {
  const group = q.group ?? undefined;
  const one =
    task !== null && SINGLE_STATES[kind].includes(task.state)
      ? {
          kind,
          queue: q.name,
          taskId: task.id,
          state: task.state,
          ...(task.state === 'aggregating' && group ? {group} : {}),
        }
      : null;
  const bulk: readonly TaskState[] = kind === 'cancel' ? [] : BULK_STATES[kind];
  const count = ctx.total ?? ctx.tasks.length;
  const all =
    bulk.includes(q.tab) && count > 0 && (q.tab !== 'aggregating' || group !== undefined)
      ? {kind, queue: q.name, state: q.tab, all: true, ...(group ? {group} : {})}
      : null;
  if (one === null && all === null) {
    return {
      type: 'status',
      status: {
        kind: 'warn',
        text: task === null && count === 0 ? `no ${q.tab} task to act on` : whyNot(kind, task?.state ?? q.tab),
      },
    };
  }
  return {type: 'confirm', confirm: {one, all, allCount: ctx.total}};
}

function confirmKey(input: string, key: KeyPress, c: ConfirmState): DashAction | null {
  if (input === 'y' && c.one) return {type: 'execute', request: c.one};
  if (input === 'a' && c.all) return {type: 'execute', request: c.all};
  if (input === 'n' || key.escape) return {type: 'confirmCancel'};
  return null;
}

function filterKey(input: string, key: KeyPress): DashAction | null {
  if (key.escape) return {type: 'filterCancel'};
  if (key.return) return {type: 'filterApply'};
  if (key.backspace || key.delete) return {type: 'filterBackspace'};
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return null;
  // eslint-disable-next-line no-control-regex
  const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
  return text === '' ? null : {type: 'filterInput', text};
}

function queuesKey(input: string, key: KeyPress, s: DashState, ctx: KeyContext): DashAction | null {
  const qs = s.queues;
  const moved = moveCursor(input, key, qs.cursor, ctx.queueNames.length, ctx.pageSize);
  if (moved !== null) return {type: 'cursor', value: moved};
  const current = ctx.queueNames[Math.min(qs.cursor, ctx.queueNames.length - 1)];
  if (input === 'n' || input === 'p') {
    const paged = moveCursor(
      '',
      input === 'n' ? {pageDown: true} : {pageUp: true},
      qs.cursor,
      ctx.queueNames.length,
      ctx.pageSize,
    );
    return paged === null ? null : {type: 'cursor', value: paged};
  }
  if (key.return) return current === undefined ? null : {type: 'openQueue', queue: current};
  if (input === '/') return {type: 'filterStart'};
  if (input === 's') {
    const next = cycle(SORT_KEYS, qs.sort, 1);
    return {type: 'sort', key: next, desc: next !== 'queue'};
  }
  if (input === 'S') return {type: 'sort', key: qs.sort, desc: !qs.desc};
  if (input === 'P') return pauseConfirm(current, ctx);
  if (key.escape && qs.filter !== '') return {type: 'filterClear'};
  return null;
}

function queueKey(input: string, key: KeyPress, s: DashState, q: QueueScreen, ctx: KeyContext): DashAction | null {
  if (input === 'P') return pauseConfirm(q.name, ctx);
  const kind = ACTION_KEYS[input];
  const picker = q.tab === 'aggregating' && q.group === null;

  const cursor = taskRow(q, ctx.tasks);
  if (q.detail !== null) {
    if (key.escape || key.return) return {type: 'back'};
    const moved = moveCursor(input, key, cursor, ctx.tasks.length, ctx.pageSize);
    if (moved !== null) return {type: 'openTask', id: ctx.tasks[moved]!.id, index: moved};
    if (kind !== undefined)
      return taskConfirm(kind, q, ctx.detail ?? ctx.tasks.find((t) => t.id === q.detail) ?? null, ctx);
    return null;
  }

  if (key.leftArrow || input === 'h') return {type: 'tab', tab: cycle(STATE_ORDER, q.tab, -1)};
  if (key.rightArrow || input === 'l') return {type: 'tab', tab: cycle(STATE_ORDER, q.tab, 1)};
  if (key.escape) return {type: 'back'};

  if (picker) {
    const moved = moveCursor(input, key, q.groupCursor, ctx.groups.length, ctx.pageSize);
    if (moved !== null) return {type: 'cursor', value: moved};
    const g = ctx.groups[Math.min(q.groupCursor, ctx.groups.length - 1)];
    if (key.return) return g === undefined ? null : {type: 'selectGroup', group: g.group};
    if (kind !== undefined && kind !== 'cancel' && g !== undefined) {
      return {
        type: 'confirm',
        confirm: {
          one: null,
          all: {kind, queue: q.name, state: 'aggregating', group: g.group, all: true},
          allCount: g.size,
        },
      };
    }
    return null;
  }

  const moved = moveCursor(input, key, cursor, ctx.tasks.length, ctx.pageSize);
  if (moved !== null) return {type: 'cursor', value: moved, id: ctx.tasks[moved]!.id};
  if (input === 'n')
    return hasNextPage(q.page, ctx.pageSize, ctx.tasks.length, ctx.total) ? {type: 'page', page: q.page + 1} : null;
  if (input === 'p') return q.page > 1 ? {type: 'page', page: q.page - 1} : null;
  const index = Math.min(cursor, ctx.tasks.length - 1);
  const task = ctx.tasks[index] ?? null;
  if (key.return) return task === null ? null : {type: 'openTask', id: task.id, index};
  if (kind !== undefined) return taskConfirm(kind, q, task, ctx);
  return null;
}

function listKey(input: string, key: KeyPress, cursor: number, count: number, visible: number): DashAction | null {
  const moved = moveCursor(input, key, cursor, count, visible);
  if (moved !== null) return {type: 'cursor', value: moved};
  if (key.escape) return {type: 'section', section: 'queues'};
  return null;
}

/**
 * The key presses in one input event. Ink hands over several characters at once when they arrive
 * together (fast typing, `tmux send-keys j Enter`, a paste): each becomes its own press, Enter,
 * Tab and Backspace included. Escape sequences (arrows…) come alone and pass through.
 */
export function splitKeys(input: string, key: KeyPress): Array<[string, KeyPress]> {
  if (input.length <= 1 || key.ctrl || key.meta || input.includes('\u001b')) return [[input, key]];
  return [...input].map((ch): [string, KeyPress] => {
    if (ch === '\r' || ch === '\n') return ['', {return: true}];
    if (ch === '\t') return ['', {tab: true}];
    if (ch === '\u007f' || ch === '\b') return ['', {backspace: true}];
    return [ch, /\p{Lu}/u.test(ch) ? {shift: true} : {}];
  });
}

/** The action for a key press, or null when the key means nothing here. */
export function keyToAction(input: string, key: KeyPress, s: DashState, ctx: KeyContext): DashAction | null {
  if (key.ctrl && input === 'c') return {type: 'quit'};
  if (s.confirm !== null) return confirmKey(input, key, s.confirm);
  if (s.queues.draft !== null && s.section === 'queues' && s.queue === null) return filterKey(input, key);
  if (s.help) {
    if (input === '?' || key.escape) return {type: 'help'};
    return input === 'q' ? {type: 'quit'} : null;
  }
  if (input === 'q') return {type: 'quit'};
  if (input === '?') return {type: 'help'};
  if (key.tab) return {type: 'section', section: cycle(SECTIONS, s.section, key.shift ? -1 : 1)};
  if (input === 'r' && !key.ctrl) return {type: 'refresh'};
  const acting = ACTION_KEYS[input] !== undefined || input === 'P';
  if (acting && s.busy) return {type: 'status', status: {kind: 'warn', text: 'still working on the previous action'}};
  switch (s.section) {
    case 'queues':
      return s.queue === null ? queuesKey(input, key, s, ctx) : queueKey(input, key, s, s.queue, ctx);
    case 'servers':
      return listKey(input, key, s.servers.cursor, ctx.servers, ctx.pageSize);
    case 'cron':
      return listKey(input, key, s.cron.cursor, ctx.cronEntries, ctx.pageSize);
  }
}

// ---------------------------------------------------------------------------------------------
// Reducer

function withQueue(s: DashState, patch: Partial<QueueScreen>): DashState {
  return s.queue === null ? s : {...s, queue: {...s.queue, ...patch}};
}

function setCursor(s: DashState, value: number, id?: string): DashState {
  switch (s.section) {
    case 'servers':
      return {...s, servers: {cursor: value}};
    case 'cron':
      return {...s, cron: {cursor: value}};
    case 'queues':
      if (s.queue === null) return {...s, queues: {...s.queues, cursor: value}};
      if (s.queue.tab === 'aggregating' && s.queue.group === null) return withQueue(s, {groupCursor: value});
      return withQueue(s, {cursor: value, selected: id});
  }
}

function back(s: DashState): DashState {
  const q = s.queue;
  if (q === null) return s;
  if (q.detail !== null) return withQueue(s, {detail: null});
  if (q.tab === 'aggregating' && q.group !== null)
    return withQueue(s, {group: null, page: 1, cursor: 0, selected: undefined});
  return {...s, queue: null};
}

/**
 * The cursor after a read of the page on display: on the selected task's new row, or, when it
 * left the page, on the same row (the last one at most), now selecting the task there. The state
 * itself when nothing changes, or the read is of another page than the one on display.
 */
function followTask(s: DashState, a: Extract<DashAction, {type: 'tasksShown'}>): DashState {
  const q = s.queue;
  if (
    q === null ||
    a.ids.length === 0 ||
    q.name !== a.queue ||
    q.tab !== a.tab ||
    q.group !== a.group ||
    q.page !== a.page
  )
    return s;
  if (q.tab === 'aggregating' && q.group === null) return s;
  const cursor = Math.max(
    0,
    Math.min(
      taskRow(
        q,
        a.ids.map((id) => ({id})),
      ),
      a.ids.length - 1,
    ),
  );
  const selected = a.ids[cursor]!;
  return cursor === q.cursor && selected === q.selected ? s : withQueue(s, {cursor, selected});
}

export function reduceDash(s: DashState, a: DashAction): DashState {
  switch (a.type) {
    case 'quit':
      return {...s, quit: true};
    case 'help':
      return {...s, help: !s.help};
    case 'section':
      return {...s, section: a.section, help: false};
    case 'refresh':
      return {...s, refresh: s.refresh + 1};
    case 'cursor':
      return setCursor(s, a.value, a.id);
    case 'openQueue':
      return {
        ...s,
        queue: {name: a.queue, tab: 'active', page: 1, cursor: 0, group: null, groupCursor: 0, detail: null},
        status: null,
      };
    case 'back':
      return back(s);
    case 'tab':
      return withQueue(s, {
        tab: a.tab,
        page: 1,
        cursor: 0,
        selected: undefined,
        group: null,
        groupCursor: 0,
        detail: null,
      });
    case 'page':
      return withQueue(s, {page: Math.max(1, a.page), cursor: 0, selected: undefined});
    case 'openTask':
      return withQueue(s, {detail: a.id, cursor: a.index, selected: a.id});
    case 'tasksShown':
      return followTask(s, a);
    case 'selectGroup':
      return withQueue(s, {group: a.group, page: 1, cursor: 0, selected: undefined});
    case 'sort':
      return {...s, queues: {...s.queues, sort: a.key, desc: a.desc}};
    case 'filterStart':
      return {...s, queues: {...s.queues, draft: s.queues.filter}};
    case 'filterInput':
      return {...s, queues: {...s.queues, draft: (s.queues.draft ?? '') + a.text, cursor: 0}};
    case 'filterBackspace':
      return {...s, queues: {...s.queues, draft: [...(s.queues.draft ?? '')].slice(0, -1).join(''), cursor: 0}};
    case 'filterApply':
      return {...s, queues: {...s.queues, filter: s.queues.draft ?? s.queues.filter, draft: null, cursor: 0}};
    case 'filterCancel':
      return {...s, queues: {...s.queues, draft: null, cursor: 0}};
    case 'filterClear':
      return {...s, queues: {...s.queues, filter: '', draft: null, cursor: 0}};
    case 'confirm':
      return {...s, confirm: a.confirm, status: null};
    case 'confirmCancel':
      return {...s, confirm: null, status: {kind: 'info', text: 'canceled'}};
    case 'execute':
      return {...s, confirm: null, busy: true, status: {kind: 'info', text: 'working…'}};
    case 'actionDone': {
      const next: DashState = {...s, busy: false, status: {kind: 'ok', text: a.text}, refresh: s.refresh + 1};
      const q = next.queue;
      const deleted = a.request.kind === 'delete' && !a.request.all && q !== null && q.detail === a.request.taskId;
      return deleted ? withQueue(next, {detail: null}) : next;
    }
    case 'actionFailed':
      return {...s, busy: false, status: {kind: 'error', text: a.text}, refresh: s.refresh + 1};
    case 'status':
      return {...s, status: a.status};
  }
}
