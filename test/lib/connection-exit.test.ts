/**
 * Processes on Redis Sentinel and Redis Cluster end by themselves, and quietly: a Node process
 * that used a Client, an Inspector, a Server and a Scheduler exits once they are closed (on
 * Sentinel, the failover detector's sentinel connections are closed with the client), `asynq
 * stats` exits as soon as it has printed, and `asynq worker run` right after SIGTERM. With one
 * sentinel down the same holds, and nothing prints ioredis's "Unhandled error event" or a stack
 * trace. (A single server: test/lib/redis-outage.test.ts and the command tests.)
 *
 * Topologies: a master, one replica and three sentinels (the last Sentinel test kills a
 * sentinel); a cluster of three masters.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {BIN, cliEnv, ensureBuilt, ROOT, runCli} from '../support/cli.js';
import {startRedisCluster, type RedisCluster} from '../support/redis-cluster.js';
import {startRedisSentinel, type RedisSentinel} from '../support/redis-sentinel.js';
import {waitFor} from '../support/wait.js';

const EXEC = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'exec');
const dir = mkdtempSync(join(tmpdir(), 'asynq-connection-exit-'));
let topo: RedisSentinel;

beforeAll(async () => {
  ensureBuilt();
  topo = await startRedisSentinel({replicas: 1, sentinels: 3});
}, 60_000);
afterAll(async () => {
  await topo?.stop();
  rmSync(dir, {recursive: true, force: true});
});

const uri = (): string => `redis-sentinel://${topo.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}/${topo.masterName}`;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from the line `closed` on stdout to the exit (undefined without that line). */
  afterClosedMs?: number;
}

/** Runs `node script JSON(conn)`; SIGKILLs it after `timeoutMs`. */
function runScript(script: string, conn: unknown, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, JSON.stringify(conn)], {stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    let closedAt: number | undefined;
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (closedAt === undefined && stdout.includes('closed\n')) closedAt = Date.now();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({code, stdout, stderr, ...(closedAt !== undefined ? {afterClosedMs: Date.now() - closedAt} : {})});
    });
  });
}

/** A script that uses every kind of connection owner over Sentinel, closes them all, and prints `closed`. */
function libraryScript(): string {
  const script = join(dir, 'all-close.mjs');
  writeFileSync(script, `
    import {Client, Inspector, Scheduler, Server, Task, createLogger} from ${JSON.stringify(join(ROOT, 'lib', 'lib', 'index.js'))};
    const uri = JSON.parse(process.argv[2]);
    const client = new Client(uri);
    const info = await client.enqueue(new Task('exit:probe', {n: 1}), {queue: 'exit'});
    await client.close();
    const inspector = new Inspector(uri);
    await inspector.getQueueInfo('exit');
    await inspector.close();
    let handled;
    const done = new Promise((resolve) => (handled = resolve));
    const srv = new Server(uri, {concurrency: 1, queues: {exit: 1}, logLevel: 'error', shutdownTimeout: 1000});
    await srv.start(async (task) => handled(task.type));
    process.stdout.write('handled ' + (await done) + '\\n');
    await srv.shutdown();
    const scheduler = new Scheduler(uri, {logger: createLogger({level: 'error'})});
    scheduler.register('@every 1h', new Task('exit:tick', null));
    await scheduler.start();
    await scheduler.shutdown();
    process.stdout.write('closed ' + info.id + '\\n' + 'closed\\n');
  `);
  return script;
}

const noStacks = (stderr: string): void => {
  expect(stderr).not.toContain('Unhandled error event');
  expect(stderr).not.toMatch(/^ {4}at /m);
};

async function workerRunStopsOnSigterm(connFlags: string[]): Promise<{code: number | null; ms: number; stderr: string}> {
  const child = spawn(process.execPath, [BIN, 'worker', 'run', ...connFlags, '--exec', `a=${EXEC}/cat.sh`, '--shutdown-timeout', '1s'],
    {cwd: EXEC, env: cliEnv({ASYNQ_REDIS_URL: undefined, HOME: dir}), stdio: ['ignore', 'pipe', 'pipe']});
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    await waitFor(() => stderr.includes('Starting processing'), () => `the worker to start; stderr:\n${stderr}`, 15_000);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    return {code, ms: Date.now() - t0, stderr};
  } finally {
    clearTimeout(killer);
  }
}

describe('Sentinel: processes exit by themselves', () => {
  it('Client, Inspector, Server and Scheduler closed: the Node process exits within 1 s', async () => {
    const res = await runScript(libraryScript(), uri(), 20_000);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('handled exit:probe');
    expect(res.code).toBe(0);
    expect(res.afterClosedMs).toBeLessThan(1000);
  }, 30_000);

  it('asynq stats over redis-sentinel:// prints and exits 0', async () => {
    const t0 = Date.now();
    const res = await runCli(['stats', '--uri', uri()], {env: {HOME: dir}, timeoutMs: 15_000});
    expect(res.signal).toBeNull();
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('Task Count by State');
    expect(Date.now() - t0).toBeLessThan(5000);
  }, 20_000);

  it('asynq worker run over redis-sentinel:// exits 0 promptly after SIGTERM', async () => {
    const res = await workerRunStopsOnSigterm(['--uri', uri()]);
    expect(res.code).toBe(0);
    expect(res.ms).toBeLessThan(3000);
  }, 40_000);

  it('with a sentinel down: the same exits, no "Unhandled error event", no stack trace', async () => {
    await topo.killSentinel(0);
    const lib = await runScript(libraryScript(), uri(), 20_000);
    expect(lib.code).toBe(0);
    expect(lib.afterClosedMs).toBeLessThan(1000);
    noStacks(lib.stderr);
    expect(lib.stderr).toBe('');

    const t0 = Date.now();
    const stats = await runCli(['stats', '--uri', uri()], {env: {HOME: dir}, timeoutMs: 15_000});
    expect(stats.signal).toBeNull();
    expect(stats.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    noStacks(stats.stderr);

    const worker = await workerRunStopsOnSigterm(['--uri', uri()]);
    expect(worker.code).toBe(0);
    expect(worker.ms).toBeLessThan(3000);
    noStacks(worker.stderr);
  }, 90_000);
});

describe('Cluster: processes exit by themselves', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({masters: 3});
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  const addrs = (): string[] => cluster.addrs.map((a) => `${a.host}:${a.port}`);

  it('Client, Inspector, Server and Scheduler closed: the Node process exits within 1 s', async () => {
    const res = await runScript(libraryScript(), {addrs: addrs()}, 20_000);
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain('handled exit:probe');
    expect(res.code).toBe(0);
    expect(res.afterClosedMs).toBeLessThan(1000);
  }, 30_000);

  it('asynq stats exits 0 and worker run exits 0 promptly after SIGTERM', async () => {
    const stats = await runCli(['stats', '--cluster-addrs', addrs().join(',')], {env: {HOME: dir}, timeoutMs: 15_000});
    expect(stats.signal).toBeNull();
    expect(stats.code).toBe(0);
    expect(stats.stdout).toContain('Redis Cluster Info');
    const worker = await workerRunStopsOnSigterm(['--cluster-addrs', addrs().join(',')]);
    expect(worker.code).toBe(0);
    expect(worker.ms).toBeLessThan(3000);
  }, 40_000);
});

