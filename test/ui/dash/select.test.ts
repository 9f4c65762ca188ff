/**
 * What each dashboard screen shows, from the data read so far: pure functions, no React.
 */
import {describe, expect, it} from 'vitest';
import type {DailyStats, GroupInfo, QueueInfo} from '../../../src/lib/inspector.js';
import type {TaskInfo} from '../../../src/lib/task.js';
import {masterRows} from '../../../src/ui/components/table.js';
import {dashQuery, type DashData} from '../../../src/ui/dash/fetch.js';
import {NO_DATA, rememberScreen, screenSizes, selectScreen, type LatestData} from '../../../src/ui/dash/select.js';
import {initialDashState, type DashState, type QueueScreen} from '../../../src/ui/dash/state.js';
import {queueTableRows} from '../../../src/ui/dash/views/QueueTable.js';
import {queuePageSize} from '../../../src/ui/dash/views/QueueView.js';
import {STATE_ORDER} from '../../../src/ui/theme.js';
import {entry, NOW, queueInfo, taskInfo} from '../fakes.js';

const SIZES = screenSizes(80, 24);
const QUEUES = [
  queueInfo('low', {paused: true, archived: 5}),
  queueInfo('default', {pending: 3, retry: 40}),
  queueInfo('critical', {active: 1}),
];
const HISTORY: DailyStats[] = [{queue: 'default', date: '2024-05-01', processed: 100, failed: 4}];

function onQueue(over: Partial<QueueScreen> = {}, base: DashState = initialDashState()): DashState {
  return {
    ...base,
    queue: {name: 'default', tab: 'active', page: 1, cursor: 0, group: null, groupCursor: 0, detail: null, ...over},
  };
}

/** What fetchDash returns for the screen of `state` (a queue screen). */
function queueData(
  state: DashState,
  read: {
    info?: QueueInfo;
    tasks?: TaskInfo[] | null;
    groups?: GroupInfo[] | null;
    detail?: TaskInfo | 'gone' | null;
  } = {},
): DashData {
  const query = dashQuery(state, SIZES);
  if (query.view !== 'queue') throw new Error('not a queue screen');
  const picker = query.tab === 'aggregating' && query.group === null;
  return {
    view: 'queue',
    query,
    info: read.info ?? queueInfo(query.queue),
    history: HISTORY,
    tasks: read.tasks !== undefined ? read.tasks : picker ? null : [],
    groups: read.groups !== undefined ? read.groups : picker ? [] : null,
    detail: read.detail ?? null,
  };
}

function remember(...reads: DashData[]): LatestData {
  return reads.reduce<LatestData>((l, d) => rememberScreen(l, d), NO_DATA);
}

describe('screenSizes', () => {
  it('leaves the last row free and gives the content the rows between the title and the status bar', () => {
    expect(SIZES).toMatchObject({
      width: 80,
      height: 23,
      content: 20,
      tooSmall: false,
      pageSize: queuePageSize(20, true),
    });
    expect(screenSizes(39, 24).tooSmall).toBe(true);
    expect(screenSizes(80, 11).tooSmall).toBe(true);
    expect(screenSizes(0, 2)).toMatchObject({width: 1, height: 4, content: 1});
  });
});

describe('selectScreen: queues', () => {
  it("is loading until the queues are read, with the queue table's page size for the keys", () => {
    const s = selectScreen(NO_DATA, initialDashState(), SIZES);
    expect(s).toMatchObject({
      queues: [],
      totalQueues: 0,
      loadingQueues: true,
      info: null,
      tasks: null,
      total: null,
      paused: {},
    });
    expect(s.keyContext).toMatchObject({
      queueNames: [],
      pageSize: queueTableRows(SIZES.content, true),
      servers: 0,
      cronEntries: 0,
      detail: null,
    });
  });

  it("shows the queues sorted and filtered (the typed filter first), and every queue's paused flag", () => {
    const latest = remember({view: 'queues', queues: QUEUES});
    const s = selectScreen(latest, initialDashState(), SIZES);
    expect(s.queues.map((q) => q.queue)).toEqual(['critical', 'default', 'low']);
    expect(s).toMatchObject({
      totalQueues: 3,
      loadingQueues: false,
      paused: {low: true, default: false, critical: false},
    });
    expect(s.keyContext.queueNames).toEqual(['critical', 'default', 'low']);
    const filtered = (filter: string, draft: string | null): DashState => ({
      ...initialDashState(),
      queues: {...initialDashState().queues, filter, draft},
    });
    expect(selectScreen(latest, filtered('CRIT', null), SIZES).queues.map((q) => q.queue)).toEqual(['critical']);
    expect(selectScreen(latest, filtered('crit', 'o'), SIZES).queues.map((q) => q.queue)).toEqual(['low']);
    expect(selectScreen(latest, filtered('crit', 'o'), SIZES).totalQueues).toBe(3);
    const bySize: DashState = {...initialDashState(), queues: {...initialDashState().queues, sort: 'size', desc: true}};
    expect(selectScreen(latest, bySize, SIZES).keyContext.queueNames).toEqual(['default', 'low', 'critical']);
  });
});

describe('selectScreen: a queue', () => {
  it("shows the queue's line from the queue list before its own read, with no tasks and no history yet", () => {
    const s = selectScreen(remember({view: 'queues', queues: QUEUES}), onQueue({tab: 'retry'}), SIZES);
    expect(s).toMatchObject({info: QUEUES[1], history: null, tasks: null, groups: null, detail: null, total: 40});
    expect(s.keyContext).toMatchObject({tasks: [], total: 40, pageSize: SIZES.pageSize});
  });

  for (const tab of STATE_ORDER.filter((t) => t !== 'aggregating')) {
    it(`on the ${tab} tab: the page of tasks read for it, the history and the tab's count`, () => {
      const state = onQueue({tab});
      const info = queueInfo('default', {[tab]: 2});
      const tasks = [taskInfo('t1', tab), taskInfo('t2', tab)];
      const s = selectScreen(remember({view: 'queues', queues: QUEUES}, queueData(state, {info, tasks})), state, SIZES);
      expect(s).toMatchObject({
        info,
        history: HISTORY,
        tasks,
        groups: null,
        detail: null,
        total: 2,
        emptyPage: false,
        backToPage: null,
      });
      expect(s.keyContext.tasks).toEqual([
        {id: 't1', state: tab},
        {id: 't2', state: tab},
      ]);
      expect(s.keyContext.total).toBe(2);
    });
  }

  it("on the aggregating tab: the group picker, then the picked group's tasks (the groups are kept, its size is the total)", () => {
    const picker = onQueue({tab: 'aggregating'});
    const groups = [
      {group: 'g1', size: 2},
      {group: 'g2', size: 7},
    ];
    let latest = remember(queueData(picker, {groups}));
    const p = selectScreen(latest, picker, SIZES);
    expect(p).toMatchObject({groups, tasks: null, total: null});
    expect(p.keyContext.groups).toEqual(groups);

    const picked = onQueue({tab: 'aggregating', group: 'g2'});
    const before = selectScreen(latest, picked, SIZES);
    expect(before).toMatchObject({groups, tasks: null, total: 7}); // the picker's read is no page of g2
    const tasks = [taskInfo('a1', 'aggregating', {group: 'g2'})];
    latest = rememberScreen(latest, queueData(picked, {tasks}));
    expect(selectScreen(latest, picked, SIZES)).toMatchObject({groups, tasks, total: 7});
  });

  it('with a task open: its detail once read for that task, "gone" when deleted meanwhile', () => {
    const t = taskInfo('r1', 'retry');
    const state = onQueue({tab: 'retry', detail: 'r1'});
    const s = selectScreen(remember(queueData(state, {tasks: [t], detail: t})), state, SIZES);
    expect(s.detail).toBe(t);
    expect(s.keyContext.detail).toEqual({id: 'r1', state: 'retry'});

    const gone = selectScreen(remember(queueData(state, {tasks: [], detail: 'gone'})), state, SIZES);
    expect(gone.detail).toBe('gone');
    expect(gone.keyContext.detail).toBeNull();

    const next = onQueue({tab: 'retry', detail: 'r2'}); // ↓ to the next task: r1's detail is not shown for it
    const stale = selectScreen(remember(queueData(state, {tasks: [t], detail: t})), next, SIZES);
    expect(stale).toMatchObject({detail: null, tasks: [t]});
    expect(stale.keyContext.detail).toBeNull();
  });

  it("the queue's own read decides its paused flag", () => {
    const state = onQueue();
    const latest = remember(
      {view: 'queues', queues: QUEUES},
      queueData(state, {info: queueInfo('default', {paused: true})}),
    );
    expect(selectScreen(latest, state, SIZES).paused).toEqual({low: true, default: true, critical: false});
  });

  it('a page past the end goes back to the last page (the previous one when the count is unknown)', () => {
    const page3 = onQueue({tab: 'retry', page: 3});
    const empty = queueData(page3, {info: queueInfo('default', {retry: 3}), tasks: []});
    expect(selectScreen(remember(empty), page3, SIZES)).toMatchObject({emptyPage: true, total: 3, backToPage: 1});
    const pickedGroup = onQueue({tab: 'aggregating', group: 'gone', page: 3});
    expect(selectScreen(remember(queueData(pickedGroup, {tasks: []})), pickedGroup, SIZES)).toMatchObject({
      emptyPage: true,
      total: null,
      backToPage: 2,
    });
    const page1 = onQueue({tab: 'retry'});
    expect(selectScreen(remember(queueData(page1, {tasks: []})), page1, SIZES)).toMatchObject({
      emptyPage: false,
      backToPage: null,
    });
    const full = queueData(page3, {info: queueInfo('default', {retry: 3 * SIZES.pageSize}), tasks: []}); // still 3 pages: nothing to go back to
    expect(selectScreen(remember(full), page3, SIZES)).toMatchObject({emptyPage: true, backToPage: null});
  });
});

describe('selectScreen: servers and cron', () => {
  it('servers: null until read, then the servers and their count; the keys page by the master list', () => {
    const state: DashState = {...initialDashState(), section: 'servers'};
    expect(selectScreen(NO_DATA, state, SIZES).servers).toBeNull();
    const servers = [
      {
        id: 's1',
        host: 'web-1',
        pid: 42,
        concurrency: 4,
        queues: {default: 1},
        strictPriority: false,
        started: NOW,
        status: 'active',
        activeWorkers: [],
      },
    ];
    const s = selectScreen(remember({view: 'servers', servers}), state, SIZES);
    expect(s.servers).toBe(servers);
    expect(s.keyContext).toMatchObject({servers: 1, pageSize: masterRows(SIZES.content, Infinity)});
  });

  it('cron: the entries, and the recent enqueues only of the entry under the cursor', () => {
    const entries = [entry('e1', '@every 1m', 'report'), entry('e2', '@every 5m', 'other')];
    const events = [{taskId: 'x1', enqueuedAt: NOW}];
    const latest = remember({view: 'cron', entries, entryId: 'e1', events});
    const on = (cursor: number): DashState => ({...initialDashState(), section: 'cron', cron: {cursor}});
    expect(selectScreen(NO_DATA, on(0), SIZES)).toMatchObject({cronEntries: null, cronEvents: null});
    expect(selectScreen(latest, on(0), SIZES)).toMatchObject({cronEntries: entries, cronEvents: events});
    expect(selectScreen(latest, on(0), SIZES).keyContext.cronEntries).toBe(2);
    expect(selectScreen(latest, on(1), SIZES).cronEvents).toBeNull(); // e2's are being read
    const last = remember({view: 'cron', entries, entryId: 'e2', events});
    expect(selectScreen(last, on(5), SIZES).cronEvents).toBe(events); // the cursor past the end is on the last entry
  });
});

describe('the latest data of every screen', () => {
  it("keeps each screen's data when another screen is read, so switching back shows it at once", () => {
    const servers = [
      {
        id: 's1',
        host: 'web-1',
        pid: 42,
        concurrency: 4,
        queues: {},
        strictPriority: false,
        started: NOW,
        status: 'active',
        activeWorkers: [],
      },
    ];
    const q = onQueue({tab: 'retry'});
    const tasks = [taskInfo('r1', 'retry')];
    const latest = remember(
      {view: 'queues', queues: QUEUES},
      queueData(q, {tasks}),
      {view: 'servers', servers},
      {view: 'cron', entries: [], entryId: null, events: []},
    );
    expect(selectScreen(latest, initialDashState(), SIZES).queues).toHaveLength(3);
    expect(selectScreen(latest, q, SIZES)).toMatchObject({tasks, history: HISTORY});
    expect(selectScreen(latest, {...initialDashState(), section: 'servers'}, SIZES).servers).toBe(servers);
    expect(selectScreen(latest, {...q, section: 'servers'}, SIZES).keyContext.servers).toBe(1);
  });

  it("never shows a task list read for another queue, tab or page; the queue's info and history stay", () => {
    const q = onQueue({tab: 'retry'});
    const tasks = [taskInfo('r1', 'retry')];
    const latest = remember({view: 'queues', queues: QUEUES}, queueData(q, {tasks, detail: tasks[0]}));
    const other = selectScreen(latest, onQueue({name: 'critical', tab: 'retry', detail: 'r1'}), SIZES);
    expect(other).toMatchObject({info: QUEUES[2], history: null, tasks: null, detail: null, total: 0});
    expect(other.keyContext.tasks).toEqual([]);
    for (const moved of [onQueue({tab: 'pending'}), onQueue({tab: 'retry', page: 2})]) {
      expect(selectScreen(latest, moved, SIZES)).toMatchObject({
        tasks: null,
        history: HISTORY,
        info: latest.queue!.info,
      });
    }
    const smaller = selectScreen(latest, q, screenSizes(80, 20)); // a resize changes the page size: the page is read again
    expect(smaller.tasks).toBeNull();
  });

  it("keeps a queue's groups while its task pages are read, and not for another queue", () => {
    const groups = [{group: 'g1', size: 2}];
    const latest = remember(
      queueData(onQueue({tab: 'aggregating'}), {groups}),
      queueData(onQueue({tab: 'aggregating', group: 'g1'}), {tasks: []}),
    );
    expect(latest.groups).toEqual({queue: 'default', groups});
    expect(selectScreen(latest, onQueue({tab: 'aggregating'}), SIZES).groups).toEqual(groups);
    expect(selectScreen(latest, onQueue({name: 'critical', tab: 'aggregating'}), SIZES).groups).toBeNull();
  });

  it('rememberScreen returns new data and leaves what it is given alone', () => {
    const before = remember({view: 'queues', queues: QUEUES});
    const copy = {...before};
    const after = rememberScreen(before, {view: 'queues', queues: []});
    expect(before).toEqual(copy);
    expect(after.queues).toEqual([]);
    expect(rememberScreen(undefined, {view: 'servers', servers: []})).toEqual({...NO_DATA, servers: []});
  });
});
