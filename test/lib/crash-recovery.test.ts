/**
 * Crash recovery, end to end: a worker PROCESS is killed with SIGKILL in the middle of a task; its
 * task stays active with a lease nobody renews; another worker's recoverer finds the expired lease,
 * moves the task to retry with Go's error text, and that worker processes it.
 *
 * With the defaults (Go's 30 s lease and 30 s recovery grace) the second worker runs with a clock
 * 90 s ahead (ServerOptions.clock), and a zero retry delay (ServerOptions.retryDelayFunc), both
 * plain configuration. The last test uses the tuning instead, on real time: a 10 s lease, a
 * recoverer every 5 s and no grace recover the task within 15 s of the SIGKILL.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {Client} from '../../src/lib/client.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {decodeTaskMessage} from '../../src/lib/base/codec.js';
import {silentLogger} from '../../src/lib/logger.js';
import {BIN, cliEnv, ensureBuilt, ROOT} from '../support/cli.js';
import {useRedis} from '../support/redis.js';
import {deferred, waitFor} from '../support/wait.js';

const r = useRedis();
const dir = mkdtempSync(join(tmpdir(), 'asynq-crash-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

describe('crash recovery', () => {
  it('a task whose worker process was SIGKILLed is recovered to retry and processed by another worker', async () => {
    ensureBuilt();
    // Given: a worker process that starts the task and then hangs in its handler.
    const script = join(dir, 'worker.mjs');
    writeFileSync(script, `
      import {Server} from ${JSON.stringify(join(ROOT, 'lib', 'lib', 'index.js'))};
      const srv = new Server(process.argv[2], {concurrency: 1, logLevel: 'error'});
      await srv.start(async (task) => { process.stdout.write('started ' + task.type + '\\n'); await new Promise(() => {}); });
    `);
    const client = new Client(r.redis);
    const info = await client.enqueue(new Task('report:build', {n: 1}), {maxRetry: 3});
    const child = spawn(process.execPath, [script, r.server.url], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('started report:build'), 'the worker process to start the task', 15_000);
    expect(await r.redis.lrange('asynq:{default}:active', 0, -1)).toEqual([info.id]);

    // When: the worker process is killed without any chance to clean up.
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGKILL');
    await exited;
    // The task is orphaned: still active, its lease no longer renewed.
    expect(await r.redis.hget(`asynq:{default}:t:${info.id}`, 'state')).toBe('active');
    expect(Number(await r.redis.zscore('asynq:{default}:lease', info.id))).toBeGreaterThan(0);

    // Then: another worker, 90 s later by its clock, recovers and processes it.
    const clock = new SimulatedClock(new Date(Date.now() + 90_000));
    const handled = deferred<{retryCount: number; payload: string}>();
    const srv = new Server(r.redis, {
      concurrency: 1, clock, logger: silentLogger, retryDelayFunc: () => 0,
      delayedTaskCheckInterval: 50, taskCheckInterval: 10,
    });
    await srv.start(async (task, ctx) => handled.resolve({retryCount: ctx.retryCount, payload: task.payload.toString()}));
    try {
      const got = await Promise.race([handled.promise, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('not processed within 10 s')), 10_000))]);
      expect(got).toEqual({retryCount: 1, payload: '{"n":1}'});
      await waitFor(async () => (await r.redis.exists(`asynq:{default}:t:${info.id}`)) === 0, 'the task to be done and deleted');
      expect(await r.redis.get('asynq:{default}:processed')).toBe('2'); // the lease-expired failure + the success
      expect(await r.redis.get('asynq:{default}:failed')).toBe('1');
      expect(await r.redis.llen('asynq:{default}:active')).toBe(0);
      expect(await r.redis.zcard('asynq:{default}:lease')).toBe(0);
    } finally {
      await srv.shutdown();
    }
  }, 40_000);

  it('records Go\'s lease-expired error on the recovered task', async () => {
    ensureBuilt();
    const script = join(dir, 'worker2.mjs');
    writeFileSync(script, `
      import {Server} from ${JSON.stringify(join(ROOT, 'lib', 'lib', 'index.js'))};
      const srv = new Server(process.argv[2], {concurrency: 1, logLevel: 'error'});
      await srv.start(async () => { process.stdout.write('started\\n'); await new Promise(() => {}); });
    `);
    const info = await new Client(r.redis).enqueue(new Task('x', null), {maxRetry: 3});
    const child = spawn(process.execPath, [script, r.server.url], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('started'), 'the worker process to start the task', 15_000);
    const exited = new Promise((res) => child.once('exit', res));
    child.kill('SIGKILL');
    await exited;
    // A recoverer-only view: a server for another queue does not touch it (checklist 97) …
    const clock = new SimulatedClock(new Date(Date.now() + 90_000));
    const other = new Server(r.redis, {concurrency: 1, clock, logger: silentLogger, queues: {elsewhere: 1}});
    await other.start(async () => {});
    await other.shutdown();
    expect(await r.redis.hget(`asynq:{default}:t:${info.id}`, 'state')).toBe('active');
    // … a server for this queue moves it to retry with the error text Go writes.
    const srv = new Server(r.redis, {concurrency: 1, clock, logger: silentLogger, retryDelayFunc: () => 3_600_000});
    await srv.start(async () => {});
    try {
      await waitFor(async () => (await r.redis.hget(`asynq:{default}:t:${info.id}`, 'state')) === 'retry', 'the task to move to retry');
      const msg = decodeTaskMessage((await r.redis.hgetBuffer(`asynq:{default}:t:${info.id}`, 'msg'))!);
      expect(msg).toMatchObject({retried: 1, errorMsg: 'asynq: task lease expired'});
      expect(Number(await r.redis.zscore('asynq:{default}:retry', info.id))).toBe(Math.floor(clock.now().getTime() / 1000) + 3600);
    } finally {
      await srv.shutdown();
    }
  }, 40_000);

  it('leaseDuration 10s, recoveryInterval 5s, recoveryGrace 0: another worker (asynq worker run) recovers the task within 15 s of the SIGKILL', async () => {
    ensureBuilt();
    const script = join(dir, 'worker-short-lease.mjs');
    writeFileSync(script, `
      import {Server} from ${JSON.stringify(join(ROOT, 'lib', 'lib', 'index.js'))};
      const srv = new Server(process.argv[2], {concurrency: 1, logLevel: 'error', leaseDuration: '10s'});
      await srv.start(async () => { process.stdout.write('started\\n'); await new Promise(() => {}); });
    `);
    const exec = join(import.meta.dirname, '..', 'fixtures', 'exec', 'cat.sh');
    const info = await new Client(r.redis).enqueue(new Task('crash:short', null), {maxRetry: 3});
    const child = spawn(process.execPath, [script, r.server.url], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await waitFor(() => out.includes('started'), 'the worker process to start the task', 15_000);
    // Its lease is the short one.
    const lease = Number(await r.redis.zscore('asynq:{default}:lease', info.id));
    expect(lease).toBeGreaterThan(Date.now() / 1000 + 8);
    expect(lease).toBeLessThanOrEqual(Date.now() / 1000 + 11);
    // The recovering worker, on the CLI flags (started once the task is taken, so it cannot dequeue it).
    const other = spawn(process.execPath, [BIN, 'worker', 'run', '--exec', `other=${exec}`,
      '--lease-duration', '10s', '--recovery-interval', '5s', '--recovery-grace', '0', '--shutdown-timeout', '1s'],
    {env: cliEnv({ASYNQ_REDIS_URL: r.server.url}), stdio: ['ignore', 'ignore', 'pipe']});
    let otherErr = '';
    other.stderr.on('data', (b: Buffer) => (otherErr += b.toString()));
    const otherExited = new Promise((res) => other.once('exit', res));
    try {
      await waitFor(() => otherErr.includes('Starting processing'), () => `the recovering worker to start:\n${otherErr}`, 15_000);
      const exited = new Promise((res) => child.once('exit', res));
      child.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      await waitFor(async () => (await r.redis.hget(`asynq:{default}:t:${info.id}`, 'state')) === 'retry',
        'the task to be recovered to retry', 30_000, {everyMs: 100});
      const took = Date.now() - killedAt;
      expect(took).toBeLessThanOrEqual(15_000);
      const msg = decodeTaskMessage((await r.redis.hgetBuffer(`asynq:{default}:t:${info.id}`, 'msg'))!);
      expect(msg).toMatchObject({retried: 1, errorMsg: 'asynq: task lease expired'});
      expect(await r.redis.zcard('asynq:{default}:lease')).toBe(0);
    } finally {
      other.kill('SIGTERM');
      await otherExited;
    }
  }, 60_000);
});
