/**
 * The broker behind Redis Sentinel (test/support/redis-sentinel.ts: a master, a replica and three
 * sentinels). The RDB's client comes from createRedisClient({masterName, sentinelAddrs}), which is
 * what Client/Server/Inspector get for a RedisFailoverClientOpt: an ioredis client that asks the
 * sentinels for the master.
 *
 * After a failover the client must end up on the new master, every enqueue it acknowledged must be
 * there, and the Lua scripts must run although the new master's script cache is empty (ioredis
 * sends EVAL on a new connection and falls back from EVALSHA to EVAL on NOSCRIPT).
 *
 * The harness's failover() first WAITs for the replica to have every acknowledged write: with
 * asynchronous replication Sentinel itself can lose a write acknowledged just before the switch,
 * whatever the client; these tests are about the client.
 */
import {createHash} from 'node:crypto';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {TaskIdConflictError} from '../../../src/lib/errors.js';
import {closeRedisClient, createRedisClient, type RedisConnection} from '../../../src/lib/redis.js';
import {scripts} from '../../../src/lib/scripts/index.js';
import {startRedisSentinel, type RedisSentinel} from '../../support/redis-sentinel.js';
import type {RedisServer} from '../../support/redis-server.js';
import {processAlive} from '../../support/process.js';
import {waitFor} from '../../support/wait.js';
import {makeMsg, T0} from '../../support/seed.js';

let topo: RedisSentinel;
let client: RedisConnection;
let rdb: RDB;

beforeAll(async () => {
  topo = await startRedisSentinel({replicas: 1, sentinels: 3, masterName: 'mymaster'});
  client = createRedisClient({
    masterName: topo.masterName,
    sentinelAddrs: topo.sentinels.map((s) => `${s.host}:${s.port}`),
  }).client;
  rdb = new RDB(client, {clock: new SimulatedClock(T0)});
  await rdb.ping();
});

afterAll(async () => {
  if (client) await closeRedisClient(client);
  await topo?.stop();
});

const sha = (name: keyof typeof scripts): string => createHash('sha1').update(scripts[name].lua).digest('hex');

/** The port of the server the client is talking to (INFO server, answered by that server). */
async function clientPort(): Promise<number> {
  const info = await client.info('server');
  return Number(/^tcp_port:(\d+)/m.exec(info)?.[1]);
}

/** Pending IDs of a queue, read directly on the given server (oldest first). */
async function pendingOn(server: RedisServer, q: string): Promise<string[]> {
  return (await server.client().lrange(keys.pendingKey(q), 0, -1)).reverse();
}

const ids = (prefix: string, n: number): string[] => Array.from({length: n}, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

/** Dequeues until the queue is empty, finishing each task; returns the IDs in dequeue order. */
async function drain(q: string): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const got = await rdb.dequeue([q]);
    if (!got) return out;
    await rdb.done(got.msg);
    out.push(got.msg.id);
  }
}

describe('RDB behind Redis Sentinel', () => {
  it('keeps every acknowledged enqueue across SENTINEL FAILOVER and runs the scripts on the new master', async () => {
    const before = ids('before', 20);
    for (const id of before) await rdb.enqueue(makeMsg(id, {queue: 'sentinel'}));
    const old = topo.master;
    expect(await clientPort()).toBe(old.port);

    const promoted = await topo.failover();
    expect(promoted.port).not.toBe(old.port);
    // Only the scripts' effects replicate: the new master has never seen the enqueue script.
    expect(await promoted.client().script('EXISTS', sha('enqueue'))).toEqual([0]);

    const after = ids('after', 20);
    for (const id of after) await rdb.enqueue(makeMsg(id, {queue: 'sentinel'}));
    expect(await clientPort()).toBe(promoted.port);
    expect(await promoted.client().script('EXISTS', sha('enqueue'))).toEqual([1]);
    expect(await pendingOn(promoted, 'sentinel')).toEqual([...before, ...after]);
    expect(await promoted.client().sismember(keys.allQueues, 'sentinel')).toBe(1);

    // Every task is dequeued exactly once and finished on the new master.
    expect(await drain('sentinel')).toEqual([...before, ...after]);
    expect(await promoted.client().get(keys.processedTotalKey('sentinel'))).toBe('40');
    expect(await promoted.client().exists(keys.activeKey('sentinel'), keys.leaseKey('sentinel'))).toBe(0);
  });

  it('reloads the scripts when the server forgets them (EVALSHA → NOSCRIPT → EVAL)', async () => {
    await rdb.enqueue(makeMsg('cached', {queue: 'sentinel'}));
    expect(await topo.master.client().script('EXISTS', sha('enqueue'), sha('dequeue'))).toEqual([1, 1]);
    await topo.master.client().script('FLUSH');
    await rdb.enqueue(makeMsg('reloaded', {queue: 'sentinel'}));
    expect(await drain('sentinel')).toEqual(['cached', 'reloaded']);
    expect(await topo.master.client().script('EXISTS', sha('enqueue'), sha('dequeue'))).toEqual([1, 1]);
  });

  it('follows the promoted replica after the master is killed; enqueues sent during the outage go through', async () => {
    const before = ids('pre', 10);
    for (const id of before) await rdb.enqueue(makeMsg(id, {queue: 'sentinel'}));
    const old = topo.master;
    const failover = topo.failover({kill: true});
    await waitFor(() => !processAlive(old.pid), 'the killed master to exit', 5_000);

    // Sent while there is no master: ioredis queues them and re-resolves the master through the
    // sentinels. A reply lost with the connection can make a resent enqueue report its own task
    // as a conflict; that one did get stored, so it counts as acknowledged.
    const during = ids('during', 10);
    const sent = Date.now();
    const outcomes = Promise.all(during.map((id) => rdb.enqueue(makeMsg(id, {queue: 'sentinel'})).then(
      () => 'ok', (err: unknown) => (err instanceof TaskIdConflictError ? 'ok' : `failed: ${String(err)}`))));
    const promoted = await failover;
    expect(await outcomes).toEqual(during.map(() => 'ok'));
    const outageMs = Date.now() - sent;
    expect(outageMs).toBeLessThan(15_000);

    expect(await clientPort()).toBe(promoted.port);
    expect(await pendingOn(promoted, 'sentinel')).toEqual([...before, ...during]);
    expect(await drain('sentinel')).toEqual([...before, ...during]);
  });
});
