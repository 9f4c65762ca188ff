import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import * as keys from '../../src/lib/base/keys.js';
import {decodeServerInfo, decodeWorkerInfo} from '../../src/lib/base/codec.js';
import {CanceledError, ServerClosedError, ServerStateError, ValidationError} from '../../src/lib/errors.js';
import type {HandlerFunc, TaskContext} from '../../src/lib/handler.js';
import {Server, type ServerOptions} from '../../src/lib/server.js';
import {useRedis} from '../support/redis.js';
import {Task} from '../../src/lib/task.js';
import {recordingLogger} from '../support/logger.js';
import {deferred, waitFor} from '../support/wait.js';
import {makeMsg, readMsg, seedActive, seedCompleted, seedScheduled} from '../support/seed.js';

const r = useRedis();

function newServer(opts: ServerOptions = {}): {srv: Server; logger: ReturnType<typeof recordingLogger>} {
  const logger = recordingLogger();
  return {srv: new Server(r.server.url, {logger, logLevel: 'debug', concurrency: 2, ...opts}), logger};
}

const serverKey = (s: Server): string => keys.serverInfoKey(s.host, s.pid, s.serverId);
const workersKey = (s: Server): string => keys.workersKey(s.host, s.pid, s.serverId);

async function clientCount(): Promise<number> {
  return ((await r.redis.client('LIST')) as string).trim().split('\n').length;
}

async function subscribed(): Promise<boolean> {
  const [, n] = (await r.redis.pubsub('NUMSUB', 'asynq:cancel')) as [string, number];
  return Number(n) > 0;
}

describe('Server: configuration and states', () => {
  it('rejects bad options before connecting', () => {
    expect(() => new Server(r.server.url, {groupGracePeriod: '500ms'})).toThrow('GroupGracePeriod cannot be less than a second');
    expect(() => new Server(r.server.url, {queues: {a: 1.5}})).toThrow(ValidationError);
    expect(() => new Server(r.server.url, {shutdownTimeout: '8 parsecs'})).toThrow(ValidationError);
  });

  it('rejects a lease under 5 s, a recovery interval under 1 s and a negative recovery grace', () => {
    expect(() => new Server(r.server.url, {leaseDuration: '4s'})).toThrow('leaseDuration must be at least 5s');
    expect(() => new Server(r.server.url, {recoveryInterval: 500})).toThrow('recoveryInterval must be at least 1s');
    expect(() => new Server(r.server.url, {recoveryGrace: -1})).toThrow('recoveryGrace cannot be negative');
  });

  it('leaseDuration: a dequeued task is leased for that long and its lease renewed every third of it', async () => {
    const {srv} = newServer({leaseDuration: '6s'});
    const started = deferred();
    const release = deferred();
    try {
      await srv.start(async () => {
        started.resolve();
        await release.promise;
      });
      const c = new RDB(r.redis);
      await c.enqueue(makeMsg('l1'));
      await started.promise;
      const first = Number(await r.redis.zscore(keys.leaseKey('default'), 'l1'));
      const now = Date.now() / 1000;
      expect(first).toBeGreaterThanOrEqual(Math.floor(now) + 5);
      expect(first).toBeLessThanOrEqual(Math.ceil(now) + 6);
      // Renewed every 2 s: 3 s later the lease reaches further (whole seconds in Redis).
      await new Promise((res) => setTimeout(res, 3_000));
      expect(Number(await r.redis.zscore(keys.leaseKey('default'), 'l1'))).toBeGreaterThan(first);
    } finally {
      release.resolve();
      await srv.shutdown();
    }
  }, 15_000);

  it('goes new → active → stopped → closed and refuses the illegal transitions with typed errors', async () => {
    const {srv} = newServer();
    expect(srv.state).toBe('new');
    expect(() => srv.stop()).toThrow(ServerStateError);
    await expect(srv.start(null as unknown as HandlerFunc)).rejects.toThrow('asynq: server cannot run with nil handler');
    await srv.start(() => {});
    expect(srv.state).toBe('active');
    await expect(srv.start(() => {})).rejects.toThrow('asynq: the server is already running');
    srv.stop();
    srv.stop(); // harmless
    expect(srv.state).toBe('stopped');
    await expect(srv.start(() => {})).rejects.toBeInstanceOf(ServerStateError);
    const first = srv.shutdown();
    expect(srv.shutdown()).toBe(first);
    await first;
    expect(srv.state).toBe('closed');
    await expect(srv.start(() => {})).rejects.toBeInstanceOf(ServerClosedError);
    expect(() => srv.stop()).toThrow(ServerClosedError);
  });

  it('closes the connection it created; leaves a passed-in ioredis instance open', async () => {
    const before = await clientCount();
    const {srv} = newServer();
    await srv.start(() => {});
    await waitFor(subscribed, 'subscriber connected');
    expect(await clientCount()).toBeGreaterThan(before);
    await srv.shutdown();
    await waitFor(async () => (await clientCount()) === before, 'server connections closed');

    const shared = r.server.client();
    const s2 = new Server(shared, {logger: recordingLogger()});
    await s2.start(() => {});
    await s2.shutdown();
    expect(await shared.ping()).toBe('PONG');
  });

  it('logs through the given logger, filtered by logLevel', async () => {
    const logger = recordingLogger();
    const srv = new Server(r.server.url, {logger, logLevel: 'warn'});
    await srv.start(() => {});
    await srv.shutdown();
    expect(logger.lines.filter(([lvl]) => lvl === 'info' || lvl === 'debug')).toEqual([]);
    const verbose = newServer();
    await verbose.srv.start(() => {});
    await verbose.srv.shutdown();
    const infos = verbose.logger.lines.filter(([lvl]) => lvl === 'info').map(([, m]) => m);
    expect(infos).toEqual(expect.arrayContaining(['Starting processing', 'Starting graceful shutdown', 'Waiting for all workers to finish...', 'Exiting']));
  });

  it('calls healthCheckFunc with undefined while Redis answers', async () => {
    const results: Array<Error | undefined> = [];
    const {srv} = newServer({healthCheckFunc: (e) => void results.push(e), healthCheckInterval: 250});
    await srv.start(() => {});
    await waitFor(() => results.length >= 2, 'two health checks');
    await srv.shutdown();
    expect(results.every((e) => e === undefined)).toBe(true);
  });
});

describe('Server: processing', () => {
  it('publishes server and worker info while running, processes tasks, and clears everything on shutdown', async () => {
    const gate = deferred();
    const {srv} = newServer({queues: {critical: 6, default: 3, '': 1, low: 0}});
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('w1', {type: 'email:welcome', payload: Buffer.from('hi')}));
    await srv.start(() => gate.promise);
    const info = decodeServerInfo((await waitFor(() => r.redis.getBuffer(serverKey(srv)), 'server info'))!);
    expect(info).toMatchObject({host: srv.host, pid: process.pid, serverId: srv.serverId, concurrency: 2, queues: {critical: 6, default: 3}, strictPriority: false, status: 'active'});
    expect(await r.redis.ttl(serverKey(srv))).toBeLessThanOrEqual(10);
    expect(await r.redis.zscore(keys.allServers, serverKey(srv))).not.toBeNull();
    await waitFor(async () => (await r.redis.llen(keys.activeKey('default'))) === 1, 'task active');
    gate.resolve();
    await waitFor(async () => (await r.redis.get(keys.processedTotalKey('default'))) === '1', 'task processed');
    await srv.shutdown();
    expect(await r.redis.exists(serverKey(srv), workersKey(srv))).toBe(0);
    expect(await r.redis.zscore(keys.allServers, serverKey(srv))).toBeNull();
    expect(await r.redis.zscore(keys.allWorkers, workersKey(srv))).toBeNull();
  });

  it('records in-flight tasks in the workers hash, and heartbeats with status "stopped" after stop()', async () => {
    const gate = deferred();
    const {srv} = newServer();
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('w1', {type: 'email:welcome', payload: Buffer.from('hi'), timeout: 60}));
    let started: TaskContext | undefined;
    await srv.start((_t, ctx) => {
      started = ctx;
      return gate.promise;
    });
    await waitFor(() => started, 'handler running');
    // The first beat (at start) precedes the dequeue; the next one, ≤ 5 s later, sees the worker.
    const raw = await waitFor(() => r.redis.hgetBuffer(workersKey(srv), 'w1'), 'worker info', 7_000);
    const wi = decodeWorkerInfo(raw);
    expect(wi).toMatchObject({host: srv.host, pid: process.pid, serverId: srv.serverId, taskId: 'w1', taskType: 'email:welcome', queue: 'default'});
    expect(wi.taskPayload.toString()).toBe('hi');
    expect(wi.deadline.seconds).toBe(Math.floor(started!.deadline.getTime() / 1000));
    expect(decodeServerInfo((await r.redis.getBuffer(serverKey(srv)))!).activeWorkerCount).toBe(1);
    srv.stop();
    await waitFor(async () => decodeServerInfo((await r.redis.getBuffer(serverKey(srv)))!).status === 'stopped', 'status stopped', 7_000);
    gate.resolve();
    await srv.shutdown();
    expect(await r.redis.exists(workersKey(srv))).toBe(0);
  });

  it('a cancelation published on asynq:cancel aborts only that task (context canceled)', async () => {
    const running = new Map<string, TaskContext>();
    const gate = deferred();
    const {srv} = newServer();
    await srv.start(async (t, ctx) => {
      running.set(t.type, ctx);
      await Promise.race([gate.promise, new Promise((_res, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason)))]);
    });
    await waitFor(subscribed, 'subscriber connected');
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('a', {type: 'a'}));
    await rdb.enqueue(makeMsg('b', {type: 'b'}));
    await waitFor(() => running.size === 2, 'both tasks running');
    await r.redis.publish('asynq:cancel', 'a');
    await r.redis.publish('asynq:cancel', 'not-running-here');
    await waitFor(async () => (await r.redis.hget(keys.taskKey('default', 'a'), 'state')) === 'retry', 'a moved to retry');
    expect((await readMsg(r.redis, 'default', 'a')).errorMsg).toBe('context canceled');
    expect(running.get('a')!.signal.reason).toBeInstanceOf(CanceledError);
    expect(running.get('b')!.signal.aborted).toBe(false);
    gate.resolve();
    await waitFor(async () => (await r.redis.exists(keys.taskKey('default', 'b'))) === 0, 'b done');
    await srv.shutdown();
  });

  it('shutdown requeues a task still running after shutdownTimeout to the tail of pending, without stats', async () => {
    let ctx: TaskContext | undefined;
    const {srv} = newServer({shutdownTimeout: '50ms', concurrency: 1});
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('stuck'));
    await srv.start((_t, c) => {
      ctx = c;
      return new Promise(() => {});
    });
    await waitFor(() => ctx, 'handler running');
    await rdb.enqueue(makeMsg('next'));
    await srv.shutdown();
    expect(ctx!.signal.reason).toBeInstanceOf(CanceledError);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['next', 'stuck']);
    expect(await r.redis.hget(keys.taskKey('default', 'stuck'), 'state')).toBe('pending');
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBeNull();
    expect(await r.redis.exists(serverKey(srv))).toBe(0);
  });

  it('stop() takes no new tasks while running ones finish', async () => {
    const seen: string[] = [];
    const gate = deferred();
    const {srv} = newServer({concurrency: 1});
    const rdb = new RDB(r.redis);
    await rdb.enqueue(makeMsg('one', {type: 'one'}));
    await srv.start(async (t) => {
      seen.push(t.type);
      await gate.promise;
    });
    await waitFor(() => seen.length === 1, 'first task running');
    srv.stop();
    await rdb.enqueue(makeMsg('two', {type: 'two'}));
    gate.resolve();
    await waitFor(async () => (await r.redis.get(keys.processedTotalKey('default'))) === '1', 'first task done');
    await srv.shutdown();
    expect(seen).toEqual(['one']);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['two']);
  });

  it('run() resolves after SIGTERM and a graceful shutdown', async () => {
    const {srv} = newServer();
    const before = process.listenerCount('SIGTERM');
    const done = srv.run(() => {});
    await waitFor(() => process.listenerCount('SIGTERM') > before, 'signal handlers installed');
    await waitFor(() => r.redis.exists(serverKey(srv)), 'first heartbeat');
    process.emit('SIGTERM');
    await done;
    expect(srv.state).toBe('closed');
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(await r.redis.exists(serverKey(srv))).toBe(0);
  });

  it('runs the forwarder, recoverer, janitor and aggregator it wires in', async () => {
    const now = Date.now();
    const rdb = new RDB(r.redis);
    // Recoverer (runs at start): an active task whose lease expired a minute ago.
    await seedActive(r.redis, [{msg: makeMsg('orphan', {type: 'orphan'}), score: new Date(now - 60_000)}]);
    // Janitor: a completed task past its retention.
    await seedCompleted(r.redis, [{msg: makeMsg('old', {retention: 1}), score: new Date(now - 1_000)}]);
    // Forwarder: a scheduled task that is due.
    await seedScheduled(r.redis, [{msg: makeMsg('due', {type: 'due'}), score: new Date(now - 1_000)}]);
    // Aggregator: a group whose tasks are older than the 1 s grace period by the time it checks.
    for (const id of ['g1', 'g2']) await rdb.addToGroup(makeMsg(id, {type: 'part', payload: Buffer.from(id)}), 'grp');
    const seen: string[] = [];
    const {srv} = newServer({
      delayedTaskCheckInterval: 10, janitorInterval: 10, groupGracePeriod: '1s',
      groupAggregator: (group, tasks) => new Task('batch', `${group}:${tasks.map((t) => t.payload.toString()).join('+')}`),
    });
    await srv.start((t) => void seen.push(`${t.type}:${t.payload.toString()}`));
    await waitFor(() => seen.includes('batch:grp:g1+g2') && seen.includes('due:{"id":"due"}'), 'forwarded and aggregated tasks processed', 8_000);
    expect(await r.redis.hget(keys.taskKey('default', 'orphan'), 'state')).toBe('retry');
    expect((await readMsg(r.redis, 'default', 'orphan')).errorMsg).toBe('asynq: task lease expired');
    expect(await r.redis.exists(keys.taskKey('default', 'old'), keys.taskKey('default', 'g1'), keys.taskKey('default', 'g2'))).toBe(0);
    await srv.shutdown();
  });
});
