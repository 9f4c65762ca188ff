/**
 * The `asynq web` JSON API (src/web) over a real Redis seeded with every task state
 * (test/support/seed-every-state.ts), called through the Hono app (app.request: the same code
 * path as over HTTP, without a socket). Every read route is compared with the matching `--json`
 * command run in process on the same data; actions are checked in Redis; auth, CSRF, read-only,
 * bad inputs and hostile data are checked for status, error document and headers.
 */
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {Inspector} from '../../src/lib/inspector.js';
import {createWebApp, type WebOptions} from '../../src/web/server.js';
import type {ErrorJson, SessionJson, TaskPageJson, SearchJson} from '../../src/web/api-types.js';
import {useCli} from '../support/cli.js';
import {dumpAll} from '../support/dump.js';
import {makeMsg, seedPending, seedArchived} from '../support/seed.js';
import {seedEveryState} from '../support/seed-every-state.js';

const cli = useCli();
let inspector: Inspector;
beforeAll(() => {
  inspector = new Inspector(cli.server.url);
});
afterAll(async () => {
  await inspector?.close();
});

const LOCAL = 'http://127.0.0.1:8080';

type App = ReturnType<typeof createWebApp>;
function app(opts: Partial<WebOptions> = {}): App {
  return createWebApp({inspector, loginDelayMs: 0, publicDir: '/nonexistent-asynq-web', ...opts});
}

interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A browser-like client: keeps the session cookie, sends the CSRF token on POSTs. */
class Browser {
  cookie = '';
  csrf = '';
  constructor(
    readonly app: App,
    readonly origin = LOCAL,
  ) {}

  async request<T = unknown>(
    method: string,
    path: string,
    opts: {body?: unknown; headers?: Record<string, string>; csrf?: string | null} = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = {host: new URL(this.origin).host, ...opts.headers};
    if (this.cookie !== '') headers.cookie = this.cookie;
    if (method === 'POST') {
      headers.origin ??= this.origin;
      const token = opts.csrf === undefined ? this.csrf : opts.csrf;
      if (token !== null && token !== '') headers['x-csrf-token'] = token;
    }
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await this.app.request(`${this.origin}${path}`, {method, headers, body});
    const set = res.headers.get('set-cookie');
    if (set !== null) this.cookie = set.split(';')[0]!;
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').startsWith('application/json')) parsed = JSON.parse(text);
    return {status: res.status, headers: res.headers, body: parsed as T, text};
  }

  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<Answer<T>> {
    return this.request<T>('GET', path, {headers});
  }

  post<T = unknown>(path: string, body?: unknown, opts: {csrf?: string | null; headers?: Record<string, string>} = {}) {
    return this.request<T>('POST', path, {body, ...opts});
  }

  async session(): Promise<SessionJson> {
    const r = await this.get<SessionJson>('/api/session');
    expect(r.status).toBe(200);
    this.csrf = r.body.csrfToken;
    return r.body;
  }
}

/** The fields that change between two readings of the same data (clock-dependent). */
function stable(v: unknown, also: readonly string[] = []): unknown {
  const clocked = new Set(['timestamp', 'latencyMs', 'memoryUsageBytes', ...also]);
  return JSON.parse(JSON.stringify(v), (k, x: unknown) => (clocked.has(k) ? 0 : x));
}

/** A stats document with Redis INFO reduced to its field names (the values move all the time). */
function statsShape(v: unknown): unknown {
  const doc = stable(v) as {redis: Record<string, string>};
  return {...doc, redis: Object.keys(doc.redis).sort()};
}

function expectError(r: Answer, status: number, code: string, exitCode?: number): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const e = (r.body as ErrorJson).error;
  expect(e.code).toBe(code);
  expect(typeof e.message).toBe('string');
  expect(Array.isArray(e.actions)).toBe(true);
  if (exitCode !== undefined) expect(e.exitCode).toBe(exitCode);
}

describe('read routes: the documents of the --json commands', () => {
  it('stats, queues, queue, history, groups, servers, cron, cron history, redis equal the CLI', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    const stats = await b.get('/api/stats');
    expect(stats.status).toBe(200);
    expect(stats.headers.get('cache-control')).toBe('no-store');
    expect(statsShape(stats.body)).toEqual(statsShape(await cli.asynqJson(['stats'])));

    const queues = await b.get('/api/queues');
    expect(stable(queues.body)).toEqual(
      stable(await cli.asynqJson(['queue', 'inspect', 'critical', 'default', 'empty'])),
    );
    expect(stable((await b.get('/api/queues/default')).body)).toEqual(
      stable((await cli.asynqJson<unknown[]>(['queue', 'inspect', 'default']))[0]),
    );
    expect((await b.get('/api/queues/default/history?days=3')).body).toEqual(
      (await cli.asynqJson<unknown[]>(['queue', 'history', 'default', '-x', '3']))[0],
    );
    expect((await b.get('/api/history?days=2')).body).toEqual(
      await cli.asynqJson(['queue', 'history', 'critical', 'default', 'empty', '-x', '2']),
    );
    expect((await b.get('/api/queues/default/groups')).body).toEqual(
      await cli.asynqJson(['group', 'ls', '-q', 'default']),
    );
    expect((await b.get('/api/servers')).body).toEqual(await cli.asynqJson(['server', 'ls']));
    expect((await b.get('/api/cron')).body).toEqual(await cli.asynqJson(['cron', 'ls']));
    expect((await b.get('/api/cron/entry-1/history?page=1&size=1')).body).toEqual(
      (await cli.asynqJson<unknown[]>(['cron', 'history', 'entry-1', '--size', '1']))[0],
    );
    const redis = await b.get<{cluster: boolean; info: Record<string, string>}>('/api/redis');
    expect(redis.body.cluster).toBe(false);
    expect(redis.body.info.redis_version).toMatch(/^\d+\.\d+/);
  });

  it('task pages of every state equal `task ls --json`, with the state count as total', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    const counts: Record<string, number> = {pending: 2, active: 2, scheduled: 2, retry: 1, archived: 1, completed: 1};
    for (const [state, total] of Object.entries(counts)) {
      const r = await b.get<TaskPageJson>(`/api/queues/default/tasks?state=${state}`);
      expect(r.status).toBe(200);
      // A pending task's nextProcessAt is "now" (Go's), so it moves between two readings.
      const now = state === 'pending' ? ['nextProcessAt'] : [];
      expect(stable(r.body, now)).toEqual({
        tasks: stable(await cli.asynqJson(['task', 'ls', '-q', 'default', '-s', state]), now),
        page: 1,
        size: 30,
        total,
      });
    }
    const agg = await b.get<TaskPageJson>('/api/queues/default/tasks?state=aggregating&group=g1&size=1&page=2');
    expect(agg.body).toEqual({
      tasks: await cli.asynqJson([
        'task',
        'ls',
        '-q',
        'default',
        '-s',
        'aggregating',
        '-g',
        'g1',
        '--size',
        '1',
        '--page',
        '2',
      ]),
      page: 2,
      size: 1,
      total: 2,
    });
    expect(agg.body.tasks.map((t) => t.id)).toEqual(['ag2']);
    const page2 = await b.get<TaskPageJson>('/api/queues/default/tasks?state=pending&page=2&size=1');
    expect(page2.body.tasks.map((t) => t.id)).toEqual(['p2']);
    const past = await b.get<TaskPageJson>('/api/queues/default/tasks?state=pending&page=3&size=1');
    expect(past.body).toEqual({tasks: [], page: 3, size: 1, total: 2});
  });

  it('a task equals `task inspect --json` (binary payload as base64)', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    for (const id of ['p1', 'a1', 's2', 'r1', 'x1', 'c1', 'ag1']) {
      const r = await b.get(`/api/queues/default/tasks/${id}`);
      expect(r.status).toBe(200);
      // A pending task's nextProcessAt is "now" (Go's), so it moves between two readings.
      const now = id === 'p1' ? ['nextProcessAt'] : [];
      expect(stable(r.body, now)).toEqual(stable(await cli.asynqJson(['task', 'inspect', '-q', 'default', id]), now));
    }
    expect((await b.get<{payloadEncoding: string}>('/api/queues/default/tasks/s2')).body.payloadEncoding).toBe(
      'base64',
    );
  });
});

describe('bad inputs: the CLI error document with the fitting status', () => {
  it('unknown queue, task, entry and route; bad state, group, page, size, days', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    expectError(await b.get('/api/queues/nope'), 404, 'QUEUE_NOT_FOUND', 3);
    expect((await b.get<ErrorJson>('/api/queues/nope')).body.error).toEqual({
      code: 'QUEUE_NOT_FOUND',
      message: 'queue "nope" does not exist',
      exitCode: 3,
      actions: ['asynq queue ls'],
    });
    expectError(await b.get('/api/queues/nope/tasks?state=pending'), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.get('/api/queues/nope/history'), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.get('/api/queues/nope/groups'), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.get('/api/queues/nope/search?state=pending&q=x'), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.get('/api/queues/default/tasks/nope'), 404, 'TASK_NOT_FOUND', 3);
    expectError(await b.get('/api/cron/nope/history'), 404, 'SCHEDULER_ENTRY_NOT_FOUND', 3);
    expectError(await b.get('/api/nope'), 404, 'ROUTE_NOT_FOUND', 3);
    expectError(await b.get('/api/queues/default/tasks?state=bogus'), 400, 'VALIDATION', 2);
    expectError(await b.get('/api/queues/default/tasks'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/tasks?state=aggregating'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/tasks?state=pending&page=0'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/tasks?state=pending&size=1001'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/tasks?state=pending&size=x'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/history?days=91'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/search?state=pending'), 400, 'VALIDATION');
    expectError(await b.get('/api/queues/default/search?state=pending&q=x&cursor=-1'), 400, 'VALIDATION');
  });

  it('bad action bodies and conflicts change nothing', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    await b.session();
    const before = await dumpAll(cli.redis);
    expectError(await b.post('/api/queues/default/tasks/runall', '{not json'), 400, 'VALIDATION');
    expectError(await b.post('/api/queues/default/tasks/runall', []), 400, 'VALIDATION');
    expectError(await b.post('/api/queues/default/tasks/runall', {state: 'pending'}), 400, 'VALIDATION');
    expectError(await b.post('/api/queues/default/tasks/deleteall', {state: 'aggregating'}), 400, 'VALIDATION');
    expectError(await b.post('/api/queues/nope/tasks/deleteall', {state: 'pending'}), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.post('/api/queues/default/tasks/nope/run'), 404, 'TASK_NOT_FOUND');
    expectError(await b.post('/api/queues/default/tasks/a1/run'), 409, 'FAILED_PRECONDITION', 4);
    expectError(await b.post('/api/queues/default/tasks/p1/cancel'), 409, 'FAILED_PRECONDITION');
    expectError(await b.post('/api/queues/default/remove'), 409, 'QUEUE_NOT_EMPTY', 4);
    expectError(await b.post('/api/queues/critical/pause'), 409, 'FAILED_PRECONDITION');
    expectError(await b.post('/api/queues/nope/pause'), 404, 'QUEUE_NOT_FOUND');
    expectError(await b.post('/api/queues/default/tasks/p1/explode'), 405, 'ROUTE_NOT_FOUND');
    expectError(await b.post('/api/queues/default/tasks/runall', 'x'.repeat(70_000)), 400, 'VALIDATION');
    expect(await dumpAll(cli.redis)).toEqual(before);
  });

  it('Redis unavailable is 503 REDIS_UNAVAILABLE', async () => {
    const dead = new Inspector({
      addr: '127.0.0.1:1',
      redisOptions: {maxRetriesPerRequest: 0, retryStrategy: () => null},
    } as never);
    try {
      const b = new Browser(createWebApp({inspector: dead, publicDir: '/nonexistent-asynq-web'}));
      expectError(await b.get('/api/queues'), 503, 'REDIS_UNAVAILABLE', 5);
    } finally {
      await dead.close();
    }
  });
});

describe('actions', () => {
  it('change Redis as the CLI commands do, and answer {count}', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    await b.session();
    expect((await b.post('/api/queues/default/pause')).body).toEqual({count: 1});
    expect(await cli.redis.exists(keys.pausedKey('default'))).toBe(1);
    expect((await b.post('/api/queues/default/resume')).body).toEqual({count: 1});
    expect(await cli.redis.exists(keys.pausedKey('default'))).toBe(0);
    expect((await b.post('/api/queues/default/tasks/s1/run')).body).toEqual({count: 1});
    expect(await cli.redis.hget(keys.taskKey('default', 's1'), 'state')).toBe('pending');
    expect((await b.post('/api/queues/default/tasks/p1/archive')).body).toEqual({count: 1});
    expect(await cli.redis.hget(keys.taskKey('default', 'p1'), 'state')).toBe('archived');
    expect((await b.post('/api/queues/default/tasks/x1/delete')).body).toEqual({count: 1});
    expect(await cli.redis.exists(keys.taskKey('default', 'x1'))).toBe(0);
    const sub = cli.server.client();
    const got: string[] = [];
    await sub.subscribe(keys.cancelChannel);
    sub.on('message', (_ch, msg) => got.push(msg));
    expect((await b.post('/api/queues/default/tasks/a1/cancel')).body).toEqual({count: 1});
    await expect.poll(() => got).toEqual(['a1']);
    await sub.quit();
    expect((await b.post('/api/queues/default/tasks/runall', {state: 'retry'})).body).toEqual({count: 1});
    expect(await cli.redis.hget(keys.taskKey('default', 'r1'), 'state')).toBe('pending');
    expect((await b.post('/api/queues/default/tasks/archiveall', {state: 'aggregating', group: 'g1'})).body).toEqual({
      count: 2,
    });
    expect(await cli.redis.zcard(keys.archivedKey('default'))).toBe(3); // p1, ag1, ag2
    expect((await b.post('/api/queues/default/tasks/deleteall', {state: 'archived'})).body).toEqual({count: 3});
    expect(await cli.redis.zcard(keys.archivedKey('default'))).toBe(0);
    expect((await b.post('/api/queues/empty/remove')).body).toEqual({count: 1});
    expect(await cli.redis.sismember(keys.allQueues, 'empty')).toBe(0);
  });
});

describe('CSRF, Origin and read-only', () => {
  it('a POST without the session, without the token, with a wrong token or a foreign Origin is 403 and changes nothing', async () => {
    await seedEveryState(cli.redis, new Date());
    const before = await dumpAll(cli.redis);
    const fresh = new Browser(app());
    expectError(await fresh.post('/api/queues/default/pause', undefined, {csrf: null}), 403, 'FORBIDDEN', 2);
    const b = new Browser(app());
    await b.session();
    expectError(await b.post('/api/queues/default/pause', undefined, {csrf: null}), 403, 'FORBIDDEN');
    expectError(await b.post('/api/queues/default/pause', undefined, {csrf: 'x'.repeat(43)}), 403, 'FORBIDDEN');
    expectError(
      await b.post('/api/queues/default/pause', undefined, {headers: {origin: 'http://evil.example'}}),
      403,
      'FORBIDDEN',
    );
    expectError(await b.post('/api/queues/default/pause', undefined, {headers: {origin: 'null'}}), 403, 'FORBIDDEN');
    expectError(
      await b.post('/api/queues/default/pause', undefined, {headers: {'sec-fetch-site': 'cross-site'}}),
      403,
      'FORBIDDEN',
    );
    // Another browser's token is no good for this session.
    const other = new Browser(app());
    await other.session();
    expectError(await b.post('/api/queues/default/pause', undefined, {csrf: other.csrf}), 403, 'FORBIDDEN');
    expect(await dumpAll(cli.redis)).toEqual(before);
    // The right token passes, also with the Origin behind a proxy (X-Forwarded-Host).
    expect(
      (
        await b.post('/api/queues/default/pause', undefined, {
          headers: {origin: 'https://ops.example', 'x-forwarded-host': 'ops.example'},
        })
      ).status,
    ).toBe(200);
  });

  it('--read-only refuses every action with 403 READ_ONLY and says so in the session', async () => {
    await seedEveryState(cli.redis, new Date());
    const before = await dumpAll(cli.redis);
    const b = new Browser(app({readOnly: true}));
    expect((await b.session()).readOnly).toBe(true);
    for (const path of [
      '/api/queues/default/pause',
      '/api/queues/critical/resume',
      '/api/queues/empty/remove',
      '/api/queues/default/tasks/s1/run',
      '/api/queues/default/tasks/p1/archive',
      '/api/queues/default/tasks/p1/delete',
      '/api/queues/default/tasks/a1/cancel',
    ])
      expectError(await b.post(path), 403, 'READ_ONLY', 2);
    expectError(await b.post('/api/queues/default/tasks/deleteall', {state: 'pending'}), 403, 'READ_ONLY');
    expect((await b.get('/api/queues/default')).status).toBe(200);
    expect(await dumpAll(cli.redis)).toEqual(before);
  });
});

describe('authentication', () => {
  it('without authentication, only a loopback Host is served (DNS rebinding)', async () => {
    await seedEveryState(cli.redis, new Date());
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'localhost']) {
      const r = await app().request('http://x/api/queues', {headers: {host}});
      expect(r.status).toBe(200);
    }
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', '']) {
      const r = await app().request('http://x/api/queues', {headers: {host}});
      expect(r.status).toBe(403);
      expect(((await r.json()) as ErrorJson).error.code).toBe('FORBIDDEN');
    }
  });

  it('a password: 401 before login, wrong password 401, login rotates the session, logout ends it', async () => {
    await seedEveryState(cli.redis, new Date());
    const web = app({auth: {password: {user: 'admin', password: 's3cret'}}});
    const b = new Browser(web, 'http://dash.example:8080');
    expectError(await b.get('/api/queues'), 401, 'UNAUTHORIZED', 2);
    const anon = await b.session();
    expect(anon).toMatchObject({authenticated: false, authRequired: true, loginMethods: ['password'], user: null});
    const anonCookie = b.cookie;
    expectError(await b.get('/api/queues'), 401, 'UNAUTHORIZED');
    const wrong = await b.post('/api/login', {user: 'admin', password: 's3creT'});
    expectError(wrong, 401, 'UNAUTHORIZED');
    expect(wrong.text).not.toContain('s3cre');
    expectError(await b.post('/api/login', {user: 'root', password: 's3cret'}), 401, 'UNAUTHORIZED');
    expectError(await b.post('/api/login', {user: 'admin', password: 's3cret'}, {csrf: null}), 403, 'FORBIDDEN');
    const ok = await b.post<SessionJson>('/api/login', {user: 'admin', password: 's3cret'});
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({authenticated: true, user: 'admin'});
    expect(ok.body.csrfToken).not.toBe(anon.csrfToken);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^asynq_web_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(b.cookie).not.toBe(anonCookie);
    b.csrf = ok.body.csrfToken;
    expect((await b.get('/api/queues')).status).toBe(200);
    // The session ID from before the login is worth nothing now.
    const planted = new Browser(web, 'http://dash.example:8080');
    planted.cookie = anonCookie;
    expectError(await planted.get('/api/queues'), 401, 'UNAUTHORIZED');
    expect((await b.post('/api/queues/default/pause')).status).toBe(200);
    const out = await b.post<SessionJson>('/api/logout');
    expect(out.body).toMatchObject({authenticated: false, user: null});
    expectError(await b.get('/api/queues'), 401, 'UNAUTHORIZED');
  });

  it('a form login works with the token as a form field; HTTPS behind a proxy makes the cookie Secure', async () => {
    const web = app({auth: {password: {user: 'admin', password: 'pw'}}});
    const b = new Browser(web, 'http://dash.example');
    await b.session();
    const r = await b.request<SessionJson>('POST', '/api/login', {
      body: `user=admin&password=pw&csrfToken=${b.csrf}`,
      headers: {'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https'},
      csrf: null,
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('a bearer token: API access without a session or CSRF token; wrong token 401; token login', async () => {
    await seedEveryState(cli.redis, new Date());
    const web = app({auth: {token: 'tok-123'}});
    const b = new Browser(web, 'http://dash.example');
    expectError(await b.get('/api/queues'), 401, 'UNAUTHORIZED');
    expect((await b.get('/api/queues', {authorization: 'Bearer tok-123'})).status).toBe(200);
    expectError(await b.get('/api/queues', {authorization: 'Bearer tok-124'}), 401, 'UNAUTHORIZED');
    expectError(await b.get('/api/queues', {authorization: 'Basic tok-123'}), 401, 'UNAUTHORIZED');
    const r = await b.post('/api/queues/default/pause', undefined, {
      csrf: null,
      headers: {authorization: 'Bearer tok-123'},
    });
    expect(r.body).toEqual({count: 1});
    expect(await cli.redis.exists(keys.pausedKey('default'))).toBe(1);
    const s = await b.session();
    expect(s.loginMethods).toEqual(['token']);
    expectError(await b.post('/api/login', {token: 'nope'}), 401, 'UNAUTHORIZED');
    const ok = await b.post<SessionJson>('/api/login', {token: 'tok-123'});
    expect(ok.body).toMatchObject({authenticated: true, user: null});
  });

  it('wrong logins are checked one at a time, each holding the line for the delay', async () => {
    const web = app({auth: {password: {user: 'admin', password: 'pw'}}, loginDelayMs: 100});
    const b = new Browser(web, 'http://dash.example');
    await b.session();
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({length: 3}, (_, i) => b.post('/api/login', {user: 'admin', password: `guess-${i}`})),
    );
    const elapsed = performance.now() - t0;
    for (const r of answers) expectError(r, 401, 'UNAUTHORIZED');
    // Three failures in a line: at least three delays, however fast the machine (load only adds).
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // The right password after them still works.
    expect((await b.post('/api/login', {user: 'admin', password: 'pw'})).status).toBe(200);
  });

  it('more than 64 logins waiting at once: 429', async () => {
    const web = app({auth: {password: {user: 'admin', password: 'pw'}}, loginDelayMs: 20});
    const b = new Browser(web, 'http://dash.example');
    await b.session();
    const answers = await Promise.all(
      Array.from({length: 70}, () => b.post('/api/login', {user: 'admin', password: 'nope'})),
    );
    expect(answers.filter((r) => r.status === 401)).toHaveLength(64);
    for (const r of answers.filter((x) => x.status !== 401)) expectError(r, 429, 'TOO_MANY_REQUESTS');
  });

  it('sessions end after 12 hours without a request', async () => {
    let now = 1_000_000;
    const web = app({auth: {password: {user: 'a', password: 'b'}}, now: () => now});
    const b = new Browser(web, 'http://dash.example');
    await b.session();
    b.csrf = (await b.post<SessionJson>('/api/login', {user: 'a', password: 'b'})).body.csrfToken;
    now += 12 * 3600_000;
    expect((await b.get('/api/servers')).status).toBe(200);
    now += 12 * 3600_000 + 1;
    expectError(await b.get('/api/servers'), 401, 'UNAUTHORIZED');
  });
});

describe('search', () => {
  it('finds by exact ID, type prefix and payload text (also in binary payloads)', async () => {
    await seedEveryState(cli.redis, new Date());
    const b = new Browser(app());
    const search = (qs: string) => b.get<SearchJson>(`/api/queues/default/search?${qs}`);
    expect((await search('state=scheduled&q=s2')).body).toEqual({
      tasks: [await cli.asynqJson(['task', 'inspect', '-q', 'default', 's2'])],
      cursor: null,
      scanned: 2,
    });
    expect((await search('state=pending&q=s2')).body).toEqual({tasks: [], cursor: null, scanned: 2});
    expect((await search('state=pending&q=task:p')).body.tasks.map((t) => t.id)).toEqual(['p1', 'p2']);
    expect((await search('state=aggregating&group=g1&q=task:ag2')).body.tasks.map((t) => t.id)).toEqual(['ag2']);
    expect((await search(`state=scheduled&q=${encodeURIComponent('\u00fe')}`)).body.tasks).toEqual([]);
    await seedPending(cli.redis, [
      {
        msg: makeMsg('bin', {
          payload: Buffer.concat([Buffer.from([0xff, 0]), Buffer.from('needle'), Buffer.from([0xfe])]),
        }),
      },
    ]);
    expect((await search('state=pending&q=needle')).body.tasks.map((t) => [t.id, t.payloadEncoding])).toEqual([
      ['bin', 'base64'],
    ]);
  });

  it('bounds the work per request: at most 1,000 tasks looked at, a cursor to go on, null at the end', async () => {
    const n = 2_450;
    await seedArchived(
      cli.redis,
      Array.from({length: n}, (_, i) => ({
        msg: makeMsg(`t${String(i).padStart(5, '0')}`, {
          type: i % 1000 === 999 ? 'report:monthly' : 'email:send',
          payload: Buffer.from(i === 2_400 ? '{"to":"needle@example.com"}' : '{"to":"x@example.com"}'),
        }),
        score: 1_000_000 + i,
      })),
    );
    // A clock that stands still: only the 10-window bound stops a request (not the machine's load).
    const b = new Browser(app({now: () => 0}));
    const pages: SearchJson[] = [];
    let cursor: string | null = null;
    do {
      const r: Answer<SearchJson> = await b.get<SearchJson>(
        `/api/queues/default/search?state=archived&q=report:&size=2${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.scanned).toBeLessThanOrEqual(1_000);
      pages.push(r.body);
      cursor = r.body.cursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages.flatMap((p) => p.tasks.map((t) => t.id))).toEqual(['t00999', 't01999']);
    expect(pages.reduce((s, p) => s + p.scanned, 0)).toBe(n);
    // 10 windows of 100 at most per request; the last one reaches the end.
    expect(pages.map((p) => [p.cursor, p.scanned])).toEqual([
      ['1000', 1_000],
      ['2000', 1_000],
      [null, 450],
    ]);
    // A request stops at its size-th match; the next one goes on from just after it.
    const first = await b.get<SearchJson>('/api/queues/default/search?state=archived&q=email:&size=3');
    expect([first.body.tasks.map((t) => t.id), first.body.cursor, first.body.scanned]).toEqual([
      ['t00000', 't00001', 't00002'],
      '3',
      3,
    ]);
    const next = await b.get<SearchJson>('/api/queues/default/search?state=archived&q=email:&size=3&cursor=3');
    expect([next.body.tasks.map((t) => t.id), next.body.cursor]).toEqual([['t00003', 't00004', 't00005'], '6']);
    const needle = await b.get<SearchJson>('/api/queues/default/search?state=archived&q=needle@&cursor=2000');
    expect(needle.body).toMatchObject({cursor: null, scanned: 450});
    expect(needle.body.tasks.map((t) => t.id)).toEqual(['t02400']);
  });

  it('starts no new window after 200 ms', async () => {
    await seedArchived(
      cli.redis,
      Array.from({length: 1_000}, (_, i) => ({msg: makeMsg(`t${String(i).padStart(4, '0')}`), score: 1_000_000 + i})),
    );
    // Each reading of the clock is 90 ms later: windows 2 and 3 start 90 and 180 ms in; a 4th would start at 270.
    let t = 0;
    const b = new Browser(app({now: () => (t += 90)}));
    const r = await b.get<SearchJson>('/api/queues/default/search?state=archived&q=nothing');
    expect(r.body).toEqual({tasks: [], cursor: '300', scanned: 300});
  });
});

describe('big payloads', () => {
  it('a payload above 16 MiB is streamed in pieces and arrives whole', async () => {
    const payload = Buffer.alloc(17 * 1024 * 1024, 'é');
    await seedArchived(cli.redis, [{msg: makeMsg('big', {payload}), score: 1_000_000}]);
    const r = await new Browser(app()).get<{payload: string; payloadEncoding: string}>('/api/queues/default/tasks/big');
    expect(r.status).toBe(200);
    expect(r.body.payloadEncoding).toBe('utf8');
    expect(r.body.payload.length).toBe(payload.toString('utf8').length);
    expect(r.body.payload === payload.toString('utf8')).toBe(true);
  });
});

describe('hostile data comes back as JSON strings, never HTML', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const IMG = '"><img src=x onerror=alert(1)>';
  const CONTROL = 'a\u0000b\u0007c\u001b[31md\u2028e';

  it('in queue names, types, payloads, errors and results, and in error messages', async () => {
    const queue = `${SCRIPT}${IMG}/q ${CONTROL}`;
    await seedArchived(cli.redis, [
      {
        msg: makeMsg('evil', {
          queue,
          type: IMG,
          payload: Buffer.from(`${SCRIPT}${CONTROL}`),
          errorMsg: `${IMG}${CONTROL}`,
        }),
        score: 1_000_000,
      },
    ]);
    const b = new Browser(app());
    const q = encodeURIComponent(queue);
    const queues = await b.get<Array<{queue: string}>>('/api/queues');
    expect(queues.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(queues.body.map((x) => x.queue)).toEqual([queue]);
    const task = await b.get<{queue: string; type: string; payload: string; lastErr: string}>(
      `/api/queues/${q}/tasks/evil`,
    );
    expect(task.status).toBe(200);
    expect(task.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(task.headers.get('x-content-type-options')).toBe('nosniff');
    expect(task.body).toMatchObject({queue, type: IMG, payload: `${SCRIPT}${CONTROL}`, lastErr: `${IMG}${CONTROL}`});
    // Control characters are JSON escapes in the raw text, never raw bytes.
    expect(task.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    const page = await b.get<TaskPageJson>(`/api/queues/${q}/tasks?state=archived`);
    expect(page.body.tasks[0]!.id).toBe('evil');
    const missing = await b.get<ErrorJson>(`/api/queues/${encodeURIComponent(`${SCRIPT}nope`)}/tasks/x`);
    expectError(missing, 404, 'QUEUE_NOT_FOUND');
    expect(missing.body.error.message).toBe(`queue "${SCRIPT}nope" does not exist`);
    const badState = await b.get<ErrorJson>(`/api/queues/${q}/tasks?state=${encodeURIComponent(IMG)}`);
    expectError(badState, 400, 'VALIDATION');
    expect(badState.body.error.message).toContain(JSON.stringify(IMG));
    const route = await b.get<ErrorJson>(`/api/${encodeURIComponent(SCRIPT)}`);
    expectError(route, 404, 'ROUTE_NOT_FOUND');
  });
});

describe('static files and headers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asynq-web-public-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
  writeFileSync(join(dir, 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'app.css'), 'body{}');

  it('serves the UI with a <base> for the base path, falls back to index.html, and sets the security headers', async () => {
    const web = app({publicDir: dir, basePath: '/asynq/'});
    const get = (p: string) => web.request(`${LOCAL}${p}`, {headers: {host: '127.0.0.1:8080'}});
    const index = await get('/asynq/');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<head><base href="/asynq/"><meta name="asynq-base-path" content="/asynq">');
    for (const r of [
      index,
      await get('/asynq/api/session'),
      await get('/asynq/api/nope'),
      await get('/asynq/app.js'),
    ]) {
      expect(r.headers.get('content-security-policy')).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
      );
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
    expect((await get('/asynq/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await (await get('/asynq/app.css')).text()).toBe('body{}');
    const deep = await get('/asynq/queues/default/tasks/x');
    expect(await deep.text()).toContain('<base href="/asynq/">');
    expect((await get('/asynq/missing.js')).status).toBe(404);
    expect((await get('/asynq/..%2f..%2fetc%2fpasswd')).status).toBe(200); // index.html: no path reaches the disk
    expect(await (await get('/asynq/..%2f..%2fetc%2fpasswd')).text()).toContain('<base href');
    expect((await get('/api/session')).status).toBe(404);
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/asynq/');
    const s = await get('/asynq/api/session');
    expect(((await s.json()) as SessionJson).basePath).toBe('/asynq');
    expect(s.headers.get('set-cookie')).toMatch(/Path=\/asynq\//);
  });

  it('without a built UI, a placeholder page', async () => {
    const r = await app().request(`${LOCAL}/`, {headers: {host: '127.0.0.1'}});
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('not built');
  });
});
