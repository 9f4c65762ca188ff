/**
 * Client `waitForReplicas` (durable acknowledgement) and the recognition of our own resent writes,
 * on a real master with one replica (started here). Lost replies are produced by a TCP proxy
 * (test/support/tcp-proxy.ts) that cuts the connection after Redis has executed a command: ioredis
 * then reconnects and resends what it got no reply for. INFO commandstats counts how often the
 * scripts really ran, so each test shows the path it claims to take.
 */
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {Client} from '../../src/lib/client.js';
import {DuplicateTaskError, ReplicationTimeoutError, TaskIdConflictError, ValidationError} from '../../src/lib/errors.js';
import {Task} from '../../src/lib/task.js';
import {RDB} from '../../src/lib/broker/rdb.js';
import type {TaskMessage} from '../../src/lib/base/codec.js';
import {startRedisServer, type RedisServer} from '../support/redis-server.js';
import {startTcpProxy} from '../support/tcp-proxy.js';
import {waitFor} from '../support/wait.js';

let master: RedisServer;
let replica: RedisServer;
let m: Redis;
const opened: Array<{close(): Promise<void>}> = [];

beforeAll(async () => {
  master = await startRedisServer({args: ['--repl-diskless-sync-delay', '0']});
  replica = await startRedisServer({args: ['--replicaof', master.host, String(master.port)]});
  m = master.client();
  await waitFor(async () => /master_link_status:up/.test(await replica.client().info('replication')), 'replica in sync');
});
afterAll(async () => {
  await replica?.stop();
  await master?.stop();
});
beforeEach(async () => {
  await m.flushall();
  await m.config('RESETSTAT');
});
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

function track<T extends {close(): Promise<void>}>(c: T): T {
  opened.push(c);
  return c;
}

/** How many times the master ran a script (EVAL + EVALSHA), from INFO commandstats. */
async function scriptRuns(): Promise<number> {
  const stats = await m.info('commandstats');
  let n = 0;
  for (const cmd of ['eval', 'evalsha']) n += Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
  return n;
}

const pending = async (q = 'default'): Promise<string[]> => (await m.lrange(keys.pendingKey(q), 0, -1)).reverse();

describe('waitForReplicas', () => {
  it('is checked before connecting', () => {
    const url = 'redis://127.0.0.1:1';
    for (const bad of [
      {replicas: 0, timeout: 100}, {replicas: 1.5, timeout: 100}, {replicas: 1, timeout: 0}, {replicas: 1, timeout: '0s'},
      {replicas: 1, timeout: -5}, {replicas: 1, timeout: 'soon'}, null,
    ]) {
      expect(() => new Client(url, {waitForReplicas: bad as never}), JSON.stringify(bad)).toThrow(ValidationError);
    }
  });

  it('follows every task-creating write with WAIT on the same connection, right after it', async () => {
    const conn = new Redis(master.port, master.host);
    await waitFor(() => conn.status === 'ready', 'client ready');
    const client = track(new Client(conn, {waitForReplicas: {replicas: 1, timeout: '2s'}}));
    const seen: string[] = [];
    const mon = await master.client().monitor();
    mon.on('monitor', (_t: string, args: string[], source: string) => {
      if (source.endsWith(`:${conn.stream.localPort}`)) seen.push(args[0]!.toLowerCase() === 'wait' ? args.join(' ').toLowerCase() : args[0]!.toLowerCase());
    });
    try {
      await client.enqueue(new Task('t', null, {taskId: 'p1'}));
      await client.enqueue(new Task('t', null, {taskId: 's1', processIn: '1h'}));
      await client.enqueue(new Task('t', null, {taskId: 'u1', unique: '1h'}));
      await client.enqueue(new Task('t', null, {taskId: 'g1', group: 'g'}));
      await client.enqueue(new Task('t', 'x', {taskId: 'gu1', group: 'g', unique: '1h'}));
      expect(await client.enqueueMany([new Task('t', null, {taskId: 'b1'}), new Task('t', null, {taskId: 'b2', processIn: '1h'})]))
        .toEqual([expect.objectContaining({id: 'b1'}), expect.objectContaining({id: 'b2'})]);
      await waitFor(() => seen.length >= 14, 'monitor lines');
    } finally {
      mon.disconnect();
      conn.disconnect();
    }
    // WAIT gets the time left to the call's deadline: 2000 ms for a fresh call, less when the call
    // waited on the connection first (a loaded machine), never more.
    const w = 'wait 1 (0, 2000]';
    const waits = seen.map((line) => {
      const m = /^wait 1 (\d+)$/.exec(line);
      return m && Number(m[1]) > 0 && Number(m[1]) <= 2000 ? w : line;
    });
    // Queue registration, then each script as EVAL (never NOSCRIPT, so nothing is resent behind the WAIT).
    expect(waits).toEqual(['sadd', w, 'eval', w, 'eval', w, 'eval', w, 'eval', w, 'eval', w, 'eval', 'eval', w]);
    // Acknowledged by the replica: it has every task the moment the calls resolved.
    expect((await replica.client().keys('asynq:{default}:t:*')).sort())
      .toEqual(['b1', 'b2', 'g1', 'gu1', 'p1', 's1', 'u1'].map((id) => keys.taskKey('default', id)));
  });

  it('rejects with ReplicationTimeoutError when the replica does not acknowledge in time; the task may still be stored', async () => {
    const client = track(new Client(master.url, {waitForReplicas: {replicas: 1, timeout: 100}}));
    await client.enqueue(new Task('t', null, {taskId: 'before'}));
    process.kill(replica.pid, 'SIGSTOP'); // a stalled replica: connected, never acknowledges
    try {
      const err = await client.enqueue(new Task('t', null, {taskId: 'stalled'})).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({code: 'REPLICATION_TIMEOUT', queue: 'default', taskId: 'stalled', acknowledged: 0, wanted: 1, timeoutMs: 100});
      expect((err as Error).message).toBe(
        'task stalled in queue "default": 0 of 1 replica(s) acknowledged the write within 100ms; it may or may not be stored');
      expect(await pending()).toEqual(['before', 'stalled']);

      const many = await client.enqueueMany([new Task('t', null, {taskId: 'm1'}), [new Task('t'), {processIn: 'later'}]]);
      expect(many[0]).toBeInstanceOf(ReplicationTimeoutError);
      expect(many[0]).toMatchObject({taskId: 'm1', acknowledged: 0});
      expect(many[1]).toBeInstanceOf(ValidationError);

      // A queue registration that is not acknowledged is not cached: the next enqueue registers again.
      const reg = await client.enqueue(new Task('t', null, {taskId: 'o1', queue: 'other'})).catch((e: unknown) => e);
      expect(reg).toMatchObject({queue: 'other', taskId: undefined, acknowledged: 0});
      expect((reg as Error).message).toMatch(/^registering queue "other": 0 of 1 replica/);
      expect(await m.exists(keys.taskKey('other', 'o1'))).toBe(0);
    } finally {
      process.kill(replica.pid, 'SIGCONT');
    }
    await client.enqueue(new Task('t', null, {taskId: 'o2', queue: 'other'}));
    // Retrying the same ID without a reconnect reports the conflict (the first attempt was stored).
    await expect(client.enqueue(new Task('t', null, {taskId: 'stalled'}))).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await pending()).toEqual(['before', 'stalled', 'm1']);
  });

  it('does not trust a WAIT answered by another connection: writes again, and that WAIT decides', async () => {
    const proxy = track(await startTcpProxy(master));
    const client = track(new Client(proxy.url, {waitForReplicas: {replicas: 1, timeout: 2000}}));
    await client.enqueue(new Task('t', null, {taskId: 'warm'}));

    // The script's reply gets through, WAIT's does not: ioredis resends WAIT alone on a new
    // connection, which has written nothing, so it answers at once. The write is sent again.
    let runs = await scriptRuns();
    let cut = proxy.cutNextReply({keepFirstLine: true});
    await client.enqueue(new Task('t', 'a', {taskId: 'wait-lost'}));
    await cut;
    expect(await scriptRuns() - runs).toBe(2);

    // Both replies lost: ioredis resends both (the script meets its own task), then the write again.
    runs = await scriptRuns();
    cut = proxy.cutNextReply();
    await client.enqueue(new Task('t', 'b', {taskId: 'all-lost', unique: '1h'}));
    await cut;
    expect(await scriptRuns() - runs).toBe(3);
    expect(await pending()).toEqual(['warm', 'wait-lost', 'all-lost']);
    expect(await replica.client().lrange(keys.pendingKey('default'), 0, -1)).toEqual(['all-lost', 'wait-lost', 'warm']);
  });

  it('gives up with acknowledged null when the connection changes during both attempts', async () => {
    const conn = new Redis(master.port, master.host);
    const client = track(new Client(conn, {waitForReplicas: {replicas: 1, timeout: 2000}}));
    try {
      await client.enqueue(new Task('t', null, {taskId: 'warm'}));
      const pipeline = conn.pipeline.bind(conn);
      conn.pipeline = ((...a: Parameters<typeof pipeline>) => {
        conn.emit('close'); // what ioredis emits when its connection closes
        return pipeline(...a);
      }) as typeof conn.pipeline;
      const err = await client.enqueue(new Task('t', null, {taskId: 'flaky'})).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({taskId: 'flaky', acknowledged: null});
      expect((err as Error).message).toBe(
        'task flaky in queue "default": the connection to Redis was re-established while waiting for replicas; it may or may not be stored');
    } finally {
      conn.disconnect();
    }
  });
});

describe('a write resent by ioredis after a lost reply', () => {
  it('is recognised as our own: same ID and bytes → success, for plain and unique tasks', async () => {
    const proxy = track(await startTcpProxy(master));
    const client = track(new Client(proxy.url));
    await client.enqueue(new Task('t', null, {taskId: 'warm'}));

    let runs = await scriptRuns();
    let cut = proxy.cutNextReply();
    const info = await client.enqueue(new Task('t', 'p', {taskId: 'lost-reply'}));
    await cut;
    expect(info).toMatchObject({id: 'lost-reply', state: 'pending'});
    expect(await scriptRuns() - runs).toBe(2); // the resend ran and met its own task (conflict)

    runs = await scriptRuns();
    cut = proxy.cutNextReply();
    await client.enqueue(new Task('t', 'p', {taskId: 'lost-unique', unique: '1h'}));
    await cut;
    expect(await scriptRuns() - runs).toBe(2); // the resend met its own lock (duplicate)
    expect(await pending()).toEqual(['warm', 'lost-reply', 'lost-unique']);
  });

  it('without a reconnect an identical task with a taken ID still conflicts (Go behaviour)', async () => {
    const client = track(new Client(master.url));
    await client.enqueue(new Task('t', 'p', {taskId: 'same'}));
    await expect(client.enqueue(new Task('t', 'p', {taskId: 'same'}))).rejects.toBeInstanceOf(TaskIdConflictError);
    await client.enqueue(new Task('t', 'p', {taskId: 'uniq', unique: '1h'}));
    await expect(client.enqueue(new Task('t', 'p', {taskId: 'uniq', unique: '1h'}))).rejects.toBeInstanceOf(DuplicateTaskError);
  });

  it('is recognised as our own when a worker processed the task before the resend ran (retention, retried)', async () => {
    const proxy = track(await startTcpProxy(master));
    // Reconnect 300 ms after the cut: room for the worker below to act before the resend.
    const redisOptions = {retryStrategy: () => 300};
    const worker = new RDB(master.client());
    for (const wait of [undefined, {replicas: 1, timeout: 2000}]) {
      const client = track(new Client({addr: `127.0.0.1:${proxy.port}`, redisOptions}, wait ? {waitForReplicas: wait} : {}));
      const tag = wait ? 'wait' : 'plain';
      await client.enqueue(new Task('t', null, {taskId: `${tag}-warm`, queue: 'worked'}));
      expect((await worker.dequeue(['worked']))?.msg.id).toBe(`${tag}-warm`);
      for (const [id, finish] of [
        [`${tag}-completed`, (msg: TaskMessage) => worker.markAsComplete(msg)],
        [`${tag}-retried`, (msg: TaskMessage) => worker.retry(msg, new Date(Date.now() + 3_600_000), 'boom', true)],
      ] as const) {
        const cut = proxy.cutNextReply();
        const enqueued = client.enqueue(new Task('t', 'p', {taskId: id, queue: 'worked', retention: '1h'}));
        await cut;
        // Stored; its reply lost. A worker takes it and finishes it (message rewritten) before
        // ioredis resends the script, which then meets a task with other bytes under our ID.
        const got = await worker.dequeue(['worked']);
        expect(got?.msg.id).toBe(id);
        await finish(got!.msg);
        await expect(enqueued, id).resolves.toMatchObject({id});
      }
    }
  });

  it('a different task under the same ID is a conflict even after a reconnect', async () => {
    const proxy = track(await startTcpProxy(master));
    const client = track(new Client(proxy.url));
    await m.hset(keys.taskKey('default', 'taken'), 'msg', 'someone else', 'state', 'pending');
    await client.enqueue(new Task('t', null, {taskId: 'warm'}));
    const cut = proxy.cutNextReply();
    await expect(client.enqueue(new Task('t', 'p', {taskId: 'taken'}))).rejects.toBeInstanceOf(TaskIdConflictError);
    await cut;
  });
});
