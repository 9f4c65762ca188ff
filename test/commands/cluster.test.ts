// The inspection commands and the Inspector against a Redis Cluster (one node serving every slot:
// enough for CLUSTER KEYSLOT / SLOTS / INFO and for the ioredis Cluster client the CLI builds).
import {beforeAll, describe, expect, it} from 'vitest';
import {Cluster, type Redis} from 'ioredis';
import type {QueueListResult} from '../../src/commands/queue/list.js';
import type {StatsResult} from '../../src/commands/stats.js';
import {Inspector} from '../../src/lib/index.js';
import {runCliInProcess} from '../support/cli.js';
import {useRedisCluster} from '../support/redis-cluster.js';
import type {RedisServer} from '../support/redis-server.js';
import {seedEveryState} from '../support/seed-every-state.js';

const fx = useRedisCluster({masters: 1});
let server: RedisServer;
let plain: Redis;
beforeAll(() => {
  server = fx.cluster.nodes[0]!;
  plain = server.client();
});

const addr = (): string => `127.0.0.1:${server.port}`;
const asynq = (args: string[]) => runCliInProcess([...args, '--cluster-addrs', addr()], {env: {TZ: 'UTC'}});

describe('on a Redis Cluster', () => {
  it('Inspector: isCluster, CLUSTER INFO, key slot and nodes of a queue', async () => {
    const cluster = new Cluster([{host: '127.0.0.1', port: server.port}]);
    const insp = new Inspector(cluster);
    try {
      expect(insp.isCluster).toBe(true);
      expect((await insp.redisInfo()).info.cluster_state).toBe('ok');
      const slot = Number(await plain.call('CLUSTER', 'KEYSLOT', 'asynq:{default}:pending'));
      expect(await insp.clusterKeySlot('default')).toBe(slot);
      expect((await insp.clusterNodes('default')).map((n) => n.addr)).toEqual([addr()]);
    } finally {
      await insp.close();
      cluster.disconnect();
    }
  });

  it("queue ls shows each queue's hash slot and nodes; --json carries them", async () => {
    await seedEveryState(plain, new Date());
    const slot = (q: string) => plain.call('CLUSTER', 'KEYSLOT', `asynq:{${q}}:pending`).then(Number);
    const r = await asynq(['queue', 'ls']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'Queue     Cluster KeySlot  Cluster Nodes',
        '-----     ---------------  -------------',
        `critical  ${String(await slot('critical')).padEnd(15)}  ${addr()}`,
        `default   ${String(await slot('default')).padEnd(15)}  ${addr()}`,
        `empty     ${String(await slot('empty')).padEnd(15)}  ${addr()}`,
        '',
      ].join('\n'),
    );
    const doc = JSON.parse((await asynq(['queue', 'ls', '--json'])).stdout) as QueueListResult;
    expect(doc[1]).toEqual({
      queue: 'default',
      clusterKeySlot: await slot('default'),
      clusterNodes: [{id: expect.stringMatching(/^[0-9a-f]{40}$/), addr: addr()}],
    });
  });

  it('stats shows "Redis Cluster Info" (state, known nodes, size) and the queues', async () => {
    await seedEveryState(plain, new Date());
    const r = await asynq(['stats']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Redis Cluster Info\nState  Known Nodes  Cluster Size\n-----  -----------  ------------\nOK     1            1\n',
    );
    const doc = JSON.parse((await asynq(['stats', '--json'])).stdout) as StatsResult;
    expect(doc.aggregate.pending).toBe(3);
    expect(doc.redis.cluster_state).toBe('ok');
  });
});
