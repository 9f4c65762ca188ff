import {describe, expect, it} from 'vitest';
import type {TaskState} from '../../../src/lib/base/states.js';
import {
  hasNextPage,
  initialDashState,
  keyToAction,
  reduceDash,
  splitKeys,
  visibleQueues,
  type DashAction,
  type DashState,
  type KeyContext,
  type KeyPress,
  type QueueScreen,
} from '../../../src/ui/dash/state.js';
import {queueInfo} from '../fakes.js';

const CTX: KeyContext = {
  queueNames: ['critical', 'default', 'low'],
  paused: {critical: false, default: false, low: true},
  tasks: [
    {id: 't1', state: 'retry'},
    {id: 't2', state: 'retry'},
    {id: 't3', state: 'retry'},
  ],
  groups: [
    {group: 'g1', size: 4},
    {group: 'g2', size: 1},
  ],
  total: 3,
  pageSize: 10,
  servers: 2,
  cronEntries: 3,
  detail: null,
};

/** Presses keys in order (a string is typed character by character; objects are special keys). */
function press(s: DashState, keys: Array<string | KeyPress>, ctx: KeyContext = CTX): DashState {
  for (const k of keys) {
    const inputs = typeof k === 'string' ? [...k] : [''];
    for (const input of inputs) {
      const action = keyToAction(input, typeof k === 'string' ? (/[A-Z]/.test(input) ? {shift: true} : {}) : k, s, ctx);
      if (action) s = reduceDash(s, action);
    }
  }
  return s;
}

const ENTER = {return: true};
const ESC = {escape: true};
const DOWN = {downArrow: true};
const UP = {upArrow: true};
const RIGHT = {rightArrow: true};
const LEFT = {leftArrow: true};
const TAB = {tab: true};

function inQueue(over: Partial<NonNullable<DashState['queue']>> = {}): DashState {
  const s = press(initialDashState(), ['j', ENTER]); // default
  return {...s, queue: {...s.queue!, ...over}};
}

describe('queues screen', () => {
  it("moves with arrows and jk, wrapping at both ends as Go's dash", () => {
    let s = initialDashState();
    s = press(s, [DOWN, 'j']);
    expect(s.queues.cursor).toBe(2);
    s = press(s, ['j']);
    expect(s.queues.cursor).toBe(0);
    s = press(s, [UP]);
    expect(s.queues.cursor).toBe(2);
    s = press(s, ['k', {home: true}]);
    expect(s.queues.cursor).toBe(0);
    s = press(s, ['G']);
    expect(s.queues.cursor).toBe(2);
  });

  it('opens the queue under the cursor on its active tab, page 1', () => {
    const s = press(initialDashState(), ['j', ENTER]);
    expect(s.queue).toEqual({
      name: 'default',
      tab: 'active',
      page: 1,
      cursor: 0,
      group: null,
      groupCursor: 0,
      detail: null,
    });
  });

  it('does nothing on Enter when there is no queue', () => {
    const s = press(initialDashState(), [ENTER], {...CTX, queueNames: []});
    expect(s.queue).toBeNull();
  });

  it('filters as you type after /, applies on Enter, cancels on Esc, and Esc again clears the filter', () => {
    let s = press(initialDashState(), ['/', 'crq']);
    expect(s.queues.draft).toBe('crq');
    s = press(s, [{backspace: true}, ENTER]);
    expect(s.queues).toMatchObject({filter: 'cr', draft: null});
    s = press(s, ['/', 'xyz', ESC]);
    expect(s.queues).toMatchObject({filter: 'cr', draft: null});
    s = press(s, [ESC]);
    expect(s.queues.filter).toBe('');
  });

  it('takes q, ? and r as text while filtering', () => {
    const s = press(initialDashState(), ['/', 'q?r']);
    expect(s.queues.draft).toBe('q?r');
    expect(s.quit).toBe(false);
    expect(s.help).toBe(false);
  });

  it('cycles the sort column with s (numbers biggest first) and reverses with S', () => {
    let s = press(initialDashState(), ['s']);
    expect(s.queues).toMatchObject({sort: 'size', desc: true});
    s = press(s, ['S']);
    expect(s.queues).toMatchObject({sort: 'size', desc: false});
    for (let i = 0; i < 13; i++) s = press(s, ['s']);
    expect(s.queues).toMatchObject({sort: 'queue', desc: false});
  });

  it('asks before pausing the queue under the cursor, and before resuming a paused one', () => {
    let s = press(initialDashState(), ['P']);
    expect(s.confirm).toEqual({one: {kind: 'pause', queue: 'critical'}, all: null, allCount: null});
    s = press(s, ['n']);
    expect(s.confirm).toBeNull();
    s = press(s, ['G', 'P']);
    expect(s.confirm?.one).toEqual({kind: 'unpause', queue: 'low'});
  });
});

describe('visibleQueues', () => {
  const infos = [
    queueInfo('low', {pending: 5, processed: 10, failed: 0}),
    queueInfo('critical', {pending: 1, processed: 10, failed: 5}),
    queueInfo('default', {pending: 5, processed: 0, failed: 0}),
  ];
  const qs = initialDashState().queues;

  it('sorts by name by default and by any column, ties by name', () => {
    expect(visibleQueues(infos, qs).map((q) => q.queue)).toEqual(['critical', 'default', 'low']);
    expect(visibleQueues(infos, {...qs, sort: 'pending', desc: true}).map((q) => q.queue)).toEqual([
      'default',
      'low',
      'critical',
    ]);
    expect(visibleQueues(infos, {...qs, sort: 'errorRate', desc: true}).map((q) => q.queue)).toEqual([
      'critical',
      'low',
      'default',
    ]);
  });

  it('filters by a case-insensitive part of the name, following the draft while typing', () => {
    expect(visibleQueues(infos, {...qs, filter: 'L'}).map((q) => q.queue)).toEqual(['critical', 'default', 'low']);
    expect(visibleQueues(infos, {...qs, filter: 'ow'}).map((q) => q.queue)).toEqual(['low']);
    expect(visibleQueues(infos, {...qs, filter: 'ow', draft: 'crit'}).map((q) => q.queue)).toEqual(['critical']);
  });
});

describe('queue screen', () => {
  it("switches state tabs with ←→ and hl in Go's order, wrapping, back to page 1", () => {
    let s = inQueue({page: 3, cursor: 2});
    s = press(s, [RIGHT]);
    expect(s.queue).toMatchObject({tab: 'pending', page: 1, cursor: 0});
    s = press(s, ['l', 'l', 'l', 'l', 'l']);
    expect(s.queue?.tab).toBe('completed');
    s = press(s, ['l']);
    expect(s.queue?.tab).toBe('active');
    s = press(s, [LEFT, 'h']);
    expect(s.queue?.tab).toBe('archived');
  });

  it('pages with n and p within the task count', () => {
    const ctx = {...CTX, pageSize: 2, total: 5, tasks: CTX.tasks.slice(0, 2)};
    let s = press(inQueue({tab: 'retry'}), ['n'], ctx);
    expect(s.queue?.page).toBe(2);
    s = press(s, ['n'], ctx);
    expect(s.queue?.page).toBe(3);
    s = press(s, ['n'], {...ctx, tasks: ctx.tasks.slice(0, 1)});
    expect(s.queue?.page).toBe(3);
    s = press(s, ['p', 'p', 'p'], ctx);
    expect(s.queue?.page).toBe(1);
  });

  it('knows when there is a next page, also without a total (groups)', () => {
    expect(hasNextPage(1, 10, 10, 25)).toBe(true);
    expect(hasNextPage(3, 10, 5, 25)).toBe(false);
    expect(hasNextPage(1, 10, 10, null)).toBe(true);
    expect(hasNextPage(1, 10, 9, null)).toBe(false);
  });

  it('opens the detail of the selected task, moves to neighbours with ↑↓, and Esc closes it', () => {
    let s = press(inQueue({tab: 'retry'}), ['j', ENTER]);
    expect(s.queue).toMatchObject({detail: 't2', cursor: 1});
    s = press(s, [DOWN]);
    expect(s.queue).toMatchObject({detail: 't3', cursor: 2});
    s = press(s, [ESC]);
    expect(s.queue).toMatchObject({detail: null, cursor: 2});
    s = press(s, [ESC]);
    expect(s.queue).toBeNull();
  });

  it('shows the group picker on the aggregating tab: Enter picks a group, Esc goes back to the picker', () => {
    let s = press(inQueue({tab: 'aggregating'}), ['j']);
    expect(s.queue).toMatchObject({groupCursor: 1, cursor: 0});
    s = press(s, [ENTER]);
    expect(s.queue).toMatchObject({group: 'g2', page: 1});
    s = press(s, [ESC]);
    expect(s.queue).toMatchObject({group: null, tab: 'aggregating'});
    s = press(s, [ESC]);
    expect(s.queue).toBeNull();
  });

  it('offers the selected task and all tasks of the tab when running a retry task', () => {
    const s = press(inQueue({tab: 'retry'}), ['j', 'R']);
    expect(s.confirm).toEqual({
      one: {kind: 'run', queue: 'default', taskId: 't2', state: 'retry'},
      all: {kind: 'run', queue: 'default', state: 'retry', all: true},
      allCount: 3,
    });
    const yes = keyToAction('y', {}, s, CTX);
    expect(yes).toEqual({type: 'execute', request: s.confirm!.one});
    expect(keyToAction('a', {}, s, CTX)).toEqual({type: 'execute', request: s.confirm!.all});
    expect(keyToAction('x', {}, s, CTX)).toBeNull();
    expect(reduceDash(s, yes!)).toMatchObject({confirm: null, busy: true});
  });

  it('offers only the single task where the Inspector has no bulk operation (run completed, archive archived…)', () => {
    const completed = press(inQueue({tab: 'completed'}), ['R'], {...CTX, tasks: [{id: 'c1', state: 'completed'}]});
    expect(completed.confirm).toMatchObject({one: {kind: 'run', taskId: 'c1'}, all: null});
    const archived = press(inQueue({tab: 'archived'}), ['D'], {...CTX, tasks: [{id: 'a1', state: 'archived'}]});
    expect(archived.confirm).toMatchObject({
      one: {kind: 'delete', taskId: 'a1'},
      all: {kind: 'delete', state: 'archived', all: true},
    });
    const pendingArchive = press(inQueue({tab: 'pending'}), ['A'], {...CTX, tasks: [{id: 'p1', state: 'pending'}]});
    expect(pendingArchive.confirm).toMatchObject({
      one: {kind: 'archive', taskId: 'p1'},
      all: {kind: 'archive', state: 'pending'},
    });
  });

  it('explains in the status line instead of asking when an action does not apply', () => {
    const active = {...CTX, tasks: [{id: 'a1', state: 'active' as const}]};
    expect(press(inQueue({tab: 'active'}), ['R'], active)).toMatchObject({
      confirm: null,
      status: {kind: 'warn', text: 'an active task cannot be run again: cancel it first (C)'},
    });
    expect(press(inQueue({tab: 'active'}), ['D'], active).status?.text).toBe(
      'an active task cannot be deleted: cancel it first (C)',
    );
    expect(press(inQueue({tab: 'retry'}), ['C']).status?.text).toBe('only active tasks can be canceled');
    expect(press(inQueue({tab: 'pending'}), ['R'], {...CTX, tasks: [{id: 'p', state: 'pending'}]}).status?.text).toBe(
      'pending tasks are already waiting to run',
    );
    expect(press(inQueue({tab: 'scheduled'}), ['R'], {...CTX, tasks: [], total: 0}).status?.text).toBe(
      'no scheduled task to act on',
    );
  });

  it('cancels only the selected active task', () => {
    const s = press(inQueue({tab: 'active'}), ['C'], {...CTX, tasks: [{id: 'a1', state: 'active'}]});
    expect(s.confirm).toEqual({
      one: {kind: 'cancel', queue: 'default', taskId: 'a1', state: 'active'},
      all: null,
      allCount: 3,
    });
  });

  it('acts on the task in the detail pane, with its loaded state', () => {
    const s = press(inQueue({tab: 'retry', detail: 't1'}), ['D'], {...CTX, detail: {id: 't1', state: 'archived'}});
    expect(s.confirm?.one).toEqual({kind: 'delete', queue: 'default', taskId: 't1', state: 'archived'});
  });

  it('acts on a whole group from the picker', () => {
    const s = press(inQueue({tab: 'aggregating'}), ['A']);
    expect(s.confirm).toEqual({
      one: null,
      all: {kind: 'archive', queue: 'default', state: 'aggregating', group: 'g1', all: true},
      allCount: 4,
    });
    expect(keyToAction('y', {}, s, CTX)).toBeNull();
  });

  it('passes the group along for aggregating tasks of a picked group', () => {
    const ctx = {...CTX, tasks: [{id: 'x1', state: 'aggregating' as const}], total: 4};
    const s = press(inQueue({tab: 'aggregating', group: 'g1'}), ['R'], ctx);
    expect(s.confirm).toEqual({
      one: {kind: 'run', queue: 'default', taskId: 'x1', state: 'aggregating', group: 'g1'},
      all: {kind: 'run', queue: 'default', state: 'aggregating', group: 'g1', all: true},
      allCount: 4,
    });
  });

  it('pauses the open queue with P', () => {
    expect(press(inQueue(), ['P']).confirm?.one).toEqual({kind: 'pause', queue: 'default'});
  });

  it('refuses a second action while one is running', () => {
    const s = press({...inQueue({tab: 'retry'}), busy: true}, ['R']);
    expect(s).toMatchObject({confirm: null, status: {kind: 'warn', text: 'still working on the previous action'}});
  });
});

describe('results of actions', () => {
  it('shows the result, refreshes at once, and closes the detail of a deleted task', () => {
    const s = {...inQueue({tab: 'retry', detail: 't1'}), busy: true};
    const done = reduceDash(s, {
      type: 'actionDone',
      request: {kind: 'delete', queue: 'default', taskId: 't1'},
      text: 'task t1 deleted',
    });
    expect(done).toMatchObject({busy: false, status: {kind: 'ok', text: 'task t1 deleted'}, refresh: s.refresh + 1});
    expect(done.queue?.detail).toBeNull();
    const ran = reduceDash(s, {type: 'actionDone', request: {kind: 'run', queue: 'default', taskId: 't1'}, text: 'ok'});
    expect(ran.queue?.detail).toBe('t1');
  });

  it('shows a failure in the status line and refreshes', () => {
    const s = reduceDash(
      {...initialDashState(), busy: true},
      {type: 'actionFailed', request: {kind: 'pause', queue: 'x'}, text: 'queue "x" is already paused'},
    );
    expect(s).toMatchObject({busy: false, status: {kind: 'error', text: 'queue "x" is already paused'}, refresh: 1});
  });

  it('cancels a prompt with n or Esc', () => {
    const s = press(initialDashState(), ['P', ESC]);
    expect(s).toMatchObject({confirm: null, status: {kind: 'info', text: 'canceled'}});
  });
});

describe('everywhere', () => {
  it('quits with q or Ctrl+C, also from a queue, the help or a prompt (Ctrl+C)', () => {
    expect(press(initialDashState(), ['q']).quit).toBe(true);
    expect(press(inQueue({detail: 't1'}), ['q']).quit).toBe(true);
    expect(press(press(initialDashState(), ['?']), ['q']).quit).toBe(true);
    expect(keyToAction('c', {ctrl: true}, press(initialDashState(), ['P']), CTX)).toEqual({type: 'quit'});
    expect(press(initialDashState(), ['P', 'q']).quit).toBe(false);
  });

  it('toggles help with ?; Esc closes it; other keys are ignored meanwhile', () => {
    let s = press(initialDashState(), ['?']);
    expect(s.help).toBe(true);
    s = press(s, ['j', ENTER]);
    expect(s).toMatchObject({help: true, queue: null, queues: {cursor: 0}});
    s = press(s, [ESC]);
    expect(s.help).toBe(false);
  });

  it('cycles Queues → Servers → Cron with Tab (Shift+Tab backwards), keeping the open queue', () => {
    let s = inQueue({tab: 'retry'});
    s = press(s, [TAB]);
    expect(s.section).toBe('servers');
    s = press(s, [TAB]);
    expect(s.section).toBe('cron');
    s = press(s, [
      {tab: true, shift: true},
      {tab: true, shift: true},
    ]);
    expect(s).toMatchObject({section: 'queues', queue: {name: 'default', tab: 'retry'}});
  });

  it('moves on the servers and cron screens and goes back to queues with Esc', () => {
    let s = press(initialDashState(), [TAB, 'j']);
    expect(s.servers.cursor).toBe(1);
    s = press(s, [TAB, 'k']);
    expect(s.cron.cursor).toBe(2);
    s = press(s, [ESC]);
    expect(s.section).toBe('queues');
  });

  it('refreshes with r', () => {
    expect(press(initialDashState(), ['r', 'r']).refresh).toBe(2);
  });
});

describe('splitKeys', () => {
  it('splits characters that arrive together into presses, Enter, Tab and Backspace included', () => {
    expect(splitKeys('j\r', {})).toEqual([
      ['j', {}],
      ['', {return: true}],
    ]);
    expect(splitKeys('lR\t\u007f', {})).toEqual([
      ['l', {}],
      ['R', {shift: true}],
      ['', {tab: true}],
      ['', {backspace: true}],
    ]);
  });

  it('passes single keys, escape sequences and control keys through', () => {
    expect(splitKeys('j', {})).toEqual([['j', {}]]);
    expect(splitKeys('', {downArrow: true})).toEqual([['', {downArrow: true}]]);
    expect(splitKeys('\u001b[B', {})).toEqual([['\u001b[B', {}]]);
    expect(splitKeys('c', {ctrl: true})).toEqual([['c', {ctrl: true}]]);
  });
});

describe('the task cursor follows its task (tasksShown)', () => {
  const onPending = (over: Partial<QueueScreen> = {}): DashState => ({
    ...initialDashState(),
    queue: {name: 'q', tab: 'pending', page: 1, cursor: 0, group: null, groupCursor: 0, detail: null, ...over},
  });
  const shown = (ids: string[], over: {tab?: TaskState; page?: number} = {}): DashAction => ({
    type: 'tasksShown',
    queue: 'q',
    tab: over.tab ?? 'pending',
    group: null,
    page: over.page ?? 1,
    ids,
  });

  it('selects the task under the cursor at the first read, then follows it to its new row', () => {
    const s1 = reduceDash(onPending({cursor: 1}), shown(['a', 'b', 'c']));
    expect(s1.queue).toMatchObject({cursor: 1, selected: 'b'});
    expect(reduceDash(s1, shown(['c', 'a', 'b'])).queue).toMatchObject({cursor: 2, selected: 'b'});
  });

  it('stays on the same row (the last at most) when the task left the page; ignores a read of another page', () => {
    const s = onPending({cursor: 1, selected: 'b'});
    expect(reduceDash(s, shown(['a', 'c', 'd'])).queue).toMatchObject({cursor: 1, selected: 'c'});
    expect(reduceDash(s, shown(['a'])).queue).toMatchObject({cursor: 0, selected: 'a'});
    expect(reduceDash(s, shown(['x', 'y'], {tab: 'retry'}))).toBe(s);
    expect(reduceDash(s, shown(['x', 'y'], {page: 2}))).toBe(s);
    expect(reduceDash(s, shown(['a', 'b']))).toBe(s);
  });
});
