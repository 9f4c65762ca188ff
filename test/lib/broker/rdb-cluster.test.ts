/**
 * RDB on a real 3-node Redis Cluster: batch pipelines split per queue (one hash slot each),
 * scripts and the cancelation subscriber work through ioredis Cluster.
 */
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import {Cluster} from 'ioredis';
import {startRedisServer, type RedisServer} from '../../support/redis-server.js';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {msg, T0, T0_NS} from './rdb-fixtures.js';

const nodes: RedisServer[] = [];
let cluster: Cluster;
/** Two queue names whose slots live on different nodes. */
let qa = '';
let qb = '';

beforeAll(async () => {
  for (let i = 0; i < 3; i++) nodes.push(await startRedisServer({args: ['--cluster-enabled', 'yes']}));
  const ranges: Array<[number, number]> = [[0, 5460], [5461, 10922], [10923, 16383]];
  for (let i = 0; i < 3; i++) {
    const c = nodes[i]!.client();
    await c.call('CLUSTER', 'ADDSLOTSRANGE', ranges[i]![0], ranges[i]![1]);
    if (i > 0) await nodes[0]!.client().call('CLUSTER', 'MEET', '127.0.0.1', nodes[i]!.port);
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const infos = await Promise.all(nodes.map((n) => n.client().call('CLUSTER', 'INFO') as Promise<string>));
    if (infos.every((s) => s.includes('cluster_state:ok') && s.includes('cluster_known_nodes:3'))) break;
    if (Date.now() > deadline) throw new Error(`cluster did not become ready: ${infos.join('\n')}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  const probe = nodes[0]!.client();
  const nodeOf = async (q: string): Promise<number> => {
    const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', `asynq:{${q}}:pending`));
    return ranges.findIndex(([lo, hi]) => slot >= lo && slot <= hi);
  };
  qa = 'default';
  for (let i = 0; !qb; i++) if ((await nodeOf(`q${i}`)) !== (await nodeOf(qa))) qb = `q${i}`;
  cluster = new Cluster([{host: '127.0.0.1', port: nodes[0]!.port}]);
  // A fresh cluster may still be settling; wait until a write goes through.
  for (;;) {
    try { await cluster.set('ready', '1'); break; } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}, 30_000);

beforeEach(async () => {
  for (const n of nodes) await n.flush();
});

afterAll(async () => {
  cluster?.disconnect();
  for (const n of nodes) await n.stop();
});

describe('RDB on Redis Cluster', () => {
  it('enqueues a batch spanning queues on different nodes, one pipeline per queue', async () => {
    const rdb = new RDB(cluster, {clock: new SimulatedClock(T0)});
    const res = await rdb.enqueueBatch([
      {msg: msg('a1', {queue: qa})},
      {msg: msg('b1', {queue: qb})},
      {msg: msg('a2', {queue: qa})},
      {msg: msg('b2', {queue: qb}), processAt: new Date(T0.getTime() + 60_000)},
    ]);
    expect(res).toEqual([null, null, null, null]);
    expect(await cluster.lrange(`asynq:{${qa}}:pending`, 0, -1)).toEqual(['a2', 'a1']);
    expect(await cluster.lrange(`asynq:{${qb}}:pending`, 0, -1)).toEqual(['b1']);
    expect(await cluster.zrange(`asynq:{${qb}}:scheduled`, 0, -1)).toEqual(['b2']);
    expect(await cluster.hget(`asynq:{${qb}}:t:b1`, 'pending_since')).toBe(T0_NS);
    expect((await cluster.smembers('asynq:queues')).sort()).toEqual([qa, qb].sort());
  });

  it('runs the lifecycle scripts and delivers cancelations through the cluster', async () => {
    const rdb = new RDB(cluster, {clock: new SimulatedClock(T0)});
    await rdb.enqueue(msg('t1', {queue: qb}));
    const got = await rdb.dequeue([qa, qb]);
    expect(got?.msg).toEqual(msg('t1', {queue: qb}));
    await rdb.done(got!.msg);
    expect(await cluster.exists(`asynq:{${qb}}:t:t1`)).toBe(0);
    expect(await cluster.get(`asynq:{${qb}}:processed`)).toBe('1');

    let wake: (id: string) => void = () => {};
    const arrived = new Promise<string>((res) => { wake = res; });
    const sub = await rdb.subscribeCancelation((id) => wake(id));
    await rdb.publishCancelation('task-x');
    expect(await arrived).toBe('task-x');
    await sub.close();
  });
});
