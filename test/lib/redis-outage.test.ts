/**
 * A Server against a Redis that goes away: stopped and restarted on the same port mid-run,
 * stopped for good before a shutdown, or cut off behind a TCP proxy (connections refused, data
 * kept) while tasks complete. Each test starts its own redis-server (the outage is real: SIGKILL
 * or refused connections), so this file does not use the shared per-file fixture.
 */
import {afterEach, describe, expect, it} from 'vitest';
import {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {RDB} from '../../src/lib/broker/rdb.js';
import {Client} from '../../src/lib/client.js';
import {CanceledError} from '../../src/lib/errors.js';
import {outageCause} from '../../src/lib/redis-outage.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {startRedisCluster} from '../support/redis-cluster.js';
import {startRedisServer, type RedisServer} from '../support/redis-server.js';
import {startTcpProxy} from '../support/tcp-proxy.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';

const started: RedisServer[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => {});
  for (const s of started.splice(0)) await s.stop();
});

async function redisServer(port?: number): Promise<RedisServer> {
  const s = await startRedisServer(port === undefined ? {} : {port});
  started.push(s);
  return s;
}

/** Kills the server (SIGKILL, as a crash) and waits until its port is closed. */
async function kill(s: RedisServer): Promise<void> {
  await s.stop();
  started.splice(started.indexOf(s), 1);
}

describe('Server: Redis outages', () => {
  it('keeps processing after Redis restarts on the same port, without spinning meanwhile', async () => {
    const first = await redisServer();
    const logger = recordingLogger();
    const done: string[] = [];
    const srv = new Server(first.url, {logger, concurrency: 4, shutdownTimeout: 500, delayedTaskCheckInterval: 200});
    closers.push(() => srv.shutdown());
    let cancelled: unknown;
    await srv.start(async (t, ctx) => {
      if (t.type === 'long') {
        await new Promise((res) => ctx.signal.addEventListener('abort', res));
        cancelled = ctx.signal.reason;
      }
      done.push(t.type);
    });
    const before = new Client(first.url);
    await before.enqueue(new Task('before', null));
    await before.close();
    await waitFor(() => done.includes('before'), 'task before the outage');

    await kill(first);
    const cpu0 = process.cpuUsage();
    const wall0 = Date.now();
    await new Promise((res) => setTimeout(res, 2_000));
    const cpu = process.cpuUsage(cpu0);
    const busy = (cpu.user + cpu.system) / 1000 / (Date.now() - wall0);
    expect(busy).toBeLessThan(0.5); // a hot retry loop would keep a core busy

    const second = await redisServer(first.port);
    const after = new Client(second.url);
    closers.push(() => after.close());
    await after.enqueue(new Task('after', null));
    await waitFor(() => done.includes('after'), 'task after the restart', 15_000);
    const check = second.client();
    await waitFor(async () => (await check.zcard(keys.allServers)) === 1, 'heartbeat written again', 10_000);
    // The cancelation subscription is back too (ioredis resubscribes after the reconnect).
    const long = await after.enqueue(new Task('long', null));
    await waitFor(async () => (await check.lrange(keys.activeKey('default'), 0, -1)).includes(long.id), 'long task running');
    await waitFor(async () => {
      await new RDB(check).publishCancelation(long.id);
      return done.includes('long');
    }, 'long task canceled', 10_000);
    expect(cancelled).toBeInstanceOf(CanceledError);
    await srv.shutdown();
    expect(srv.state).toBe('closed');
  }, 30_000);

  it('shuts down within seconds while Redis is unreachable (commands fail instead of waiting for it)', async () => {
    const s = await redisServer();
    const logger = recordingLogger();
    const srv = new Server(s.url, {logger, concurrency: 2, shutdownTimeout: 300});
    closers.push(() => srv.shutdown());
    let running = 0;
    await srv.start(() => {
      running++;
      return new Promise<void>(() => {}); // ignores its signal: requeued at shutdown
    });
    const c = new Client(s.url);
    await c.enqueue(new Task('stuck', null));
    await c.close();
    await waitFor(() => running === 1, 'task running');
    await kill(s);
    await new Promise((res) => setTimeout(res, 300)); // the server's connection notices
    const t0 = Date.now();
    await srv.shutdown();
    const took = Date.now() - t0;
    // ioredis would keep each command queued for up to 20 reconnect attempts (10 s at first,
    // ~40 s later in an outage), and the components wait one after the other.
    expect(took).toBeLessThan(6_000);
    expect(logger.lines.some(([l, m]) => l === 'error' && m.startsWith('Could not push task id='))).toBe(true);
    expect(logger.lines.at(-1)).toEqual(['info', 'Exiting']);
  }, 60_000);
});

describe('Server: shutdown while the completion writes cannot reach Redis', () => {
  it('ends within shutdownTimeout + 2 s; the 20 tasks stay active with their leases, for the recoverer', async () => {
    const s = await redisServer();
    const proxy = await startTcpProxy({host: s.host, port: s.port});
    closers.push(() => proxy.close());
    const logger = recordingLogger();
    const shutdownTimeout = 2_000;
    const srv = new Server(proxy.url, {logger, concurrency: 20, shutdownTimeout});
    closers.push(() => srv.shutdown());
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    let running = 0;
    let finished = 0;
    await srv.start(async () => {
      running++;
      await gate;
      finished++;
    });
    const c = new Client(s.url);
    closers.push(() => c.close());
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await c.enqueue(new Task('work', {i}))).id);
    await waitFor(() => running === 20, 'all 20 tasks running');

    // Redis becomes unreachable, then the handlers finish: none of their completions is written.
    await proxy.refuse();
    release();
    await waitFor(() => finished === 20, 'all 20 handlers done');
    await new Promise((res) => setTimeout(res, 1_000));
    const t0 = Date.now();
    await srv.shutdown();
    const took = Date.now() - t0;
    expect(took).toBeLessThan(shutdownTimeout + 2_000); // was ~33 s: the syncer retried them one by one until each lease deadline
    expect(logger.lines.at(-1)).toEqual(['info', 'Exiting']);

    // Nothing lost: every task is still active with its lease, so a recoverer retries it.
    const check = s.client();
    expect((await check.lrange(keys.activeKey('default'), 0, -1)).sort()).toEqual([...ids].sort());
    const leased = await check.zrange(keys.leaseKey('default'), 0, -1, 'WITHSCORES');
    expect(leased.filter((_, i) => i % 2 === 0).sort()).toEqual([...ids].sort());
    for (let i = 1; i < leased.length; i += 2) expect(Number(leased[i])).toBeGreaterThan(Date.now() / 1000);
    for (const id of ids) expect(await check.hget(keys.taskKey('default', id), 'state')).toBe('active');
    expect(await check.llen(keys.pendingKey('default'))).toBe(0);
  }, 90_000);
});

describe('Server: what it logs during a Redis outage', () => {
  it('says once that Redis at ADDRESS is unreachable and why, that it keeps retrying, and once that it is back; never ioredis\'s words', async () => {
    const first = await redisServer();
    const logger = recordingLogger();
    const done: string[] = [];
    const srv = new Server(first.url, {logger, logLevel: 'debug', concurrency: 2, shutdownTimeout: 500, delayedTaskCheckInterval: 100, janitorInterval: 100});
    closers.push(() => srv.shutdown());
    await srv.start((t) => void done.push(t.type));
    await kill(first);
    await new Promise((res) => setTimeout(res, 2_500));
    const second = await redisServer(first.port);
    const c = new Client(second.url);
    closers.push(() => c.close());
    await c.enqueue(new Task('after', null));
    await waitFor(() => done.includes('after'), 'task after the restart', 15_000);
    await new Promise((res) => setTimeout(res, 500));
    await srv.shutdown();

    const address = `${first.host}:${first.port}`;
    const texts = logger.lines.map(([, m]) => m);
    const down = logger.lines.filter(([, m]) => /unreachable/.test(m));
    expect(down, texts.join('\n')).toHaveLength(1);
    expect(down[0]![0]).toBe('error');
    expect(down[0]![1]).toContain(`Redis at ${address} is unreachable`);
    expect(down[0]![1]).toMatch(/connection refused/);
    expect(down[0]![1]).toMatch(/retrying/);
    const back = logger.lines.filter(([, m]) => /reachable again/.test(m));
    expect(back, texts.join('\n')).toHaveLength(1);
    expect(back[0]).toEqual(['info', expect.stringMatching(new RegExp(`^Redis at ${address.replace(/\./g, '\\.')} is reachable again after \\d+s$`))]);
    expect(texts.filter((m) => /maxRetriesPerRequest|max retries per request|Connection is closed|ECONNREFUSED/i.test(m)), texts.join('\n')).toEqual([]);
    // Between the two lines, no component reports the outage on its own.
    const from = texts.findIndex((m) => /unreachable/.test(m));
    const to = texts.findIndex((m) => /reachable again/.test(m));
    expect(logger.lines.slice(from + 1, to).filter(([l]) => l === 'error' || l === 'warn'), texts.join('\n')).toEqual([]);
  }, 40_000);
});

describe('outageCause: ioredis and Node failures in words', () => {
  const withCode = (message: string, code: string): Error => Object.assign(new Error(message), {code});
  const named = (name: string, message: string): Error => Object.assign(new Error(message), {name});
  it.each([
    [withCode('connect ECONNREFUSED 127.0.0.1:6390', 'ECONNREFUSED'), 'connection refused'],
    [withCode('connect ETIMEDOUT', 'ETIMEDOUT'), 'connection timed out'],
    [withCode('getaddrinfo ENOTFOUND redis.example', 'ENOTFOUND'), 'host not found'],
    [new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'authentication failed (WRONGPASS invalid username-password pair or user is disabled.)'],
    [new Error('NOAUTH Authentication required.'), 'authentication failed (NOAUTH Authentication required.)'],
    [new Error('LOADING Redis is loading the dataset in memory'), 'Redis is loading its data set'],
    [named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 20). Refer to "maxRetriesPerRequest" option for details.'), 'connection lost'],
    [new Error('Connection is closed.'), 'connection lost'],
    [new Error('All sentinels are unreachable. Retrying from scratch after 10ms.'), 'no sentinel answers'],
  ])('%s → %s', (err, words) => {
    expect(outageCause(err)).toBe(words);
  });
});

describe('Server on a Redis Cluster: shutdown while every node is down', () => {
  it('ends within seconds (the Cluster client would otherwise queue the commands until a node answers again)', async () => {
    const cluster = await startRedisCluster({masters: 3});
    closers.push(() => cluster.stop());
    const conn = {addrs: cluster.addrs.map((a) => `${a.host}:${a.port}`)};
    const logger = recordingLogger();
    const srv = new Server(conn, {logger, concurrency: 2, shutdownTimeout: 300});
    closers.push(() => srv.shutdown());
    let running = 0;
    await srv.start(() => {
      running++;
      return new Promise<void>(() => {});
    });
    const c = new Client(conn);
    await c.enqueue(new Task('stuck', null));
    await c.close();
    await waitFor(() => running === 1, 'task running');
    for (const node of cluster.nodes) await node.stop();
    await new Promise((res) => setTimeout(res, 300));
    const t0 = Date.now();
    await srv.shutdown();
    expect(Date.now() - t0).toBeLessThan(8_000);
    expect(logger.lines.at(-1)).toEqual(['info', 'Exiting']);
  }, 60_000);
});

describe('RDB.subscribeCancelation: close() while Redis is unreachable', () => {
  it('drops the connection at once instead of queueing UNSUBSCRIBE and QUIT behind reconnect attempts', async () => {
    const s = await redisServer();
    const client = new Redis({host: s.host, port: s.port});
    client.on('error', () => {});
    closers.push(async () => client.disconnect());
    const sub = await new RDB(client).subscribeCancelation(() => {});
    await kill(s);
    await new Promise((res) => setTimeout(res, 300));
    const t0 = Date.now();
    await sub.close();
    expect(Date.now() - t0).toBeLessThan(1_000); // was ~10 s (20 reconnect attempts)
  }, 30_000);
});

describe('Client.close() while Redis is unreachable', () => {
  it('settles the enqueues still waiting for a reconnect (rejected), instead of leaving them pending forever', async () => {
    const s = await redisServer();
    const client = new Client(s.url);
    closers.push(() => client.close());
    await client.ping();
    await kill(s);
    await new Promise((res) => setTimeout(res, 300));
    const pending = client.enqueue(new Task('lost', null)).then(() => 'enqueued', (err: Error) => err.message);
    await client.close();
    const outcome = await Promise.race([pending, new Promise((res) => setTimeout(() => res('still pending'), 5_000))]);
    expect(outcome).toMatch(/Connection is closed/);
  }, 30_000);
});

describe('Server: nothing keeps the process alive after shutdown', () => {
  it('a process that starts a Server (every component), runs tasks and shuts down exits on its own', async () => {
    const s = await redisServer();
    const {spawn, spawnSync} = await import('node:child_process');
    const {mkdtempSync, writeFileSync, rmSync, mkdirSync} = await import('node:fs');
    const {join} = await import('node:path');
    const root = join(import.meta.dirname, '..', '..');
    // The child runs the library bundled by esbuild (a vite dependency), next to node_modules so
    // that ioredis and the other packages resolve.
    const cache = join(root, 'node_modules', '.cache');
    mkdirSync(cache, {recursive: true});
    const dir = mkdtempSync(join(cache, 'asynq-drain-'));
    closers.push(async () => rmSync(dir, {recursive: true, force: true}));
    const built = spawnSync(join(root, 'node_modules', '.bin', 'esbuild'), [
      join(root, 'src', 'lib', 'index.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external',
      `--outfile=${join(dir, 'asynq.mjs')}`, '--log-level=error',
    ], {encoding: 'utf8'});
    expect(built.status, built.stderr).toBe(0);
    writeFileSync(join(dir, 'child.mjs'), `
import {Server, Client, Task} from './asynq.mjs';
const url = process.argv[2];
const srv = new Server(url, {
  concurrency: 20, shutdownTimeout: 300, logLevel: 'error', healthCheckFunc: () => {}, healthCheckInterval: 50,
  groupAggregator: (g, ts) => new Task('agg', null), groupGracePeriod: '1s', janitorInterval: 50, delayedTaskCheckInterval: 50,
});
await srv.start(async (t, ctx) => {
  if (t.type === 'stuck') return new Promise(() => {});           // ignores its signal
  if (t.type === 'slow') await new Promise((r) => ctx.signal.addEventListener('abort', r));
  if (t.type === 'fail') throw new Error('boom');
});
const c = new Client(url);
for (const type of ['stuck', 'slow', 'fail', 'ok', 'ok', 'ok']) await c.enqueue(new Task(type, null), {maxRetry: 1});
await c.enqueue(new Task('grouped', null), {group: 'g'});
await c.enqueue(new Task('later', null), {processIn: 60_000});
await new Promise((r) => setTimeout(r, 300));
await c.close();
await srv.shutdown();
process.stdout.write('shutdown ' + Date.now() + '\\n');
`);
    const child = spawn(process.execPath, [join(dir, 'child.mjs'), s.url], {cwd: dir, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exit = await new Promise<{code: number | null; at: number}>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({code, at: Date.now()});
      });
    });
    expect(err).toBe('');
    expect(exit.code).toBe(0);
    const shutdownAt = Number(/shutdown (\d+)/.exec(out)?.[1]);
    expect(exit.at - shutdownAt).toBeLessThan(1_500);
    const check = new Redis({host: s.host, port: s.port});
    closers.push(async () => check.disconnect());
    expect(await check.zcard(keys.allServers)).toBe(0);
  }, 30_000);
});
