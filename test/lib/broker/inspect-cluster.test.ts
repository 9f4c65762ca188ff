/**
 * The inspector on Redis Cluster: a one-node cluster (redis-cluster.ts `masters: 1`: all 16384 slots on
 * the node) is enough to exercise CLUSTER KEYSLOT / CLUSTER SLOTS and to run the scripts through an
 * ioredis Cluster client, which (like Redis) refuses a call whose declared KEYS span several slots.
 * Keys a script builds from ARGV prefixes are not checked here: a single node serves every slot.
 */
import {beforeAll, describe, expect, it} from 'vitest';
import type {Cluster, Redis} from 'ioredis';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {useRedisCluster} from '../../support/redis-cluster.js';
import type {RedisServer} from '../../support/redis-server.js';
import {makeMsg, seedActive, seedArchived, seedGroup, seedPending, seedScheduled} from '../../support/seed.js';

const NOW = new Date('2026-03-10T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;

const fx = useRedisCluster({masters: 1});
let server: RedisServer;
let plain: Redis;
let cluster: Cluster;

beforeAll(() => {
  server = fx.cluster.nodes[0]!;
  plain = server.client();
  cluster = fx.redis;
});

describe('RDBInspector on Redis Cluster', () => {
  it('clusterKeySlot is CLUSTER KEYSLOT of asynq:{q}:pending, i.e. the slot of the queue hash tag', async () => {
    const insp = new RDBInspector(new RDB(cluster));
    for (const q of ['default', 'critical', 'a:b']) {
      expect(await insp.clusterKeySlot(q)).toBe(Number(await plain.call('CLUSTER', 'KEYSLOT', q)));
    }
  });

  it('clusterNodes returns the node serving the queue slot', async () => {
    const insp = new RDBInspector(new RDB(cluster));
    const myId = String(await plain.call('CLUSTER', 'MYID'));
    expect(await insp.clusterNodes('default')).toEqual([{id: myId, addr: `127.0.0.1:${server.port}`}]);
  });

  it('runs the stats, listing and admin scripts through a Cluster client (every key in the queue slot)', async () => {
    await plain.flushall();
    const insp = new RDBInspector(new RDB(cluster, {clock: new SimulatedClock(NOW)}));
    await seedPending(plain, [{msg: makeMsg('p1')}, {msg: makeMsg('p2')}], {now: NOW});
    await seedActive(plain, [{msg: makeMsg('a1'), score: NOW_S - 1}]);
    await seedScheduled(plain, [{msg: makeMsg('s1'), score: NOW_S + 5}]);
    await seedArchived(plain, [{msg: makeMsg('x1'), score: NOW_S - 5}]);
    await seedGroup(plain, 'g', [{msg: makeMsg('g1'), score: NOW_S}]);

    const stats = await insp.currentStats('default');
    expect([stats.pending, stats.active, stats.scheduled, stats.archived, stats.aggregating]).toEqual([2, 1, 1, 1, 1]);
    expect(stats.memoryUsage).toBeGreaterThan(0);
    expect((await insp.historicalStats('default', 2)).map((d) => d.processed)).toEqual([0, 0]);
    expect((await insp.listActive('default'))[0]!.isOrphaned).toBe(true);
    expect((await insp.getTaskInfo('default', 's1')).state).toBe('scheduled');
    await insp.runTask('default', 's1');
    await insp.archiveTask('default', 'g1');
    await insp.deleteTask('default', 'x1');
    expect(await insp.groupStats('default')).toEqual([]);
    await expect(insp.removeQueue('default', true)).rejects.toThrow('cannot remove queue with active tasks');
    await plain.del('asynq:{default}:active');
    await insp.removeQueue('default', true);
    expect(await plain.smembers('asynq:queues')).toEqual([]);
  });
});
