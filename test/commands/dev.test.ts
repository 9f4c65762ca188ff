/**
 * `asynq dev` as a subprocess: a redis-server on a free port (ASYNQ_DEV_PORT=0, never 6379) with a
 * temporary state directory; the other commands find it through dev.json without any connection
 * flag; Ctrl-C stops it and removes the file; data survives a restart; the error cases.
 */
import {existsSync, mkdtempSync, readFileSync} from 'node:fs';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {runCli} from '../support/cli.js';
import {checkFindsDev, cleanupDev, devDir, devEnv, spawnCli, startDev} from '../support/dev.js';
import {processAlive} from '../support/process.js';
import {waitFor} from '../support/wait.js';

afterEach(cleanupDev);

const stats = async (dir: string): Promise<{aggregate: Record<string, number>}> => {
  const r = await runCli(['stats', '--json'], {env: devEnv(dir)});
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as {aggregate: Record<string, number>};
};

describe('asynq dev', {timeout: 90_000}, () => {
  it('runs redis-server that enqueue, worker run and stats find without flags; Ctrl-C stops it and removes dev.json', async () => {
    const dir = devDir();
    const dev = await startDev(dir);
    expect(dev.stdout()).toContain(`data in ${dir}`);
    expect(dev.stdout()).toContain(`ASYNQ_REDIS_URL=redis://127.0.0.1:${dev.port}`);
    const state = JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({pid: dev.child.pid, redisPid: dev.redisPid, host: '127.0.0.1', port: dev.port});
    await checkFindsDev(dev);

    const enq = await runCli(['enqueue', 'greet', '{"name": "first"}'], {env: devEnv(dir)});
    expect(enq).toMatchObject({code: 0, stderr: ''});
    expect((await stats(dir)).aggregate.pending).toBe(1);

    const worker = spawnCli(['worker', 'run', '--exec', 'greet=cat'], devEnv(dir));
    try {
      await waitFor(
        () => worker.stderr().includes('Starting processing'),
        () => `the worker to start:\n${worker.stderr()}`,
        10_000,
      );
      const waited = await runCli(['enqueue', 'greet', '{"name": "second"}', '--wait', '--wait-timeout', '10s'], {
        env: devEnv(dir),
      });
      expect({code: waited.code, stdout: waited.stdout.trim()}).toEqual({code: 0, stdout: '{"name": "second"}'});
      await waitFor(async () => (await stats(dir)).aggregate.processed === 2, 'both tasks processed', 10_000);
    } finally {
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }

    dev.ctrlC();
    expect(await dev.exited).toBe(0);
    expect(processAlive(dev.redisPid)).toBe(false);
    expect(existsSync(join(dir, 'dev.json'))).toBe(false);
    expect(dev.stdout()).toContain(`its data stays in ${dir}`);
  });

  it('keeps the data across a restart: a pending task is still pending', async () => {
    const dir = devDir();
    const first = await startDev(dir);
    await checkFindsDev(first);
    expect((await runCli(['enqueue', 'later', 'x', '--task-id', 'kept'], {env: devEnv(dir)})).code).toBe(0);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(processAlive(first.redisPid)).toBe(false);

    const second = await startDev(dir);
    await checkFindsDev(second);
    const r = await runCli(['task', 'inspect', '-q', 'default', 'kept', '--json'], {env: devEnv(dir)});
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({id: 'kept', type: 'later', state: 'pending'});
  });

  it('a second asynq dev on the same state directory says which one runs and exits 4; the first keeps running', async () => {
    const dir = devDir();
    const dev = await startDev(dir);
    const again = await runCli(['dev'], {env: devEnv(dir)});
    expect(again.code).toBe(4);
    expect(again.stderr.trim()).toBe(
      `Error: asynq dev is already running for ${dir} (pid ${dev.child.pid} on 127.0.0.1:${dev.port}): use that one, or stop it first`,
    );
    await checkFindsDev(dev);
  });

  it('without redis-server on the PATH: one line with the install commands, exit 5', async () => {
    const emptyPath = mkdtempSync(join(tmpdir(), 'asynq-dev-path-'));
    const dir = devDir();
    const r = await runCli(['dev'], {env: devEnv(dir, {PATH: emptyPath})});
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'Error: redis-server is not installed (not found on the PATH): install it with `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS), then run asynq dev again\n',
    );
    expect(existsSync(join(dir, 'dev.json'))).toBe(false);
  });

  it('an explicit --port that is in use exits 4; a bad one exits 2', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as {port: number}).port;
    try {
      const dir = devDir();
      const r = await runCli(['dev', '--port', String(port)], {env: devEnv(dir)});
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(existsSync(join(dir, 'dev.json'))).toBe(false);
      const bad = await runCli(['dev', '--port', '70000'], {env: devEnv(dir)});
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('invalid --port "70000"');
    } finally {
      busy.close();
    }
  });

  it('after asynq dev was SIGKILLed: commands ignore its dev.json, and the next asynq dev stops the redis-server it left', async () => {
    const dir = devDir();
    const dev = await startDev(dir);
    dev.child.kill('SIGKILL');
    await dev.exited;
    expect(processAlive(dev.redisPid)).toBe(true);
    expect(existsSync(join(dir, 'dev.json'))).toBe(true);
    // The PID in dev.json is dead: no command takes the file's address.
    const r = await runCli(['stats', '--json', '--uri', 'redis://127.0.0.1:1'], {env: devEnv(dir)});
    expect(r.code).toBe(5);

    const next = await startDev(dir);
    expect(next.stderr()).toContain(
      `Stopped redis-server ${dev.redisPid} left running by an asynq dev that was killed.`,
    );
    expect(processAlive(dev.redisPid)).toBe(false);
    await checkFindsDev(next);
  });

  it('has no connection flags: it is the server', async () => {
    const r = await runCli(['dev', '--uri', 'redis://127.0.0.1:1'], {env: devEnv(devDir())});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--uri');
  });
});
