/**
 * The App over the real Inspector and a real redis-server: key presses drive navigation and
 * actions, and the test checks what each action left in Redis.
 */
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import {Inspector} from '../../../src/lib/inspector.js';
import {App} from '../../../src/ui/dash/App.js';
import {inspectorSource} from '../../../src/ui/dash/source.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, seedActive, seedGroup, seedPending, seedRetry} from '../../support/seed.js';
import {lines, pause, waitForFrame} from '../fakes.js';

const KEY = {enter: '\r', esc: '\u001b', tab: '\t'};
const r = useRedis();
let insp: Inspector;

beforeEach(() => {
  insp = new Inspector(r.server.url);
});
afterEach(async () => {
  await insp.close();
});

async function seed(): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  await seedRetry(r.redis, [
    {msg: makeMsg('r1', {retried: 3, errorMsg: 'smtp: 421 try later', lastFailedAt: now - 60}), score: now + 3600},
  ]);
  await seedPending(r.redis, [{msg: makeMsg('p1')}]);
  await seedActive(r.redis, [{msg: makeMsg('a1', {queue: 'critical'}), score: now + 30}]);
  await seedGroup(r.redis, 'g1', [
    {msg: makeMsg('g1a', {queue: 'low'}), score: now},
    {msg: makeMsg('g1b', {queue: 'low'}), score: now},
  ]);
}

function start() {
  const app = render(
    createElement(App, {
      source: inspectorSource(insp),
      refreshMs: 60_000,
      columns: 100,
      rows: 30,
      target: r.server.url,
    }),
  );
  return {
    ...app,
    until: (test: (f: string) => boolean, what?: string) => waitForFrame(app.lastFrame, test, what, 5000),
    press: async (...ks: string[]) => {
      for (const k of ks) {
        app.stdin.write(k);
        await pause(20);
      }
    },
  };
}

describe('asynq dash on a real Redis', () => {
  it("shows the queues, reads a retry task's error, runs it and pauses the queue", async () => {
    await seed();
    const app = start();
    const first = await app.until((f) => f.includes('default') && f.includes('critical') && f.includes('low'));
    expect(lines(first)[3]).toMatch(/^ {2}default +RUN +2 +0 +1 +0 +1 +0 /); // Act Pend Sched Retry Arch

    await app.press('j', KEY.enter, 'l', 'l', 'l', 'l');
    await app.until((f) => f.includes('[Retry:1]') && f.includes('r1'));
    await app.press(KEY.enter);
    const detail = await app.until((f) => f.includes('Last error'));
    expect(detail).toContain('  smtp: 421 try later');
    expect(detail).toContain('State       retry, retried 3/25');

    await app.press('R', 'y');
    await app.until((f) => f.includes('task r1 is now pending'));
    expect(await r.redis.zcard(keys.retryKey('default'))).toBe(0);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['r1', 'p1']);
    expect(await r.redis.hget(keys.taskKey('default', 'r1'), 'state')).toBe('pending');
    // The detail follows the task to its new state at the refresh the action triggers
    await app.until((f) => f.includes('State       pending'));

    await app.press('P', 'y');
    await app.until((f) => f.includes('paused queue "default"'));
    expect(await r.redis.exists(keys.pausedKey('default'))).toBe(1);
    await app.until((f) => lines(f)[1]!.includes('PAUSED'));

    await app.press(KEY.esc, KEY.esc);
    await app.until((f) => /\n> default +PAUSED/.test(f));
    app.unmount();
  });

  it('cancels an active task through asynq:cancel', async () => {
    await seed();
    const sub = r.server.client();
    const received: string[] = [];
    await sub.subscribe(keys.cancelChannel);
    sub.on('message', (_ch: string, id: string) => received.push(id));
    const app = start();
    await app.until((f) => f.includes('critical'));
    await app.press(KEY.enter);
    await app.until((f) => f.includes('a1'));
    await app.press('C', 'y');
    await app.until((f) => f.includes('sent cancelation signal for task a1'));
    const deadline = Date.now() + 2000;
    while (received.length === 0 && Date.now() < deadline) await pause(10);
    expect(received).toEqual(['a1']);
    app.unmount();
    await sub.quit();
  });

  it('lists the groups of an aggregating queue and deletes a whole group', async () => {
    await seed();
    const app = start();
    await app.until((f) => f.includes('low'));
    await app.press('G', KEY.enter, 'l', 'l');
    await app.until((f) => f.includes('Select a group') && /\n> g1 +2\n/.test(f));
    await app.press(KEY.enter);
    await app.until((f) => f.includes('g1a') && f.includes('g1b'));
    await app.press(KEY.esc, 'D');
    await app.until((f) => f.includes('Delete all 2 tasks of group "g1" in "low"?'));
    await app.press('a');
    await app.until((f) => f.includes('2 tasks deleted'));
    expect(
      await r.redis.exists(keys.groupKey('low', 'g1'), keys.taskKey('low', 'g1a'), keys.taskKey('low', 'g1b')),
    ).toBe(0);
    expect(await r.redis.smembers(keys.allGroups('low'))).toEqual([]);
    await app.until((f) => f.includes('No groups'));
    app.unmount();
  });

  it('reports an action on a task removed meanwhile in the status line and carries on', async () => {
    await seed();
    const app = start();
    await app.until((f) => f.includes('default'));
    await app.press('j', KEY.enter, 'l');
    await app.until((f) => f.includes('[Pend:1]') || f.includes('[Pending:1]'));
    await app.until((f) => f.includes('p1'));
    // Given someone else deletes the task
    await r.redis.del(keys.taskKey('default', 'p1'));
    await r.redis.lrem(keys.pendingKey('default'), 0, 'p1');
    // When archiving it from the (now stale) table
    await app.press('A', 'y');
    const f = await app.until((x) => x.includes('Error: '));
    expect(lines(f)[27]).toMatch(/^Error: cannot find task with id=p1 in queue "default" +updated/);
    // Then the refresh shows the empty tab and the dashboard keeps working
    await app.until((x) => x.includes('No pending tasks.'));
    await app.press(KEY.esc, KEY.tab);
    await app.until((x) => x.includes('No running servers'));
    app.unmount();
  });
});
