/**
 * The web dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the real `asynq web` (bin/run.js) over a real Redis seeded with every state
 * (test/support/seed-every-state.ts) plus hostile data. Each page is also saved as a PNG (under
 * docs/web/ for the README with ASYNQ_WEB_SCREENSHOTS=1). One browser for the file; waits are
 * generous (2 shared cores).
 */
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {Browser, BrowserContext, Page} from 'playwright-core';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {launchBrowser, startWeb, watchPage, type PageWatch, type WebServer} from '../support/browser.js';
import {ensureBuilt, ROOT} from '../support/cli.js';
import {useRedis} from '../support/redis.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {makeMsg, seedArchived, seedCompleted, seedPending, seedRetry} from '../support/seed.js';
import {waitFor} from '../support/wait.js';

const WAIT = 20_000;
/** Per test: Chromium on a loaded 2-core machine takes its time. */
const TEST_TIMEOUT = 120_000;
/**
 * Screenshots go to docs/web (checked in, shown in the README) when ASYNQ_WEB_SCREENSHOTS=1, else to
 * a temporary directory, so that a test run leaves the work tree as it was.
 */
const SHOTS =
  process.env.ASYNQ_WEB_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'web')
    : mkdtempSync(join(tmpdir(), 'asynq-web-shots-'));

/** A queue name, a type, a payload and an error that would run script if they were ever parsed as HTML. */
const EVIL_QUEUE = '<script>console.log("PWNED-queue")</script>';
const EVIL_PAYLOAD =
  '"><img src=x onerror="console.log(\'PWNED-payload\')"><script>console.log("PWNED-script")</script>';
const EVIL_ERROR = '</pre><img src=x onerror=console.log("PWNED-error")>\u0007\u001b[31mred\u0000end';
const EVIL_TYPE = '<b onmouseover=console.log("PWNED-type")>bold</b>';

const r = useRedis();
let browser: Browser;
let web: WebServer;

/** A few realistic tasks beside the seeded set, so that the screenshots show what a user sees. */
async function seedShowcase(now: Date): Promise<void> {
  const t = Math.floor(now.getTime() / 1000);
  const email = (id: string, to: string) =>
    makeMsg(id, {
      queue: 'email',
      type: 'email:welcome',
      payload: Buffer.from(JSON.stringify({to, template: 'welcome'})),
    });
  await seedPending(r.redis, [
    {msg: email('e-1001', 'ada@example.com')},
    {msg: email('e-1002', 'grace@example.com')},
    {msg: email('e-1003', 'linus@example.com')},
  ]);
  await seedRetry(r.redis, [
    {
      msg: {
        ...email('e-0999', 'ken@example.com'),
        retried: 3,
        errorMsg: 'smtp: 421 try again later',
        lastFailedAt: t - 40,
      },
      score: t + 90,
    },
  ]);
  await seedCompleted(r.redis, [
    {
      msg: {...email('e-0998', 'barbara@example.com'), retention: 86_400, completedAt: t - 30},
      score: t + 86_400,
      result: Buffer.from('{"messageId":"<a1@mx>"}'),
    },
  ]);
  for (const [i, n] of [40, 55, 32, 61, 48, 70, 66].entries()) {
    const day = new Date(now.getTime() - (6 - i) * 86_400_000);
    await r.redis.set(keys.processedKey('email', day), String(n * 10));
    await r.redis.set(keys.failedKey('email', day), String(Math.round(n / 4)));
  }
}

async function seedHostile(now: Date): Promise<void> {
  const t = Math.floor(now.getTime() / 1000);
  await seedArchived(r.redis, [
    {
      msg: makeMsg('evil-1', {
        queue: EVIL_QUEUE,
        type: EVIL_TYPE,
        payload: Buffer.from(EVIL_PAYLOAD),
        errorMsg: EVIL_ERROR,
        retried: 25,
        lastFailedAt: t - 5,
      }),
      score: t - 5,
    },
  ]);
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SHOTS, {recursive: true});
  // Let charts and refreshes settle, then a picture of the page (or of the window only).
  await page.waitForTimeout(300);
  await page.screenshot({path: join(SHOTS, `${name}.png`), fullPage});
}

async function open(ctx: BrowserContext, url: string): Promise<{page: Page; watch: PageWatch}> {
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  const watch = await watchPage(page);
  await page.goto(url);
  return {page, watch};
}

/** No dialog, no page error, no marker from the hostile data and no CSP violation. */
async function expectClean(page: Page, watch: PageWatch): Promise<void> {
  expect(watch.dialogs).toEqual([]);
  expect(watch.errors).toEqual([]);
  expect(watch.console.filter((l) => l.includes('PWNED'))).toEqual([]);
  expect(await watch.csp()).toEqual([]);
  expect(await page.evaluate(() => document.querySelectorAll('#app img, #app script, #app b').length)).toBe(0);
}

const inRedis = {
  pending: (q: string) => r.redis.lrange(keys.pendingKey(q), 0, -1),
  zset: (key: string) => r.redis.zrange(key, 0, -1),
};

beforeAll(async () => {
  ensureBuilt();
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

describe('asynq web in Chromium', {timeout: TEST_TIMEOUT}, () => {
  let ctx: BrowserContext;
  let now: Date;

  beforeAll(async () => {
    web = await startWeb(r.server.url);
  }, 60_000);
  afterAll(async () => {
    await web?.stop();
  });
  beforeEach(async () => {
    now = new Date();
    await seedEveryState(r.redis, now);
    await seedShowcase(now);
    await seedHostile(now);
    ctx = await browser.newContext({viewport: {width: 1600, height: 900}, locale: 'en-US', timezoneId: 'UTC'});
  });
  afterEach(async () => {
    await ctx?.close();
  });

  it('queues page: every queue with its states, paused, figures, charts, updated at', async () => {
    const {page, watch} = await open(ctx, web.url);
    const table = page.getByRole('table', {name: 'queues'});
    await expect.poll(() => table.locator('tbody tr').count(), {timeout: WAIT}).toBe(5);
    const row = (q: string) => table.locator('tbody tr', {has: page.locator('a.queue-link', {hasText: q})}).first();
    // default: 12 tasks (2 pending, 2 active, 2 scheduled, 1 retry, 1 archived, 1 completed, 2 aggregating... + 0)
    const defaultCells = await row('default').locator('td').allInnerTexts();
    expect(defaultCells[0]).toBe('default');
    expect(defaultCells[1]).toBe('run');
    expect(await row('critical').locator('td').nth(1).innerText()).toBe('paused');
    expect(await page.locator('.updated').innerText()).toMatch(/^updated at \d\d:\d\d:\d\d$/);
    await expect.poll(() => page.locator('.chart canvas').count(), {timeout: WAIT}).toBeGreaterThanOrEqual(2);
    // Live tasks/s: from the change of the all-time counters between two refreshes, as the terminal dash.
    const figure = (label: string) =>
      page.locator('.figure', {has: page.locator('dt', {hasText: label})}).locator('dd');
    expect(await figure('Processed/s').innerText()).toBe('-');
    const rateOf = async (): Promise<string> => {
      await r.redis.incrby(keys.processedTotalKey('email'), 40);
      await r.redis.incrby(keys.failedTotalKey('email'), 3);
      return figure('Processed/s').innerText();
    };
    await expect.poll(rateOf, {timeout: WAIT, interval: 700}).toMatch(/^[1-9]/);
    expect(await figure('Failed/s').innerText()).toMatch(/^(<0\.1|[0-9])/);
    expect(await row('email').locator('td.rate').innerText()).toMatch(/^[1-9][0-9.]* \/ /);
    expect(await row('default').locator('td.rate').innerText()).toBe('0 / 0');
    // The hostile queue name is a link whose text is the name itself.
    await expect.poll(() => page.locator('a.queue-link', {hasText: 'PWNED-queue'}).innerText()).toBe(EVIL_QUEUE);
    for (let i = 0; i < 3; i++) {
      await rateOf();
      await page.waitForTimeout(2100); // a few more samples for the live chart of the screenshot
    }
    // Pausing the refresh says so; resuming goes on.
    await page.getByRole('button', {name: 'Pause updates'}).click();
    expect(await page.locator('.updated').innerText()).toMatch(/\(paused\)$/);
    await page.getByRole('button', {name: 'Resume updates'}).click();
    await page.mouse.move(0, 0);
    await shot(page, 'queues');
    await expectClean(page, watch);
  });

  it('a queue: tabs with counts, Go columns, the group picker; a task: payload, error, headers', async () => {
    const {page, watch} = await open(ctx, web.url);
    await page.locator('a.queue-link', {hasText: /^default$/}).click();
    const tabs = page.getByRole('tablist');
    await expect
      .poll(() => tabs.getByRole('tab').allInnerTexts(), {timeout: WAIT})
      .toEqual(['active 2', 'pending 2', 'aggregating 2', 'scheduled 2', 'retry 1', 'archived 1', 'completed 1']);
    await tabs.getByRole('tab', {name: /retry/}).click();
    const retry = page.getByRole('table', {name: 'retry tasks'});
    await expect
      .poll(() => retry.locator('thead th').allInnerTexts(), {timeout: WAIT})
      .toEqual(['ID', 'Type', 'Payload', 'Next Retry', 'Last Error', 'Last Failed', 'Retried', 'Max Retry', 'Actions']);
    await expect.poll(() => retry.locator('tbody td').first().innerText(), {timeout: WAIT}).toBe('r1');
    const cells = await retry.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(cells.slice(0, 3)).toEqual(['r1', 'task:r1', '{"id":"r1"}']);
    expect(cells[4]).toBe('boom');
    expect(cells.slice(6, 8)).toEqual(['2', '25']);

    await tabs.getByRole('tab', {name: /aggregating/}).click();
    await page.getByLabel('Group').selectOption('g1');
    const agg = page.getByRole('table', {name: 'aggregating tasks'});
    await expect
      .poll(() => agg.locator('tbody tr td:first-child').allInnerTexts(), {timeout: WAIT})
      .toEqual(['ag1', 'ag2']);

    await tabs.getByRole('tab', {name: /retry/}).click();
    await page.mouse.move(0, 0);
    await shot(page, 'queue');

    await retry.getByRole('link', {name: 'r1'}).click();
    await page.locator('[data-page="task"] h2', {hasText: 'r1'}).waitFor();
    const fields = await page.locator('dl.fields').first().innerText();
    expect(fields).toContain('task:r1');
    expect(fields).toContain('2 of 25');
    expect(await page.locator('pre.errtext').innerText()).toBe('boom');
    expect(await page.locator('pre.bytes-json').innerText()).toBe('{\n  "id": "r1"\n}');
    await shot(page, 'task');

    // A binary payload is a hex dump.
    await page.goto(`${web.url}#/queues/default/tasks/s2`);
    await expect
      .poll(() => page.locator('pre.bytes-hex').innerText(), {timeout: WAIT})
      .toMatch(/^00000000 {2}ff 00 fe /);
    await expectClean(page, watch);
  });

  it('actions: run one task, archive all of a state with the count named, pause a queue; Redis changes', async () => {
    const {page, watch} = await open(ctx, `${web.url}#/queues/default?state=retry`);
    const retry = page.getByRole('table', {name: 'retry tasks'});
    await retry.getByRole('button', {name: 'Run'}).first().click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.locator('p').innerText()).toBe('Run task r1 in queue "default"?');
    await dialog.getByRole('button', {name: 'Run'}).click();
    await waitFor(async () => (await inRedis.pending('default')).includes('r1'), 'r1 pending in Redis', WAIT);
    expect(await inRedis.zset(keys.retryKey('default'))).toEqual([]);
    await page.getByRole('status').filter({hasText: 'r1'}).waitFor();
    await expect.poll(() => retry.locator('td.empty').count(), {timeout: WAIT}).toBe(1);

    // Bulk: the confirmation names the count; cancelling changes nothing.
    await page.getByRole('tab', {name: /scheduled/}).click();
    await page.getByRole('button', {name: 'Archive all (2)'}).click();
    expect(await dialog.locator('p').innerText()).toBe('Archive all 2 scheduled tasks in queue "default"?');
    await dialog.getByRole('button', {name: 'Cancel'}).click();
    expect(await inRedis.zset(keys.scheduledKey('default'))).toHaveLength(2);
    await page.getByRole('button', {name: 'Archive all (2)'}).click();
    await dialog.getByRole('button', {name: 'Archive 2'}).click();
    await waitFor(
      async () => (await inRedis.zset(keys.scheduledKey('default'))).length === 0,
      'scheduled emptied',
      WAIT,
    );
    expect((await inRedis.zset(keys.archivedKey('default'))).sort()).toEqual(['s1', 's2', 'x1']);

    await page.locator('.title-row').getByRole('button', {name: 'Pause'}).click();
    await dialog.getByRole('button', {name: 'Pause'}).click();
    await waitFor(async () => (await r.redis.exists(keys.pausedKey('default'))) === 1, 'default paused', WAIT);
    await page.locator('.title-row .badge.paused').waitFor();
    await expectClean(page, watch);
  });

  it('search: by type prefix, by payload text and by exact ID', async () => {
    const {page, watch} = await open(ctx, `${web.url}#/queues/email?state=pending`);
    const box = page.getByRole('searchbox');
    await box.fill('grace@');
    await box.press('Enter');
    const results = page.getByRole('table', {name: 'search results'});
    await expect
      .poll(() => results.locator('tbody td:first-child').allInnerTexts(), {timeout: WAIT})
      .toEqual(['e-1002']);
    expect(await page.locator('.search-results > p.muted').innerText()).toContain(
      '1 match for "grace@" among 3 pending tasks',
    );
    await box.fill('email:wel');
    await box.press('Enter');
    await expect
      .poll(async () => (await results.locator('tbody td:first-child').allInnerTexts()).sort(), {timeout: WAIT})
      .toEqual(['e-1001', 'e-1002', 'e-1003']);
    await box.fill('e-1001');
    await box.press('Enter');
    await expect
      .poll(() => results.locator('tbody td:first-child').allInnerTexts(), {timeout: WAIT})
      .toEqual(['e-1001']);
    await page.mouse.move(0, 0);
    await shot(page, 'search');
    await page.getByRole('button', {name: 'Clear'}).click();
    await expect.poll(() => page.getByRole('table', {name: 'pending tasks'}).locator('tbody tr').count()).toBe(3);
    await expectClean(page, watch);
  });

  it("search goes on by itself past one request's bound (1,000 tasks) until it finds", async () => {
    // 1,500 pending tasks; the one whose payload holds the needle is pushed first (the list's tail).
    const n = 1500;
    const items = Array.from({length: n}, (_, i) => ({
      msg: makeMsg(`big-${String(i).padStart(4, '0')}`, {
        queue: 'big',
        type: 'bulk:item',
        payload: Buffer.from(JSON.stringify({i, note: i === 0 ? 'the needle' : 'hay'})),
      }),
    }));
    await seedPending(r.redis, items);
    const {page, watch} = await open(ctx, `${web.url}#/queues/big?state=pending`);
    const box = page.getByRole('searchbox');
    await box.fill('needle');
    await box.press('Enter');
    const results = page.getByRole('table', {name: 'search results'});
    await expect
      .poll(() => results.locator('tbody td:first-child').allInnerTexts(), {timeout: WAIT})
      .toEqual(['big-0000']);
    await expect
      .poll(() => page.locator('.search-results > p.muted').innerText(), {timeout: WAIT})
      .toMatch(/^1 match for "needle" among (\d+) pending tasks looked at/);
    const looked = Number(/among (\d+)/.exec(await page.locator('.search-results > p.muted').innerText())![1]);
    expect(looked).toBeGreaterThan(1000);
    expect(looked).toBeLessThanOrEqual(n);
    await expectClean(page, watch);
  });

  it('hostile queue name, type, payload and error are shown as text and run nothing', async () => {
    const {page, watch} = await open(ctx, web.url);
    await page.locator('a.queue-link', {hasText: 'PWNED-queue'}).click();
    await page.locator('[data-page="queue"] h2 .queue-name').waitFor();
    expect(await page.locator('[data-page="queue"] h2 .queue-name').innerText()).toBe(EVIL_QUEUE);
    await page.getByRole('tab', {name: /archived/}).click();
    const table = page.getByRole('table', {name: 'archived tasks'});
    await expect.poll(() => table.locator('tbody td').nth(1).innerText(), {timeout: WAIT}).toBe(EVIL_TYPE);
    // The payload cell: its first 79 characters and an ellipsis.
    expect(await table.locator('tbody td').nth(2).innerText()).toBe(`${EVIL_PAYLOAD.slice(0, 79)}…`);
    // Control characters make the error line binary-looking but it stays text.
    expect(await table.locator('tbody td.err').textContent()).toBe(EVIL_ERROR);
    await table.getByRole('link', {name: 'evil-1'}).click();
    await page.locator('pre.errtext').waitFor();
    expect(await page.locator('pre.errtext').textContent()).toBe(EVIL_ERROR);
    expect(await page.locator('pre.bytes-text').textContent()).toBe(EVIL_PAYLOAD);
    // Actions on it: the confirmation shows the name as text too.
    await page.locator('.title-row').getByRole('button', {name: 'Delete'}).click();
    expect(await page.getByRole('dialog').locator('p').textContent()).toBe(
      `Delete task evil-1 in queue "${EVIL_QUEUE}"?`,
    );
    await page.getByRole('dialog').getByRole('button', {name: 'Cancel'}).click();
    await page.waitForTimeout(500);
    await expectClean(page, watch);
    expect(await page.evaluate(() => document.title)).toBe('asynq');
  });

  it('servers with workers, scheduler entries with history, Redis info', async () => {
    const {page, watch} = await open(ctx, `${web.url}#/servers`);
    const servers = page.getByRole('table', {name: 'servers'});
    await expect.poll(() => servers.locator('tbody td').nth(0).innerText(), {timeout: WAIT}).toBe('worker-host');
    expect(await servers.locator('tbody td').nth(3).innerText()).toBe('1/10');
    expect(await page.getByRole('table', {name: 'workers of srv-1'}).locator('tbody td').first().innerText()).toBe(
      'a1',
    );
    await shot(page, 'servers');

    await page.getByRole('link', {name: 'Scheduler'}).click();
    const entries = page.getByRole('table', {name: 'scheduler entries'});
    const entry1 = entries.locator('tbody tr', {hasText: 'entry-1'});
    await expect.poll(() => entry1.locator('td').nth(1).innerText(), {timeout: WAIT}).toBe('@every 30s');
    await entries.getByRole('link', {name: 'entry-1'}).click();
    const history = page.getByRole('table', {name: 'enqueue history'});
    await expect
      .poll(() => history.locator('tbody td:first-child').allInnerTexts(), {timeout: WAIT})
      .toEqual(['t-new', 't-old']);
    await shot(page, 'scheduler');

    await page.getByRole('link', {name: 'Redis'}).click();
    const info = page.getByRole('table', {name: 'redis info'});
    await expect.poll(() => info.locator('tbody tr', {hasText: 'redis_version'}).count(), {timeout: WAIT}).toBe(1);
    await shot(page, 'redis', false);
    await expectClean(page, watch);
  });
});

describe('asynq web with a login, and read-only', {timeout: TEST_TIMEOUT}, () => {
  let ctx: BrowserContext;
  let authWeb: WebServer;
  let roWeb: WebServer;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-web-test-'));
    writeFileSync(join(dir, 'password'), 's3cret-pw\n');
    [authWeb, roWeb] = await Promise.all([
      startWeb(r.server.url, ['--auth', `admin:${join(dir, 'password')}`]),
      startWeb(r.server.url, ['--read-only', '--base-path', '/ops/asynq']),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([authWeb?.stop(), roWeb?.stop()]);
  });
  beforeEach(async () => {
    await seedEveryState(r.redis, new Date());
    ctx = await browser.newContext({viewport: {width: 1600, height: 900}, locale: 'en-US', timezoneId: 'UTC'});
  });
  afterEach(async () => {
    await ctx?.close();
  });

  it('log in (a wrong password first), see the queues, log out', async () => {
    const {page, watch} = await open(ctx, authWeb.url);
    await page.getByLabel('User').fill('admin');
    await page.getByLabel('Password').fill('s3cret-pw');
    await page.mouse.move(0, 0);
    await shot(page, 'login');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', {name: 'Log in'}).click();
    await expect.poll(() => page.getByRole('alert').innerText(), {timeout: WAIT}).toBe('Wrong user or password.');
    await page.getByLabel('Password').fill('s3cret-pw');
    await page.getByRole('button', {name: 'Log in'}).click();
    const table = page.getByRole('table', {name: 'queues'});
    await expect.poll(() => table.locator('tbody tr').count(), {timeout: WAIT}).toBe(3);
    expect(await page.locator('.user').innerText()).toContain('admin');
    // The session survives a reload (cookie), and logging out brings the login page back.
    await page.reload();
    await expect.poll(() => table.locator('tbody tr').count(), {timeout: WAIT}).toBe(3);
    await page.getByRole('button', {name: 'Log out'}).click();
    await page.getByRole('button', {name: 'Log in'}).waitFor();
    await page.reload();
    await page.getByRole('button', {name: 'Log in'}).waitFor();
    expect(watch.dialogs).toEqual([]);
    expect(watch.errors).toEqual([]);
  });

  it('read-only, under a base path: no action buttons anywhere', async () => {
    expect(new URL(roWeb.url).pathname).toBe('/ops/asynq/');
    const {page, watch} = await open(ctx, `${roWeb.url}#/queues/default?state=retry`);
    await expect
      .poll(() => page.getByRole('table', {name: 'retry tasks'}).locator('tbody tr').count(), {timeout: WAIT})
      .toBe(1);
    expect(await page.locator('.badge.readonly').innerText()).toBe('read-only');
    expect(await page.locator('main button').allInnerTexts()).toEqual(['Search', '‹ Previous', 'Next ›']);
    await page.goto(`${roWeb.url}#/queues/default/tasks/r1`);
    await page.locator('pre.errtext').waitFor();
    expect(await page.locator('main button').count()).toBe(0);
    await expectClean(page, watch);
  });
});
