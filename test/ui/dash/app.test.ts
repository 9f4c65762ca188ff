/**
 * The whole App over a fake DashSource: key presses through Ink's stdin, frames from its stdout.
 */
import chalk from 'chalk';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {afterEach, describe, expect, it} from 'vitest';
import {FailedPreconditionError, RedisCommandError, RedisUnavailableError} from '../../../src/lib/errors.js';
import {App, statusLineError, type AppProps} from '../../../src/ui/dash/App.js';
import type {QueueInfo} from '../../../src/lib/inspector.js';
import {entry, fakeSource, lines, NOW, pause, queueInfo, taskInfo, waitForFrame, type FakeData} from '../fakes.js';

const KEY = {
  enter: '\r',
  esc: '\u001b',
  down: '\u001b[B',
  up: '\u001b[A',
  right: '\u001b[C',
  left: '\u001b[D',
  tab: '\t',
};
const ANSI = /\u001b\[/;

const savedLevel = chalk.level;
afterEach(() => {
  chalk.level = savedLevel;
});

function data(): FakeData {
  const retry = [
    taskInfo('r1', 'retry', {
      lastErr: 'smtp: 421 try later',
      lastFailedAt: new Date(NOW.getTime() - 60_000),
      nextProcessAt: new Date(NOW.getTime() + 120_000),
      retried: 3,
    }),
    taskInfo('r2', 'retry', {lastErr: 'timeout'}),
  ];
  return {
    queues: [
      queueInfo('critical', {active: 1, processed: 10}),
      queueInfo('default', {pending: 3, retry: 2, processed: 100, failed: 4}),
      queueInfo('low', {paused: true, archived: 5}),
    ],
    tasks: {'default/retry': retry, 'default/pending': [taskInfo('p1', 'pending')]},
    history: {default: [{queue: 'default', date: '2024-05-01', processed: 100, failed: 4}]},
    servers: [
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
    ],
    entries: [entry('e1', '@every 1m', 'report')],
    events: {e1: [{taskId: 'x1', enqueuedAt: NOW}]},
  };
}

function start(d: FakeData = data(), props: Partial<AppProps> = {}) {
  const source = fakeSource(d);
  const r = render(
    createElement(App, {
      source,
      refreshMs: 60_000,
      columns: 80,
      rows: 24,
      now: () => NOW,
      target: 'redis-test:6379',
      ...props,
    }),
  );
  const frame = (): string => r.lastFrame() ?? '';
  const until = (test: (f: string) => boolean, what?: string): Promise<string> => waitForFrame(r.lastFrame, test, what);
  const press = async (...keys: string[]): Promise<void> => {
    for (const k of keys) {
      r.stdin.write(k);
      await pause(15);
    }
  };
  return {...r, source, frame, until, press};
}

describe('App', () => {
  it('opens on the queues screen filling 80×24 exactly (23 lines, the last row stays free)', async () => {
    const app = start();
    const f = await app.until((x) => x.includes('default'));
    const ls = f.split('\n');
    expect(ls).toHaveLength(23);
    for (const l of ls) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines(f)[0]).toBe('asynq dash  [Queues]  Servers   Cron                             redis-test:6379');
    expect(lines(f)[2]).toMatch(/^> critical +RUN/);
    expect(lines(f)[4]).toMatch(/^ {2}low +PAUSED/);
    expect(lines(f)[22]).toBe('Enter open  Tab servers/cron  / filter  s/S sort  P pause/resume  ? help');
    app.unmount();
  });

  it("finds a failing queue, reads a retry task's error, runs it again and pauses the queue", async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    // Given the queues sorted by failures
    await app.press('s', 's', 's', 's', 's', 's', 's', 's', 's', 's'); // … to Fail, biggest first
    expect(lines(app.frame())[1]).toContain('Fail↓');
    expect(lines(app.frame())[2]).toMatch(/^> default/);
    // When opening it and going to the retry tab
    await app.press(KEY.enter);
    await app.until((f) => f.includes('[Act:0]'));
    await app.press('l', 'l', 'l', 'l');
    await app.until((f) => f.includes('[Retry:2]') && f.includes('r1'));
    // Then the error is in the table and, in full, in the detail pane
    expect(app.frame()).toContain('smtp: 421 try…');
    await app.press(KEY.enter);
    const detail = await app.until((f) => f.includes('Last error'));
    expect(detail).toContain('  smtp: 421 try later');
    // When running it
    await app.press('R');
    expect(lines(app.frame())[21]).toBe('Run task r1 in "default"?  y: this task  a: all 2 retry tasks  n: no');
    await app.press('y');
    await app.until((f) => f.includes('task r1 is now pending'));
    expect(app.source.calls.filter((c) => c.method === 'runTask')).toEqual([
      {method: 'runTask', args: ['default', 'r1']},
    ]);
    // And pausing the queue
    await app.press('P', 'y');
    await app.until((f) => f.includes('paused queue "default"'));
    expect(app.source.calls.filter((c) => c.method === 'pauseQueue')).toEqual([
      {method: 'pauseQueue', args: ['default']},
    ]);
    await app.until((f) => lines(f)[1]!.includes('PAUSED'));
    app.unmount();
  });

  it('the cursor follows the task, not the row, when a refresh reorders the page; A archives the task viewed', async () => {
    const d = data();
    const pending = [taskInfo('p1', 'pending'), taskInfo('p2', 'pending'), taskInfo('p3', 'pending')];
    d.tasks!['default/pending'] = pending;
    const app = start(d);
    await app.until((f) => f.includes('default'));
    // Given the second pending task viewed in the detail pane, then back to the list
    await app.press('j', KEY.enter, 'l');
    await app.until((f) => f.includes('p3'));
    await app.press('j', KEY.enter);
    await app.until((f) => f.includes('Task p2'));
    await app.press(KEY.esc);
    await app.until((f) => /^>\s*p2/m.test(f));
    // When a refresh brings the tasks back in another order
    d.tasks!['default/pending'] = [pending[2]!, pending[0]!, pending[1]!];
    await app.press('r');
    await app.until(
      (f) => /^>\s*p2/m.test(f) && f.indexOf('p3') < f.indexOf('p1'),
      'p2 still selected, now on the last row',
    );
    // Then A offers and archives p2
    await app.press('A');
    await app.until((f) => f.includes('Archive task p2 in "default"?'));
    await app.press('y');
    await app.until((f) => f.includes('archived'));
    expect(app.source.calls.filter((c) => c.method === 'archiveTask')).toEqual([
      {method: 'archiveTask', args: ['default', 'p2']},
    ]);
    // And when the selected task leaves the page, the cursor stays on the same row (now p1's)
    d.tasks!['default/pending'] = [pending[2]!, pending[0]!];
    await app.press('r');
    await app.until(
      (f) => f.includes('1-2 of') && /^>\s*p1/m.test(f),
      'cursor on the row where p2 was, clamped to the last',
    );
    await app.press('D');
    await app.until((f) => f.includes('Delete task p1 in "default"?'));
    app.unmount();
  });

  it('runs all tasks of a tab with a, and n cancels without calling anything', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    await app.press('j', KEY.enter, 'l', 'l', 'l', 'l');
    await app.until((f) => f.includes('r1'));
    await app.press('D', 'n');
    await app.until((f) => f.includes('canceled'));
    await app.press('A', 'a');
    await app.until((f) => f.includes('3 tasks archived'));
    expect(app.source.calls.filter((c) => ['bulkTasks', 'deleteTask', 'archiveTask'].includes(c.method))).toEqual([
      {method: 'bulkTasks', args: ['archive', 'default', 'retry', {}]},
    ]);
    app.unmount();
  });

  it('shows a failed action in the status line and keeps working', async () => {
    const app = start();
    app.source.pauseQueue = async () => {
      throw new FailedPreconditionError('queue "critical" is already paused');
    };
    await app.until((f) => f.includes('critical'));
    await app.press('P', 'y');
    await app.until((f) => f.includes('Error: queue "critical" is already paused'));
    await app.press(KEY.down, KEY.enter);
    await app.until((f) => f.includes('Queue default'));
    app.unmount();
  });

  it('keeps the last data on screen when a refresh fails, with the error, and recovers', async () => {
    const app = start(data(), {refreshMs: 50});
    await app.until((f) => f.includes('default'));
    app.source.fail = new Error('Connection is closed.');
    const failing = await app.until((f) => f.includes('Error: Redis is unavailable, reconnecting (showing data from'));
    expect(failing).toContain('default');
    app.source.fail = undefined;
    await app.until((f) => !f.includes('Error:') && f.includes('default'));
    app.unmount();
  });

  it('reads only one page of tasks per refresh on a queue screen, sized to the terminal', async () => {
    const d = data();
    d.queues[1] = queueInfo('default', {pending: 1000});
    d.tasks!['default/pending'] = Array.from({length: 1000}, (_, i) => taskInfo(`p${i}`, 'pending'));
    const app = start(d);
    await app.until((f) => f.includes('default'));
    await app.press('j', KEY.enter, 'l');
    await app.until((f) => f.includes('p11') && f.includes('Showing 1-12 of 1000'));
    const lists = app.source.calls.filter((c) => c.method === 'listTasks');
    expect(lists.at(-1)!.args).toEqual(['default', 'pending', {page: 1, size: 12}]);
    await app.press('n');
    await app.until((f) => f.includes('Showing 13-24 of 1000 · page 2/84'));
    expect(app.source.calls.filter((c) => c.method === 'listTasks').at(-1)!.args).toEqual([
      'default',
      'pending',
      {page: 2, size: 12},
    ]);
    app.unmount();
  });

  it('takes keys that arrive in one chunk one by one (fast typing, tmux send-keys)', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    app.stdin.write('j\rllll');
    await app.until((f) => f.includes('[Retry:2]') && f.includes('r1'));
    app.unmount();
  });

  it('does not read anything more when only the cursor moves on the queue table', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    const before = app.source.calls.length;
    await app.press('j', 'j', 'k', 'G');
    expect(app.source.calls.length).toBe(before);
    await app.press('r');
    await pause(30);
    expect(app.source.calls.slice(before).map((c) => c.method)).toEqual(['listQueueInfos']);
    app.unmount();
  });

  it('filters the queues by name as you type', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    await app.press('/', 'l', 'o');
    const f = await app.until((x) => x.includes('/lo▏'));
    expect(f).toMatch(/\n> low +PAUSED/);
    expect(f).not.toContain('critical');
    await app.press(KEY.enter);
    await app.until((x) => !x.includes('/lo▏') && x.includes('1 of 3 queues matching "lo"'));
    await app.press(KEY.esc);
    await app.until((x) => x.includes('critical'));
    app.unmount();
  });

  it('switches to the servers and cron screens with Tab', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    await app.press(KEY.tab);
    const servers = await app.until((f) => f.includes('web-1'));
    expect(lines(servers)[0]).toMatch(/^asynq dash {3}Queues {2}\[Servers\]/);
    expect(servers).toContain('Workers of web-1:42');
    await app.press(KEY.tab);
    const cron = await app.until((f) => f.includes('Recent enqueues of e1') && f.includes('x1'));
    expect(cron).toContain('@every 1m');
    await app.press(KEY.esc);
    await app.until((f) => lines(f)[0]!.includes('[Queues]') && f.includes('critical'));
    app.unmount();
  });

  it('shows the help over any screen and closes it with Esc', async () => {
    const app = start();
    await app.until((f) => f.includes('default'));
    await app.press('?');
    await app.until((f) => f.includes('Everywhere'));
    expect(lines(app.frame())[22]).toBe('Esc/? close help  q quit  ? help');
    await app.press(KEY.esc);
    await app.until((f) => f.includes('critical'));
    app.unmount();
  });

  it('follows terminal resizes', async () => {
    const source = fakeSource(data());
    const r = render(createElement(App, {source, refreshMs: 60_000, now: () => NOW}));
    await waitForFrame(r.lastFrame, (f) => f.includes('default'));
    expect(Math.max(...(r.lastFrame() ?? '').split('\n').map((l) => l.length))).toBeGreaterThan(80); // ink-testing-library: 100 columns
    Object.defineProperty(r.stdout, 'columns', {value: 60, configurable: true});
    Object.defineProperty(r.stdout, 'rows', {value: 15, configurable: true});
    r.stdout.emit('resize');
    const f = await waitForFrame(r.lastFrame, (x) => x.split('\n').length === 14);
    for (const l of f.split('\n')) expect(l.length).toBeLessThanOrEqual(60);
    r.unmount();
  });

  it('says when the terminal is too small, and q still quits', async () => {
    const app = start(data(), {columns: 30, rows: 8});
    await app.until((f) => lines(f)[1] === 'Too small: 30×8, need 40×12');
    await app.press('q');
    const n = app.frames.length;
    await app.press('j');
    expect(app.frames.length).toBe(n);
  });

  it('draws colour only when asked (NO_COLOR gives plain text)', async () => {
    chalk.level = 1;
    const plain = start(data(), {color: false});
    expect(await plain.until((f) => f.includes('default'))).not.toMatch(ANSI);
    plain.unmount();
    const coloured = start(data(), {color: true});
    expect(await coloured.until((f) => f.includes('default'))).toMatch(ANSI);
    coloured.unmount();
  });

  it('quits on q: no more frames and no more reads', async () => {
    const app = start(data(), {refreshMs: 30});
    await app.until((f) => f.includes('default'));
    await app.press('q');
    const frames = app.frames.length;
    const calls = app.source.calls.length;
    await pause(120);
    await app.press('j', KEY.enter);
    expect(app.frames.length).toBe(frames);
    expect(app.source.calls.length).toBe(calls);
  });

  it('goes back to the last page when the page it shows empties', async () => {
    const d = data();
    d.queues[1] = queueInfo('default', {pending: 20});
    d.tasks!['default/pending'] = Array.from({length: 20}, (_, i) => taskInfo(`p${i}`, 'pending'));
    const app = start(d);
    await app.until((f) => f.includes('default'));
    await app.press('j', KEY.enter, 'l');
    await app.until((f) => f.includes('Showing 1-12 of 20'));
    await app.press('n');
    await app.until((f) => f.includes('Showing 13-20 of 20 · page 2/2'));
    // Given the tasks of page 2 are gone (e.g. archived elsewhere)
    d.queues[1] = queueInfo('default', {pending: 10});
    d.tasks!['default/pending'] = d.tasks!['default/pending']!.slice(0, 10);
    await app.press('r');
    await app.until((f) => f.includes('Showing 1-10 of 10 · page 1/1'));
    app.unmount();
  });
});

describe('App: live tasks/s', () => {
  /** A source whose all-time counters of `default` grow between reads, 2 s apart: (2n − 1)·5 processed/s and 0.5 failed/s at the n-th read. */
  function growing() {
    const source = fakeSource(data());
    let reads = 0;
    const read = (): QueueInfo => {
      reads++;
      return queueInfo('default', {
        pending: 3,
        processed: 100,
        timestamp: new Date(NOW.getTime() + reads * 2000),
        processedTotal: reads * reads * 10,
        failedTotal: reads,
      });
    };
    source.listQueueInfos = async () => [
      queueInfo('critical', {timestamp: new Date(NOW.getTime() + reads * 2000)}),
      read(),
    ];
    source.getQueueInfo = async () => read();
    return source;
  }

  it('shows tasks/s per queue and the system chart on the queues screen, changing as the counters grow', async () => {
    const app = start(data(), {source: growing(), columns: 100});
    const first = await app.until((f) => f.includes('default'));
    expect(lines(first)[1]).toMatch(/Proc\/s Fail\/s/);
    expect(lines(first)[3]).toMatch(/^ {2}default .* - +- /);
    expect(first).toContain('Processed/s   - (known after the next refresh)');
    await app.press('r');
    const second = await app.until((f) => f.includes('now 15'));
    expect(lines(second)[3]).toMatch(/^ {2}default .* 15 +0\.5 /);
    expect(lines(second)[2]).toMatch(/^> critical .* 0 +0 /);
    expect(second).toMatch(/Processed\/s +█ {2}now 15 {4}max 15/);
    await app.press('r');
    const third = await app.until((f) => f.includes('now 25'));
    expect(lines(third)[3]).toMatch(/^ {2}default .* 25 +0\.5 /);
    expect(third).toMatch(/Processed\/s {3}.*▅█ {2}now 25 {4}max 25/);
    expect(third).toMatch(/Failed\/s {6}.*██ {2}now 0\.5 {3}max 0\.5/);
    app.unmount();
  });

  it("charts the open queue's tasks/s on its screen", async () => {
    const app = start(data(), {source: growing()});
    await app.until((f) => f.includes('default'));
    await app.press('j', KEY.enter);
    await app.until((f) => f.includes('Queue default'));
    await app.press('r');
    const f = await app.until((x) => /Processed\/s {3}.*now \d/.test(x));
    expect(lines(f)[4]).toMatch(/^Processed\/s/);
    expect(lines(f)[5]).toMatch(/^Failed\/s {6}.*now 0\.5/);
    app.unmount();
  });
});

describe('statusLineError', () => {
  it('says Redis is away (and reconnecting) for transport failures, whatever ioredis calls them', () => {
    const maxRetries = Object.assign(
      new Error('Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest"'),
      {name: 'MaxRetriesPerRequestError'},
    );
    expect(statusLineError(new RedisCommandError('allQueues', maxRetries))).toBe('Redis is unavailable, reconnecting');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), {code: 'ECONNREFUSED'});
    expect(statusLineError(new RedisCommandError('currentStats', refused))).toBe(
      'Redis is unavailable, reconnecting (ECONNREFUSED)',
    );
    expect(statusLineError(new RedisUnavailableError('cannot connect'))).toBe('Redis is unavailable, reconnecting');
  });

  it('keeps the message of other errors, without passwords', () => {
    expect(statusLineError(new FailedPreconditionError('queue "x" is already paused'))).toBe(
      'queue "x" is already paused',
    );
    expect(statusLineError(new Error('bad redis://:s3cret@host:6379'))).not.toContain('s3cret');
    expect(statusLineError('plain')).toBe('plain');
  });
});
