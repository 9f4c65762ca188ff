/**
 * Frames of every view, rendered by Ink (ink-testing-library) at a fixed size, without colour
 * unless a test turns it on. Views are pure: props in, lines out.
 */
import chalk from 'chalk';
import {render} from 'ink-testing-library';
import {createElement, type ReactElement} from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import type {ServerInfo} from '../../../src/lib/inspector.js';
import type {TaskState} from '../../../src/lib/base/states.js';
import {initialDashState, type DashState, type QueueScreen} from '../../../src/ui/dash/state.js';
import {ConfirmPrompt} from '../../../src/ui/dash/views/ConfirmPrompt.js';
import {CronView} from '../../../src/ui/dash/views/CronView.js';
import {HelpView} from '../../../src/ui/dash/views/HelpView.js';
import {HistoryChart, historyDays} from '../../../src/ui/dash/views/HistoryChart.js';
import {QueueTable, type QueueTableProps} from '../../../src/ui/dash/views/QueueTable.js';
import {QueueView, queuePageSize, type QueueViewProps} from '../../../src/ui/dash/views/QueueView.js';
import {ServersView} from '../../../src/ui/dash/views/ServersView.js';
import {StatusBar, type StatusBarProps} from '../../../src/ui/dash/views/StatusBar.js';
import {TaskDetail} from '../../../src/ui/dash/views/TaskDetail.js';
import {TaskTable} from '../../../src/ui/dash/views/TaskTable.js';
import {TitleBar} from '../../../src/ui/dash/views/TitleBar.js';
import {entry, lines, NOW, queueInfo, taskInfo} from '../fakes.js';

const ANSI = /\u001b\[/;
const savedLevel = chalk.level;
afterEach(() => {
  chalk.level = savedLevel;
});

function frame(el: ReactElement): string {
  const r = render(el);
  const f = r.lastFrame() ?? '';
  r.unmount();
  return f;
}

const QUEUES = [
  queueInfo('critical', {
    active: 2,
    pending: 120,
    retry: 3,
    processed: 5400,
    failed: 12,
    latency: 2500,
    memoryUsage: 1_234_567,
  }),
  queueInfo('default', {
    pending: 12_345,
    scheduled: 40,
    archived: 7,
    completed: 300,
    processed: 98_000,
    memoryUsage: 20_000_000,
  }),
  queueInfo('low', {paused: true, aggregating: 9, groups: 2}),
];

function table(over: Partial<QueueTableProps> = {}): ReactElement {
  return createElement(QueueTable, {
    queues: QUEUES,
    totalQueues: 3,
    cursor: 1,
    sort: 'queue',
    desc: false,
    filter: '',
    width: 80,
    height: 8,
    color: false,
    ...over,
  });
}

describe('QueueTable', () => {
  it("shows one row per queue with state, counts, today's numbers, a stacked bar, totals and a legend at 80 columns", () => {
    expect(lines(frame(table()))).toEqual([
      '  Queue↑     State   Size   Act  Pend Retry  Arch  Proc  Fail    Err% States',
      '  critical   RUN      125     2   120     3     0  5400    12   0.22% =',
      '> default    RUN    12.7k     0 12.3k     0     7   98k     0   0.00% =======+x.',
      '  low        PAUSED     9     0     0     0     0     0     0       - ~',
      '',
      '',
      '  Total             12.8k     2 12.5k     3     7  103k    12   0.01% #====~+!x.',
      '# Act = Pend ~ Aggr + Sched ! Retry x Arch . Compl  3 queues',
    ]);
  });

  it('shows every column, latency and memory included, when the terminal is wide, and the bar grows', () => {
    const f = lines(frame(table({width: 132})));
    expect(f[0]).toBe(
      '  Queue↑          State   Size   Act  Pend  Aggr Sched Retry  Arch Compl  Proc  Fail    Err%    Lat      Mem States',
    );
    expect(f[2]).toBe(
      '> default         RUN    12.7k     0 12.3k     0    40     0     7   300   98k     0   0.00%     0s  20.0 MB ====================+x.',
    );
    expect(f[1]).toContain('     3s   1.2 MB =');
    expect(f[7]).toBe('# active  = pending  ~ aggregating  + scheduled  ! retry  x archived  . completed   3 queues');
  });

  it('marks the sort column and its direction', () => {
    expect(lines(frame(table({sort: 'failed', desc: true})))[0]).toContain(' Fail↓');
    expect(lines(frame(table({sort: 'queue', desc: true})))[0]).toContain('Queue↓');
  });

  it('scrolls a long list around the cursor and says which rows are shown', () => {
    const many = Array.from({length: 100}, (_, i) => queueInfo(`q${String(i).padStart(2, '0')}`, {pending: i}));
    const f = lines(frame(table({queues: many, totalQueues: 100, cursor: 50, height: 8})));
    expect(f.slice(1, 6).map((l) => l.slice(0, 7))).toEqual(['  q48  ', '  q49  ', '> q50  ', '  q51  ', '  q52  ']);
    expect(f[7]).toMatch(/ 49-53 of 100 queues$/);
  });

  it('says when there are no queues, or none matches the filter', () => {
    expect(lines(frame(table({queues: [], totalQueues: 0})))[0]).toBe(
      '  No queues yet: a queue appears when a task is first enqueued to it.',
    );
    expect(lines(frame(table({queues: [], filter: 'zz'})))[0]).toBe(
      '  No queue name contains "zz" (Esc clears the filter).',
    );
    expect(lines(frame(table({queues: [QUEUES[2]!], filter: 'lo'})))[7]).toBe(
      '# Act = Pend ~ Aggr + Sched ! Retry x Arch . Compl  1 of 3 queues matching "lo"',
    );
  });

  it('draws state colours and highlights the cursor row only when colour is on', () => {
    chalk.level = 1;
    const coloured = frame(table({color: true}));
    expect(coloured).toMatch(ANSI);
    expect(coloured).toContain('█');
    const plain = frame(table({color: false}));
    expect(plain).not.toMatch(ANSI);
    expect(plain).not.toContain('█');
  });

  it('is exactly as high as asked and never wider than the terminal', () => {
    for (const width of [40, 80, 100]) {
      const f = (frame(table({width, height: 12})) ?? '').split('\n');
      expect(f).toHaveLength(12);
      for (const l of f) expect(l.length).toBeLessThanOrEqual(width);
    }
  });
});

const T = (id: string, state: TaskState, over: Parameters<typeof taskInfo>[2] = {}) =>
  taskInfo(id, state, {queue: 'critical', ...over});
const RICH = {
  retried: 2,
  lastErr: 'smtp: 421 try later',
  lastFailedAt: new Date(NOW.getTime() - 90_000),
  nextProcessAt: new Date(NOW.getTime() + 300_000),
  completedAt: new Date(NOW.getTime() - 5000),
  result: Buffer.from('ok'),
  group: 'g1',
  isOrphaned: true,
};

describe('TaskTable', () => {
  const headers = (state: TaskState): string[] =>
    lines(
      frame(
        createElement(TaskTable, {
          state,
          tasks: [T('t1', state, RICH)],
          cursor: 0,
          width: 100,
          rows: 1,
          color: false,
          now: NOW,
        }),
      ),
    );

  it("shows the columns Go's dash shows for each state", () => {
    expect(headers('active')[0]!.split(/ +/).filter(Boolean)).toEqual([
      'ID',
      'Type',
      'Retried',
      'Max',
      'Retry',
      'Payload',
      'Lease',
    ]);
    expect(headers('pending')[0]!.split(/ +/).filter(Boolean)).toEqual([
      'ID',
      'Type',
      'Retried',
      'Max',
      'Retry',
      'Payload',
    ]);
    expect(headers('scheduled')[0]!.split(/ +/).filter(Boolean)).toEqual(['ID', 'Type', 'Process', 'Payload']);
    expect(headers('retry')[0]).toMatch(/^ {2}ID +Type +Retry Last Failure +Failed +Next +Payload$/);
    expect(headers('archived')[0]).toMatch(/^ {2}ID +Type +Retry Last Failure +Failed +Payload$/);
    expect(headers('completed')[0]!.split(/ +/).filter(Boolean)).toEqual([
      'ID',
      'Type',
      'Completed',
      'Payload',
      'Result',
    ]);
    expect(headers('aggregating')[0]!.split(/ +/).filter(Boolean)).toEqual(['ID', 'Type', 'Payload', 'Group']);
  });

  it('fills the cells of each state with times relative to now', () => {
    expect(headers('active')[1]).toMatch(/^> t1 +email:send +2 +25 \{"to":"t1@example.com"\} +orphaned$/);
    expect(headers('scheduled')[1]).toMatch(/^> t1 +email:send +in 5m +\{"to"/);
    expect(headers('retry')[1]).toMatch(/^> t1 +email:send +2\/25 smtp: 421 try later +1m30s ago +in 5m +\{"to"/);
    expect(headers('completed')[1]).toMatch(/^> t1 +email:send +5s ago +\{"to":"t1@example.com"\} +ok$/);
    expect(headers('aggregating')[1]).toMatch(/ g1$/);
  });

  it('truncates long IDs and errors at 80 columns instead of wrapping', () => {
    const id = '0f8e6c1a-3b1d-4c5e-9a7b-2d4f6e8a0b1c';
    const f = lines(
      frame(
        createElement(TaskTable, {
          state: 'retry',
          tasks: [T(id, 'retry', RICH)],
          cursor: 0,
          width: 80,
          rows: 1,
          color: false,
          now: NOW,
        }),
      ),
    );
    expect(f[1]).toBe('> 0f8e6c1a-3… email:se…    2/25 smtp: 421 try… 1m30s ago  in 5m      {"to":"0f8…');
  });

  it('says when the state has no task, and pads to the page height', () => {
    const f = frame(
      createElement(TaskTable, {state: 'archived', tasks: [], cursor: 0, width: 80, rows: 4, color: false, now: NOW}),
    ).split('\n');
    expect(f).toHaveLength(5);
    expect(f[1]!.trimEnd()).toBe('  No archived tasks.');
  });
});

function queueView(over: Partial<QueueViewProps> = {}, screen: Partial<QueueScreen> = {}): ReactElement {
  const hist = Array.from({length: 7}, (_, i) => ({
    queue: 'critical',
    date: `2024-05-0${7 - i}`,
    processed: [10, 0, 30, 80, 40, 20, 5][i]!,
    failed: [1, 0, 0, 8, 2, 0, 0][i]!,
  }));
  return createElement(QueueView, {
    screen: {name: 'critical', tab: 'retry', page: 1, cursor: 0, group: null, groupCursor: 0, detail: null, ...screen},
    info: QUEUES[0]!,
    history: hist,
    tasks: [T('t1', 'retry', {lastErr: 'boom'}), T('t2', 'retry')],
    groups: null,
    detail: null,
    pageSize: 4,
    width: 80,
    height: 10,
    color: false,
    now: NOW,
    ...over,
  });
}

describe('QueueView', () => {
  it('shows the summary, the history chart, the state tabs and the page of tasks with a paging line', () => {
    expect(lines(frame(queueView()))).toEqual([
      'Queue critical  RUN  size 125  latency 3s  memory 1.2 MB  error rate today 0.22%',
      'Processed/day ▁▂▄█▃.▁  today 10    max 80     7 days',
      'Failed/day    ..▂█..▁  today 1     max 8',
      ' Act:2   Pend:120   Aggr:0   Sched:0  [Retry:3]  Arch:0   Compl:0',
      '  ID          Type        Retry Last Failure   Failed     Next       Payload',
      '> t1          email:se…    0/25 boom           -          -          {"to":"t1@…',
      '  t2          email:se…    0/25                -          -          {"to":"t2@…',
      '',
      '',
      'Showing 1-2 of 3 · page 1/1',
    ]);
  });

  it('has as many task rows as the page size it reports for its height', () => {
    const height = 20;
    const f = frame(queueView({height, pageSize: queuePageSize(height)})).split('\n');
    expect(f).toHaveLength(height);
    expect(f[height - 1]).toMatch(/^Showing 1-2 of 3/);
  });

  it('uses full tab labels when they fit', () => {
    expect(lines(frame(queueView({width: 100})))[3]).toBe(
      ' Active:2   Pending:120   Aggregating:0   Scheduled:0  [Retry:3]  Archived:0   Completed:0',
    );
  });

  it('shows the group picker on the aggregating tab', () => {
    const f = lines(
      frame(
        queueView(
          {
            info: QUEUES[2]!,
            history: [],
            tasks: null,
            groups: [
              {group: 'g1', size: 5},
              {group: 'g2', size: 4},
            ],
          },
          {name: 'low', tab: 'aggregating', groupCursor: 1},
        ),
      ),
    );
    expect(f).toEqual([
      'Queue low  PAUSED  size 9  groups 2  latency 0s  memory 0 B  error rate today -',
      'Processed/day',
      'Failed/day',
      ' Act:0   Pend:0  [Aggr:9]  Sched:0   Retry:0   Arch:0   Compl:0',
      'Select a group   Enter: its tasks   R/A/D: run/archive/delete the whole group',
      '  Group                                                            Size',
      '  g1                                                                  5',
      '> g2                                                                  4',
      '',
      '2 groups',
    ]);
  });

  it('pages a picked group without a known total', () => {
    const f = lines(
      frame(queueView({tasks: [T('x', 'aggregating', {group: 'g1'})]}, {tab: 'aggregating', group: 'g1', page: 2})),
    );
    expect(f[9]).toBe('Showing 5-5 of group "g1" · page 2');
  });

  it('shows loading placeholders before the first data', () => {
    const f = lines(frame(queueView({info: null, history: null, tasks: null})));
    expect(f[0]).toBe('Queue critical  loading…');
    expect(f[3]).toBe(' Act:-   Pend:-   Aggr:-   Sched:-  [Retry:-]  Arch:-   Compl:-');
    expect(f[4]).toBe('  Loading…');
  });
});

describe('TaskDetail', () => {
  const task = T('t1', 'retry', {
    lastErr: 'smtp: 421 try later, the server is busy right now and asked us to come back in a while',
    lastFailedAt: new Date(NOW.getTime() - 90_000),
    nextProcessAt: new Date(NOW.getTime() + 300_000),
    retried: 2,
    headers: {trace: 'abc'},
    result: Buffer.from('{"sent":false}'),
  });

  it("shows the task's facts, the whole last error, the payload and the result pretty-printed", () => {
    expect(
      lines(frame(createElement(TaskDetail, {taskId: 't1', task, width: 60, height: 22, color: false, now: NOW}))),
    ).toEqual([
      'Task t1   Esc: back  ↑↓: previous/next task',
      'Type        email:send',
      'State       retry, retried 2/25',
      'Queue       critical',
      'Last error  1m30s ago (2024-05-01 11:58:30 UTC)',
      '  smtp: 421 try later, the server is busy right now and aske',
      '  d us to come back in a while',
      'Next run    in 5m (2024-05-01 12:05:00 UTC)',
      'Timeout     30m',
      'Headers     trace=abc',
      'Payload',
      '  {',
      '    "to": "t1@example.com"',
      '  }',
      'Result',
      '  {',
      '    "sent": false',
      '  }',
      '',
      '',
      '',
      '',
    ]);
  });

  it('says how much is cut when the pane is too short', () => {
    const f = lines(
      frame(createElement(TaskDetail, {taskId: 't1', task, width: 60, height: 8, color: false, now: NOW})),
    );
    expect(f).toHaveLength(8);
    expect(f.slice(4, 7)).toEqual([
      'Last error  1m30s ago (2024-05-01 11:58:30 UTC)',
      '  smtp: 421 try later, the server is busy right now and aske',
      '  d us to come back in a while',
    ]);
    expect(f[7]).toBe('  … 11 more lines (a taller terminal shows more)');
  });

  it("says when the task no longer exists (Go's wording)", () => {
    expect(
      lines(
        frame(createElement(TaskDetail, {taskId: 'gone1', task: 'gone', width: 60, height: 2, color: false, now: NOW})),
      )[1],
    ).toBe('Task "gone1" no longer exists.');
  });

  it('marks an orphaned active task and shows completion and retention of a completed one', () => {
    const orphan = lines(
      frame(
        createElement(TaskDetail, {
          taskId: 'a',
          task: T('a', 'active', {isOrphaned: true}),
          width: 80,
          height: 12,
          color: false,
          now: NOW,
        }),
      ),
    );
    expect(orphan).toContain('State       active (orphaned: its worker lost the lease), retried 0/25');
    const done = lines(
      frame(
        createElement(TaskDetail, {
          taskId: 'c',
          task: T('c', 'completed', {
            completedAt: new Date(NOW.getTime() - 60_000),
            retention: 86_400_000,
            payload: Buffer.alloc(0),
          }),
          width: 80,
          height: 14,
          color: false,
          now: NOW,
        }),
      ),
    );
    expect(done).toContain('Completed   1m ago (2024-05-01 11:59:00 UTC)');
    expect(done).toContain('Retention   24h');
    expect(done).toContain('  <nil>');
  });
});

describe('TaskDetail and TaskTable with multi-megabyte payloads', () => {
  const MB = 1024 * 1024;
  const json = Buffer.alloc(20 * MB, 'x'); // before: RangeError (call stack) from 270,000 wrapped lines, the dash exited 1
  json.write('{"data":"', 0);
  json.write('"}', json.length - 2);
  const big = T('big', 'completed', {
    payload: json,
    result: Buffer.alloc(8 * MB, 0xff),
    completedAt: new Date(NOW.getTime() - 60_000),
  });

  it('shows a bounded preview of the payload and the result, and says how much is not shown', () => {
    // Bounded by what is shown (the preview and the line count below), not by timing: a wall-clock
    // bound failed on a loaded machine (2.2 s) while the output was right.
    const f = lines(
      frame(createElement(TaskDetail, {taskId: 'big', task: big, width: 80, height: 400, color: false, now: NOW})),
    );
    expect(f).toContain('Payload');
    expect(f).toContain(`  {"data":"${'x'.repeat(69)}`);
    expect(f).toContain('  … the first 16.4 kB of 21.0 MB (asynq task inspect --payload shows it all)');
    expect(
      f.some((l) => l.startsWith(`  <non-printable, ${8 * MB} bytes> ff ff ff`)),
      f.join('\n'),
    ).toBe(true);
    expect(f.length).toBeLessThanOrEqual(400);
  });

  it('a table row shows the start of a big payload', () => {
    const f = lines(
      frame(
        createElement(TaskTable, {
          state: 'pending',
          tasks: [T('big', 'pending', {payload: json})],
          cursor: 0,
          width: 100,
          rows: 3,
          color: false,
          now: NOW,
        }),
      ),
    );
    expect(f.join('\n')).toContain('{"data":"xxx');
  });
});

describe('HistoryChart', () => {
  it('draws processed and failed per day, oldest day left, each scaled to its own peak', () => {
    const history = [
      {queue: 'q', date: '2024-05-03', processed: 800, failed: 2},
      {queue: 'q', date: '2024-05-02', processed: 400, failed: 4},
      {queue: 'q', date: '2024-05-01', processed: 0, failed: 0},
    ];
    expect(lines(frame(createElement(HistoryChart, {history, width: 80, color: false})))).toEqual([
      'Processed/day .▄█  today 800   max 800    3 days',
      'Failed/day    .█▄  today 2     max 4',
    ]);
    chalk.level = 1;
    expect(frame(createElement(HistoryChart, {history, width: 80, color: true}))).toMatch(ANSI);
  });

  it('reads as many days as fit the width, 7 to 30', () => {
    expect([40, 60, 80, 200].map(historyDays)).toEqual([7, 16, 30, 30]);
  });
});

const SERVERS: ServerInfo[] = [
  {
    id: 'srv-1',
    host: 'web-1',
    pid: 4242,
    concurrency: 10,
    queues: {critical: 6, default: 3, low: 1},
    strictPriority: false,
    started: new Date(NOW.getTime() - 3_723_000),
    status: 'active',
    activeWorkers: [
      {
        taskId: 'w1',
        taskType: 'email:send',
        taskPayload: Buffer.from('{"to":"a"}'),
        queue: 'critical',
        started: new Date(NOW.getTime() - 4000),
        deadline: new Date(NOW.getTime() + 26_000),
      },
    ],
  },
  {
    id: 'srv-2',
    host: 'web-2',
    pid: 7,
    concurrency: 2,
    queues: {default: 1},
    strictPriority: true,
    started: new Date(NOW.getTime() - 60_000),
    status: 'stopped',
    activeWorkers: [],
  },
];

describe('ServersView', () => {
  it("lists servers with workers, queues by priority and uptime, and the selected server's busy workers", () => {
    expect(
      lines(
        frame(createElement(ServersView, {servers: SERVERS, cursor: 0, width: 80, height: 8, color: false, now: NOW})),
      ),
    ).toEqual([
      '  Host                  PID Status    Workers Queues                      Uptime',
      '> web-1                4242 active       1/10 critical:6 default:3 low…     1h2m',
      '  web-2                   7 stopped       0/2 default:1 (strict)              1m',
      '',
      'Workers of web-1:4242 (srv-1)',
      '  Task ID        Type         Queue       Started    Deadline   Payload',
      '  w1             email:send   critical    4s ago     in 26s     {"to":"a"}',
      '',
    ]);
  });

  it("shows a Limits column with each limit's fleet-wide use when a server enforces limits", () => {
    const limited: ServerInfo[] = [
      {
        ...SERVERS[1]!,
        limits: [
          {
            scope: 'queue:reports',
            match: {queue: 'reports'},
            concurrency: 5,
            tokensHeld: 3,
            rateUsed: 0,
            waiting: 0,
            servers: ['srv-2'],
          },
          {
            scope: 'type:email:*',
            match: {type: 'email:*'},
            rate: {count: 50, perMs: 1000, burst: 50},
            tokensHeld: 0,
            rateUsed: 41,
            waiting: 7,
            servers: ['srv-2'],
          },
        ],
      },
      SERVERS[0]!,
    ];
    const out = lines(
      frame(createElement(ServersView, {servers: limited, cursor: 0, width: 160, height: 8, color: false, now: NOW})),
    );
    expect(out[0]).toMatch(/Limits/);
    expect(out[1]).toContain('queue:reports 3/5 · email:* 41/50/s +7 waiting');
    expect(out[2]).toMatch(/ - /);
  });

  it('says a server is idle, and when no server runs', () => {
    expect(
      lines(
        frame(createElement(ServersView, {servers: SERVERS, cursor: 1, width: 80, height: 8, color: false, now: NOW})),
      )[5],
    ).toBe('  idle');
    expect(
      lines(
        frame(createElement(ServersView, {servers: [], cursor: 0, width: 120, height: 3, color: false, now: NOW})),
      )[0],
    ).toMatch(/^ {2}No running servers/);
  });
});

describe('CronView', () => {
  it('lists scheduler entries with next/prev runs and the recent enqueues of the selected entry', () => {
    const entries = [
      entry('e1', '@every 30s', 'report:daily', {prev: new Date(NOW.getTime() - 20_000)}),
      entry('e2', '0 * * * *', 'cleanup'),
    ];
    const events = [
      {taskId: 'x1', enqueuedAt: new Date(NOW.getTime() - 20_000)},
      {taskId: 'x0', enqueuedAt: new Date(NOW.getTime() - 50_000)},
    ];
    expect(
      lines(frame(createElement(CronView, {entries, events, cursor: 0, width: 80, height: 9, color: false, now: NOW}))),
    ).toEqual([
      '  Entry ID     Spec          Type      Payload   Options   Next       Prev',
      '> e1           @every 30s    report:d… {}        Queue("l… in 30s     20s ago',
      '  e2           0 * * * *     cleanup   {}        Queue("l… in 30s     N/A',
      '',
      'Recent enqueues of e1 (@every 30s report:daily)',
      '  Task ID                              Enqueued   At',
      '  x1                                   20s ago    2024-05-01 11:59:40 UTC',
      '  x0                                   50s ago    2024-05-01 11:59:10 UTC',
      '',
    ]);
    expect(
      lines(
        frame(createElement(CronView, {entries, events: [], cursor: 1, width: 80, height: 9, color: false, now: NOW})),
      )[5],
    ).toBe('  none yet');
    expect(
      lines(
        frame(
          createElement(CronView, {
            entries: [],
            events: null,
            cursor: 0,
            width: 120,
            height: 3,
            color: false,
            now: NOW,
          }),
        ),
      )[0],
    ).toMatch(/^ {2}No scheduler entries/);
  });
});

describe('HelpView, TitleBar, StatusBar and ConfirmPrompt', () => {
  it('lists every key within 80×20', () => {
    const f = lines(frame(createElement(HelpView, {width: 80, height: 20, color: false})));
    expect(f).toHaveLength(20);
    const text = f.join('\n');
    for (const k of [
      '↑ ↓  k j',
      'Tab',
      'Enter',
      'Esc',
      '/',
      's  S',
      'n p',
      '← →  h l',
      'R  A  D',
      'C ',
      'P ',
      'q  Ctrl+C',
      'r   ?',
    ])
      expect(text).toContain(k);
  });

  it('names the section and the Redis target on the title line', () => {
    expect(
      lines(
        frame(
          createElement(TitleBar, {
            section: 'queues',
            target: '127.0.0.1:6379',
            queue: 'critical',
            width: 80,
            color: false,
          }),
        ),
      ),
    ).toEqual(['asynq dash  [Queues › critical]  Servers   Cron                   127.0.0.1:6379']);
    expect(
      lines(frame(createElement(TitleBar, {section: 'cron', target: 'x', queue: null, width: 60, color: false})))[0],
    ).toBe('asynq dash   Queues   Servers  [Cron]                      x');
  });

  const bar = (state: Partial<DashState>, over: Partial<StatusBarProps> = {}): string[] =>
    lines(
      frame(
        createElement(StatusBar, {
          state: {...initialDashState(), ...state},
          refreshMs: 2000,
          width: 80,
          color: false,
          updatedAt: NOW,
          ...over,
        }),
      ),
    );
  const at = `updated ${String(NOW.getHours()).padStart(2, '0')}:00:00 · every 2s`;

  it('shows the refresh time and the keys of the screen', () => {
    expect(bar({})).toEqual([
      at.padStart(80),
      'Enter open  Tab servers/cron  / filter  s/S sort  P pause/resume  ? help',
    ]);
    expect(bar({}, {updatedAt: undefined})[0]!.trim()).toBe('loading… · every 2s');
  });

  it("shows a polling error with the time of the data still shown, and an action's error before it", () => {
    const f = bar({}, {pollError: 'getQueueInfo: Connection is closed.'});
    expect(f[0]).toMatch(/^Error: getQueueInfo: Connection is closed\. \(showing data from \d\d:00:00\)$/);
    expect(bar({}, {pollError: 'ECONNREFUSED'})[0]).toMatch(
      /^Error: ECONNREFUSED \(showing data from \d\d:00:00\) +updated/,
    );
    expect(bar({status: {kind: 'error', text: 'queue "x" is already paused'}}, {pollError: 'x'})[0]).toMatch(
      /^Error: queue "x" is already paused/,
    );
    expect(bar({status: {kind: 'ok', text: 'task t1 deleted'}})[0]).toMatch(/^task t1 deleted +updated/);
  });

  it('shows the filter being typed', () => {
    expect(bar({queues: {...initialDashState().queues, draft: 'crit'}})).toEqual([
      `/crit▏${' '.repeat(80 - 6 - at.length)}${at}`,
      'Enter apply filter  Esc cancel  ? help',
    ]);
  });

  it('asks y/n for an action, offering all tasks of the tab when possible', () => {
    const confirm = {
      one: {
        kind: 'run' as const,
        queue: 'default',
        taskId: '0f8e6c1a-3b1d-4c5e-9a7b-2d4f6e8a0b1c',
        state: 'retry' as const,
      },
      all: {kind: 'run' as const, queue: 'default', state: 'retry' as const, all: true},
      allCount: 12,
    };
    expect(lines(frame(createElement(ConfirmPrompt, {confirm, width: 100, color: false})))).toEqual([
      'Run task 0f8e6c1a… in "default"?  y: this task  a: all 12 retry tasks  n: no',
    ]);
    expect(bar({confirm: {one: {kind: 'unpause', queue: 'low'}, all: null, allCount: null}})).toEqual([
      `Resume queue "low"?  y: yes  n: no${' '.repeat(80 - 34 - at.length)}${at}`,
      'y/a confirm  n/Esc cancel  ? help',
    ]);
    const group = {
      one: null,
      all: {kind: 'delete' as const, queue: 'q', state: 'aggregating' as const, group: 'g1', all: true},
      allCount: 4,
    };
    expect(lines(frame(createElement(ConfirmPrompt, {confirm: group, width: 100, color: false})))).toEqual([
      'Delete all 4 tasks of group "g1" in "q"?  a: yes, all  n: no',
    ]);
  });
});
