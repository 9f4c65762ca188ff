/**
 * `asynq web` as a subprocess (bin/run.js): it starts and serves the API against a real Redis,
 * refuses a non-loopback address without authentication (exit 2, one line), reads the password
 * from a file or the environment without ever printing it, and ends with exit 0 on SIGINT.
 * Also the option rules themselves (src/web/options.ts).
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {checkExposure, resolveWebAuth} from '../../src/web/options.js';
import {BIN, cliEnv, ensureBuilt, useCli} from '../support/cli.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {waitFor} from '../support/wait.js';

const cli = useCli();
const children: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  /** Milliseconds from spawn to the "Serving" line. */
  startMs: number;
}

async function startWeb(args: string[], env: Record<string, string> = {}): Promise<Started> {
  ensureBuilt();
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'web', '--port', '0', ...args], {
    env: cliEnv({ASYNQ_REDIS_URL: cli.server.url, ...env}),
  });
  children.push(child);
  let err = '';
  let out = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let startMs = 0;
  await waitFor(
    () => {
      if (/Serving the dashboard at/.test(err)) {
        startMs ||= performance.now() - t0;
        return true;
      }
      if (child.exitCode !== null) throw new Error(`asynq web exited ${child.exitCode}: ${err}`);
      return false;
    },
    () => `asynq web did not say it serves: ${err}`,
    20_000,
  );
  const url = /Serving the dashboard at (\S+)/.exec(err)![1]!;
  return {child, url, stderr: () => err, stdout: () => out, exited, startMs};
}

describe('asynq web (subprocess)', () => {
  it('starts, serves the API and the page, and exits 0 on SIGINT', async () => {
    await seedEveryState(cli.redis, new Date());
    const web = await startWeb([]);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(web.stderr()).toContain('(no authentication; Redis ');
    const queues = await fetch(`${web.url}api/queues`);
    expect(queues.status).toBe(200);
    expect(((await queues.json()) as Array<{queue: string}>).map((q) => q.queue)).toEqual([
      'critical',
      'default',
      'empty',
    ]);
    const page = await fetch(`${web.url}queues/default`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    console.log(`asynq web: ready ${web.startMs.toFixed(0)} ms after spawn (load: ${process.env.CI ? 'CI' : 'dev'})`);
    web.child.kill('SIGINT');
    expect(await web.exited).toBe(0);
    expect(web.stderr()).toContain('Received SIGINT: shutting down');
  });

  it('refuses a non-loopback address without authentication: exit 2, one line', async () => {
    const r = await cli.spawn(['web', '--host', '0.0.0.0', '--port', '0']);
    expect(r).toMatchObject({code: 2, stdout: ''});
    expect(r.stderr).toBe(
      'Error: refusing to serve 0.0.0.0 without authentication: add --auth <user>:<password-file>, ASYNQ_WEB_PASSWORD or --token-file, or use --host 127.0.0.1\n',
    );
  });

  it('with --auth user:password-file on 0.0.0.0: login works, the password is never printed; --base-path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-web-'));
    const file = join(dir, 'pw');
    writeFileSync(file, 'pa55-w0rd-xyz\n');
    const web = await startWeb([
      '--host',
      '0.0.0.0',
      '--auth',
      `admin:${file}`,
      '--base-path',
      '/asynq',
      '--read-only',
    ]);
    expect(web.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/asynq\/$/);
    expect(web.stderr()).toContain('(login as admin, read-only;');
    const base = web.url.replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(`${base}api/queues`)).status).toBe(401);
    const s = await fetch(`${base}api/session`);
    const cookie = s.headers.get('set-cookie')!.split(';')[0]!;
    const {csrfToken} = (await s.json()) as {csrfToken: string};
    const login = await fetch(`${base}api/login`, {
      method: 'POST',
      headers: {cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json'},
      body: JSON.stringify({user: 'admin', password: 'pa55-w0rd-xyz'}),
    });
    expect(login.status).toBe(200);
    const cookie2 = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${base}api/queues`, {headers: {cookie: cookie2}})).status).toBe(200);
    web.child.kill('SIGTERM');
    expect(await web.exited).toBe(0);
    expect(web.stderr() + web.stdout()).not.toContain('pa55-w0rd-xyz');
  });

  it('a port in use is exit 4; an unreachable Redis is exit 5', async () => {
    const web = await startWeb([]);
    const port = new URL(web.url).port;
    const r = await cli.spawn(['web', '--port', port]);
    expect(r).toMatchObject({code: 4, stdout: ''});
    expect(r.stderr).toBe(`Error: port ${port} on 127.0.0.1 is in use: pick another with --port\n`);
    web.child.kill('SIGINT');
    expect(await web.exited).toBe(0);
    const down = await cli.spawn(['web', '--port', '0'], {env: {ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'}});
    expect(down.code).toBe(5);
  });
});

describe('the options of asynq web', () => {
  const files: Record<string, string> = {'/pw': 'secret\n', '/tok': 'tok\r\n', '/empty': '\n'};
  const read = (p: string): string => {
    if (!(p in files)) throw Object.assign(new Error('nope'), {code: 'ENOENT'});
    return files[p]!;
  };

  it('reads the password from a file or the environment, and the token', () => {
    expect(resolveWebAuth({}, {}, read)).toEqual({});
    expect(resolveWebAuth({auth: 'alice:/pw'}, {}, read)).toEqual({password: {user: 'alice', password: 'secret'}});
    expect(resolveWebAuth({auth: 'alice'}, {ASYNQ_WEB_PASSWORD: 'p'}, read)).toEqual({
      password: {user: 'alice', password: 'p'},
    });
    expect(resolveWebAuth({}, {ASYNQ_WEB_PASSWORD: 'p'}, read)).toEqual({password: {user: 'admin', password: 'p'}});
    expect(resolveWebAuth({}, {ASYNQ_WEB_PASSWORD: 'p', ASYNQ_WEB_USER: 'ops'}, read)).toEqual({
      password: {user: 'ops', password: 'p'},
    });
    expect(resolveWebAuth({tokenFile: '/tok'}, {}, read)).toEqual({token: 'tok'});
    expect(resolveWebAuth({}, {ASYNQ_WEB_TOKEN: 't'}, read)).toEqual({token: 't'});
  });

  it('names the problem without the secret', () => {
    expect(() => resolveWebAuth({auth: 'alice'}, {}, read)).toThrow(
      '--auth alice without a password file needs ASYNQ_WEB_PASSWORD: use --auth alice:<password-file> or set ASYNQ_WEB_PASSWORD',
    );
    expect(() => resolveWebAuth({auth: ':/pw'}, {}, read)).toThrow('--auth needs a user name');
    expect(() => resolveWebAuth({auth: 'a:/nope'}, {}, read)).toThrow('cannot read the password file /nope (ENOENT)');
    expect(() => resolveWebAuth({tokenFile: '/empty'}, {}, read)).toThrow('the token file /empty is empty');
  });

  it('only loopback may be served without credentials', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      expect(() => checkExposure(host, {})).not.toThrow();
    for (const host of ['0.0.0.0', '::', '192.168.1.2', 'example.com'])
      expect(() => checkExposure(host, {})).toThrow(/^refusing to serve/);
    expect(() => checkExposure('0.0.0.0', {token: 't'})).not.toThrow();
  });
});
